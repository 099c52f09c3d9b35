//! Prometheus watching itself: `[prometheus.alerts]` and the alerts over Prometheus' own
//! series (rule evaluation, notification and config-reload failures, TSDB failures), plus the
//! alert on the stack's own scrape targets being down, derived from every contributed job that
//! scrapes a component of this stack.
//!
//! Metric names are those of the pinned Prometheus (v3.14; the same in 2.x):
//! `prometheus_rule_evaluation_failures_total{rule_group}` (rules/group.go),
//! `prometheus_notifications_{errors,sent}_total{alertmanager}` and
//! `prometheus_notifications_dropped_total` (notifier/metric.go; a full queue drops too),
//! `prometheus_config_last_reload_successful` (cmd/prometheus/main.go) and the TSDB's
//! `prometheus_tsdb_compactions_failed_total`, `prometheus_tsdb_reloads_failures_total` and
//! `prometheus_tsdb_head_truncations_failed_total` (tsdb/db.go, tsdb/head.go).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::NAME as JOB;
use crate::contrib::rules::{AlertText, RuleGroup, Severity, alert_group, percent};
use crate::contrib::{Collected, Rule};
use crate::model::alerts::{AlertDefaults, ConditionAlert, RatioAlert, duration};
use crate::model::{Duration, Problem, Stack};

/// Prometheus' own series the alerts read (declared on its scrape job).
pub(super) const METRICS: &[&str] = &[
    "prometheus_rule_evaluation_failures_total",
    "prometheus_notifications_errors_total",
    "prometheus_notifications_sent_total",
    "prometheus_notifications_dropped_total",
    "prometheus_config_last_reload_successful",
    "prometheus_tsdb_compactions_failed_total",
    "prometheus_tsdb_reloads_failures_total",
    "prometheus_tsdb_head_truncations_failed_total",
];

/// `[prometheus.alerts]`: Prometheus' alerts about itself and the stack's targets. The keys
/// that moved to the sources' own tables (`high_error_rate`, ...) are caught by `rest` and
/// reported where they went (`moved.rs`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Alerts {
    /// Critical: rules fail to evaluate (alerts silently stop working), per rule group
    /// (default for 15m).
    pub rule_failures: ConditionAlert<RuleFailures>,
    /// Warning: more than `ratio` of the alerts sent to one Alertmanager fail (default 0.01
    /// for 15m).
    pub notifications_failing: RatioAlert<NotificationsFailing>,
    /// Critical: alerts are dropped (every Alertmanager failed, or the queue overflowed)
    /// (default for 5m).
    pub notifications_dropped: ConditionAlert<NotificationsDropped>,
    /// Warning: the last config or rule-file reload failed; the previous config keeps
    /// running (default for 10m).
    pub config_reload_failed: ConditionAlert<ConfigReloadFailed>,
    /// Warning: TSDB compactions, block reloads or head truncations failed in the last 3
    /// hours (default for 15m).
    pub tsdb_failures: ConditionAlert<TsdbFailures>,
    /// Warning: scrape targets of the stack's own components are down, per job (default for 5m).
    pub target_down: ConditionAlert<TargetDown>,
    /// Keys of the former `[prometheus.alerts]`, each reported as moved or unknown.
    #[serde(flatten)]
    #[schemars(skip)]
    pub rest: BTreeMap<String, toml::Value>,
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

defaults!(RuleFailures, "15m");
defaults!(NotificationsFailing, "15m", ratio = 0.01);
defaults!(NotificationsDropped, "5m");
defaults!(ConfigReloadFailed, "10m");
defaults!(TsdbFailures, "15m");
defaults!(TargetDown, "5m");

impl Alerts {
    pub(super) fn check(&self) -> Option<Problem> {
        self.notifications_failing
            .check("prometheus.alerts.notifications_failing")
    }
}

/// `<metric>{job="prometheus"}`.
fn own(metric: &str) -> String {
    format!("{metric}{{job=\"{JOB}\"}}")
}

/// The group of Prometheus' alerts about itself.
pub(super) fn group(a: &Alerts, stack: &Stack) -> Option<RuleGroup> {
    alert_group(
        "prometheus.alerts",
        [
            a.rule_failures.enabled.then(|| rule_failures(a, stack)),
            a.notifications_failing
                .enabled
                .then(|| notifications_failing(a, stack)),
            a.notifications_dropped
                .enabled
                .then(|| notifications_dropped(a, stack)),
            a.config_reload_failed
                .enabled
                .then(|| config_reload_failed(a, stack)),
            a.tsdb_failures.enabled.then(|| tsdb_failures(a, stack)),
        ],
    )
}

fn rule_failures(a: &Alerts, stack: &Stack) -> Rule {
    AlertText {
        name: "PrometheusRuleEvaluationFailures",
        comment: "A rule that fails to evaluate (a query error, too many samples) records and alerts\nnothing: the alerts it carries are blind.",
        severity: Severity::Critical,
        summary: "Prometheus {{ $labels.pod }} fails to evaluate rule group {{ $labels.rule_group }}",
        description: "Prometheus {{ $labels.namespace }}/{{ $labels.pod }} failed to evaluate rule group {{ $labels.rule_group }} in the last 5 minutes: its alerts do not fire. Its log names the rule and the error.".into(),
    }
    .rule(
        stack,
        format!(
            "sum by (namespace, pod, rule_group) (\n  increase({}[5m])\n) > 0",
            own("prometheus_rule_evaluation_failures_total")
        ),
        &a.rule_failures.for_duration,
    )
}

fn notifications_failing(a: &Alerts, stack: &Stack) -> Rule {
    let s = &a.notifications_failing;
    let by = "sum by (namespace, pod, alertmanager)";
    AlertText {
        name: "PrometheusNotificationsFailing",
        comment: "Alerts Prometheus fails to deliver to one Alertmanager (every replica gets every alert,\nso one failing replica loses nothing yet).",
        severity: Severity::Warning,
        summary: "Prometheus {{ $labels.pod }} fails to send alerts to {{ $labels.alertmanager }}",
        description: format!(
            "{{{{ $value | humanizePercentage }}}} of the alerts Prometheus {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} sent to {{{{ $labels.alertmanager }}}} failed over the last 5 minutes (threshold {}).",
            percent(s.ratio)
        ),
    }
    .rule(
        stack,
        format!(
            "{by} (\n  rate({}[5m])\n)\n/ {by} (\n  rate({}[5m])\n)\n> {}",
            own("prometheus_notifications_errors_total"),
            own("prometheus_notifications_sent_total"),
            s.ratio
        ),
        &s.for_duration,
    )
}

fn notifications_dropped(a: &Alerts, stack: &Stack) -> Rule {
    AlertText {
        name: "PrometheusDroppingAlerts",
        comment: "Alerts dropped: no Alertmanager accepted them, or the notification queue overflowed.",
        severity: Severity::Critical,
        summary: "Prometheus {{ $labels.pod }} drops alerts",
        description: "Prometheus {{ $labels.namespace }}/{{ $labels.pod }} dropped alerts in the last 5 minutes: no Alertmanager took them, so nobody was notified.".into(),
    }
    .rule(
        stack,
        format!(
            "sum by (namespace, pod) (\n  increase({}[5m])\n) > 0",
            own("prometheus_notifications_dropped_total")
        ),
        &a.notifications_dropped.for_duration,
    )
}

fn config_reload_failed(a: &Alerts, stack: &Stack) -> Rule {
    AlertText {
        name: "PrometheusConfigReloadFailed",
        comment: "prometheus.yml or a rule file was refused at the last reload: the previous one keeps\nrunning, and the change is not in effect.",
        severity: Severity::Warning,
        summary: "Prometheus {{ $labels.pod }} could not reload its configuration",
        description: "Prometheus {{ $labels.namespace }}/{{ $labels.pod }} refused its new configuration or rules and keeps running the previous ones; its log says why.".into(),
    }
    .rule(
        stack,
        format!("{} == 0", own("prometheus_config_last_reload_successful")),
        &a.config_reload_failed.for_duration,
    )
}

fn tsdb_failures(a: &Alerts, stack: &Stack) -> Rule {
    let increase = |metric: &str| {
        format!(
            "sum by (namespace, pod) (\n  increase({}[3h])\n)",
            own(metric)
        )
    };
    AlertText {
        name: "PrometheusTSDBFailures",
        comment: "Compactions, block reloads or head truncations that failed: the disk fills or data\ngoes missing from queries.",
        severity: Severity::Warning,
        summary: "Prometheus {{ $labels.pod }} has storage (TSDB) failures",
        description: "Prometheus {{ $labels.namespace }}/{{ $labels.pod }} had failed compactions, block reloads or head truncations in the last 3 hours; check its volume and log.".into(),
    }
    .rule(
        stack,
        format!(
            "(\n  {}\n  + {}\n  + {}\n) > 0",
            increase("prometheus_tsdb_compactions_failed_total"),
            increase("prometheus_tsdb_reloads_failures_total"),
            increase("prometheus_tsdb_head_truncations_failed_total"),
        ),
        &a.tsdb_failures.for_duration,
    )
}

/// One alert over the targets of every job that scrapes a component of this stack (a job with
/// a Service of the stack in front of it), keyed by job; derived from the collected jobs, so
/// a component added later is watched without naming it here.
pub(super) fn target_down_group(
    a: &Alerts,
    stack: &Stack,
    collected: &Collected,
) -> Option<RuleGroup> {
    let s = &a.target_down;
    let jobs: Vec<&str> = collected
        .scrape_jobs()
        .filter(|j| j.service.is_some())
        .map(|j| j.name.as_str())
        .collect();
    if !s.enabled || jobs.is_empty() {
        return None;
    }
    let rule = AlertText {
        name: "MonitoringTargetDown",
        comment: "Scrape targets of the monitoring stack's own components that do not answer, counted per\njob (the jobs are those of the stack's components, derived from what they contribute).",
        severity: Severity::Warning,
        summary: "{{ $value }} target(s) of the monitoring job {{ $labels.job }} are down",
        description: "{{ $value }} target(s) of job {{ $labels.job }} did not answer Prometheus' scrapes: the component is down or unreachable, and what it watches is not watched.".into(),
    }
    .rule(
        stack,
        format!(
            "count by (job) (\n  up{{job=~\"{}\"}} == 0\n)",
            jobs.join("|")
        ),
        &s.for_duration,
    );
    alert_group("monitoring-targets.alerts", [Some(rule)])
}
