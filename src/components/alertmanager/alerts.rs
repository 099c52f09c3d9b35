//! Alertmanager watching itself (`[alertmanager.alerts]`): the Watchdog, which always fires to
//! prove the whole path from rule evaluation to a receiver works, and alerts over
//! Alertmanager's own series. Metric names are those of the pinned Alertmanager (v0.34; the
//! same in 0.25): `alertmanager_notifications_total{integration}` and
//! `alertmanager_notifications_failed_total{integration}` (notify/notify.go; 0.28 adds a
//! `reason` label, summed away here), `alertmanager_config_last_reload_successful`
//! (config/coordinator.go) and `alertmanager_cluster_members` (cluster/cluster.go).

use super::{APP as JOB, Alertmanager};
use crate::contrib::Rule;
use crate::contrib::rules::{AlertText, RuleGroup, Severity, alert_group, percent};
use crate::model::Stack;

/// Alertmanager's own series the alerts read (declared on its scrape job).
pub(super) const METRICS: &[&str] = &[
    "alertmanager_notifications_total",
    "alertmanager_notifications_failed_total",
    "alertmanager_config_last_reload_successful",
    "alertmanager_cluster_members",
];

/// The always-firing alert's name, which its route matches.
pub(super) const WATCHDOG: &str = "Watchdog";

/// `<metric>{job="alertmanager"}`.
fn own(metric: &str) -> String {
    format!("{metric}{{job=\"{JOB}\"}}")
}

impl Alertmanager {
    pub(super) fn rule_groups(&self, stack: &Stack) -> Vec<RuleGroup> {
        let a = &self.alerts;
        alert_group(
            "alertmanager.alerts",
            [
                a.watchdog.enabled.then(|| self.watchdog(stack)),
                a.notifications_failing
                    .enabled
                    .then(|| self.notifications_failing(stack)),
                a.config_reload_failed
                    .enabled
                    .then(|| self.config_reload_failed(stack)),
                (a.cluster_members_missing.enabled && self.clustered())
                    .then(|| self.cluster_members_missing(stack)),
            ],
        )
        .into_iter()
        .collect()
    }

    fn watchdog(&self, stack: &Stack) -> Rule {
        AlertText {
            name: WATCHDOG,
            comment: "Always fires. A dead man's switch outside the cluster expects it to keep arriving and\nalerts when it stops: Prometheus, its rules or Alertmanager are down, or nothing leaves.",
            severity: Severity::None,
            summary: "The alerting pipeline works",
            description: "This alert always fires, to prove that Prometheus evaluates rules and Alertmanager sends notifications. It is routed to the dead man's switch (alertmanager.receivers.watchdog), never to people.".into(),
        }
        .rule(stack, "vector(1)", &self.alerts.watchdog.for_duration)
    }

    fn notifications_failing(&self, stack: &Stack) -> Rule {
        let s = &self.alerts.notifications_failing;
        let by = "sum by (namespace, pod, integration)";
        AlertText {
            name: "AlertmanagerNotificationsFailing",
            comment: "Notifications an integration fails to deliver, per replica: the people on that integration\nare not told (this alert may only reach them through another integration).",
            severity: Severity::Critical,
            summary: "Alertmanager {{ $labels.pod }} fails to send {{ $labels.integration }} notifications",
            description: format!(
                "{{{{ $value | humanizePercentage }}}} of the {{{{ $labels.integration }}}} notifications of Alertmanager {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} failed over the last 5 minutes (threshold {}); check its log and the receiver's credential.",
                percent(s.ratio)
            ),
        }
        .rule(
            stack,
            format!(
                "{by} (\n  rate({}[5m])\n)\n/ {by} (\n  rate({}[5m])\n)\n> {}",
                own("alertmanager_notifications_failed_total"),
                own("alertmanager_notifications_total"),
                s.ratio
            ),
            &s.for_duration,
        )
    }

    fn config_reload_failed(&self, stack: &Stack) -> Rule {
        AlertText {
            name: "AlertmanagerConfigReloadFailed",
            comment: "alertmanager.yml was refused at the last reload: the previous one keeps running.",
            severity: Severity::Warning,
            summary: "Alertmanager {{ $labels.pod }} could not reload its configuration",
            description: "Alertmanager {{ $labels.namespace }}/{{ $labels.pod }} refused its new configuration and keeps routing with the previous one; its log says why.".into(),
        }
        .rule(
            stack,
            format!("{} == 0", own("alertmanager_config_last_reload_successful")),
            &self.alerts.config_reload_failed.for_duration,
        )
    }

    fn cluster_members_missing(&self, stack: &Stack) -> Rule {
        AlertText {
            name: "AlertmanagerClusterMembersMissing",
            comment: "A replica that sees fewer peers than there are replicas: notifications may go out twice\nand silences are not shared.",
            severity: Severity::Warning,
            summary: "Alertmanager {{ $labels.pod }} sees only {{ $value }} cluster members",
            description: format!(
                "Alertmanager {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} sees {{{{ $value }}}} cluster members of {}: replicas are down or cannot gossip (port 9094), so notifications may be sent twice.",
                self.replicas
            ),
        }
        .rule(
            stack,
            format!(
                "{} < {}",
                own("alertmanager_cluster_members"),
                self.replicas
            ),
            &self.alerts.cluster_members_missing.for_duration,
        )
    }
}
