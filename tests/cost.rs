//! `monstack cost`, the capacity model and `[stack.placement]`: the JSON totals against sums
//! computed here from the rendered YAML (independently of `monstack::cost`), the shipped
//! profiles' numbers against hand-computed values, the capacity warnings with their numbers,
//! and where the rendered pods are placed.

mod common;

use common::{monstack, stderr, stdout};
use serde_json::Value;
use serde_yaml_ng::Value as Yaml;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A Kubernetes quantity in base units, parsed here on purpose (not with monstack's parser).
fn quantity(text: &str) -> f64 {
    let units = [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("m", 1e-3),
    ];
    for (suffix, factor) in units {
        if let Some(n) = text.strip_suffix(suffix) {
            return n.parse::<f64>().unwrap() * factor;
        }
    }
    text.parse().unwrap()
}

/// (pods, CPU requests, memory requests GiB, volumes GiB) summed over the rendered stream.
fn sums_over_rendered(profile: &str, nodes: f64) -> (f64, f64, f64, f64) {
    let out = monstack(&["render", profile]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let (mut pods, mut cpu, mut memory, mut volumes) = (0.0, 0.0, 0.0, 0.0);
    for doc in serde_yaml_ng::Deserializer::from_str(&text) {
        let object: Yaml = serde::Deserialize::deserialize(doc).unwrap();
        let kind = object["kind"].as_str().unwrap_or_default();
        let (replicas, template) = match kind {
            "StatefulSet" | "Deployment" => (
                object["spec"]["replicas"].as_f64().unwrap_or(1.0),
                &object["spec"]["template"],
            ),
            "DaemonSet" => (nodes, &object["spec"]["template"]),
            "CronJob" => (1.0, &object["spec"]["jobTemplate"]["spec"]["template"]),
            _ => continue,
        };
        pods += replicas;
        // No init container of the shipped stack asks for more than its containers.
        for c in template["spec"]["containers"].as_sequence().unwrap() {
            let requests = &c["resources"]["requests"];
            cpu += replicas * quantity(requests["cpu"].as_str().unwrap());
            memory += replicas * quantity(requests["memory"].as_str().unwrap()) / GIB;
        }
        for claim in object["spec"]["volumeClaimTemplates"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            let size = claim["spec"]["resources"]["requests"]["storage"]
                .as_str()
                .unwrap();
            volumes += replicas * quantity(size) / GIB;
        }
    }
    (pods, cpu, memory, volumes)
}

fn cost_json(profiles: &[&str]) -> Value {
    let mut args = vec!["cost", "--format", "json"];
    args.extend(profiles);
    let out = monstack(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn json_totals_equal_the_sums_over_the_rendered_objects() {
    for (profile, nodes) in [
        ("profiles/production.toml", 3.0),
        ("profiles/cost-optimized.toml", 3.0),
        ("profiles/dev.toml", 1.0),
    ] {
        let json = cost_json(&[profile]);
        let totals = &json["profiles"][0]["totals"];
        let (pods, cpu, memory, volumes) = sums_over_rendered(profile, nodes);
        assert!(close(totals["pods"].as_f64().unwrap(), pods), "{profile}");
        assert!(
            close(totals["cpu_requests"].as_f64().unwrap(), cpu),
            "{profile}"
        );
        assert!(
            close(totals["memory_requests_gib"].as_f64().unwrap(), memory),
            "{profile}"
        );
        assert!(
            close(totals["volumes_gib"].as_f64().unwrap(), volumes),
            "{profile}"
        );
        // The components add up to the totals.
        let components = json["profiles"][0]["components"].as_array().unwrap();
        let summed: f64 = components
            .iter()
            .map(|c| c["volumes_gib"].as_f64().unwrap())
            .sum();
        assert!(close(summed, volumes), "{profile}");
    }
}

#[test]
fn the_shipped_profiles_cost_what_the_hand_computation_says() {
    let json = cost_json(&[
        "profiles/production.toml",
        "profiles/cost-optimized.toml",
        "profiles/dev.toml",
    ]);
    let p = |i: usize, path: &str| json["profiles"][i].pointer(path).unwrap().as_f64().unwrap();

    // production, CPU requests in cores: Prometheus 2×0.25, Alertmanager 2×(0.05+0.01
    // reloader), kube-state-metrics 0.05, Grafana 0.1, node-exporter 3 nodes×0.1, Loki 3×0.1,
    // Alloy 3×0.05, Elasticsearch 0.25+0.01 exporter, Jaeger collector 2×0.1 + query 2×0.1 +
    // agent 3×0.05 + cleaner 0.01.
    assert!(close(p(0, "/totals/cpu_requests"), 2.34));
    // Memory requests in MiB: 2×512 + 2×(128+32) + 128 + 256 + 3×180 + 3×256 + 3×128
    // + (2048+32) + (2×256 + 2×256 + 3×64 + 32) = 6748 MiB.
    assert!(close(p(0, "/totals/memory_requests_gib"), 6748.0 / 1024.0));
    // Volumes: Prometheus 2×50, Alertmanager 2×1, Grafana 10, Loki 3×10, Elasticsearch 50.
    assert!(close(p(0, "/totals/volumes_gib"), 192.0));
    // Loki on Spaces: 2 GiB of logs a day compressed 4:1, 30 days, +5% index.
    assert!(close(p(0, "/object_storage_gib"), 2.0 * 0.25 * 30.0 * 1.05));
    // $6/vCPU, $3/GiB, $0.10/GiB of volume, $0.02/GiB of Spaces.
    let month = 2.34 * 6.0 + 6748.0 / 1024.0 * 3.0 + 192.0 * 0.10 + 15.75 * 0.02;
    assert!(
        close(p(0, "/monthly/total"), month),
        "{}",
        p(0, "/monthly/total")
    );

    // cost-optimized: one Prometheus (−0.25 CPU, −512Mi) with a 10Gi volume, Alertmanager
    // 2×(0.025+0.01) and 2×(64+32)Mi, Grafana 0.05 and 192Mi on 5Gi; Loki keeps 7 days.
    assert!(close(
        p(1, "/totals/cpu_requests"),
        2.34 - 0.25 - 0.05 - 0.05
    ));
    assert!(close(
        p(1, "/totals/memory_requests_gib"),
        (6748.0 - 512.0 - 128.0 - 64.0) / 1024.0
    ));
    assert!(close(
        p(1, "/totals/volumes_gib"),
        10.0 + 2.0 + 5.0 + 30.0 + 50.0
    ));
    assert!(close(p(1, "/object_storage_gib"), 2.0 * 0.25 * 7.0 * 1.05));
    assert!(close(p(1, "/delta/totals/volumes_gib"), 97.0 - 192.0));
    assert_eq!(json["profiles"][1]["delta"]["totals"]["pods"], -1);

    // dev: one node, so one pod per DaemonSet; no object storage (Loki on its volume).
    assert!(close(
        p(2, "/totals/volumes_gib"),
        5.0 + 1.0 + 1.0 + 5.0 + 5.0
    ));
    assert_eq!(p(2, "/totals/pods"), 12.0);
    assert!(close(p(2, "/object_storage_gib"), 0.0));
    assert!(json["profiles"][0].get("delta").is_none());
}

#[test]
fn text_and_markdown_show_the_same_totals_in_gib() {
    let args = |format| {
        monstack(&[
            "cost",
            "--format",
            format,
            "profiles/production.toml",
            "profiles/dev.toml",
        ])
    };
    let text = stdout(&args("text"));
    let markdown = stdout(&args("markdown"));
    for out in [&text, &markdown] {
        assert!(out.contains("volumes GiB"), "{out}");
        assert!(out.contains("192.00"), "{out}");
        assert!(out.contains("53.32"), "{out}");
        assert!(
            out.contains("Compared with profiles/production.toml"),
            "{out}"
        );
    }
    assert!(markdown.contains("| --- | ---: |"), "{markdown}");
    assert!(markdown.contains("| total | 24 | 2.34 |"), "{markdown}");
}

#[test]
fn an_invalid_profile_is_not_costed() {
    let out = monstack(&["cost", "--set", "prometheus.replicas=0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("replicas-out-of-range"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn the_shipped_profiles_fit_the_capacity_model_without_warnings() {
    for profile in common::shipped_profiles() {
        let out = monstack(&["validate", "--strict", profile.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

#[test]
fn a_span_store_too_small_for_the_retention_is_warned_about_with_the_numbers() {
    // 50 spans/s × 86400 s × 1 KiB = 4.12 GiB a day, 14 days + today = 61.8 GiB; 50Gi keeps
    // 42.5 GiB; 61.8 / 0.85 = 72.7 → 73Gi.
    let out = monstack(&["validate", "--set", "jaeger.retention=14d"]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(err.contains("warning[retention-exceeds-storage]: Elasticsearch: 50 spans/s kept 14d needs about 61.8 GiB per volume"), "{err}");
    assert!(err.contains("keeps only 42.5 GiB"), "{err}");
    assert!(err.contains("key: jaeger.retention"), "{err}");
    assert!(
        err.contains("raise elasticsearch.storage to at least 73Gi"),
        "{err}"
    );
}

#[test]
fn a_volume_far_too_large_is_warned_about_with_a_suggested_size() {
    // Production's 7 days + today at 50 spans/s: 8 × 4.12 = 33.0 GiB; 500Gi keeps 425 GiB.
    // Suggested: 33.0 × 1.25 / 0.85 = 48.5 → 49Gi.
    let out = monstack(&["validate", "--set", "elasticsearch.storage=500Gi"]);
    let err = stderr(&out);
    assert!(err.contains("warning[volume-oversized]: Elasticsearch: elasticsearch.storage = 500Gi is more than 4 times what 50 spans/s kept 7d needs (about 33.0 GiB per volume"), "{err}");
    assert!(
        err.contains("lower elasticsearch.storage to about 49Gi"),
        "{err}"
    );
    let strict = monstack(&[
        "validate",
        "--strict",
        "--set",
        "elasticsearch.storage=500Gi",
    ]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn loki_on_a_filesystem_needs_its_chunks_on_the_volume() {
    // 20 GiB of logs a day, 4:1, 30 days, +5% = 157.5 GiB, + 20 × 2/24 = 1.67 GiB of WAL.
    let out = monstack(&[
        "validate",
        "profiles/dev.toml",
        "--set",
        "loki.expected_logs_per_day=20Gi",
        "--set",
        "loki.retention=720h",
    ]);
    let err = stderr(&out);
    assert!(
        err.contains("Loki: 20Gi of logs a day kept 720h needs about 159.2 GiB per volume"),
        "{err}"
    );
}

fn rendered(profile: &str, extra: &[&str]) -> Vec<Yaml> {
    let mut args = vec!["render", profile];
    args.extend(extra);
    let out = monstack(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_yaml_ng::Deserializer::from_str(&stdout(&out))
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

fn pod_spec<'a>(objects: &'a [Yaml], kind: &str, name: &str) -> &'a Yaml {
    let o = objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name}"));
    &o["spec"]["template"]["spec"]
}

#[test]
fn cost_optimized_puts_stateless_pods_on_the_spot_pool_and_stores_on_the_regular_one() {
    let objects = rendered("profiles/cost-optimized.toml", &[]);
    let pool = |spec: &Yaml| spec["nodeSelector"]["doks.digitalocean.com/node-pool"].clone();
    for (kind, name) in [("StatefulSet", "grafana"), ("Deployment", "jaeger-query")] {
        let spec = pod_spec(&objects, kind, name);
        assert_eq!(pool(spec), "monitoring-spot", "{name}");
        assert_eq!(spec["tolerations"][0]["key"], "monstack.io/spot", "{name}");
    }
    for (kind, name) in [
        ("StatefulSet", "prometheus"),
        ("StatefulSet", "loki"),
        ("StatefulSet", "elasticsearch"),
    ] {
        let spec = pod_spec(&objects, kind, name);
        assert_eq!(pool(spec), "monitoring", "{name}");
        assert!(spec["tolerations"].is_null(), "{name}");
    }
    // A node agent runs on every node: no selector (even with its component on spot), and
    // it tolerates the spot taint, or already every taint.
    let agent = pod_spec(&objects, "DaemonSet", "jaeger-agent");
    assert!(agent["nodeSelector"].is_null());
    assert_eq!(agent["tolerations"][0]["key"], "monstack.io/spot");
    let exporter = pod_spec(&objects, "DaemonSet", "node-exporter");
    assert!(exporter["nodeSelector"].is_null());
    assert_eq!(exporter["tolerations"].as_sequence().unwrap().len(), 1);
    assert_eq!(exporter["tolerations"][0]["operator"], "Exists");
    // Production places nothing.
    let production = rendered("profiles/production.toml", &[]);
    assert!(pod_spec(&production, "StatefulSet", "grafana")["nodeSelector"].is_null());
}

#[test]
fn a_store_on_spot_nodes_is_warned_about_and_an_unknown_component_refused() {
    let out = monstack(&[
        "validate",
        "profiles/cost-optimized.toml",
        "--set",
        "stack.placement.spot=true",
    ]);
    let err = stderr(&out);
    for store in ["Prometheus", "Loki", "Elasticsearch"] {
        assert!(
            err.contains(&format!(
                "warning[store-on-spot]: {store} keeps data on volumes"
            )),
            "{err}"
        );
    }
    assert!(err.contains("key: stack.placement.spot"), "{err}");
    let out = monstack(&[
        "validate",
        "--set",
        "stack.placement.components.grafna.spot=true",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("did you mean `grafana`?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_panel_over_raw_histogram_buckets_is_warned_about_past_the_panel_budget() {
    // Production: 100000 series among the 79 declared metric families, ×12 buckets, 6h in
    // 1000 steps of 21.6s, $__rate_interval = 60s = 4 samples: 100000 / 79 × 12 × 1000 × 4 =
    // about 61 million (README "Heavy queries"). A component that declares more families
    // lowers every share.
    let out = monstack(&[
        "validate",
        "--set",
        "prometheus.query.max_panel_samples=60000000",
    ]);
    let err = stderr(&out);
    assert!(
        err.contains("warning[heavy-panel-query]: dashboard `Application Performance` (application.json), panel 6 `p95 latency by route`, query A: scans about 61 million samples over 6h, more than prometheus.query.max_panel_samples = 60 million"),
        "{err}"
    );
    // Panels that read recording rules stay below it.
    assert!(!err.contains("p95 latency by service"), "{err}");
    assert!(!err.contains("p95 server span duration"), "{err}");
}

#[test]
fn preferred_node_labels_become_a_node_affinity_beside_the_spread_over_nodes() {
    let objects = rendered(
        "profiles/production.toml",
        &[
            "--set",
            r#"stack.placement.prefer_node_labels={"doks.digitalocean.com/node-pool"="cheap"}"#,
        ],
    );
    let affinity = &pod_spec(&objects, "StatefulSet", "prometheus")["affinity"];
    let term = &affinity["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0];
    assert_eq!(term["weight"], 100);
    let requirement = &term["preference"]["matchExpressions"][0];
    assert_eq!(requirement["key"], "doks.digitalocean.com/node-pool");
    assert_eq!(requirement["operator"], "In");
    assert_eq!(requirement["values"][0], "cheap");
    // Two replicas still spread over nodes.
    let spread = &pod_spec(&objects, "StatefulSet", "prometheus")["topologySpreadConstraints"];
    assert_eq!(spread[0]["topologyKey"], "kubernetes.io/hostname");
    // Node agents get no preference.
    assert!(pod_spec(&objects, "DaemonSet", "node-exporter")["affinity"].is_null());
}
