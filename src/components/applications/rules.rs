//! The request recording rules (per service: rate, 5xx rate and share, latency histogram and
//! p95) and the alerts over them, each in two stages: the error ratio (ElevatedErrorRate, then
//! HighErrorRate) and the p95 latency (ElevatedLatency, then HighLatency). `stack.http_status_label` names the status-code label.

use super::{Alerts, JOB};
use crate::contrib::Rule;
use crate::contrib::rules::{
    AlertText, Check, RuleGroup, Runbook, Severity, alert_group, percent, record,
};
use crate::model::{Duration, Stack};

pub fn groups(alerts: &Alerts, stack: &Stack) -> Vec<RuleGroup> {
    let alerts = alert_group(
        "application.alerts",
        [
            elevated_error_rate(alerts, stack),
            high_error_rate(alerts, stack),
            elevated_latency(alerts, stack),
            high_latency(alerts, stack),
        ],
    );
    [recording(stack)].into_iter().chain(alerts).collect()
}

fn recording(stack: &Stack) -> RuleGroup {
    let status = stack.http_status_label.as_str();
    RuleGroup::new(
        "application.rules",
        Some(
            "The series the alerts and dashboards read, computed once per evaluation instead of on\nevery query. Names follow level:metric:operations; rules run in order, so a rule may use\nthe ones above it at the same instant.",
        ),
        vec![
            record(
                "namespace_service:http_requests:rate5m",
                "Requests per second of each service (label service = the pod's app.kubernetes.io/name).",
                format!(
                    "sum by (namespace, service) (\n  rate(http_requests_total{{job=\"{JOB}\"}}[5m])\n)"
                ),
            ),
            record(
                "namespace_service:http_requests_errors:rate5m",
                "5xx responses per second (\"5xx\" too, for client libraries that group status codes).",
                format!(
                    "sum by (namespace, service) (\n  rate(http_requests_total{{job=\"{JOB}\", {status}=~\"5..\"}}[5m])\n)"
                ),
            ),
            record(
                "namespace_service:http_requests_errors:ratio_rate5m",
                "Share of requests answered with 5xx: 0 for a service without errors, absent for a\nservice without requests (nothing to divide).",
                "(\n  namespace_service:http_requests_errors:rate5m\n  or\n  namespace_service:http_requests:rate5m * 0\n)\n/ (namespace_service:http_requests:rate5m > 0)",
            ),
            record(
                "namespace_service_le:http_request_duration_seconds_bucket:rate5m",
                "Request-duration histogram per service: feeds the p95 below and any other quantile or\nheatmap a dashboard wants. histogram_quantile reads `le` as a number, so Prometheus 3's\nnormalised values (\"1.0\" for \"1\") change nothing.",
                format!(
                    "sum by (namespace, service, le) (\n  rate(http_request_duration_seconds_bucket{{job=\"{JOB}\"}}[5m])\n)"
                ),
            ),
            record(
                "namespace_service:http_request_duration_seconds:p95_5m",
                "",
                "histogram_quantile(0.95, namespace_service_le:http_request_duration_seconds_bucket:rate5m)",
            ),
        ],
    )
}

/// The stages of the error-ratio alert: a warning, then HighErrorRate, which mutes it.
const ERROR_RATE: &str = "ErrorRate";

fn elevated_error_rate(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.elevated_error_rate;
    let runbook = error_rate_runbook("elevated_error_rate", a.ratio, &a.for_duration, stack);
    Some(
        error_rate_stage(
            a.enabled.then_some((a.ratio, &a.for_duration))?,
            stack,
            (
                "ElevatedErrorRate",
                Severity::Warning,
                "Raised",
                "warning threshold",
            ),
            "The warning stage of HighErrorRate: fewer errors, held longer.",
        )
        .with_runbook(runbook),
    )
}

fn high_error_rate(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.high_error_rate;
    let runbook = error_rate_runbook("high_error_rate", a.ratio, &a.for_duration, stack);
    Some(
        error_rate_stage(
            a.enabled.then_some((a.ratio, &a.for_duration))?,
            stack,
            ("HighErrorRate", Severity::Critical, "High", "threshold"),
            "Share of requests a service answers with 5xx, per namespace and service.",
        )
        .with_runbook(runbook),
    )
}

/// Where a service's 5xx come from: its routes, its pods and their error lines (the seed's
/// LogQL). `$NAMESPACE` and `$SERVICE` are the alert's labels.
fn error_rate_runbook(key: &str, ratio: f64, for_duration: &Duration, stack: &Stack) -> Runbook {
    let (status, route) = (
        stack.http_status_label.as_str(),
        stack.http_route_label.as_str(),
    );
    Runbook {
        threshold: format!(
            "`applications.alerts.{key}`: more than {} of a service's requests answered 5xx, for {for_duration} (`ratio = {ratio}`).",
            percent(ratio)
        ),
        first_checks: vec![
            Check::promql(
                "Which routes fail (set the service from the alert)",
                format!(
                    "sum by ({route}, {status}) (rate(http_requests_total{{job=\"{JOB}\", namespace=\"$NAMESPACE\", service=\"$SERVICE\", {status}=~\"5..\"}}[5m]))"
                ),
            ),
            pods_check(),
            logs_check(),
            Check::logql(
                "Error lines of the namespace (the seed's query)",
                "{namespace=\"$NAMESPACE\"} | json | level=\"error\"",
            ),
        ],
    }
}

/// The seed's "Deploy" check, for the alert's service: restarts and readiness of its pods.
fn pods_check() -> Check {
    Check::sh(
        "The service's pods: restarts, readiness, node",
        "kubectl get pods -n \"$NAMESPACE\" -l app.kubernetes.io/name=\"$SERVICE\" -o wide",
    )
}

fn logs_check() -> Check {
    Check::sh(
        "Their recent logs",
        "kubectl logs -n \"$NAMESPACE\" -l app.kubernetes.io/name=\"$SERVICE\" --since=1h --tail=200",
    )
}

/// One stage of the error-ratio alert: its share of 5xx answers and how long it holds.
fn error_rate_stage(
    (ratio, for_duration): (f64, &Duration),
    stack: &Stack,
    (name, severity, adjective, threshold): (&str, Severity, &str, &str),
    comment: &str,
) -> Rule {
    AlertText {
        name,
        comment,
        severity,
        summary: &format!(
            "{adjective} HTTP error rate on {{{{ $labels.namespace }}}}/{{{{ $labels.service }}}}"
        ),
        description: format!(
            "{{{{ $value | humanizePercentage }}}} of requests to {{{{ $labels.namespace }}}}/{{{{ $labels.service }}}} failed with a 5xx status over the last 5 minutes ({threshold} {}).",
            percent(ratio)
        ),
    }
    .rule(
        stack,
        format!("namespace_service:http_requests_errors:ratio_rate5m > {ratio}"),
        for_duration,
    )
    .stage_of(ERROR_RATE)
}

/// The stages of the latency alert: a warning, then HighLatency, which mutes it.
const LATENCY: &str = "Latency";

fn elevated_latency(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.elevated_latency;
    Some(latency_stage(
        a.enabled.then_some((&a.p95, &a.for_duration))?,
        stack,
        (
            "ElevatedLatency",
            Severity::Warning,
            "Slower",
            "warning threshold",
        ),
        "The warning stage of HighLatency: a lower p95, held longer.",
    ))
}

fn high_latency(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.high_latency;
    Some(latency_stage(
        a.enabled.then_some((&a.p95, &a.for_duration))?,
        stack,
        ("HighLatency", Severity::Critical, "Slow", "threshold"),
        "95th percentile of request durations, per namespace and service.",
    )
    .with_runbook(Runbook {
        threshold: format!(
            "`applications.alerts.high_latency`: a service's p95 request duration above {}, for {} (`p95 = \"{}\"`).",
            a.p95, a.for_duration, a.p95
        ),
        first_checks: vec![
            Check::promql(
                "The service's p99 (the alert reads its p95)",
                "histogram_quantile(0.99, namespace_service_le:http_request_duration_seconds_bucket:rate5m{namespace=\"$NAMESPACE\", service=\"$SERVICE\"})",
            ),
            pods_check(),
            logs_check(),
            Check::logql(
                "Slow requests in the service's logs (the seed's query)",
                format!(
                    "{{app_kubernetes_io_name=\"$SERVICE\"}} | json | duration > {}",
                    a.p95
                ),
            ),
        ],
    }))
}

/// One stage of the latency alert: its p95 and how long it holds.
fn latency_stage(
    (p95, for_duration): (&Duration, &Duration),
    stack: &Stack,
    (name, severity, adjective, threshold): (&str, Severity, &str, &str),
    comment: &str,
) -> Rule {
    AlertText {
        name,
        comment,
        severity,
        summary: &format!(
            "{adjective} responses from {{{{ $labels.namespace }}}}/{{{{ $labels.service }}}}"
        ),
        description: format!(
            "The p95 latency of {{{{ $labels.namespace }}}}/{{{{ $labels.service }}}} is {{{{ $value | humanizeDuration }}}} over the last 5 minutes ({threshold} {p95})."
        ),
    }
    .rule(
        stack,
        format!(
            "namespace_service:http_request_duration_seconds:p95_5m > {}",
            p95.seconds()
        ),
        for_duration,
    )
    .stage_of(LATENCY)
}
