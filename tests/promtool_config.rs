//! The rendered prometheus.yml of every shipped profile is accepted by the real promtool.
//!
//! Debian's promtool (2.42) has no Kubernetes service discovery compiled in, so each
//! `kubernetes_sd_configs` block is swapped for an equivalent static target before
//! `promtool check config --syntax-only`; the discovery blocks themselves are checked here with
//! typed structs that reject unknown fields.

mod common;

use std::process::Command;

use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

fn prometheus_yml(profile: &std::path::Path) -> String {
    let c = common::compile(profile);
    common::config_map(&c, "prometheus-config")
        .remove("prometheus.yml")
        .expect("prometheus.yml in prometheus-config")
}

/// Replaces every `kubernetes_sd_configs` key (in scrape jobs and under `alerting`) with a
/// static target, returning how many blocks were replaced.
fn substitute_kubernetes_sd(value: &mut Value) -> usize {
    let mut replaced = 0;
    match value {
        Value::Mapping(map) => {
            if map.remove("kubernetes_sd_configs").is_some() {
                let target = Value::Sequence(vec![Value::String("127.0.0.1:1".into())]);
                let mut entry = Mapping::new();
                entry.insert("targets".into(), target);
                map.insert(
                    "static_configs".into(),
                    Value::Sequence(vec![Value::Mapping(entry)]),
                );
                replaced += 1;
            }
            for (_, v) in map.iter_mut() {
                replaced += substitute_kubernetes_sd(v);
            }
        }
        Value::Sequence(items) => {
            for v in items {
                replaced += substitute_kubernetes_sd(v);
            }
        }
        _ => {}
    }
    replaced
}

#[test]
fn promtool_accepts_prometheus_yml_of_every_shipped_profile() {
    let Some(promtool) = common::require_tool("promtool") else {
        return;
    };
    for profile in common::shipped_profiles() {
        let mut config: Value = serde_yaml_ng::from_str(&prometheus_yml(&profile)).unwrap();
        let replaced = substitute_kubernetes_sd(&mut config);
        assert!(
            replaced > 0,
            "{}: expected Kubernetes discovery blocks",
            profile.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prometheus.yml");
        std::fs::write(&path, serde_yaml_ng::to_string(&config).unwrap()).unwrap();
        let out = Command::new(&promtool)
            .args(["check", "config", "--syntax-only"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: promtool rejected prometheus.yml:\n{}{}",
            profile.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The fields of `kubernetes_sd_configs` monstack uses, as Prometheus 3 defines them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KubernetesSd {
    role: String,
    #[serde(default)]
    namespaces: Option<Namespaces>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Namespaces {
    names: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ScrapeJob {
    job_name: String,
    #[serde(default)]
    kubernetes_sd_configs: Vec<KubernetesSd>,
}

#[derive(Debug, Deserialize)]
struct Config {
    scrape_configs: Vec<ScrapeJob>,
}

#[test]
fn kubernetes_discovery_blocks_are_well_formed() {
    for profile in common::shipped_profiles() {
        let config: Config = serde_yaml_ng::from_str(&prometheus_yml(&profile)).unwrap();
        for job in &config.scrape_configs {
            assert_eq!(
                job.kubernetes_sd_configs.len(),
                1,
                "{}: one discovery block",
                job.job_name
            );
            for sd in &job.kubernetes_sd_configs {
                assert!(
                    ["pod", "node"].contains(&sd.role.as_str()),
                    "{}: role {} is not covered by Prometheus' RBAC (pods, nodes)",
                    job.job_name,
                    sd.role
                );
                let names = sd
                    .namespaces
                    .as_ref()
                    .map(|n| n.names.clone())
                    .unwrap_or_default();
                assert_eq!(
                    sd.role == "pod",
                    !names.is_empty(),
                    "{}: pod discovery is scoped to namespaces",
                    job.job_name
                );
                for ns in names {
                    assert!(
                        monstack::model::DnsLabel::parse(&ns).is_ok(),
                        "{}: bad namespace {ns}",
                        job.job_name
                    );
                }
            }
        }
    }
}

#[test]
fn every_metrics_source_has_a_job() {
    let profile = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/production.toml");
    let config: Config = serde_yaml_ng::from_str(&prometheus_yml(&profile)).unwrap();
    let jobs: Vec<&str> = config
        .scrape_configs
        .iter()
        .map(|j| j.job_name.as_str())
        .collect();
    for expected in [
        "prometheus",
        "alertmanager",
        "kube-state-metrics",
        "kubernetes-pods",
        "kubernetes-cadvisor",
        "dapr-sidecars",
        "kafka",
    ] {
        assert!(
            jobs.contains(&expected),
            "no scrape job {expected} in {jobs:?}"
        );
    }
}

/// The pod jobs whose targets can be Job pods or pods not started yet drop them: a finished
/// pod would scrape as down (DaprSidecarDown would page for a completed Job).
#[test]
fn application_pod_jobs_skip_pods_that_are_not_running() {
    let profile = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/production.toml");
    let config: Value = serde_yaml_ng::from_str(&prometheus_yml(&profile)).unwrap();
    let jobs = config["scrape_configs"].as_sequence().unwrap();
    for name in ["kubernetes-pods", "dapr-sidecars"] {
        let job = jobs
            .iter()
            .find(|j| j["job_name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no job {name}"));
        let dropped: Vec<&str> = job["relabel_configs"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter(|r| {
                r["action"].as_str() == Some("drop")
                    && r["source_labels"][0].as_str() == Some("__meta_kubernetes_pod_phase")
            })
            .flat_map(|r| r["regex"].as_str().unwrap_or("").split('|'))
            .collect();
        for phase in ["Pending", "Succeeded", "Failed"] {
            assert!(
                dropped.contains(&phase),
                "{name} scrapes {phase} pods (drops {dropped:?})"
            );
        }
        assert!(!dropped.contains(&"Running"), "{name} drops running pods");
    }
}
