//! Alerting and recording rules as components contribute them. A component writes the PromQL
//! of its own metrics with thresholds from its own settings; Prometheus only collects the
//! groups into one rule file per component. Every alert carries a severity (Alertmanager
//! routes on it), a summary, a description and its runbook link.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Duration, Stack};

/// A rule group: rules evaluated together, in order (a rule may read the ones above it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleGroup {
    pub name: String,
    /// Written above the group.
    pub comment: Option<String>,
    /// How often the group is evaluated, when not every `evaluation_interval` (rules over
    /// weeks of data need not run every 15 seconds).
    pub interval: Option<String>,
    pub rules: Vec<Rule>,
    /// Scrape jobs of OTHER components the group reads (its own are always there): without
    /// them the group is left out, since it could never fire or record anything.
    #[serde(skip)]
    pub needs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Rule {
    Record(Record),
    Alert(Alert),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub record: String,
    pub comment: Option<String>,
    pub expr: String,
    /// Labels the recorded series gets besides those of its expression.
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    /// Not for people: the Watchdog, which always fires to prove the pipeline works.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub alert: String,
    pub comment: Option<String>,
    pub expr: String,
    #[serde(rename = "for")]
    pub for_duration: String,
    pub severity: Severity,
    /// Prometheus Go templates (`{{ $labels.pod }}`) pass through as written.
    pub summary: String,
    pub description: String,
    pub runbook_url: String,
    /// The `alert_group` label: the condition this alert is one stage of. Alertmanager mutes
    /// a warning while the critical stage of its group fires for the same target.
    pub alert_group: Option<String>,
    /// Labels besides `severity` and `alert_group` (an SLO's burn-rate windows).
    pub labels: BTreeMap<String, String>,
    /// What `monstack runbooks` writes for this alert beyond its expression and threshold.
    #[serde(skip)]
    pub runbook: Runbook,
}

/// The parts of an alert's runbook only its component knows: what to look at first, in the
/// stack's own terms (kubectl, PromQL, LogQL). Empty parts are left out of the page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Runbook {
    /// What the threshold is, in the profile's words (`applications.alerts.high_error_rate`:
    /// ratio 0.05 for 5m).
    pub threshold: String,
    /// Commands or queries to run first, each with one line saying what it shows.
    pub first_checks: Vec<Check>,
}

/// One first check of a runbook: what it shows, and the command or query.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub what: String,
    /// `sh`, `promql` or `logql`: the language of `command`.
    pub language: &'static str,
    pub command: String,
}

impl RuleGroup {
    pub fn new(name: &str, comment: Option<&str>, rules: Vec<Rule>) -> RuleGroup {
        RuleGroup {
            name: name.into(),
            comment: comment.map(String::from),
            interval: None,
            rules,
            needs: Vec::new(),
        }
    }

    /// The group is evaluated every `interval` instead of every `evaluation_interval`.
    pub fn every(mut self, interval: &Duration) -> RuleGroup {
        self.interval = Some(interval.to_string());
        self
    }

    /// The group reads series of these jobs of other components.
    pub fn needing(mut self, jobs: &[&str]) -> RuleGroup {
        self.needs = jobs.iter().map(|j| j.to_string()).collect();
        self
    }

    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.rules.iter().filter_map(|r| match r {
            Rule::Alert(a) => Some(a),
            Rule::Record(_) => None,
        })
    }

    /// The rule's name: the alert or the recorded series.
    pub fn names(&self) -> impl Iterator<Item = (&str, &str)> {
        self.rules.iter().map(|r| match r {
            Rule::Alert(a) => (a.alert.as_str(), a.expr.as_str()),
            Rule::Record(r) => (r.record.as_str(), r.expr.as_str()),
        })
    }
}

/// The group of a component's enabled alerts (`None` for a disabled one); no group when
/// every alert is disabled.
pub fn alert_group(
    name: &str,
    alerts: impl IntoIterator<Item = Option<Rule>>,
) -> Option<RuleGroup> {
    let rules: Vec<Rule> = alerts.into_iter().flatten().collect();
    (!rules.is_empty()).then(|| RuleGroup::new(name, None, rules))
}

/// A recording rule.
pub fn record(record: &str, comment: &str, expr: impl Into<String>) -> Rule {
    Rule::Record(Record {
        record: record.into(),
        comment: (!comment.is_empty()).then(|| comment.to_string()),
        expr: expr.into(),
        labels: BTreeMap::new(),
    })
}

/// What an alert says, before its threshold and runbook are known.
pub struct AlertText<'a> {
    pub name: &'a str,
    pub comment: &'a str,
    pub severity: Severity,
    pub summary: &'a str,
    pub description: String,
}

impl AlertText<'_> {
    /// The alert over `expr`, held `for_duration`, linking `<stack.runbook_base_url>/<name>`.
    pub fn rule(self, stack: &Stack, expr: impl Into<String>, for_duration: &Duration) -> Rule {
        Rule::Alert(Alert {
            alert: self.name.into(),
            comment: (!self.comment.is_empty()).then(|| self.comment.to_string()),
            expr: expr.into(),
            for_duration: for_duration.to_string(),
            severity: self.severity,
            summary: self.summary.into(),
            description: self.description,
            runbook_url: runbook_url(stack, self.name),
            alert_group: None,
            labels: BTreeMap::new(),
            runbook: Runbook::default(),
        })
    }
}

impl Rule {
    /// Makes the alert one stage of the multi-stage condition `group` (a warning before the
    /// critical one). Both stages must read the same series, so that they carry the same
    /// target labels, the ones Alertmanager's inhibit rule compares.
    pub fn stage_of(self, group: &str) -> Rule {
        match self {
            Rule::Alert(a) => Rule::Alert(Alert {
                alert_group: Some(group.into()),
                ..a
            }),
            record @ Rule::Record(_) => record,
        }
    }

    /// Adds labels to the recorded series or the alert.
    pub fn with_labels<'a>(self, labels: impl IntoIterator<Item = (&'a str, String)>) -> Rule {
        let labels = labels.into_iter().map(|(k, v)| (k.to_string(), v));
        match self {
            Rule::Alert(mut a) => {
                a.labels.extend(labels);
                Rule::Alert(a)
            }
            Rule::Record(mut r) => {
                r.labels.extend(labels);
                Rule::Record(r)
            }
        }
    }

    /// Gives the alert its runbook text (a recording rule has none).
    pub fn with_runbook(self, runbook: Runbook) -> Rule {
        match self {
            Rule::Alert(a) => Rule::Alert(Alert { runbook, ..a }),
            record @ Rule::Record(_) => record,
        }
    }
}

impl Check {
    /// A shell command to run first.
    pub fn sh(what: impl Into<String>, command: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            language: "sh",
            command: command.into(),
        }
    }

    /// A PromQL query to run first (Grafana's Explore or Prometheus' graph page).
    pub fn promql(what: impl Into<String>, query: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            language: "promql",
            command: query.into(),
        }
    }

    /// A LogQL query to run first (Grafana's Explore on the Loki datasource).
    pub fn logql(what: impl Into<String>, query: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            language: "logql",
            command: query.into(),
        }
    }
}

/// `<base>/<AlertName>`.
pub fn runbook_url(stack: &Stack, alert: &str) -> String {
    format!("{}/{alert}", stack.runbook_base_url.trim_end_matches('/'))
}

/// A share as people read it: 0.05 → "5%", 0.955 → "95.5%".
pub fn percent(ratio: f64) -> String {
    let rounded = (ratio * 100.0 * 1e6).round() / 1e6;
    format!("{rounded}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(percent(0.05), "5%");
        assert_eq!(percent(0.9), "90%");
        assert_eq!(percent(0.955), "95.5%");
    }

    #[test]
    fn runbook_links_have_one_slash() {
        let stack = Stack {
            runbook_base_url: "https://runbooks.example.com/alerts/".into(),
            ..Stack::default()
        };
        assert_eq!(
            runbook_url(&stack, "PodNotReady"),
            "https://runbooks.example.com/alerts/PodNotReady"
        );
    }
}
