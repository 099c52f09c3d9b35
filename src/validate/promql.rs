//! PromQL of the dashboards: every query parses (with `promql-parser`, after Grafana's
//! variables are replaced by sample values), and every metric it selects is produced by the
//! stack: a recording rule of a rendered rule file, or a series of a scrape job of the rendered
//! prometheus.yml that is known to export that metric (`PRODUCED`, below). A panel over a
//! metric nothing produces would show "No data" forever; here it fails the render instead.

use std::collections::BTreeSet;

use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr, VectorSelector};
use promql_parser::util::{ExprVisitor, walk_expr};

use super::dashboards::{self, Query};
use crate::diag::{Code, Diagnostic};
use crate::k8s::Object;

/// What each scrape job exports, as far as the dashboards use it. Job names are those of
/// `prometheus/config.rs` and of the components' scrape offers; metric names follow the
/// exporters (application contract from the seed's "Metrics Reference", cAdvisor,
/// kube-state-metrics v2, Strimzi's JMX exporter rules, Dapr's sidecar metrics).
pub const PRODUCED: &[(&str, &[&str])] = &[
    (
        "kubernetes-pods",
        &[
            "http_requests_total",
            "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_sum",
            "http_request_duration_seconds_count",
            "todo_tasks_completed_total",
            "todo_tasks_created_total",
            "chat_messages_total",
            "user_sessions_active",
        ],
    ),
    (
        "kubernetes-cadvisor",
        &[
            "container_cpu_usage_seconds_total",
            "container_memory_working_set_bytes",
            "container_network_receive_bytes_total",
            "container_network_transmit_bytes_total",
        ],
    ),
    (
        "kube-state-metrics",
        &[
            "kube_pod_info",
            "kube_pod_status_phase",
            "kube_pod_status_ready",
            "kube_pod_container_status_restarts_total",
            "kube_deployment_spec_replicas",
            "kube_deployment_status_replicas_ready",
            "kube_deployment_status_replicas_available",
        ],
    ),
    (
        "kafka",
        &[
            "kafka_server_brokertopicmetrics_messagesin_total",
            "kafka_server_brokertopicmetrics_totalproducerequests_total",
            "kafka_server_brokertopicmetrics_totalfetchrequests_total",
            "kafka_server_replicamanager_underreplicatedpartitions",
            "kafka_controller_kafkacontroller_offlinepartitionscount",
            "kafka_controller_kafkacontroller_activecontrollercount",
        ],
    ),
    (
        "dapr-sidecars",
        &[
            "dapr_component_loaded",
            "dapr_component_state_count",
            "dapr_component_state_latencies_bucket",
            "dapr_component_state_latencies_sum",
            "dapr_component_state_latencies_count",
            "dapr_http_server_request_count",
        ],
    ),
];

/// Series Prometheus writes for every target of every job.
const EVERY_JOB: &[&str] = &["up", "scrape_duration_seconds", "scrape_samples_scraped"];

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
    // `=~"x"` matches exactly what `="x"` does; writing it as equality spares compiling a
    // regex per matcher, the largest cost of checking every panel.
    out.replace("=~\"x\"", "=\"x\"")
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
    let parsed = parser::parse(&substitute_variables(expr))?;
    let mut visitor = Selectors(Vec::new());
    let Ok(_) = walk_expr(&mut visitor, &parsed);
    Ok(visitor.0)
}

/// What the rendered stack produces: recorded series and scraped jobs.
#[derive(Debug, Default)]
pub struct Produced {
    pub recorded: BTreeSet<String>,
    pub jobs: BTreeSet<String>,
    /// Whether a prometheus.yml was rendered at all (without one nothing can be judged).
    pub scraping: bool,
}

impl Produced {
    /// Reads rule files (`groups[].rules[].record`) and prometheus.yml (`scrape_configs[].job_name`).
    fn from_files(files: &[ConfigFile]) -> Produced {
        let mut produced = Produced::default();
        for file in files {
            let rules = file.doc["groups"].as_sequence().into_iter().flatten();
            for rule in rules.flat_map(|g| g["rules"].as_sequence().into_iter().flatten()) {
                if let Some(record) = rule["record"].as_str() {
                    produced.recorded.insert(record.to_string());
                }
            }
            if file.key == "prometheus.yml" {
                produced.scraping = true;
                for job in file.doc["scrape_configs"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                {
                    if let Some(name) = job["job_name"].as_str() {
                        produced.jobs.insert(name.to_string());
                    }
                }
            }
        }
        produced
    }

    fn exports(job: &str, metric: &str) -> bool {
        EVERY_JOB.contains(&metric)
            || PRODUCED
                .iter()
                .any(|(j, metrics)| *j == job && metrics.contains(&metric))
    }

    /// Why `s` has no data, or `None` when something produces it.
    pub fn missing(&self, s: &Selected) -> Option<String> {
        if self.recorded.contains(&s.metric) {
            return None;
        }
        match &s.job {
            Some(job) if !self.jobs.contains(job) => Some(format!(
                "selects {}{{job=\"{job}\"}}, but prometheus.yml has no job `{job}`",
                s.metric
            )),
            Some(job) if !Self::exports(job, &s.metric) => Some(format!(
                "selects {} from job `{job}`, which does not export it (and no recording rule records it)",
                s.metric
            )),
            Some(_) => None,
            None if self.jobs.iter().any(|j| Self::exports(j, &s.metric)) => None,
            None => Some(format!(
                "selects {}, which no recording rule records and no scraped job exports",
                s.metric
            )),
        }
    }
}

fn check_query(q: &Query, produced: &Produced) -> Vec<Diagnostic> {
    let error = |code: Code, message: String, help: &str| {
        Diagnostic::error(code, message)
            .subject(q.subject.clone())
            .help(help)
    };
    let expr = if q.is_variable {
        match variable_expr(&q.expr) {
            Some(expr) => expr,
            None => return Vec::new(),
        }
    } else {
        q.expr.as_str()
    };
    match selected(expr) {
        Err(e) => vec![error(
            Code::PromqlInvalid,
            format!("{}: `{}` does not parse: {}", q.at, q.expr, e.trim()),
            "fix the PromQL; variables are replaced by sample values before parsing",
        )],
        Ok(selected) if produced.scraping => selected
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|s| produced.missing(s))
            .map(|why| {
                error(
                    Code::MetricNotProduced,
                    format!("{}: {why}", q.at),
                    "query a recording rule or a metric a scraped job exports, or leave the panel out when its job is not scraped",
                )
            })
            .collect(),
        Ok(_) => Vec::new(),
    }
}

/// A rendered Prometheus config or rule file, parsed once for every check here.
struct ConfigFile {
    subject: String,
    key: String,
    doc: serde_yaml_ng::Value,
}

/// prometheus.yml and the rule files among the rendered ConfigMaps.
fn config_files(objects: &[&Object]) -> Vec<ConfigFile> {
    let mut out = Vec::new();
    for o in objects {
        let Object::ConfigMap(cm) = o else { continue };
        for (key, text) in cm.data.iter().flatten() {
            let yaml = key.ends_with(".yml") || key.ends_with(".yaml");
            if !yaml || !(key == "prometheus.yml" || text.contains("groups:")) {
                continue;
            }
            if let Ok(doc) = serde_yaml_ng::from_str(text) {
                out.push(ConfigFile {
                    subject: format!("{} ({key})", o.id()),
                    key: key.clone(),
                    doc,
                });
            }
        }
    }
    out
}

pub fn check(objects: &[&Object], dashboards: &[dashboards::File]) -> Vec<Diagnostic> {
    let files = config_files(objects);
    let produced = Produced::from_files(&files);
    let mut out: Vec<Diagnostic> = dashboards::queries(dashboards)
        .iter()
        .flat_map(|q| check_query(q, &produced))
        .collect();
    out.extend(rule_expressions(&files, &produced));
    out
}

/// One rule of a rendered rule file: where it is and its expression.
struct RuleExpr {
    subject: String,
    name: String,
    expr: String,
}

/// Every `expr` of every rule file (`groups[].rules[]`).
fn rules(files: &[ConfigFile]) -> Vec<RuleExpr> {
    let mut out = Vec::new();
    for file in files {
        for group in file.doc["groups"].as_sequence().into_iter().flatten() {
            for rule in group["rules"].as_sequence().into_iter().flatten() {
                let name = rule["alert"].as_str().or(rule["record"].as_str());
                if let (Some(name), Some(expr)) = (name, rule["expr"].as_str()) {
                    out.push(RuleExpr {
                        subject: file.subject.clone(),
                        name: name.to_string(),
                        expr: expr.to_string(),
                    });
                }
            }
        }
    }
    out
}

/// Every rule expression parses; a rule whose job is not scraped can never fire or record
/// anything, which is worth a warning (it is often a scrape source turned off on purpose).
fn rule_expressions(files: &[ConfigFile], produced: &Produced) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in rules(files) {
        match selected(&rule.expr) {
            Err(e) => out.push(
                Diagnostic::error(
                    Code::PromqlInvalid,
                    format!(
                        "rule `{}`: `{}` does not parse: {}",
                        rule.name,
                        rule.expr.trim(),
                        e.trim()
                    ),
                )
                .subject(rule.subject.clone())
                .help("fix the rule's PromQL"),
            ),
            Ok(selected) if produced.scraping => {
                let unscraped: BTreeSet<&String> = selected
                    .iter()
                    .filter_map(|s| s.job.as_ref())
                    .filter(|job| !produced.jobs.contains(*job))
                    .collect();
                for job in unscraped {
                    out.push(
                        Diagnostic::warning(
                            Code::RuleWithoutData,
                            format!("rule `{}` selects job `{job}`, which prometheus.yml does not scrape, so it can never produce anything", rule.name),
                        )
                        .subject(rule.subject.clone())
                        .help("enable the scrape source, or disable the alert in [prometheus.alerts]"),
                    );
                }
            }
            Ok(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::dashboards::tests::{config_map, dashboard, datasources_map, panel};

    fn rules_map(rules: &str, jobs: &[&str]) -> Vec<Object> {
        let prometheus_yml = format!(
            "scrape_configs:\n{}",
            jobs.iter()
                .map(|j| format!("  - job_name: {j}\n"))
                .collect::<String>()
        );
        let cm = |name: &str, key: &str, text: String| -> Object {
            k8s_openapi::api::core::v1::ConfigMap {
                metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                    name: Some(name.into()),
                    namespace: Some("ns".into()),
                    ..Default::default()
                },
                data: Some([(key.to_string(), text)].into()),
                ..Default::default()
            }
            .into()
        };
        vec![
            cm("prometheus-config", "prometheus.yml", prometheus_yml),
            cm("prometheus-rules", "alerts.yml", rules.to_string()),
        ]
    }

    #[test]
    fn a_rule_that_does_not_parse_is_named() {
        let objects = rules_map(
            "groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m])\n",
            &["app"],
        );
        let refs: Vec<&Object> = objects.iter().collect();
        let found = check(&refs, &dashboards::files(&refs));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, Code::PromqlInvalid);
        assert!(
            found[0].message.contains("rule `Broken`"),
            "{}",
            found[0].message
        );
        assert_eq!(
            found[0].subject.as_deref(),
            Some("ConfigMap/ns/prometheus-rules (alerts.yml)")
        );
    }

    #[test]
    fn a_rule_over_an_unscraped_job_is_a_warning() {
        let objects = rules_map(
            "groups:\n  - name: g\n    rules:\n      - alert: KafkaDown\n        expr: up{job=\"kafka\"} == 0\n",
            &["app"],
        );
        let refs: Vec<&Object> = objects.iter().collect();
        let found = check(&refs, &dashboards::files(&refs));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, Code::RuleWithoutData);
        assert!(!found[0].is_error());
    }

    #[test]
    fn variables_become_sample_values() {
        assert_eq!(
            substitute_variables(
                "rate(x{a=~\"$ns\", b=\"${svc:regex}\", c=\"[[old]]\"}[$__rate_interval])"
            ),
            "rate(x{a=\"x\", b=\"x\", c=\"x\"}[5m])"
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

    fn stack_files() -> Vec<Object> {
        vec![
            datasources_map(),
            config_map(
                "prometheus-config",
                None,
                "prometheus.yml",
                "scrape_configs:\n  - job_name: kubernetes-pods\n",
            ),
            config_map(
                "prometheus-rules",
                None,
                "recording.yml",
                "groups:\n  - name: g\n    rules:\n      - record: ns:requests:rate5m\n        expr: sum(rate(http_requests_total[5m]))\n",
            ),
        ]
    }

    fn findings(extra: Object) -> Vec<(Code, String)> {
        let mut objects = stack_files();
        objects.push(extra);
        let refs: Vec<&Object> = objects.iter().collect();
        check(&refs, &dashboards::files(&refs))
            .into_iter()
            .map(|d| (d.code, d.message))
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
                "rate(http_requests_total{job=\"kubernetes-pods\"}[$__rate_interval])",
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
        assert_eq!(found[0].0, Code::PromqlInvalid);
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
                "rate(http_request_total{job=\"kubernetes-pods\"}[5m])",
            ),
            panel(3, "Unknown", (0, 8, 12, 8), "db_queries_total"),
        ]);
        let found = findings(d);
        let at = |panel: &str| {
            found
                .iter()
                .any(|(c, m)| *c == Code::MetricNotProduced && m.contains(panel))
        };
        assert!(
            at("panel 1 `Kafka`") && at("panel 2 `Typo`") && at("panel 3 `Unknown`"),
            "{found:?}"
        );
    }
}
