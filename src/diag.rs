//! User-facing problems: a `Diagnostic` names where (file, line, column, key path), what is
//! wrong and how to fix it. Every stage reports through it; `anyhow` is only for I/O and bugs.

pub mod code;
mod render;

use std::fmt;
use std::ops::Range;
use std::process::ExitCode;

pub use code::Code;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a profile: file, line and column of the offending text, and as much of its
/// line as a message can show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The line up to a little past the marked text, for the caret display; `None` when the
    /// marked text starts too far into the line to show (a line of junk can be megabytes).
    pub source_line: Option<String>,
    /// Characters (from `column`) the caret underlines.
    pub width: usize,
}

/// How far into a line the marked text may start and still be shown.
const MAX_SHOWN_COLUMN: usize = 400;
/// How much of a line is kept past the start of the marked text.
const MAX_SHOWN_AFTER: usize = 200;

impl Location {
    /// Locates `span` (byte offsets) in `text`.
    pub fn from_span(file: &str, text: &str, span: Range<usize>) -> Self {
        let start = floor_char_boundary(text, span.start);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(text, span.end.clamp(start, line_end));
        let marked = text[start..end].chars().count().max(1);
        let shown = (column <= MAX_SHOWN_COLUMN).then(|| {
            let line_text = text[line_start..line_end].trim_end_matches('\r');
            let keep = column - 1 + MAX_SHOWN_AFTER;
            match line_text.char_indices().nth(keep) {
                Some((cut, _)) => format!("{}...", &line_text[..cut]),
                None => line_text.to_string(),
            }
        });
        Location {
            file: file.to_string(),
            line,
            column,
            width: marked.min(MAX_SHOWN_AFTER),
            source_line: shown,
        }
    }
}

/// The largest char boundary of `text` at or before `i` (spans from a parser always are one;
/// this keeps a bad span from panicking).
fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable kebab-case code users can grep for (`monstack explain CODE`).
    pub code: Code,
    pub message: String,
    /// Dotted key path in the profile (`prometheus.resources.limits.memory`), when known.
    pub key: Option<String>,
    pub at: Option<Location>,
    /// Where there is no source position: the file or object the problem is about.
    pub subject: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: bounded(message.into()),
            key: None,
            at: None,
            subject: None,
            help: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, at: Location) -> Self {
        self.at = Some(at);
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(bounded(help.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl Diagnostic {
    /// The diagnostic as shown to people: code and message, the source line with the
    /// offending text marked, the key and the fix. `styled` adds ANSI colours, which
    /// `print_stderr` strips again where colour is not wanted.
    pub fn render(&self, styled: bool) -> String {
        render::diagnostic(self, styled)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// Why a compilation stopped: the diagnostics that block it (and any warnings seen so far).
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
}

impl Failure {
    /// The machine-readable report `--format json` prints.
    pub fn json(diagnostics: &[Diagnostic], valid: bool) -> serde_json::Value {
        let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
        serde_json::json!({
            "valid": valid,
            "errors": count(Severity::Error),
            "warnings": count(Severity::Warning),
            "diagnostics": diagnostics,
        })
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// Prints every diagnostic to stderr and returns the "invalid input" exit code.
    pub fn report(&self) -> ExitCode {
        print_stderr(&self.render(true));
        ExitCode::from(crate::EXIT_INVALID)
    }

    pub fn render(&self, styled: bool) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&d.render(styled));
            out.push_str("\n\n");
        }
        let errors = self.errors().count();
        let warnings = self.diagnostics.len() - errors;
        out.push_str(&format!(
            "{errors} error{}{} found; nothing was written.\n",
            if errors == 1 { "" } else { "s" },
            match warnings {
                0 => String::new(),
                1 => " and 1 warning".to_string(),
                n => format!(" and {n} warnings"),
            }
        ));
        out
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// How many characters of a quoted value a message shows.
const MAX_QUOTED: usize = 80;
/// How many characters a message or help text has at most.
const MAX_TEXT: usize = 1000;

/// Messages quote what the user wrote (`` `50GB` is not ... ``), and what the user wrote can be
/// megabytes: long quoted values are shortened, and so is the whole text.
fn bounded(text: String) -> String {
    if text.chars().count() <= MAX_QUOTED {
        return text;
    }
    let mut out = String::with_capacity(text.len().min(MAX_TEXT + 3));
    let mut quote: Option<(char, usize)> = None;
    let mut shown = 0;
    for c in text.chars() {
        match quote {
            Some((q, _)) if c == q => quote = None,
            Some((_, ref mut n)) => {
                *n += 1;
                if *n > MAX_QUOTED {
                    if *n == MAX_QUOTED + 1 {
                        out.push_str("...");
                    }
                    continue;
                }
            }
            None if c == '`' || c == '"' => quote = Some((c, 0)),
            None => {}
        }
        if shown == MAX_TEXT {
            out.push_str("...");
            break;
        }
        out.push(c);
        shown += 1;
    }
    out
}

/// Prints warnings of a compilation that goes on, each followed by a blank line.
pub fn print_warnings(warnings: &[Diagnostic]) {
    for w in warnings {
        print_stderr(&format!("{}\n\n", w.render(true)));
    }
}

/// Writes styled text to stderr. The one place that decides about colour: anstream keeps it
/// on a terminal and strips it when stderr is not one, when NO_COLOR is set
/// (https://no-color.org) or TERM=dumb, and honours CLICOLOR_FORCE.
pub fn print_stderr(text: &str) {
    use std::io::Write;
    // A closed stderr leaves nowhere to report to.
    let _ = anstream::stderr().write_all(text.as_bytes());
}

/// Whether styled text written to stdout keeps its colour (the same rules as `print_stderr`).
pub fn stdout_is_styled() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Suggests the candidate closest to `word` (Levenshtein distance ≤ 1/3 of its length).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.len() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_columns_from_one() {
        let text = "[a]\nkey = 1\n";
        let at = Location::from_span("p.toml", text, 4..7);
        assert_eq!((at.line, at.column, at.width), (2, 1, 3));
        assert_eq!(at.source_line.as_deref(), Some("key = 1"));
    }

    #[test]
    fn a_long_line_is_cut_after_the_marked_text_and_not_shown_far_in() {
        let line = format!("key = \"{}\"", "x".repeat(10_000));
        let at = Location::from_span("p.toml", &line, 6..line.len());
        let shown = at.source_line.unwrap();
        assert_eq!(
            shown.chars().count(),
            "key = ".len() + MAX_SHOWN_AFTER + "...".len()
        );
        assert!(shown.starts_with("key = \"xx") && shown.ends_with("x..."));
        assert_eq!(at.width, MAX_SHOWN_AFTER);

        let far = Location::from_span("p.toml", &line, 9000..9001);
        assert_eq!((far.line, far.column, &far.source_line), (1, 9001, &None));
        let text = Diagnostic::error(Code::TomlSyntax, "junk")
            .at(far)
            .render(false);
        assert!(text.contains("--> p.toml:1:9001"), "{text}");
        assert!(text.len() < 200, "{text}");
    }

    #[test]
    fn long_quoted_values_are_shortened_in_messages() {
        let value = "a".repeat(10_000);
        let d = Diagnostic::error(Code::InvalidValue, format!("image `{value}` has no tag"))
            .help(format!("write e.g. \"{value}:v1\""));
        let shortened = format!("`{}...` has no tag", "a".repeat(MAX_QUOTED));
        assert!(d.message.ends_with(&shortened), "{}", d.message);
        assert_eq!(
            d.help.as_deref(),
            Some(format!("write e.g. \"{}...\"", "a".repeat(MAX_QUOTED)).as_str())
        );
        let plain = Diagnostic::error(Code::InvalidValue, "word ".repeat(1000));
        assert_eq!(plain.message.chars().count(), MAX_TEXT + 3);
        let short = "`50GB` is not a Kubernetes quantity";
        assert_eq!(Diagnostic::error(Code::InvalidValue, short).message, short);
    }

    #[test]
    fn renders_position_line_mark_key_and_help() {
        let text = "[a]\nkey = 1\n";
        let d = Diagnostic::error(Code::UnknownKey, "unknown field `key`")
            .key("a.key")
            .at(Location::from_span("p.toml", text, 4..7))
            .help("remove it");
        assert_eq!(
            d.render(false),
            "error[unknown-key]: unknown field `key`\n --> p.toml:2:1\n  |\n2 | key = 1\n  | ^^^\n  |\n  = key: a.key\n  = help: remove it"
        );
    }

    #[test]
    fn colour_only_decorates_the_plain_text() {
        let d = Diagnostic::warning(Code::ReceiverUnused, "unused")
            .subject("profile.toml")
            .help("route to it");
        let colored = d.render(true);
        assert!(colored.contains('\x1b'), "{colored:?}");
        let stripped = anstream::adapter::strip_str(&colored).to_string();
        assert_eq!(stripped, d.render(false));
    }

    #[test]
    fn suggests_a_close_key_and_nothing_for_a_distant_one() {
        let keys = ["scrape_interval", "retention", "replicas"];
        assert_eq!(
            did_you_mean("scrape_intervall", keys),
            Some("scrape_interval")
        );
        assert_eq!(did_you_mean("replica", keys), Some("replicas"));
        assert_eq!(did_you_mean("colour", keys), None);
    }
}
