//! Alertmanager's Kubernetes objects: the headless Service, the StatefulSet and its pod.

use crate::components::pod_resources;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, Volume, VolumeMount};

use super::settings::Mounted;
use super::{
    Alertmanager, CLUSTER_PORT, CONFIG_DIR, CONFIG_FILE, CONFIG_MAP, DATA_DIR, HEADLESS, HTTP_PORT,
    RELOADER_PORT, WEB_DIR,
};
use crate::components::Context;
use crate::k8s::Object;
use crate::k8s::builders::{self, service_port};
use crate::k8s::meta::App;
use crate::k8s::pod;
use crate::k8s::waivers;
use crate::model::WebAuth;
use crate::model::{DnsLabel, Duration, Stack};

/// `--data.retention` is a Go duration, which has no `d`, `w` or `y`: write the largest unit
/// that divides the value exactly.
pub(super) fn go_duration(d: &Duration) -> String {
    let ms = d.millis();
    let (unit, scale) = [("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        .into_iter()
        .find(|(_, scale)| ms.is_multiple_of(*scale))
        .unwrap_or(("ms", 1));
    format!("{}{unit}", ms / scale)
}

impl Alertmanager {
    pub(super) fn clustered(&self) -> bool {
        self.replicas > 1
    }

    /// `alertmanager-<i>.alertmanager-headless.<ns>.svc:<port>` for every replica.
    pub(super) fn pod_hosts(&self, namespace: &str, port: i32) -> Vec<String> {
        (0..self.replicas)
            .map(|i| format!("alertmanager-{i}.{HEADLESS}.{namespace}.svc:{port}"))
            .collect()
    }

    pub(super) fn args(&self, namespace: &str) -> Vec<String> {
        let mut args = vec![
            format!("--config.file={CONFIG_DIR}/{CONFIG_FILE}"),
            format!("--storage.path={DATA_DIR}"),
            format!("--data.retention={}", go_duration(&self.retention)),
            format!("--web.listen-address=:{HTTP_PORT}"),
        ];
        if let Some(host) = &self.host {
            // Links in notifications (and the UI's own) point here, not at a pod's name.
            args.push(format!("--web.external-url=https://{host}/"));
        }
        if self.client().is_some() {
            args.push(format!(
                "--web.config.file={WEB_DIR}/{}",
                WebAuth::WEB_CONFIG_KEY
            ));
        }
        if !self.clustered() {
            // Clustering is on by default; a lone replica has no one to gossip with.
            args.push("--cluster.listen-address=".into());
            return args;
        }
        args.push(format!("--cluster.listen-address=0.0.0.0:{CLUSTER_PORT}"));
        // The advertise address must be an IP; the pod's own comes from the downward API.
        args.push(format!(
            "--cluster.advertise-address=[$(POD_IP)]:{CLUSTER_PORT}"
        ));
        args.extend(
            self.pod_hosts(namespace, CLUSTER_PORT)
                .into_iter()
                .map(|peer| format!("--cluster.peer={peer}")),
        );
        args
    }

    pub(super) fn headless_service(&self, app: &App<'_>) -> Object {
        let mut ports = vec![service_port("http", HTTP_PORT, "TCP")];
        if self.clustered() {
            ports.push(service_port("cluster-tcp", CLUSTER_PORT, "TCP"));
            ports.push(service_port("cluster-udp", CLUSTER_PORT, "UDP"));
        }
        let mut service = builders::headless_service(app, HEADLESS, ports);
        if let Some(spec) = service.spec.as_mut() {
            // Peers must find each other before they are ready: readiness waits for the
            // cluster to settle.
            spec.publish_not_ready_addresses = Some(true);
        }
        service.into()
    }

    pub(super) fn stateful_set(&self, cx: &Context<'_>, app: &App<'_>, checksum: &str) -> Object {
        let claim_class = cx.stack.storage_class.as_ref().map(DnsLabel::as_str);
        let template = self.pod_template(cx.stack, app, checksum);
        StatefulSet {
            metadata: waivers::workload_meta(app, "alertmanager", &template, &[]),
            spec: Some(StatefulSetSpec {
                replicas: Some(self.replicas),
                service_name: Some(HEADLESS.into()),
                pod_management_policy: Some("Parallel".into()),
                selector: app.selector(),
                template,
                volume_claim_templates: Some(vec![pod::pvc_template(
                    "storage",
                    self.storage.as_str(),
                    claim_class,
                )]),
                ..StatefulSetSpec::default()
            }),
            ..StatefulSet::default()
        }
        .into()
    }

    fn pod_template(&self, stack: &Stack, app: &App<'_>, checksum: &str) -> PodTemplateSpec {
        let namespace = stack.namespace.as_str();
        let mut volumes = vec![pod::config_map_volume("config", CONFIG_MAP)];
        volumes.extend(self.secret_volumes());
        let mut annotations = BTreeMap::from([(
            "kubectl.kubernetes.io/default-container".to_string(),
            "alertmanager".to_string(),
        )]);
        let mut containers = vec![self.alertmanager_container(namespace)];
        match self.web_auth.as_ref().filter(|w| w.enabled) {
            // The reloader would need the password in its --reload-url: instead, a changed
            // config changes the pod template, and the pods roll one at a time.
            Some(auth) => {
                annotations.insert("checksum/config".into(), checksum.to_string());
                volumes.push(pod::secret_volume("web", auth.secret.as_str(), false));
            }
            None => containers.push(self.reloader_container()),
        }
        app.pod_template(
            annotations,
            PodSpec {
                service_account_name: Some("alertmanager".into()),
                // Alertmanager never calls the Kubernetes API.
                automount_service_account_token: Some(false),
                security_context: Some(pod::pod_security(65534)),
                topology_spread_constraints: builders::topology_spread(
                    app,
                    self.replicas,
                    stack.nodes.get(),
                ),
                containers,
                volumes: Some(volumes),
                ..PodSpec::default()
            },
        )
    }

    fn alertmanager_container(&self, namespace: &str) -> Container {
        let mut ports = vec![pod::tcp_port("http", HTTP_PORT)];
        let mut mounts = vec![
            // The whole directory, never a subPath: subPath mounts do not receive updates.
            pod::mount("config", CONFIG_DIR, true),
            pod::mount("storage", DATA_DIR, false),
        ];
        mounts.extend(self.secret_mounts());
        if self.client().is_some() {
            mounts.push(pod::mount("web", WEB_DIR, true));
        }
        if self.clustered() {
            ports.push(pod::tcp_port("cluster-tcp", CLUSTER_PORT));
            ports.push(pod::udp_port("cluster-udp", CLUSTER_PORT));
        }
        Container {
            args: Some(self.args(namespace)),
            env: self
                .clustered()
                .then(|| vec![pod::field_env("POD_IP", "status.podIP")]),
            ports: Some(ports),
            readiness_probe: Some(self.probe(pod::http_probe("/-/ready", "http"))),
            liveness_probe: Some(self.probe(pod::liveness_probe("/-/healthy", "http"))),
            volume_mounts: Some(mounts),
            ..pod::container(
                "alertmanager",
                self.image.as_str(),
                pod_resources(&self.resources),
            )
        }
    }

    /// exporter-toolkit asks for the login on every path, and a kubelet probe could only send
    /// it written into the pod spec: with web auth on, the probe checks the port only.
    fn probe(&self, http: k8s_openapi::api::core::v1::Probe) -> k8s_openapi::api::core::v1::Probe {
        if self.client().is_none() {
            return http;
        }
        k8s_openapi::api::core::v1::Probe {
            http_get: None,
            tcp_socket: pod::tcp_probe("http").tcp_socket,
            ..http
        }
    }

    fn reloader_container(&self) -> Container {
        Container {
            args: Some(vec![
                format!("--watched-dir={CONFIG_DIR}"),
                format!("--reload-url=http://127.0.0.1:{HTTP_PORT}/-/reload"),
                format!("--listen-address=:{RELOADER_PORT}"),
            ]),
            ports: Some(vec![pod::tcp_port("reloader-web", RELOADER_PORT)]),
            readiness_probe: Some(pod::http_probe("/healthz", "reloader-web")),
            liveness_probe: Some(pod::liveness_probe("/healthz", "reloader-web")),
            volume_mounts: Some(vec![pod::mount("config", CONFIG_DIR, true)]),
            ..pod::container(
                "config-reloader",
                self.reloader_image.as_str(),
                pod_resources(&self.reloader_resources),
            )
        }
    }

    /// The Secrets of the integrations some route uses (unused ones are warned about instead),
    /// and of the dead man's switch while the Watchdog fires.
    pub(super) fn mounted_secrets(&self) -> Vec<Mounted<'_>> {
        let routed = self.routes.used().into_iter().filter_map(|i| {
            self.receivers.secret(i).map(|(secret, key)| Mounted {
                name: i.name(),
                holds: i.holds(),
                secret,
                key,
            })
        });
        let watchdog = self
            .alerts
            .watchdog
            .enabled
            .then(|| self.receivers.watchdog())
            .flatten();
        routed.chain(watchdog).collect()
    }

    fn secret_volumes(&self) -> Vec<Volume> {
        // Not optional: a missing Secret stops the pod at deploy time instead of failing
        // silently at the first notification.
        self.mounted_secrets()
            .into_iter()
            .map(|m| pod::secret_volume(&m.volume(), m.secret.as_str(), false))
            .collect()
    }

    fn secret_mounts(&self) -> Vec<VolumeMount> {
        self.mounted_secrets()
            .into_iter()
            .map(|m| pod::mount(&m.volume(), &m.mount_dir(), true))
            .collect()
    }
}
