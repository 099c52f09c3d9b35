//! The kubelets' cAdvisor: CPU, memory and network of every container on every node. Renders
//! no pods: it contributes the scrape job, the container recording rules, the HighCPUUsage and
//! HighMemoryUsage alerts (usage over the limits kube-state-metrics reports) and the container
//! part of the Infrastructure dashboard.
//!
//! Files: `mod.rs` settings, job and rules, `dashboard.rs` the dashboard.

mod dashboard;

use serde::Deserialize;

use super::kube_state_metrics::JOB as KUBE_STATE;
use super::{Component, Context};
use crate::contrib::rules::{AlertText, RuleGroup, Severity, alert_group, percent, record};
use crate::contrib::scrape::{KubeletAuth, ScrapeJob, copy, drop};
use crate::contrib::{Contributions, Rule};
use crate::k8s::Object;
use crate::model::alerts::{AlertDefaults, RatioAlert, duration};
use crate::model::{Duration, Problem, Stack};

/// The scrape job of the kubelets' cAdvisor endpoints (`container_*`).
pub const JOB: &str = "kubernetes-cadvisor";

const METRICS: &[&str] = &[
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
    "container_network_receive_bytes_total",
    "container_network_transmit_bytes_total",
];

/// `[kubelet]`: container metrics from every node's kubelet.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Kubelet {
    /// Scrape `/metrics/cadvisor` of every kubelet, with the container rules, alerts and panels.
    pub enabled: bool,
    /// Kubelet serving certificates are rarely signed by the cluster CA; set true only if yours are.
    pub verify_tls: bool,
    pub alerts: Alerts,
}

/// `[kubelet.alerts]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Warning: a container's CPU usage over its limit (default ratio 0.9 for 10m).
    pub high_cpu_usage: RatioAlert<HighUsage>,
    /// Warning: a container's working set over its memory limit (default ratio 0.9 for 10m).
    pub high_memory_usage: RatioAlert<HighUsage>,
}

#[derive(Debug, Clone)]
pub struct HighUsage;
impl AlertDefaults for HighUsage {
    fn for_duration() -> Duration {
        duration("10m")
    }
    fn ratio() -> f64 {
        0.9
    }
}

impl Default for Kubelet {
    fn default() -> Self {
        Kubelet {
            enabled: true,
            verify_tls: false,
            alerts: Alerts::default(),
        }
    }
}

impl Component for Kubelet {
    const NAME: &'static str = "kubelet";
    const FILE: &'static str = "kubelet";

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let key = "kubelet.alerts";
        [
            self.alerts
                .high_cpu_usage
                .check(&format!("{key}.high_cpu_usage")),
            self.alerts
                .high_memory_usage
                .check(&format!("{key}.high_memory_usage")),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        // The limits come from kube-state-metrics: without it these cannot be computed.
        let alerts = alert_group(
            "kubernetes.alerts",
            [self.high_cpu_usage(stack), self.high_memory_usage(stack)],
        )
        .map(|g| g.needing(&[KUBE_STATE]));
        let rule_groups = [recording()].into_iter().chain(alerts).collect();
        Contributions {
            scrape_jobs: vec![self.job()],
            rule_groups,
            dashboards: vec![dashboard::infrastructure()],
            ..Contributions::default()
        }
    }

    fn build(&self, _cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        Ok(Vec::new())
    }
}

impl Kubelet {
    fn job(&self) -> ScrapeJob {
        ScrapeJob {
            name: JOB.into(),
            comment: "Container CPU, memory and network from every node's kubelet (cAdvisor)."
                .into(),
            role: "node",
            honor_labels: true,
            scheme: Some("https"),
            metrics_path: Some("/metrics/cadvisor".into()),
            kubelet_auth: Some(KubeletAuth {
                insecure_skip_verify: !self.verify_tls,
            }),
            relabel_configs: vec![copy("__meta_kubernetes_node_name", "node")],
            // Pause containers and cgroup-level series without a container only add cardinality.
            metric_relabel_configs: vec![drop(&["container"], "POD")],
            ..ScrapeJob::pods(JOB, "", Vec::new())
        }
        .with_metrics(METRICS)
    }

    fn high_cpu_usage(&self, stack: &Stack) -> Option<Rule> {
        let a = &self.alerts.high_cpu_usage;
        a.enabled.then(|| {
            AlertText {
                name: "HighCPUUsage",
                comment: "CPU used (recording rule) over the CPU limit, per container; containers without a limit\nhave no limit series and never match.",
                severity: Severity::Warning,
                summary: "Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} is near its CPU limit",
                description: format!("Container {{{{ $labels.container }}}} of pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} uses {{{{ $value | humanizePercentage }}}} of its CPU limit (threshold {}); it is probably being throttled.", percent(a.ratio)),
            }
            .rule(stack, usage_over_limit("namespace_pod_container:container_cpu_usage_seconds:rate5m", "cpu", a.ratio), &a.for_duration)
        })
    }

    fn high_memory_usage(&self, stack: &Stack) -> Option<Rule> {
        let a = &self.alerts.high_memory_usage;
        a.enabled.then(|| {
            AlertText {
                name: "HighMemoryUsage",
                comment: "Working set (what the kernel cannot reclaim, recording rule) over the memory limit.",
                severity: Severity::Warning,
                summary: "Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} is near its memory limit",
                description: format!("Container {{{{ $labels.container }}}} of pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} uses {{{{ $value | humanizePercentage }}}} of its memory limit (threshold {}); at 100% it is OOM-killed.", percent(a.ratio)),
            }
            .rule(stack, usage_over_limit("namespace_pod_container:container_memory_working_set_bytes:max", "memory", a.ratio), &a.for_duration)
        })
    }
}

fn usage_over_limit(usage: &str, resource: &str, ratio: f64) -> String {
    format!(
        "{usage}\n  / on (namespace, pod, container)\nsum by (namespace, pod, container) (\n  kube_pod_container_resource_limits{{job=\"{KUBE_STATE}\", resource=\"{resource}\"}}\n)\n> {ratio}"
    )
}

/// Series without a `container` label are cgroup totals of a whole pod (the pause container
/// "POD" is dropped at scrape time).
fn recording() -> RuleGroup {
    RuleGroup::new(
        "kubernetes.rules",
        Some(
            "Containers, from the kubelets' cAdvisor. Series without a `container` label are cgroup\ntotals of a whole pod (the pause container \"POD\" is dropped at scrape time).",
        ),
        vec![
            record(
                "namespace_pod_container:container_cpu_usage_seconds:rate5m",
                "CPU cores used by each container.",
                format!(
                    "sum by (namespace, pod, container) (\n  rate(container_cpu_usage_seconds_total{{job=\"{JOB}\", container!=\"\"}}[5m])\n)"
                ),
            ),
            record(
                "namespace_pod_container:container_memory_working_set_bytes:max",
                "Working set of each container. max, not sum: for a moment after a restart cAdvisor\nreports the old and the new container under the same name.",
                format!(
                    "max by (namespace, pod, container) (\n  container_memory_working_set_bytes{{job=\"{JOB}\", container!=\"\"}}\n)"
                ),
            ),
            record(
                "namespace:container_cpu_usage_seconds:rate5m",
                "Per namespace, for the infrastructure dashboard.",
                "sum by (namespace) (namespace_pod_container:container_cpu_usage_seconds:rate5m)",
            ),
            record(
                "namespace:container_memory_working_set_bytes:sum",
                "",
                "sum by (namespace) (namespace_pod_container:container_memory_working_set_bytes:max)",
            ),
        ],
    )
}
