//! Variable rules: every variable is defined once, its datasource is provisioned, and every
//! `$variable` a query uses is defined by the dashboard or by Grafana.

use crate::diag::Code;
use std::collections::{BTreeMap, BTreeSet};

use super::panels::{Finding, datasource_problem};
use super::view::Dashboard;
use super::{BUILTIN_VARIABLES, panel_name, panels, variable_query, variables};

/// `$name`, `${name}`, `${name:format}` and `[[name]]` in a query.
pub fn variables_used(expr: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in expr.match_indices('$') {
        let rest = &expr[i + 1..];
        let name = match rest.strip_prefix('{') {
            Some(braced) => ident(braced),
            None => ident(rest),
        };
        if !name.is_empty() {
            out.insert(name);
        }
    }
    for (i, _) in expr.match_indices("[[") {
        let name = ident(&expr[i + 2..]);
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

pub fn variable_problems(
    dashboard: &Dashboard<'_>,
    name: &str,
    provisioned: &BTreeMap<String, String>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut defined: BTreeSet<String> = BUILTIN_VARIABLES.iter().map(|s| s.to_string()).collect();
    for v in variables(dashboard) {
        let var = v.name.as_str().unwrap_or_default();
        let at = format!("{name}, variable `{var}`");
        if !defined.insert(var.to_string()) {
            out.push((
                Code::DashboardVariable,
                format!("{at} is defined twice or has no name"),
                "name every variable once",
            ));
        }
        if v.r#type.as_str() == Some("query") {
            out.extend(datasource_problem(&v.datasource, &at, provisioned));
        }
    }
    let exprs = panels(dashboard)
        .into_iter()
        .flat_map(|p| {
            let at = format!("{name}, {}", panel_name(p));
            p.targets
                .iter()
                .filter_map(move |t| Some((at.clone(), t.expr.as_str()?)))
        })
        .chain(variables(dashboard).filter_map(|v| {
            Some((
                format!("{name}, variable `{}`", v.name.as_str()?),
                variable_query(v)?,
            ))
        }));
    for (at, expr) in exprs {
        for used in variables_used(expr).difference(&defined) {
            out.push((
                Code::DashboardVariableUndefined,
                format!("{at} uses ${used}, which the dashboard does not define"),
                "add the variable to the dashboard's templating, or fix the name",
            ));
        }
    }
    out
}
