//! Runbooks: one Markdown page per rendered alert, at the name its `runbook_url` ends with
//! (`<runbook_base_url>/<AlertName>`). A page says what the alert means, its expression and
//! threshold as this profile renders them, what to check first and who gets notified. The
//! alert-specific parts (the threshold in the profile's words, the first checks) come from the
//! alert's own contribution (`contrib::rules::Runbook`); the escalation is read from the
//! rendered alertmanager.yml, so it is what Alertmanager will do.
//!
//! Code blocks are fenced with `~~~`, so a page can be shown inside a ```` ``` ```` block (the
//! README does).
//!
//! Files: `mod.rs` the pages, `escalation.rs` the routing, `files.rs` writing them without
//! ever replacing a page a person edited.

mod escalation;
mod files;

use std::fmt::Write as _;

use crate::contrib::rules::{Alert, Check};
use crate::pipeline::Compilation;

pub use files::{Outcome, write_dir};

/// One runbook: the alert it is about and its Markdown (without the ownership header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub alert: String,
    pub body: String,
}

impl Page {
    /// `<AlertName>.md`.
    pub fn file_name(&self) -> String {
        format!("{}.md", self.alert)
    }
}

/// Every rendered alert's rules under one name (an SLO's burn-rate alert has one rule per
/// window pair), with the component and rule group that contribute them.
struct Rendered<'a> {
    name: &'a str,
    component: &'static str,
    group: &'a str,
    rules: Vec<&'a Alert>,
}

/// The runbook of every alert Prometheus evaluates, in rule-file order.
pub fn pages(c: &Compilation) -> Vec<Page> {
    let routing = escalation::Routing::read(c);
    let has_logs = c
        .collected
        .datasources()
        .any(|d| d.kind == crate::model::endpoints::DatasourceKind::Loki);
    let mut alerts: Vec<Rendered<'_>> = Vec::new();
    for (component, group) in c.collected.kept_rule_groups() {
        for alert in group.alerts() {
            match alerts.iter_mut().find(|a| a.name == alert.alert) {
                Some(known) => known.rules.push(alert),
                None => alerts.push(Rendered {
                    name: &alert.alert,
                    component,
                    group: &group.name,
                    rules: vec![alert],
                }),
            }
        }
    }
    alerts
        .iter()
        .map(|a| Page {
            alert: a.name.to_string(),
            body: page(a, &routing, has_logs),
        })
        .collect()
}

fn page(a: &Rendered<'_>, routing: &escalation::Routing, has_logs: bool) -> String {
    let first = a.rules[0];
    let mut out = String::new();
    let severities: Vec<&str> = a.rules.iter().map(|r| severity(r)).collect();
    let _ = writeln!(out, "# {}\n", a.name);
    let _ = writeln!(
        out,
        "Severity: {} · contributed by `{}` (rule group `{}`) · {}\n",
        unique(&severities).join(", "),
        a.component,
        a.group,
        first.runbook_url
    );
    out.push_str("## Meaning\n\n");
    let single = a.rules.len() == 1;
    if let Some(comment) = first.comment.as_ref().filter(|_| single) {
        let _ = writeln!(out, "{}\n", comment.replace('\n', " "));
    }
    let _ = writeln!(
        out,
        "> {}\n>\n> {}\n",
        readable(&first.summary),
        readable(&first.description)
    );
    out.push_str("## Expression\n\n");
    for rule in &a.rules {
        if !single {
            let labels: Vec<String> = rule
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let why = rule
                .comment
                .as_deref()
                .unwrap_or_default()
                .replace('\n', " ");
            let _ = writeln!(out, "{} ({}): {why}\n", severity(rule), labels.join(", "));
        }
        let _ = writeln!(out, "~~~promql\n{}\n~~~\n", rule.expr.trim_end());
        let _ = writeln!(out, "{}\n", held(&rule.for_duration));
    }
    out.push_str("## Threshold\n\n");
    if first.runbook.threshold.is_empty() {
        let _ = writeln!(
            out,
            "The numbers in the expression above, as this profile sets them under `[{}.alerts]` (README: Reference).\n",
            a.component
        );
    } else {
        let _ = writeln!(out, "{}\n", first.runbook.threshold);
    }
    out.push_str("## First checks\n\n");
    let what_fires = Check::promql(
        "What is past the threshold now (Prometheus' graph page or Grafana's Explore)",
        first.expr.trim_end(),
    );
    let checks = std::iter::once(&what_fires)
        .chain(first.runbook.first_checks.iter())
        .filter(|c| has_logs || c.language != "logql");
    let checks: Vec<&Check> = checks.collect();
    let variables = label_variables(&checks);
    if !variables.is_empty() {
        let _ = writeln!(
            out,
            "`{}` in a check stand for the alert's labels of those names (lowercase): set them from the notification.\n",
            variables.join("`, `")
        );
    }
    for (i, check) in checks.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {}:\n\n   ~~~{}\n{}\n   ~~~\n",
            i + 1,
            check.what,
            check.language,
            indent(&check.command, "   ")
        );
    }
    out.push_str("## Escalation\n\n");
    for s in unique(&severities) {
        out.push_str(&routing.describe(s, first.alert_group.is_some()));
    }
    out
}

/// `$NAMESPACE`, `$SERVICE`...: the upper-case shell-style variables the checks use.
fn label_variables(checks: &[&Check]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for check in checks {
        for part in check.command.split('$').skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            if !name.is_empty() && !names.iter().any(|n| n[1..] == name) {
                names.push(format!("${name}"));
            }
        }
    }
    names
}

fn severity(alert: &Alert) -> &'static str {
    match alert.severity {
        crate::contrib::Severity::Critical => "critical",
        crate::contrib::Severity::Warning => "warning",
        crate::contrib::Severity::None => "none",
    }
}

fn unique<'a>(items: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for item in items {
        if !out.contains(item) {
            out.push(item);
        }
    }
    out
}

fn held(for_duration: &str) -> String {
    let immediate = crate::model::Duration::parse(for_duration).is_ok_and(|d| d.millis() == 0);
    if immediate {
        "It fires as soon as the expression returns a series.".into()
    } else {
        format!("It fires once the expression has returned the series for {for_duration}.")
    }
}

/// An annotation with its Go templates as placeholders: `{{ $labels.service }}` → `{service}`
/// (angle brackets would read as HTML in Markdown).
fn readable(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let inner = rest[start + 2..start + end].trim();
        let name = inner
            .strip_prefix("$labels.")
            .map(str::to_string)
            .unwrap_or_else(|| "value".to_string());
        let _ = write!(out, "{{{name}}}");
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_templates_become_placeholders() {
        assert_eq!(
            readable(
                "{{ $value | humanizePercentage }} of {{ $labels.namespace }}/{{ $labels.service }}"
            ),
            "{value} of {namespace}/{service}"
        );
    }

    #[test]
    fn an_alert_without_for_fires_at_once() {
        assert!(held("0s").contains("as soon as"));
        assert!(held("5m").contains("for 5m"));
    }
}
