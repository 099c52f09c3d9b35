//! Diagnostics for profile text that is not valid TOML. A key written twice is the one syntax
//! error with a key path: the parser's partial tree holds the first occurrence, which names it.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::diag::{Code, Diagnostic, Location};
use crate::profile::Source;

pub(super) fn syntax_error(source: &Source, err: &toml::de::Error) -> Diagnostic {
    let span = err.span().unwrap_or(0..0);
    let at = Location::from_span(&source.name, &source.text, span.clone());
    let message = err.message().trim();
    if message.starts_with("duplicate key") {
        return duplicate_key(source, span, at);
    }
    let help = if source.is_override() {
        "write --set KEY=VALUE with a dotted key and a TOML value (1, \"a b\", [\"x\", \"y\"]); text that is not TOML is a string, and an empty VALUE unsets an optional value"
    } else {
        "fix the TOML syntax at the marked position (strings need quotes, tables are [name])"
    };
    Diagnostic::error(
        Code::TomlSyntax,
        format!("the profile is not valid TOML: {message}"),
    )
    .at(at)
    .help(help)
}

fn duplicate_key(source: &Source, span: Range<usize>, at: Location) -> Diagnostic {
    let name = source
        .text
        .get(span.clone())
        .unwrap_or_default()
        .trim_matches(['"', '\'']);
    let first = match table_header(&source.text, &span) {
        Some(header) => first_header(&source.text, header, span.start),
        None => {
            let (partial, _) = DeTable::parse_recoverable(&source.text);
            first_definition(partial.get_ref(), name, &span, &mut Vec::new())
        }
    };
    let mut d = match &first {
        Some((path, first_span)) => {
            let first_at = Location::from_span(&source.name, &source.text, first_span.clone());
            Diagnostic::error(
                Code::DuplicateKey,
                format!(
                    "`{path}` is defined twice; the first is at line {}, column {}",
                    first_at.line, first_at.column
                ),
            )
            .key(path.as_str())
        }
        None => Diagnostic::error(Code::DuplicateKey, format!("`{name}` is defined twice")),
    };
    d = d.at(at).help(
        "remove one of the two; to change what a parent profile sets, write the key once in \
         the profile that `extends` it",
    );
    d
}

/// The header (`prometheus.retention`) when the duplicate at `span` is a `[table]` header.
fn table_header<'t>(text: &'t str, span: &Range<usize>) -> Option<&'t str> {
    let before = text.get(..span.start)?.trim_end_matches([' ', '\t']);
    let after = text.get(span.end..)?.trim_start_matches([' ', '\t']);
    (before.ends_with('[') && after.starts_with(']')).then(|| text.get(span.clone()))?
}

/// The first `[header]` line of the same table before `end`. (The parser's partial tree keeps
/// the position of the last one.)
fn first_header(text: &str, header: &str, end: usize) -> Option<(String, Range<usize>)> {
    let mut offset = 0;
    for line in text.get(..end)?.split_inclusive('\n') {
        let code = line.split('#').next().unwrap_or_default().trim();
        let inner = code.strip_prefix('[').and_then(|l| l.strip_suffix(']'));
        if inner.map(str::trim) == Some(header) {
            let start = offset + line.find(header)?;
            return Some((header.to_string(), start..start + header.len()));
        }
        offset += line.len();
    }
    None
}

/// The path and span of the earlier definition of `name` that the duplicate at `span`
/// repeats: within the inline table that holds `span` if there is one, else the last
/// definition before it.
fn first_definition(
    table: &DeTable<'_>,
    name: &str,
    span: &Range<usize>,
    path: &mut Vec<String>,
) -> Option<(String, Range<usize>)> {
    let mut best: Option<(String, Range<usize>)> = None;
    for (key, value) in table.iter() {
        path.push(key.get_ref().to_string());
        let encloses = value.span().start < span.start && span.end <= value.span().end;
        let nested = match value.get_ref() {
            DeValue::Table(t) => first_definition(t, name, span, path),
            _ => None,
        };
        let here = (key.get_ref().as_ref() as &str == name && key.span().start < span.start)
            .then(|| (path.join("."), key.span()));
        path.pop();
        // A match inside an inline table that contains the duplicate is the one it repeats.
        if encloses && nested.is_some() {
            return nested;
        }
        for candidate in [nested, here].into_iter().flatten() {
            if best
                .as_ref()
                .is_none_or(|(_, b)| b.start < candidate.1.start)
            {
                best = Some(candidate);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate(text: &str) -> Diagnostic {
        let source = Source {
            name: "p.toml".into(),
            text: text.into(),
        };
        let err = DeTable::parse(text).expect_err("a duplicate key");
        syntax_error(&source, &err)
    }

    #[test]
    fn a_duplicate_key_names_its_path_and_first_position() {
        for (text, key, first) in [
            (
                "[prometheus]\nreplicas = 2\nreplicas = 3\n",
                "prometheus.replicas",
                "line 2, column 1",
            ),
            (
                "[prometheus]\nreplicas = 2\n[prometheus]\n",
                "prometheus",
                "line 1, column 2",
            ),
            (
                "[prometheus]\nretention.time = \"1d\"\nretention.time = \"2d\"\n",
                "prometheus.retention.time",
                "line 2, column 11",
            ),
            (
                "[alertmanager]\nreplicas = 1\n[prometheus]\nreplicas = 1\nreplicas = 2\n",
                "prometheus.replicas",
                "line 4, column 1",
            ),
            (
                "[prometheus]\nretention = { time = \"1d\", time = \"2d\" }\n",
                "prometheus.retention.time",
                "line 2, column 15",
            ),
        ] {
            let d = duplicate(text);
            assert_eq!(d.code, Code::DuplicateKey, "{text}");
            assert_eq!(d.key.as_deref(), Some(key), "{text}");
            assert!(d.message.contains(first), "{text}: {}", d.message);
        }
    }
}
