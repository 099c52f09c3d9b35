//! Dapr: the sidecars (`daprd`) of the application pods in `stack.app_namespaces`. Renders no
//! pods: it contributes their scrape job and the DaprSidecarDown alert, and renders the
//! tracing `Configuration` the sidecars read (`tracing.rs`). The Application Performance
//! dashboard reads their state-store series.

mod tracing;

use serde::Deserialize;

use super::{Component, Context};
use crate::contrib::rules::{AlertText, Severity, alert_group};
use crate::contrib::scrape::{ScrapeJob, copy, drop_pods_not_running, keep, namespace_and_pod};
use crate::contrib::{Contributions, Rule};
use crate::k8s::Object;
use crate::model::alerts::{AlertDefaults, ConditionAlert, duration};
use crate::model::{Duration, Problem, Stack};

/// The scrape job of the Dapr sidecars (`dapr_*`).
pub const JOB: &str = "dapr-sidecars";

/// The sidecar metrics the rules and dashboards read (Dapr's sidecar metrics reference).
const METRICS: &[&str] = &[
    "dapr_component_loaded",
    "dapr_component_state_count",
    "dapr_component_state_latencies_bucket",
    "dapr_component_state_latencies_sum",
    "dapr_component_state_latencies_count",
    "dapr_http_server_request_count",
];

/// `[dapr]`: the Dapr sidecars of the monitored applications.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Dapr {
    /// Scrape the sidecars (container `daprd`, port `dapr-metrics`) of pods annotated
    /// `dapr.io/enabled: "true"` in `stack.app_namespaces`, with their alert.
    pub enabled: bool,
    pub alerts: Alerts,
    pub tracing: tracing::Tracing,
}

/// `[dapr.alerts]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Critical: Prometheus cannot scrape a Dapr sidecar (default for 1m).
    pub sidecar_down: ConditionAlert<SidecarDown>,
}

#[derive(Debug, Clone)]
pub struct SidecarDown;
impl AlertDefaults for SidecarDown {
    fn for_duration() -> Duration {
        duration("1m")
    }
}

impl Default for Dapr {
    fn default() -> Self {
        Dapr {
            enabled: true,
            alerts: Alerts::default(),
            tracing: tracing::Tracing::default(),
        }
    }
}

impl Component for Dapr {
    const NAME: &'static str = "dapr";
    const FILE: &'static str = "dapr";

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        self.tracing.check().into_iter().collect()
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        let tracing = self.tracing.enabled;
        Contributions {
            needs: tracing.then(|| self.tracing.need()).into_iter().collect(),
            prerequisites: if tracing {
                tracing::Tracing::prerequisites()
            } else {
                Vec::new()
            },
            scrape_jobs: vec![job(stack)],
            rule_groups: alert_group("dapr.alerts", [self.sidecar_down(stack)])
                .into_iter()
                .collect(),
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        if !self.tracing.enabled {
            return Ok(Vec::new());
        }
        Ok(self
            .tracing
            .objects(cx.stack, cx.collected)?
            .into_iter()
            .map(Object::from)
            .collect())
    }
}

impl Dapr {
    fn sidecar_down(&self, stack: &Stack) -> Option<Rule> {
        let a = &self.alerts.sidecar_down;
        a.enabled.then(|| {
            AlertText {
                name: "DaprSidecarDown",
                comment: "Dapr has no \"sidecar up\" metric: a sidecar whose metrics port does not answer is down.",
                severity: Severity::Critical,
                summary: "Dapr sidecar of {{ $labels.namespace }}/{{ $labels.pod }} is down",
                description: "The Dapr sidecar (daprd) of pod {{ $labels.namespace }}/{{ $labels.pod }} (app id {{ $labels.app_id }}) does not answer: service invocation, pub/sub and state calls of this app fail.".into(),
            }
            .rule(
                stack,
                format!("max by (namespace, pod, app_id) (up{{job=\"{JOB}\"}}) == 0"),
                &a.for_duration,
            )
        })
    }
}

fn job(stack: &Stack) -> ScrapeJob {
    let namespaces = stack.app_namespaces.iter().map(|n| n.to_string()).collect();
    let mut job = ScrapeJob::pods(
        JOB,
        "Dapr sidecars (container daprd, port dapr-metrics) of application pods.",
        namespaces,
    );
    job.relabel_configs = vec![
        keep(
            &["__meta_kubernetes_pod_annotation_dapr_io_enabled"],
            "true",
        ),
        keep(
            &[
                "__meta_kubernetes_pod_container_name",
                "__meta_kubernetes_pod_container_port_name",
            ],
            "daprd;dapr-metrics",
        ),
        // A finished Dapr-enabled Job pod would otherwise scrape as down and page
        // DaprSidecarDown.
        drop_pods_not_running(),
        copy("__meta_kubernetes_pod_annotation_dapr_io_app_id", "app_id"),
    ];
    job.relabel_configs.extend(namespace_and_pod());
    job.with_metrics(METRICS)
}
