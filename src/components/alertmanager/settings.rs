//! `[alertmanager]` settings: the profile types, their defaults and the checks keyed by profile path.

use crate::diag::Code;
use std::collections::BTreeSet;

use serde::Deserialize;

use super::SECRETS_DIR;
use crate::model::alerts::{AlertDefaults, ConditionAlert, RatioAlert, duration};
use crate::model::{
    Duration, HostName, Image, Problem, Resources, SecretKeyName, SecretName, VolumeSize, WebAuth,
};

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
    pub storage: VolumeSize,
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
    /// Public host name (e.g. `alertmanager.example.com`): `--web.external-url`, so the links
    /// in notifications open it instead of a pod's name. "" unsets it.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub host: Option<HostName>,
    /// Expose the UI at `host` when `[access]` routes UIs from outside.
    pub expose: bool,
    /// Alertmanager's own basic auth (`--web.config.file`); Prometheus logs in to send alerts
    /// and scrape. The config reloader cannot log in, so a config change restarts the pods.
    pub web_auth: Option<WebAuth>,
    /// Alertmanager's alerts about itself, and the Watchdog.
    pub alerts: Alerts,
}

/// `[alertmanager.alerts]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Always fires (severity `none`), to prove that rules are evaluated and notifications
    /// leave: routed to `receivers.watchdog` (a dead man's switch) or to a receiver that
    /// notifies no one, never to a severity route.
    pub watchdog: ConditionAlert<Watchdog>,
    /// Critical: more than `ratio` of the notifications to one integration fail, per replica
    /// (default 0.01 for 15m).
    pub notifications_failing: RatioAlert<NotificationsFailing>,
    /// Warning: the last config reload failed; the previous config keeps running (default for 10m).
    pub config_reload_failed: ConditionAlert<ConfigReloadFailed>,
    /// Warning: a replica sees fewer cluster members than `replicas`, so notifications may be
    /// sent twice or silences not shared (default for 15m; only with several replicas).
    pub cluster_members_missing: ConditionAlert<ClusterMembersMissing>,
}

macro_rules! defaults {
    ($name:ident, $for:literal $(, ratio = $ratio:literal)?) => {
        #[derive(Debug, Clone)]
        pub struct $name;
        impl AlertDefaults for $name {
            fn for_duration() -> Duration {
                duration($for)
            }
            $(fn ratio() -> f64 {
                $ratio
            })?
        }
    };
}

defaults!(Watchdog, "0s");
defaults!(NotificationsFailing, "15m", ratio = 0.01);
defaults!(ConfigReloadFailed, "10m");
defaults!(ClusterMembersMissing, "15m");

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
            storage: VolumeSize::parse("1Gi").expect("invariant: default quantities parse"),
            retention: duration("120h"),
            group_by: vec!["alertname".into(), "namespace".into()],
            group_wait: duration("30s"),
            group_interval: duration("5m"),
            repeat_interval: duration("4h"),
            critical_repeat_interval: None,
            receivers: Receivers::default(),
            routes: Routes::default(),
            host: None,
            expose: true,
            web_auth: None,
            alerts: Alerts::default(),
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
    /// A dead man's switch (healthchecks.io, Dead Man's Snitch, ...): the Secret key holds the
    /// URL the always-firing Watchdog is posted to; the service alerts when it stops arriving.
    pub watchdog: Option<SecretKey>,
}

/// A key of an existing Secret in the stack's namespace (monstack never writes its value).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretKey {
    /// `false` turns the receiver off (e.g. in a profile that extends one that has it).
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Name of the Secret.
    pub secret: SecretName,
    /// Key inside the Secret.
    pub key: SecretKeyName,
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
    pub secret: SecretName,
    /// Key inside the Secret.
    pub key: SecretKeyName,
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
    /// What the integration's Secret key holds, as a noun phrase (also the placeholder in
    /// the command `monstack secrets` prints).
    pub(super) fn holds(self) -> &'static str {
        match self {
            Integration::Pagerduty => "PagerDuty Events API v2 routing key",
            Integration::Slack => "Slack incoming-webhook URL",
            Integration::Webhook => "webhook URL",
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Integration::Pagerduty => "pagerduty",
            Integration::Slack => "slack",
            Integration::Webhook => "webhook",
        }
    }

    pub(super) fn mount_dir(self) -> String {
        format!("{SECRETS_DIR}/{}", self.name())
    }
}

/// A Secret key mounted into the Alertmanager container as a file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mounted<'a> {
    /// The receiver's name: `<name>-secret` volume, mounted at `<SECRETS_DIR>/<name>`.
    pub(super) name: &'static str,
    pub(super) holds: &'static str,
    pub(super) secret: &'a SecretName,
    pub(super) key: &'a str,
}

impl Mounted<'_> {
    pub(super) fn volume(&self) -> String {
        format!("{}-secret", self.name)
    }

    pub(super) fn mount_dir(&self) -> String {
        format!("{SECRETS_DIR}/{}", self.name)
    }
}

/// The dead man's switch receiver's name and what its Secret key holds.
pub(super) const WATCHDOG: &str = "watchdog";
const WATCHDOG_HOLDS: &str = "dead man's switch URL the Watchdog alert is posted to";

impl Receivers {
    /// The dead man's switch, when it is configured and not turned off.
    pub(super) fn watchdog(&self) -> Option<Mounted<'_>> {
        self.watchdog
            .as_ref()
            .filter(|s| s.enabled)
            .map(|s| Mounted {
                name: WATCHDOG,
                holds: WATCHDOG_HOLDS,
                secret: &s.secret,
                key: s.key.as_str(),
            })
    }

    /// The file the dead man's switch URL is read from.
    pub(super) fn watchdog_file(&self) -> Option<String> {
        self.watchdog()
            .map(|m| format!("{}/{}", m.mount_dir(), m.key))
    }

    /// The Secret and key an integration reads, when it is configured.
    pub(super) fn secret(&self, integration: Integration) -> Option<(&SecretName, &str)> {
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
    pub(super) fn file(&self, integration: Integration) -> Option<String> {
        self.secret(integration)
            .map(|(_, key)| format!("{}/{key}", integration.mount_dir()))
    }
}

impl Routes {
    /// (receiver name, integrations); `default` is the root route's receiver.
    pub(super) fn by_severity(&self) -> [(&'static str, &BTreeSet<Integration>); 3] {
        [
            ("critical", &self.critical),
            ("warning", &self.warning),
            ("default", &self.default),
        ]
    }

    pub(super) fn used(&self) -> BTreeSet<Integration> {
        self.by_severity()
            .iter()
            .flat_map(|(_, set)| set.iter().copied())
            .collect()
    }
}

// Checks: each returns the problems of one rule, keyed by the profile path at fault.
impl Alertmanager {
    pub(super) fn group_by_problem(&self) -> Option<Problem> {
        let everything = self.group_by.len() == 1 && self.group_by[0] == "...";
        let bad = self.group_by.iter().find(|l| !is_label_name(l));
        match bad {
            Some(label) if !everything => Some(Problem::error(
                "alertmanager.group_by",
                Code::InvalidLabelName,
                format!("`{label}` is not a label name"),
                "use names of letters, digits and '_' (e.g. \"alertname\"), or [\"...\"] alone to group by every label",
            )),
            _ => None,
        }
    }

    pub(super) fn interval_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.group_interval.millis() == 0 {
            problems.push(Problem::error(
                "alertmanager.group_interval",
                Code::IntervalZero,
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
                    Code::RepeatBelowGroupInterval,
                    format!("{key} ({repeat}) is shorter than group_interval ({})", self.group_interval),
                    "Alertmanager only repeats at group_interval steps; make the repeat interval at least group_interval",
                ));
            } else if repeat.millis() > self.retention.millis() {
                // The notification log forgets a notification after `retention`, and would
                // then send it again before the repeat interval is over.
                problems.push(Problem::error(
                    key,
                    Code::RepeatAboveRetention,
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

    pub(super) fn unconfigured_route_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (severity, integrations) in self.routes.by_severity() {
            let missing = integrations
                .iter()
                .filter(|i| self.receivers.secret(**i).is_none());
            for i in missing {
                problems.push(Problem::error(
                    format!("alertmanager.routes.{severity}"),
                    Code::ReceiverNotConfigured,
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

    pub(super) fn unused_receiver_problems(&self) -> Vec<Problem> {
        let used = self.routes.used();
        INTEGRATIONS
            .into_iter()
            .filter(|i| self.receivers.secret(*i).is_some() && !used.contains(i))
            .map(|i| {
                Problem::warning(
                    format!("alertmanager.receivers.{}", i.name()),
                    Code::ReceiverUnused,
                    format!(
                        "receiver `{}` is configured but no route sends to it",
                        i.name()
                    ),
                    format!("add \"{}\" to a list in [alertmanager.routes]", i.name()),
                )
            })
            .collect()
    }
}

impl Alertmanager {
    /// A dead man's switch with the Watchdog turned off would never be pinged, and page.
    pub(super) fn watchdog_problems(&self) -> Option<Problem> {
        (self.receivers.watchdog().is_some() && !self.alerts.watchdog.enabled).then(|| {
            Problem::warning(
                "alertmanager.receivers.watchdog",
                Code::ReceiverUnused,
                "receiver `watchdog` is configured but the Watchdog alert is turned off",
                "remove alertmanager.alerts.watchdog.enabled = false, or the receiver",
            )
        })
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
