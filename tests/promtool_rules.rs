//! The Prometheus rule files, checked by the real promtool (2.42) through the real render:
//! - every profile's `prometheus-rules` ConfigMap passes `promtool check rules --lint-fatal`;
//! - `promtool test rules` proves each alert fires on series past its threshold once its `for`
//!   has elapsed, and stays silent below the threshold and before `for` elapses;
//! - every recording rule computes what its name says;
//! - the Go templates in annotations reach the file intact and expand as written.
//!
//! Thresholds and `for` differ between profiles, so the promtool test files are generated here
//! from each profile's alert tables (`[<component>.alerts]`, read with the `toml` crate,
//! falling back to the seed's values, which are also the compiler's defaults), never written
//! for one profile. Each contributing component has its own rule file; promtool loads them all.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use monstack::model::Duration;
use serde_yaml_ng::Value;
use tempfile::TempDir;

/// Series interval and rule evaluation interval of the generated tests, in seconds.
const STEP: u64 = 15;
/// The SLO component's rule file (tests/slo.rs tests it).
const SLO_RULE_FILE: &str = "slo.yml";
/// Profiles beyond the shipped ones: settings that differ from every default.
const FIXTURES: &[&str] = &["tests/promtool/custom-thresholds.toml"];

/// The shipped profiles and the fixtures.
fn profiles() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = common::shipped_profiles();
    all.extend(FIXTURES.iter().map(|f| root.join(f)));
    all
}

fn promtool() -> Option<PathBuf> {
    common::require_tool("promtool")
}

// ---------------------------------------------------------------------------------------------
// The rendered rule files

/// A profile's rendered rule files, written into a temporary directory for promtool.
struct Rendered {
    profile: String,
    dir: TempDir,
    files: BTreeMap<String, String>,
    scrape_jobs: BTreeSet<String>,
}

fn render(profile: &Path) -> Rendered {
    let c = common::compile(profile);
    let files = common::config_map(&c, "prometheus-rules");
    assert!(!files.is_empty(), "{}: no rule files", profile.display());
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).expect("write rule file");
    }
    let prometheus_yml = common::config_map(&c, "prometheus-config")
        .remove("prometheus.yml")
        .expect("prometheus.yml in prometheus-config");
    Rendered {
        profile: profile.display().to_string(),
        dir,
        files,
        scrape_jobs: scrape_jobs(&prometheus_yml),
    }
}

fn scrape_jobs(prometheus_yml: &str) -> BTreeSet<String> {
    let doc: Value = serde_yaml_ng::from_str(prometheus_yml).expect("prometheus.yml parses");
    doc["scrape_configs"]
        .as_sequence()
        .map(|jobs| {
            jobs.iter()
                .filter_map(|j| j["job_name"].as_str())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

impl Rendered {
    /// Every rule of every rule file, as parsed YAML, except the SLO rules: they are generated
    /// from the profile's `[[slo]]` entries and tested in tests/slo.rs.
    fn rules(&self) -> Vec<Value> {
        self.files
            .iter()
            .filter(|(name, _)| name.as_str() != SLO_RULE_FILE)
            .flat_map(|(_, text)| {
                let doc: Value = serde_yaml_ng::from_str(text).expect("rule file parses");
                doc["groups"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .flat_map(|g| g["rules"].as_sequence().cloned().unwrap_or_default())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn alert(&self, name: &str) -> Option<Value> {
        self.rules()
            .into_iter()
            .find(|r| r["alert"].as_str() == Some(name))
    }

    /// The annotations of alert `name`, as written in the file (Go templates unexpanded).
    fn annotations(&self, name: &str) -> BTreeMap<String, String> {
        let rule = self
            .alert(name)
            .unwrap_or_else(|| panic!("{}: no alert {name}", self.profile));
        serde_yaml_ng::from_value(rule["annotations"].clone()).expect("annotations are strings")
    }

    /// The file names promtool loads. Each component's file lists its recording groups before
    /// the alerts that read them.
    fn rule_file_names(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }
}

// ---------------------------------------------------------------------------------------------
// What a profile asks of its alerts

/// An alert's threshold kind and the seed's value for it.
#[derive(Debug, Clone, Copy)]
enum Threshold {
    /// `ratio = <f64>`.
    Ratio(f64),
    /// `p95 = "<duration>"`, compared in seconds.
    Latency(&'static str),
    /// `above = <count>`.
    Count(u64),
    /// The component's `replicas` (AlertmanagerClusterMembersMissing, only with several).
    Replicas(i64),
    None,
}

/// Alert name, the component (profile table) that owns it, its key under `.alerts`, threshold
/// and `for`: the seed's "Alerting Rules" and node-exporter's, which are the compiler's
/// defaults. A disabled component renders none of its alerts.
const SEED: [(&str, &str, &str, Threshold, &str); 39] = [
    (
        "ElevatedLatency",
        "applications",
        "elevated_latency",
        Threshold::Latency("1s"),
        "10m",
    ),
    (
        "CriticalMemoryUsage",
        "kubelet",
        "critical_memory_usage",
        Threshold::Ratio(0.97),
        "5m",
    ),
    (
        "ElevatedKafkaConsumerLag",
        "kafka",
        "elevated_consumer_lag",
        Threshold::Count(1000),
        "10m",
    ),
    (
        "HighKafkaConsumerLag",
        "kafka",
        "high_consumer_lag",
        Threshold::Count(10_000),
        "10m",
    ),
    (
        "Watchdog",
        "alertmanager",
        "watchdog",
        Threshold::None,
        "0s",
    ),
    (
        "AlertmanagerNotificationsFailing",
        "alertmanager",
        "notifications_failing",
        Threshold::Ratio(0.01),
        "15m",
    ),
    (
        "AlertmanagerConfigReloadFailed",
        "alertmanager",
        "config_reload_failed",
        Threshold::None,
        "10m",
    ),
    (
        "AlertmanagerClusterMembersMissing",
        "alertmanager",
        "cluster_members_missing",
        Threshold::Replicas(2),
        "15m",
    ),
    (
        "PrometheusRuleEvaluationFailures",
        "prometheus",
        "rule_failures",
        Threshold::None,
        "15m",
    ),
    (
        "PrometheusNotificationsFailing",
        "prometheus",
        "notifications_failing",
        Threshold::Ratio(0.01),
        "15m",
    ),
    (
        "PrometheusDroppingAlerts",
        "prometheus",
        "notifications_dropped",
        Threshold::None,
        "5m",
    ),
    (
        "PrometheusConfigReloadFailed",
        "prometheus",
        "config_reload_failed",
        Threshold::None,
        "10m",
    ),
    (
        "PrometheusTSDBFailures",
        "prometheus",
        "tsdb_failures",
        Threshold::None,
        "15m",
    ),
    (
        "MonitoringTargetDown",
        "prometheus",
        "target_down",
        Threshold::None,
        "5m",
    ),
    (
        "ElevatedErrorRate",
        "applications",
        "elevated_error_rate",
        Threshold::Ratio(0.02),
        "10m",
    ),
    (
        "HighErrorRate",
        "applications",
        "high_error_rate",
        Threshold::Ratio(0.05),
        "5m",
    ),
    (
        "KafkaOfflinePartitions",
        "kafka",
        "offline_partitions",
        Threshold::None,
        "1m",
    ),
    (
        "DaprSidecarDown",
        "dapr",
        "sidecar_down",
        Threshold::None,
        "1m",
    ),
    (
        "HighLatency",
        "applications",
        "high_latency",
        Threshold::Latency("2s"),
        "5m",
    ),
    (
        "HighCPUUsage",
        "kubelet",
        "high_cpu_usage",
        Threshold::Ratio(0.9),
        "10m",
    ),
    (
        "HighMemoryUsage",
        "kubelet",
        "high_memory_usage",
        Threshold::Ratio(0.9),
        "10m",
    ),
    (
        "PodNotReady",
        "kube_state_metrics",
        "pod_not_ready",
        Threshold::None,
        "5m",
    ),
    (
        "NodeFilesystemFillingUp",
        "node_exporter",
        "filesystem_filling_up",
        Threshold::Ratio(0.15),
        "1h",
    ),
    (
        "NodeFilesystemAlmostFull",
        "node_exporter",
        "filesystem_almost_full",
        Threshold::Ratio(0.05),
        "30m",
    ),
    (
        "NodeMemoryPressure",
        "node_exporter",
        "memory_pressure",
        Threshold::Ratio(0.9),
        "15m",
    ),
    (
        "LokiRequestErrors",
        "loki",
        "request_errors",
        Threshold::Ratio(0.05),
        "15m",
    ),
    (
        "LokiDiscardingLines",
        "loki",
        "discarded_lines",
        Threshold::None,
        "15m",
    ),
    (
        "LokiCompactorNotRunning",
        "loki",
        "compactor_not_running",
        Threshold::None,
        "30m",
    ),
    (
        "LogAgentDroppingLines",
        "log_agent",
        "dropping_lines",
        Threshold::None,
        "15m",
    ),
    (
        "JaegerSpansRefused",
        "jaeger",
        "spans_refused",
        Threshold::Ratio(0.01),
        "5m",
    ),
    (
        "JaegerExportFailures",
        "jaeger",
        "export_failures",
        Threshold::Ratio(0.01),
        "5m",
    ),
    (
        "JaegerServiceErrorRate",
        "jaeger",
        "span_error_rate",
        Threshold::Ratio(0.05),
        "5m",
    ),
    (
        "JaegerServiceLatency",
        "jaeger",
        "span_latency",
        Threshold::Latency("2s"),
        "5m",
    ),
    (
        "ElasticsearchClusterRed",
        "elasticsearch",
        "cluster_red",
        Threshold::None,
        "5m",
    ),
    (
        "ElasticsearchDiskAlmostFull",
        "elasticsearch",
        "disk_almost_full",
        Threshold::Ratio(0.1),
        "10m",
    ),
    (
        "ThanosCompactorHalted",
        "thanos",
        "compactor_halted",
        Threshold::None,
        "5m",
    ),
    (
        "ThanosSidecarUploadFailures",
        "thanos",
        "upload_failures",
        Threshold::None,
        "5m",
    ),
    (
        "ThanosStoreErrors",
        "thanos",
        "store_errors",
        Threshold::Ratio(0.05),
        "5m",
    ),
    (
        "ThanosSidecarPrometheusDown",
        "thanos",
        "prometheus_unreachable",
        Threshold::None,
        "15m",
    ),
];

/// Components a profile must turn on (`enabled = true`); the others are on unless turned off.
const OFF_BY_DEFAULT: &[&str] = &["thanos"];

/// One alert as the profile sets it.
#[derive(Debug, Clone, Copy)]
struct Setting {
    enabled: bool,
    /// The ratio, or the latency in seconds; 0 for alerts without a threshold.
    threshold: f64,
    for_ms: u64,
}

/// The alert tables of one profile with the seed's values filled in.
struct ProfileAlerts {
    status_label: String,
    alerts: BTreeMap<&'static str, Setting>,
}

fn profile_alerts(profile: &Path) -> ProfileAlerts {
    // The merged profile (its `extends` chain included), as monstack reads it.
    let sources = monstack::profile::load_chain(Some(profile)).expect("profile loads");
    let doc = monstack::model::Document::parse(&sources).expect("profile is TOML");
    let table = |name: &str| -> toml::Table {
        let value: serde_json::Value = doc.section(name).expect("the table reads");
        serde_json::from_value(value).expect("a table")
    };
    let stack = table("stack");
    let alerts = SEED
        .iter()
        .map(|&(name, component, key, threshold, for_default)| {
            let owner = table(component);
            let table = owner
                .get("alerts")
                .and_then(|a| a.get(key))
                .and_then(|t| t.as_table())
                .cloned()
                .unwrap_or_default();
            let mut s = setting(&table, threshold, for_default);
            if let Threshold::Replicas(seed) = threshold {
                let replicas = owner
                    .get("replicas")
                    .and_then(|v| v.as_integer())
                    .unwrap_or(seed);
                s.threshold = replicas as f64;
                s.enabled &= replicas > 1;
            }
            s.enabled &= owner
                .get("enabled")
                .and_then(|v| v.as_bool())
                .unwrap_or(!OFF_BY_DEFAULT.contains(&component));
            (name, s)
        })
        .collect();
    ProfileAlerts {
        status_label: stack
            .get("http_status_label")
            .and_then(|v| v.as_str())
            .unwrap_or("status")
            .to_string(),
        alerts,
    }
}

fn setting(table: &toml::Table, threshold: Threshold, for_default: &str) -> Setting {
    let number = |key: &str| {
        let v = table.get(key)?;
        v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
    };
    let seconds = |text: &str| Duration::parse(text).expect("valid duration").seconds();
    let text = |key: &str| table.get(key).and_then(|v| v.as_str()).map(String::from);
    Setting {
        enabled: table
            .get("enabled")
            .and_then(|v| v.as_bool())
            .unwrap_or(true),
        threshold: match threshold {
            Threshold::Ratio(seed) => number("ratio").unwrap_or(seed),
            Threshold::Latency(seed) => seconds(&text("p95").unwrap_or_else(|| seed.into())),
            Threshold::Count(seed) => number("above").unwrap_or(seed as f64),
            Threshold::None | Threshold::Replicas(_) => 0.0,
        },
        for_ms: Duration::parse(&text("for").unwrap_or_else(|| for_default.into()))
            .expect("valid duration")
            .millis(),
    }
}

// ---------------------------------------------------------------------------------------------
// promtool test files

use common::promtool::{AlertTest, ExpAlert, ExprTest, Sample, Series, TestFile, TestGroup};

fn seconds(s: u64) -> String {
    format!("{s}s")
}

/// `name{k="v", ...}`.
fn selector(name: &str, labels: &[(&str, &str)]) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{name}{{{}}}", inner.join(", "))
}

fn series(name: &str, labels: &[(&str, &str)], values: String) -> Series {
    Series {
        series: selector(name, labels),
        values,
    }
}

/// A counter from 0 growing by `per_step` every step, for `steps` steps.
fn counter(per_step: f64, steps: u64) -> String {
    format!("0+{per_step}x{steps}")
}

fn gauge(value: f64, steps: u64) -> String {
    format!("{value}+0x{steps}")
}

/// When an alert whose condition holds from the start must be firing, and when it must still
/// be pending (only when `for` spans at least two steps).
struct Timing {
    steps: u64,
    fire_at: u64,
    pending_at: Option<u64>,
}

/// `warmup_s`: how long the synthetic series take to cross the threshold (0 for gauges, one
/// step for ratios of rates, the 5m window for a rate compared with a fixed limit). Two more
/// steps allow for alerts reading recording rules one evaluation late, so the firing check
/// bounds `for` from above as tightly as the pending check bounds it from below.
fn timing(for_ms: u64, warmup_s: u64) -> Timing {
    let fire_at = (for_ms + (warmup_s + 2 * STEP) * 1000).div_ceil(STEP * 1000) * STEP;
    let pending_at = (for_ms >= 2 * STEP * 1000).then(|| (for_ms / 1000 - STEP) / STEP * STEP);
    Timing {
        steps: fire_at / STEP,
        fire_at,
        pending_at,
    }
}

/// Shares just past and just short of `ratio` (10% of the room to 0 or 1, rounded to 0.01%),
/// so a threshold rendered wrong by more than that fails one of the two.
fn above(ratio: f64) -> f64 {
    let v = ((ratio + margin(ratio)) * 10_000.0).round() / 10_000.0;
    assert!(v > ratio && v < 1.0, "no room above ratio {ratio}");
    v
}

fn below(ratio: f64) -> f64 {
    let v = ((ratio - margin(ratio)) * 10_000.0).round() / 10_000.0;
    assert!(v < ratio && v > 0.0, "no room below ratio {ratio}");
    v
}

fn margin(ratio: f64) -> f64 {
    ratio.min(1.0 - ratio) / 10.0
}

/// The alert test pair every alert gets: exactly `expected` firing at `fire_at`, nothing
/// firing while `for` has not elapsed.
fn alert_checks(alert: &str, t: &Timing, expected: ExpAlert) -> Vec<AlertTest> {
    alert_checks_all(alert, t, vec![expected])
}

/// [`alert_checks`] for several alerts firing at once.
fn alert_checks_all(alert: &str, t: &Timing, expected: Vec<ExpAlert>) -> Vec<AlertTest> {
    let mut checks = vec![AlertTest {
        eval_time: seconds(t.fire_at),
        alertname: alert.into(),
        exp_alerts: expected,
    }];
    if let Some(at) = t.pending_at {
        checks.push(AlertTest {
            eval_time: seconds(at),
            alertname: alert.into(),
            exp_alerts: Vec::new(),
        });
    }
    checks
}

/// The alert promtool must report: all its labels, and its annotations as Prometheus expands
/// the file's Go templates for those labels and `value`.
fn expected(
    r: &Rendered,
    alert: &str,
    severity: &str,
    labels: &[(&str, &str)],
    value: f64,
) -> ExpAlert {
    let mut exp_labels: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let rule = r
        .alert(alert)
        .unwrap_or_else(|| panic!("{}: no alert {alert}", r.profile));
    let rule_labels: BTreeMap<String, String> =
        serde_yaml_ng::from_value(rule["labels"].clone()).expect("rule labels are strings");
    assert_eq!(
        rule_labels.get("severity").map(String::as_str),
        Some(severity),
        "{}: severity of {alert}",
        r.profile
    );
    // The rule's own labels (severity, and alert_group for a staged alert) join the series'.
    exp_labels.extend(rule_labels);
    let exp_annotations = r
        .annotations(alert)
        .into_iter()
        .map(|(k, template)| {
            let text = expand(&template, &exp_labels, value);
            assert!(
                !text.contains("{{"),
                "{}: annotation {k} of {alert} uses a Go template this test cannot expand: {template}",
                r.profile
            );
            (k, text)
        })
        .collect();
    ExpAlert {
        exp_labels,
        exp_annotations,
    }
}

/// Expands the Go templates the rule files use, as Prometheus does.
fn expand(template: &str, labels: &BTreeMap<String, String>, value: f64) -> String {
    let mut text = template.to_string();
    for (k, v) in labels {
        text = text.replace(&format!("{{{{ $labels.{k} }}}}"), v);
    }
    text.replace(
        "{{ $value | humanizePercentage }}",
        &format!("{}%", go_g4(value * 100.0)),
    )
    .replace("{{ $value | humanizeDuration }}", &go_duration(value))
    // Prometheus' humanize is `%.4g` for values from 1 to 1000 (the tests keep them there).
    .replace("{{ $value | humanize }}", &go_g4(value))
    .replace("{{ $value }}", &value.to_string())
}

/// Go's `%.4g`: four significant digits, trailing zeros dropped, exponent outside 1e-4..1e4.
fn go_g4(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let sci = format!("{v:.3e}");
    let (mantissa, exp) = sci.split_once('e').expect("scientific notation");
    let exp: i32 = exp.parse().expect("exponent");
    let trim = |s: &str| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..4).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{}e{sign}{:02}", trim(mantissa), exp.abs());
    }
    let decimals = usize::try_from(3 - exp).unwrap_or(0);
    trim(&format!("{v:.decimals$}"))
}

/// Prometheus' `humanizeDuration` for a non-negative number of seconds.
fn go_duration(v: f64) -> String {
    if v == 0.0 {
        return "0s".into();
    }
    if v >= 1.0 {
        let whole = v.trunc() as u64;
        let (days, hours, minutes, secs) = (
            whole / 86_400,
            whole / 3600 % 24,
            whole / 60 % 60,
            whole % 60,
        );
        return match (days, hours, minutes) {
            (0, 0, 0) => format!("{}s", go_g4(v)),
            (0, 0, _) => format!("{minutes}m {secs}s"),
            (0, _, _) => format!("{hours}h {minutes}m {secs}s"),
            _ => format!("{days}d {hours}h {minutes}m {secs}s"),
        };
    }
    let mut v = v;
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", go_g4(v))
}

// ---------------------------------------------------------------------------------------------
// One test group per alert: series past and below the threshold side by side

const APP_NS: &str = "shop";

/// The warning stage of HighErrorRate: a share past its own, lower threshold fires, one below
/// does not.
fn elevated_error_rate(r: &Rendered, p: &ProfileAlerts, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let (warm, cold) = (above(s.threshold), below(s.threshold));
    TestGroup {
        name: format!(
            "ElevatedErrorRate: 5xx share {warm} fires, {cold} does not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series: vec![
            app_requests(p, "warm", "200", 1.0 - warm, t.steps),
            app_requests(p, "warm", "500", warm, t.steps),
            app_requests(p, "cold", "200", 1.0 - cold, t.steps),
            app_requests(p, "cold", "503", cold, t.steps),
        ],
        alert_rule_test: alert_checks(
            "ElevatedErrorRate",
            &t,
            expected(
                r,
                "ElevatedErrorRate",
                "warning",
                &[("namespace", APP_NS), ("service", "warm")],
                warm,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// An application pod's request counter: `share` of 100 requests per step answered `status`.
fn app_requests(p: &ProfileAlerts, service: &str, status: &str, share: f64, steps: u64) -> Series {
    let labels = [
        ("job", "kubernetes-pods"),
        ("namespace", APP_NS),
        ("service", service),
        ("pod", &format!("{service}-1")),
        (p.status_label.as_str(), status),
    ];
    series(
        "http_requests_total",
        &labels,
        counter(100.0 * share, steps),
    )
}

fn high_error_rate(r: &Rendered, p: &ProfileAlerts, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let (hot, cold) = (above(s.threshold), below(s.threshold));
    let requests =
        |service: &str, status: &str, share: f64| app_requests(p, service, status, share, t.steps);
    TestGroup {
        name: format!(
            "HighErrorRate: 5xx share {hot} fires, {cold} does not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series: vec![
            requests("hot", "200", 1.0 - hot),
            requests("hot", "500", hot),
            requests("cold", "200", 1.0 - cold),
            requests("cold", "503", cold),
        ],
        alert_rule_test: alert_checks(
            "HighErrorRate",
            &t,
            expected(
                r,
                "HighErrorRate",
                "critical",
                &[("namespace", APP_NS), ("service", "hot")],
                hot,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// A latency stage (`alert` at `severity`): p95 past its threshold fires, just below does not.
fn latency(r: &Rendered, s: Setting, alert: &str, severity: &str) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let limit = s.threshold;
    let bounds = [0.9 * limit, limit, 1.1 * limit, 2.0 * limit];
    // Every request of `service` takes between bounds[lower] and bounds[lower + 1]; 60 per
    // step is 4/s, so promtool's 95% rank divides into exactly 0.95.
    let histogram = |service: &str, lower: usize| {
        let le = bounds
            .iter()
            .map(|b| b.to_string())
            .chain(["+Inf".to_string()]);
        le.enumerate()
            .map(|(i, le)| {
                let labels = [
                    ("job", "kubernetes-pods"),
                    ("namespace", APP_NS),
                    ("service", service),
                    ("pod", &format!("{service}-1")),
                    ("le", &le),
                ];
                let per_step = if i > lower { 60.0 } else { 0.0 };
                series(
                    "http_request_duration_seconds_bucket",
                    &labels,
                    counter(per_step, t.steps),
                )
            })
            .collect::<Vec<_>>()
    };
    // p95 lies 95% into the requests' bucket: 1.095 times the threshold, or 0.995 times it.
    let p95 = |lower: usize| bounds[lower] + (bounds[lower + 1] - bounds[lower]) * 0.95;
    let mut input_series = histogram("slow", 1);
    input_series.extend(histogram("fast", 0));
    TestGroup {
        name: format!(
            "{alert}: p95 {}s fires, {}s does not (threshold {limit}s)",
            p95(1),
            p95(0)
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            alert,
            &t,
            expected(
                r,
                alert,
                severity,
                &[("namespace", APP_NS), ("service", "slow")],
                p95(1),
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// kube-state-metrics' limit series for one container.
fn limit(pod: &str, container: &str, resource: &str, value: f64, steps: u64) -> Series {
    let unit = if resource == "cpu" { "core" } else { "byte" };
    let labels = [
        ("job", "kube-state-metrics"),
        ("namespace", APP_NS),
        ("pod", pod),
        ("container", container),
        ("node", "node-1"),
        ("uid", &format!("uid-{pod}")),
        ("resource", resource),
        ("unit", unit),
    ];
    series(
        "kube_pod_container_resource_limits",
        &labels,
        gauge(value, steps),
    )
}

fn cadvisor(name: &str, pod: &str, container: &str, id: &str, values: String) -> Series {
    let labels = [
        ("job", "kubernetes-cadvisor"),
        ("namespace", APP_NS),
        ("pod", pod),
        ("container", container),
        ("id", id),
        ("node", "node-1"),
    ];
    series(name, &labels, values)
}

const CPU_LIMIT: f64 = 0.5;
const MEMORY_LIMIT: f64 = 1_073_741_824.0;

fn high_cpu_usage(r: &Rendered, s: Setting) -> TestGroup {
    // A counter starting at 0 reaches its full rate once the 5m window is full.
    let t = timing(s.for_ms, 300);
    let (hot, cold) = (above(s.threshold), below(s.threshold));
    let usage = |pod: &str, share: f64| {
        let per_step = share * CPU_LIMIT * STEP as f64;
        cadvisor(
            "container_cpu_usage_seconds_total",
            pod,
            "app",
            &format!("/{pod}"),
            counter(per_step, t.steps),
        )
    };
    let mut input_series = vec![
        usage("hot-1", hot),
        usage("cold-1", cold),
        usage("unlimited-1", 4.0),
    ];
    for pod in ["hot-1", "cold-1"] {
        input_series.push(limit(pod, "app", "cpu", CPU_LIMIT, t.steps));
        input_series.push(limit(pod, "app", "memory", MEMORY_LIMIT, t.steps));
    }
    let labels = [
        ("namespace", APP_NS),
        ("pod", "hot-1"),
        ("container", "app"),
    ];
    TestGroup {
        name: format!(
            "HighCPUUsage: {hot} of the limit fires, {cold} and no limit do not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            "HighCPUUsage",
            &t,
            expected(r, "HighCPUUsage", "warning", &labels, hot),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// A memory stage (`alert` at `severity`): a working set past its share of the limit fires.
fn memory_usage(r: &Rendered, s: Setting, alert: &str, severity: &str) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let (hot, cold) = (above(s.threshold), below(s.threshold));
    let working_set = |pod: &str, id: &str, share: f64| {
        cadvisor(
            "container_memory_working_set_bytes",
            pod,
            "app",
            id,
            gauge(share * MEMORY_LIMIT, t.steps),
        )
    };
    let mut input_series = vec![
        working_set("hot-1", "/hot-1/new", hot),
        // The old container of a restart, briefly reported beside the new one.
        working_set("hot-1", "/hot-1/old", cold),
        working_set("cold-1", "/cold-1", cold),
    ];
    for pod in ["hot-1", "cold-1"] {
        input_series.push(limit(pod, "app", "memory", MEMORY_LIMIT, t.steps));
        input_series.push(limit(pod, "app", "cpu", CPU_LIMIT, t.steps));
    }
    let labels = [
        ("namespace", APP_NS),
        ("pod", "hot-1"),
        ("container", "app"),
    ];
    TestGroup {
        name: format!(
            "{alert}: {hot} of the limit fires, {cold} does not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(alert, &t, expected(r, alert, severity, &labels, hot)),
        promql_expr_test: Vec::new(),
    }
}

fn pod_not_ready(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let ksm = |name: &str, pod: &str, key: &str, value: &str, v: f64| {
        let labels = [
            ("job", "kube-state-metrics"),
            ("namespace", APP_NS),
            ("pod", pod),
            ("uid", &format!("uid-{pod}")),
            (key, value),
        ];
        series(name, &labels, gauge(v, t.steps))
    };
    // (pod, ready, phase): `stuck-1` is a live pod that is not ready. `unschedulable-1` has
    // no Ready condition at all, so kube-state-metrics exports no kube_pod_status_ready for it.
    let pods = [
        ("stuck-1", false, "Running"),
        ("healthy-1", true, "Running"),
        ("done-1", false, "Succeeded"),
        ("evicted-1", false, "Failed"),
    ];
    let mut input_series = Vec::new();
    for p in ["Pending", "Running", "Succeeded", "Failed", "Unknown"] {
        let value = if p == "Pending" { 1.0 } else { 0.0 };
        input_series.push(ksm(
            "kube_pod_status_phase",
            "unschedulable-1",
            "phase",
            p,
            value,
        ));
    }
    for (pod, ready, phase) in pods {
        let ready_value = |condition: bool| if ready == condition { 1.0 } else { 0.0 };
        input_series.push(ksm(
            "kube_pod_status_ready",
            pod,
            "condition",
            "true",
            ready_value(true),
        ));
        input_series.push(ksm(
            "kube_pod_status_ready",
            pod,
            "condition",
            "false",
            ready_value(false),
        ));
        input_series.push(ksm(
            "kube_pod_status_ready",
            pod,
            "condition",
            "unknown",
            0.0,
        ));
        for p in ["Pending", "Running", "Succeeded", "Failed", "Unknown"] {
            input_series.push(ksm(
                "kube_pod_status_phase",
                pod,
                "phase",
                p,
                if p == phase { 1.0 } else { 0.0 },
            ));
        }
    }
    TestGroup {
        name: "PodNotReady: a running pod that is not ready and a Pending one fire; ready and terminated pods do not".into(),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks_all(
            "PodNotReady",
            &t,
            vec![
                expected(
                    r,
                    "PodNotReady",
                    "warning",
                    &[("namespace", APP_NS), ("pod", "stuck-1")],
                    0.0,
                ),
                expected(
                    r,
                    "PodNotReady",
                    "warning",
                    &[("namespace", APP_NS), ("pod", "unschedulable-1")],
                    1.0,
                ),
            ],
        ),
        promql_expr_test: Vec::new(),
    }
}

/// One node-exporter target: its job, and the node name as `instance` and `node`.
const NODE_LABELS: [(&str, &str); 3] = [
    ("job", "node-exporter"),
    ("instance", "node-a"),
    ("node", "node-a"),
];

fn node(name: &str, extra: &[(&str, &str)], values: String) -> Series {
    let mut labels = NODE_LABELS.to_vec();
    labels.extend_from_slice(extra);
    series(name, &labels, values)
}

/// A filesystem of node-a: its size, free bytes and read-only flag.
fn filesystem(
    mountpoint: &str,
    fstype: &str,
    readonly: f64,
    free: String,
    steps: u64,
) -> Vec<Series> {
    let labels = [
        ("device", "/dev/sda1"),
        ("fstype", fstype),
        ("mountpoint", mountpoint),
    ];
    vec![
        node("node_filesystem_size_bytes", &labels, gauge(FS_SIZE, steps)),
        node("node_filesystem_avail_bytes", &labels, free),
        node("node_filesystem_readonly", &labels, gauge(readonly, steps)),
    ]
}

const FS_SIZE: f64 = 1000.0;

fn filesystem_labels(mountpoint: &str) -> Vec<(&str, &str)> {
    let mut labels = NODE_LABELS.to_vec();
    labels.extend([
        ("device", "/dev/sda1"),
        ("fstype", "ext4"),
        ("mountpoint", mountpoint),
    ]);
    labels
}

/// Free space below the threshold and shrinking towards zero within a day fires; below the
/// threshold but steady, or shrinking but above it, does not.
fn node_filesystem_filling_up(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    // Free bytes at the start, and lost per step: empty in 2000 steps (8h20m), well within
    // the 24 hours predict_linear looks ahead, and still below the threshold when it fires.
    let hot = s.threshold * 0.6 * FS_SIZE;
    let hot_loss = hot / 2000.0;
    let cold = (s.threshold + (1.0 - s.threshold) / 2.0) * FS_SIZE;
    let cold_loss = cold / 2000.0;
    let mut input_series = filesystem(
        "/",
        "ext4",
        0.0,
        format!("{hot}-{hot_loss}x{}", t.steps),
        t.steps,
    );
    input_series.extend(filesystem(
        "/steady",
        "ext4",
        0.0,
        gauge(hot, t.steps),
        t.steps,
    ));
    input_series.extend(filesystem(
        "/roomy",
        "ext4",
        0.0,
        format!("{cold}-{cold_loss}x{}", t.steps),
        t.steps,
    ));
    input_series.extend(filesystem(
        "/run",
        "tmpfs",
        0.0,
        format!("{hot}-{hot_loss}x{}", t.steps),
        t.steps,
    ));
    input_series.extend(filesystem(
        "/readonly",
        "ext4",
        1.0,
        format!("{hot}-{hot_loss}x{}", t.steps),
        t.steps,
    ));
    let value = (hot - hot_loss * (t.fire_at / STEP) as f64) / FS_SIZE;
    TestGroup {
        name: format!(
            "NodeFilesystemFillingUp: shrinking below {} fires; steady, roomy, tmpfs and read-only do not",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            "NodeFilesystemFillingUp",
            &t,
            expected(
                r,
                "NodeFilesystemFillingUp",
                "warning",
                &filesystem_labels("/"),
                value,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn node_filesystem_almost_full(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let (hot, cold) = (below(s.threshold), above(s.threshold));
    let mut input_series = filesystem("/", "ext4", 0.0, gauge(hot * FS_SIZE, t.steps), t.steps);
    input_series.extend(filesystem(
        "/data",
        "ext4",
        0.0,
        gauge(cold * FS_SIZE, t.steps),
        t.steps,
    ));
    input_series.extend(filesystem(
        "/readonly",
        "ext4",
        1.0,
        gauge(hot * FS_SIZE, t.steps),
        t.steps,
    ));
    TestGroup {
        name: format!(
            "NodeFilesystemAlmostFull: {hot} free fires, {cold} and read-only do not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            "NodeFilesystemAlmostFull",
            &t,
            expected(
                r,
                "NodeFilesystemAlmostFull",
                "critical",
                &filesystem_labels("/"),
                hot,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn node_memory_pressure(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let (hot, cold) = (above(s.threshold), below(s.threshold));
    let memory = |instance: &'static str, used: f64| {
        let labels = [
            ("job", "node-exporter"),
            ("instance", instance),
            ("node", instance),
        ];
        vec![
            series(
                "node_memory_MemTotal_bytes",
                &labels,
                gauge(FS_SIZE, t.steps),
            ),
            series(
                "node_memory_MemAvailable_bytes",
                &labels,
                gauge(
                    ((1.0 - used) * FS_SIZE * 10_000.0).round() / 10_000.0,
                    t.steps,
                ),
            ),
        ]
    };
    let mut input_series = memory("node-a", hot);
    input_series.extend(memory("node-b", cold));
    TestGroup {
        name: format!(
            "NodeMemoryPressure: {hot} in use fires, {cold} does not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            "NodeMemoryPressure",
            &t,
            expected(r, "NodeMemoryPressure", "warning", &NODE_LABELS, hot),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn kafka_labels<'a>(cluster: &'a str, pod: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("job", "kafka"),
        ("namespace", "kafka"),
        ("pod", pod),
        ("strimzi_cluster", cluster),
        ("strimzi_kind", "Kafka"),
    ]
}

fn kafka_offline_partitions(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let offline = |cluster: &str, pod: &str, count: f64| {
        let name = "kafka_controller_kafkacontroller_offlinepartitionscount";
        series(name, &kafka_labels(cluster, pod), gauge(count, t.steps))
    };
    TestGroup {
        name: "KafkaOfflinePartitions: a cluster with offline partitions fires, a healthy one does not".into(),
        interval: seconds(STEP),
        input_series: vec![
            // Only the active controller reports the count.
            offline("broken", "broken-kafka-0", 2.0),
            offline("broken", "broken-kafka-1", 0.0),
            offline("healthy", "healthy-kafka-0", 0.0),
        ],
        alert_rule_test: alert_checks(
            "KafkaOfflinePartitions",
            &t,
            expected(
                r,
                "KafkaOfflinePartitions",
                "critical",
                &[("namespace", "kafka"), ("strimzi_cluster", "broken")],
                2.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// Loki's request errors per route: one route past the threshold fires, one short of it does not.
fn loki_request_errors(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let requests = |route: &str, code: &str, per_step: f64| {
        let labels = [("job", "loki"), ("route", route), ("status_code", code)];
        series(
            "loki_request_duration_seconds_count",
            &labels,
            counter(per_step, t.steps),
        )
    };
    let (bad, good) = (above(s.threshold), below(s.threshold));
    TestGroup {
        name: "LokiRequestErrors: a route past the error share fires, one below it does not".into(),
        interval: seconds(STEP),
        input_series: vec![
            requests("loki_api_v1_push", "500", bad * 1000.0),
            requests("loki_api_v1_push", "204", (1.0 - bad) * 1000.0),
            requests("loki_api_v1_query_range", "500", good * 1000.0),
            requests("loki_api_v1_query_range", "200", (1.0 - good) * 1000.0),
        ],
        alert_rule_test: alert_checks(
            "LokiRequestErrors",
            &t,
            expected(
                r,
                "LokiRequestErrors",
                "warning",
                &[("route", "loki_api_v1_push")],
                bad,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// Lines discarded for one reason fire; a reason whose counter stands still does not.
fn loki_discarding_lines(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let discarded = |reason: &str, values: String| {
        let labels = [("job", "loki"), ("reason", reason), ("tenant", "fake")];
        series("loki_discarded_samples_total", &labels, values)
    };
    TestGroup {
        name: "LokiDiscardingLines: rate-limited lines fire, a still counter does not".into(),
        interval: seconds(STEP),
        input_series: vec![
            // One line per second.
            discarded("rate_limited", counter(STEP as f64, t.steps)),
            discarded("line_too_long", gauge(3.0, t.steps)),
        ],
        alert_rule_test: alert_checks(
            "LokiDiscardingLines",
            &t,
            expected(
                r,
                "LokiDiscardingLines",
                "warning",
                &[("reason", "rate_limited")],
                1.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// Every replica reports 0: no compactor runs, which fires (after `for`, not before).
fn loki_compactor_not_running(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let running = |pod: &str, value: f64| {
        let labels = [("job", "loki"), ("pod", pod)];
        series(
            "loki_boltdb_shipper_compactor_running",
            &labels,
            gauge(value, t.steps),
        )
    };
    TestGroup {
        name: "LokiCompactorNotRunning: no replica runs the compactor".into(),
        interval: seconds(STEP),
        input_series: vec![running("loki-0", 0.0), running("loki-1", 0.0)],
        alert_rule_test: alert_checks(
            "LokiCompactorNotRunning",
            &t,
            expected(
                r,
                "LokiCompactorNotRunning",
                "critical",
                &[("job", "loki")],
                0.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// An agent dropping lines fires; one whose dropped counter stands still does not.
fn log_agent_dropping_lines(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let dropped = |pod: &str, values: String| {
        let labels = [("job", "alloy"), ("pod", pod)];
        series("loki_write_dropped_entries_total", &labels, values)
    };
    TestGroup {
        name: "LogAgentDroppingLines: an agent dropping lines fires, a healthy one does not".into(),
        interval: seconds(STEP),
        input_series: vec![
            dropped("alloy-a", counter(STEP as f64, t.steps)),
            dropped("alloy-b", gauge(7.0, t.steps)),
        ],
        alert_rule_test: alert_checks(
            "LogAgentDroppingLines",
            &t,
            expected(
                r,
                "LogAgentDroppingLines",
                "warning",
                &[("pod", "alloy-a")],
                1.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn dapr_sidecar_down(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let up = |app: &str, ip: &str, value: f64| {
        let labels = [
            ("job", "dapr-sidecars"),
            ("namespace", APP_NS),
            ("pod", &format!("{app}-1")),
            ("app_id", app),
            ("instance", &format!("{ip}:9090")),
        ];
        series("up", &labels, gauge(value, t.steps))
    };
    TestGroup {
        name: "DaprSidecarDown: an unreachable sidecar fires, a reachable one does not".into(),
        interval: seconds(STEP),
        input_series: vec![
            up("backend", "10.0.0.1", 0.0),
            up("frontend", "10.0.0.2", 1.0),
        ],
        alert_rule_test: alert_checks(
            "DaprSidecarDown",
            &t,
            expected(
                r,
                "DaprSidecarDown",
                "critical",
                &[
                    ("namespace", APP_NS),
                    ("pod", "backend-1"),
                    ("app_id", "backend"),
                ],
                0.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// A failure share per pod of the Jaeger pipeline: `failed` of 100 items per step fail, the
/// rest succeed; `hot` pods fail above the threshold, `cold` ones below.
fn jaeger_pipeline(
    r: &Rendered,
    s: Setting,
    alert: &str,
    (failed, ok): (&str, &str),
    extra: &[(&str, &str)],
    severity: &str,
) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let (hot, cold) = (above(s.threshold), below(s.threshold));
    let labels = |job: &'static str, pod: &'static str| {
        let mut l = vec![("job", job), ("namespace", "monitoring"), ("pod", pod)];
        l.extend_from_slice(extra);
        l
    };
    let pair = |job, pod, share: f64| {
        [
            series(failed, &labels(job, pod), counter(100.0 * share, t.steps)),
            series(
                ok,
                &labels(job, pod),
                counter(100.0 * (1.0 - share), t.steps),
            ),
        ]
    };
    let mut input_series: Vec<Series> = pair("jaeger-collector", "collector-hot", hot).into();
    input_series.extend(pair("jaeger-agent", "agent-cold", cold));
    TestGroup {
        name: format!(
            "{alert}: share {hot} fires, {cold} does not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            alert,
            &t,
            expected(
                r,
                alert,
                severity,
                &labels("jaeger-collector", "collector-hot"),
                hot,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn jaeger_spans_refused(r: &Rendered, s: Setting) -> TestGroup {
    jaeger_pipeline(
        r,
        s,
        "JaegerSpansRefused",
        (
            "otelcol_receiver_refused_spans_total",
            "otelcol_receiver_accepted_spans_total",
        ),
        &[],
        "warning",
    )
}

fn jaeger_export_failures(r: &Rendered, s: Setting) -> TestGroup {
    jaeger_pipeline(
        r,
        s,
        "JaegerExportFailures",
        (
            "otelcol_exporter_send_failed_spans_total",
            "otelcol_exporter_sent_spans_total",
        ),
        &[("exporter", "jaeger_storage_exporter")],
        "critical",
    )
}

/// Span metrics of one service (`jaeger-spanmetrics` job, server spans).
fn span_labels<'a>(service: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut l = vec![
        ("job", "jaeger-spanmetrics"),
        ("namespace", "monitoring"),
        ("pod", "jaeger-collector-1"),
        ("service_name", service),
        ("span_name", "POST /api/tasks"),
        ("span_kind", "SPAN_KIND_SERVER"),
    ];
    l.extend_from_slice(extra);
    l
}

fn jaeger_service_error_rate(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let (hot, cold) = (above(s.threshold), below(s.threshold));
    let calls = |service: &'static str, status: &'static str, share: f64| {
        series(
            "traces_span_metrics_calls_total",
            &span_labels(service, &[("status_code", status)]),
            counter(100.0 * share, t.steps),
        )
    };
    // Client spans of the hot service are all errors but do not count: only served requests do.
    let client = series(
        "traces_span_metrics_calls_total",
        &[
            ("job", "jaeger-spanmetrics"),
            ("service_name", "cold"),
            ("span_kind", "SPAN_KIND_CLIENT"),
            ("status_code", "STATUS_CODE_ERROR"),
        ],
        counter(100.0, t.steps),
    );
    TestGroup {
        name: format!(
            "JaegerServiceErrorRate: error span share {hot} fires, {cold} does not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series: vec![
            calls("hot", "STATUS_CODE_UNSET", 1.0 - hot),
            calls("hot", "STATUS_CODE_ERROR", hot),
            calls("cold", "STATUS_CODE_OK", 1.0 - cold),
            calls("cold", "STATUS_CODE_ERROR", cold),
            client,
        ],
        alert_rule_test: alert_checks(
            "JaegerServiceErrorRate",
            &t,
            expected(
                r,
                "JaegerServiceErrorRate",
                "critical",
                &[("service_name", "hot")],
                hot,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn jaeger_service_latency(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    // The histogram is in milliseconds.
    let limit = s.threshold * 1000.0;
    let bounds = [0.9 * limit, limit, 1.1 * limit, 2.0 * limit];
    let histogram = |service: &'static str, lower: usize| {
        let le = bounds
            .iter()
            .map(|b| b.to_string())
            .chain(["+Inf".to_string()]);
        le.enumerate()
            .map(|(i, le)| {
                let per_step = if i > lower { 60.0 } else { 0.0 };
                series(
                    "traces_span_metrics_duration_milliseconds_bucket",
                    &span_labels(
                        service,
                        &[("status_code", "STATUS_CODE_UNSET"), ("le", &le)],
                    ),
                    counter(per_step, t.steps),
                )
            })
            .collect::<Vec<_>>()
    };
    let p95 = |lower: usize| bounds[lower] + (bounds[lower + 1] - bounds[lower]) * 0.95;
    let mut input_series = histogram("slow", 1);
    input_series.extend(histogram("fast", 0));
    TestGroup {
        name: format!(
            "JaegerServiceLatency: p95 {}ms fires, {}ms does not (threshold {limit}ms)",
            p95(1),
            p95(0)
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            "JaegerServiceLatency",
            &t,
            expected(
                r,
                "JaegerServiceLatency",
                "warning",
                &[("service_name", "slow")],
                p95(1),
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// One Elasticsearch node as the exporter labels it.
fn es_labels<'a>(pod: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut l = vec![
        ("job", "elasticsearch"),
        ("namespace", "monitoring"),
        ("pod", pod),
        ("cluster", pod),
    ];
    l.extend_from_slice(extra);
    l
}

fn elasticsearch_cluster_red(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let status = |pod: &'static str, color: &'static str, value: f64| {
        series(
            "elasticsearch_cluster_health_status",
            &es_labels(pod, &[("color", color)]),
            gauge(value, t.steps),
        )
    };
    TestGroup {
        name: "ElasticsearchClusterRed: a red cluster fires, a yellow one does not".into(),
        interval: seconds(STEP),
        input_series: vec![
            status("red-0", "red", 1.0),
            status("red-0", "green", 0.0),
            status("yellow-0", "red", 0.0),
            status("yellow-0", "yellow", 1.0),
        ],
        alert_rule_test: alert_checks(
            "ElasticsearchClusterRed",
            &t,
            expected(
                r,
                "ElasticsearchClusterRed",
                "critical",
                &[
                    ("namespace", "monitoring"),
                    ("pod", "red-0"),
                    ("cluster", "red-0"),
                ],
                1.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn elasticsearch_disk_almost_full(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    // Free share: below the threshold fires, above does not.
    let (hot, cold) = (below(s.threshold), above(s.threshold));
    let disk = |pod: &'static str, free: f64| {
        let labels = es_labels(pod, &[("mount", "/usr/share/elasticsearch/data")]);
        [
            series(
                "elasticsearch_filesystem_data_available_bytes",
                &labels,
                gauge(free * 1e9, t.steps),
            ),
            series(
                "elasticsearch_filesystem_data_size_bytes",
                &labels,
                gauge(1e9, t.steps),
            ),
        ]
    };
    let mut input_series: Vec<Series> = disk("full-0", hot).into();
    input_series.extend(disk("roomy-0", cold));
    TestGroup {
        name: format!(
            "ElasticsearchDiskAlmostFull: free {hot} fires, {cold} does not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            "ElasticsearchDiskAlmostFull",
            &t,
            expected(
                r,
                "ElasticsearchDiskAlmostFull",
                "critical",
                &[("namespace", "monitoring"), ("pod", "full-0")],
                hot,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// A halted Compactor fires; a running one does not.
fn thanos_compactor_halted(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let halted = |pod: &'static str, value: f64| {
        let labels = [
            ("job", "thanos-compact"),
            ("namespace", "monitoring"),
            ("pod", pod),
        ];
        series("thanos_compact_halted", &labels, gauge(value, t.steps))
    };
    TestGroup {
        name: "ThanosCompactorHalted: a halted compactor fires, a running one does not".into(),
        interval: seconds(STEP),
        input_series: vec![halted("halted-0", 1.0), halted("running-0", 0.0)],
        alert_rule_test: alert_checks(
            "ThanosCompactorHalted",
            &t,
            expected(
                r,
                "ThanosCompactorHalted",
                "warning",
                &[("namespace", "monitoring"), ("pod", "halted-0")],
                1.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// A sidecar whose bucket operations fail fires; one whose failure counter stands still does not.
fn thanos_sidecar_upload_failures(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let failures = |pod: &'static str, values: String| {
        let labels = [
            ("job", "thanos-sidecar"),
            ("namespace", "monitoring"),
            ("pod", pod),
            ("operation", "upload"),
        ];
        series(
            "thanos_objstore_bucket_operation_failures_total",
            &labels,
            values,
        )
    };
    TestGroup {
        name: "ThanosSidecarUploadFailures: failing uploads fire, a still counter does not".into(),
        interval: seconds(STEP),
        input_series: vec![
            // One failure per second.
            failures("prometheus-0", counter(STEP as f64, t.steps)),
            failures("prometheus-1", gauge(4.0, t.steps)),
        ],
        alert_rule_test: alert_checks(
            "ThanosSidecarUploadFailures",
            &t,
            expected(
                r,
                "ThanosSidecarUploadFailures",
                "critical",
                &[("namespace", "monitoring"), ("pod", "prometheus-0")],
                1.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// Failed requests above the threshold share fire in one namespace, below it in the other do not.
fn thanos_store_errors(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let (hot, cold) = (above(s.threshold), below(s.threshold));
    let grpc = |namespace: &'static str, failed_share: f64| {
        let started = [("job", "thanos-store"), ("namespace", namespace)];
        let failed = [
            ("job", "thanos-store"),
            ("namespace", namespace),
            ("grpc_code", "Unavailable"),
        ];
        [
            series(
                "grpc_server_started_total",
                &started,
                counter(100.0 * STEP as f64, t.steps),
            ),
            series(
                "grpc_server_handled_total",
                &failed,
                counter(100.0 * failed_share * STEP as f64, t.steps),
            ),
        ]
    };
    let mut input_series: Vec<Series> = grpc("monitoring", hot).into();
    input_series.extend(grpc("other", cold));
    TestGroup {
        name: format!(
            "ThanosStoreErrors: {hot} failing fires, {cold} does not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            "ThanosStoreErrors",
            &t,
            expected(
                r,
                "ThanosStoreErrors",
                "warning",
                &[("namespace", "monitoring")],
                hot,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// A sidecar that sees its Prometheus down fires; one that sees it up does not.
fn thanos_sidecar_prometheus_down(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let up = |pod: &'static str, value: f64| {
        let labels = [
            ("job", "thanos-sidecar"),
            ("namespace", "monitoring"),
            ("pod", pod),
        ];
        series(
            "thanos_sidecar_prometheus_up",
            &labels,
            gauge(value, t.steps),
        )
    };
    TestGroup {
        name: "ThanosSidecarPrometheusDown: a sidecar without its Prometheus fires".into(),
        interval: seconds(STEP),
        input_series: vec![up("prometheus-0", 0.0), up("prometheus-1", 1.0)],
        alert_rule_test: alert_checks(
            "ThanosSidecarPrometheusDown",
            &t,
            expected(
                r,
                "ThanosSidecarPrometheusDown",
                "critical",
                &[("namespace", "monitoring"), ("pod", "prometheus-0")],
                0.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// A consumer group's lag on a topic, summed over partitions: `hot` past the threshold fires,
/// `cold` short of it does not.
fn kafka_consumer_lag(r: &Rendered, s: Setting, alert: &str, severity: &str) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let lag = |group: &str, partition: &str, value: f64| {
        let mut labels = kafka_labels("events", "events-kafka-exporter-1").to_vec();
        labels.extend([
            ("consumergroup", group),
            ("topic", "orders"),
            ("partition", partition),
        ]);
        series("kafka_consumergroup_lag", &labels, gauge(value, t.steps))
    };
    // Two partitions each: 0.6 and 0.4 of the threshold per partition.
    let (hot, cold) = (s.threshold * 0.6, s.threshold * 0.4);
    TestGroup {
        name: format!(
            "{alert}: a group {} behind fires, one {} behind does not (threshold {})",
            2.0 * hot,
            2.0 * cold,
            s.threshold
        ),
        interval: seconds(STEP),
        input_series: vec![
            lag("slow", "0", hot),
            lag("slow", "1", hot),
            lag("fine", "0", cold),
            lag("fine", "1", cold),
        ],
        alert_rule_test: alert_checks(
            alert,
            &t,
            expected(
                r,
                alert,
                severity,
                &[
                    ("namespace", "kafka"),
                    ("strimzi_cluster", "events"),
                    ("consumergroup", "slow"),
                    ("topic", "orders"),
                ],
                2.0 * hot,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// The Watchdog fires from the first evaluation on, with no series at all.
fn watchdog(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    TestGroup {
        name: "Watchdog: always fires".into(),
        interval: seconds(STEP),
        input_series: Vec::new(),
        alert_rule_test: alert_checks("Watchdog", &t, expected(r, "Watchdog", "none", &[], 1.0)),
        promql_expr_test: Vec::new(),
    }
}

/// The target labels of one pod of the stack's own job `job`.
fn own_target<'a>(job: &'a str, pod: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("job", job),
        ("namespace", "monitoring"),
        ("pod", pod),
        ("instance", pod),
    ]
}

/// A per-pod share of failures of a counter pair: `failed` of `total` items per step.
fn failure_share(
    metric: (&str, &str),
    labels: &[(&str, &str)],
    share: f64,
    steps: u64,
) -> Vec<Series> {
    vec![
        series(metric.0, labels, counter(100.0 * share, steps)),
        series(metric.1, labels, counter(100.0, steps)),
    ]
}

fn alertmanager_notifications_failing(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let (hot, cold) = (above(s.threshold), below(s.threshold));
    let metric = (
        "alertmanager_notifications_failed_total",
        "alertmanager_notifications_total",
    );
    let pod = own_target("alertmanager", "alertmanager-0");
    let with = |integration: &'static str| {
        let mut labels = pod.clone();
        labels.push(("integration", integration));
        labels
    };
    let mut input_series = failure_share(metric, &with("pagerduty"), hot, t.steps);
    input_series.extend(failure_share(metric, &with("slack"), cold, t.steps));
    TestGroup {
        name: format!(
            "AlertmanagerNotificationsFailing: {hot} failing fires, {cold} does not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            "AlertmanagerNotificationsFailing",
            &t,
            expected(
                r,
                "AlertmanagerNotificationsFailing",
                "critical",
                &[
                    ("namespace", "monitoring"),
                    ("pod", "alertmanager-0"),
                    ("integration", "pagerduty"),
                ],
                hot,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// `<job>_config_last_reload_successful`: 0 on one pod fires, 1 on another does not.
fn config_reload_failed(r: &Rendered, s: Setting, job: &str, alert: &str) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let metric = format!("{job}_config_last_reload_successful");
    let (failed, fine) = (format!("{job}-0"), format!("{job}-1"));
    TestGroup {
        name: format!("{alert}: a failed reload fires, a successful one does not"),
        interval: seconds(STEP),
        input_series: vec![
            series(&metric, &own_target(job, &failed), gauge(0.0, t.steps)),
            series(&metric, &own_target(job, &fine), gauge(1.0, t.steps)),
        ],
        alert_rule_test: alert_checks(
            alert,
            &t,
            expected(r, alert, "warning", &own_target(job, &failed), 0.0),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn alertmanager_cluster_members_missing(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let replicas = s.threshold;
    let members = |pod: &'static str, value: f64| {
        series(
            "alertmanager_cluster_members",
            &own_target("alertmanager", pod),
            gauge(value, t.steps),
        )
    };
    TestGroup {
        name: format!(
            "AlertmanagerClusterMembersMissing: {} of {replicas} members fires, all do not",
            replicas - 1.0
        ),
        interval: seconds(STEP),
        input_series: vec![
            members("alertmanager-0", replicas - 1.0),
            members("alertmanager-1", replicas),
        ],
        alert_rule_test: alert_checks(
            "AlertmanagerClusterMembersMissing",
            &t,
            expected(
                r,
                "AlertmanagerClusterMembersMissing",
                "warning",
                &own_target("alertmanager", "alertmanager-0"),
                replicas - 1.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn prometheus_rule_failures(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let failures = |pod: &'static str, group: &'static str, values: String| {
        let mut labels = own_target("prometheus", pod);
        labels.push(("rule_group", group));
        series("prometheus_rule_evaluation_failures_total", &labels, values)
    };
    TestGroup {
        name: "PrometheusRuleEvaluationFailures: a failing group fires, a still counter does not"
            .into(),
        interval: seconds(STEP),
        input_series: vec![
            failures(
                "prometheus-0",
                "/etc/prometheus/rules/a.yml;a",
                counter(1.0, t.steps),
            ),
            failures(
                "prometheus-0",
                "/etc/prometheus/rules/b.yml;b",
                gauge(4.0, t.steps),
            ),
        ],
        alert_rule_test: alert_checks(
            "PrometheusRuleEvaluationFailures",
            &t,
            expected(
                r,
                "PrometheusRuleEvaluationFailures",
                "critical",
                &[
                    ("namespace", "monitoring"),
                    ("pod", "prometheus-0"),
                    ("rule_group", "/etc/prometheus/rules/a.yml;a"),
                ],
                0.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn prometheus_notifications_failing(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let (hot, cold) = (above(s.threshold), below(s.threshold));
    let metric = (
        "prometheus_notifications_errors_total",
        "prometheus_notifications_sent_total",
    );
    let with = |am: &'static str| {
        let mut labels = own_target("prometheus", "prometheus-0");
        labels.push(("alertmanager", am));
        labels
    };
    let mut input_series = failure_share(metric, &with("http://am-0/api/v2/alerts"), hot, t.steps);
    input_series.extend(failure_share(
        metric,
        &with("http://am-1/api/v2/alerts"),
        cold,
        t.steps,
    ));
    TestGroup {
        name: format!(
            "PrometheusNotificationsFailing: {hot} failing fires, {cold} does not (threshold {})",
            s.threshold
        ),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            "PrometheusNotificationsFailing",
            &t,
            expected(
                r,
                "PrometheusNotificationsFailing",
                "warning",
                &[
                    ("namespace", "monitoring"),
                    ("pod", "prometheus-0"),
                    ("alertmanager", "http://am-0/api/v2/alerts"),
                ],
                hot,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

fn prometheus_dropping_alerts(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let dropped = |pod: &'static str, values: String| {
        series(
            "prometheus_notifications_dropped_total",
            &own_target("prometheus", pod),
            values,
        )
    };
    TestGroup {
        name: "PrometheusDroppingAlerts: dropping fires, a still counter does not".into(),
        interval: seconds(STEP),
        input_series: vec![
            dropped("prometheus-0", counter(1.0, t.steps)),
            dropped("prometheus-1", gauge(7.0, t.steps)),
        ],
        alert_rule_test: alert_checks(
            "PrometheusDroppingAlerts",
            &t,
            expected(
                r,
                "PrometheusDroppingAlerts",
                "critical",
                &[("namespace", "monitoring"), ("pod", "prometheus-0")],
                0.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// One failed compaction on prometheus-0 fires; prometheus-1's counters stand still.
fn prometheus_tsdb_failures(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, STEP);
    let metrics = [
        "prometheus_tsdb_compactions_failed_total",
        "prometheus_tsdb_reloads_failures_total",
        "prometheus_tsdb_head_truncations_failed_total",
    ];
    let mut input_series = Vec::new();
    for (i, metric) in metrics.iter().enumerate() {
        let failing = if i == 0 {
            format!("0 1+0x{}", t.steps)
        } else {
            gauge(0.0, t.steps)
        };
        input_series.push(series(
            metric,
            &own_target("prometheus", "prometheus-0"),
            failing,
        ));
        input_series.push(series(
            metric,
            &own_target("prometheus", "prometheus-1"),
            gauge(2.0, t.steps),
        ));
    }
    TestGroup {
        name: "PrometheusTSDBFailures: a failed compaction fires, still counters do not".into(),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: alert_checks(
            "PrometheusTSDBFailures",
            &t,
            expected(
                r,
                "PrometheusTSDBFailures",
                "warning",
                &[("namespace", "monitoring"), ("pod", "prometheus-0")],
                0.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// Two of the stack's targets down count under their job; an application target down is not
/// the stack's, and an answering target is not down.
fn monitoring_target_down(r: &Rendered, s: Setting) -> TestGroup {
    let t = timing(s.for_ms, 0);
    let up = |job: &'static str, pod: &'static str, value: f64| {
        series("up", &own_target(job, pod), gauge(value, t.steps))
    };
    TestGroup {
        name:
            "MonitoringTargetDown: the stack's targets down fire per job; an application's do not"
                .into(),
        interval: seconds(STEP),
        input_series: vec![
            up("prometheus", "prometheus-0", 0.0),
            up("prometheus", "prometheus-1", 0.0),
            up("alertmanager", "alertmanager-0", 1.0),
            up("kubernetes-pods", "shop-api-1", 0.0),
        ],
        alert_rule_test: alert_checks(
            "MonitoringTargetDown",
            &t,
            expected(
                r,
                "MonitoringTargetDown",
                "warning",
                &[("job", "prometheus")],
                2.0,
            ),
        ),
        promql_expr_test: Vec::new(),
    }
}

/// The test groups of every enabled alert; the file holds exactly the enabled alerts.
fn alert_groups(r: &Rendered, p: &ProfileAlerts) -> Vec<TestGroup> {
    let rendered: BTreeSet<String> = r
        .rules()
        .iter()
        .filter_map(|rule| rule["alert"].as_str().map(String::from))
        .collect();
    let enabled: BTreeSet<String> = p
        .alerts
        .iter()
        .filter(|(_, s)| s.enabled)
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(
        rendered, enabled,
        "{}: rendered alerts differ from the enabled ones",
        r.profile
    );
    let mut groups = Vec::new();
    for (&name, &s) in &p.alerts {
        if !s.enabled {
            continue;
        }
        groups.push(match name {
            "ElevatedErrorRate" => elevated_error_rate(r, p, s),
            "HighErrorRate" => high_error_rate(r, p, s),
            "ElevatedLatency" => latency(r, s, "ElevatedLatency", "warning"),
            "HighLatency" => latency(r, s, "HighLatency", "critical"),
            "HighCPUUsage" => high_cpu_usage(r, s),
            "HighMemoryUsage" => memory_usage(r, s, "HighMemoryUsage", "warning"),
            "CriticalMemoryUsage" => memory_usage(r, s, "CriticalMemoryUsage", "critical"),
            "ElevatedKafkaConsumerLag" => {
                kafka_consumer_lag(r, s, "ElevatedKafkaConsumerLag", "warning")
            }
            "HighKafkaConsumerLag" => kafka_consumer_lag(r, s, "HighKafkaConsumerLag", "critical"),
            "Watchdog" => watchdog(r, s),
            "AlertmanagerNotificationsFailing" => alertmanager_notifications_failing(r, s),
            "AlertmanagerConfigReloadFailed" => {
                config_reload_failed(r, s, "alertmanager", "AlertmanagerConfigReloadFailed")
            }
            "AlertmanagerClusterMembersMissing" => alertmanager_cluster_members_missing(r, s),
            "PrometheusRuleEvaluationFailures" => prometheus_rule_failures(r, s),
            "PrometheusNotificationsFailing" => prometheus_notifications_failing(r, s),
            "PrometheusDroppingAlerts" => prometheus_dropping_alerts(r, s),
            "PrometheusConfigReloadFailed" => {
                config_reload_failed(r, s, "prometheus", "PrometheusConfigReloadFailed")
            }
            "PrometheusTSDBFailures" => prometheus_tsdb_failures(r, s),
            "MonitoringTargetDown" => monitoring_target_down(r, s),
            "PodNotReady" => pod_not_ready(r, s),
            "KafkaOfflinePartitions" => kafka_offline_partitions(r, s),
            "DaprSidecarDown" => dapr_sidecar_down(r, s),
            "NodeFilesystemFillingUp" => node_filesystem_filling_up(r, s),
            "NodeFilesystemAlmostFull" => node_filesystem_almost_full(r, s),
            "NodeMemoryPressure" => node_memory_pressure(r, s),
            "LokiRequestErrors" => loki_request_errors(r, s),
            "LokiDiscardingLines" => loki_discarding_lines(r, s),
            "LokiCompactorNotRunning" => loki_compactor_not_running(r, s),
            "LogAgentDroppingLines" => log_agent_dropping_lines(r, s),
            "JaegerSpansRefused" => jaeger_spans_refused(r, s),
            "JaegerExportFailures" => jaeger_export_failures(r, s),
            "JaegerServiceErrorRate" => jaeger_service_error_rate(r, s),
            "JaegerServiceLatency" => jaeger_service_latency(r, s),
            "ElasticsearchClusterRed" => elasticsearch_cluster_red(r, s),
            "ElasticsearchDiskAlmostFull" => elasticsearch_disk_almost_full(r, s),
            "ThanosCompactorHalted" => thanos_compactor_halted(r, s),
            "ThanosSidecarUploadFailures" => thanos_sidecar_upload_failures(r, s),
            "ThanosStoreErrors" => thanos_store_errors(r, s),
            "ThanosSidecarPrometheusDown" => thanos_sidecar_prometheus_down(r, s),
            other => panic!("no test scenario for alert {other}"),
        });
    }
    groups
}

// ---------------------------------------------------------------------------------------------
// Recording rules: fixed series, exact results, evaluated at 10m when every 5m window is full

/// Expected samples per recorded series.
type Expectations = Vec<(&'static str, Vec<(Vec<(&'static str, &'static str)>, f64)>)>;

fn recording_group(p: &ProfileAlerts) -> (TestGroup, Expectations) {
    const STEPS: u64 = 40;
    let status = p.status_label.as_str();
    let app = |name: &str, service: &str, extra: &[(&str, &str)], per_step: f64| {
        let mut labels = vec![
            ("job", "kubernetes-pods"),
            ("namespace", APP_NS),
            ("service", service),
            ("pod", "p-1"),
        ];
        labels.extend_from_slice(extra);
        series(name, &labels, counter(per_step, STEPS))
    };
    let requests = |service: &str, code: &str, per_step: f64| {
        app("http_requests_total", service, &[(status, code)], per_step)
    };
    let bucket = |le: &str, per_step: f64| {
        app(
            "http_request_duration_seconds_bucket",
            "api",
            &[("le", le)],
            per_step,
        )
    };
    let kafka = |name: &str, pod: &str, topic: Option<&str>, values: String| {
        let mut labels = kafka_labels("events", pod).to_vec();
        labels.extend(topic.map(|t| ("topic", t)));
        series(name, &labels, values)
    };
    let messages = "kafka_server_brokertopicmetrics_messagesin_total";
    let produce = "kafka_server_brokertopicmetrics_totalproducerequests_total";
    let fetch = "kafka_server_brokertopicmetrics_totalfetchrequests_total";
    let per_second = |rate: f64| counter(rate * STEP as f64, STEPS);
    let span_bucket = |le: &str, kind: &str, per_step: f64| {
        series(
            "traces_span_metrics_duration_milliseconds_bucket",
            &[
                ("job", "jaeger-spanmetrics"),
                ("namespace", "monitoring"),
                ("service_name", "api"),
                ("span_kind", kind),
                ("le", le),
            ],
            counter(per_step, STEPS),
        )
    };
    let cpu = "container_cpu_usage_seconds_total";
    let memory = "container_memory_working_set_bytes";
    let input_series = vec![
        // api: 5 ok, 1 not found, 2 server errors per second; quiet: no errors; idle: no
        // requests; grouped: a client library that reports "2xx"/"5xx".
        requests("api", "200", 75.0),
        requests("api", "404", 15.0),
        requests("api", "500", 30.0),
        requests("quiet", "200", 15.0),
        requests("idle", "200", 0.0),
        requests("grouped", "2xx", 15.0),
        requests("grouped", "5xx", 15.0),
        // api latency: 1/s within 0.5s, 1/s between 0.5s and 1s.
        bucket("0.1", 0.0),
        bucket("0.5", 15.0),
        bucket("1", 30.0),
        bucket("+Inf", 30.0),
        // Two brokers; each reports a total without `topic` and one series per topic.
        kafka(messages, "events-kafka-0", None, per_second(10.0)),
        kafka(messages, "events-kafka-0", Some("orders"), per_second(6.0)),
        kafka(messages, "events-kafka-0", Some("chat"), per_second(4.0)),
        kafka(messages, "events-kafka-1", None, per_second(10.0)),
        kafka(messages, "events-kafka-1", Some("orders"), per_second(10.0)),
        kafka(produce, "events-kafka-0", None, per_second(2.0)),
        kafka(produce, "events-kafka-0", Some("orders"), per_second(2.0)),
        kafka(produce, "events-kafka-1", None, per_second(2.0)),
        kafka(fetch, "events-kafka-0", None, per_second(3.0)),
        kafka(fetch, "events-kafka-1", None, per_second(3.0)),
        kafka(fetch, "events-kafka-1", Some("orders"), per_second(3.0)),
        kafka(
            "kafka_server_replicamanager_underreplicatedpartitions",
            "events-kafka-0",
            None,
            gauge(1.0, STEPS),
        ),
        kafka(
            "kafka_server_replicamanager_underreplicatedpartitions",
            "events-kafka-1",
            None,
            gauge(2.0, STEPS),
        ),
        // Pod api-1: app uses 0.5 cores, daprd 0.125; the pod-level cgroup (container="") is
        // not a container.
        cadvisor(cpu, "api-1", "app", "/api-1/app", per_second(0.5)),
        cadvisor(cpu, "api-1", "daprd", "/api-1/daprd", per_second(0.125)),
        cadvisor(cpu, "api-1", "", "/api-1", per_second(2.0)),
        cadvisor(
            memory,
            "api-1",
            "app",
            "/api-1/app-old",
            gauge(200.0, STEPS),
        ),
        cadvisor(memory, "api-1", "app", "/api-1/app", gauge(300.0, STEPS)),
        cadvisor(memory, "api-1", "daprd", "/api-1/daprd", gauge(50.0, STEPS)),
        cadvisor(memory, "api-1", "", "/api-1", gauge(1000.0, STEPS)),
        // node-a: two CPUs idle 3/4 and 1/4 of the time (the user mode is not idle time);
        // a quarter of its memory available.
        node(
            "node_cpu_seconds_total",
            &[("cpu", "0"), ("mode", "idle")],
            per_second(0.75),
        ),
        node(
            "node_cpu_seconds_total",
            &[("cpu", "1"), ("mode", "idle")],
            per_second(0.25),
        ),
        node(
            "node_cpu_seconds_total",
            &[("cpu", "1"), ("mode", "user")],
            per_second(0.75),
        ),
        node("node_memory_MemTotal_bytes", &[], gauge(1000.0, STEPS)),
        node("node_memory_MemAvailable_bytes", &[], gauge(250.0, STEPS)),
        // Server spans of api: 1/s within 500ms, 1/s between 500ms and 1s; client spans are
        // not requests api answers.
        span_bucket("100", "SPAN_KIND_SERVER", 0.0),
        span_bucket("500", "SPAN_KIND_SERVER", 15.0),
        span_bucket("1000", "SPAN_KIND_SERVER", 30.0),
        span_bucket("+Inf", "SPAN_KIND_SERVER", 30.0),
        span_bucket("100", "SPAN_KIND_CLIENT", 30.0),
        span_bucket("+Inf", "SPAN_KIND_CLIENT", 30.0),
    ];
    let ns = ("namespace", APP_NS);
    let kafka_ns = ("namespace", "kafka");
    let cluster = ("strimzi_cluster", "events");
    let expectations: Expectations = vec![
        (
            "namespace_service:http_requests:rate5m",
            vec![
                (vec![ns, ("service", "api")], 8.0),
                (vec![ns, ("service", "quiet")], 1.0),
                (vec![ns, ("service", "idle")], 0.0),
                (vec![ns, ("service", "grouped")], 2.0),
            ],
        ),
        (
            "namespace_service:http_requests_errors:rate5m",
            vec![
                (vec![ns, ("service", "api")], 2.0),
                (vec![ns, ("service", "grouped")], 1.0),
            ],
        ),
        (
            "namespace_service:http_requests_errors:ratio_rate5m",
            vec![
                (vec![ns, ("service", "api")], 0.25),
                (vec![ns, ("service", "quiet")], 0.0),
                (vec![ns, ("service", "grouped")], 0.5),
            ],
        ),
        (
            "namespace_service_le:http_request_duration_seconds_bucket:rate5m",
            vec![
                (vec![ns, ("service", "api"), ("le", "0.1")], 0.0),
                (vec![ns, ("service", "api"), ("le", "0.5")], 1.0),
                (vec![ns, ("service", "api"), ("le", "1")], 2.0),
                (vec![ns, ("service", "api"), ("le", "+Inf")], 2.0),
            ],
        ),
        (
            "namespace_service:http_request_duration_seconds:p95_5m",
            vec![(vec![ns, ("service", "api")], 0.95)],
        ),
        (
            "namespace_strimzi_cluster:kafka_server_brokertopicmetrics_messagesin:rate5m",
            vec![(vec![kafka_ns, cluster], 20.0)],
        ),
        (
            "namespace_strimzi_cluster_topic:kafka_server_brokertopicmetrics_messagesin:rate5m",
            vec![
                (vec![kafka_ns, cluster, ("topic", "orders")], 16.0),
                (vec![kafka_ns, cluster, ("topic", "chat")], 4.0),
            ],
        ),
        (
            "namespace_strimzi_cluster:kafka_server_brokertopicmetrics_totalproducerequests:rate5m",
            vec![(vec![kafka_ns, cluster], 4.0)],
        ),
        (
            "namespace_strimzi_cluster:kafka_server_brokertopicmetrics_totalfetchrequests:rate5m",
            vec![(vec![kafka_ns, cluster], 6.0)],
        ),
        (
            "namespace_strimzi_cluster:kafka_server_replicamanager_underreplicatedpartitions:sum",
            vec![(vec![kafka_ns, cluster], 3.0)],
        ),
        (
            "namespace_pod_container:container_cpu_usage_seconds:rate5m",
            vec![
                (vec![ns, ("pod", "api-1"), ("container", "app")], 0.5),
                (vec![ns, ("pod", "api-1"), ("container", "daprd")], 0.125),
            ],
        ),
        (
            "namespace_pod_container:container_memory_working_set_bytes:max",
            vec![
                (vec![ns, ("pod", "api-1"), ("container", "app")], 300.0),
                (vec![ns, ("pod", "api-1"), ("container", "daprd")], 50.0),
            ],
        ),
        (
            "namespace:container_cpu_usage_seconds:rate5m",
            vec![(vec![ns], 0.625)],
        ),
        (
            "namespace:container_memory_working_set_bytes:sum",
            vec![(vec![ns], 350.0)],
        ),
        (
            "instance:node_cpu_utilisation:rate5m",
            vec![(vec![("instance", "node-a")], 0.5)],
        ),
        (
            "instance:node_memory_utilisation:ratio",
            vec![(NODE_LABELS.to_vec(), 0.75)],
        ),
        (
            // 1.9 of 2 spans/s fall below the p95: 500 + 0.9 × (1000 − 500) ms.
            "namespace_service_name:traces_span_metrics_duration_milliseconds:p95_5m",
            vec![(
                vec![("namespace", "monitoring"), ("service_name", "api")],
                950.0,
            )],
        ),
    ];
    let promql_expr_test = expectations
        .iter()
        .map(|(record, samples)| ExprTest {
            expr: record.to_string(),
            eval_time: "10m".into(),
            exp_samples: samples
                .iter()
                .map(|(labels, value)| Sample {
                    labels: selector(record, labels),
                    value: *value,
                })
                .collect(),
        })
        .collect();
    let group = TestGroup {
        name: "recording rules compute what their names say".into(),
        interval: seconds(STEP),
        input_series,
        alert_rule_test: Vec::new(),
        promql_expr_test,
    };
    (group, expectations)
}

// ---------------------------------------------------------------------------------------------
// Running promtool

fn run(promtool: &Path, dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(promtool)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn promtool_test(promtool: &Path, r: &Rendered, tests: Vec<TestGroup>) {
    let file = TestFile {
        rule_files: r.rule_file_names(),
        evaluation_interval: seconds(STEP),
        tests,
    };
    let yaml = serde_yaml_ng::to_string(&file).expect("test file serializes");
    std::fs::write(r.dir.path().join("tests.yml"), &yaml).expect("write test file");
    let (ok, output) = run(promtool, r.dir.path(), &["test", "rules", "tests.yml"]);
    assert!(
        ok,
        "{}: promtool test rules failed:\n{output}\n--- tests.yml:\n{yaml}",
        r.profile
    );
}

#[test]
fn promtool_check_rules_accepts_every_profile() {
    let Some(promtool) = promtool() else { return };
    for profile in profiles() {
        let r = render(&profile);
        let mut args = vec!["check", "rules", "--lint-fatal"];
        let names = r.rule_file_names();
        args.extend(names.iter().map(String::as_str));
        let (ok, output) = run(&promtool, r.dir.path(), &args);
        assert!(ok, "{}: promtool check rules failed:\n{output}", r.profile);
    }
}

#[test]
fn every_alert_fires_past_its_threshold_after_for_and_not_before_or_below() {
    let Some(promtool) = promtool() else { return };
    for profile in profiles() {
        let r = render(&profile);
        let groups = alert_groups(&r, &profile_alerts(&profile));
        promtool_test(&promtool, &r, groups);
    }
}

#[test]
fn every_recording_rule_computes_what_its_name_says() {
    let Some(promtool) = promtool() else { return };
    for profile in profiles() {
        let r = render(&profile);
        let (mut group, expectations) = recording_group(&profile_alerts(&profile));
        let tested: BTreeSet<&str> = expectations.iter().map(|(record, _)| *record).collect();
        let recorded: BTreeSet<String> = r
            .rules()
            .iter()
            .filter_map(|rule| rule["record"].as_str().map(String::from))
            .collect();
        assert!(recorded.len() > 5, "{}: too few recording rules", r.profile);
        // Groups whose job a profile does not scrape are not rendered (dev has no Kafka).
        group
            .promql_expr_test
            .retain(|t| recorded.contains(&t.expr));
        let untested: Vec<&String> = recorded
            .iter()
            .filter(|name| !tested.contains(name.as_str()))
            .collect();
        assert!(
            untested.is_empty(),
            "recording rules without a promql_expr_test: {untested:?}"
        );
        promtool_test(&promtool, &r, vec![group]);
    }
}

/// Jinja and Go templates share `{{ }}`: the annotations must reach the file as Prometheus'
/// templates (the alert tests then prove they expand as intended).
#[test]
fn go_templates_in_annotations_reach_the_rendered_file_intact() {
    for profile in profiles() {
        let r = render(&profile);
        for (file, text) in &r.files {
            for leak in ["{%", "%}", "{#", "#}"] {
                assert!(
                    !text.contains(leak),
                    "{}: Jinja syntax {leak} left in {file}",
                    r.profile
                );
            }
        }
        for rule in r.rules() {
            let Some(name) = rule["alert"].as_str() else {
                continue;
            };
            let annotations = r.annotations(name);
            // The Watchdog is about the whole pipeline: it has no labels to name.
            assert!(
                name == "Watchdog" || annotations["summary"].contains("{{ $labels."),
                "{}: summary of {name} names no label: {}",
                r.profile,
                annotations["summary"]
            );
            let wanted = match name {
                "ElevatedErrorRate"
                | "HighErrorRate"
                | "HighCPUUsage"
                | "HighMemoryUsage"
                | "CriticalMemoryUsage"
                | "PrometheusNotificationsFailing"
                | "AlertmanagerNotificationsFailing"
                | "NodeFilesystemFillingUp"
                | "NodeFilesystemAlmostFull"
                | "NodeMemoryPressure"
                | "LokiRequestErrors"
                | "ThanosStoreErrors" => "{{ $value | humanizePercentage }}",
                "LokiDiscardingLines" => "{{ $value | humanize }}",
                "LokiCompactorNotRunning" => "{{ $labels.job }}",
                "HighLatency" | "ElevatedLatency" => "{{ $value | humanizeDuration }}",
                "MonitoringTargetDown" => "{{ $labels.job }}",
                "ElevatedKafkaConsumerLag" | "HighKafkaConsumerLag" => {
                    "{{ $labels.consumergroup }}"
                }
                "Watchdog" => "dead man's switch",
                "KafkaOfflinePartitions" => "{{ $value }}",
                // Span metrics are per traced service, not per pod.
                "JaegerServiceErrorRate" | "JaegerServiceLatency" => "{{ $labels.service_name }}",
                _ => "{{ $labels.pod }}",
            };
            assert!(
                annotations["description"].contains(wanted),
                "{}: description of {name} lacks {wanted}: {}",
                r.profile,
                annotations["description"]
            );
        }
    }
}

/// Rules select on job names; a job renamed in the scrape config would silently orphan them.
#[test]
fn every_job_the_rules_select_on_is_a_scrape_job() {
    let rendered: Vec<Rendered> = profiles().iter().map(|p| render(p)).collect();
    let scraped: BTreeSet<&String> = rendered.iter().flat_map(|r| &r.scrape_jobs).collect();
    for r in &rendered {
        for text in r.files.values() {
            for job in text
                .split("job=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
            {
                assert!(
                    scraped.contains(&job.to_string()),
                    "{}: rules select job=\"{job}\", which no profile scrapes (jobs: {scraped:?})",
                    r.profile
                );
            }
        }
    }
}

#[test]
fn go_formatting_matches_prometheus() {
    assert_eq!(go_g4(52.5), "52.5");
    assert_eq!(go_g4(95.0), "95");
    assert_eq!(go_g4(12.345_678), "12.35");
    assert_eq!(go_g4(12_346.0), "1.235e+04");
    assert_eq!(go_g4(0.000_01), "1e-05");
    assert_eq!(go_duration(7.8), "7.8s");
    assert_eq!(go_duration(899.99), "14m 59s");
    assert_eq!(go_duration(0.75), "750ms");
}
