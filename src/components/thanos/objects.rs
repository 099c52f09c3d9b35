//! Thanos' objects: the sidecar container (which Prometheus adds to its pods) and the headless
//! Service over it; Query (Deployment, Service, endpoint file); the Store Gateway and the
//! Compactor (StatefulSets with a cache volume each, headless Services). Every pod runs as the
//! image's user 1001 (Dockerfile@v0.42.4) with the stack's secure defaults; the sidecar runs
//! as Prometheus' pod user, which owns the TSDB it reads and marks.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec, Service, ServiceSpec};

use super::config;
use super::{
    COMPACT, GRPC, GRPC_PORT, HTTP, HTTP_PORT, PROMETHEUS_APP, PROMETHEUS_URL, QUERY,
    REPLICA_LABEL, SIDECAR, SIDECAR_GRPC, SIDECAR_HTTP, STORE, Thanos,
};
use crate::components::{Context, pod_resources};
use crate::k8s::builders::{self, service_port};
use crate::k8s::meta::App;
use crate::k8s::waivers::{self, Waiver};
use crate::k8s::{Object, pod};
use crate::model::Resources;

/// Where Prometheus mounts its TSDB volume in the sidecar.
pub const TSDB_PATH: &str = "/prometheus";
const DATA_DIR: &str = "/var/thanos";
const ENDPOINTS_DIR: &str = "/etc/thanos";
const ENDPOINTS_FILE: &str = "endpoints.yaml";
const ENDPOINTS_MAP: &str = "thanos-query-endpoints";
/// The image's user (`USER 1001`, Dockerfile@v0.42.4).
/// The image's binary needs no files of its own user: a high uid (checkov CKV_K8S_40) with
/// the same fsGroup owns the volumes.
const UID: i64 = 10001;

/// checkov CKV_K8S_35: the S3 keys reach Thanos as variables.
pub(super) const SECRET_ENV: Waiver = Waiver {
    check: "CKV_K8S_35",
    reason: "Thanos' S3 client takes its keys from AWS_* variables or the objstore config; the config is a rendered argument, so the variables filled from the Secret by reference keep the keys out of it",
};

pub fn objects(t: &Thanos, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
    let query = cx.app(QUERY, "metrics-query");
    let store = cx.app(STORE, "metrics-history");
    let compact = cx.app(COMPACT, "metrics-compactor");
    let endpoints = serde_yaml_ng::to_string(&config::endpoints(cx.collected))?;
    let out: Vec<Object> = vec![
        sidecar_service(cx).into(),
        builders::service_account(&query, QUERY, false).into(),
        builders::config_map(
            &query,
            ENDPOINTS_MAP,
            BTreeMap::from([(ENDPOINTS_FILE.into(), endpoints.clone())]),
        )
        .into(),
        builders::service(&query, QUERY, ports(true)).into(),
        query_deployment(t, &query, &endpoints, cx.stack.nodes.get()).into(),
        builders::service_account(&store, STORE, false).into(),
        builders::headless_service(&store, STORE, ports(true)).into(),
        stateful_set(
            t,
            &store,
            cx,
            t.store.replicas,
            &t.store.volume,
            store_args(t),
            &t.store.resources,
            true,
        )
        .into(),
        builders::service_account(&compact, COMPACT, false).into(),
        builders::headless_service(&compact, COMPACT, ports(false)).into(),
        // One Compactor per bucket: two would compact the same blocks.
        stateful_set(
            t,
            &compact,
            cx,
            1,
            &t.compact.volume,
            compact_args(t),
            &t.compact.resources,
            false,
        )
        .into(),
    ];
    Ok(out)
}

fn ports(grpc: bool) -> Vec<k8s_openapi::api::core::v1::ServicePort> {
    let mut ports = vec![service_port(HTTP, HTTP_PORT, "TCP")];
    if grpc {
        ports.push(service_port(GRPC, GRPC_PORT, "TCP"));
    }
    ports
}

/// `--objstore.config=<objstore.yml>`: inline, as docs/storage.md recommends; it holds no key.
fn objstore_arg(t: &Thanos) -> String {
    let yaml = serde_yaml_ng::to_string(&config::objstore(&t.storage))
        .expect("invariant: objstore.yml is a few strings, always serializable");
    format!("--objstore.config={}", yaml.trim_end())
}

/// The access key pair from the user's Secret, where the S3 client looks second.
fn credentials(t: &Thanos) -> Vec<EnvVar> {
    let s = &t.storage;
    s.credentials_secret
        .iter()
        .flat_map(|secret| {
            [
                pod::secret_env(
                    "AWS_ACCESS_KEY_ID",
                    secret.as_str(),
                    s.access_key_id_key.as_str(),
                ),
                pod::secret_env(
                    "AWS_SECRET_ACCESS_KEY",
                    secret.as_str(),
                    s.secret_access_key_key.as_str(),
                ),
            ]
        })
        .collect()
}

fn listen_args() -> [String; 2] {
    [
        format!("--http-address=0.0.0.0:{HTTP_PORT}"),
        format!("--grpc-address=0.0.0.0:{GRPC_PORT}"),
    ]
}

/// The sidecar in every Prometheus pod: serves the replica's recent data over the StoreAPI and
/// uploads each 2h block. The TSDB mount is added by Prometheus (`tsdb_mount`).
pub fn sidecar(t: &Thanos) -> Container {
    let mut c = pod::container(
        SIDECAR,
        t.image.as_str(),
        pod_resources(&t.sidecar.resources),
    );
    let mut args = vec![
        "sidecar".to_string(),
        format!("--tsdb.path={TSDB_PATH}"),
        format!("--prometheus.url={PROMETHEUS_URL}"),
    ];
    args.extend(listen_args());
    args.push(objstore_arg(t));
    c.args = Some(args);
    c.env = Some(credentials(t));
    c.ports = Some(vec![
        pod::tcp_port(SIDECAR_HTTP, HTTP_PORT),
        pod::tcp_port(SIDECAR_GRPC, GRPC_PORT),
    ]);
    c.readiness_probe = Some(pod::http_probe("/-/ready", SIDECAR_HTTP));
    c.liveness_probe = Some(pod::liveness_probe("/-/healthy", SIDECAR_HTTP));
    c
}

/// The headless Service over the sidecars in the Prometheus pods: one SRV target per replica
/// for Query, and the sidecars' scrape target.
fn sidecar_service(cx: &Context<'_>) -> Service {
    let app = cx.app(SIDECAR, "metrics-uploader");
    let prometheus = cx.app(PROMETHEUS_APP, "metrics-server");
    Service {
        metadata: app.meta(SIDECAR),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(prometheus.selector_labels()),
            ports: Some(vec![
                service_port(SIDECAR_HTTP, HTTP_PORT, "TCP"),
                service_port(SIDECAR_GRPC, GRPC_PORT, "TCP"),
            ]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn thanos_container(
    t: &Thanos,
    name: &str,
    args: Vec<String>,
    resources: &Resources,
    grpc: bool,
) -> Container {
    let mut c = pod::container(name, t.image.as_str(), pod_resources(resources));
    c.args = Some(args);
    c.env = Some(credentials(t)).filter(|e| !e.is_empty());
    let mut ports = vec![pod::tcp_port(HTTP, HTTP_PORT)];
    if grpc {
        ports.push(pod::tcp_port(GRPC, GRPC_PORT));
    }
    c.ports = Some(ports);
    c.readiness_probe = Some(pod::http_probe("/-/ready", HTTP));
    c.liveness_probe = Some(pod::liveness_probe("/-/healthy", HTTP));
    c
}

fn query_args() -> Vec<String> {
    let mut args = vec!["query".to_string()];
    args.extend(listen_args());
    args.extend([
        // The replicas' series differ only in this external label: merged at query time.
        format!("--query.replica-label={REPLICA_LABEL}"),
        format!("--endpoint.sd-config-file={ENDPOINTS_DIR}/{ENDPOINTS_FILE}"),
        // Long ranges read 5m or 1h downsampled blocks (step / 5) instead of raw samples.
        "--query.auto-downsampling".to_string(),
    ]);
    args
}

fn query_deployment(t: &Thanos, app: &App<'_>, endpoints: &str, nodes: u32) -> Deployment {
    let mut c = thanos_container(t, QUERY, query_args(), &t.query.resources, true);
    c.env = None;
    c.volume_mounts = Some(vec![pod::mount("endpoints", ENDPOINTS_DIR, true)]);
    let spec = PodSpec {
        service_account_name: Some(QUERY.into()),
        automount_service_account_token: Some(false),
        security_context: Some(pod::pod_security(UID)),
        topology_spread_constraints: builders::topology_spread(app, t.query.replicas, nodes),
        containers: vec![c],
        volumes: Some(vec![pod::config_map_volume("endpoints", ENDPOINTS_MAP)]),
        ..PodSpec::default()
    };
    let template = app.pod_template(
        BTreeMap::from([("checksum/endpoints".into(), pod::checksum(endpoints))]),
        spec,
    );
    Deployment {
        metadata: waivers::workload_meta(app, QUERY, &template, &[]),
        spec: Some(DeploymentSpec {
            replicas: Some(t.query.replicas),
            selector: app.selector(),
            template,
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

fn store_args(t: &Thanos) -> Vec<String> {
    let mut args = vec!["store".to_string(), format!("--data-dir={DATA_DIR}/store")];
    args.extend(listen_args());
    args.push(objstore_arg(t));
    // The default chunk pool (2GB) alone could exceed the memory limit: half of the limit
    // for chunks, the default 250MB for the index cache, the rest for the process.
    args.push(format!("--chunk-pool-size={}MB", chunk_pool_mb(t)));
    args
}

/// Half the Store Gateway's memory limit, in Thanos' MB (2^20 bytes, units.Bytes).
fn chunk_pool_mb(t: &Thanos) -> u64 {
    (t.store.resources.limits.memory.value() / 2.0 / (1024.0 * 1024.0)).floor() as u64
}

fn compact_args(t: &Thanos) -> Vec<String> {
    let r = &t.retention;
    vec![
        "compact".to_string(),
        // Keep running, and look for new blocks every 5 minutes.
        "--wait".to_string(),
        "--wait-interval=5m".to_string(),
        format!("--data-dir={DATA_DIR}/compact"),
        format!("--http-address=0.0.0.0:{HTTP_PORT}"),
        objstore_arg(t),
        format!("--retention.resolution-raw={}", r.raw),
        format!("--retention.resolution-5m={}", r.downsampled_5m),
        format!("--retention.resolution-1h={}", r.downsampled_1h),
    ]
}

#[allow(clippy::too_many_arguments)]
fn stateful_set(
    t: &Thanos,
    app: &App<'_>,
    cx: &Context<'_>,
    replicas: i32,
    volume: &crate::model::VolumeSize,
    args: Vec<String>,
    resources: &Resources,
    grpc: bool,
) -> StatefulSet {
    let mut c = thanos_container(t, app.name, args, resources, grpc);
    c.volume_mounts = Some(vec![pod::mount("data", DATA_DIR, false)]);
    let spec = PodSpec {
        service_account_name: Some(app.name.into()),
        automount_service_account_token: Some(false),
        security_context: Some(pod::pod_security(UID)),
        topology_spread_constraints: builders::topology_spread(app, replicas, cx.stack.nodes.get()),
        containers: vec![c],
        ..PodSpec::default()
    };
    let template = app.pod_template(BTreeMap::new(), spec);
    let secret_env = template
        .spec
        .as_ref()
        .is_some_and(waivers::reads_secret_env);
    let own: &[Waiver] = if secret_env { &[SECRET_ENV] } else { &[] };
    StatefulSet {
        metadata: waivers::workload_meta(app, app.name, &template, own),
        spec: Some(StatefulSetSpec {
            replicas: Some(replicas),
            service_name: Some(app.name.into()),
            pod_management_policy: Some("Parallel".into()),
            selector: app.selector(),
            template,
            volume_claim_templates: Some(vec![pod::pvc_template(
                "data",
                volume.as_str(),
                cx.stack.storage_class.as_ref().map(|c| c.as_str()),
            )]),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}
