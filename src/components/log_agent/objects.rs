//! The log agent's objects in the agents' namespace: a ServiceAccount, a ClusterRole that
//! reads pods (discovery) and its binding, the ConfigMap with config.alloy, a headless
//! Service (the scrape target's address) and the DaemonSet.

use std::collections::BTreeMap;

use anyhow::anyhow;
use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec};
use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, PodSecurityContext, PodSpec, SeccompProfile, Toleration, Volume,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};

use super::config::{DOCKER_LOGS, POD_LOGS};
use super::{LogAgent, NAME, PORT, PORT_NAME};
use crate::components::{Context, pod_resources};
use crate::k8s::builders::{self, service_port};
use crate::k8s::meta::App;
use crate::k8s::waivers::{self, Waiver};
use crate::k8s::{Object, pod};
use crate::model::endpoints::DatasourceKind;

const CONFIG_MAP: &str = "alloy-config";
const CONFIG_DIR: &str = "/etc/alloy";
/// Positions (how far each file was read) live on the host, so a restarted agent resumes
/// where it stopped instead of re-sending or skipping lines.
const STATE_HOST_DIR: &str = "/var/lib/monstack-alloy";
const STATE_DIR: &str = "/var/lib/alloy";

pub fn objects(a: &LogAgent, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
    let loki = cx
        .collected
        .datasources()
        .find(|d| d.kind == DatasourceKind::Loki)
        .ok_or_else(|| anyhow!("no Loki datasource is offered (log_agent needs [loki])"))?;
    let push_url = format!("{}/loki/api/v1/push", loki.service.http_url());
    let namespace = cx.stack.agents_namespace();
    let app = App {
        namespace: &namespace,
        ..cx.app(NAME, "log-agent")
    };
    let config = a.config(&push_url);
    let daemon_set = daemon_set(a, &app, &config);
    Ok(vec![
        builders::service_account(&app, NAME, true).into(),
        cluster_role(&app).into(),
        builders::cluster_role_binding(&app, NAME).into(),
        builders::config_map(
            &app,
            CONFIG_MAP,
            BTreeMap::from([("config.alloy".to_string(), config)]),
        )
        .into(),
        builders::headless_service(&app, NAME, vec![service_port(PORT_NAME, PORT, "TCP")]).into(),
        daemon_set.into(),
    ])
}

/// Pod discovery only: list and watch pods (their names, labels and node).
fn cluster_role(app: &App<'_>) -> ClusterRole {
    ClusterRole {
        metadata: app.cluster_meta(NAME),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["pods".into()]),
            verbs: vec!["get".into(), "list".into(), "watch".into()],
            ..PolicyRule::default()
        }]),
        ..ClusterRole::default()
    }
}

fn host_path(name: &str, path: &str, type_: &str) -> Volume {
    Volume {
        name: name.into(),
        host_path: Some(HostPathVolumeSource {
            path: path.into(),
            type_: Some(type_.into()),
        }),
        ..Volume::default()
    }
}

fn args() -> Vec<String> {
    vec![
        "run".into(),
        format!("{CONFIG_DIR}/config.alloy"),
        format!("--storage.path={STATE_DIR}"),
        // The default 127.0.0.1:12345 is unreachable for probes and Prometheus.
        format!("--server.http.listen-addr=0.0.0.0:{PORT}"),
        "--stability.level=generally-available".into(),
        "--disable-reporting".into(),
    ]
}

/// `config` only feeds the pod's checksum annotation, so a new config rolls the agents.
/// checkov checks the agent fails by design: it reads root-owned log files and discovers pods.
const ROOT_AND_API: [Waiver; 3] = [
    Waiver {
        check: "CKV_K8S_23",
        reason: "the log agent reads pod log files the container runtime writes root-owned (0640); it runs as root with no capabilities and read-only log mounts",
    },
    Waiver {
        check: "CKV_K8S_40",
        reason: "the log agent runs as root (uid 0) to read root-owned log files",
    },
    Waiver {
        check: "CKV_K8S_38",
        reason: "the log agent discovers the pods of its node through the Kubernetes API",
    },
];

fn daemon_set(a: &LogAgent, app: &App<'_>, config: &str) -> DaemonSet {
    let mut container = pod::container(NAME, a.image.as_str(), pod_resources(&a.resources));
    container.args = Some(args());
    container.env = Some(vec![pod::field_env("HOSTNAME", "spec.nodeName")]);
    container.ports = Some(vec![pod::tcp_port(PORT_NAME, PORT)]);
    container.readiness_probe = Some(pod::http_probe("/-/ready", PORT_NAME));
    container.liveness_probe = Some(pod::liveness_probe("/-/healthy", PORT_NAME));
    if let Some(sc) = container.security_context.as_mut() {
        // Root, to read root-owned 0640 log files; still no capabilities and a read-only root.
        sc.run_as_non_root = Some(false);
        sc.run_as_user = Some(0);
    }
    let mut mounts = vec![
        pod::mount("config", CONFIG_DIR, true),
        pod::mount("pod-logs", POD_LOGS, true),
        pod::mount("state", STATE_DIR, false),
        pod::mount("tmp", "/tmp", false),
    ];
    let mut volumes = vec![
        pod::config_map_volume("config", CONFIG_MAP),
        host_path("pod-logs", POD_LOGS, "Directory"),
        host_path("state", STATE_HOST_DIR, "DirectoryOrCreate"),
        pod::empty_dir("tmp", "64Mi"),
    ];
    // Pod log files on Docker nodes are symlinks into Docker's directory.
    mounts.push(pod::mount("docker-logs", DOCKER_LOGS, true));
    volumes.push(host_path("docker-logs", DOCKER_LOGS, "DirectoryOrCreate"));
    container.volume_mounts = Some(mounts);
    let spec = PodSpec {
        service_account_name: Some(NAME.into()),
        automount_service_account_token: Some(true),
        security_context: Some(PodSecurityContext {
            run_as_user: Some(0),
            run_as_group: Some(0),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                ..SeccompProfile::default()
            }),
            ..PodSecurityContext::default()
        }),
        // Every node, tainted or not: their pods log too.
        tolerations: Some(vec![Toleration {
            operator: Some("Exists".into()),
            ..Toleration::default()
        }]),
        containers: vec![container],
        volumes: Some(volumes),
        ..PodSpec::default()
    };
    let template = app.pod_template(
        BTreeMap::from([("checksum/config".to_string(), pod::checksum(config))]),
        spec,
    );
    DaemonSet {
        metadata: waivers::workload_meta(app, NAME, &template, &ROOT_AND_API),
        spec: Some(DaemonSetSpec {
            selector: app.selector(),
            template,
            update_strategy: Some(builders::node_agent_update_strategy()),
            ..DaemonSetSpec::default()
        }),
        ..DaemonSet::default()
    }
}
