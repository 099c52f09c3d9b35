//! Loki's objects: a ServiceAccount without an API token, the ConfigMap with loki.yaml, the
//! client Service, the headless Service (StatefulSet identity and memberlist ring), the
//! StatefulSet with a volume per replica, and a PodDisruptionBudget when clustered.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec, PodTemplateSpec};

use super::{
    CONFIG_DIR, CONFIG_FILE, CONFIG_MAP, DATA_DIR, GRPC, GRPC_PORT, HEADLESS, HTTP, HTTP_PORT,
    Loki, MEMBERLIST, MEMBERLIST_PORT, NAME, SERVICE, UID,
};
use crate::components::{Context, pod_resources};
use crate::k8s::builders::{self, service_port};
use crate::k8s::meta::App;
use crate::k8s::waivers::{self, Waiver};
use crate::k8s::{Object, pod};
use crate::model::DnsLabel;
use crate::templates::yaml_of;

pub fn objects(l: &Loki, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
    let app = cx.app(NAME, "log-store");
    let config = yaml_of(&l.config(cx.stack.namespace.as_str()))?;
    let checksum = pod::checksum(&config);
    let objects: Vec<Object> = vec![
        // Loki never calls the Kubernetes API.
        builders::service_account(&app, NAME, false).into(),
        builders::config_map(
            &app,
            CONFIG_MAP,
            BTreeMap::from([(CONFIG_FILE.to_string(), config)]),
        )
        .into(),
        builders::service(
            &app,
            SERVICE,
            vec![
                service_port(HTTP, HTTP_PORT, "TCP"),
                service_port(GRPC, GRPC_PORT, "TCP"),
            ],
        )
        .into(),
        headless_service(l, &app),
        stateful_set(l, cx, &app, checksum).into(),
    ];
    Ok(objects)
}

fn headless_service(l: &Loki, app: &App<'_>) -> Object {
    let mut ports = vec![service_port(HTTP, HTTP_PORT, "TCP")];
    if l.clustered() {
        ports.push(service_port(MEMBERLIST, MEMBERLIST_PORT, "TCP"));
    }
    let mut service = builders::headless_service(app, HEADLESS, ports);
    if let Some(spec) = service.spec.as_mut() {
        // Ring members must find each other before they are ready: readiness waits for the ring.
        spec.publish_not_ready_addresses = Some(l.clustered());
    }
    service.into()
}

/// checkov CKV_K8S_35 (Secret in an environment variable): the object store's keys.
const SECRET_ENV: Waiver = Waiver {
    check: "CKV_K8S_35",
    reason: "Loki's S3 client takes its keys from AWS_* variables or loki.yaml; loki.yaml is a ConfigMap so the variables filled from the Secret by reference keep them out of it",
};

fn stateful_set(l: &Loki, cx: &Context<'_>, app: &App<'_>, checksum: String) -> StatefulSet {
    let class = cx.stack.storage_class.as_ref().map(DnsLabel::as_str);
    let template = pod_template(l, app, checksum, cx.stack.nodes.get());
    let secret_env = template
        .spec
        .as_ref()
        .is_some_and(waivers::reads_secret_env);
    let own: &[Waiver] = if secret_env { &[SECRET_ENV] } else { &[] };
    StatefulSet {
        metadata: waivers::workload_meta(app, NAME, &template, own),
        spec: Some(StatefulSetSpec {
            replicas: Some(l.replicas),
            service_name: Some(HEADLESS.into()),
            // Ring members start together; order buys nothing.
            pod_management_policy: Some("Parallel".into()),
            selector: app.selector(),
            template,
            volume_claim_templates: Some(vec![pod::pvc_template(
                "storage",
                l.volume.as_str(),
                class,
            )]),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

fn pod_template(l: &Loki, app: &App<'_>, checksum: String, nodes: u32) -> PodTemplateSpec {
    app.pod_template(
        BTreeMap::from([("checksum/config".to_string(), checksum)]),
        PodSpec {
            service_account_name: Some(NAME.into()),
            automount_service_account_token: Some(false),
            security_context: Some(pod::pod_security(UID)),
            topology_spread_constraints: builders::topology_spread(app, l.replicas, nodes),
            // A stopping replica flushes its chunks (flush_on_shutdown) before it exits.
            termination_grace_period_seconds: Some(300),
            containers: vec![container(l)],
            volumes: Some(vec![pod::config_map_volume("config", CONFIG_MAP)]),
            ..PodSpec::default()
        },
    )
}

fn args(l: &Loki) -> Vec<String> {
    let mut args = vec![
        format!("-config.file={CONFIG_DIR}/{CONFIG_FILE}"),
        "-target=all".to_string(),
    ];
    if l.clustered() {
        // The pod's IP: memberlist advertises an address, never a name.
        args.push("-memberlist.advertise-addr=$(POD_IP)".into());
    }
    args
}

fn env(l: &Loki) -> Vec<EnvVar> {
    let mut env = Vec::new();
    if l.clustered() {
        env.push(pod::field_env("POD_IP", "status.podIP"));
    }
    if let Some(secret) = l.credentials_secret() {
        // Read by the S3 client's default credential chain; never written into loki.yaml.
        for (var, key) in [
            ("AWS_ACCESS_KEY_ID", l.storage.access_key_id_key.as_str()),
            (
                "AWS_SECRET_ACCESS_KEY",
                l.storage.secret_access_key_key.as_str(),
            ),
        ] {
            env.push(pod::secret_env(var, secret, key));
        }
    }
    env
}

fn container(l: &Loki) -> Container {
    let mut ports = vec![
        pod::tcp_port(HTTP, HTTP_PORT),
        pod::tcp_port(GRPC, GRPC_PORT),
    ];
    if l.clustered() {
        ports.push(pod::tcp_port(MEMBERLIST, MEMBERLIST_PORT));
    }
    let env = env(l);
    Container {
        args: Some(args(l)),
        env: (!env.is_empty()).then_some(env),
        ports: Some(ports),
        readiness_probe: Some(pod::http_probe("/ready", HTTP)),
        liveness_probe: Some(pod::liveness_probe("/loki/api/v1/status/buildinfo", HTTP)),
        volume_mounts: Some(vec![
            pod::mount("config", CONFIG_DIR, true),
            pod::mount("storage", DATA_DIR, false),
        ]),
        ..pod::container(NAME, l.image.as_str(), pod_resources(&l.resources))
    }
}
