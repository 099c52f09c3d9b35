//! The monitored applications: the seed's services (HTTP request metrics and business
//! counters) in `stack.app_namespaces`. Renders no pods: it contributes the scrape job for pods
//! that opt in with the `prometheus.io/scrape` annotation, the request recording rules, the
//! ElevatedErrorRate, HighErrorRate, ElevatedLatency and HighLatency alerts, and the Overview and Application Performance
//! dashboards.
//!
//! Files: `mod.rs` settings and contributions, `scrape.rs` the job, `rules.rs` the rules,
//! `dashboards/` the dashboards.

mod dashboards;
mod rules;
mod scrape;

use serde::Deserialize;

use super::{Component, Context};
use crate::contrib::Contributions;
use crate::diag::Code;
use crate::k8s::Object;
use crate::model::alerts::{AlertDefaults, LatencyAlert, RatioAlert, duration, stages_inverted};
use crate::model::{Duration, Problem, Stack};

/// The scrape job of the application pods (`http_*`, `todo_*`, `chat_*`, `user_sessions_active`).
pub const JOB: &str = "kubernetes-pods";

/// `[applications]`: the application pods of `stack.app_namespaces`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Applications {
    /// Scrape pods annotated `prometheus.io/scrape: "true"` (optional `prometheus.io/port`,
    /// `prometheus.io/path`, `prometheus.io/scheme`) in `stack.app_namespaces`, with their
    /// rules and dashboards.
    pub enabled: bool,
    pub alerts: Alerts,
}

/// `[applications.alerts]`; each alert takes `enabled = false`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Warning: the share of 5xx responses of a service (default ratio 0.02 for 10m); muted
    /// while HighErrorRate fires for the same service. Its ratio must not exceed
    /// HighErrorRate's.
    pub elevated_error_rate: RatioAlert<ElevatedErrorRate>,
    /// Critical: the share of 5xx responses of a service (default ratio 0.05 for 5m).
    pub high_error_rate: RatioAlert<HighErrorRate>,
    /// Warning: a service's p95 request latency (default p95 1s for 10m); muted while
    /// HighLatency fires for the same service. Its p95 must be below HighLatency's.
    pub elevated_latency: LatencyAlert<ElevatedLatency>,
    /// Critical: a service's p95 request latency (default p95 2s for 5m).
    pub high_latency: LatencyAlert<HighLatency>,
}

#[derive(Debug, Clone)]
pub struct ElevatedLatency;
impl AlertDefaults for ElevatedLatency {
    fn for_duration() -> Duration {
        duration("10m")
    }
    fn p95() -> Duration {
        duration("1s")
    }
}

#[derive(Debug, Clone)]
pub struct ElevatedErrorRate;
impl AlertDefaults for ElevatedErrorRate {
    fn for_duration() -> Duration {
        duration("10m")
    }
    fn ratio() -> f64 {
        0.02
    }
}

#[derive(Debug, Clone)]
pub struct HighErrorRate;
impl AlertDefaults for HighErrorRate {
    fn for_duration() -> Duration {
        duration("5m")
    }
    fn ratio() -> f64 {
        0.05
    }
}

#[derive(Debug, Clone)]
pub struct HighLatency;
impl AlertDefaults for HighLatency {
    fn for_duration() -> Duration {
        duration("5m")
    }
    fn p95() -> Duration {
        duration("2s")
    }
}

impl Default for Applications {
    fn default() -> Self {
        Applications {
            enabled: true,
            alerts: Alerts::default(),
        }
    }
}

impl Component for Applications {
    const NAME: &'static str = "applications";
    const FILE: &'static str = "applications";

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let key = "applications.alerts";
        let a = &self.alerts;
        [
            a.elevated_error_rate
                .check(&format!("{key}.elevated_error_rate")),
            a.high_error_rate.check(&format!("{key}.high_error_rate")),
            a.elevated_latency.check(&format!("{key}.elevated_latency")),
            a.high_latency.check(&format!("{key}.high_latency")),
            error_rate_stages_inverted(a, key),
            latency_stages_inverted(a, key),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        Contributions {
            scrape_jobs: vec![scrape::job(stack)],
            rule_groups: rules::groups(&self.alerts, stack),
            dashboards: dashboards::all(
                stack.http_route_label.as_str(),
                stack.http_status_label.as_str(),
            ),
            ..Contributions::default()
        }
    }

    fn build(&self, _cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        Ok(Vec::new())
    }
}

/// The warning stage must fire at a lower error share than the critical one, or it would only
/// ever fire muted.
fn error_rate_stages_inverted(a: &Alerts, key: &str) -> Option<Problem> {
    let (warning, critical) = (a.elevated_error_rate.ratio, a.high_error_rate.ratio);
    (warning > critical).then(|| {
        Problem::error(
            format!("{key}.elevated_error_rate.ratio"),
            Code::AlertStagesInverted,
            format!(
                "the warning stage fires at {warning} errors, after the critical stage at {critical}"
            ),
            "the warning error ratio must be below the critical one (e.g. 0.02 and 0.05)",
        )
    })
}

/// The latency warning must fire at a lower p95 than HighLatency (equal would fire both at once).
fn latency_stages_inverted(a: &Alerts, key: &str) -> Option<Problem> {
    let (warning, critical) = (&a.elevated_latency.p95, &a.high_latency.p95);
    stages_inverted(
        &format!("{key}.elevated_latency.p95"),
        ("ElevatedLatency", warning.to_string()),
        ("HighLatency", critical.to_string()),
        warning.millis() < critical.millis(),
        "p95 = \"1s\" and \"2s\"",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alerts(toml_text: &str) -> Alerts {
        toml::from_str(toml_text).expect("alerts table")
    }

    #[test]
    fn the_warning_error_ratio_must_not_exceed_the_critical_one() {
        let key = "applications.alerts";
        assert!(error_rate_stages_inverted(&alerts(""), key).is_none());
        let p = error_rate_stages_inverted(
            &alerts("elevated_error_rate = { ratio = 0.1 }\nhigh_error_rate = { ratio = 0.05 }"),
            key,
        )
        .expect("inverted stages are reported");
        assert_eq!(p.key, "applications.alerts.elevated_error_rate.ratio");
        assert_eq!(p.diagnostic.code, Code::AlertStagesInverted);
    }

    #[test]
    fn the_latency_warning_must_be_below_high_latency() {
        let key = "applications.alerts";
        assert!(latency_stages_inverted(&alerts(""), key).is_none());
        let p = latency_stages_inverted(&alerts("elevated_latency = { p95 = \"2s\" }"), key)
            .expect("equal stages are reported");
        assert_eq!(p.key, "applications.alerts.elevated_latency.p95");
        assert_eq!(p.diagnostic.code, Code::AlertStagesInverted);
    }
}
