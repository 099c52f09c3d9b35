//! kube-state-metrics: one Deployment that lists and watches Kubernetes objects and exports their
//! state (`kube_pod_status_ready`, `kube_deployment_status_replicas_ready`, ...) for Prometheus.
//!
//! The kinds it reads are ONE list, `exported_resources`: the ClusterRole's rules and the
//! `--resources` flag are both derived from it, so its permissions are exactly what it exports
//! (list and watch, nothing else) and the two cannot drift apart.
//!
//! Files: `mod.rs` the component, `resources.rs` the exportable kinds, `settings.rs` the profile
//! type and its checks, `objects.rs` the Kubernetes objects.

mod objects;
mod resources;
mod settings;

use super::{Component, Context};
use crate::contrib::rules::{AlertText, Severity, alert_group};
use crate::contrib::{Contributions, Rule, ScrapeJob};
use crate::k8s::Object;
use crate::k8s::builders::{self, service_port};
use crate::model::endpoints::ServiceAddress;
use crate::model::{Problem, Stack, check_replicas};

use resources::ApiResource;
pub use settings::KubeStateMetrics;

const NAME: &str = "kube-state-metrics";
/// The job kube-state-metrics is scraped under (`kube_*`).
pub const JOB: &str = NAME;
const KEY: &str = "kube_state_metrics";
/// Object metrics (`/metrics`) and liveness (`/livez`).
const METRICS_PORT: i32 = 8080;
const METRICS_PORT_NAME: &str = "http-metrics";
/// kube-state-metrics' own metrics and readiness (`/readyz`).
const TELEMETRY_PORT: i32 = 8081;
const TELEMETRY_PORT_NAME: &str = "telemetry";
/// The image's `nobody` user.
const UID: i64 = 65534;
/// More replicas only duplicate series; 3 is already generous.
const MAX_REPLICAS: i32 = 3;

impl Component for KubeStateMetrics {
    const NAME: &'static str = KEY;
    const FILE: &'static str = NAME;

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let mut problems = self.resources.check(&format!("{KEY}.resources"));
        problems.extend(check_replicas(
            &format!("{KEY}.replicas"),
            self.replicas,
            MAX_REPLICAS,
        ));
        problems.extend(self.duplicated_series());
        problems.extend(self.exported_resources_problems());
        problems.extend(self.allowlist_problems());
        problems
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        let service = ServiceAddress::in_stack(stack, NAME, METRICS_PORT_NAME, METRICS_PORT);
        let mut job =
            ScrapeJob::stack_pods(stack, NAME, service, "/metrics").with_metrics(&self.metrics());
        // Its `namespace`, `pod` and `container` labels describe other objects, not itself:
        // they are kept as exported (`honor_labels`), and the exporter's own pod is not
        // attached as target labels, which a series without them would inherit
        // (`kube_node_info` in namespace "monitoring"). kube-prometheus drops the same labels
        // (`labeldrop` of pod|service|endpoint|namespace on its kube-state-metrics monitor).
        job.honor_labels = true;
        job.relabel_configs
            .retain(|r| !matches!(r.target_label, Some("namespace" | "pod")));
        Contributions {
            scrape_jobs: vec![job],
            rule_groups: alert_group("kube-state-metrics.alerts", [self.pod_not_ready(stack)])
                .into_iter()
                .collect(),
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        let app = cx.app(NAME, "exporter");
        let objects: Vec<Object> = vec![
            // It lists and watches the API with this token.
            builders::service_account(&app, NAME, true).into(),
            self.cluster_role(&app).into(),
            builders::cluster_role_binding(&app, NAME).into(),
            builders::service(
                &app,
                NAME,
                vec![
                    service_port(METRICS_PORT_NAME, METRICS_PORT, "TCP"),
                    service_port(TELEMETRY_PORT_NAME, TELEMETRY_PORT, "TCP"),
                ],
            )
            .into(),
            self.deployment(&app).into(),
        ];
        Ok(objects)
    }
}

impl KubeStateMetrics {
    /// The series of the exported kinds that rules and dashboards read.
    fn metrics(&self) -> Vec<&'static str> {
        let by_kind: &[(ApiResource, &[&'static str])] = &[
            (
                ApiResource::Pods,
                &[
                    "kube_pod_info",
                    "kube_pod_status_phase",
                    "kube_pod_status_ready",
                    "kube_pod_container_status_restarts_total",
                    "kube_pod_container_resource_limits",
                    "kube_pod_container_resource_requests",
                ],
            ),
            (
                ApiResource::Deployments,
                &[
                    "kube_deployment_spec_replicas",
                    "kube_deployment_status_replicas_ready",
                    "kube_deployment_status_replicas_available",
                ],
            ),
            (
                ApiResource::Nodes,
                &["kube_node_info", "kube_node_status_condition"],
            ),
        ];
        by_kind
            .iter()
            .filter(|(kind, _)| self.exported_resources.contains(kind))
            .flat_map(|(_, metrics)| metrics.iter().copied())
            .collect()
    }

    /// Pods that are not ready, whatever the reason; needs pods among the exported kinds.
    fn pod_not_ready(&self, stack: &Stack) -> Option<Rule> {
        let a = &self.alerts.pod_not_ready;
        (a.enabled && self.exported_resources.contains(&ApiResource::Pods)).then(|| {
            AlertText {
                name: "PodNotReady",
                comment: "Pods that are not ready, whatever the reason (failing probe, crash loop, unschedulable,\nlost node). An unschedulable pod has no Ready condition, hence no kube_pod_status_ready\nseries: the Pending phase counts too. Terminated pods (Succeeded, Failed) never become ready\nagain and are left out: their controller's replacement is the pod that alerts.",
                severity: Severity::Warning,
                summary: "Pod {{ $labels.namespace }}/{{ $labels.pod }} is not ready",
                description: format!("Pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} has not been ready for more than {}; it receives no traffic from its Services.", a.for_duration),
            }
            .rule(
                stack,
                pods_not_ready(""),
                &a.for_duration,
            )
        })
    }
}

/// One series per pod that should be running and is not ready: its Ready condition is false,
/// or it is Pending (no Ready condition yet); Succeeded and Failed pods are left out.
/// `matchers` (e.g. `namespace=~"$namespace"`) narrow every selector; the Infrastructure
/// dashboard counts these, so its panel and the PodNotReady alert agree.
pub fn pods_not_ready(matchers: &str) -> String {
    let select = |metric: &str, label: &str| {
        let extra = if matchers.is_empty() {
            String::new()
        } else {
            format!(", {matchers}")
        };
        format!("max by (namespace, pod) (\n    {metric}{{job=\"{JOB}\", {label}{extra}}}\n  )")
    };
    format!(
        "(\n  {} == 0\nor\n  {} == 1\n)\nunless on (namespace, pod)\n(\n  {} == 1\n)",
        select("kube_pod_status_ready", "condition=\"true\""),
        select("kube_pod_status_phase", "phase=\"Pending\""),
        select("kube_pod_status_phase", "phase=~\"Succeeded|Failed\""),
    )
}

#[cfg(test)]
mod tests;
