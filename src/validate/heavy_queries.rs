//! Heavy dashboard panels (the seed's "schedule resource-intensive queries off-peak" and
//! "limit data points"): a rough estimate of the samples each Prometheus panel query scans
//! over its dashboard's time range, against `prometheus.query.max_panel_samples`. A panel
//! above it is a warning that names it; the fix is to read a recording rule.
//!
//! The estimate, per selector of the query (README "Heavy queries"):
//! `series × steps × samples per step`, where
//! - series: the expected active series shared evenly among the metric families the scrape
//!   jobs declare, × 12 for a histogram's `_bucket` series (a client library's default 11
//!   buckets and `+Inf`);
//! - steps: the time range ÷ the step, the step being the time range ÷ the panel's
//!   `maxDataPoints`, at least the scrape interval (what Grafana asks for);
//! - samples per step: the selector's range ÷ the scrape interval (`$__rate_interval` is
//!   Grafana's max(4 × scrape interval, step + scrape interval)), 1 for an instant selector.
//!
//! Recorded series (the remedy) are counted like a family without buckets, which is
//! pessimistic: a recording rule usually aggregates pods and buckets away.

use promql_parser::parser::Expr;
use promql_parser::util::{ExprVisitor, walk_expr};

use super::dashboards::Query;
#[cfg(test)]
use super::promql::{parse, substitute_variables};
use super::queries::Parsed;
use crate::contrib::Collected;
use crate::contrib::capacity::QueryLoad;
use crate::diag::{Code, Diagnostic};

/// Series of a histogram per labelled series of its family.
const BUCKETS: f64 = 12.0;

/// Samples each selector of one query reads per step: (metric, samples per series per step).
struct Reads(Vec<(String, f64)>, f64);

impl ExprVisitor for Reads {
    type Error = std::convert::Infallible;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, Self::Error> {
        let scrape = self.1;
        match expr {
            Expr::VectorSelector(vs) => self.0.extend(vs.name.clone().map(|n| (n, 1.0))),
            Expr::MatrixSelector(ms) => self.0.extend(
                ms.vs
                    .name
                    .clone()
                    .map(|n| (n, (ms.range.as_secs_f64() / scrape).max(1.0))),
            ),
            _ => {}
        }
        Ok(true)
    }
}

/// Grafana's step and `$__rate_interval` for one panel (module doc).
#[derive(Debug, Clone, Copy)]
pub struct Intervals {
    scrape: f64,
    step: f64,
    rate_interval: f64,
    range: f64,
}

impl Intervals {
    fn new(load: &QueryLoad, range: f64, points: f64) -> Intervals {
        let scrape = load.scrape_interval_seconds.max(1.0);
        let step = (range / points.max(1.0)).max(scrape);
        Intervals {
            scrape,
            step,
            rate_interval: (4.0 * scrape).max(step + scrape),
            range,
        }
    }

    /// The intervals of a panel query on `load`'s datasource, in a dashboard with a time range.
    pub fn of(query: &Query, load: &QueryLoad) -> Option<Intervals> {
        let on_load = query.datasources.contains(&load.datasource);
        if query.is_variable || !on_load {
            return None;
        }
        let range = query.time_range?;
        Some(Intervals::new(load, range, query.max_data_points))
    }

    /// `expr` with Grafana's interval variables written as the durations they stand for.
    pub fn substitute(&self, expr: &str) -> String {
        expr.replace(
            "$__rate_interval",
            &format!("{}s", self.rate_interval.round()),
        )
        .replace("$__interval", &format!("{}s", self.step.round()))
    }

    /// Estimated samples the parsed query scans.
    fn samples(&self, parsed: &Expr, load: &QueryLoad, families: f64) -> f64 {
        let mut reads = Reads(Vec::new(), self.scrape);
        let Ok(_) = walk_expr(&mut reads, parsed);
        let share = load.expected_series / families.max(1.0);
        let steps = self.range / self.step;
        reads
            .0
            .iter()
            .map(|(metric, per_step)| {
                let buckets = if metric.ends_with("_bucket") {
                    BUCKETS
                } else {
                    1.0
                };
                share * buckets * steps * per_step
            })
            .sum()
    }
}

/// Estimated samples `expr` scans over `range` seconds in `points` points; `None` when it
/// does not parse (reported elsewhere).
#[cfg(test)]
fn estimate(expr: &str, load: &QueryLoad, families: f64, range: f64, points: f64) -> Option<f64> {
    let intervals = Intervals::new(load, range, points);
    let parsed = parse(&substitute_variables(&intervals.substitute(expr))).ok()?;
    Some(intervals.samples(&parsed, load, families))
}

pub fn check(collected: &Collected, queries: &[Parsed<'_>]) -> Vec<Diagnostic> {
    let Some(load) = collected.query_loads().next() else {
        return Vec::new();
    };
    let families = collected
        .scrape_jobs()
        .flat_map(|j| j.metrics.iter())
        .collect::<std::collections::BTreeSet<_>>()
        .len() as f64;
    queries
        .iter()
        .filter_map(|q| {
            let (Some(intervals), Some(Ok(parsed))) = (&q.intervals, &q.expr) else {
                return None;
            };
            let samples = intervals.samples(parsed, load, families);
            (samples > load.max_panel_samples)
                .then(|| heavy(q.query, samples, load, intervals.range))
        })
        .collect()
}

fn heavy(query: &Query, samples: f64, load: &QueryLoad, range: f64) -> Diagnostic {
    Diagnostic::warning(
        Code::HeavyPanelQuery,
        format!(
            "{}: scans about {:.0} million samples over {:.0}h, more than {} = {:.0} million",
            query.at,
            samples / 1e6,
            range / 3600.0,
            load.key,
            load.max_panel_samples / 1e6,
        ),
    )
    .subject(query.subject.clone())
    .help(format!(
        "read a recording rule that aggregates the series (and buckets) away; or raise {} if Prometheus has the CPU for it (the estimate: README \"Heavy queries\")",
        load.key
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load() -> QueryLoad {
        QueryLoad {
            datasource: "prometheus".into(),
            expected_series: 100_000.0,
            scrape_interval_seconds: 15.0,
            max_panel_samples: 50e6,
            key: "prometheus.query.max_panel_samples".into(),
        }
    }

    #[test]
    fn the_estimate_is_series_times_steps_times_samples_per_step() {
        // 100 families: 1000 series each; 6h in 1000 points: step 21.6s, 1000 steps;
        // $__rate_interval = max(60s, 36.6s) = 60s = 4 samples.
        let e = |q: &str| estimate(q, &load(), 100.0, 6.0 * 3600.0, 1000.0).unwrap();
        assert!((e("sum(rate(x_total[$__rate_interval]))") - 1000.0 * 1000.0 * 4.0).abs() < 1.0);
        // A histogram's buckets: × 12; a 5m window: 20 samples a step.
        assert!((e("sum(rate(x_bucket[5m]))") - 1000.0 * 12.0 * 1000.0 * 20.0).abs() < 1.0);
        // An instant selector reads one sample a step; two selectors add up.
        assert!((e("a / b") - 2.0 * 1000.0 * 1000.0).abs() < 1.0);
    }
}
