//! PromQL parsing for every check that reads an expression (rules, dashboards, SLO
//! selectors), without compiling a regex per matcher. `promql-parser` compiles every `=~`
//! and `!~` matcher's regex (about 250 k instructions each, most of the cost of checking the
//! stack's ~100 rule expressions), although the checks here never match a series. The stack
//! repeats a handful of regexes (`!~"5.."` in 16 rules), so each distinct `op + literal` is
//! judged once (from its `regex-syntax` tree when that is exact, else by the parser itself on
//! one-matcher probes; `judge`), and every occurrence is then written as an equality matcher
//! that the parser treats the same way:
//!
//! - a valid regex matcher that does not match the empty string becomes `!=""`, one that does
//!   becomes `!="x"`: the parser's only use of the regex is "does every matcher of a
//!   nameless selector match the empty string", and both answers are kept;
//! - an invalid regex is left as written, so the parse reports it exactly as before.
//!
//! The selector checks read only equality matchers (`job="..."`, `__name__="..."`), and `!=`
//! is not one, so what they find does not change. Any parse error is taken from the original
//! text, so messages never show the rewritten expression.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use promql_parser::parser::{self, Expr};
use regex_syntax::hir::Look;

/// What one `op literal` regex matcher is, as the parser would judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judged {
    /// Valid; the matcher does not match the empty string.
    NotEmpty,
    /// Valid; the matcher matches the empty string.
    MatchesEmpty,
    /// The parser refuses it: left in place for the parse to report.
    Refused,
}

impl Judged {
    fn replacement(self) -> Option<&'static str> {
        match self {
            Judged::NotEmpty => Some("!=\"\""),
            Judged::MatchesEmpty => Some("!=\"x\""),
            Judged::Refused => None,
        }
    }
}

thread_local! {
    /// `op + literal` → judgement. A pure function of its key, so sharing it between renders
    /// changes no result.
    static JUDGED: RefCell<HashMap<String, Judged>> = RefCell::new(HashMap::new());
}

/// Parses `expr` as `promql_parser::parser::parse` does, with regex matchers judged once per
/// distinct regex (module doc).
pub fn parse(expr: &str) -> Result<Expr, String> {
    match without_regex_matchers(expr) {
        Cow::Borrowed(_) => parser::parse(expr),
        Cow::Owned(rewritten) => parser::parse(&rewritten).or_else(|_| parser::parse(expr)),
    }
}

/// The parser's judgement of matcher `op literal`. A short pattern without counted
/// repetition is read by `regex-syntax` (what the `regex` crate compiles from) and judged
/// from its syntax tree, which is exact there: valid, and matching the empty string exactly
/// when its shortest match is empty and it tests no look-around but the anchors. Anything
/// else is judged by probes of the parser itself, which compile the regex: compiling builds
/// automata in hundreds of kilobytes of fresh memory, a page fault per 4 KB.
fn judge(op: &str, literal: &str) -> Judged {
    let Some(pattern) = string_value(literal) else {
        return Judged::Refused;
    };
    match judge_syntax(&pattern) {
        Some(matches_empty) if matches_empty == (op == "=~") => Judged::MatchesEmpty,
        Some(_) => Judged::NotEmpty,
        None => judge_by_probes(op, literal),
    }
}

/// The value of a PromQL string literal, unescaped by the parser (an equality matcher compiles
/// nothing; `b` keeps the selector valid when the value is empty).
fn string_value(literal: &str) -> Option<String> {
    match parser::parse(&format!("{{a={literal},b=\"x\"}}")) {
        Ok(Expr::VectorSelector(vs)) => vs.matchers.matchers.first().map(|m| m.value.clone()),
        _ => None,
    }
}

/// Whether `^(?:pattern)$` matches the empty string, when the syntax tree alone tells.
fn judge_syntax(pattern: &str) -> Option<bool> {
    const SHORT: usize = 200;
    if pattern.len() > SHORT || pattern.contains('{') {
        return None;
    }
    let hir = regex_syntax::Parser::new()
        .parse(&format!("^(?:{pattern})$"))
        .ok()?;
    let anchors_only = hir
        .properties()
        .look_set()
        .remove(Look::Start)
        .remove(Look::End)
        .is_empty();
    anchors_only.then(|| hir.properties().minimum_len() == Some(0))
}

/// The parser's judgement from probes with a single label: alone, the selector parses only
/// when the matcher does not match the empty string; beside `b="x"`, whenever the regex is
/// valid.
fn judge_by_probes(op: &str, literal: &str) -> Judged {
    if parser::parse(&format!("{{a{op}{literal}}}")).is_ok() {
        Judged::NotEmpty
    } else if parser::parse(&format!("{{a{op}{literal},b=\"x\"}}")).is_ok() {
        Judged::MatchesEmpty
    } else {
        Judged::Refused
    }
}

fn judged(op: &str, literal: &str) -> Judged {
    let key = format!("{op}{literal}");
    if let Some(j) = JUDGED.with(|m| m.borrow().get(&key).copied()) {
        return j;
    }
    let j = judge(op, literal);
    JUDGED.with(|m| m.borrow_mut().insert(key, j));
    j
}

/// `expr` with every judged regex matcher replaced (module doc); borrowed when there is none.
fn without_regex_matchers(expr: &str) -> Cow<'_, str> {
    let bytes = expr.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'' | b'`') => i = string_end(bytes, i, quote),
            b'#' => {
                i = bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |n| i + n)
            }
            b'=' | b'!' if bytes.get(i + 1) == Some(&b'~') => {
                let start = i + 2 + leading_spaces(&bytes[i + 2..]);
                let Some(&quote @ (b'"' | b'\'' | b'`')) = bytes.get(start) else {
                    i += 2;
                    continue;
                };
                let end = string_end(bytes, start, quote);
                if let Some(replacement) = judged(&expr[i..i + 2], &expr[start..end]).replacement()
                {
                    out.push_str(&expr[copied..i]);
                    out.push_str(replacement);
                    copied = end;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(expr);
    }
    out.push_str(&expr[copied..]);
    Cow::Owned(out)
}

fn leading_spaces(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_whitespace()).count()
}

/// The index just past the string literal opening at `start` (the end of `bytes` when it is
/// unterminated: the parse reports that). Backquoted strings have no escapes.
fn string_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote != b'`' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use promql_parser::label::MatchOp;
    use promql_parser::util::{ExprVisitor, walk_expr};

    fn rewritten(expr: &str) -> String {
        without_regex_matchers(expr).into_owned()
    }

    #[test]
    fn regex_matchers_become_equivalent_equality_matchers() {
        assert_eq!(
            rewritten(r#"a{code!~"5..", b=~ '.+'}"#),
            r#"a{code!="x", b!=""}"#
        );
        assert_eq!(rewritten(r#"a{b=~".*"}"#), r#"a{b!="x"}"#);
        assert_eq!(rewritten(r#"a{b=~"1|1\\.0"}"#), r#"a{b!=""}"#);
    }

    /// The syntax-tree judgement agrees with the parser's probes wherever it gives one.
    #[test]
    fn judging_by_syntax_agrees_with_the_parser() {
        let patterns = [
            "",
            ".*",
            ".+",
            "5..",
            "a|b",
            "a|",
            "(a|b)?",
            "x\\\\.y",
            "[^\\\\s\\\\S]",
            "a*b*",
            "\\\\d+",
            "(?i)ok",
            "\\\\p{L}",
            "^$",
            "^a$",
            "\\\\b",
            "\\\\B",
            "a\\\\b",
            "(?m)^$",
            "[[:alpha:]]*",
            "(",
        ];
        for op in ["=~", "!~"] {
            for p in patterns {
                let literal = format!("\"{p}\"");
                assert_eq!(
                    judge(op, &literal),
                    judge_by_probes(op, &literal),
                    "{op}{literal}"
                );
            }
        }
    }

    #[test]
    fn strings_and_comments_are_not_rewritten() {
        let text = "label_replace(a, \"x\", \"=~\\\"y\\\"\", \"b\", \"c\") # {d=~\"e\"}\n";
        assert!(matches!(without_regex_matchers(text), Cow::Borrowed(_)));
    }

    #[test]
    fn invalid_regexes_are_left_for_the_parser_to_report() {
        let text = r#"a{b=~"(unclosed"}"#;
        assert_eq!(rewritten(text), text);
        assert_eq!(parse(text).unwrap_err(), parser::parse(text).unwrap_err());
    }

    /// A selector's metric name and its `=` matchers (label, value).
    type Equalities = (Option<String>, Vec<(String, String)>);

    /// Every selector's name and `=` matchers, in walk order.
    fn equality_matchers(expr: &Expr) -> Vec<Equalities> {
        struct Found(Vec<Equalities>);
        impl ExprVisitor for Found {
            type Error = std::convert::Infallible;
            fn pre_visit(&mut self, expr: &Expr) -> Result<bool, Self::Error> {
                if let Expr::VectorSelector(vs) = expr {
                    let equal = vs
                        .matchers
                        .matchers
                        .iter()
                        .filter(|m| m.op == MatchOp::Equal);
                    let equal = equal.map(|m| (m.name.clone(), m.value.clone())).collect();
                    self.0.push((vs.name.clone(), equal));
                }
                Ok(true)
            }
        }
        let mut found = Found(Vec::new());
        let Ok(_) = walk_expr(&mut found, expr);
        found.0
    }

    /// Whatever the rewrite, the parser accepts and refuses exactly what it would have, with
    /// the same message and the same equality matchers.
    #[test]
    fn parsing_agrees_with_the_parser_on_every_form() {
        let regexes = [
            "\".+\"",
            "\".*\"",
            "\"\"",
            "\"5..\"",
            "'a|b'",
            "`x\\.y`",
            "\"(\"",
            "\"a{2,\"",
            "\"aaa{bbb}ccc\"",
            "\"\\\\d+\"",
            "\"\\\\p{L}\"",
        ];
        for op in ["=~", "!~"] {
            for re in regexes {
                for expr in [
                    format!("{{a{op}{re}}}"),
                    format!("m{{a{op}{re}}}"),
                    format!("{{a{op}{re}, job=\"j\"}}"),
                    format!("{{a{op}{re}, b!=\"\"}}"),
                    format!("sum by (x) (rate(m{{a {op} {re}}}[5m])) / {{__name__{op}{re}}}"),
                    format!("{{a{op}{re}"),
                    format!("sum(m{{a{op}{re}}}"),
                ] {
                    let ours = parse(&expr).map(|e| equality_matchers(&e));
                    let theirs = parser::parse(&expr).map(|e| equality_matchers(&e));
                    match (&ours, &theirs) {
                        (Ok(a), Ok(b)) => assert_eq!(a, b, "{expr}"),
                        (Err(a), Err(b)) => assert_eq!(a, b, "{expr}"),
                        _ => panic!("`{expr}`: {ours:?} but the parser says {theirs:?}"),
                    }
                }
            }
        }
    }
}
