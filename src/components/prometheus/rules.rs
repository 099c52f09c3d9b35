//! Prometheus rule files: the seed's seven alerts (`alerts.yml`) and the recording rules they
//! and the dashboards read (`recording.yml`), from the `[prometheus.alerts]` table.
//!
//! The PromQL lives in `templates/prometheus/{alerts,recording}.yml.j2`; this module supplies
//! thresholds, `for` durations and runbook links, and leaves out disabled alerts. Rules select
//! on the scrape job names fixed in `config.rs` (plus kube-state-metrics' job), so a renamed
//! job cannot silently orphan an alert.

use crate::diag::Code;
use std::collections::BTreeSet;

use anyhow::bail;
use serde::{Deserialize, Serialize};

use super::config::{JOB_APPLICATION_PODS, JOB_CADVISOR, JOB_DAPR, JOB_KAFKA};
use crate::model::{Duration, Problem, Stack};
use crate::templates::Templates;

/// The job kube-state-metrics is scraped under (the name its component offers).
pub const JOB_KUBE_STATE_METRICS: &str = "kube-state-metrics";

/// The `[prometheus.alerts]` table, every value resolved (the seed's defaults are in
/// `From<AlertsTable>`).
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "AlertsTable")]
pub struct Alerts {
    /// Critical: the share of 5xx responses of a service.
    pub high_error_rate: RatioAlert,
    /// Critical: a Kafka cluster has partitions without a leader.
    pub kafka_offline_partitions: ConditionAlert,
    /// Critical: Prometheus cannot scrape a Dapr sidecar.
    pub dapr_sidecar_down: ConditionAlert,
    /// Warning: a service's p95 request latency.
    pub high_latency: LatencyAlert,
    /// Warning: a container's CPU usage as a share of its CPU limit.
    pub high_cpu_usage: RatioAlert,
    /// Warning: a container's working set as a share of its memory limit.
    pub high_memory_usage: RatioAlert,
    /// Warning: a pod that should be running is not ready.
    pub pod_not_ready: ConditionAlert,
}

impl Default for Alerts {
    fn default() -> Self {
        AlertsTable::default().into()
    }
}

/// The table as written: every key optional, so a table that sets one key of an alert keeps
/// that alert's own default for the others.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
struct AlertsTable {
    /// Critical: the share of 5xx responses of a service (default ratio 0.05 for 5m).
    high_error_rate: RatioTable,
    /// Critical: a Kafka cluster has partitions without a leader (default for 1m).
    kafka_offline_partitions: ConditionTable,
    /// Critical: Prometheus cannot scrape a Dapr sidecar (default for 1m).
    dapr_sidecar_down: ConditionTable,
    /// Warning: a service's p95 request latency (default p95 2s for 5m).
    high_latency: LatencyTable,
    /// Warning: a container's CPU usage over its limit (default ratio 0.9 for 10m).
    high_cpu_usage: RatioTable,
    /// Warning: a container's working set over its memory limit (default ratio 0.9 for 10m).
    high_memory_usage: RatioTable,
    /// Warning: a running pod that is not ready (default for 5m).
    pod_not_ready: ConditionTable,
}

/// The profile schema describes the table as written.
impl schemars::JsonSchema for Alerts {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Alerts".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        AlertsTable::json_schema(generator)
    }
}

/// The seed's "Alerting Rules" fill in whatever the profile leaves out.
impl From<AlertsTable> for Alerts {
    fn from(t: AlertsTable) -> Self {
        Alerts {
            high_error_rate: t.high_error_rate.or(0.05, "5m"),
            kafka_offline_partitions: t.kafka_offline_partitions.or("1m"),
            dapr_sidecar_down: t.dapr_sidecar_down.or("1m"),
            high_latency: t.high_latency.or("2s", "5m"),
            high_cpu_usage: t.high_cpu_usage.or(0.9, "10m"),
            high_memory_usage: t.high_memory_usage.or(0.9, "10m"),
            pod_not_ready: t.pod_not_ready.or("5m"),
        }
    }
}

/// An alert on a share of a whole (5xx of all requests, usage of a limit) held for a while.
#[derive(Debug, Clone)]
pub struct RatioAlert {
    /// `false` leaves the alert out of the rule file.
    pub enabled: bool,
    /// Fires above this share, strictly between 0 and 1 (0.05 = 5%).
    pub ratio: f64,
    /// ...once it has held this long.
    pub for_duration: Duration,
}

/// An alert on a condition without a threshold (a target down, a partition offline).
#[derive(Debug, Clone)]
pub struct ConditionAlert {
    /// `false` leaves the alert out of the rule file.
    pub enabled: bool,
    /// Fires once the condition has held this long.
    pub for_duration: Duration,
}

/// HighLatency: the 95th percentile of request durations per service.
#[derive(Debug, Clone)]
pub struct LatencyAlert {
    /// `false` leaves the alert out of the rule file.
    pub enabled: bool,
    /// Fires when the p95 latency is above this. It can only fire if the application's
    /// histogram has a bucket boundary above it.
    pub p95: Duration,
    /// ...once it has held this long.
    pub for_duration: Duration,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
struct RatioTable {
    /// `false` leaves the alert out of the rule file.
    enabled: Option<bool>,
    /// Fires above this share, strictly between 0 and 1 (0.05 = 5%).
    ratio: Option<f64>,
    /// ...once it has held this long.
    #[serde(rename = "for")]
    for_duration: Option<Duration>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
struct ConditionTable {
    /// `false` leaves the alert out of the rule file.
    enabled: Option<bool>,
    /// Fires once the condition has held this long.
    #[serde(rename = "for")]
    for_duration: Option<Duration>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
struct LatencyTable {
    /// `false` leaves the alert out of the rule file.
    enabled: Option<bool>,
    /// Fires when the p95 latency is above this.
    p95: Option<Duration>,
    /// ...once it has held this long.
    #[serde(rename = "for")]
    for_duration: Option<Duration>,
}

impl RatioTable {
    fn or(self, ratio: f64, for_duration: &str) -> RatioAlert {
        RatioAlert {
            enabled: self.enabled.unwrap_or(true),
            ratio: self.ratio.unwrap_or(ratio),
            for_duration: self.for_duration.unwrap_or_else(|| duration(for_duration)),
        }
    }
}

impl ConditionTable {
    fn or(self, for_duration: &str) -> ConditionAlert {
        ConditionAlert {
            enabled: self.enabled.unwrap_or(true),
            for_duration: self.for_duration.unwrap_or_else(|| duration(for_duration)),
        }
    }
}

impl LatencyTable {
    fn or(self, p95: &str, for_duration: &str) -> LatencyAlert {
        LatencyAlert {
            enabled: self.enabled.unwrap_or(true),
            p95: self.p95.unwrap_or_else(|| duration(p95)),
            for_duration: self.for_duration.unwrap_or_else(|| duration(for_duration)),
        }
    }
}

fn duration(text: &str) -> Duration {
    Duration::parse(text).expect("invariant: default durations are valid")
}

impl Alerts {
    /// Value checks; keys are full dotted paths, e.g. "prometheus.alerts.high_error_rate.ratio".
    pub fn check(&self) -> Vec<Problem> {
        let mut problems: Vec<Problem> = [
            ("high_error_rate", self.high_error_rate.ratio),
            ("high_cpu_usage", self.high_cpu_usage.ratio),
            ("high_memory_usage", self.high_memory_usage.ratio),
        ]
        .into_iter()
        .filter_map(|(alert, ratio)| ratio_problem(alert, ratio))
        .collect();
        if self.high_latency.p95.millis() == 0 {
            problems.push(Problem::error(
                "prometheus.alerts.high_latency.p95",
                Code::InvalidValue,
                "high_latency.p95 = \"0s\" would fire for every request",
                "set the latency above which the alert fires, e.g. p95 = \"2s\"",
            ));
        }
        problems
    }

    /// The rule files for the `prometheus-rules` ConfigMap: (file name, content), e.g.
    /// ("alerts.yml", ...), ("recording.yml", ...). `alerts.yml` is left out when every alert
    /// is disabled; a recording group is left out when its job is not in `scraped` (it would
    /// record nothing).
    pub fn rule_files(
        &self,
        stack: &Stack,
        templates: &Templates,
        scraped: &BTreeSet<String>,
    ) -> anyhow::Result<Vec<(String, String)>> {
        if let Some(problem) = self.check().into_iter().find(|p| p.diagnostic.is_error()) {
            bail!(
                "invalid {}: {} (Alerts::check must pass before rendering)",
                problem.key,
                problem.diagnostic.message
            );
        }
        let mut files = Vec::new();
        let alerts = self.alerts_file(stack);
        if alerts.has_rules() {
            let text = templates.render_yaml("prometheus/alerts.yml.j2", &alerts)?;
            files.push(("alerts.yml".to_string(), text));
        }
        let text = templates.render_yaml(
            "prometheus/recording.yml.j2",
            &self.recording_file(stack, scraped),
        )?;
        files.push(("recording.yml".to_string(), text));
        Ok(files)
    }

    fn alerts_file(&self, stack: &Stack) -> AlertsFile {
        let runbook =
            |alert: &str| format!("{}/{alert}", stack.runbook_base_url.trim_end_matches('/'));
        AlertsFile {
            jobs: Jobs::default(),
            high_error_rate: self.high_error_rate.rule(runbook("HighErrorRate")),
            kafka_offline_partitions: self
                .kafka_offline_partitions
                .rule(runbook("KafkaOfflinePartitions")),
            dapr_sidecar_down: self.dapr_sidecar_down.rule(runbook("DaprSidecarDown")),
            high_latency: self.high_latency.rule(runbook("HighLatency")),
            high_cpu_usage: self.high_cpu_usage.rule(runbook("HighCPUUsage")),
            high_memory_usage: self.high_memory_usage.rule(runbook("HighMemoryUsage")),
            pod_not_ready: self.pod_not_ready.rule(runbook("PodNotReady")),
        }
    }

    fn recording_file(&self, stack: &Stack, scraped: &BTreeSet<String>) -> RecordingFile {
        let jobs = Jobs::default();
        let has = |job: &str| scraped.contains(job);
        RecordingFile {
            groups: RecordingGroups {
                application: has(jobs.application_pods),
                kafka: has(jobs.kafka),
                kubernetes: has(jobs.cadvisor),
            },
            jobs,
            http_status_label: stack.http_status_label.as_str().to_string(),
        }
    }
}

impl RatioAlert {
    fn rule(&self, runbook_url: String) -> Option<AlertRule> {
        self.enabled.then(|| AlertRule {
            threshold: Some(self.ratio.to_string()),
            threshold_text: percent(self.ratio),
            for_duration: self.for_duration.to_string(),
            runbook_url,
        })
    }
}

impl ConditionAlert {
    fn rule(&self, runbook_url: String) -> Option<AlertRule> {
        self.enabled.then(|| AlertRule {
            threshold: None,
            threshold_text: String::new(),
            for_duration: self.for_duration.to_string(),
            runbook_url,
        })
    }
}

impl LatencyAlert {
    fn rule(&self, runbook_url: String) -> Option<AlertRule> {
        self.enabled.then(|| AlertRule {
            threshold: Some(self.p95.seconds().to_string()),
            threshold_text: self.p95.to_string(),
            for_duration: self.for_duration.to_string(),
            runbook_url,
        })
    }
}

/// A share must lie strictly between 0 and 1: at 0 the alert always fires, at 1 never.
fn ratio_problem(alert: &str, ratio: f64) -> Option<Problem> {
    (!(ratio > 0.0 && ratio < 1.0)).then(|| {
        Problem::error(
            format!("prometheus.alerts.{alert}.ratio"),
            Code::RatioOutOfRange,
            format!("{alert}.ratio = {ratio} is not a share between 0 and 1"),
            "write the threshold as a fraction, e.g. 0.05 for 5% or 0.9 for 90%",
        )
    })
}

/// A share as people read it: 0.05 → "5%", 0.955 → "95.5%".
fn percent(ratio: f64) -> String {
    let rounded = (ratio * 100.0 * 1e6).round() / 1e6;
    format!("{rounded}%")
}

/// The scrape jobs the rules select on.
#[derive(Debug, Serialize)]
struct Jobs {
    application_pods: &'static str,
    cadvisor: &'static str,
    kube_state_metrics: &'static str,
    dapr: &'static str,
    kafka: &'static str,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            application_pods: JOB_APPLICATION_PODS,
            cadvisor: JOB_CADVISOR,
            kube_state_metrics: JOB_KUBE_STATE_METRICS,
            dapr: JOB_DAPR,
            kafka: JOB_KAFKA,
        }
    }
}

/// The template's view of alerts.yml; a disabled alert is `None`.
#[derive(Debug, Serialize)]
struct AlertsFile {
    jobs: Jobs,
    high_error_rate: Option<AlertRule>,
    kafka_offline_partitions: Option<AlertRule>,
    dapr_sidecar_down: Option<AlertRule>,
    high_latency: Option<AlertRule>,
    high_cpu_usage: Option<AlertRule>,
    high_memory_usage: Option<AlertRule>,
    pod_not_ready: Option<AlertRule>,
}

impl AlertsFile {
    fn has_rules(&self) -> bool {
        [
            &self.high_error_rate,
            &self.kafka_offline_partitions,
            &self.dapr_sidecar_down,
            &self.high_latency,
            &self.high_cpu_usage,
            &self.high_memory_usage,
            &self.pod_not_ready,
        ]
        .iter()
        .any(|rule| rule.is_some())
    }
}

/// One enabled alert's profile-derived values.
#[derive(Debug, Serialize)]
struct AlertRule {
    /// The PromQL number the expression compares with (seconds for latency).
    threshold: Option<String>,
    /// The threshold as the annotations state it: "5%", "2s".
    threshold_text: String,
    for_duration: String,
    runbook_url: String,
}

/// The template's view of recording.yml.
#[derive(Debug, Serialize)]
struct RecordingFile {
    groups: RecordingGroups,
    jobs: Jobs,
    http_status_label: String,
}

/// Which recording groups have data to record.
#[derive(Debug, Serialize)]
struct RecordingGroups {
    application: bool,
    kafka: bool,
    kubernetes: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_jobs() -> BTreeSet<String> {
        let j = Jobs::default();
        [
            j.application_pods,
            j.cadvisor,
            j.kube_state_metrics,
            j.dapr,
            j.kafka,
        ]
        .map(String::from)
        .into()
    }

    fn files(alerts: &Alerts) -> std::collections::BTreeMap<String, String> {
        let templates = Templates::load().unwrap();
        alerts
            .rule_files(&Stack::default(), &templates, &all_jobs())
            .unwrap()
            .into_iter()
            .collect()
    }

    fn parse(toml_text: &str) -> Result<Alerts, toml::de::Error> {
        toml::from_str(toml_text)
    }

    #[test]
    fn defaults_are_the_seed_thresholds() {
        let a = Alerts::default();
        assert_eq!(a.high_error_rate.ratio, 0.05);
        assert_eq!(a.high_error_rate.for_duration.as_str(), "5m");
        assert_eq!(a.high_latency.p95.as_str(), "2s");
        assert_eq!(a.high_latency.for_duration.as_str(), "5m");
        assert_eq!(a.high_cpu_usage.ratio, 0.9);
        assert_eq!(a.high_cpu_usage.for_duration.as_str(), "10m");
        assert_eq!(a.high_memory_usage.ratio, 0.9);
        assert_eq!(a.high_memory_usage.for_duration.as_str(), "10m");
        assert_eq!(a.pod_not_ready.for_duration.as_str(), "5m");
        assert_eq!(a.kafka_offline_partitions.for_duration.as_str(), "1m");
        assert_eq!(a.dapr_sidecar_down.for_duration.as_str(), "1m");
        assert!(a.check().is_empty());
    }

    #[test]
    fn a_partial_table_keeps_that_alerts_own_defaults() {
        let a =
            parse("[high_cpu_usage]\nfor = \"15m\"\n[high_error_rate]\nenabled = false\n").unwrap();
        assert_eq!(a.high_cpu_usage.ratio, 0.9);
        assert_eq!(a.high_cpu_usage.for_duration.as_str(), "15m");
        assert_eq!(a.high_error_rate.ratio, 0.05);
        assert!(!a.high_error_rate.enabled);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = parse("[high_latency]\np99 = \"1s\"\n").unwrap_err();
        assert!(err.message().contains("unknown field `p99`"), "{err}");
        let err = parse("http_status_label = \"code\"\n").unwrap_err();
        assert!(
            err.message().contains("unknown field"),
            "moved to [stack]: {err}"
        );
    }

    #[test]
    fn ratios_outside_zero_and_one_are_reported_by_key() {
        let a = parse(
            "[high_error_rate]\nratio = 5.0\n[high_memory_usage]\nratio = 0.0\n[high_latency]\np95 = \"0s\"\n",
        )
        .unwrap();
        let keys: Vec<String> = a.check().into_iter().map(|p| p.key).collect();
        assert_eq!(
            keys,
            [
                "prometheus.alerts.high_error_rate.ratio",
                "prometheus.alerts.high_memory_usage.ratio",
                "prometheus.alerts.high_latency.p95",
            ]
        );
        let nan = parse("[high_cpu_usage]\nratio = nan\n").unwrap();
        assert_eq!(nan.check().len(), 1);
    }

    #[test]
    fn rendering_refuses_values_that_fail_the_checks() {
        let mut a = Alerts::default();
        a.high_cpu_usage.ratio = f64::INFINITY;
        let templates = Templates::load().unwrap();
        let err = a
            .rule_files(&Stack::default(), &templates, &all_jobs())
            .unwrap_err();
        assert!(err.to_string().contains("high_cpu_usage.ratio"), "{err}");
    }

    #[test]
    fn thresholds_and_durations_reach_the_expressions() {
        let a = parse(
            "[high_error_rate]\nratio = 0.1\nfor = \"3m\"\n[high_latency]\np95 = \"1500ms\"\n[high_cpu_usage]\nratio = 0.85\n",
        )
        .unwrap();
        let alerts = &files(&a)["alerts.yml"];
        assert!(
            alerts.contains("namespace_service:http_requests_errors:ratio_rate5m > 0.1\n"),
            "{alerts}"
        );
        assert!(
            alerts.contains("namespace_service:http_request_duration_seconds:p95_5m > 1.5\n"),
            "{alerts}"
        );
        assert!(alerts.contains("> 0.85\n"), "{alerts}");
        assert!(alerts.contains("for: 3m\n"), "{alerts}");
        assert!(alerts.contains("(threshold 10%)"), "{alerts}");
        assert!(alerts.contains("(threshold 1500ms)"), "{alerts}");
    }

    #[test]
    fn go_templates_in_annotations_reach_the_file_intact() {
        let alerts = &files(&Alerts::default())["alerts.yml"];
        for go in [
            "{{ $labels.namespace }}/{{ $labels.service }}",
            "{{ $value | humanizePercentage }}",
            "{{ $value | humanizeDuration }}",
            "{{ $labels.pod }}",
            "{{ $labels.container }}",
            "{{ $labels.app_id }}",
            "{{ $labels.strimzi_cluster }}",
            "{{ $value }}",
        ] {
            assert!(alerts.contains(go), "{go} missing from\n{alerts}");
        }
        assert!(!alerts.contains("{%"), "a Jinja tag leaked into\n{alerts}");
    }

    #[test]
    fn every_alert_links_its_runbook_and_has_a_severity() {
        let stack = Stack {
            runbook_base_url: "https://runbooks.example.com/alerts/".into(),
            ..Stack::default()
        };
        let templates = Templates::load().unwrap();
        let files: std::collections::BTreeMap<_, _> = Alerts::default()
            .rule_files(&stack, &templates, &all_jobs())
            .unwrap()
            .into_iter()
            .collect();
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&files["alerts.yml"]).unwrap();
        let mut names = Vec::new();
        for group in doc["groups"].as_sequence().unwrap() {
            for rule in group["rules"].as_sequence().unwrap() {
                let name = rule["alert"].as_str().unwrap();
                names.push(name.to_string());
                assert_eq!(
                    rule["annotations"]["runbook_url"].as_str(),
                    Some(format!("https://runbooks.example.com/alerts/{name}").as_str())
                );
                let severity = rule["labels"]["severity"].as_str().unwrap();
                assert!(
                    ["critical", "warning"].contains(&severity),
                    "{name}: {severity}"
                );
            }
        }
        names.sort();
        assert_eq!(
            names,
            [
                "DaprSidecarDown",
                "HighCPUUsage",
                "HighErrorRate",
                "HighLatency",
                "HighMemoryUsage",
                "KafkaOfflinePartitions",
                "PodNotReady",
            ]
        );
    }

    #[test]
    fn disabled_alerts_are_left_out_and_recording_rules_stay() {
        let a = parse("[kafka_offline_partitions]\nenabled = false\n").unwrap();
        let alerts = &files(&a)["alerts.yml"];
        assert!(!alerts.contains("KafkaOfflinePartitions"), "{alerts}");
        assert!(alerts.contains("DaprSidecarDown"), "{alerts}");

        let mut none = Alerts::default();
        none.high_error_rate.enabled = false;
        none.kafka_offline_partitions.enabled = false;
        none.dapr_sidecar_down.enabled = false;
        none.high_latency.enabled = false;
        none.high_cpu_usage.enabled = false;
        none.high_memory_usage.enabled = false;
        none.pod_not_ready.enabled = false;
        let names: Vec<String> = files(&none).into_keys().collect();
        assert_eq!(names, ["recording.yml"]);
    }

    #[test]
    fn the_status_label_is_the_configured_one() {
        let stack = Stack {
            http_status_label: crate::model::LabelName::try_from("code".to_string()).unwrap(),
            ..Stack::default()
        };
        let templates = Templates::load().unwrap();
        let files: std::collections::BTreeMap<String, String> = Alerts::default()
            .rule_files(&stack, &templates, &all_jobs())
            .unwrap()
            .into_iter()
            .collect();
        let recording = &files["recording.yml"];
        assert!(recording.contains("code=~\"5..\""), "{recording}");
        assert!(!recording.contains("status=~"), "{recording}");
    }

    #[test]
    fn recording_groups_without_a_scraped_job_are_left_out() {
        let templates = Templates::load().unwrap();
        let mut jobs = all_jobs();
        jobs.remove(Jobs::default().kafka);
        let files: std::collections::BTreeMap<String, String> = Alerts::default()
            .rule_files(&Stack::default(), &templates, &jobs)
            .unwrap()
            .into_iter()
            .collect();
        let recording = &files["recording.yml"];
        assert!(!recording.contains("kafka.rules"), "{recording}");
        assert!(recording.contains("application.rules") && recording.contains("kubernetes.rules"));
        let none = Alerts::default()
            .rule_files(&Stack::default(), &templates, &BTreeSet::new())
            .unwrap();
        let empty: serde_yaml_ng::Value = serde_yaml_ng::from_str(&none.last().unwrap().1).unwrap();
        assert_eq!(empty["groups"].as_sequence().map(Vec::len), Some(0));
    }

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(percent(0.05), "5%");
        assert_eq!(percent(0.9), "90%");
        assert_eq!(percent(0.955), "95.5%");
    }
}
