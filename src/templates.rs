//! Config files inside ConfigMaps (prometheus.yml, rule files, alertmanager.yml, ...) are
//! rendered from minijinja templates in `templates/`, compiled into the binary. Kubernetes
//! objects are never templated: they are typed structs.
//!
//! Templates render from typed `Serialize` contexts with strict undefined handling, and every
//! YAML result is parsed back in debug builds, so a broken template fails the tests, not the pod.

use anyhow::{Context as _, anyhow};
use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;

/// Every template, by its path under `templates/`.
const SOURCES: &[(&str, &str)] = &[
    (
        "prometheus/prometheus.yml.j2",
        include_str!("../templates/prometheus/prometheus.yml.j2"),
    ),
    (
        "prometheus/rules.yml.j2",
        include_str!("../templates/prometheus/rules.yml.j2"),
    ),
    (
        "alertmanager/alertmanager.yml.j2",
        include_str!("../templates/alertmanager/alertmanager.yml.j2"),
    ),
    (
        "grafana/datasources.yaml.j2",
        include_str!("../templates/grafana/datasources.yaml.j2"),
    ),
    (
        "grafana/dashboards.yaml.j2",
        include_str!("../templates/grafana/dashboards.yaml.j2"),
    ),
];

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn load() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("invariant: the default delimiters are valid"),
        );
        // `yaml` quotes any value as a YAML scalar, so values from the profile cannot change the
        // structure of the file they land in.
        env.add_filter("yaml", yaml_scalar);
        for (name, source) in SOURCES {
            env.add_template(name, source)
                .with_context(|| format!("template {name} does not compile"))?;
        }
        Ok(Templates { env })
    }

    /// Renders `name` with `ctx`; the text has no trailing whitespace on any line (which would
    /// force YAML serializers to quote the whole file instead of using a block scalar).
    pub fn render<T: Serialize>(&self, name: &str, ctx: &T) -> anyhow::Result<String> {
        let text = self
            .env
            .get_template(name)
            .and_then(|t| t.render(Value::from(minijinja::value::Serde(ctx))))
            .map_err(|e| anyhow!("rendering template {name}: {e:#}"))?;
        Ok(tidy(&text))
    }

    /// Renders a YAML config file. Debug builds (every test run, over every shipped profile and
    /// the test profiles) prove it parses; release builds skip the parse, which was a tenth of a
    /// render: values reach templates only through the quoting `yaml` filter, so a profile
    /// cannot change a file's structure, and the real programs' checks read the same text.
    pub fn render_yaml<T: Serialize>(&self, name: &str, ctx: &T) -> anyhow::Result<String> {
        let text = self.render(name, ctx)?;
        #[cfg(debug_assertions)]
        serde_yaml_ng::from_str::<serde::de::IgnoredAny>(&text)
            .with_context(|| format!("template {name} rendered invalid YAML:\n{text}"))?;
        Ok(text)
    }
}

/// A config file rendered straight from typed values (loki.yaml, Jaeger's): no template, so
/// its structure is the type's; the YAML crate stays behind this module and `emit`.
pub fn yaml_of<T: Serialize>(value: &T) -> anyhow::Result<String> {
    crate::emit::yaml::to_string(value).context("serializing a config file")
}

/// A string as a YAML scalar: single-quoted when that needs no escapes (readable regexes and
/// Go templates), JSON double-quoted otherwise; other values as JSON, which YAML accepts.
fn yaml_scalar(v: Value) -> Result<String, minijinja::Error> {
    if let Some(s) = v.as_str()
        && !s.contains('\'')
        && !s.chars().any(char::is_control)
    {
        return Ok(format!("'{s}'"));
    }
    serde_json::to_string(&v)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()))
}

/// Strips trailing whitespace from every line and ends the text with exactly one newline.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for line in text.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    while out.ends_with('\n') {
        out.pop();
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_removes_trailing_spaces_and_blank_tail() {
        assert_eq!(tidy("a:  \n  b: 1\t\n\n\n"), "a:\n  b: 1\n");
    }

    #[test]
    fn yaml_filter_quotes_without_escapes_where_it_can() {
        let q = |v: Value| yaml_scalar(v).unwrap();
        assert_eq!(q(Value::from(r"(\d+);(\d+)")), r"'(\d+);(\d+)'");
        assert_eq!(q(Value::from("it's")), r#""it's""#);
        assert_eq!(q(Value::from("a\nb")), r#""a\nb""#);
        assert_eq!(q(Value::from(3)), "3");
    }

    #[test]
    fn every_template_compiles() {
        Templates::load().unwrap();
    }
}
