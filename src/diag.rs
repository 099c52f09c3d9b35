//! User-facing problems: a `Diagnostic` names where (file, line, column, key path), what is
//! wrong and how to fix it. Every stage reports through it; `anyhow` is only for I/O and bugs.

use std::fmt;
use std::ops::Range;
use std::process::ExitCode;

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
    /// Stable kebab-case code users can grep for.
    pub code: &'static str,
    pub message: String,
    /// Dotted key path in the profile (`prometheus.resources.limits.memory`), when known.
    pub key: Option<String>,
    pub at: Option<Location>,
    /// Where there is no source position: the file or object the problem is about.
    pub subject: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
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

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
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

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}[{}]: {}", self.code, self.message)?;
        if let Some(key) = &self.key {
            write!(f, "\n  key: {key}")?;
        }
        if let Some(at) = &self.at {
            let gutter = at.line.to_string().len();
            let pad = " ".repeat(gutter);
            write!(f, "\n{pad}--> {}:{}:{}", at.file, at.line, at.column)?;
            write!(f, "\n{pad} |\n{} | {}", at.line, at.source_line)?;
            let indent: String = at
                .source_line
                .chars()
                .take(at.column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n{pad} | {indent}{}", "^".repeat(at.width))?;
        } else if let Some(subject) = &self.subject {
            write!(f, "\n  --> {subject}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
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
        eprint!("{self}");
        ExitCode::from(crate::EXIT_INVALID)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}\n")?;
        }
        let errors = self.errors().count();
        writeln!(
            f,
            "{errors} error{} found; nothing was written.",
            if errors == 1 { "" } else { "s" }
        )
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
