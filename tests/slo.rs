//! SLOs (`[[slo]]`), checked by the real promtool (2.42) through the real render:
//! - the SLO rule file passes `promtool check rules --lint-fatal`;
//! - every burn-rate alert (one rule per row of the SRE workbook's table) fires when the error
//!   ratio is just past its factor times the error budget, and stays silent just below it,
//!   while the rows with lower factors fire beside it; the factors are computed here from the
//!   workbook's budget shares and windows, independently of the code;
//! - a burn that stopped no longer pages (the short window resets the alert);
//! - the error budget left and the objective are recorded as their names say;
//! - the SLOs dashboard is rendered (the render checks its panels and queries);
//! - mistakes in `[[slo]]` are reported at their line with their code.
//!
//! The test files are generated from each profile's `[[slo]]` entries, so the shipped profiles
//! and the fixture (one ratio SLO, one latency SLO with a 28d window) are tested alike.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use monstack::model::Duration;
use serde_yaml_ng::Value;
use tempfile::TempDir;

/// Series interval, in seconds: the shortest window (5m) holds five samples.
const STEP: u64 = 60;
/// Rule evaluation interval, in seconds: the alerts have no `for`, and every window is a
/// multiple of it. Three days of data are evaluated 864 times, not 4320.
const EVALUATION: u64 = 300;
const FIXTURE: &str = "tests/promtool/slo.toml";
const RULE_FILE: &str = "slo.yml";
/// Requests per step of the synthetic service.
const PER_STEP: f64 = 100.0;

/// The SRE workbook's multiwindow, multi-burn-rate table: budget share, long and short
/// window, severity.
const TABLE: [(f64, &str, &str, &str); 4] = [
    (0.02, "1h", "5m", "critical"),
    (0.05, "6h", "30m", "critical"),
    (0.10, "1d", "2h", "warning"),
    (0.10, "3d", "6h", "warning"),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn profiles() -> Vec<PathBuf> {
    vec![
        root().join(FIXTURE),
        root().join("profiles/production.toml"),
    ]
}

fn seconds(text: &str) -> u64 {
    Duration::parse(text).expect("valid duration").millis() / 1000
}

// ---------------------------------------------------------------------------------------------
// The profile's SLOs and the rendered rules

#[derive(Debug, Clone)]
struct Slo {
    name: String,
    service: String,
    objective: f64,
    window: String,
    /// `Some(seconds)` for a latency SLI, `None` for a ratio of `http_requests_total`.
    latency: Option<f64>,
}

impl Slo {
    fn budget(&self) -> f64 {
        (100.0 - self.objective) / 100.0
    }

    /// budget share × SLO window / long window.
    fn factor(&self, row: usize) -> f64 {
        let (share, long, _, _) = TABLE[row];
        share * seconds(&self.window) as f64 / seconds(long) as f64
    }

    fn alert(&self) -> String {
        let pascal: String = self
            .name
            .split('-')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect();
        format!("{pascal}BudgetBurn")
    }
}

/// The merged profile's `[[slo]]` entries and its `http_status_label`.
fn profile_slos(profile: &Path) -> (Vec<Slo>, String) {
    let sources = monstack::profile::load_chain(Some(profile)).expect("profile loads");
    let doc = monstack::model::Document::parse(&sources).expect("profile is TOML");
    let slos: serde_json::Value = doc.section("slo").expect("slo reads");
    let stack: serde_json::Value = doc.section("stack").expect("stack reads");
    let status = stack["http_status_label"]
        .as_str()
        .unwrap_or("status")
        .to_string();
    let slos = slos
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let text = |k: &str| s[k].as_str().map(String::from);
            let slo = Slo {
                name: text("name").expect("name"),
                service: text("service").expect("service"),
                objective: s["objective"].as_f64().expect("objective"),
                window: text("window").unwrap_or_else(|| "30d".into()),
                latency: text("latency").map(|l| seconds_f(&l)),
            };
            if slo.latency.is_none() {
                // The series below feed exactly this SLI shape.
                let total = format!(
                    "http_requests_total{{job=\"kubernetes-pods\", service=\"{}\"}}",
                    slo.service
                );
                let good = format!(
                    "http_requests_total{{job=\"kubernetes-pods\", service=\"{}\", {status}!~\"5..\"}}",
                    slo.service
                );
                assert_eq!(text("total"), Some(total), "{}: total", slo.name);
                assert_eq!(text("good"), Some(good), "{}: good", slo.name);
            }
            slo
        })
        .collect();
    (slos, status)
}

fn seconds_f(text: &str) -> f64 {
    Duration::parse(text).expect("valid duration").seconds()
}

struct Rendered {
    profile: String,
    dir: TempDir,
    files: BTreeMap<String, String>,
}

fn render(profile: &Path) -> Rendered {
    let c = common::compile(profile);
    let files = common::config_map(&c, "prometheus-rules");
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).expect("write rule file");
    }
    Rendered {
        profile: profile.display().to_string(),
        dir,
        files,
    }
}

impl Rendered {
    fn slo_rules(&self) -> Vec<Value> {
        let text = self
            .files
            .get(RULE_FILE)
            .unwrap_or_else(|| panic!("{}: no {RULE_FILE}", self.profile));
        let doc: Value = serde_yaml_ng::from_str(text).expect("rule file parses");
        doc["groups"]
            .as_sequence()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_sequence().cloned().unwrap_or_default())
            .collect()
    }

    /// The rule of `alert` for the table row whose long window is `long`.
    fn burn_rule(&self, alert: &str, long: &str) -> Value {
        self.slo_rules()
            .into_iter()
            .find(|r| {
                r["alert"].as_str() == Some(alert)
                    && r["labels"]["long_window"].as_str() == Some(long)
            })
            .unwrap_or_else(|| panic!("{}: no {alert} rule for {long}", self.profile))
    }
}

// ---------------------------------------------------------------------------------------------
// promtool test files

use common::promtool::{AlertTest, ExpAlert, ExprTest, Sample, Series, TestFile, TestGroup};

/// A counter's values: for each `(steps, increment)` segment, that many steps growing by
/// `increment` (promtool's expanding notation, one segment after the other).
fn counter(segments: &[(u64, f64)]) -> String {
    let mut parts = Vec::new();
    let mut value = 0.0;
    for (i, &(steps, inc)) in segments.iter().enumerate() {
        if i == 0 {
            parts.push(format!("0+{inc}x{steps}"));
        } else {
            value += inc;
            parts.push(format!("{value}+{inc}x{}", steps - 1));
        }
        value += inc * if i == 0 { steps } else { steps - 1 } as f64;
    }
    parts.join(" ")
}

/// The synthetic service's series: per segment `(steps, bad share)`, `PER_STEP` requests per
/// step of which that share is bad (a 5xx, or slower than the latency threshold).
fn service_series(slo: &Slo, status: &str, segments: &[(u64, f64)]) -> Vec<Series> {
    let scaled = |share: fn(f64) -> f64| -> Vec<(u64, f64)> {
        segments
            .iter()
            .map(|&(steps, bad)| (steps, round(PER_STEP * share(bad))))
            .collect()
    };
    let labels = format!("job=\"kubernetes-pods\", service=\"{}\"", slo.service);
    match slo.latency {
        None => vec![
            Series {
                series: format!("http_requests_total{{{labels}, {status}=\"200\"}}"),
                values: counter(&scaled(|bad| 1.0 - bad)),
            },
            Series {
                series: format!("http_requests_total{{{labels}, {status}=\"500\"}}"),
                values: counter(&scaled(|bad| bad)),
            },
        ],
        Some(threshold) => {
            // Good requests take 1ms (in every bucket), bad ones land just above the threshold.
            let mut bounds: Vec<String> = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
                .iter()
                .map(|b: &f64| b.to_string())
                .collect();
            bounds.push("+Inf".into());
            let mut series: Vec<Series> = bounds
                .iter()
                .map(|le| {
                    let under = le != "+Inf" && le.parse::<f64>().expect("a bound") <= threshold;
                    Series {
                        series: format!(
                            "http_request_duration_seconds_bucket{{{labels}, le=\"{le}\"}}"
                        ),
                        values: if under {
                            counter(&scaled(|bad| 1.0 - bad))
                        } else {
                            counter(&scaled(|_| 1.0))
                        },
                    }
                })
                .collect();
            series.push(Series {
                series: format!("http_request_duration_seconds_count{{{labels}}}"),
                values: counter(&scaled(|_| 1.0)),
            });
            series
        }
    }
}

fn round(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// The alert promtool must report for `row`, its annotations expanded for `value`.
fn expected(r: &Rendered, slo: &Slo, row: usize, value: f64) -> ExpAlert {
    let (_, long, short, severity) = TABLE[row];
    let rule = r.burn_rule(&slo.alert(), long);
    let mut exp_labels: BTreeMap<String, String> =
        serde_yaml_ng::from_value(rule["labels"].clone()).expect("labels are strings");
    assert_eq!(exp_labels["severity"], severity, "{}: {long}", slo.name);
    assert_eq!(exp_labels["short_window"], short, "{}: {long}", slo.name);
    exp_labels.insert("slo".into(), slo.name.clone());
    exp_labels.insert("service".into(), slo.service.clone());
    let annotations: BTreeMap<String, String> =
        serde_yaml_ng::from_value(rule["annotations"].clone()).expect("annotations are strings");
    let exp_annotations = annotations
        .into_iter()
        .map(|(k, template)| (k, expand(&template, &exp_labels, value)))
        .collect();
    ExpAlert {
        exp_labels,
        exp_annotations,
    }
}

fn expand(template: &str, labels: &BTreeMap<String, String>, value: f64) -> String {
    let mut text = template.to_string();
    for (k, v) in labels {
        text = text.replace(&format!("{{{{ $labels.{k} }}}}"), v);
    }
    // Prometheus' humanizePercentage is `%.4g%%` of the value times 100.
    let text = text.replace(
        "{{ $value | humanizePercentage }}",
        &format!("{}%", go_g4(value * 100.0)),
    );
    assert!(
        !text.contains("{{"),
        "a template this test cannot expand: {template}"
    );
    text
}

/// Go's `%.4g`: four significant digits, trailing zeros dropped.
fn go_g4(v: f64) -> String {
    let sci = format!("{v:.3e}");
    let (_, exp) = sci.split_once('e').expect("scientific notation");
    let exp: i32 = exp.parse().expect("exponent");
    let decimals = usize::try_from(3 - exp).unwrap_or(0);
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// The rows that fire at a steady `bad` share: those whose threshold it passes.
fn firing_rows(slo: &Slo, bad: f64) -> Vec<usize> {
    (0..TABLE.len())
        .filter(|&row| bad > slo.factor(row) * slo.budget())
        .collect()
}

/// Row `row` both ways: a steady bad share 5% past its threshold fires it (with every row of a
/// lower factor), 5% below leaves it silent (the lower rows still fire). Evaluated once the
/// long window is full.
fn burn_groups(r: &Rendered, slo: &Slo, status: &str, row: usize) -> Vec<TestGroup> {
    let (_, long, short, _) = TABLE[row];
    let threshold = slo.factor(row) * slo.budget();
    let steps = seconds(long) / STEP;
    let rule = r.burn_rule(&slo.alert(), long);
    let expr = rule["expr"].as_str().expect("expr");
    assert!(
        expr.contains(&format!("ratio_rate{long}{{"))
            && expr.contains(&format!("ratio_rate{short}{{")),
        "{}: the {long} rule reads {long} and {short}: {expr}",
        r.profile
    );
    [(1.05, "fires"), (0.95, "is silent")]
        .into_iter()
        .map(|(scale, what)| {
            let bad = round(threshold * scale);
            assert!(bad < 1.0, "{}: no room for a bad share of {bad}", slo.name);
            let firing = firing_rows(slo, bad);
            assert_eq!(firing.contains(&row), scale > 1.0);
            TestGroup {
                name: format!(
                    "{} {long}/{short} {what} at a bad share of {bad} (threshold {threshold})",
                    slo.alert()
                ),
                interval: format!("{STEP}s"),
                input_series: service_series(slo, status, &[(steps, bad)]),
                alert_rule_test: vec![AlertTest {
                    eval_time: format!("{}s", steps * STEP),
                    alertname: slo.alert(),
                    exp_alerts: firing.iter().map(|&j| expected(r, slo, j, bad)).collect(),
                }],
                promql_expr_test: vec![
                    close_to(
                        slo,
                        "slo:error_budget_remaining:ratio",
                        1.0 - bad / slo.budget(),
                        steps * STEP,
                    ),
                    close_to(slo, "slo:objective:ratio", slo.objective / 100.0, 0),
                ],
            }
        })
        .collect()
}

/// Whether the recorded `series` of `slo` is `value` at `at` seconds, to 1e-9 (promtool
/// compares samples exactly, and the ratios carry float noise).
fn close_to(slo: &Slo, series: &str, value: f64, at: u64) -> ExprTest {
    ExprTest {
        expr: format!(
            "abs({series}{{slo=\"{}\"}} - ({value})) < bool 1e-9",
            slo.name
        ),
        eval_time: format!("{at}s"),
        exp_samples: vec![Sample {
            labels: format!("{{service=\"{}\", slo=\"{}\"}}", slo.service, slo.name),
            value: 1.0,
        }],
    }
}

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
    // Only the SLO rules: the other files read series these tests do not write.
    let file = TestFile {
        rule_files: vec![RULE_FILE.to_string()],
        evaluation_interval: format!("{EVALUATION}s"),
        tests,
    };
    let yaml = serde_yaml_ng::to_string(&file).expect("test file serializes");
    std::fs::write(r.dir.path().join("slo-tests.yml"), &yaml).expect("write test file");
    let (ok, output) = run(promtool, r.dir.path(), &["test", "rules", "slo-tests.yml"]);
    assert!(
        ok,
        "{}: promtool test rules failed:\n{output}\n--- slo-tests.yml:\n{yaml}",
        r.profile
    );
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn promtool_check_rules_accepts_the_slo_rules() {
    let Some(promtool) = common::require_tool("promtool") else {
        return;
    };
    for profile in profiles() {
        let r = render(&profile);
        let (ok, output) = run(
            &promtool,
            r.dir.path(),
            &["check", "rules", "--lint-fatal", RULE_FILE],
        );
        assert!(ok, "{}: promtool check rules failed:\n{output}", r.profile);
    }
}

#[test]
fn every_burn_rate_alert_fires_at_its_rate_and_not_just_below() {
    let Some(promtool) = common::require_tool("promtool") else {
        return;
    };
    // Every row for the fixture; the shipped profile's SLOs have the same shapes, so the two
    // page rows (the cheap ones to evaluate) suffice for them.
    for (profile, rows) in profiles().into_iter().zip([0..TABLE.len(), 0..2]) {
        let (slos, status) = profile_slos(&profile);
        assert!(slos.len() >= 2, "{}: two SLOs at least", profile.display());
        let r = render(&profile);
        let groups = slos
            .iter()
            .flat_map(|slo| {
                rows.clone()
                    .flat_map(|row| burn_groups(&r, slo, &status, row))
                    .collect::<Vec<_>>()
            })
            .collect();
        promtool_test(&promtool, &r, groups);
    }
}

/// The 1h page needs its 5m window too: an hour of heavy burn that stopped 10 minutes ago
/// still fills the 1h window, but no longer pages; the slower rows, whose short windows still
/// hold the burn, fire.
#[test]
fn a_burn_that_stopped_no_longer_pages() {
    let Some(promtool) = common::require_tool("promtool") else {
        return;
    };
    let profile = root().join(FIXTURE);
    let (slos, status) = profile_slos(&profile);
    let r = render(&profile);
    let slo = &slos[0];
    let heavy = round(20.0 * slo.budget());
    let (burning, after) = (60, 10);
    let stopped = TestGroup {
        name: format!("{}: burn stopped {after}m ago", slo.alert()),
        interval: format!("{STEP}s"),
        input_series: service_series(slo, &status, &[(burning, heavy), (after, 0.0)]),
        alert_rule_test: vec![
            AlertTest {
                eval_time: format!("{}s", burning * STEP),
                alertname: slo.alert(),
                exp_alerts: (0..4).map(|row| expected(&r, slo, row, heavy)).collect(),
            },
            AlertTest {
                eval_time: format!("{}s", (burning + after) * STEP),
                alertname: slo.alert(),
                exp_alerts: (1..4)
                    .map(|row| {
                        // The long windows hold every request since the start: 60 of 70 minutes burnt.
                        let long_ratio = heavy * burning as f64 / (burning + after) as f64;
                        expected(&r, slo, row, long_ratio)
                    })
                    .collect(),
            },
        ],
        promql_expr_test: Vec::new(),
    };
    promtool_test(&promtool, &r, vec![stopped]);
}

#[test]
fn the_slo_dashboard_is_rendered_with_a_panel_per_view() {
    let c = common::compile(&root().join(FIXTURE));
    let data = common::config_map(&c, "grafana-dashboard-slo");
    let json: serde_json::Value =
        serde_json::from_str(data.get("slo.json").expect("slo.json")).expect("JSON");
    let titles: Vec<&str> = json["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .filter_map(|p| p["title"].as_str())
        .collect();
    for title in [
        "Error budget left",
        "SLI over the window",
        "Burn rate by window",
    ] {
        assert!(titles.contains(&title), "no panel {title}: {titles:?}");
    }
    assert!(
        json["templating"]["list"][0]["query"]
            .to_string()
            .contains("slo:objective:ratio"),
        "the $slo variable reads the objectives"
    );
}

#[test]
fn slo_mistakes_are_reported_at_their_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("slo.toml");
    std::fs::write(
        &path,
        "[[slo]]\nname = \"api\"\nservice = \"api\"\nobjective = 99\nlatency = \"1s\"\n\n\
         [[slo]]\nname = \"api\"\nservice = \"api\"\nobjective = 100\nlatency = \"300ms\"\n",
    )
    .expect("write profile");
    let out = common::monstack(&["validate", path.to_str().expect("utf-8 path")]);
    let stderr = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for (code, at, key) in [
        (
            "slo-objective-out-of-range",
            "slo.toml:10:13",
            "slo[1].objective",
        ),
        (
            "slo-latency-not-a-bucket",
            "slo.toml:11:11",
            "slo[1].latency",
        ),
        ("slo-duplicate-name", "slo.toml:8:8", "slo[1].name"),
    ] {
        assert!(
            stderr.contains(&format!("error[{code}]")),
            "{code}:\n{stderr}"
        );
        assert!(stderr.contains(at), "{code} at {at}:\n{stderr}");
        assert!(stderr.contains(&format!("key: {key}")), "{key}:\n{stderr}");
    }
}

#[test]
fn a_single_slo_table_asks_for_double_brackets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("slo.toml");
    std::fs::write(&path, "[slo]\nname = \"api\"\n").expect("write profile");
    let out = common::monstack(&["validate", path.to_str().expect("utf-8 path")]);
    let stderr = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[wrong-type]: expected a list, found a table")
            && stderr.contains("write each entry under its own `[[slo]]` header"),
        "{stderr}"
    );
}
