//! The profile as one TOML tree: the `extends` chain (parents first) and `--set` overrides
//! (last) deep-merged, each value keeping the position it was written at. Tables merge key by
//! key; scalars and arrays replace. Positions stay exact because every source's spans are
//! moved to a range of their own, so one span names one file, line and column.

use std::ops::Range;

use schemars::{JsonSchema, SchemaGenerator};
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

use crate::diag::{Code, Diagnostic, Failure, Location, did_you_mean};
use crate::model::syntax::syntax_error;
use crate::model::{Problem, Typed, schema_check};
use crate::profile::{EXTENDS, Source};

/// The merged profile, ready to be typed table by table.
pub struct Document<'a> {
    sources: &'a [Source],
    /// Where each source's spans start in the shared span space.
    bases: Vec<usize>,
    root: DeTable<'a>,
    /// Findings about the profile files themselves (a file that sets nothing).
    warnings: Vec<Diagnostic>,
}

impl<'a> Document<'a> {
    /// Parses every source and merges them in order; reports every syntax error.
    pub fn parse(sources: &'a [Source]) -> Result<Self, Failure> {
        let mut bases = Vec::with_capacity(sources.len());
        let mut next = 0;
        for s in sources {
            bases.push(next);
            next += s.text.len() + 1;
        }
        let mut root = DeTable::new();
        let (mut diagnostics, mut warnings) = (Vec::new(), Vec::new());
        for (source, &base) in sources.iter().zip(&bases) {
            match DeTable::parse(&source.text) {
                Ok(table) => {
                    if table.get_ref().is_empty() && !source.is_override() {
                        warnings.push(sets_nothing(source));
                    }
                    let mut table = shift_table(table.into_inner(), base);
                    table.remove(EXTENDS);
                    merge(&mut root, table);
                }
                Err(err) => diagnostics.push(syntax_error(source, &err)),
            }
        }
        if diagnostics.is_empty() {
            Ok(Document {
                sources,
                bases,
                root,
                warnings,
            })
        } else {
            Err(Failure { diagnostics })
        }
    }

    /// Warnings about the profile files themselves, such as a file that sets nothing.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The position of a span of the shared span space.
    pub fn location(&self, span: Range<usize>) -> Location {
        let i = self
            .bases
            .partition_point(|&b| b <= span.start)
            .saturating_sub(1);
        let (source, base) = (&self.sources[i], self.bases[i]);
        Location::from_span(
            &source.name,
            &source.text,
            span.start - base..span.end.saturating_sub(base),
        )
    }

    /// The file the profile's own settings come from (the last file, before overrides).
    pub fn main_name(&self) -> &str {
        self.sources
            .iter()
            .rev()
            .find(|s| !s.is_override())
            .map_or("", |s| s.name.as_str())
    }

    /// The position of a value that may be a credential: the value is masked in the quoted
    /// line, and in the name of a `--set` source, which repeats it.
    pub fn hidden_location(&self, span: Range<usize>) -> Location {
        let i = self
            .bases
            .partition_point(|&b| b <= span.start)
            .saturating_sub(1);
        let (source, base) = (&self.sources[i], self.bases[i]);
        let start = (span.start - base).min(source.text.len());
        let end = span
            .end
            .saturating_sub(base)
            .clamp(start, source.text.len());
        let (Some(before), Some(after)) = (source.text.get(..start), source.text.get(end..)) else {
            return Location::from_span(&source.hidden_name(), "", 0..0);
        };
        let masked = format!("{before}{HIDDEN}{after}");
        Location::from_span(&source.hidden_name(), &masked, start..start + HIDDEN.len())
    }

    /// Top-level table names with their spans.
    pub fn tables(&self) -> impl Iterator<Item = (&str, Range<usize>)> {
        self.root
            .iter()
            .map(|(k, _)| (k.get_ref().as_ref(), k.span()))
    }

    /// Deserializes the top-level table `name` (an empty table when absent) into `T`. When
    /// that fails, the table is checked against `T`'s schema so that every problem in it is
    /// reported, not only the first one deserializing met.
    pub fn section<T: DeserializeOwned + JsonSchema>(&self, name: &str) -> Typed<T> {
        let empty = Spanned::new(0..0, DeValue::Table(DeTable::new()));
        let value = self.root.get(name).unwrap_or(&empty);
        T::deserialize(ValueDeserializer::from(value.clone())).map_err(|err| {
            let schema = SchemaGenerator::default()
                .into_root_schema_for::<T>()
                .to_value();
            let found = schema_check::check(self, &schema, &schema, name, value);
            if found.is_empty() {
                // The schema cannot say everything deserializing checks.
                vec![self.type_error(name, &err)]
            } else {
                found
            }
        })
    }

    /// Every problem of every table against the profile schema (`schema::profile_schema`),
    /// whether or not the table deserializes. The compiler checks only tables that fail;
    /// tests use this to prove the check never refuses what deserializing accepts.
    pub fn schema_problems(&self, schema: &serde_json::Value) -> Vec<Diagnostic> {
        self.root
            .iter()
            .filter_map(|(name, value)| {
                let table = schema["properties"].get(name.get_ref().as_ref() as &str)?;
                Some(schema_check::check(
                    self,
                    schema,
                    table,
                    name.get_ref(),
                    value,
                ))
            })
            .flatten()
            .collect()
    }

    fn type_error(&self, section: &str, err: &toml::de::Error) -> Diagnostic {
        let span = err.span().unwrap_or(0..0);
        let key = self
            .key_path_at(&span)
            .unwrap_or_else(|| section.to_string());
        let message = plain_types(err.message().trim());
        let (code, help) = explain(&message, &key);
        let mut d = Diagnostic::error(code, message).key(key);
        d = if span == (0..0) {
            d.subject(format!("{} [{section}]", self.main_name()))
        } else {
            d.at(self.location(span))
        };
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
        walk(&self.root, span, &mut path).then(|| path.join("."))
    }

    /// The span of a dotted key path's value, or of the nearest existing parent. A part may
    /// index an array of tables: `slo[1].objective`.
    pub fn span_of(&self, key: &str) -> Option<Range<usize>> {
        let mut table = &self.root;
        let mut found = None;
        for part in key.split('.') {
            let (name, index) = split_index(part);
            let Some(mut v) = table.get(name) else { break };
            if let (Some(i), DeValue::Array(items)) = (index, v.get_ref()) {
                match items.get(i) {
                    Some(item) => v = item,
                    None => break,
                }
            }
            found = Some(v.span());
            match v.get_ref() {
                DeValue::Table(t) => table = t,
                _ => break,
            }
        }
        found.filter(|s| *s != (0..0))
    }

    /// Attaches the position of `problem.key` to its diagnostic.
    pub fn locate(&self, problem: Problem) -> Diagnostic {
        let d = problem.diagnostic.key(problem.key.clone());
        match self.span_of(&problem.key) {
            Some(span) => d.at(self.location(span)),
            None => d.subject(self.main_name().to_string()),
        }
    }
}

/// `slo[1]` → (`slo`, Some(1)); `slo` → (`slo`, None).
pub(crate) fn split_index(part: &str) -> (&str, Option<usize>) {
    part.strip_suffix(']')
        .and_then(|p| p.split_once('['))
        .and_then(|(name, i)| Some((name, Some(i.parse().ok()?))))
        .unwrap_or((part, None))
}

/// What a diagnostic shows instead of a value that may be a credential.
const HIDDEN: &str = "\"***\"";

/// A profile of comments only is valid TOML and renders the built-in defaults, which is
/// rarely what its author meant.
fn sets_nothing(source: &Source) -> Diagnostic {
    Diagnostic::warning(
        Code::ProfileSetsNothing,
        format!(
            "{} sets nothing (it has only comments), so the built-in defaults are rendered",
            source.name
        ),
    )
    .at(Location::from_span(&source.name, &source.text, 0..0))
    .help("set what differs from the defaults, e.g. [stack] name = \"my-stack\", or `extends` a shipped profile")
}

/// Moves every span of a parsed source by `base`.
fn shift_table(table: DeTable<'_>, base: usize) -> DeTable<'_> {
    let mut out = DeTable::new();
    for (k, v) in table {
        let key = Spanned::new(shift(k.span(), base), k.into_inner());
        out.insert(key, shift_value(v, base));
    }
    out
}

fn shift_value(v: Spanned<DeValue<'_>>, base: usize) -> Spanned<DeValue<'_>> {
    let span = shift(v.span(), base);
    let value = match v.into_inner() {
        DeValue::Table(t) => DeValue::Table(shift_table(t, base)),
        DeValue::Array(a) => {
            let mut out = DeArray::new();
            for item in a.iter().cloned() {
                out.push(shift_value(item, base));
            }
            DeValue::Array(out)
        }
        other => other,
    };
    Spanned::new(span, value)
}

fn shift(span: Range<usize>, base: usize) -> Range<usize> {
    span.start + base..span.end + base
}

/// Deep-merges `top` over `bottom`: tables merge key by key, anything else replaces.
fn merge<'a>(bottom: &mut DeTable<'a>, top: DeTable<'a>) {
    for (key, value) in top {
        let merged = match (
            bottom.get_mut(key.get_ref().as_ref() as &str),
            value.get_ref(),
        ) {
            (Some(existing), DeValue::Table(_)) if existing.get_ref().is_table() => {
                let span = value.span();
                let DeValue::Table(top_table) = value.into_inner() else {
                    unreachable!("matched as a table above")
                };
                let DeValue::Table(table) = existing.get_mut() else {
                    unreachable!("checked to be a table")
                };
                merge(table, top_table);
                // Keep the child's position for the table: it is the one the user edits.
                if span != (0..0) {
                    *existing = Spanned::new(span, existing.get_ref().clone());
                }
                continue;
            }
            _ => value,
        };
        bottom.remove(key.get_ref().as_ref() as &str);
        bottom.insert(key, merged);
    }
}

/// serde names Rust types ("expected i32"); users wrote TOML.
fn plain_types(message: &str) -> String {
    let mut out = message.to_string();
    for (rust, plain) in [
        ("expected i32", "expected a whole number"),
        ("expected u32", "expected a whole number (0 or more)"),
        ("expected u64", "expected a whole number (0 or more)"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected a boolean (true or false)"),
        ("struct ", ""),
    ] {
        out = out.replace(rust, plain);
    }
    out
}

/// A code and a fix for serde's messages, which name the problem but not the cure.
fn explain(message: &str, key: &str) -> (Code, Option<String>) {
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
        return (Code::UnknownKey, Some(help));
    }
    if message.starts_with("missing field") {
        return (
            Code::MissingKey,
            Some(format!("add the missing key under [{key}]")),
        );
    }
    if message.starts_with("invalid type") {
        let field = key.rsplit('.').next().unwrap_or(key);
        let help = if message.contains("expected a whole number")
            || message.contains("expected a number")
        {
            format!("numbers are written without quotes, e.g. `{field} = 2`")
        } else if message.contains("expected a boolean") {
            format!("write `{field} = true` or `{field} = false`, without quotes")
        } else {
            format!("see `monstack schema` or profiles/production.toml for the form of `{key}`")
        };
        return (Code::WrongType, Some(help));
    }
    (Code::InvalidValue, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(texts: &[(&str, &str)]) -> Vec<Source> {
        texts
            .iter()
            .map(|(name, text)| Source {
                name: name.to_string(),
                text: text.to_string(),
            })
            .collect()
    }

    #[test]
    fn child_values_replace_and_tables_merge() {
        let srcs = sources(&[
            (
                "parent.toml",
                "[prometheus]\nreplicas = 2\nscrape_interval = \"15s\"\n[prometheus.scrape]\ndapr = true\n",
            ),
            (
                "child.toml",
                "extends = \"parent.toml\"\n[prometheus]\nreplicas = 1\n",
            ),
        ]);
        let doc = Document::parse(&srcs).unwrap();
        let p = doc
            .root
            .get("prometheus")
            .unwrap()
            .get_ref()
            .as_table()
            .unwrap();
        assert_eq!(
            p.get("replicas")
                .unwrap()
                .get_ref()
                .as_integer()
                .unwrap()
                .as_str(),
            "1"
        );
        assert_eq!(
            p.get("scrape_interval").unwrap().get_ref().as_str(),
            Some("15s")
        );
        assert!(p.get("scrape").is_some());
        assert!(doc.root.get(EXTENDS).is_none());
    }

    #[test]
    fn positions_name_the_file_that_wrote_the_value() {
        let srcs = sources(&[
            ("parent.toml", "[stack]\nnamespace = \"Bad\"\n"),
            ("child.toml", "[stack]\nname = \"x\"\n"),
        ]);
        let doc = Document::parse(&srcs).unwrap();
        let err = crate::model::resolve_stack(&doc).unwrap_err();
        let at = err[0].at.clone().unwrap();
        assert_eq!(
            (at.file.as_str(), at.line, at.column),
            ("parent.toml", 2, 13)
        );
    }

    #[test]
    fn the_schema_check_accepts_every_shipped_profile() {
        use crate::profile::{PRESET_COST_OPTIMIZED, PRESET_DEV, PRESET_PRODUCTION};
        let schema = crate::schema::profile_schema();
        for child in [None, Some(PRESET_COST_OPTIMIZED), Some(PRESET_DEV)] {
            let mut texts = vec![("production.toml", PRESET_PRODUCTION)];
            texts.extend(child.map(|c| ("child.toml", c)));
            let srcs = sources(&texts);
            let doc = Document::parse(&srcs).unwrap();
            assert_eq!(doc.schema_problems(&schema), [], "{child:?}");
        }
    }

    #[test]
    fn syntax_errors_of_every_file_are_reported() {
        let srcs = sources(&[("a.toml", "x = \n"), ("b.toml", "[y\n")]);
        let failure = Document::parse(&srcs).err().unwrap();
        let files: Vec<_> = failure
            .diagnostics
            .iter()
            .map(|d| d.at.clone().unwrap().file)
            .collect();
        assert_eq!(files, ["a.toml", "b.toml"]);
    }
}
