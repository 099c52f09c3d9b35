//! Elasticsearch's node settings, as every shipped profile renders them (environment variables
//! named like settings, which the image's docker-entrypoint.sh turns into `-Ename=value`),
//! parsed back through a mirror of the settings monstack may write that rejects unknown keys;
//! and the cluster `large` runs: discovery from the StatefulSet, one index replica for Jaeger,
//! TLS between nodes, a disruption budget and a spread over zones.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use monstack::k8s::Object;
use monstack::pipeline::Compilation;
use serde::Deserialize;

/// The settings monstack writes, with the names and values of the Elasticsearch 9.x reference
/// (modules: discovery and cluster formation, networking, node, index store, security
/// settings, action). Booleans are the strings Elasticsearch parses.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct NodeSettings {
    #[serde(rename = "discovery.type")]
    discovery_type: Option<SingleNode>,
    #[serde(rename = "discovery.seed_hosts")]
    seed_hosts: Option<String>,
    #[serde(rename = "cluster.initial_master_nodes")]
    initial_master_nodes: Option<String>,
    #[serde(rename = "node.name")]
    node_name: Option<FromPod>,
    #[serde(rename = "network.publish_host")]
    publish_host: Option<FromPod>,
    #[serde(rename = "http.host")]
    http_host: String,
    #[serde(rename = "transport.host")]
    transport_host: String,
    #[serde(rename = "node.store.allow_mmap")]
    allow_mmap: Bool,
    #[serde(rename = "xpack.security.enabled")]
    security: Bool,
    #[serde(rename = "xpack.security.http.ssl.enabled")]
    http_ssl: Bool,
    #[serde(rename = "xpack.security.transport.ssl.enabled")]
    transport_ssl: Bool,
    #[serde(rename = "xpack.security.transport.ssl.verification_mode")]
    verification_mode: Option<VerificationMode>,
    #[serde(rename = "xpack.security.transport.ssl.key")]
    key: Option<String>,
    #[serde(rename = "xpack.security.transport.ssl.certificate")]
    certificate: Option<String>,
    #[serde(rename = "xpack.security.transport.ssl.certificate_authorities")]
    certificate_authorities: Option<String>,
    #[serde(rename = "action.destructive_requires_name")]
    destructive_requires_name: Bool,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
enum SingleNode {
    SingleNode,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Bool {
    True,
    False,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum VerificationMode {
    Full,
    Certificate,
    None,
}

/// A value the pod fills in from its own metadata or status (downward API).
#[derive(Debug, Deserialize, PartialEq)]
enum FromPod {
    #[serde(rename = "metadata.name")]
    Name,
    #[serde(rename = "status.podIP")]
    Ip,
}

fn statefulset_env(c: &Compilation) -> BTreeMap<String, String> {
    let pod = c
        .manifest
        .objects()
        .find(|o| o.kind() == "StatefulSet" && o.name() == "elasticsearch")
        .and_then(|o| o.pod_template())
        .and_then(|t| t.spec.clone())
        .expect("an elasticsearch StatefulSet");
    let node = pod
        .containers
        .iter()
        .find(|c| c.name == "elasticsearch")
        .expect("the node container");
    node.env
        .iter()
        .flatten()
        .filter(|e| e.name.contains('.'))
        .map(|e| {
            let value = e.value.clone().unwrap_or_else(|| {
                e.value_from
                    .as_ref()
                    .and_then(|v| v.field_ref.as_ref())
                    .map(|f| f.field_path.clone())
                    .expect("a value or a field reference")
            });
            (e.name.clone(), value)
        })
        .collect()
}

fn settings(c: &Compilation) -> NodeSettings {
    let env = statefulset_env(c);
    serde_json::from_value(serde_json::to_value(&env).unwrap())
        .unwrap_or_else(|e| panic!("{e}: {env:#?}"))
}

#[test]
fn every_profile_writes_only_settings_elasticsearch_knows() {
    for profile in common::shipped_profiles() {
        let c = common::compile(&profile);
        if !c.manifest.objects().any(|o| o.name() == "elasticsearch") {
            continue;
        }
        let s = settings(&c);
        assert_eq!(s.allow_mmap, Bool::False, "{}", profile.display());
    }
}

fn large() -> Compilation {
    common::compile(&Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/large.toml"))
}

#[test]
fn large_runs_a_three_node_cluster_with_tls_between_nodes() {
    let c = large();
    let s = settings(&c);
    assert_eq!(s.discovery_type, None);
    assert_eq!(s.seed_hosts.as_deref(), Some("elasticsearch-transport"));
    assert_eq!(
        s.initial_master_nodes.as_deref(),
        Some("elasticsearch-0,elasticsearch-1,elasticsearch-2")
    );
    assert_eq!(s.node_name, Some(FromPod::Name));
    assert_eq!(s.publish_host, Some(FromPod::Ip));
    assert_eq!(s.transport_ssl, Bool::True);
    assert_eq!(s.verification_mode, Some(VerificationMode::Certificate));
    // The seed hosts are a Service that publishes pods before they are ready.
    let transport = c
        .manifest
        .objects()
        .find_map(|o| match o {
            Object::Service(svc) if o.name() == "elasticsearch-transport" => svc.spec.clone(),
            _ => None,
        })
        .expect("the transport Service");
    assert_eq!(transport.publish_not_ready_addresses, Some(true));
    assert_eq!(transport.cluster_ip.as_deref(), Some("None"));
    let set = c
        .manifest
        .objects()
        .find_map(|o| match o {
            Object::StatefulSet(s) if o.name() == "elasticsearch" => s.spec.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(set.replicas, Some(3));
    assert_eq!(set.pod_management_policy.as_deref(), Some("Parallel"));
    let pod = set.template.spec.unwrap();
    let spread = pod.topology_spread_constraints.unwrap();
    for key in ["kubernetes.io/hostname", "topology.kubernetes.io/zone"] {
        assert!(
            spread.iter().any(|t| t.topology_key == key),
            "spread over {key}"
        );
    }
    assert!(
        c.manifest
            .objects()
            .any(|o| o.kind() == "PodDisruptionBudget" && o.name() == "elasticsearch")
    );
    // Jaeger keeps one replica of each index.
    let collector = &common::config_map(&c, "jaeger-collector")["config.yaml"];
    let config: serde_yaml_ng::Value = serde_yaml_ng::from_str(collector).unwrap();
    let indices =
        &config["extensions"]["jaeger_storage"]["backends"]["es_main"]["elasticsearch"]["indices"];
    for index in ["spans", "services", "dependencies", "sampling"] {
        assert_eq!(
            indices[index]["replicas"].as_i64(),
            Some(1),
            "{index}: {collector}"
        );
    }
}
