//! User-facing problems: a `Diagnostic` names where (file, line, column, key path), what is
//! wrong and how to fix it. Every stage reports through it; `anyhow` is only for I/O and bugs.

pub mod code;

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

/// A position in a profile: the file and the byte span of the offending text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The source line, for the caret display.
    pub source_line: String,
    /// Columns (1-based) the caret underlines.
    pub width: usize,
}

impl Location {
    /// Locates `span` (byte offsets) in `text`.
    pub fn from_span(file: &str, text: &str, span: Range<usize>) -> Self {
        let start = span.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let end = span.end.clamp(start, line_end);
        let width = text[start..end].chars().count().max(1);
        Location {
            file: file.to_string(),
            line,
            column,
            source_line: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
            width,
        }
    }
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
            message: message.into(),
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
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// ANSI styles for a terminal; all empty when colour is off.
struct Palette {
    error: &'static str,
    warning: &'static str,
    accent: &'static str,
    bold: &'static str,
    reset: &'static str,
}

const PLAIN: Palette = Palette {
    error: "",
    warning: "",
    accent: "",
    bold: "",
    reset: "",
};
const ANSI: Palette = Palette {
    error: "\x1b[1;31m",
    warning: "\x1b[1;33m",
    accent: "\x1b[1;34m",
    bold: "\x1b[1m",
    reset: "\x1b[0m",
};

/// Colour on a terminal only, and never when NO_COLOR is set (https://no-color.org).
pub fn stderr_wants_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

impl Diagnostic {
    /// The diagnostic as shown to people: code, message, key, the source line with a caret
    /// under the offending text, and the fix.
    pub fn render(&self, color: bool) -> String {
        let p = if color { &ANSI } else { &PLAIN };
        let (label, style) = match self.severity {
            Severity::Error => ("error", p.error),
            Severity::Warning => ("warning", p.warning),
        };
        let mut out = format!(
            "{style}{label}[{}]{}{}: {}{}",
            self.code, p.reset, p.bold, self.message, p.reset
        );
        if let Some(key) = &self.key {
            out.push_str(&format!("\n  {}key:{} {key}", p.accent, p.reset));
        }
        if let Some(at) = &self.at {
            let pad = " ".repeat(at.line.to_string().len());
            let indent: String = at
                .source_line
                .chars()
                .take(at.column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!(
                "\n{pad}{}-->{} {}:{}:{}",
                p.accent, p.reset, at.file, at.line, at.column
            ));
            out.push_str(&format!("\n{pad} {}|{}", p.accent, p.reset));
            out.push_str(&format!(
                "\n{}{} |{} {}",
                p.accent, at.line, p.reset, at.source_line
            ));
            out.push_str(&format!(
                "\n{pad} {}|{} {indent}{style}{}{}",
                p.accent,
                p.reset,
                "^".repeat(at.width),
                p.reset
            ));
        } else if let Some(subject) = &self.subject {
            out.push_str(&format!("\n  {}-->{} {subject}", p.accent, p.reset));
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("\n  {}= help:{} {help}", p.bold, p.reset));
        }
        out
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
        eprint!("{}", self.render(stderr_wants_color()));
        ExitCode::from(crate::EXIT_INVALID)
    }

    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&d.render(color));
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
        assert_eq!(at.source_line, "key = 1");
    }

    #[test]
    fn colour_only_decorates_the_plain_text() {
        let text = "[a]\nkey = 1\n";
        let d = Diagnostic::error(Code::UnknownKey, "unknown field `key`")
            .key("a.key")
            .at(Location::from_span("p.toml", text, 4..7))
            .help("remove it");
        let plain = d.render(false);
        assert_eq!(
            plain,
            "error[unknown-key]: unknown field `key`\n  key: a.key\n --> p.toml:2:1\n  |\n2 | key = 1\n  | ^^^\n  = help: remove it"
        );
        let colored = d.render(true);
        assert!(colored.contains("\x1b[1;31merror[unknown-key]"));
        let stripped: String = colored
            .split('\x1b')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once('m').map_or("", |(_, rest)| rest)
                }
            })
            .collect();
        assert_eq!(stripped, plain);
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
