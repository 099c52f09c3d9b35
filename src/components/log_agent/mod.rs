//! The node log agent: Grafana Alloy 1.18 as a DaemonSet that tails every pod's log files on
//! its node (`/var/log/pods`, CRI format) and, optionally, Docker's json-file logs
//! (`/var/lib/docker/containers`), labels each stream with `namespace`, `pod`, `container`
//! and `app_kubernetes_io_name`, parses JSON lines and promotes `level` to a label, drops or
//! samples what the profile says, and pushes to the Loki Service the stack renders (the
//! address comes from Loki's datasource offer, never typed here). Promtail, the agent the
//! seed names, reached end of life on 2026-03-02; Alloy replaces it.
//!
//! Reading other pods' root-owned log files takes root, so the agent runs in the node agents'
//! namespace (`privileged` Pod Security, as node-exporter), with no capabilities, a read-only
//! root filesystem and read-only log mounts; only its positions directory is writable.
//!
//! Files: `mod.rs` settings and contributions, `alloy.rs` the Alloy syntax printer,
//! `config.rs` the pipeline, `objects.rs` the Kubernetes objects.

mod alloy;
mod config;
mod objects;

use serde::Deserialize;

use super::{Component, Context};
use crate::contrib::rules::{AlertText, RuleGroup, Severity};
use crate::contrib::{
    Capability, Contributions, Destination, Flow, NamespaceRequest, Need, Peer, ScrapeJob,
};
use crate::diag::Code;
use crate::k8s::Object;
use crate::model::alerts::{AlertDefaults, ConditionAlert, duration};
use crate::model::endpoints::{DatasourceKind, ServiceAddress};
use crate::model::{DnsLabel, Duration, Image, Problem, Resources, Stack};

const NAME: &str = "alloy";
const KEY: &str = "log_agent";
/// The job the agents are scraped under.
pub const JOB: &str = NAME;
const PORT: i32 = 12345;
const PORT_NAME: &str = "http-metrics";

/// Alloy's own series (internal/component/common/loki/client/metrics.go@v1.18.1).
const METRICS: &[&str] = &[
    "loki_write_sent_entries_total",
    "loki_write_dropped_entries_total",
];

/// `[log_agent]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LogAgent {
    /// Run the log agent on every node (needs `[loki]`).
    pub enabled: bool,
    /// Pinned Grafana Alloy image.
    pub image: Image,
    /// Requests and limits of one node's agent.
    pub resources: Resources,
    /// Also tail Docker's json-file logs (`/var/lib/docker/containers`), for nodes whose
    /// containers Docker runs outside Kubernetes; labelled `job="docker"`.
    pub docker_logs: bool,
    /// JSON fields promoted to labels (keep them few and low-cardinality).
    pub json_labels: Vec<String>,
    /// Lines whose JSON `level` is one of these are dropped before they are sent.
    pub drop_levels: Vec<String>,
    /// Keep only a share of a noisy namespace's lines.
    pub sample: Vec<Sample>,
    pub alerts: Alerts,
}

/// One `[[log_agent.sample]]` entry.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// The namespace whose lines are sampled.
    pub namespace: DnsLabel,
    /// Share of lines kept, above 0 and below 1 (0.1 keeps one in ten).
    pub rate: f64,
}

/// `[log_agent.alerts]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Warning: an agent drops lines it could not push after every retry, for `for`
    /// (default 15m).
    pub dropping_lines: ConditionAlert<DroppingLines>,
}

#[derive(Debug, Clone)]
pub struct DroppingLines;
impl AlertDefaults for DroppingLines {
    fn for_duration() -> Duration {
        duration("15m")
    }
}

impl Default for LogAgent {
    fn default() -> Self {
        LogAgent {
            enabled: true,
            image: Image::parse("docker.io/grafana/alloy:v1.18.1")
                .expect("invariant: valid default"),
            // The seed's Promtail request; tailing bursts need the limit's headroom.
            resources: Resources::new(("50m", "128Mi"), ("200m", "256Mi")),
            docker_logs: false,
            json_labels: vec!["level".into()],
            drop_levels: Vec::new(),
            sample: Vec::new(),
            alerts: Alerts::default(),
        }
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

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl LogAgent {
    fn rules(&self, stack: &Stack) -> Vec<RuleGroup> {
        let a = &self.alerts.dropping_lines;
        if !a.enabled {
            return Vec::new();
        }
        let rule = AlertText {
            name: "LogAgentDroppingLines",
            comment: "Lines dropped after every retry are lost; Loki's own alerts say why it refused them.",
            severity: Severity::Warning,
            summary: "Log agent {{ $labels.pod }} drops log lines",
            description: "The log agent {{ $labels.pod }} drops {{ $value | humanize }} lines per second that it could not push to Loki after every retry; those lines are lost.".into(),
        }
        .rule(
            stack,
            format!("sum by (pod) (rate(loki_write_dropped_entries_total{{job=\"{JOB}\"}}[5m])) > 0"),
            &a.for_duration,
        );
        vec![RuleGroup::new("log-agent.alerts", None, vec![rule]).needing(&[JOB])]
    }
}

impl Component for LogAgent {
    const NAME: &'static str = KEY;
    const FILE: &'static str = "log-agent";

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let mut problems = self.resources.check(&format!("{KEY}.resources"));
        for (i, s) in self.sample.iter().enumerate() {
            if !(s.rate > 0.0 && s.rate < 1.0) {
                problems.push(Problem::error(
                    format!("{KEY}.sample[{i}].rate"),
                    Code::RatioOutOfRange,
                    format!("sample rate {} is not between 0 and 1", s.rate),
                    "keep a share above 0 and below 1, e.g. 0.1 keeps one line in ten; remove the entry to keep every line",
                ));
            }
        }
        for (i, label) in self.json_labels.iter().enumerate() {
            if !is_label_name(label) {
                problems.push(Problem::error(
                    format!("{KEY}.json_labels[{i}]"),
                    Code::InvalidLabelName,
                    format!("`{label}` is not a Loki label name"),
                    "use letters, digits and `_`, not starting with a digit",
                ));
            }
        }
        problems
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        let mut job = ScrapeJob::stack_pods(stack, NAME, service_address(stack), "/metrics");
        job.comment = "The log agent on every node, port http-metrics.".into();
        Contributions {
            scrape_jobs: vec![job.with_metrics(METRICS)],
            rule_groups: self.rules(stack),
            flows: vec![Flow::new(
                Peer::Component(NAME.into()),
                Destination::Port {
                    app: "loki".into(),
                    port: "http".into(),
                },
                "pushes the nodes' logs",
            )],
            needs: vec![Need {
                capability: Capability::Datasource(DatasourceKind::Loki),
                key: format!("{KEY}.enabled"),
                why: "it pushes the nodes' logs to Loki".into(),
            }],
            namespaces: vec![NamespaceRequest {
                name: stack.agents_namespace(),
                pod_security: "privileged",
                reason: "the log agent runs as root to read every pod's log files on the node (read-only hostPath)".into(),
            }],
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        objects::objects(self, cx)
    }
}
