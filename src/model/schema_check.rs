//! Every problem of one profile table at once. Deserializing stops at the first bad key or
//! value, so when a table does not deserialize, its merged TOML tree is walked against the
//! table's JSON Schema (generated from the same Rust types, as `monstack schema` prints it):
//! unknown keys, missing keys, wrong types, bad formats, values outside a list or a range.
//! Runs only for a table that failed, so a valid profile pays nothing for it.

use std::ops::Range;

use serde_json::Value;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Document;
use super::units::{Scalar, check_format};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::schema::resolve;

/// The problems of the table `name` (its merged `value`) against `schema`, in source order.
/// `root` is the schema document holding the `$defs` that `schema` refers to.
pub(super) fn check(
    doc: &Document<'_>,
    root: &Value,
    schema: &Value,
    name: &str,
    value: &Spanned<DeValue<'_>>,
) -> Vec<Diagnostic> {
    let mut walk = Walk {
        doc,
        root,
        found: Vec::new(),
    };
    walk.value(schema, value, name);
    walk.found.sort_by_key(|(span, _)| span.start);
    walk.found.into_iter().map(|(_, d)| d).collect()
}

struct Walk<'a, 'd> {
    doc: &'a Document<'d>,
    root: &'a Value,
    found: Vec<(Range<usize>, Diagnostic)>,
}

impl Walk<'_, '_> {
    fn report(&mut self, span: Range<usize>, key: &str, d: Diagnostic) {
        let d = d.key(key);
        let d = if span == (0..0) {
            d.subject(self.doc.main_name().to_string())
        } else {
            d.at(self.doc.location(span.clone()))
        };
        self.found.push((span, d));
    }

    fn value(&mut self, schema: &Value, value: &Spanned<DeValue<'_>>, key: &str) {
        let schema = resolve(self.root, schema);
        if let Some(alternatives) = schema["anyOf"].as_array().or(schema["oneOf"].as_array()) {
            return self.alternatives(alternatives, value, key);
        }
        if let Some(format) = schema["format"].as_str()
            && let Some(scalar) = scalar(value.get_ref())
            && let Some(result) = check_format(format, scalar)
        {
            if let Err(refusal) = result {
                let mut d = Diagnostic::error(refusal.code, refusal.message);
                if let Some(help) = refusal.help {
                    d = d.help(help);
                }
                if refusal.hidden {
                    let at = self.doc.hidden_location(value.span());
                    self.found.push((value.span(), d.key(key).at(at)));
                } else {
                    self.report(value.span(), key, d);
                }
            }
            return;
        }
        if let Some(allowed) = schema["enum"].as_array() {
            return self.one_of(allowed.iter().collect(), value, key);
        }
        if !self.has_type(schema, value, key) {
            return;
        }
        match value.get_ref() {
            DeValue::Table(table) => self.table(schema, table, value.span(), key),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    // A table in a list (`[[slo]]`) is named by its position.
                    let key = match item.get_ref() {
                        DeValue::Table(_) => format!("{key}[{i}]"),
                        _ => key.to_string(),
                    };
                    self.value(&schema["items"], item, &key);
                }
            }
            DeValue::Integer(_) => self.integer_range(schema, value, key),
            _ => {}
        }
    }

    /// `Option<T>` (`T` or null) and enums (`const` alternatives).
    fn alternatives(&mut self, alternatives: &[Value], value: &Spanned<DeValue<'_>>, key: &str) {
        let (nulls, others): (Vec<&Value>, Vec<&Value>) = alternatives
            .iter()
            .partition(|a| resolve(self.root, a)["type"] == "null");
        // TOML has no null: "" is how a profile unsets an optional value.
        if !nulls.is_empty() && value.get_ref().as_str() == Some("") {
            return;
        }
        let consts: Vec<&Value> = others
            .iter()
            .filter_map(|a| resolve(self.root, a).get("const"))
            .collect();
        if !consts.is_empty() && consts.len() == others.len() {
            return self.one_of(consts, value, key);
        }
        match others.as_slice() {
            [single] => self.value(single, value, key),
            // Several shapes: accept the first that has no problem, else report the first's.
            _ => {
                let mut first = None;
                for alternative in &others {
                    let mut trial = Walk {
                        doc: self.doc,
                        root: self.root,
                        found: Vec::new(),
                    };
                    trial.value(alternative, value, key);
                    if trial.found.is_empty() {
                        return;
                    }
                    first.get_or_insert(trial.found);
                }
                self.found.extend(first.unwrap_or_default());
            }
        }
    }

    fn one_of(&mut self, allowed: Vec<&Value>, value: &Spanned<DeValue<'_>>, key: &str) {
        let names: Vec<&str> = allowed.iter().filter_map(|v| v.as_str()).collect();
        let Some(text) = value.get_ref().as_str() else {
            let d = Diagnostic::error(
                Code::WrongType,
                format!(
                    "expected one of {}, found {}",
                    listed(&names),
                    describe(value.get_ref())
                ),
            )
            .help(format!(
                "write one of them in quotes, e.g. `{} = \"{}\"`",
                last_part(key),
                names.first().unwrap_or(&"")
            ));
            return self.report(value.span(), key, d);
        };
        if names.contains(&text) {
            return;
        }
        let message = match did_you_mean(text, names.iter().copied()) {
            Some(best) => format!("`{text}` is not an allowed value: did you mean `{best}`?"),
            None => format!("`{text}` is not an allowed value"),
        };
        let d = Diagnostic::error(Code::InvalidValue, message)
            .help(format!("write one of {}", listed(&names)));
        self.report(value.span(), key, d);
    }

    /// Whether the value has one of the schema's types; reports it when not.
    fn has_type(&mut self, schema: &Value, value: &Spanned<DeValue<'_>>, key: &str) -> bool {
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return true,
        };
        let kind = json_type(value.get_ref());
        let fits = types
            .iter()
            .any(|t| *t == kind || (*t == "number" && kind == "integer"));
        if fits {
            return true;
        }
        let Some(expected) = types.iter().find(|t| **t != "null") else {
            return true;
        };
        let expected = match (*expected, schema["format"].as_str()) {
            ("integer", Some(f)) if f.starts_with("uint") => "a whole number (0 or more)",
            ("integer", _) => "a whole number",
            ("number", _) => "a number",
            ("boolean", _) => "true or false",
            ("string", _) => "a string",
            ("array", _) => "a list",
            _ => "a table",
        };
        let field = last_part(key);
        let list_of_tables = resolve(self.root, &schema["items"])["type"] == "object";
        let help = match (expected, value.get_ref()) {
            (_, DeValue::String(_)) if expected.contains("number") => {
                format!("numbers are written without quotes, e.g. `{field} = 2`")
            }
            ("true or false", _) => {
                format!("write `{field} = true` or `{field} = false`, without quotes")
            }
            ("a string", _) => format!("strings are written in quotes, e.g. `{field} = \"...\"`"),
            ("a list", DeValue::Table(_)) if list_of_tables => {
                format!("write each entry under its own `[[{key}]]` header (two brackets)")
            }
            _ => {
                format!("see `monstack schema` or profiles/production.toml for the form of `{key}`")
            }
        };
        let d = Diagnostic::error(
            Code::WrongType,
            format!("expected {expected}, found {}", describe(value.get_ref())),
        )
        .help(help);
        self.report(value.span(), key, d);
        false
    }

    fn table(&mut self, schema: &Value, table: &DeTable<'_>, span: Range<usize>, key: &str) {
        let properties = schema["properties"].as_object();
        for (name, value) in table.iter() {
            let name_text: &str = name.get_ref();
            let path = format!("{key}.{name_text}");
            if let Some(property) = properties.and_then(|p| p.get(name_text)) {
                self.value(property, value, &path);
            } else if schema["additionalProperties"].is_object() {
                self.value(&schema["additionalProperties"], value, &path);
            } else {
                let known: Vec<&str> = properties
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let help = match did_you_mean(name_text, known.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None if known.is_empty() => "remove this key".to_string(),
                    None => format!("remove it; the keys allowed here are: {}", known.join(", ")),
                };
                let d = Diagnostic::error(
                    Code::UnknownKey,
                    format!("unknown key `{name_text}` in [{key}]"),
                )
                .help(help);
                self.report(name.span(), &path, d);
            }
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            let Some(required) = required.as_str() else {
                continue;
            };
            if table.get(required).is_none() {
                let d = Diagnostic::error(
                    Code::MissingKey,
                    format!("[{key}] needs `{required}`, which has no default"),
                )
                .help(format!("add `{required} = ...` under [{key}]"));
                self.report(span.clone(), key, d);
            }
        }
    }

    /// A whole number within what its Rust type holds and the schema's bounds.
    fn integer_range(&mut self, schema: &Value, value: &Spanned<DeValue<'_>>, key: &str) {
        let Some(integer) = value.get_ref().as_integer() else {
            return;
        };
        let digits = integer.as_str().replace('_', "");
        let digits = digits
            .strip_prefix("0x")
            .or(digits.strip_prefix("0o"))
            .or(digits.strip_prefix("0b"))
            .unwrap_or(&digits);
        let n = i128::from_str_radix(digits, integer.radix()).ok();
        let (min, max) = bounds(schema);
        if n.is_some_and(|n| (min..=max).contains(&n)) {
            return;
        }
        let shown = integer.as_str();
        let d = Diagnostic::error(
            Code::NumberOutOfRange,
            format!(
                "{shown} is out of range: `{}` is a whole number from {min} to {max}",
                last_part(key)
            ),
        )
        .help(format!("write a number from {min} to {max}"));
        self.report(value.span(), key, d);
    }
}

/// The range of an integer schema: its Rust type's (`format`), narrowed by `minimum`/`maximum`.
fn bounds(schema: &Value) -> (i128, i128) {
    let (mut min, mut max): (i128, i128) = match schema["format"].as_str().unwrap_or("int64") {
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "uint8" => (0, u8::MAX.into()),
        "uint16" => (0, u16::MAX.into()),
        "uint32" => (0, u32::MAX.into()),
        "uint64" | "uint" => (0, u64::MAX.into()),
        _ => (i64::MIN.into(), i64::MAX.into()),
    };
    if let Some(m) = schema["minimum"].as_f64() {
        min = min.max(m.ceil() as i128);
    }
    if let Some(m) = schema["maximum"].as_f64() {
        max = max.min(m.floor() as i128);
    }
    (min, max)
}

/// A string or an integer, which a format can read; `None` for other values.
fn scalar<'a>(value: &'a DeValue<'_>) -> Option<Scalar<'a>> {
    match value {
        DeValue::String(s) => Some(Scalar::Str(s)),
        DeValue::Integer(i) => i
            .as_str()
            .replace('_', "")
            .parse::<i64>()
            .ok()
            .filter(|_| i.radix() == 10)
            .map(Scalar::Int),
        _ => None,
    }
}

/// The JSON Schema type of a TOML value.
fn json_type(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "string",
        DeValue::Datetime(_) => "datetime",
        DeValue::Integer(_) => "integer",
        DeValue::Float(_) => "number",
        DeValue::Boolean(_) => "boolean",
        DeValue::Array(_) => "array",
        DeValue::Table(_) => "object",
    }
}

/// A TOML value as a message names it.
fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("the string \"{s}\""),
        DeValue::Integer(i) => format!("the number {}", i.as_str()),
        DeValue::Float(f) => format!("the number {}", f.as_str()),
        DeValue::Boolean(b) => format!("`{b}`"),
        DeValue::Datetime(d) => format!("the date {d}"),
        DeValue::Array(_) => "a list".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

fn listed(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn last_part(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}
