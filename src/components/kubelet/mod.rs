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
use crate::model::alerts::{AlertDefaults, RatioAlert, duration, stages_inverted};
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
    /// Warning: a container's working set over its memory limit (default ratio 0.9 for 10m);
    /// muted while CriticalMemoryUsage fires for the same container.
    pub high_memory_usage: RatioAlert<HighUsage>,
    /// Critical: a container's working set about to reach its memory limit, where it is
    /// OOM-killed (default ratio 0.97 for 5m). Its ratio must be above high_memory_usage's.
    pub critical_memory_usage: RatioAlert<CriticalMemoryUsage>,
}

#[derive(Debug, Clone)]
pub struct CriticalMemoryUsage;
impl AlertDefaults for CriticalMemoryUsage {
    fn for_duration() -> Duration {
        duration("5m")
    }
    fn ratio() -> f64 {
        0.97
    }
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
            self.alerts
                .critical_memory_usage
                .check(&format!("{key}.critical_memory_usage")),
            self.memory_stages_inverted(key),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        // The limits come from kube-state-metrics: without it these cannot be computed.
        let alerts = alert_group(
            "kubernetes.alerts",
            [
                self.high_cpu_usage(stack),
                self.high_memory_usage(stack),
                self.critical_memory_usage(stack),
            ],
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
            memory_stage(
                stack,
                (a.ratio, &a.for_duration),
                ("HighMemoryUsage", Severity::Warning, "near", "threshold"),
                "Working set (what the kernel cannot reclaim, recording rule) over the memory limit.\nThe warning stage of CriticalMemoryUsage.",
            )
        })
    }

    fn critical_memory_usage(&self, stack: &Stack) -> Option<Rule> {
        let a = &self.alerts.critical_memory_usage;
        a.enabled.then(|| {
            memory_stage(
                stack,
                (a.ratio, &a.for_duration),
                ("CriticalMemoryUsage", Severity::Critical, "about to reach", "critical threshold"),
                "The working set about to reach the memory limit: the next allocation may OOM-kill it.",
            )
        })
    }

    /// The memory warning must fire at a lower share than the critical stage.
    fn memory_stages_inverted(&self, key: &str) -> Option<Problem> {
        let (warning, critical) = (
            self.alerts.high_memory_usage.ratio,
            self.alerts.critical_memory_usage.ratio,
        );
        stages_inverted(
            &format!("{key}.high_memory_usage.ratio"),
            ("HighMemoryUsage", warning.to_string()),
            ("CriticalMemoryUsage", critical.to_string()),
            warning < critical,
            "0.9 and 0.97",
        )
    }
}

/// The stages of a container's memory nearing its limit, which mute each other per container.
const CONTAINER_MEMORY: &str = "ContainerMemory";

/// One stage of the memory alert. CPU has one stage only: a container at its CPU limit is
/// throttled, not killed, and the harm shows as latency, which the applications' latency
/// alerts page for.
fn memory_stage(
    stack: &Stack,
    (ratio, for_duration): (f64, &Duration),
    (name, severity, near, threshold): (&str, Severity, &str, &str),
    comment: &str,
) -> Rule {
    AlertText {
        name,
        comment,
        severity,
        summary: &format!("Container {{{{ $labels.container }}}} of {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} is {near} its memory limit"),
        description: format!("Container {{{{ $labels.container }}}} of pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} uses {{{{ $value | humanizePercentage }}}} of its memory limit ({threshold} {}); at 100% it is OOM-killed.", percent(ratio)),
    }
    .rule(
        stack,
        usage_over_limit(
            "namespace_pod_container:container_memory_working_set_bytes:max",
            "memory",
            ratio,
        ),
        for_duration,
    )
    .stage_of(CONTAINER_MEMORY)
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
