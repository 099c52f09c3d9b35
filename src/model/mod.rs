//! Stage 2: profile text → typed, defaulted settings. Each profile table is deserialized on its
//! own (so a mistake in one does not hide a mistake in another); unknown keys are rejected with a
//! suggestion; value checks that types cannot express run afterwards. No I/O, no Kubernetes.

pub mod endpoints;
pub mod units;

use std::ops::Range;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::diag::{Diagnostic, Failure, Location, did_you_mean};
use crate::profile::Source;
pub use units::{DnsLabel, Duration, HostName, Image, Quantity};

/// Settings shared by every component: the `[stack]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Stack {
    /// Names this installation: `app.kubernetes.io/instance` and the `cluster` external label.
    pub name: DnsLabel,
    /// Namespace every component is deployed into (created by monstack).
    pub namespace: DnsLabel,
    /// StorageClass for every volume; unset uses the cluster's default class.
    pub storage_class: Option<DnsLabel>,
    /// Base of every alert's `runbook_url` annotation (`<base>/<AlertName>`).
    pub runbook_base_url: String,
    /// Namespaces whose application pods, Dapr sidecars and so on are monitored.
    pub app_namespaces: Vec<DnsLabel>,
}

impl Default for Stack {
    fn default() -> Self {
        let label = |s: &str| DnsLabel::parse(s).expect("invariant: default names are valid");
        Stack {
            name: label("monitoring"),
            namespace: label("monitoring"),
            storage_class: None,
            runbook_base_url: "https://runbooks.example.com/alerts".into(),
            app_namespaces: vec![label("default")],
        }
    }
}

/// CPU and memory for one container.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CpuMemory {
    pub cpu: Quantity,
    pub memory: Quantity,
}

/// Requests and limits for one container. Both are required: every pod gets both.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub requests: CpuMemory,
    pub limits: CpuMemory,
}

impl Resources {
    /// Builds resources from literal quantities (component defaults).
    pub fn new(requests: (&str, &str), limits: (&str, &str)) -> Self {
        let q = |s: &str| Quantity::parse(s).expect("invariant: default quantities are valid");
        Resources {
            requests: CpuMemory {
                cpu: q(requests.0),
                memory: q(requests.1),
            },
            limits: CpuMemory {
                cpu: q(limits.0),
                memory: q(limits.1),
            },
        }
    }

    /// Problems with requests above limits, keyed relative to `prefix` (`prometheus.resources`).
    pub fn check(&self, prefix: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (what, req, lim) in [
            ("cpu", &self.requests.cpu, &self.limits.cpu),
            ("memory", &self.requests.memory, &self.limits.memory),
        ] {
            if req.value() > lim.value() {
                problems.push(Problem::error(
                    format!("{prefix}.requests.{what}"),
                    "request-above-limit",
                    format!("the {what} request ({req}) is above the {what} limit ({lim})"),
                    format!("lower requests.{what} to at most {lim}, or raise limits.{what}"),
                ));
            }
        }
        problems
    }
}

/// A value check's finding, keyed by the profile key path it is about.
#[derive(Debug, Clone)]
pub struct Problem {
    pub key: String,
    pub diagnostic: Diagnostic,
}

impl Problem {
    pub fn error(
        key: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Problem {
            key: key.into(),
            diagnostic: Diagnostic::error(code, message).help(help),
        }
    }

    pub fn warning(
        key: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Problem {
            key: key.into(),
            diagnostic: Diagnostic::warning(code, message).help(help),
        }
    }
}

/// Replica count with a sane range, so `replicas = 0` or `= 1000` is caught at render time.
pub fn check_replicas(key: &str, replicas: i32, max: i32) -> Option<Problem> {
    (!(1..=max).contains(&replicas)).then(|| {
        Problem::error(
            key,
            "replicas-out-of-range",
            format!("replicas = {replicas} is outside 1..={max}"),
            format!("set {key} between 1 and {max}; to remove the component set `enabled = false`"),
        )
    })
}

/// The parsed profile: its source and its syntax tree with spans, ready to type section by section.
pub struct Document<'a> {
    pub source: &'a Source,
    root: Spanned<DeTable<'a>>,
}

impl<'a> Document<'a> {
    /// Parses TOML syntax; a syntax error is reported with its position.
    pub fn parse(source: &'a Source) -> Result<Self, Failure> {
        match DeTable::parse(&source.text) {
            Ok(root) => Ok(Document { source, root }),
            Err(err) => {
                let span = err.span().unwrap_or(0..0);
                let d = Diagnostic::error("toml-syntax", format!("the profile is not valid TOML: {}", err.message().trim()))
                    .at(Location::from_span(&source.name, &source.text, span))
                    .help("fix the TOML syntax at the marked position (strings need quotes, tables are [name])");
                Err(Failure {
                    diagnostics: vec![d],
                })
            }
        }
    }

    /// Top-level table names with their spans.
    pub fn tables(&self) -> impl Iterator<Item = (&str, Range<usize>)> {
        self.root
            .get_ref()
            .iter()
            .map(|(k, _)| (k.get_ref().as_ref(), k.span()))
    }

    /// Deserializes the top-level table `name` (an empty table when absent) into `T`.
    pub fn section<T: DeserializeOwned>(&self, name: &str) -> Result<T, Diagnostic> {
        let value = self
            .root
            .get_ref()
            .get(name)
            .cloned()
            .unwrap_or_else(|| Spanned::new(0..0, DeValue::Table(DeTable::new())));
        T::deserialize(ValueDeserializer::from(value)).map_err(|err| self.type_error(name, &err))
    }

    fn type_error(&self, section: &str, err: &toml::de::Error) -> Diagnostic {
        let span = err.span().unwrap_or(0..0);
        let key = self
            .key_path_at(&span)
            .unwrap_or_else(|| section.to_string());
        let message = err.message().trim().to_string();
        let (code, help) = explain(&message, &key);
        let mut d = Diagnostic::error(code, message).key(key);
        if span != (0..0) {
            d = d.at(Location::from_span(
                &self.source.name,
                &self.source.text,
                span,
            ));
        } else {
            d = d.subject(format!("{} [{section}]", self.source.name));
        }
        if let Some(help) = help {
            d = d.help(help);
        }
        d
    }

    /// The dotted key path whose key or value contains `span` (deepest match).
    pub fn key_path_at(&self, span: &Range<usize>) -> Option<String> {
        // A table opened by a `[header]` spans only the header, so tables are always searched.
        fn walk(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<String>) -> bool {
            let inside =
                |r: &Range<usize>| r.start <= span.start && span.end <= r.end.max(r.start + 1);
            for (k, v) in table.iter() {
                path.push(k.get_ref().to_string());
                let here = inside(&k.span()) || inside(&v.span());
                let deeper = match v.get_ref() {
                    DeValue::Table(t) => walk(t, span, path),
                    _ => false,
                };
                if deeper || here {
                    return true;
                }
                path.pop();
            }
            false
        }
        let mut path = Vec::new();
        walk(self.root.get_ref(), span, &mut path).then(|| path.join("."))
    }

    /// The span of a dotted key path's value, or of the nearest existing parent.
    pub fn span_of(&self, key: &str) -> Option<Range<usize>> {
        let mut table = self.root.get_ref();
        let mut found = None;
        for part in key.split('.') {
            let Some(v) = table.get(part) else { break };
            found = Some(v.span());
            match v.get_ref() {
                DeValue::Table(t) => table = t,
                _ => break,
            }
        }
        found
    }

    /// Attaches the position of `problem.key` to its diagnostic.
    pub fn locate(&self, problem: Problem) -> Diagnostic {
        let d = problem.diagnostic.key(problem.key.clone());
        match self.span_of(&problem.key) {
            Some(span) => d.at(Location::from_span(
                &self.source.name,
                &self.source.text,
                span,
            )),
            None => d.subject(self.source.name.clone()),
        }
    }
}

/// A code and a fix for serde's messages, which name the problem but not the cure.
fn explain(message: &str, key: &str) -> (&'static str, Option<String>) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let unknown = rest.split('`').next().unwrap_or_default();
        let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
        let help = match did_you_mean(unknown, expected.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None if expected.is_empty() => "remove this key".to_string(),
            None => format!(
                "remove it; the keys allowed here are: {}",
                expected.join(", ")
            ),
        };
        return ("unknown-key", Some(help));
    }
    if message.starts_with("missing field") {
        return (
            "missing-key",
            Some(format!("add the missing key under [{}]", key)),
        );
    }
    if message.starts_with("invalid type") {
        return (
            "wrong-type",
            Some(format!(
                "check the value of {key} against profiles/production.toml"
            )),
        );
    }
    ("invalid-value", None)
}

/// Deserializes `[stack]`, reporting a problem as a diagnostic.
pub fn resolve_stack(doc: &Document<'_>) -> Result<Stack, Diagnostic> {
    doc.section::<Stack>("stack")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source {
            name: "test.toml".into(),
            text: text.into(),
        }
    }

    #[test]
    fn unknown_key_names_its_path_and_suggests_the_right_one() {
        let src = source("[stack]\nnamespace = \"monitoring\"\nnamspace = \"x\"\n");
        let doc = Document::parse(&src).unwrap();
        let err = resolve_stack(&doc).unwrap_err();
        assert_eq!(err.code, "unknown-key");
        assert_eq!(err.key.as_deref(), Some("stack.namspace"));
        assert_eq!(err.help.as_deref(), Some("did you mean `namespace`?"));
        assert_eq!(err.at.as_ref().map(|a| a.line), Some(3));
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let src = source("[stack]\nname = \n");
        let failure = Document::parse(&src).err().unwrap();
        let at = failure.diagnostics[0].at.clone().unwrap();
        assert_eq!(at.line, 2);
        assert_eq!(failure.diagnostics[0].code, "toml-syntax");
    }

    #[test]
    fn bad_value_is_located_at_the_value() {
        let src = source("[stack]\nnamespace = \"Monitoring\"\n");
        let doc = Document::parse(&src).unwrap();
        let err = resolve_stack(&doc).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("stack.namespace"));
        assert!(
            err.message.contains("not a valid Kubernetes name"),
            "{}",
            err.message
        );
        assert_eq!(err.at.unwrap().column, 13);
    }

    #[test]
    fn requests_above_limits_are_reported_per_resource() {
        let r = Resources::new(("2", "1Gi"), ("1", "2Gi"));
        let problems = r.check("prometheus.resources");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].key, "prometheus.resources.requests.cpu");
    }
}
