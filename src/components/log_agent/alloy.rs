//! A printer for Grafana Alloy's configuration syntax, from typed values: blocks
//! (`name.kind "label" { … }`), attributes (`name = value`), and values (strings, numbers,
//! booleans, lists, objects and references to other components' exports). There is no Alloy
//! parser in Rust; the grammar is the one in grafana/alloy syntax/parser/internal.go and
//! syntax/scanner/scanner.go at v1.18.1, and the printer is proved by golden tests, including
//! strings that try to break out of their quotes.

use std::fmt::Write as _;

/// A value on the right of `=`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Float(f64),
    Bool(bool),
    /// An expression written as is: a reference such as `discovery.kubernetes.pods.targets`
    /// or a call such as `sys.env("HOSTNAME")`. Built only from constants in this crate.
    Expr(&'static str),
    /// `Expr` for references assembled from validated identifiers.
    Reference(String),
    List(Vec<Value>),
    /// `{ key = value, … }` with keys in the given order; keys are quoted strings.
    Object(Vec<(String, Value)>),
}

pub fn str(s: impl Into<String>) -> Value {
    Value::Str(s.into())
}

/// One statement of a body.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Attribute(&'static str, Value),
    Block(Block),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Dotted identifiers, e.g. `loki.source.file` or `stage.json`.
    pub name: &'static str,
    pub label: Option<String>,
    pub body: Vec<Statement>,
}

impl Block {
    pub fn new(name: &'static str, label: Option<&str>) -> Block {
        Block {
            name,
            label: label.map(String::from),
            body: Vec::new(),
        }
    }

    pub fn attr(mut self, name: &'static str, value: Value) -> Block {
        self.body.push(Statement::Attribute(name, value));
        self
    }

    pub fn block(mut self, block: Block) -> Block {
        self.body.push(Statement::Block(block));
        self
    }
}

/// A whole file: top-level blocks separated by blank lines, with `comment` lines on top.
pub fn file(comment: &[&str], blocks: &[Block]) -> String {
    let mut out = String::new();
    for line in comment {
        let _ = writeln!(out, "// {line}");
    }
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 || !comment.is_empty() {
            out.push('\n');
        }
        print_block(&mut out, b, 0);
    }
    out
}

fn indent(out: &mut String, depth: usize) {
    out.push_str(&"  ".repeat(depth));
}

fn print_block(out: &mut String, b: &Block, depth: usize) {
    indent(out, depth);
    out.push_str(b.name);
    if let Some(label) = &b.label {
        out.push(' ');
        out.push_str(&quote(label));
    }
    if b.body.is_empty() {
        out.push_str(" {}\n");
        return;
    }
    out.push_str(" {\n");
    for s in &b.body {
        match s {
            Statement::Attribute(name, value) => {
                indent(out, depth + 1);
                let _ = write!(out, "{name} = ");
                print_value(out, value, depth + 1);
                out.push('\n');
            }
            Statement::Block(inner) => print_block(out, inner, depth + 1),
        }
    }
    indent(out, depth);
    out.push_str("}\n");
}

fn print_value(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Str(s) => out.push_str(&quote(s)),
        Value::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Expr(e) => out.push_str(e),
        Value::Reference(e) => out.push_str(e),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print_value(out, item, depth);
            }
            out.push(']');
        }
        Value::Object(fields) if fields.is_empty() => out.push_str("{}"),
        Value::Object(fields) => {
            out.push_str("{\n");
            for (key, value) in fields {
                indent(out, depth + 1);
                let _ = write!(out, "{} = ", quote(key));
                print_value(out, value, depth + 1);
                out.push_str(",\n");
            }
            indent(out, depth);
            out.push('}');
        }
    }
}

/// A double-quoted Alloy string: Go escapes (scanner.go accepts `\\`, `\"`, `\n`, `\r`, `\t`
/// and `\uXXXX`), so no value can end the string early or start a new statement.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_attributes_and_values_print_as_alloy_writes_them() {
        let b = Block::new("loki.process", Some("pods"))
            .block(Block::new("stage.cri", None))
            .block(Block::new("stage.json", None).attr(
                "expressions",
                Value::Object(vec![("level".into(), str("level"))]),
            ))
            .block(
                Block::new("stage.sampling", None)
                    .attr("rate", Value::Float(0.25))
                    .attr("drop_counter_reason", str("sampling")),
            )
            .attr(
                "forward_to",
                Value::List(vec![Value::Expr("loki.write.default.receiver")]),
            );
        assert_eq!(
            file(&["generated"], &[b]),
            r#"// generated

loki.process "pods" {
  stage.cri {}
  stage.json {
    expressions = {
      "level" = "level",
    }
  }
  stage.sampling {
    rate = 0.25
    drop_counter_reason = "sampling"
  }
  forward_to = [loki.write.default.receiver]
}
"#
        );
    }

    #[test]
    fn hostile_strings_stay_inside_their_quotes() {
        assert_eq!(quote("a\"b"), r#""a\"b""#);
        assert_eq!(quote("x\" }\nevil {"), r#""x\" }\nevil {""#);
        assert_eq!(quote(r"C:\path"), r#""C:\\path""#);
        assert_eq!(quote("bell\u{7}"), r#""bell\u0007""#);
        assert_eq!(quote("tab\tend"), r#""tab\tend""#);
        // Backticks and `//` are plain characters inside a double-quoted string.
        assert_eq!(quote("`// not a comment"), "\"`// not a comment\"");
        let b = Block::new("x", Some("l\"}\n")).attr("a", str("\"\n}"));
        let text = file(&[], &[b]);
        assert_eq!(text, "x \"l\\\"}\\n\" {\n  a = \"\\\"\\n}\"\n}\n");
        assert_eq!(text.lines().count(), 3, "no string added a line:\n{text}");
    }
}
