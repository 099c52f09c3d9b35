//! How a `Diagnostic` looks to people, drawn by annotate-snippets (the renderer rustc uses):
//! `error[code]: message`, the file position and source line with the offending text marked,
//! then the key path and the fix as `= key:` and `= help:` lines.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::{Diagnostic, Location, Severity};

pub(super) fn diagnostic(d: &Diagnostic, styled: bool) -> String {
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut group = Group::with_title(level.primary_title(d.message.as_str()).id(d.code.name()));
    match (&d.at, &d.subject) {
        (Some(at), _) => group = group.element(snippet_or_origin(at)),
        (None, Some(subject)) => group = group.element(Origin::path(subject.as_str())),
        (None, None) => {}
    }
    if let Some(key) = &d.key {
        group = group.element(Level::NOTE.with_name("key").message(key.as_str()));
    }
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    renderer.render(&[group])
}

/// The source line with the marked text, or only the position when the line is not kept.
fn snippet_or_origin(at: &Location) -> annotate_snippets::Element<'_> {
    let Some(line) = &at.source_line else {
        return Origin::path(at.file.as_str())
            .line(at.line)
            .char_column(at.column)
            .into();
    };
    let start = byte_offset(line, at.column - 1);
    let end = byte_offset(line, at.column - 1 + at.width);
    Snippet::source(line.as_str())
        .line_start(at.line)
        .path(at.file.as_str())
        .annotation(AnnotationKind::Primary.span(start..end))
        .into()
}

/// The byte offset of the `chars`-th character of `text` (its length when shorter).
fn byte_offset(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}
