//! alertmanager.yml: the template context built from the routes and receivers.

use std::collections::BTreeSet;

use serde::Serialize;

use super::Alertmanager;
use super::settings::{Integration, WATCHDOG};
use crate::model::Duration;

/// What the inhibit rule compares between a critical alert and a warning of the same
/// `alert_group`: the group, then the labels that name a staged alert's target (an
/// application's `namespace` and `service`, a node's `instance` and `mountpoint`). A staged
/// alert whose target is named by another label must add it here, or its critical stage would
/// mute the warnings of every target alike.
///
/// More labels only make the rule stricter (both alerts must agree on each), never broader:
/// `pod` and `container` name a container near its memory limit, `consumergroup` and `topic`
/// a Kafka consumer group falling behind. Alerts whose series lack a label agree on it.
const INHIBIT_EQUAL: &[&str] = &[
    "alert_group",
    "namespace",
    "service",
    "instance",
    "mountpoint",
    "pod",
    "container",
    "consumergroup",
    "topic",
];

/// The context of `alertmanager.yml.j2`.
#[derive(Debug, Serialize)]
pub(super) struct ConfigFile<'a> {
    pub(super) group_by: &'a [String],
    pub(super) group_wait: &'a Duration,
    pub(super) group_interval: &'a Duration,
    pub(super) repeat_interval: &'a Duration,
    /// Child routes, one per severity that has receivers.
    pub(super) routes: Vec<RouteView<'a>>,
    /// The root receiver (`default`) first, then one per child route.
    pub(super) receivers: Vec<ReceiverView<'a>>,
    pub(super) inhibit_equal: &'static [&'static str],
    /// The Watchdog's route, while the alert is rendered.
    pub(super) watchdog: Option<WatchdogRoute>,
}

/// Where the always-firing Watchdog goes: the dead man's switch's URL file, or nowhere.
#[derive(Debug, Serialize)]
pub(super) struct WatchdogRoute {
    pub(super) alertname: &'static str,
    /// `watchdog` with the switch's webhook, or `null` (no integration: notifies no one).
    pub(super) receiver: &'static str,
    pub(super) url_file: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct RouteView<'a> {
    pub(super) receiver: &'static str,
    pub(super) matcher: String,
    pub(super) repeat_interval: Option<&'a Duration>,
}

#[derive(Debug, Serialize)]
pub(super) struct ReceiverView<'a> {
    pub(super) name: &'static str,
    pub(super) pagerduty_file: Option<String>,
    pub(super) slack_file: Option<String>,
    pub(super) slack_channel: Option<&'a str>,
    pub(super) webhook_file: Option<String>,
}

impl Alertmanager {
    pub(super) fn config_file(&self) -> ConfigFile<'_> {
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
            inhibit_equal: INHIBIT_EQUAL,
            watchdog: self.alerts.watchdog.enabled.then(|| {
                let url_file = self.receivers.watchdog_file();
                WatchdogRoute {
                    alertname: super::alerts::WATCHDOG,
                    receiver: if url_file.is_some() { WATCHDOG } else { "null" },
                    url_file,
                }
            }),
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
