//! Loki's alerts: requests answered with errors, pushed lines refused (rate limits, stream
//! limits, too old), and no compactor running (retention silently stops deleting). Series
//! names are from v3.7.6: dskit's `loki_request_duration_seconds` (labels `route`,
//! `status_code`), `loki_discarded_samples_total` (label `reason`) in pkg/validation, and
//! `loki_boltdb_shipper_compactor_running` (1 on the replica that holds the compactor ring's
//! leadership) in pkg/compactor/metrics.go.

use super::{Alerts, JOB};
use crate::contrib::Rule;
use crate::contrib::rules::{AlertText, RuleGroup, Severity, alert_group, percent};
use crate::model::Stack;

pub fn groups(alerts: &Alerts, stack: &Stack) -> Vec<RuleGroup> {
    alert_group(
        "loki.alerts",
        [
            request_errors(alerts, stack),
            discarded_lines(alerts, stack),
            compactor_not_running(alerts, stack),
        ],
    )
    .map(|g| g.needing(&[JOB]))
    .into_iter()
    .collect()
}

fn request_errors(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.request_errors;
    a.enabled.then(|| {
        AlertText {
            name: "LokiRequestErrors",
            comment: "Per route, so a failing query path is not hidden by healthy pushes.",
            severity: Severity::Warning,
            summary: "Loki route {{ $labels.route }} answers with errors",
            description: format!("{{{{ $value | humanizePercentage }}}} of Loki's requests on route {{{{ $labels.route }}}} fail with 5xx (threshold {}): pushes may be lost or queries fail.", percent(a.ratio)),
        }
        .rule(
            stack,
            format!(
                "(\n  sum by (route) (rate(loki_request_duration_seconds_count{{job=\"{JOB}\", status_code=~\"5..\"}}[5m]))\n/\n  sum by (route) (rate(loki_request_duration_seconds_count{{job=\"{JOB}\"}}[5m]))\n) > {}",
                a.ratio
            ),
            &a.for_duration,
        )
    })
}

fn discarded_lines(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.discarded_lines;
    a.enabled.then(|| {
        AlertText {
            name: "LokiDiscardingLines",
            comment: "reason=rate_limited or per_stream_rate_limit: raise loki.ingestion or drop noisy logs in [log_agent].",
            severity: Severity::Warning,
            summary: "Loki refuses pushed log lines ({{ $labels.reason }})",
            description: "Loki discards {{ $value | humanize }} lines per second for reason {{ $labels.reason }}; those lines are lost. Rate limits: raise loki.ingestion or drop and sample noisy logs in [log_agent].".into(),
        }
        .rule(
            stack,
            format!("sum by (reason) (rate(loki_discarded_samples_total{{job=\"{JOB}\"}}[5m])) > 0"),
            &a.for_duration,
        )
    })
}

fn compactor_not_running(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.compactor_not_running;
    a.enabled.then(|| {
        AlertText {
            name: "LokiCompactorNotRunning",
            comment: "Without a compactor, retention deletes nothing and the store grows without bound.",
            severity: Severity::Critical,
            summary: "No {{ $labels.job }} replica runs the compactor",
            description: "No replica of {{ $labels.job }} reports a running compactor: logs older than the retention are not deleted and the index is not compacted, so storage grows until it is full.".into(),
        }
        .rule(
            stack,
            format!(
                "max by (job) (loki_boltdb_shipper_compactor_running{{job=\"{JOB}\"}}) < 1\nor\nabsent(loki_boltdb_shipper_compactor_running{{job=\"{JOB}\"}})"
            ),
            &a.for_duration,
        )
    })
}
