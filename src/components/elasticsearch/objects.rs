//! Elasticsearch's objects: a ServiceAccount without an API token, a headless Service (the
//! HTTP API) and a StatefulSet with a data volume per node; for a cluster also the transport
//! Service, a disruption budget and, with a cert-manager issuer, the transport Certificate.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{Container, EnvVar, ExecAction, PodSpec, Probe, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::cluster::{CERTS_DIR, TRANSPORT_PORT, TRANSPORT_PORT_NAME, TRANSPORT_SERVICE};
use super::{Elasticsearch, METRICS_PORT, METRICS_PORT_NAME, NAME, PORT, PORT_NAME, USER};
use crate::components::{Context, pod_resources};
use crate::k8s::builders::{self, service_port};
use crate::k8s::meta::App;
use crate::k8s::waivers::{self, Waiver};
use crate::k8s::{Object, pod};

/// The image's `elasticsearch` user (`USER 1000:0`, elastic/elasticsearch
/// distribution/docker/src/docker/Dockerfile.default).
const UID: i64 = 1000;
const HOME: &str = "/usr/share/elasticsearch";
const HEALTH: &str = "/_cluster/health?wait_for_status=yellow&timeout=1s";

pub fn objects(e: &Elasticsearch, cx: &Context<'_>) -> Vec<Object> {
    let app = cx.app(NAME, "span-store");
    let mut out: Vec<Object> = vec![
        builders::service_account(&app, NAME, false).into(),
        builders::headless_service(
            &app,
            NAME,
            vec![
                service_port(PORT_NAME, PORT, "TCP"),
                service_port(METRICS_PORT_NAME, METRICS_PORT, "TCP"),
            ],
        )
        .into(),
        stateful_set(e, &app, cx).into(),
    ];
    if e.clustered() {
        // Its PodDisruptionBudget is derived (derive::disruption_budgets).
        out.push(transport_service(&app).into());
    }
    out.extend(e.certificate(&app).map(Object::from));
    out
}

/// The nodes' transport port, published before they are ready: a node turns ready only once
/// the cluster has formed, which needs the others to find it.
fn transport_service(app: &App<'_>) -> k8s_openapi::api::core::v1::Service {
    let mut service = builders::headless_service(
        app,
        TRANSPORT_SERVICE,
        vec![service_port(TRANSPORT_PORT_NAME, TRANSPORT_PORT, "TCP")],
    );
    if let Some(spec) = service.spec.as_mut() {
        spec.publish_not_ready_addresses = Some(true);
    }
    service
}

fn value_env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..EnvVar::default()
    }
}

/// Settings as the image's entrypoint reads them: every variable named like `a.b` becomes
/// `-Ea.b=value` (docker-entrypoint.sh).
pub(super) fn settings(e: &Elasticsearch) -> Vec<(&'static str, String)> {
    let security = e.password.is_some();
    let mut settings = if e.clustered() {
        vec![
            // Every node is master-eligible; they find each other through the transport
            // Service, and the first start elects a master among the StatefulSet's pods.
            ("discovery.seed_hosts", TRANSPORT_SERVICE.to_string()),
            ("cluster.initial_master_nodes", e.initial_master_nodes()),
            ("http.host", "0.0.0.0".into()),
            ("transport.host", "0.0.0.0".into()),
        ]
    } else {
        vec![
            // One node, in development mode: bootstrap checks warn instead of failing.
            ("discovery.type", "single-node".into()),
            ("http.host", "0.0.0.0".into()),
            // No other node ever joins: the transport port stays on loopback.
            ("transport.host", "127.0.0.1".into()),
        ]
    };
    let transport_tls = e.transport_tls_secret().is_some();
    settings.extend([
        // No mmap, so no vm.max_map_count sysctl and no privileged init container (the
        // max-map-count bootstrap check applies only to mmap stores).
        ("node.store.allow_mmap", "false".into()),
        ("xpack.security.enabled", security.to_string()),
        // Plain HTTP inside the cluster; the password (when set) still guards every call.
        ("xpack.security.http.ssl.enabled", "false".into()),
        (
            "xpack.security.transport.ssl.enabled",
            transport_tls.to_string(),
        ),
    ]);
    if transport_tls {
        settings.extend([
            // One certificate for every node: its chain is verified, not its host name.
            (
                "xpack.security.transport.ssl.verification_mode",
                "certificate".into(),
            ),
            (
                "xpack.security.transport.ssl.key",
                format!("{CERTS_DIR}/tls.key"),
            ),
            (
                "xpack.security.transport.ssl.certificate",
                format!("{CERTS_DIR}/tls.crt"),
            ),
            (
                "xpack.security.transport.ssl.certificate_authorities",
                format!("{CERTS_DIR}/ca.crt"),
            ),
        ]);
    }
    // The index cleaner deletes old daily indices by wildcard.
    settings.push(("action.destructive_requires_name", "false".into()));
    settings
}

fn env(e: &Elasticsearch) -> Vec<EnvVar> {
    let mut env: Vec<EnvVar> = settings(e).iter().map(|(k, v)| value_env(k, v)).collect();
    if e.clustered() {
        // The pod's name is the node's name (initial_master_nodes lists them); other nodes
        // reach it at its pod address.
        env.push(pod::field_env("node.name", "metadata.name"));
        env.push(pod::field_env("network.publish_host", "status.podIP"));
    }
    let heap = e.heap_mib();
    env.push(value_env(
        "ES_JAVA_OPTS",
        &format!("-Xms{heap}m -Xmx{heap}m"),
    ));
    if let Some(p) = &e.password {
        env.push(pod::secret_env(
            "ELASTIC_PASSWORD",
            p.secret.as_str(),
            &p.key,
        ));
    }
    env
}

/// Cluster health, yellow or better: one node holds every primary shard (Jaeger's indices have
/// no replicas, so a healthy node is green). With security on, the probe authenticates with
/// the password from the environment (never written into the manifest).
fn readiness(e: &Elasticsearch) -> Probe {
    let command = match e.password {
        Some(_) => format!(
            "curl -fsS -o /dev/null -u \"{USER}:${{ELASTIC_PASSWORD}}\" 'http://127.0.0.1:{PORT}{HEALTH}'"
        ),
        None => format!("curl -fsS -o /dev/null 'http://127.0.0.1:{PORT}{HEALTH}'"),
    };
    Probe {
        exec: Some(ExecAction {
            command: Some(vec!["bash".into(), "-c".into(), command]),
        }),
        initial_delay_seconds: Some(10),
        period_seconds: Some(10),
        timeout_seconds: Some(5),
        failure_threshold: Some(3),
        ..Probe::default()
    }
}

/// The JVM takes a while to start and to recover its shards: liveness only asks for the port.
fn liveness() -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::String(PORT_NAME.into()),
            ..TCPSocketAction::default()
        }),
        initial_delay_seconds: Some(90),
        period_seconds: Some(20),
        timeout_seconds: Some(5),
        failure_threshold: Some(6),
        ..Probe::default()
    }
}

/// Copies the image's config directory into the writable emptyDir the node mounts over it.
fn config_copy(e: &Elasticsearch) -> Container {
    let mut c = pod::container(
        "copy-config",
        e.image.as_str(),
        pod::resource_requirements(("10m", "32Mi"), ("100m", "64Mi")),
    );
    c.command = Some(vec![
        "bash".into(),
        "-c".into(),
        // Plain copy: a non-root user cannot keep the image's owner (1000:0); the copies belong
        // to the pod's user and fsGroup, which is what the node needs.
        format!("cp -R {HOME}/config/. /mnt/config/"),
    ]);
    c.volume_mounts = Some(vec![pod::mount("config", "/mnt/config", false)]);
    c
}

/// prometheus-community's exporter beside the node: it reads the node's stats over loopback,
/// with the same credentials (ES_USERNAME/ES_PASSWORD, main.go@v1.11.0).
fn exporter(e: &Elasticsearch) -> Container {
    let mut c = pod::container(
        "exporter",
        e.exporter_image.as_str(),
        pod::resource_requirements(("10m", "32Mi"), ("100m", "64Mi")),
    );
    c.args = Some(vec![
        format!("--es.uri=http://127.0.0.1:{PORT}"),
        format!("--web.listen-address=:{METRICS_PORT}"),
        "--es.timeout=10s".into(),
    ]);
    if let Some(p) = &e.password {
        c.env = Some(vec![
            value_env("ES_USERNAME", USER),
            pod::secret_env("ES_PASSWORD", p.secret.as_str(), &p.key),
        ]);
    }
    c.ports = Some(vec![pod::tcp_port(METRICS_PORT_NAME, METRICS_PORT)]);
    c.readiness_probe = Some(pod::http_probe("/healthz", METRICS_PORT_NAME));
    c.liveness_probe = Some(pod::liveness_probe("/healthz", METRICS_PORT_NAME));
    c
}

/// checkov CKV_K8S_40 (UID below 10000): the image's files belong to uid 1000.
const IMAGE_UID: Waiver = Waiver {
    check: "CKV_K8S_40",
    reason: "Elasticsearch runs as the user its image is built for (1000) which owns its files",
};

/// checkov CKV_K8S_35 (Secret in an environment variable): the `elastic` user's password.
const SECRET_ENV: Waiver = Waiver {
    check: "CKV_K8S_35",
    reason: "Elasticsearch sets the elastic user's password from ELASTIC_PASSWORD and the exporter logs in with ES_PASSWORD; both are filled from the Secret by reference",
};

fn stateful_set(e: &Elasticsearch, app: &App<'_>, cx: &Context<'_>) -> StatefulSet {
    let mut container = pod::container(NAME, e.image.as_str(), pod_resources(&e.resources));
    container.env = Some(env(e));
    let mut ports = vec![pod::tcp_port(PORT_NAME, PORT)];
    if e.clustered() {
        ports.push(pod::tcp_port(TRANSPORT_PORT_NAME, TRANSPORT_PORT));
    }
    container.ports = Some(ports);
    container.readiness_probe = Some(readiness(e));
    container.liveness_probe = Some(liveness());
    container.volume_mounts = Some(vec![
        pod::mount("data", &format!("{HOME}/data"), false),
        pod::mount("config", &format!("{HOME}/config"), false),
        pod::mount("logs", &format!("{HOME}/logs"), false),
        pod::mount("tmp", "/tmp", false),
    ]);
    let mut volumes = vec![
        pod::empty_dir("config", "64Mi"),
        pod::empty_dir("logs", "1Gi"),
        pod::empty_dir("tmp", "1Gi"),
    ];
    if let Some(secret) = e.transport_tls_secret() {
        if let Some(mounts) = container.volume_mounts.as_mut() {
            mounts.push(pod::mount(
                "transport-certs",
                &format!("{HOME}/config/{CERTS_DIR}"),
                true,
            ));
        }
        volumes.push(pod::secret_volume("transport-certs", secret, false));
    }
    let spec = PodSpec {
        service_account_name: Some(NAME.into()),
        automount_service_account_token: Some(false),
        security_context: Some(pod::pod_security(UID)),
        init_containers: Some(vec![config_copy(e)]),
        containers: vec![container, exporter(e)],
        // Flushes and closes its shards before the volume is detached.
        termination_grace_period_seconds: Some(120),
        volumes: Some(volumes),
        // Nodes on different hosts and, where the cluster has them, zones: one failure takes
        // at most one copy of each shard.
        topology_spread_constraints: builders::topology_spread(app, e.nodes, cx.stack.nodes.get()),
        ..PodSpec::default()
    };
    let template = app.pod_template(BTreeMap::new(), spec);
    let mut own = vec![IMAGE_UID];
    if template
        .spec
        .as_ref()
        .is_some_and(waivers::reads_secret_env)
    {
        own.push(SECRET_ENV);
    }
    StatefulSet {
        metadata: waivers::workload_meta(app, NAME, &template, &own),
        spec: Some(StatefulSetSpec {
            replicas: Some(e.nodes),
            service_name: Some(NAME.into()),
            // A cluster starts every node at once: a node is ready only when the cluster has
            // formed. (One node keeps the default, which cannot change in place.)
            pod_management_policy: e.clustered().then(|| "Parallel".into()),
            selector: app.selector(),
            template,
            volume_claim_templates: Some(vec![pod::pvc_template(
                "data",
                e.storage.as_str(),
                cx.stack.storage_class.as_ref().map(|c| c.as_str()),
            )]),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}
