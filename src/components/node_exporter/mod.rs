//! node-exporter: host metrics (CPU, memory, filesystems, network) from every node, as a
//! DaemonSet that tolerates every taint. It reads the host's `/proc`, `/sys` and root
//! filesystem and shares the host's network and PID namespaces, as upstream recommends, which
//! Pod Security `restricted` (and `baseline`) forbid: it runs in the node agents' namespace
//! (`stack.agents_namespace`), which enforces `privileged` and says why, while the stack's own
//! namespace keeps `restricted`. The container itself still runs as nobody, with no
//! capabilities, a read-only root filesystem and read-only host mounts.
//!
//! Files: `mod.rs` settings and contributions, `objects.rs` the Kubernetes objects, `rules.rs`
//! recording rules and alerts, `dashboard.rs` the Nodes row of the Infrastructure dashboard.

mod dashboard;
mod objects;
mod rules;

use crate::diag::Code;
use serde::Deserialize;

use super::{Component, Context};
use crate::contrib::scrape::copy;
use crate::contrib::{Contributions, NamespaceRequest, ScrapeJob};
use crate::k8s::Object;
use crate::model::alerts::{AlertDefaults, RatioAlert, duration};
use crate::model::endpoints::ServiceAddress;
use crate::model::{Duration, Image, Problem, Resources, Stack};

const NAME: &str = "node-exporter";
const KEY: &str = "node_exporter";
/// The job node-exporter is scraped under (`node_*`).
pub const JOB: &str = NAME;
const PORT: i32 = 9100;
const PORT_NAME: &str = "metrics";

/// The host series the rules and panels read (node-exporter's cpu, meminfo, filesystem,
/// netdev, loadavg and uname collectors).
const METRICS: &[&str] = &[
    "node_cpu_seconds_total",
    "node_memory_MemAvailable_bytes",
    "node_memory_MemTotal_bytes",
    "node_filesystem_avail_bytes",
    "node_filesystem_size_bytes",
    "node_filesystem_readonly",
    "node_network_receive_bytes_total",
    "node_network_transmit_bytes_total",
    "node_load1",
    "node_uname_info",
];

/// `[node_exporter]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NodeExporter {
    /// Run node-exporter on every node (host CPU, memory, filesystems, network).
    pub enabled: bool,
    /// Pinned node-exporter image.
    pub image: Image,
    /// Requests and limits of one node's exporter (counted once per node).
    pub resources: Resources,
    pub alerts: Alerts,
}

/// `[node_exporter.alerts]`: a filesystem warns while it is predicted to fill up and pages
/// when it is nearly full; memory warns when little is left.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Warning: free space below `ratio` (default 0.15) AND the last 6 hours' trend empties the
    /// filesystem within 24 hours, for `for` (default 1h).
    pub filesystem_filling_up: RatioAlert<FilesystemFillingUp>,
    /// Critical: free space below `ratio` (default 0.05) for `for` (default 30m).
    pub filesystem_almost_full: RatioAlert<FilesystemAlmostFull>,
    /// Warning: memory in use (1 − MemAvailable/MemTotal) above `ratio` (default 0.9) for
    /// `for` (default 15m).
    pub memory_pressure: RatioAlert<MemoryPressure>,
}

#[derive(Debug, Clone)]
pub struct FilesystemFillingUp;
impl AlertDefaults for FilesystemFillingUp {
    fn for_duration() -> Duration {
        duration("1h")
    }
    fn ratio() -> f64 {
        0.15
    }
}

#[derive(Debug, Clone)]
pub struct FilesystemAlmostFull;
impl AlertDefaults for FilesystemAlmostFull {
    fn for_duration() -> Duration {
        duration("30m")
    }
    fn ratio() -> f64 {
        0.05
    }
}

#[derive(Debug, Clone)]
pub struct MemoryPressure;
impl AlertDefaults for MemoryPressure {
    fn for_duration() -> Duration {
        duration("15m")
    }
    fn ratio() -> f64 {
        0.9
    }
}

impl Default for NodeExporter {
    fn default() -> Self {
        NodeExporter {
            enabled: true,
            image: Image::parse("quay.io/prometheus/node-exporter:v1.12.1")
                .expect("invariant: valid default"),
            // kube-prometheus' figures: the exporter is light but spikes while collecting.
            resources: Resources::new(("100m", "180Mi"), ("250m", "180Mi")),
            alerts: Alerts::default(),
        }
    }
}

impl Component for NodeExporter {
    const NAME: &'static str = KEY;
    const FILE: &'static str = NAME;

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let key = format!("{KEY}.alerts");
        let a = &self.alerts;
        let mut problems = self.resources.check(&format!("{KEY}.resources"));
        problems.extend(
            [
                a.filesystem_filling_up
                    .check(&format!("{key}.filesystem_filling_up")),
                a.filesystem_almost_full
                    .check(&format!("{key}.filesystem_almost_full")),
                a.memory_pressure.check(&format!("{key}.memory_pressure")),
            ]
            .into_iter()
            .flatten(),
        );
        if a.filesystem_almost_full.ratio > a.filesystem_filling_up.ratio {
            problems.push(Problem::error(
                format!("{key}.filesystem_almost_full.ratio"),
                Code::AlertStagesInverted,
                format!(
                    "the critical stage fires at {} free, before the warning stage at {}",
                    a.filesystem_almost_full.ratio, a.filesystem_filling_up.ratio
                ),
                "the critical free-space ratio must be below the warning one (e.g. 0.05 and 0.15)",
            ));
        }
        problems
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        Contributions {
            scrape_jobs: vec![scrape_job(stack)],
            rule_groups: rules::groups(&self.alerts, stack),
            panels: vec![dashboard::nodes()],
            namespaces: vec![NamespaceRequest {
                name: stack.agents_namespace(),
                pod_security: "privileged",
                reason: "node-exporter reads the host's /proc, /sys and root filesystem (hostPath) and shares its network and PID namespaces".into(),
            }],
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        Ok(objects::objects(self, cx))
    }
}

fn service_address(stack: &Stack) -> ServiceAddress {
    ServiceAddress {
        service: NAME.into(),
        namespace: stack.agents_namespace(),
        port_name: PORT_NAME.into(),
        port: PORT,
    }
}

/// Every node's exporter; `instance` and `node` are the node's name, so series survive a pod
/// restart and join with kube-state-metrics' node series.
fn scrape_job(stack: &Stack) -> ScrapeJob {
    let mut job = ScrapeJob::stack_pods(stack, NAME, service_address(stack), "/metrics");
    job.comment = "node-exporter on every node (host network, port metrics).".into();
    job.relabel_configs.extend([
        copy("__meta_kubernetes_pod_node_name", "node"),
        copy("__meta_kubernetes_pod_node_name", "instance"),
    ]);
    // Reached on the node's address, not through NetworkPolicies (host network).
    job.target = None;
    job.with_metrics(METRICS)
}
