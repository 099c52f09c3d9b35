//! One rule group per SLO: the SLI's error ratio over every alert window and over the SLO
//! window, the objective and the error budget left, then the burn-rate alerts (one rule per
//! row of `burn::table()`, all under one alert name, told apart by `long_window` and
//! `short_window`). Every series carries the labels `slo` and `service`.

use super::burn::{self, BurnWindow};
use super::{Sli, Slo, tidy};
use crate::components::applications::JOB;
use crate::contrib::Rule;
use crate::contrib::rules::{AlertText, Check, RuleGroup, Runbook, percent, record};
use crate::model::alerts::duration;
use crate::model::{Duration, Stack};

/// The recorded error ratio over `window` (`slo:sli_error:ratio_rate5m`).
pub fn error_ratio(window: &Duration) -> String {
    format!("slo:sli_error:ratio_rate{window}")
}

/// The recorded error ratio over the SLO's own window, whatever its length.
pub const ERROR_RATIO_PERIOD: &str = "slo:sli_error:ratio_period";
pub const OBJECTIVE: &str = "slo:objective:ratio";
pub const BUDGET_REMAINING: &str = "slo:error_budget_remaining:ratio";

/// How often the rules over the whole SLO window run: reading weeks of samples every 15
/// seconds would cost Prometheus much and change the budget by next to nothing.
const WINDOW_INTERVAL: &str = "5m";

/// The SLO's two groups: the alert windows with the alerts (every evaluation), then the SLO
/// window and the budget left (every `WINDOW_INTERVAL`).
pub fn groups(slo: &Slo, sli: Sli<'_>, key: &str, stack: &Stack) -> [RuleGroup; 2] {
    let labels = [
        ("slo", slo.name.to_string()),
        ("service", slo.service.to_string()),
    ];
    let labelled = |rules: Vec<Rule>| -> Vec<Rule> {
        rules
            .into_iter()
            .map(|r| r.with_labels(labels.clone()))
            .collect()
    };
    let mut windows: Vec<Rule> = burn::sli_windows()
        .iter()
        .map(|w| record(&error_ratio(w), "", error_ratio_expr(sli, slo, w)))
        .collect();
    windows.push(record(
        OBJECTIVE,
        "The objective as a share, for dashboards.",
        format!("vector({})", tidy(slo.objective / 100.0)),
    ));
    let alerts: Vec<Rule> = burn::table()
        .iter()
        .map(|w| burn_alert(slo, sli, key, w, stack))
        .collect();
    let fast = RuleGroup::new(
        &format!("slo.{}", slo.name),
        Some(&format!(
            "SLO {}: {}% of {} over {} ({}).",
            slo.name,
            slo.objective,
            describe(sli, slo),
            slo.window,
            key
        )),
        labelled(windows).into_iter().chain(alerts).collect(),
    );
    let period = labelled(vec![
        record(
            ERROR_RATIO_PERIOD,
            &format!("The error ratio over the SLO window ({}).", slo.window),
            error_ratio_expr(sli, slo, &slo.window),
        ),
        record(
            BUDGET_REMAINING,
            "The share of the window's error budget not spent yet (below 0 once overspent).",
            format!(
                "1 - {ERROR_RATIO_PERIOD}{{slo=\"{}\"}} / {}",
                slo.name,
                slo.error_budget()
            ),
        ),
    ]);
    let slow = RuleGroup::new(
        &format!("slo.{}.window", slo.name),
        Some(&format!(
            "SLO {}: its {} window and the error budget left, every {WINDOW_INTERVAL}.",
            slo.name, slo.window
        )),
        period,
    )
    .every(&crate::model::alerts::duration(WINDOW_INTERVAL));
    [fast, slow]
}

/// What a good event is, in words.
fn describe(sli: Sli<'_>, slo: &Slo) -> String {
    match sli {
        Sli::Ratio { .. } => format!("{}'s events good", slo.service),
        Sli::Latency(threshold) => {
            format!("{}'s requests answered within {threshold}", slo.service)
        }
    }
}

/// The share of bad events over `window`: absent without events, and all events bad when the
/// good counter has no series yet (a service that never answered well).
fn error_ratio_expr(sli: Sli<'_>, slo: &Slo, window: &Duration) -> String {
    let (good, total) = selectors(sli, slo);
    format!(
        "(\n  sum(rate({total}[{window}]))\n  -\n  (sum(rate({good}[{window}])) or vector(0))\n)\n/\nsum(rate({total}[{window}]))"
    )
}

/// The good and total selectors. A latency SLI counts the histogram's bucket at the threshold
/// (Prometheus 3 writes whole-number bounds as `1.0`, older servers and clients as `1`).
fn selectors(sli: Sli<'_>, slo: &Slo) -> (String, String) {
    match sli {
        Sli::Ratio { good, total } => (good.to_string(), total.to_string()),
        Sli::Latency(threshold) => {
            let service = format!("job=\"{JOB}\", service=\"{}\"", slo.service);
            let seconds = threshold.seconds();
            let le = if seconds.fract() == 0.0 {
                format!("le=~\"{seconds}|{seconds}\\\\.0\"")
            } else {
                format!("le=\"{seconds}\"")
            };
            (
                format!("http_request_duration_seconds_bucket{{{service}, {le}}}"),
                format!("http_request_duration_seconds_count{{{service}}}"),
            )
        }
    }
}

/// One row of the burn-rate table as an alert: the error ratio over both windows above the
/// factor times the budget.
fn burn_alert(slo: &Slo, sli: Sli<'_>, key: &str, w: &BurnWindow, stack: &Stack) -> Rule {
    let factor = w.factor(&slo.window);
    let budget = slo.error_budget();
    let threshold = format!("({factor} * {budget})");
    let name = slo.alert_name();
    let exhausted = human(slo.window.millis() as f64 / factor);
    AlertText {
        name: &name,
        comment: &format!(
            "{}: {} of the error budget spent within {} (burn rate {factor}), still burning over the last {}.",
            w.kind(),
            percent(w.budget_spent),
            w.long,
            w.short
        ),
        severity: w.severity,
        summary: "{{ $labels.service }} is spending the error budget of SLO {{ $labels.slo }} too fast",
        description: format!(
            "{{{{ $labels.service }}}} failed {{{{ $value | humanizePercentage }}}} of its events over the last {}, {factor} times the {} its {}% objective allows: {} of the {} error budget is gone within {} (all of it within {exhausted}).",
            w.long,
            percent(budget),
            slo.objective,
            percent(w.budget_spent),
            slo.window,
            w.long,
        ),
    }
    .rule(
        stack,
        format!(
            "{long}{{slo=\"{n}\"}} > {threshold}\nand\n{short}{{slo=\"{n}\"}} > {threshold}",
            long = error_ratio(&w.long),
            short = error_ratio(&w.short),
            n = slo.name,
        ),
        &duration("0s"),
    )
    .stage_of(&name)
    .with_labels([
        ("long_window", w.long.to_string()),
        ("short_window", w.short.to_string()),
    ])
    .with_runbook(runbook(slo, sli, key, stack))
}

/// The runbook's threshold (the SLO and the whole burn table) and first checks.
fn runbook(slo: &Slo, sli: Sli<'_>, key: &str, stack: &Stack) -> Runbook {
    let rows: Vec<String> = burn::table()
        .iter()
        .map(|w| {
            let factor = w.factor(&slo.window);
            format!(
                "{} ({}) when {} of the budget goes within {} and the last {} burn as fast: error ratio above {factor} × {} = {}",
                w.kind(),
                serde_json::to_value(w.severity)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                percent(w.budget_spent),
                w.long,
                w.short,
                percent(slo.error_budget()),
                percent(tidy(factor * slo.error_budget())),
            )
        })
        .collect();
    let threshold = format!(
        "`{key}` ({}): {}% of {} over {}, an error budget of {}.\n{}",
        slo.name,
        slo.objective,
        describe(sli, slo),
        slo.window,
        percent(slo.error_budget()),
        rows.iter()
            .map(|r| format!("- {r}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let n = &slo.name;
    let mut first_checks = vec![
        Check::promql(
            "The error ratio over every window (compare with the thresholds above)",
            format!("{{__name__=~\"slo:sli_error:ratio_rate.+\", slo=\"{n}\"}}"),
        ),
        Check::promql(
            "The error budget left in the window",
            format!("{BUDGET_REMAINING}{{slo=\"{n}\"}}"),
        ),
    ];
    let (good, total) = selectors(sli, slo);
    first_checks.push(match sli {
        Sli::Ratio { .. } => Check::promql(
            "Bad events per second, by pod",
            format!(
                "sum by (namespace, pod) (rate({total}[5m]))\n-\nsum by (namespace, pod) (rate({good}[5m]))"
            ),
        ),
        Sli::Latency(_) => Check::promql(
            "The 99th percentile of request duration",
            format!(
                "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{job=\"{JOB}\", service=\"{}\"}}[5m])))",
                slo.service
            ),
        ),
    });
    for ns in &stack.app_namespaces {
        first_checks.push(Check::sh(
            format!("The service's pods in {ns}: restarts, readiness"),
            format!(
                "kubectl get pods -n {ns} -l app.kubernetes.io/name={} -o wide",
                slo.service
            ),
        ));
        first_checks.push(Check::sh(
            "Their recent logs",
            format!(
                "kubectl logs -n {ns} -l app.kubernetes.io/name={} --since=1h --tail=200",
                slo.service
            ),
        ));
    }
    let service = format!("{{app_kubernetes_io_name=\"{}\"}}", slo.service);
    first_checks.push(match sli {
        Sli::Ratio { .. } => Check::logql(
            "Error lines of the service",
            format!("{service} | json | level=\"error\""),
        ),
        Sli::Latency(threshold) => Check::logql(
            "Requests slower than the threshold, from the service's logs",
            format!("{service} | json | duration > {threshold}"),
        ),
    });
    Runbook {
        threshold,
        first_checks,
    }
}

/// A length of time as people say it: 50h → "2d 2h", 10d → "10d".
fn human(millis: f64) -> String {
    let minutes = (millis / 60_000.0).round() as u64;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "m")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0m".into()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_read_naturally() {
        assert_eq!(human(50.0 * 3_600_000.0), "2d 2h");
        assert_eq!(human(10.0 * 86_400_000.0), "10d");
        assert_eq!(human(90.0 * 60_000.0), "1h 30m");
    }
}
