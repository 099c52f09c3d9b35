//! PromQL of the rules and dashboards: every expression parses (with `promql-parser`, after
//! Grafana's variables are replaced by sample values), and every metric it selects is produced
//! by the stack: recorded by a rule Prometheus evaluates, or exported by a contributed scrape
//! job that declares it (`contrib::ScrapeJob::metrics`). Provenance comes from the components'
//! contributions and nothing else. A panel over a metric nothing produces would show "No data"
//! forever and such an alert could never fire; here either fails the render instead.

use crate::diag::Code;
use std::collections::{BTreeMap, BTreeSet};

use promql_parser::label::MatchOp;
use promql_parser::parser::{Expr, VectorSelector};
use promql_parser::util::{ExprVisitor, walk_expr};

use super::queries::Parsed;
use crate::contrib::{Collected, Rule, RuleGroup, ScrapeJob};
use crate::diag::Diagnostic;
use crate::model::endpoints::DatasourceKind;
use rayon::prelude::*;

pub use crate::promql::parse;

/// Grafana's interval variables become a duration, every other variable a label value; a
/// variable used anywhere else (a number, a duration of its own) makes the query fail.
pub fn substitute_variables(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(i) = rest.find(['$', '[']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (name, len) = if let Some(braced) = tail.strip_prefix("${") {
            match braced.find('}') {
                Some(end) => (braced[..end].split(':').next().unwrap_or_default(), end + 3),
                None => ("", 0),
            }
        } else if let Some(bracketed) = tail.strip_prefix("[[") {
            match bracketed.find("]]") {
                Some(end) => (&bracketed[..end], end + 4),
                None => ("", 0),
            }
        } else if let Some(plain) = tail.strip_prefix('$') {
            let n = plain
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .count();
            (&plain[..n], n + 1)
        } else {
            ("", 0)
        };
        if name.is_empty() {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
            continue;
        }
        out.push_str(if name.starts_with("__") { "5m" } else { "x" });
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// The PromQL inside a variable query (`label_values(<expr>, label)`, `query_result(<expr>)`);
/// `None` for forms without one (`label_values(label)`, `metrics(...)`).
pub fn variable_expr(query: &str) -> Option<&str> {
    let query = query.trim();
    if let Some(inner) = query
        .strip_prefix("query_result(")
        .and_then(|q| q.strip_suffix(')'))
    {
        return Some(inner);
    }
    let inner = query.strip_prefix("label_values(")?.strip_suffix(')')?;
    // The selector is everything before the last top-level comma.
    let (mut depth, mut quoted, mut split) = (0i32, false, None);
    for (i, c) in inner.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' | '{' | '[' if !quoted => depth += 1,
            ')' | '}' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => split = Some(i),
            _ => {}
        }
    }
    split.map(|i| inner[..i].trim())
}

/// A metric a query selects, with the job it asks for (`job="..."`), if any.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Selected {
    pub metric: String,
    pub job: Option<String>,
}

struct Selectors(Vec<Selected>);

impl Selectors {
    fn add(&mut self, vs: &VectorSelector) {
        let equal = |label: &str| {
            vs.matchers
                .matchers
                .iter()
                .find(|m| m.name == label && matches!(m.op, MatchOp::Equal))
                .map(|m| m.value.clone())
        };
        if let Some(metric) = vs.name.clone().or_else(|| equal("__name__")) {
            self.0.push(Selected {
                metric,
                job: equal("job"),
            });
        }
    }
}

impl ExprVisitor for Selectors {
    type Error = std::convert::Infallible;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, Self::Error> {
        match expr {
            Expr::VectorSelector(vs) => self.add(vs),
            Expr::MatrixSelector(ms) => self.add(&ms.vs),
            _ => {}
        }
        Ok(true)
    }
}

/// Parses a dashboard query (variables substituted) into the metrics it selects.
pub fn selected(expr: &str) -> Result<Vec<Selected>, String> {
    parse(&substitute_variables(expr)).map(|parsed| selectors(&parsed))
}

/// The metrics a parsed expression selects.
pub fn selectors(parsed: &Expr) -> Vec<Selected> {
    let mut visitor = Selectors(Vec::new());
    let Ok(_) = walk_expr(&mut visitor, parsed);
    visitor.0
}

/// What the stack produces: recorded series and scraped jobs, from the contributions.
#[derive(Debug, Default)]
pub struct Produced<'a> {
    pub recorded: BTreeSet<&'a str>,
    pub jobs: BTreeMap<&'a str, &'a ScrapeJob>,
    /// Whether anything scrapes (a Prometheus datasource exists); without it nothing is judged.
    pub scraping: bool,
}

impl<'a> Produced<'a> {
    pub fn of(collected: &'a Collected) -> Produced<'a> {
        Produced {
            recorded: collected
                .kept_rule_groups()
                .into_iter()
                .flat_map(|(_, g)| g.rules.iter())
                .filter_map(|r| match r {
                    Rule::Record(r) => Some(r.record.as_str()),
                    Rule::Alert(_) => None,
                })
                .collect(),
            jobs: collected
                .scrape_jobs()
                .map(|j| (j.name.as_str(), j))
                .collect(),
            scraping: collected
                .datasources()
                .any(|d| d.kind == DatasourceKind::Prometheus),
        }
    }

    /// Why `s` has no data, or `None` when something produces it.
    pub fn missing(&self, s: &Selected) -> Option<String> {
        if self.recorded.contains(s.metric.as_str()) {
            return None;
        }
        match &s.job {
            Some(job) => match self.jobs.get(job.as_str()) {
                None => Some(format!(
                    "selects {}{{job=\"{job}\"}}, but no enabled component contributes a job `{job}`",
                    s.metric
                )),
                Some(j) if !j.exports(&s.metric) => Some(format!(
                    "selects {} from job `{job}`, which does not export it (and no recording rule records it)",
                    s.metric
                )),
                Some(_) => None,
            },
            None if self.jobs.values().any(|j| j.exports(&s.metric)) => None,
            None => Some(format!(
                "selects {}, which no recording rule records and no scraped job exports",
                s.metric
            )),
        }
    }
}

fn check_query(q: &Parsed<'_>, produced: &Produced<'_>) -> Vec<Diagnostic> {
    let error = |code: Code, message: String, help: &str| {
        Diagnostic::error(code, message)
            .subject(q.query.subject.clone())
            .help(help)
    };
    match &q.expr {
        None => Vec::new(),
        Some(Err(e)) => vec![error(
            Code::PromqlInvalid,
            format!("{}: `{}` does not parse: {}", q.query.at, q.query.expr, e.trim()),
            "fix the PromQL; variables are replaced by sample values before parsing",
        )],
        Some(Ok(parsed)) if produced.scraping => selectors(parsed)
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|s| produced.missing(s))
            .map(|why| {
                error(
                    Code::MetricNotProduced,
                    format!("{}: {why}", q.query.at),
                    "query a recording rule or a metric a scraped job declares, and list the panel's jobs in its `needs`",
                )
            })
            .collect(),
        Some(Ok(_)) => Vec::new(),
    }
}

/// The dashboards' queries (each parsed once by the caller).
pub fn check(collected: &Collected, queries: &[Parsed<'_>]) -> Vec<Diagnostic> {
    let produced = Produced::of(collected);
    queries
        .iter()
        .flat_map(|q| check_query(q, &produced))
        .collect()
}

/// The rules' expressions. They depend on the contributions alone, so the pipeline checks
/// them while the components build.
pub fn rules(collected: &Collected) -> Vec<Diagnostic> {
    rule_expressions(collected, &Produced::of(collected))
}

/// Every expression of every rule Prometheus evaluates parses, and reads only what the stack
/// produces.
fn rule_expressions(collected: &Collected, produced: &Produced<'_>) -> Vec<Diagnostic> {
    // Groups are checked in parallel; the diagnostics keep the groups' order.
    let groups = collected.kept_rule_groups();
    let per_group: Vec<Vec<Diagnostic>> = groups
        .par_iter()
        .map(|(component, group)| group_expressions(component, group, produced))
        .collect();
    per_group.into_iter().flatten().collect()
}

fn group_expressions(
    component: &str,
    group: &RuleGroup,
    produced: &Produced<'_>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, expr) in group.names() {
        let subject = format!("rule `{name}` of {component} (group {})", group.name);
        match selected(expr) {
            Err(e) => out.push(
                Diagnostic::error(
                    Code::PromqlInvalid,
                    format!(
                        "rule `{name}`: `{}` does not parse: {}",
                        expr.trim(),
                        e.trim()
                    ),
                )
                .subject(subject)
                .help("fix the rule's PromQL"),
            ),
            Ok(selected) if produced.scraping => {
                let missing: BTreeSet<String> = selected
                    .iter()
                    .filter_map(|s| produced.missing(s))
                    .collect();
                out.extend(missing.into_iter().map(|why| {
                    Diagnostic::error(Code::MetricNotProduced,
                        format!("rule `{name}` {why}, so it can never produce anything"),
                    )
                    .subject(subject.clone())
                    .help("read a metric an enabled component's scrape job declares, or list the other component's job in the group's `needs` so the group is left out without it")
                }));
            }
            Ok(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contrib::rules::record;
    use crate::contrib::{Contributions, RuleGroup};
    use crate::k8s::Object;
    use crate::model::endpoints::{Datasource, ServiceAddress};
    use crate::validate::dashboards;
    use crate::validate::dashboards::tests::{dashboard, datasources_map, panel};

    /// A stack whose only job `app` exports `http_requests_total`, with `rules` recorded or
    /// alerted on, and a Prometheus datasource.
    fn stack(rules: Vec<Rule>) -> Collected {
        let job = ScrapeJob::pods("app", "", Vec::new()).with_metrics(&["http_requests_total"]);
        Collected {
            by_component: vec![(
                "test",
                Contributions {
                    scrape_jobs: vec![job],
                    rule_groups: vec![RuleGroup::new("g", None, rules)],
                    datasources: vec![Datasource {
                        uid: "prometheus".into(),
                        name: "Prometheus".into(),
                        kind: DatasourceKind::Prometheus,
                        service: ServiceAddress {
                            service: "prometheus".into(),
                            namespace: "ns".into(),
                            port_name: "http".into(),
                            port: 9090,
                        },
                        min_interval: None,
                        basic_auth: None,
                        replaces: None,
                    }],
                    ..Contributions::default()
                },
            )],
        }
    }

    fn rule_findings(rules: Vec<Rule>) -> Vec<(&'static str, String)> {
        super::rules(&stack(rules))
            .into_iter()
            .map(|d| (d.code.name(), d.message))
            .collect()
    }

    #[test]
    fn a_rule_that_does_not_parse_is_named() {
        let found = rule_findings(vec![record("broken", "", "sum(rate(x[5m])")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "promql-invalid");
        assert!(found[0].1.contains("rule `broken`"), "{}", found[0].1);
    }

    #[test]
    fn a_rule_over_a_metric_no_enabled_component_produces_is_refused_with_its_name() {
        let ok = rule_findings(vec![
            record(
                "ns:requests:rate5m",
                "",
                "sum(rate(http_requests_total{job=\"app\"}[5m]))",
            ),
            record("ns:requests:double", "", "2 * ns:requests:rate5m"),
        ]);
        assert_eq!(ok, vec![]);
        let found = rule_findings(vec![
            record("a", "", "sum(db_queries_total)"),
            record("b", "", "up{job=\"kafka\"}"),
            record("c", "", "rate(http_request_total{job=\"app\"}[5m])"),
        ]);
        let messages: Vec<&str> = found
            .iter()
            .filter(|(c, _)| *c == "metric-not-produced")
            .map(|(_, m)| m.as_str())
            .collect();
        assert_eq!(messages.len(), 3, "{found:?}");
        assert!(messages[0].contains("rule `a`") && messages[0].contains("db_queries_total"));
        assert!(messages[1].contains("no enabled component contributes a job `kafka`"));
        assert!(messages[2].contains("http_request_total from job `app`"));
    }

    #[test]
    fn variables_become_sample_values() {
        assert_eq!(
            substitute_variables(
                "rate(x{a=~\"$ns\", b=\"${svc:regex}\", c=\"[[old]]\"}[$__rate_interval])"
            ),
            "rate(x{a=~\"x\", b=\"x\", c=\"x\"}[5m])"
        );
        assert_eq!(substitute_variables("a[5m] $ x"), "a[5m] $ x");
    }

    #[test]
    fn selectors_are_found_inside_functions_and_ranges() {
        let found = selected("sum by (le) (rate(a_bucket{job=\"j\"}[$__rate_interval])) / on() b or {__name__=\"c\"}").unwrap();
        let names: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|s| (s.metric.as_str(), s.job.as_deref()))
            .collect();
        assert_eq!(names, [("a_bucket", Some("j")), ("b", None), ("c", None)]);
        assert!(selected("sum(rate(x[5m])").is_err());
    }

    #[test]
    fn variable_queries_yield_their_selector() {
        assert_eq!(
            variable_expr("label_values(a{b=~\"$c\", d=\"e,f\"}, ns)"),
            Some("a{b=~\"$c\", d=\"e,f\"}")
        );
        assert_eq!(variable_expr("label_values(ns)"), None);
        assert_eq!(variable_expr("query_result(sum(x))"), Some("sum(x)"));
    }

    fn findings(extra: Object) -> Vec<(&'static str, String)> {
        let objects = [datasources_map(), extra];
        let refs: Vec<&Object> = objects.iter().collect();
        let collected = stack(vec![record(
            "ns:requests:rate5m",
            "",
            "sum(rate(http_requests_total[5m]))",
        )]);
        let queries = dashboards::queries(&dashboards::files(&refs));
        check(
            &collected,
            &crate::validate::queries::parse_all(&queries, None),
        )
        .into_iter()
        .map(|d| (d.code.name(), d.message))
        .collect()
    }

    #[test]
    fn produced_metrics_pass_and_a_broken_query_names_dashboard_and_panel() {
        let ok = dashboard(vec![
            panel(
                1,
                "Rate",
                (0, 0, 12, 8),
                "sum(ns:requests:rate5m{namespace=~\"$namespace\"})",
            ),
            panel(
                2,
                "Raw",
                (12, 0, 12, 8),
                "rate(http_requests_total{job=\"app\"}[$__rate_interval])",
            ),
        ]);
        // The variable query's `up` is exported by every job.
        assert_eq!(findings(ok), vec![]);
        let broken = dashboard(vec![panel(
            7,
            "Latency",
            (0, 0, 12, 8),
            "histogram_quantile(0.95, sum by (le) (rate(x[5m]))",
        )]);
        let found = findings(broken);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "promql-invalid");
        assert!(
            found[0]
                .1
                .starts_with("dashboard `Test` (test.json), panel 7 `Latency`, query A: "),
            "{}",
            found[0].1
        );
    }

    #[test]
    fn a_metric_nothing_produces_is_reported() {
        let d = dashboard(vec![
            panel(
                1,
                "Kafka",
                (0, 0, 12, 8),
                "kafka_controller_kafkacontroller_offlinepartitionscount{job=\"kafka\"}",
            ),
            panel(
                2,
                "Typo",
                (12, 0, 12, 8),
                "rate(http_request_total{job=\"app\"}[5m])",
            ),
            panel(3, "Unknown", (0, 8, 12, 8), "db_queries_total"),
        ]);
        let found = findings(d);
        let at = |panel: &str| {
            found
                .iter()
                .any(|(c, m)| *c == "metric-not-produced" && m.contains(panel))
        };
        assert!(
            at("panel 1 `Kafka`") && at("panel 2 `Typo`") && at("panel 3 `Unknown`"),
            "{found:?}"
        );
    }
}
