//! Alertmanager: routes the alerts Prometheus sends to PagerDuty, Slack or a webhook.
//!
//! A StatefulSet (silences and the notification log live on a volume) whose replicas gossip
//! through a headless Service, so every replica receives every alert and the cluster sends each
//! notification once. alertmanager.yml is rendered from `templates/alertmanager/`; receiver
//! credentials stay in existing Secrets, mounted as files and referenced by `*_file` fields.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, Volume, VolumeMount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use super::{Component, Context};
use crate::k8s::Object;
use crate::k8s::builders::{self, service_port};
use crate::k8s::meta::App;
use crate::k8s::pod;
use crate::model::endpoints::{AlertReceiver, Offer, ScrapeTarget, ServiceAddress};
use crate::model::{
    DnsLabel, Duration, Image, Problem, Quantity, Resources, Stack, check_replicas,
};

const HTTP_PORT: i32 = 9093;
const CLUSTER_PORT: i32 = 9094;
const RELOADER_PORT: i32 = 8080;
const MAX_REPLICAS: i32 = 5;
const SERVICE: &str = "alertmanager";
const HEADLESS: &str = "alertmanager-headless";
const CONFIG_MAP: &str = "alertmanager-config";
const CONFIG_DIR: &str = "/etc/alertmanager/config";
const CONFIG_FILE: &str = "alertmanager.yml";
const DATA_DIR: &str = "/alertmanager";
const SECRETS_DIR: &str = "/etc/alertmanager/secrets";

/// `[alertmanager]`: the alert router, its grouping timers, receivers and routes.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alertmanager {
    /// Render Alertmanager at all. Without it Prometheus evaluates alerts but notifies no one.
    pub enabled: bool,
    /// Replicas; more than one forms a gossip cluster that deduplicates notifications.
    pub replicas: i32,
    /// Alertmanager image, pinned.
    pub image: Image,
    /// Sidecar that reloads Alertmanager when its ConfigMap changes.
    pub reloader_image: Image,
    /// Requests and limits of the Alertmanager container.
    pub resources: Resources,
    /// Requests and limits of the config-reloader sidecar.
    pub reloader_resources: Resources,
    /// Volume per replica for silences and the notification log.
    pub storage: Quantity,
    /// How long silences and the notification log are kept (`--data.retention`).
    pub retention: Duration,
    /// Labels that put alerts into one notification (`["..."]` groups by every label).
    pub group_by: Vec<String>,
    /// How long a new group waits for more alerts before its first notification.
    pub group_wait: Duration,
    /// How long a group waits before notifying about alerts added to it.
    pub group_interval: Duration,
    /// How often a still-firing group is notified again.
    pub repeat_interval: Duration,
    /// A different repeat interval for critical alerts; unset uses `repeat_interval`.
    pub critical_repeat_interval: Option<Duration>,
    /// Where notifications can go; each receiver reads its credential from an existing Secret.
    pub receivers: Receivers,
    /// Which receivers get which severity.
    pub routes: Routes,
}

impl Default for Alertmanager {
    fn default() -> Self {
        let image = |s: &str| Image::parse(s).expect("invariant: default images are pinned");
        let duration = |s: &str| Duration::parse(s).expect("invariant: default durations parse");
        Alertmanager {
            enabled: true,
            replicas: 2,
            image: image("quay.io/prometheus/alertmanager:v0.34.0"),
            reloader_image: image("quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1"),
            resources: Resources::new(("50m", "128Mi"), ("200m", "256Mi")),
            reloader_resources: Resources::new(("10m", "32Mi"), ("50m", "64Mi")),
            storage: Quantity::parse("1Gi").expect("invariant: default quantities parse"),
            retention: duration("120h"),
            group_by: vec!["alertname".into(), "namespace".into()],
            group_wait: duration("30s"),
            group_interval: duration("5m"),
            repeat_interval: duration("4h"),
            critical_repeat_interval: None,
            receivers: Receivers::default(),
            routes: Routes::default(),
        }
    }
}

/// `[alertmanager.receivers]`: each integration is optional.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Receivers {
    /// PagerDuty Events API v2; the Secret key holds the integration's routing key.
    pub pagerduty: Option<SecretKey>,
    /// Slack incoming webhook; the Secret key holds the webhook URL.
    pub slack: Option<Slack>,
    /// Generic webhook; the Secret key holds the URL (it may embed a token).
    pub webhook: Option<SecretKey>,
}

/// A key of an existing Secret in the stack's namespace (monstack never writes its value).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretKey {
    /// `false` turns the receiver off (e.g. in a profile that extends one that has it).
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Name of the Secret.
    pub secret: DnsLabel,
    /// Key inside the Secret.
    pub key: String,
}

fn enabled() -> bool {
    true
}

/// `[alertmanager.receivers.slack]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slack {
    /// `false` turns the receiver off (e.g. in a profile that extends one that has it).
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Name of the Secret holding the webhook URL.
    pub secret: DnsLabel,
    /// Key inside the Secret.
    pub key: String,
    /// Channel to post to; unset uses the webhook's own channel.
    pub channel: Option<String>,
}

/// `[alertmanager.routes]`: lists of integrations (`"pagerduty"`, `"slack"`, `"webhook"`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Routes {
    /// Who is notified of `severity="critical"` alerts; empty falls back to `default`.
    pub critical: BTreeSet<Integration>,
    /// Who is notified of `severity="warning"` alerts; empty falls back to `default`.
    pub warning: BTreeSet<Integration>,
    /// Who is notified of alerts of any other severity or none (the root route's receiver);
    /// empty discards them.
    pub default: BTreeSet<Integration>,
}

/// A notification integration, as route lists name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Integration {
    /// `[alertmanager.receivers.pagerduty]`.
    Pagerduty,
    /// `[alertmanager.receivers.slack]`.
    Slack,
    /// `[alertmanager.receivers.webhook]`.
    Webhook,
}

const INTEGRATIONS: [Integration; 3] = [
    Integration::Pagerduty,
    Integration::Slack,
    Integration::Webhook,
];

impl Integration {
    fn name(self) -> &'static str {
        match self {
            Integration::Pagerduty => "pagerduty",
            Integration::Slack => "slack",
            Integration::Webhook => "webhook",
        }
    }

    fn volume(self) -> String {
        format!("{}-secret", self.name())
    }

    fn mount_dir(self) -> String {
        format!("{SECRETS_DIR}/{}", self.name())
    }
}

impl Receivers {
    /// The Secret and key an integration reads, when it is configured.
    fn secret(&self, integration: Integration) -> Option<(&DnsLabel, &str)> {
        match integration {
            Integration::Pagerduty => self
                .pagerduty
                .as_ref()
                .filter(|s| s.enabled)
                .map(|s| (&s.secret, s.key.as_str())),
            Integration::Slack => self
                .slack
                .as_ref()
                .filter(|s| s.enabled)
                .map(|s| (&s.secret, s.key.as_str())),
            Integration::Webhook => self
                .webhook
                .as_ref()
                .filter(|s| s.enabled)
                .map(|s| (&s.secret, s.key.as_str())),
        }
    }

    /// Where the Alertmanager container reads that integration's credential.
    fn file(&self, integration: Integration) -> Option<String> {
        self.secret(integration)
            .map(|(_, key)| format!("{}/{key}", integration.mount_dir()))
    }
}

impl Routes {
    /// (receiver name, integrations); `default` is the root route's receiver.
    fn by_severity(&self) -> [(&'static str, &BTreeSet<Integration>); 3] {
        [
            ("critical", &self.critical),
            ("warning", &self.warning),
            ("default", &self.default),
        ]
    }

    fn used(&self) -> BTreeSet<Integration> {
        self.by_severity()
            .iter()
            .flat_map(|(_, set)| set.iter().copied())
            .collect()
    }
}

/// The context of `alertmanager.yml.j2`.
#[derive(Debug, Serialize)]
struct ConfigFile<'a> {
    group_by: &'a [String],
    group_wait: &'a Duration,
    group_interval: &'a Duration,
    repeat_interval: &'a Duration,
    /// Child routes, one per severity that has receivers.
    routes: Vec<RouteView<'a>>,
    /// The root receiver (`default`) first, then one per child route.
    receivers: Vec<ReceiverView<'a>>,
}

#[derive(Debug, Serialize)]
struct RouteView<'a> {
    receiver: &'static str,
    matcher: String,
    repeat_interval: Option<&'a Duration>,
}

#[derive(Debug, Serialize)]
struct ReceiverView<'a> {
    name: &'static str,
    pagerduty_file: Option<String>,
    slack_file: Option<String>,
    slack_channel: Option<&'a str>,
    webhook_file: Option<String>,
}

impl Component for Alertmanager {
    const NAME: &'static str = "alertmanager";
    const FILE: &'static str = "alertmanager";

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let mut problems: Vec<Problem> =
            check_replicas("alertmanager.replicas", self.replicas, MAX_REPLICAS)
                .into_iter()
                .collect();
        problems.extend(self.resources.check("alertmanager.resources"));
        problems.extend(
            self.reloader_resources
                .check("alertmanager.reloader_resources"),
        );
        problems.extend(self.storage_problem());
        problems.extend(self.group_by_problem());
        problems.extend(self.interval_problems());
        problems.extend(self.unconfigured_route_problems());
        problems.extend(self.unused_receiver_problems());
        problems.extend(self.secret_key_problems());
        problems
    }

    fn offers(&self, stack: &Stack) -> Vec<Offer> {
        let address = |service: &str| ServiceAddress {
            service: service.into(),
            namespace: stack.namespace.to_string(),
            port_name: "http".into(),
            port: HTTP_PORT,
        };
        vec![
            Offer::Alerts(AlertReceiver {
                targets: self.pod_hosts(stack.namespace.as_str(), HTTP_PORT),
                service: address(HEADLESS),
            }),
            Offer::Scrape(ScrapeTarget {
                job: "alertmanager".into(),
                app: "alertmanager".into(),
                port_name: "http".into(),
                path: "/metrics".into(),
                honor_labels: false,
                service: address(SERVICE),
            }),
        ]
    }

    fn external_secrets(&self) -> Vec<String> {
        self.mounted_secrets()
            .into_iter()
            .map(|(_, secret)| secret.to_string())
            .collect()
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        let app = cx.app("alertmanager", "alert-router");
        let config = cx
            .templates
            .render_yaml("alertmanager/alertmanager.yml.j2", &self.config_file())?;
        let mut objects = vec![
            builders::service_account(&app, "alertmanager", false).into(),
            builders::config_map(
                &app,
                CONFIG_MAP,
                BTreeMap::from([(CONFIG_FILE.to_string(), config)]),
            )
            .into(),
            self.headless_service(&app),
            // The load-balanced Service for the UI, the API and scraping.
            builders::service(&app, SERVICE, vec![service_port("http", HTTP_PORT, "TCP")]).into(),
            self.stateful_set(cx, &app),
        ];
        if self.clustered() {
            objects.push(builders::disruption_budget(&app, "alertmanager").into());
        }
        Ok(objects)
    }
}

// Checks: each returns the problems of one rule, keyed by the profile path at fault.
impl Alertmanager {
    fn storage_problem(&self) -> Option<Problem> {
        (self.storage.value() <= 0.0).then(|| {
            Problem::error(
                "alertmanager.storage",
                "storage-empty",
                "alertmanager.storage must be larger than zero",
                "set a size such as \"1Gi\"; silences and the notification log live there",
            )
        })
    }

    fn group_by_problem(&self) -> Option<Problem> {
        let everything = self.group_by.len() == 1 && self.group_by[0] == "...";
        let bad = self.group_by.iter().find(|l| !is_label_name(l));
        match bad {
            Some(label) if !everything => Some(Problem::error(
                "alertmanager.group_by",
                "invalid-label-name",
                format!("`{label}` is not a label name"),
                "use names of letters, digits and '_' (e.g. \"alertname\"), or [\"...\"] alone to group by every label",
            )),
            _ => None,
        }
    }

    fn interval_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.group_interval.millis() == 0 {
            problems.push(Problem::error(
                "alertmanager.group_interval",
                "interval-zero",
                "group_interval cannot be zero",
                "set it to a few minutes, e.g. \"5m\"",
            ));
        }
        let repeats = [
            ("alertmanager.repeat_interval", Some(&self.repeat_interval)),
            (
                "alertmanager.critical_repeat_interval",
                self.critical_repeat_interval.as_ref(),
            ),
        ];
        for (key, repeat) in repeats {
            let Some(repeat) = repeat else { continue };
            if repeat.millis() < self.group_interval.millis() {
                problems.push(Problem::error(
                    key,
                    "repeat-below-group-interval",
                    format!("{key} ({repeat}) is shorter than group_interval ({})", self.group_interval),
                    "Alertmanager only repeats at group_interval steps; make the repeat interval at least group_interval",
                ));
            } else if repeat.millis() > self.retention.millis() {
                // The notification log forgets a notification after `retention`, and would
                // then send it again before the repeat interval is over.
                problems.push(Problem::error(
                    key,
                    "repeat-above-retention",
                    format!(
                        "{key} ({repeat}) is longer than alertmanager.retention ({})",
                        self.retention
                    ),
                    "shorten the repeat interval or raise alertmanager.retention",
                ));
            }
        }
        problems
    }

    fn unconfigured_route_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (severity, integrations) in self.routes.by_severity() {
            let missing = integrations
                .iter()
                .filter(|i| self.receivers.secret(**i).is_none());
            for i in missing {
                problems.push(Problem::error(
                    format!("alertmanager.routes.{severity}"),
                    "receiver-not-configured",
                    format!("routes.{severity} sends to `{}`, which is not configured", i.name()),
                    format!(
                        "add [alertmanager.receivers.{}] naming the Secret that holds its credential, or remove it from the route",
                        i.name()
                    ),
                ));
            }
        }
        problems
    }

    fn unused_receiver_problems(&self) -> Vec<Problem> {
        let used = self.routes.used();
        INTEGRATIONS
            .into_iter()
            .filter(|i| self.receivers.secret(*i).is_some() && !used.contains(i))
            .map(|i| {
                Problem::warning(
                    format!("alertmanager.receivers.{}", i.name()),
                    "receiver-unused",
                    format!(
                        "receiver `{}` is configured but no route sends to it",
                        i.name()
                    ),
                    format!("add \"{}\" to a list in [alertmanager.routes]", i.name()),
                )
            })
            .collect()
    }

    fn secret_key_problems(&self) -> Vec<Problem> {
        INTEGRATIONS
            .into_iter()
            .filter_map(|i| self.receivers.secret(i).map(|(_, key)| (i, key)))
            .filter(|(_, key)| !is_secret_key(key))
            .map(|(i, key)| {
                Problem::error(
                    format!("alertmanager.receivers.{}.key", i.name()),
                    "invalid-secret-key",
                    format!("`{key}` is not a valid Secret key"),
                    "use letters, digits, '-', '_' and '.', as `kubectl create secret` does (e.g. \"routing-key\")",
                )
            })
            .collect()
    }
}

/// A Prometheus label name (the classic, pre-UTF-8 rule that every Alertmanager accepts).
fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A Secret data key as Kubernetes validates it; it also becomes a file name under the mount.
fn is_secret_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        && s != "."
        && !s.starts_with("..")
}

/// `--data.retention` is a Go duration, which has no `d`, `w` or `y`: write the largest unit
/// that divides the value exactly.
fn go_duration(d: &Duration) -> String {
    let ms = d.millis();
    let (unit, scale) = [("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        .into_iter()
        .find(|(_, scale)| ms.is_multiple_of(*scale))
        .unwrap_or(("ms", 1));
    format!("{}{unit}", ms / scale)
}

// alertmanager.yml
impl Alertmanager {
    fn config_file(&self) -> ConfigFile<'_> {
        let children: Vec<_> = self
            .routes
            .by_severity()
            .into_iter()
            .filter(|(severity, set)| *severity != "default" && !set.is_empty())
            .collect();
        let routes = children
            .iter()
            .map(|(severity, _)| RouteView {
                receiver: severity,
                matcher: format!("severity=\"{severity}\""),
                repeat_interval: match *severity {
                    "critical" => self.critical_repeat_interval.as_ref(),
                    _ => None,
                },
            })
            .collect();
        let receivers = std::iter::once(("default", &self.routes.default))
            .chain(children.iter().copied())
            .map(|(name, set)| self.receiver_view(name, set))
            .collect();
        ConfigFile {
            group_by: &self.group_by,
            group_wait: &self.group_wait,
            group_interval: &self.group_interval,
            repeat_interval: &self.repeat_interval,
            routes,
            receivers,
        }
    }

    fn receiver_view(&self, name: &'static str, set: &BTreeSet<Integration>) -> ReceiverView<'_> {
        let file = |i: Integration| set.contains(&i).then(|| self.receivers.file(i)).flatten();
        let channel = self
            .receivers
            .slack
            .as_ref()
            .and_then(|s| s.channel.as_deref());
        ReceiverView {
            name,
            pagerduty_file: file(Integration::Pagerduty),
            slack_file: file(Integration::Slack),
            slack_channel: set
                .contains(&Integration::Slack)
                .then_some(channel)
                .flatten(),
            webhook_file: file(Integration::Webhook),
        }
    }
}

// Objects
impl Alertmanager {
    fn clustered(&self) -> bool {
        self.replicas > 1
    }

    /// `alertmanager-<i>.alertmanager-headless.<ns>.svc:<port>` for every replica.
    fn pod_hosts(&self, namespace: &str, port: i32) -> Vec<String> {
        (0..self.replicas)
            .map(|i| format!("alertmanager-{i}.{HEADLESS}.{namespace}.svc:{port}"))
            .collect()
    }

    fn args(&self, namespace: &str) -> Vec<String> {
        let mut args = vec![
            format!("--config.file={CONFIG_DIR}/{CONFIG_FILE}"),
            format!("--storage.path={DATA_DIR}"),
            format!("--data.retention={}", go_duration(&self.retention)),
            format!("--web.listen-address=:{HTTP_PORT}"),
        ];
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

    fn headless_service(&self, app: &App<'_>) -> Object {
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

    fn stateful_set(&self, cx: &Context<'_>, app: &App<'_>) -> Object {
        let claim_class = cx.stack.storage_class.as_ref().map(DnsLabel::as_str);
        StatefulSet {
            metadata: app.meta("alertmanager"),
            spec: Some(StatefulSetSpec {
                replicas: Some(self.replicas),
                service_name: Some(HEADLESS.into()),
                pod_management_policy: Some("Parallel".into()),
                selector: app.selector(),
                template: self.pod_template(cx.stack.namespace.as_str(), app),
                volume_claim_templates: Some(vec![pod::pvc_template(
                    "storage",
                    &self.storage,
                    claim_class,
                )]),
                ..StatefulSetSpec::default()
            }),
            ..StatefulSet::default()
        }
        .into()
    }

    fn pod_template(&self, namespace: &str, app: &App<'_>) -> PodTemplateSpec {
        let mut volumes = vec![pod::config_map_volume("config", CONFIG_MAP)];
        volumes.extend(self.secret_volumes());
        PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(app.labels()),
                annotations: Some(BTreeMap::from([(
                    "kubectl.kubernetes.io/default-container".to_string(),
                    "alertmanager".to_string(),
                )])),
                ..ObjectMeta::default()
            }),
            spec: Some(PodSpec {
                service_account_name: Some("alertmanager".into()),
                // Alertmanager never calls the Kubernetes API.
                automount_service_account_token: Some(false),
                security_context: Some(pod::pod_security(65534)),
                affinity: self.clustered().then(|| builders::spread_over_nodes(app)),
                containers: vec![
                    self.alertmanager_container(namespace),
                    self.reloader_container(),
                ],
                volumes: Some(volumes),
                ..PodSpec::default()
            }),
        }
    }

    fn alertmanager_container(&self, namespace: &str) -> Container {
        let mut ports = vec![pod::tcp_port("http", HTTP_PORT)];
        let mut mounts = vec![
            // The whole directory, never a subPath: subPath mounts do not receive updates.
            pod::mount("config", CONFIG_DIR, true),
            pod::mount("storage", DATA_DIR, false),
        ];
        mounts.extend(self.secret_mounts());
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
            readiness_probe: Some(pod::http_probe("/-/ready", "http")),
            liveness_probe: Some(pod::liveness_probe("/-/healthy", "http")),
            volume_mounts: Some(mounts),
            ..pod::container("alertmanager", self.image.as_str(), &self.resources)
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
                &self.reloader_resources,
            )
        }
    }

    /// The Secrets of the integrations some route uses (unused ones are warned about instead).
    fn mounted_secrets(&self) -> Vec<(Integration, &DnsLabel)> {
        self.routes
            .used()
            .into_iter()
            .filter_map(|i| self.receivers.secret(i).map(|(secret, _)| (i, secret)))
            .collect()
    }

    fn secret_volumes(&self) -> Vec<Volume> {
        // Not optional: a missing Secret stops the pod at deploy time instead of failing
        // silently at the first notification.
        self.mounted_secrets()
            .into_iter()
            .map(|(i, secret)| pod::secret_volume(&i.volume(), secret.as_str(), false))
            .collect()
    }

    fn secret_mounts(&self) -> Vec<VolumeMount> {
        self.mounted_secrets()
            .into_iter()
            .map(|(i, _)| pod::mount(&i.volume(), &i.mount_dir(), true))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml_text: &str) -> Alertmanager {
        toml::from_str(toml_text).expect("test settings parse")
    }

    fn codes(am: &Alertmanager) -> Vec<(String, &'static str)> {
        am.check(&Stack::default())
            .into_iter()
            .map(|p| (p.key, p.diagnostic.code))
            .collect()
    }

    #[test]
    fn defaults_are_clean() {
        assert!(codes(&Alertmanager::default()).is_empty());
    }

    #[test]
    fn bad_values_are_reported_at_their_keys() {
        let am = settings(
            "replicas = 0\nrepeat_interval = \"1m\"\ncritical_repeat_interval = \"200h\"\n\
             group_by = [\"alert-name\"]\nresources = { requests = { cpu = \"1\", memory = \"1Gi\" }, limits = { cpu = \"500m\", memory = \"1Gi\" } }\n",
        );
        let found = codes(&am);
        for expected in [
            ("alertmanager.replicas", "replicas-out-of-range"),
            (
                "alertmanager.repeat_interval",
                "repeat-below-group-interval",
            ),
            (
                "alertmanager.critical_repeat_interval",
                "repeat-above-retention",
            ),
            ("alertmanager.group_by", "invalid-label-name"),
            ("alertmanager.resources.requests.cpu", "request-above-limit"),
        ] {
            assert!(
                found.contains(&(expected.0.into(), expected.1)),
                "{expected:?} not in {found:?}"
            );
        }
    }

    #[test]
    fn routes_must_name_configured_receivers() {
        let am = settings(
            "[receivers.slack]\nsecret = \"s\"\nkey = \"../x\"\n[receivers.webhook]\nsecret = \"w\"\nkey = \"url\"\n\
             [routes]\ncritical = [\"pagerduty\", \"slack\"]\n",
        );
        let found = codes(&am);
        assert!(found.contains(&(
            "alertmanager.routes.critical".into(),
            "receiver-not-configured"
        )));
        assert!(found.contains(&("alertmanager.receivers.webhook".into(), "receiver-unused")));
        assert!(found.contains(&(
            "alertmanager.receivers.slack.key".into(),
            "invalid-secret-key"
        )));
    }

    #[test]
    fn group_by_everything_is_allowed_alone() {
        assert!(
            settings("group_by = [\"...\"]")
                .group_by_problem()
                .is_none()
        );
        assert!(
            settings("group_by = [\"...\", \"job\"]")
                .group_by_problem()
                .is_some()
        );
    }

    #[test]
    fn retention_is_written_as_a_go_duration() {
        let d = |s: &str| go_duration(&Duration::parse(s).unwrap());
        assert_eq!(d("5d"), "120h");
        assert_eq!(d("90m"), "90m");
        assert_eq!(d("1m30s"), "90s");
    }

    #[test]
    fn cluster_flags_only_with_several_replicas() {
        let single = settings("replicas = 1").args("monitoring");
        assert!(single.contains(&"--cluster.listen-address=".to_string()));
        assert!(!single.iter().any(|a| a.starts_with("--cluster.peer")));
        let triple = settings("replicas = 3").args("mon");
        let peers: Vec<_> = triple
            .iter()
            .filter(|a| a.starts_with("--cluster.peer="))
            .collect();
        assert_eq!(peers.len(), 3);
        assert_eq!(
            peers[2],
            "--cluster.peer=alertmanager-2.alertmanager-headless.mon.svc:9094"
        );
    }

    #[test]
    fn severities_without_receivers_fall_back_to_the_root_route() {
        let am = settings(
            "[receivers.slack]\nsecret = \"s\"\nkey = \"k\"\n[routes]\nwarning = [\"slack\"]\n",
        );
        let config = am.config_file();
        assert_eq!(config.routes.len(), 1);
        assert_eq!(config.routes[0].matcher, "severity=\"warning\"");
        let names: Vec<_> = config.receivers.iter().map(|r| r.name).collect();
        assert_eq!(names, ["default", "warning"]);
        assert_eq!(
            config.receivers[1].slack_file.as_deref(),
            Some("/etc/alertmanager/secrets/slack/k")
        );
    }
}
