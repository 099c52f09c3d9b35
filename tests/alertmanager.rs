//! Alertmanager end to end: every shipped profile's alertmanager.yml passes the real amtool, a
//! profile with every receiver routes by severity through mounted Secret files only, and the
//! real Alertmanager mutes a warning stage while its critical stage fires for the same target.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::core::v1::PodSpec;
use monstack::diag::Code;
use monstack::k8s::Object;
use monstack::pipeline::{self, Compilation};
use serde_yaml_ng::Value;
use tempfile::TempDir;

const ALL_RECEIVERS: &str = r##"
[stack]
name = "shop"
namespace = "observability"

[alertmanager]
replicas = 3
critical_repeat_interval = "1h"
host = "alerts.shop.example.com"

[alertmanager.receivers]
pagerduty = { secret = "am-pagerduty", key = "routing-key" }
slack = { secret = "am-slack", key = "webhook-url", channel = "#shop-alerts" }
webhook = { secret = "am-webhook", key = "url" }
watchdog = { secret = "am-deadman", key = "ping-url" }

[alertmanager.routes]
critical = ["pagerduty", "slack"]
warning = ["slack"]
default = ["webhook"]
"##;

/// Writes `text` as a profile in a fresh temporary directory (kept alive by the TempDir).
fn profile(text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("test.toml");
    std::fs::write(&path, text).expect("write profile");
    (dir, path)
}

fn alertmanager_yml(c: &Compilation) -> String {
    common::config_map(c, "alertmanager-config")
        .remove("alertmanager.yml")
        .expect("alertmanager-config has alertmanager.yml")
}

/// amtool 0.25 predates webhook `url_file` (added in Alertmanager 0.26) and rejects it, but the
/// pinned 0.34 needs it to keep the URL in a Secret. For this check only, each `url_file:` line
/// becomes a literal placeholder `url:`; `webhook_reads_its_url_from_a_file` pins the real key.
fn for_amtool_025(config: &str) -> String {
    let mut out = String::new();
    for line in config.lines() {
        let body = line.trim_start().trim_start_matches("- ");
        if body.starts_with("url_file:") {
            let indent = &line[..line.len() - body.len()];
            out.push_str(&format!("{indent}url: 'http://127.0.0.1/placeholder'\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn amtool_check(amtool: &Path, config: &str, what: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("alertmanager.yml");
    std::fs::write(&file, for_amtool_025(config)).expect("write config");
    let out = Command::new(amtool)
        .arg("check-config")
        .arg(&file)
        .output()
        .expect("amtool runs");
    assert!(
        out.status.success(),
        "amtool rejects the alertmanager.yml of {what}:\n{}{}\n---\n{config}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The kinds the alertmanager component rendered.
/// Whether the (derived) PodDisruptionBudget of Alertmanager is rendered.
fn has_budget(c: &Compilation) -> bool {
    c.manifest
        .objects()
        .any(|o| o.kind() == "PodDisruptionBudget" && o.name() == "alertmanager")
}

fn pod_spec(c: &Compilation) -> PodSpec {
    c.manifest
        .objects()
        .find_map(|o| match o {
            Object::StatefulSet(_) if o.name() == "alertmanager" => {
                o.pod_template().and_then(|t| t.spec.clone())
            }
            _ => None,
        })
        .expect("StatefulSet alertmanager with a pod spec")
}

/// The Secret (name, key) behind a file path the config refers to, via the container's mounts.
fn secret_behind(spec: &PodSpec, file: &str) -> (String, String) {
    let (dir, key) = file.rsplit_once('/').expect("an absolute path");
    let container = &spec.containers[0];
    assert_eq!(container.name, "alertmanager");
    let mount = container
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path == dir)
        .unwrap_or_else(|| panic!("nothing is mounted at {dir}"));
    assert_eq!(mount.sub_path, None, "secrets are mounted as directories");
    let volume = spec
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == mount.name)
        .expect("the mounted volume exists");
    let secret = volume.secret.as_ref().expect("a Secret volume");
    (
        secret.secret_name.clone().unwrap_or_default(),
        key.to_string(),
    )
}

fn receiver<'a>(config: &'a Value, name: &str) -> &'a Value {
    config["receivers"]
        .as_sequence()
        .and_then(|rs| rs.iter().find(|r| r["name"].as_str() == Some(name)))
        .unwrap_or_else(|| panic!("no receiver {name}"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v:?}"))
}

#[test]
fn every_shipped_profile_passes_amtool() {
    let Some(amtool) = common::require_tool("amtool") else {
        return;
    };
    for path in common::shipped_profiles() {
        let c = common::compile(&path);
        if c.manifest
            .parts
            .iter()
            .any(|p| p.component == "alertmanager")
        {
            amtool_check(&amtool, &alertmanager_yml(&c), &path.display().to_string());
        }
    }
}

#[test]
fn every_receiver_passes_amtool() {
    let Some(amtool) = common::require_tool("amtool") else {
        return;
    };
    let (_dir, path) = profile(ALL_RECEIVERS);
    amtool_check(
        &amtool,
        &alertmanager_yml(&common::compile(&path)),
        "ALL_RECEIVERS",
    );
}

#[test]
fn severities_route_to_their_receivers_and_critical_inhibits_warning() {
    let (_dir, path) = profile(ALL_RECEIVERS);
    let config: Value =
        serde_yaml_ng::from_str(&alertmanager_yml(&common::compile(&path))).unwrap();
    let route = &config["route"];
    assert_eq!(str_of(route, "receiver"), "default");
    assert!(
        route.get("matchers").is_none(),
        "the root route must not have matchers"
    );
    let children: Vec<(&str, &str)> = route["routes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|r| (str_of(r, "receiver"), r["matchers"][0].as_str().unwrap()))
        .collect();
    assert_eq!(
        children,
        [
            ("watchdog", "alertname=\"Watchdog\""),
            ("critical", "severity=\"critical\""),
            ("warning", "severity=\"warning\"")
        ]
    );
    assert_eq!(str_of(&route["routes"][1], "repeat_interval"), "1h");

    let integrations = |name: &str| -> Vec<String> {
        let r = receiver(&config, name).as_mapping().unwrap();
        r.keys()
            .filter_map(|k| k.as_str())
            .filter(|k| *k != "name")
            .map(String::from)
            .collect()
    };
    assert_eq!(
        integrations("critical"),
        ["pagerduty_configs", "slack_configs"]
    );
    assert_eq!(integrations("warning"), ["slack_configs"]);
    assert_eq!(integrations("default"), ["webhook_configs"]);

    let inhibit = &config["inhibit_rules"][0];
    let strings = |v: &Value| serde_yaml_ng::from_value::<Vec<String>>(v.clone()).unwrap();
    assert_eq!(
        strings(&inhibit["source_matchers"]),
        ["severity=\"critical\"", "alert_group=~\".+\""]
    );
    assert_eq!(
        strings(&inhibit["target_matchers"]),
        ["severity=\"warning\"", "alert_group=~\".+\""]
    );
    assert_eq!(strings(&inhibit["equal"])[0], "alert_group");
}

#[test]
fn credentials_are_files_from_the_mounted_secrets() {
    let (_dir, path) = profile(ALL_RECEIVERS);
    let c = common::compile(&path);
    let config: Value = serde_yaml_ng::from_str(&alertmanager_yml(&c)).unwrap();
    let spec = pod_spec(&c);
    let files = [
        (
            "critical",
            "pagerduty_configs",
            "routing_key_file",
            ("am-pagerduty", "routing-key"),
        ),
        (
            "critical",
            "slack_configs",
            "api_url_file",
            ("am-slack", "webhook-url"),
        ),
        (
            "warning",
            "slack_configs",
            "api_url_file",
            ("am-slack", "webhook-url"),
        ),
        (
            "default",
            "webhook_configs",
            "url_file",
            ("am-webhook", "url"),
        ),
        (
            "watchdog",
            "webhook_configs",
            "url_file",
            ("am-deadman", "ping-url"),
        ),
    ];
    for (name, kind, field, (secret, key)) in files {
        let file = str_of(&receiver(&config, name)[kind][0], field);
        assert_eq!(
            secret_behind(&spec, file),
            (secret.to_string(), key.to_string()),
            "{name}.{kind}"
        );
    }
    // The inline forms would hold the credential itself; only the *_file forms may appear.
    for r in config["receivers"].as_sequence().unwrap() {
        for (kind, configs) in r.as_mapping().unwrap().iter().filter(|(k, _)| *k != "name") {
            for field in ["routing_key", "service_key", "api_url", "url"] {
                assert!(
                    configs[0].get(field).is_none(),
                    "{kind:?} has an inline {field}"
                );
            }
        }
    }
    assert!(
        !c.manifest.objects().any(|o| o.kind() == "Secret"),
        "monstack never renders Secrets"
    );
    assert_eq!(
        receiver(&config, "critical")["slack_configs"][0]["channel"].as_str(),
        Some("#shop-alerts")
    );
}

#[test]
fn webhook_reads_its_url_from_a_file() {
    let (_dir, path) = profile(ALL_RECEIVERS);
    let text = alertmanager_yml(&common::compile(&path));
    assert!(
        text.contains("url_file: '/etc/alertmanager/secrets/webhook/url'"),
        "{text}"
    );
    let checked = for_amtool_025(&text);
    assert!(!checked.contains("- url_file:"), "{checked}");
    assert!(
        checked.contains("- url: 'http://127.0.0.1/placeholder'"),
        "{checked}"
    );
    assert!(
        for_amtool_025(&text).contains("api_url_file"),
        "only webhook url_file is replaced"
    );
}

/// Without a dead man's switch the Watchdog still has its own route, to a receiver without
/// integrations: it must never reach the default receiver or a severity route.
#[test]
fn the_watchdog_goes_to_a_null_receiver_without_a_dead_mans_switch() {
    let (_dir, path) = profile(
        "[alertmanager.receivers]\nwebhook = { secret = \"w\", key = \"url\" }\n[alertmanager.routes]\ndefault = [\"webhook\"]\n",
    );
    let c = common::compile(&path);
    let config: Value = serde_yaml_ng::from_str(&alertmanager_yml(&c)).unwrap();
    let first = &config["route"]["routes"][0];
    assert_eq!(str_of(first, "receiver"), "null");
    assert_eq!(
        first["matchers"][0].as_str(),
        Some("alertname=\"Watchdog\"")
    );
    let null = receiver(&config, "null").as_mapping().unwrap();
    assert_eq!(
        null.len(),
        1,
        "the null receiver has no integration: {null:?}"
    );
    let secrets: Vec<String> = c
        .collected
        .secrets()
        .filter(|(component, _)| *component == "alertmanager")
        .map(|(_, s)| s.name.clone())
        .collect();
    assert_eq!(secrets, ["w"]);
}

/// PagerDuty's severity is the alert's (Alertmanager's default would be `error`), and both
/// payloads carry the summary, description and runbook; links point at the external URL.
#[test]
fn pagerduty_and_slack_payloads_carry_severity_text_and_runbook() {
    let (_dir, path) = profile(ALL_RECEIVERS);
    let c = common::compile(&path);
    let config: Value = serde_yaml_ng::from_str(&alertmanager_yml(&c)).unwrap();
    let pd = &receiver(&config, "critical")["pagerduty_configs"][0];
    assert_eq!(
        str_of(pd, "severity"),
        "{{ if eq .CommonLabels.severity \"critical\" \"warning\" \"info\" }}{{ .CommonLabels.severity }}{{ else }}error{{ end }}"
    );
    assert!(str_of(pd, "description").contains(".CommonAnnotations.summary"));
    assert!(str_of(&pd["details"], "description").contains(".Annotations.description"));
    assert_eq!(
        str_of(&pd["links"][0], "href"),
        "{{ .CommonAnnotations.runbook_url }}"
    );
    assert_eq!(str_of(pd, "client_url"), "{{ .ExternalURL }}");
    let slack = &receiver(&config, "warning")["slack_configs"][0];
    let text = str_of(slack, "text");
    for part in [
        ".Annotations.summary",
        ".Annotations.description",
        ".Annotations.runbook_url",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    assert!(str_of(slack, "title_link").starts_with("{{ .ExternalURL }}"));
    let args = pod_spec(&c).containers[0].args.clone().unwrap_or_default();
    assert!(
        args.contains(&"--web.external-url=https://alerts.shop.example.com/".to_string()),
        "{args:?}"
    );
}

#[test]
fn slack_go_templates_reach_the_config_intact() {
    let (_dir, path) = profile(ALL_RECEIVERS);
    let text = alertmanager_yml(&common::compile(&path));
    for go in [
        "{{ .CommonLabels.alertname }}",
        "{{ range .Alerts }}",
        "{{ .Status | toUpper }}",
    ] {
        assert!(text.contains(go), "{go} missing from:\n{text}");
    }
}

#[test]
fn replicas_gossip_and_are_offered_to_prometheus_one_by_one() {
    let (_dir, path) = profile(ALL_RECEIVERS);
    let c = common::compile(&path);
    let alerts = c
        .collected
        .alert_receiver()
        .expect("alertmanager offers an alert receiver");
    assert_eq!(alerts.targets.len(), 3);
    assert_eq!(
        alerts.targets[2],
        "alertmanager-2.alertmanager-headless.observability.svc:9093"
    );
    let args = pod_spec(&c).containers[0].args.clone().unwrap_or_default();
    let peers = args
        .iter()
        .filter(|a| a.starts_with("--cluster.peer="))
        .count();
    assert_eq!(peers, 3);
    assert!(has_budget(&c));
}

#[test]
fn a_single_replica_has_no_cluster_and_no_disruption_budget() {
    let (_dir, path) = profile("[alertmanager]\nreplicas = 1\n");
    let c = common::compile(&path);
    let spec = pod_spec(&c);
    let args = spec.containers[0].args.clone().unwrap_or_default();
    assert!(
        args.contains(&"--cluster.listen-address=".to_string()),
        "{args:?}"
    );
    assert!(!has_budget(&c));
    assert_eq!(spec.automount_service_account_token, Some(false));
}

#[test]
fn a_route_to_an_unconfigured_receiver_is_reported_at_its_key() {
    let (_dir, path) = profile("[alertmanager.routes]\ncritical = [\"pagerduty\"]\n");
    let failure = match pipeline::compile_path(Some(&path), &[]).expect("no internal error") {
        Ok(_) => panic!("a route to a missing receiver must not compile"),
        Err(failure) => failure,
    };
    let d = failure
        .diagnostics
        .iter()
        .find(|d| d.code == Code::ReceiverNotConfigured)
        .unwrap_or_else(|| panic!("no receiver-not-configured in {failure}"));
    assert_eq!(d.key.as_deref(), Some("alertmanager.routes.critical"));
    assert_eq!(d.at.as_ref().map(|a| a.line), Some(2));
}

/// The `severity` and `alert_group` labels production's rules give each alert.
fn rule_labels(c: &Compilation) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    for text in common::config_map(c, "prometheus-rules").values() {
        let doc: Value = serde_yaml_ng::from_str(text).expect("rule file parses");
        for group in doc["groups"].as_sequence().into_iter().flatten() {
            for rule in group["rules"].as_sequence().into_iter().flatten() {
                let Some(name) = rule["alert"].as_str() else {
                    continue;
                };
                let labels = &rule["labels"];
                out.push((
                    name.to_string(),
                    str_of(labels, "severity").to_string(),
                    labels["alert_group"].as_str().map(String::from),
                ));
            }
        }
    }
    out
}

#[test]
fn every_alert_group_has_one_critical_stage_and_a_warning() {
    let production = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/production.toml");
    let labels = rule_labels(&common::compile(&production));
    // Stages are alert names: an SLO's burn-rate alert is one name with a rule per window pair.
    let mut groups: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    let mut seen = std::collections::BTreeSet::new();
    for (name, severity, group) in &labels {
        if let Some(group) = group
            && seen.insert((name, severity))
        {
            groups.entry(group).or_default().push(severity);
        }
    }
    assert!(
        groups.contains_key("ErrorRate") && groups.contains_key("NodeFilesystemSpace"),
        "{groups:?}"
    );
    for (group, severities) in &groups {
        let critical = severities.iter().filter(|s| **s == "critical").count();
        let warning = severities.iter().filter(|s| **s == "warning").count();
        assert!(
            critical == 1 && warning >= 1 && critical + warning == severities.len(),
            "alert group {group} needs one critical stage and warnings: {severities:?}"
        );
    }
}

/// A running Alertmanager, stopped (by its pid) when dropped, also when an assertion fails.
struct Running {
    child: std::process::Child,
    url: String,
    _dir: TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_alertmanager(binary: &Path, config: &str) -> Running {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("alertmanager.yml");
    std::fs::write(&file, for_amtool_025(config)).expect("write config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let child = Command::new(binary)
        .arg(format!("--config.file={}", file.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("alertmanager starts");
    Running {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

fn amtool_at(amtool: &Path, am: &Running, args: &[&str]) -> Option<String> {
    let out = Command::new(amtool)
        .args(args)
        .arg(format!("--alertmanager.url={}", am.url))
        .output()
        .expect("amtool runs");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The rendered inhibit rule, run by the real Alertmanager (Debian's 0.25): the critical stage
/// of a condition mutes its warning stage for the same target only.
#[test]
fn a_critical_stage_inhibits_its_warning_for_the_same_target_only() {
    let (Some(binary), Some(amtool)) = (
        common::require_tool("prometheus-alertmanager"),
        common::require_tool("amtool"),
    ) else {
        return;
    };
    let production = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/production.toml");
    let c = common::compile(&production);
    let labels = rule_labels(&c);
    let rule = |name: &str| {
        labels
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("production renders no {name}"))
    };
    let am = start_alertmanager(&binary, &alertmanager_yml(&c));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while amtool_at(&amtool, &am, &["config", "show"]).is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "alertmanager did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // (alert, target labels, inhibited?)
    let cases: &[(&str, &[&str], bool)] = &[
        ("HighErrorRate", &["namespace=shop", "service=api"], false),
        (
            "ElevatedErrorRate",
            &["namespace=shop", "service=api"],
            true,
        ),
        (
            "ElevatedErrorRate",
            &["namespace=shop", "service=web"],
            false,
        ),
        ("HighLatency", &["namespace=shop", "service=api"], false),
        (
            "NodeFilesystemAlmostFull",
            &["instance=node-a", "mountpoint=/"],
            false,
        ),
        (
            "NodeFilesystemFillingUp",
            &["instance=node-a", "mountpoint=/data"],
            false,
        ),
        (
            "NodeFilesystemFillingUp",
            &["instance=node-a", "mountpoint=/"],
            true,
        ),
    ];
    for (name, target, _) in cases {
        let (_, severity, group) = rule(name);
        let mut args = vec![
            "alert".to_string(),
            "add".into(),
            format!("alertname={name}"),
            format!("severity={severity}"),
        ];
        args.extend(group.iter().map(|g| format!("alert_group={g}")));
        args.extend(target.iter().map(|l| l.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert!(amtool_at(&amtool, &am, &args).is_some(), "amtool {args:?}");
    }
    // The inhibitor learns of the critical alerts asynchronously: poll until it has.
    let expected: Vec<(String, bool)> = cases
        .iter()
        .map(|(name, target, inhibited)| (format!("{name} {}", target.join(" ")), *inhibited))
        .collect();
    let mut seen = Vec::new();
    while std::time::Instant::now() < deadline {
        let json = amtool_at(
            &amtool,
            &am,
            &["alert", "query", "--inhibited", "--active", "-o", "json"],
        )
        .unwrap_or_default();
        seen = inhibition(&json, cases);
        if seen == expected {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(seen, expected, "(alert and target, inhibited)");
}

/// For each case, whether Alertmanager reports its alert inhibited (absent: not inhibited).
fn inhibition(json: &str, cases: &[(&str, &[&str], bool)]) -> Vec<(String, bool)> {
    let alerts: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    cases
        .iter()
        .map(|(name, target, _)| {
            let matches = |a: &&serde_json::Value| {
                a["labels"]["alertname"] == *name
                    && target.iter().all(|l| {
                        let (k, v) = l.split_once('=').expect("k=v");
                        a["labels"][k] == v
                    })
            };
            let inhibited = alerts.iter().find(matches).is_some_and(|a| {
                a["status"]["inhibitedBy"]
                    .as_array()
                    .is_some_and(|by| !by.is_empty())
            });
            (format!("{name} {}", target.join(" ")), inhibited)
        })
        .collect()
}
