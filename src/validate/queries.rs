//! Every dashboard query parsed once, for all the checks that read it: whether its metrics are
//! produced (`promql`) and how many samples it scans (`heavy_queries`). A Prometheus panel
//! query is parsed with Grafana's interval variables as the heavy-query estimate computes
//! them for its panel; every other variable becomes a sample value (`substitute_variables`).

use promql_parser::parser::Expr;
use rayon::prelude::*;

use super::dashboards::Query;
use super::heavy_queries::Intervals;
use super::promql::{parse, substitute_variables, variable_expr};
use crate::contrib::capacity::QueryLoad;

/// A dashboard query and what its PromQL parsed to.
pub struct Parsed<'q> {
    pub query: &'q Query,
    /// `None` for a variable query without PromQL (`label_values(label)`).
    pub expr: Option<Result<Expr, String>>,
    /// The intervals its Prometheus panel was parsed with, when the estimate applies.
    pub intervals: Option<Intervals>,
}

/// Parses each query once; `load` is the Prometheus query load the estimate uses, if any.
pub fn parse_all<'q>(queries: &'q [Query], load: Option<&QueryLoad>) -> Vec<Parsed<'q>> {
    queries.par_iter().map(|q| parse_one(q, load)).collect()
}

fn parse_one<'q>(query: &'q Query, load: Option<&QueryLoad>) -> Parsed<'q> {
    let text = if query.is_variable {
        variable_expr(&query.expr)
    } else {
        Some(query.expr.as_str())
    };
    let Some(text) = text else {
        return Parsed {
            query,
            expr: None,
            intervals: None,
        };
    };
    let intervals = load.and_then(|load| Intervals::of(query, load));
    let with_intervals = intervals
        .as_ref()
        .and_then(|i| parse(&substitute_variables(&i.substitute(text))).ok());
    // Without intervals, or when that fails, the sample values decide (and name the error).
    let (expr, intervals) = match with_intervals {
        Some(expr) => (Ok(expr), intervals),
        None => (parse(&substitute_variables(text)), None),
    };
    Parsed {
        query,
        expr: Some(expr),
        intervals,
    }
}
