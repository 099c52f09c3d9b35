//! Components contribute their own scrape jobs, rules and dashboards: turning a source off
//! takes its alerts and panels with it, a rule that reads another component's job goes when
//! that component does, and the keys that moved out of `[prometheus]` say where they went.

mod common;

use std::path::PathBuf;

use monstack::pipeline::{self, Compilation};
use tempfile::TempDir;

fn profile(text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn rule_names(c: &Compilation) -> Vec<String> {
    let files = common::config_map(c, "prometheus-rules");
    let mut names: Vec<String> = files
        .values()
        .flat_map(|text| {
            text.lines()
                .filter_map(|l| {
                    let l = l.trim();
                    l.strip_prefix("- alert: ")
                        .or_else(|| l.strip_prefix("- record: "))
                })
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn shipped_profiles_compile_without_warnings() {
    for path in common::shipped_profiles() {
        let c = common::compile(&path);
        assert!(
            c.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            c.warnings
        );
    }
}

#[test]
fn a_disabled_source_takes_its_job_rules_and_dashboard_with_it() {
    let (_dir, path) = profile("[kafka]\nenabled = false\n");
    let c = common::compile(&path);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(c.collected.scrape_jobs().all(|j| j.name != "kafka"));
    let rules = rule_names(&c);
    assert!(
        !rules
            .iter()
            .any(|r| r.contains("kafka") || r.starts_with("Kafka")),
        "{rules:?}"
    );
    assert!(!common::config_map(&c, "prometheus-rules").contains_key("kafka.yml"));
    assert!(
        c.manifest
            .objects()
            .all(|o| o.name() != "grafana-dashboard-kafka")
    );
}

#[test]
fn rules_over_another_components_job_go_with_that_component() {
    let (_dir, path) = profile("[kube_state_metrics]\nenabled = false\n");
    let c = common::compile(&path);
    let rules = rule_names(&c);
    for gone in ["HighCPUUsage", "HighMemoryUsage", "PodNotReady"] {
        assert!(!rules.contains(&gone.to_string()), "{gone}: {rules:?}");
    }
    // cAdvisor's own recording rules stay.
    assert!(
        rules.contains(&"namespace_pod_container:container_cpu_usage_seconds:rate5m".to_string()),
        "{rules:?}"
    );
}

#[test]
fn keys_that_left_prometheus_say_where_they_went() {
    let (_dir, path) = profile(
        "[prometheus.scrape]\ndapr = false\n\n[prometheus.alerts]\nhigh_error_rate = { ratio = 0.1 }\n",
    );
    let failure = pipeline::compile_path(Some(&path), &[])
        .expect("no internal error")
        .expect_err("moved keys are errors");
    let found: Vec<(&str, Option<&str>, Option<usize>, &str)> = failure
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.code.name(),
                d.key.as_deref(),
                d.at.as_ref().map(|a| a.line),
                d.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "moved-key",
                Some("prometheus.scrape.dapr"),
                Some(2),
                "`prometheus.scrape.dapr` moved to `dapr.enabled`"
            ),
            (
                "moved-key",
                Some("prometheus.alerts.high_error_rate"),
                Some(5),
                "`prometheus.alerts.high_error_rate` moved to `applications.alerts.high_error_rate`"
            ),
        ]
    );
}

/// Node agents run apart: a pod with host access (host network or PID, a hostPath volume) is
/// only ever rendered into a namespace that enforces Pod Security `privileged` and says why;
/// the stack's own namespace enforces `restricted`.
#[test]
fn host_access_only_in_namespaces_that_allow_it_and_say_why() {
    use monstack::k8s::Object;
    for path in common::shipped_profiles() {
        let c = common::compile(&path);
        let level = |ns: &str| {
            c.manifest.objects().find_map(|o| match o {
                Object::Namespace(n) if o.name() == ns => Some((
                    n.metadata
                        .labels
                        .as_ref()
                        .and_then(|l| l.get("pod-security.kubernetes.io/enforce").cloned()),
                    n.metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get("monstack.io/pod-security-reason").cloned()),
                )),
                _ => None,
            })
        };
        assert_eq!(
            level(c.stack.namespace.as_str())
                .and_then(|(l, _)| l)
                .as_deref(),
            Some("restricted"),
            "{}",
            path.display()
        );
        let mut host_pods = 0;
        for o in c.manifest.objects() {
            let Some(spec) = o.pod_template().and_then(|t| t.spec.as_ref()) else {
                continue;
            };
            let host = spec.host_network == Some(true)
                || spec.host_pid == Some(true)
                || spec.volumes.iter().flatten().any(|v| v.host_path.is_some());
            if !host {
                continue;
            }
            host_pods += 1;
            let ns = o.namespace().unwrap_or_default();
            let (enforce, reason) = level(ns).unwrap_or_else(|| panic!("{ns} is not rendered"));
            assert_eq!(enforce.as_deref(), Some("privileged"), "{}", o.id());
            assert!(
                reason.is_some_and(|r| !r.is_empty()),
                "{}: no reason",
                o.id()
            );
        }
        assert!(
            host_pods >= 1,
            "{}: node-exporter has host access",
            path.display()
        );
    }
}
