//! node-exporter's objects in the agents' namespace: a ServiceAccount without an API token,
//! a headless Service (the scrape target's address) and the DaemonSet.

use crate::components::pod_resources;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec};
use k8s_openapi::api::core::v1::{
    ContainerPort, HostPathVolumeSource, PodSpec, Toleration, Volume, VolumeMount,
};

use super::{NAME, NodeExporter, PORT, PORT_NAME};
use crate::components::Context;
use crate::k8s::builders::{self, service_port};
use crate::k8s::meta::App;
use crate::k8s::waivers::{self, Waiver};
use crate::k8s::{Object, pod};

/// The image's `nobody` user.
const UID: i64 = 65534;

pub fn objects(n: &NodeExporter, cx: &Context<'_>) -> Vec<Object> {
    let namespace = cx.stack.agents_namespace();
    let app = App {
        namespace: &namespace,
        ..cx.app(NAME, "node-agent")
    };
    vec![
        // node-exporter never calls the Kubernetes API.
        builders::service_account(&app, NAME, false).into(),
        builders::headless_service(&app, NAME, vec![service_port(PORT_NAME, PORT, "TCP")]).into(),
        daemon_set(n, &app).into(),
    ]
}

/// Host paths, mounted read-only under /host.
const HOST_PATHS: &[(&str, &str, &str)] = &[
    ("proc", "/proc", "/host/proc"),
    ("sys", "/sys", "/host/sys"),
    ("root", "/", "/host/root"),
];

fn args() -> Vec<String> {
    [
        "--path.procfs=/host/proc",
        "--path.sysfs=/host/sys",
        "--path.rootfs=/host/root",
        "--path.udev.data=/host/root/run/udev/data",
        // On the node's own address only (host network), not on every interface of the host.
        "--web.listen-address=[$(HOST_IP)]:9100",
        // Kubernetes' own mounts and container layers are not the node's filesystems.
        "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/containerd/.+|run/k3s/containerd/.+|var/lib/docker/.+|var/lib/kubelet/pods/.+|var/lib/kubelet/plugins/.+)($|/)",
        // Pod veth pairs and Calico/Cilium interfaces come and go with every pod.
        "--collector.netclass.ignored-devices=^(veth.*|cali.*|lxc.*|[a-f0-9]{15})$",
        "--collector.netdev.device-exclude=^(veth.*|cali.*|lxc.*|[a-f0-9]{15})$",
        // Not on cloud nodes, and hwmon is slow on some.
        "--no-collector.wifi",
        "--no-collector.hwmon",
    ]
    .map(String::from)
    .to_vec()
}

fn host_path(name: &str, path: &str) -> Volume {
    Volume {
        name: name.into(),
        host_path: Some(HostPathVolumeSource {
            path: path.into(),
            type_: Some("Directory".into()),
        }),
        ..Volume::default()
    }
}

fn host_mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        // Mounts made on the host later (new volumes) become visible to the exporter.
        mount_propagation: Some("HostToContainer".into()),
        ..pod::mount(name, path, true)
    }
}

/// checkov checks node-exporter fails by its nature: it reports on the host, so it sees the
/// host's processes and network (README "Node agents run apart").
const HOST_ACCESS: [Waiver; 3] = [
    Waiver {
        check: "CKV_K8S_17",
        reason: "node-exporter reads the host's processes (hostPID) to report on the node",
    },
    Waiver {
        check: "CKV_K8S_19",
        reason: "node-exporter reports the node's own network interfaces (hostNetwork)",
    },
    Waiver {
        check: "CKV_K8S_26",
        reason: "with the host network the port is the node's; declared so two exporters never land on one node",
    },
];

fn daemon_set(n: &NodeExporter, app: &App<'_>) -> DaemonSet {
    let mut container = pod::container(NAME, n.image.as_str(), pod_resources(&n.resources));
    container.args = Some(args());
    container.env = Some(vec![pod::field_env("HOST_IP", "status.hostIP")]);
    container.ports = Some(vec![ContainerPort {
        // With the host network, the port is the node's: declared so the scheduler never puts
        // two exporters (or anything else on 9100) on one node.
        host_port: Some(PORT),
        ..pod::tcp_port(PORT_NAME, PORT)
    }]);
    container.readiness_probe = Some(pod::http_probe("/", PORT_NAME));
    container.liveness_probe = Some(pod::liveness_probe("/", PORT_NAME));
    container.volume_mounts = Some(
        HOST_PATHS
            .iter()
            .map(|(name, _, at)| host_mount(name, at))
            .collect(),
    );
    let spec = PodSpec {
        service_account_name: Some(NAME.into()),
        automount_service_account_token: Some(false),
        host_network: Some(true),
        host_pid: Some(true),
        security_context: Some(pod::pod_security(UID)),
        // Every node, tainted or not (control plane, dedicated pools).
        tolerations: Some(vec![Toleration {
            operator: Some("Exists".into()),
            ..Toleration::default()
        }]),
        containers: vec![container],
        volumes: Some(
            HOST_PATHS
                .iter()
                .map(|(name, path, _)| host_path(name, path))
                .collect(),
        ),
        ..PodSpec::default()
    };
    let template = app.pod_template(BTreeMap::new(), spec);
    DaemonSet {
        metadata: waivers::workload_meta(app, NAME, &template, &HOST_ACCESS),
        spec: Some(DaemonSetSpec {
            selector: app.selector(),
            template,
            update_strategy: Some(builders::node_agent_update_strategy()),
            ..DaemonSetSpec::default()
        }),
        ..DaemonSet::default()
    }
}
