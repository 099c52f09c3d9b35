//! Thanos (profiles/large.toml turns it on): Grafana's metrics datasource follows Thanos Query
//! when it is enabled and Prometheus when it is not; every address a Thanos component uses
//! (Query's StoreAPI endpoints, the datasource, the sidecar's Prometheus URL) is a port of an
//! object this render built; the objstore settings and the endpoint file parse back through
//! mirrors of Thanos' own types that reject unknown keys.

mod common;

use std::path::Path;

use monstack::k8s::Object;
use monstack::pipeline::{self, Compilation};
use serde::Deserialize;

fn large() -> Compilation {
    common::compile(&Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/large.toml"))
}

fn with(profile: &str, overrides: &[&str]) -> Compilation {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(profile);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    match pipeline::compile_path(Some(&path), &overrides).expect("no internal error") {
        Ok(c) => c,
        Err(failure) => panic!("{profile} {overrides:?} does not compile:\n{failure}"),
    }
}

/// `(uid, url, isDefault)` of every provisioned datasource.
fn datasources(c: &Compilation) -> Vec<(String, String, bool)> {
    let file = &common::config_map(c, "grafana-datasources")["datasources.yaml"];
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(file).unwrap();
    doc["datasources"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["uid"].as_str().unwrap().to_string(),
                d["url"].as_str().unwrap().to_string(),
                d["isDefault"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn default_metrics_datasource(c: &Compilation) -> (String, String) {
    let (uid, url, _) = datasources(c)
        .into_iter()
        .find(|(_, _, default)| *default)
        .expect("a default datasource");
    (uid, url)
}

/// The Service `name` has a port named `port_name` numbered `port`.
fn service_has_port(c: &Compilation, name: &str, port_name: &str, port: i32) -> bool {
    c.manifest.objects().any(|o| match o {
        Object::Service(s) if o.name() == name => s
            .spec
            .iter()
            .flat_map(|sp| sp.ports.iter().flatten())
            .any(|p| p.name.as_deref() == Some(port_name) && p.port == port),
        _ => false,
    })
}

#[test]
fn grafana_queries_thanos_query_when_thanos_is_on_and_prometheus_when_not() {
    let on = large();
    let (uid, url) = default_metrics_datasource(&on);
    assert_eq!(uid, "thanos-query");
    assert_eq!(url, "http://thanos-query.monitoring.svc:10902");
    assert!(
        !datasources(&on)
            .iter()
            .any(|(uid, _, _)| uid == "prometheus"),
        "the replaced Prometheus datasource is not provisioned"
    );
    assert!(service_has_port(&on, "thanos-query", "http", 10902));
    // Dashboards read the datasource Grafana provisions.
    let dashboards = common::config_map(&on, "grafana-dashboard-overview");
    assert!(
        dashboards
            .values()
            .any(|j| j.contains("\"uid\": \"thanos-query\""))
    );
    assert!(
        !dashboards
            .values()
            .any(|j| j.contains("\"uid\": \"prometheus\""))
    );

    let off = with("profiles/large.toml", &["thanos.enabled=false"]);
    let (uid, url) = default_metrics_datasource(&off);
    assert_eq!(uid, "prometheus");
    assert_eq!(url, "http://prometheus.monitoring.svc:9090");
    assert!(
        !off.manifest
            .objects()
            .any(|o| o.name().starts_with("thanos"))
    );
}

#[test]
fn sticky_sessions_end_when_thanos_deduplicates_the_replicas() {
    let affinity = |c: &Compilation| {
        c.manifest.objects().find_map(|o| match o {
            Object::Service(s) if o.name() == "prometheus" => {
                Some(s.spec.as_ref().and_then(|sp| sp.session_affinity.clone()))
            }
            _ => None,
        })
    };
    assert_eq!(affinity(&large()), Some(None));
    assert_eq!(
        affinity(&with("profiles/large.toml", &["thanos.enabled=false"])),
        Some(Some("ClientIP".into()))
    );
}

/// `EndpointConfig` of cmd/thanos/endpointset.go@v0.42.4 (the keys monstack may write).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointConfig {
    endpoints: Vec<EndpointSettings>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointSettings {
    address: String,
}

#[test]
fn every_store_api_query_reaches_is_a_port_of_a_built_service() {
    let c = large();
    let file = &common::config_map(&c, "thanos-query-endpoints")["endpoints.yaml"];
    let config: EndpointConfig = serde_yaml_ng::from_str(file).unwrap();
    assert_eq!(config.endpoints.len(), 2, "{file}");
    for e in &config.endpoints {
        // dnssrv+_<port name>._tcp.<service>.<namespace>.svc
        let rest = e.address.strip_prefix("dnssrv+_").expect("an SRV address");
        let (port_name, host) = rest.split_once("._tcp.").expect("_tcp");
        let (service, namespace) = host
            .strip_suffix(".svc")
            .and_then(|h| h.split_once('.'))
            .expect("service.namespace.svc");
        assert_eq!(namespace, "monitoring");
        assert!(
            service_has_port(&c, service, port_name, 10901),
            "{} names no built Service port",
            e.address
        );
    }
    assert!(
        config
            .endpoints
            .iter()
            .any(|e| e.address.contains("thanos-sidecar"))
    );
    assert!(
        config
            .endpoints
            .iter()
            .any(|e| e.address.contains("thanos-store"))
    );
}

fn pod_containers(c: &Compilation, workload: &str) -> Vec<k8s_openapi::api::core::v1::Container> {
    c.manifest
        .objects()
        .find(|o| o.name() == workload && o.pod_template().is_some())
        .and_then(|o| o.pod_template())
        .and_then(|t| t.spec.clone())
        .map(|s| s.containers)
        .unwrap_or_else(|| panic!("no workload {workload}"))
}

fn arg<'a>(container: &'a k8s_openapi::api::core::v1::Container, flag: &str) -> Option<&'a str> {
    container
        .args
        .iter()
        .flatten()
        .find_map(|a| a.strip_prefix(&format!("{flag}=")))
}

#[test]
fn the_sidecar_sits_in_every_prometheus_pod_and_reaches_prometheus_on_its_port() {
    let c = large();
    let containers = pod_containers(&c, "prometheus");
    let prometheus = containers.iter().find(|c| c.name == "prometheus").unwrap();
    let sidecar = containers
        .iter()
        .find(|c| c.name == "thanos-sidecar")
        .unwrap();
    let port = prometheus.ports.as_ref().unwrap()[0].container_port;
    assert_eq!(
        arg(sidecar, "--prometheus.url"),
        Some(format!("http://localhost:{port}").as_str())
    );
    // The sidecar reads the TSDB Prometheus writes.
    let mount = |c: &k8s_openapi::api::core::v1::Container| {
        c.volume_mounts
            .iter()
            .flatten()
            .find(|m| m.name == "data")
            .map(|m| m.mount_path.clone())
    };
    assert_eq!(mount(sidecar).as_deref(), arg(sidecar, "--tsdb.path"));
    assert_eq!(mount(prometheus), mount(sidecar));
    // Blocks of 2h, never compacted locally; the short local retention.
    assert_eq!(
        arg(prometheus, "--storage.tsdb.min-block-duration"),
        Some("2h")
    );
    assert_eq!(
        arg(prometheus, "--storage.tsdb.max-block-duration"),
        Some("2h")
    );
    assert_eq!(arg(prometheus, "--storage.tsdb.retention.time"), Some("2d"));
    // Query deduplicates on the label each replica carries, which alerts do not.
    let query = &pod_containers(&c, "thanos-query")[0];
    assert_eq!(arg(query, "--query.replica-label"), Some("replica"));
    let yml = &common::config_map(&c, "prometheus-config")["prometheus.yml"];
    let config: serde_yaml_ng::Value = serde_yaml_ng::from_str(yml).unwrap();
    assert_eq!(
        config["global"]["external_labels"]["replica"].as_str(),
        Some("${POD_NAME}")
    );
    assert_eq!(
        config["alerting"]["alert_relabel_configs"][0]["regex"].as_str(),
        Some("replica")
    );
    // No deprecated or removed flag.
    for container in [query, sidecar] {
        for a in container.args.iter().flatten() {
            assert!(
                !a.starts_with("--store=") && !a.starts_with("--endpoint="),
                "{a}"
            );
        }
    }
}

/// The objstore.yml keys monstack writes, as `s3.Config` names them (docs/storage.md@v0.42.4).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Objstore {
    #[serde(rename = "type")]
    kind: String,
    config: S3,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct S3 {
    bucket: String,
    endpoint: String,
    region: String,
    bucket_lookup_type: String,
}

#[test]
fn objstore_settings_parse_back_and_hold_no_key() {
    let c = large();
    for workload in ["prometheus", "thanos-store", "thanos-compact"] {
        let containers = pod_containers(&c, workload);
        let thanos = containers
            .iter()
            .find(|c| c.name.starts_with("thanos"))
            .unwrap();
        let text = arg(thanos, "--objstore.config").expect("inline objstore.yml");
        let o: Objstore = serde_yaml_ng::from_str(text).unwrap();
        assert_eq!(o.kind, "S3");
        assert_eq!(o.config.bucket, "todo-chatbot-metrics");
        assert_eq!(o.config.endpoint, "fra1.digitaloceanspaces.com");
        assert_eq!(o.config.region, "fra1");
        assert_eq!(o.config.bucket_lookup_type, "auto");
        let env: Vec<&str> = thanos
            .env
            .iter()
            .flatten()
            .filter(|e| {
                e.value_from
                    .as_ref()
                    .is_some_and(|v| v.secret_key_ref.is_some())
            })
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(
            env,
            ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
            "{workload}"
        );
    }
}

#[test]
fn the_compactor_keeps_each_resolution_as_the_profile_says() {
    let c = large();
    let compact = &pod_containers(&c, "thanos-compact")[0];
    assert_eq!(arg(compact, "--retention.resolution-raw"), Some("30d"));
    assert_eq!(arg(compact, "--retention.resolution-5m"), Some("180d"));
    assert_eq!(arg(compact, "--retention.resolution-1h"), Some("2y"));
    let replicas = c.manifest.objects().find_map(|o| match o {
        Object::StatefulSet(s) if o.name() == "thanos-compact" => {
            s.spec.as_ref().and_then(|sp| sp.replicas)
        }
        _ => None,
    });
    assert_eq!(replicas, Some(1), "one Compactor per bucket");
    // The Store Gateway's chunk pool fits in its memory limit (2Gi by default): half of it.
    let store = &pod_containers(&c, "thanos-store")[0];
    assert_eq!(arg(store, "--chunk-pool-size"), Some("1024MB"));
}

#[test]
fn thanos_without_prometheus_is_an_unmet_need_at_its_enabled_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/large.toml");
    let failure = pipeline::compile_path(Some(&path), &["prometheus.enabled=false".to_string()])
        .expect("no internal error")
        .expect_err("Thanos has no Prometheus pods to join");
    let needs: Vec<_> = failure
        .diagnostics
        .iter()
        .filter(|d| d.code == monstack::diag::Code::UnmetNeed)
        .collect();
    assert_eq!(needs.len(), 1, "{failure}");
    assert_eq!(needs[0].key.as_deref(), Some("thanos.enabled"));
}

/// The sidecar reads Prometheus' API without a login: with Prometheus' own basic auth on, the
/// large profile is refused at `thanos.enabled` instead of rendering sidecars that cannot work.
#[test]
fn thanos_with_prometheus_behind_its_own_login_is_refused_at_its_enabled_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/large.toml");
    let failure = pipeline::compile_path(
        Some(&path),
        &["prometheus.web_auth.secret=prometheus-web".to_string()],
    )
    .expect("no internal error")
    .expect_err("the sidecar cannot log in");
    let needs: Vec<_> = failure
        .diagnostics
        .iter()
        .filter(|d| d.code == monstack::diag::Code::UnmetNeed)
        .collect();
    assert_eq!(needs.len(), 1, "{failure}");
    assert_eq!(needs[0].key.as_deref(), Some("thanos.enabled"));
    assert!(
        needs[0].message.contains("prometheus.web_auth"),
        "{failure}"
    );
}
