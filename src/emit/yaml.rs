//! YAML text written straight from `Serialize` values, byte for byte what serde_yaml_ng
//! (libyaml's emitter, block style, unlimited width) writes for the same value.
//!
//! Why: libyaml's emitter turned every scalar into an event, copied it and scanned it
//! character by character several times; it was a third of a production render. This writer
//! makes the same style decisions (plain, single-quoted, double-quoted, literal block; indentless
//! sequences under keys; `{}`/`[]` when empty) in one pass over each scalar.
//!
//! Why it is safe: it covers only what monstack emits (string keys, block collections,
//! scalars). Anything else — tags (enum variants), complex or multi-line keys, line/paragraph
//! separators, `|+` scalars, a scalar or empty collection as a whole document — makes it give
//! up, and the whole value is written by serde_yaml_ng instead, so the text never depends on
//! which path ran. `tests/yaml_emitter.rs` compares both writers on every rendered object and
//! config file and on adversarial strings, and parses the results back.

use std::fmt::{self, Display};

use serde::Serialize;
use serde::ser::{self, Impossible};

/// The YAML text of `value` as serde_yaml_ng writes it.
pub fn to_string<T: Serialize + ?Sized>(
    value: &T,
) -> std::result::Result<String, serde_yaml_ng::Error> {
    match fast_to_string(value) {
        Ok(text) => {
            // Debug builds (every test run) hold each document to serde_yaml_ng's text.
            #[cfg(debug_assertions)]
            if let Ok(expected) = serde_yaml_ng::to_string(value) {
                assert_eq!(text, expected, "emit::yaml differs from serde_yaml_ng");
            }
            Ok(text)
        }
        Err(GiveUp) => serde_yaml_ng::to_string(value),
    }
}

/// Appends `value`'s YAML document to `out` (which ends a line or is empty): what
/// `to_string` returns, written in place instead of into a string of its own.
pub fn append<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
) -> std::result::Result<(), serde_yaml_ng::Error> {
    let start = out.len();
    let mut writer = Writer::appending(std::mem::take(out));
    let written = value.serialize(&mut writer).and_then(|()| writer.finish());
    *out = writer.out;
    match written {
        Ok(()) => {
            #[cfg(debug_assertions)]
            if let Ok(expected) = serde_yaml_ng::to_string(value) {
                assert_eq!(
                    &out[start..],
                    expected,
                    "emit::yaml differs from serde_yaml_ng"
                );
            }
            Ok(())
        }
        Err(GiveUp) => {
            out.truncate(start);
            out.push_str(&serde_yaml_ng::to_string(value)?);
            Ok(())
        }
    }
}

/// This writer's text for `value`, or `GiveUp` where it does not model the value (tests use
/// it to prove the fast path covers every rendered document).
pub fn fast_to_string<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut writer = Writer::appending(String::with_capacity(4096));
    value.serialize(&mut writer)?;
    writer.finish()?;
    Ok(writer.out)
}

/// This writer does not model the value (or the value's `Serialize` failed): serde_yaml_ng
/// writes it, or reports the error in its own words.
#[derive(Debug)]
pub struct GiveUp;

impl Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not handled by the fast YAML writer")
    }
}

impl std::error::Error for GiveUp {}

impl ser::Error for GiveUp {
    fn custom<T: Display>(_msg: T) -> Self {
        GiveUp
    }
}

type Result<T = ()> = std::result::Result<T, GiveUp>;

/// libyaml's indentation step.
const INDENT: i32 = 2;
/// libyaml's longest simple key; a longer key is written as a complex `? key`.
const MAX_SIMPLE_KEY: usize = 128;

/// An open collection. `opened` is false until its first entry: an empty one is written in flow
/// style (`{}`, `[]`), which libyaml decides by looking ahead.
enum Frame {
    Map { opened: bool, expect_key: bool },
    Seq { opened: bool, indentless: bool },
}

/// The scalar styles libyaml can choose between here.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Any,
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// libyaml's emitter state, reduced to what block style uses.
struct Writer {
    out: String,
    /// Bytes written on the current line (libyaml counts characters; only comparisons with the
    /// indentation matter, and only spaces and indicators precede it).
    column: usize,
    /// The last thing written was whitespace (or nothing): an indicator needs no space before it.
    whitespace: bool,
    /// Only indentation (and `-` indicators) on this line so far.
    indention: bool,
    indent: i32,
    indents: Vec<i32>,
    frames: Vec<Frame>,
    /// The node being written is a mapping value (sequences under keys are indentless).
    mapping_context: bool,
    /// The node being written is a mapping key.
    simple_key_context: bool,
    /// The document's root node is complete.
    done: bool,
}

impl Writer {
    /// A writer at the start of a document, appending to `out`.
    fn appending(out: String) -> Self {
        Writer {
            out,
            column: 0,
            whitespace: true,
            indention: true,
            indent: -1,
            indents: Vec::new(),
            frames: Vec::new(),
            mapping_context: false,
            simple_key_context: false,
            done: false,
        }
    }
}

impl Writer {
    fn finish(&mut self) -> Result {
        if !self.done || !self.frames.is_empty() {
            return Err(GiveUp);
        }
        self.write_indent();
        Ok(())
    }

    fn push(&mut self, text: &str) {
        self.out.push_str(text);
        self.column += text.len();
    }

    fn line_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { INDENT } else { 0 };
        } else if !indentless {
            self.indent += INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.line_break();
        }
        const SPACES: &str = "                                ";
        while self.column < indent {
            let n = (indent - self.column).min(SPACES.len());
            self.out.push_str(&SPACES[..n]);
            self.column += n;
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.push(" ");
        }
        self.push(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    /// What the parent collection writes before a node: `- ` in a sequence, the indentation
    /// before a key, `:` before a value. Sets the contexts the node is written in.
    fn before_node(&mut self, is_scalar: bool) -> Result {
        if self.done {
            return Err(GiveUp);
        }
        match self.frames.last_mut() {
            None => {
                // A scalar as the whole document ends with libyaml's open-ended marker rules.
                if is_scalar {
                    return Err(GiveUp);
                }
                self.mapping_context = false;
                self.simple_key_context = false;
            }
            Some(Frame::Seq { opened, indentless }) => {
                if !*opened {
                    *opened = true;
                    let indentless = *indentless;
                    self.increase_indent(false, indentless);
                }
                self.write_indent();
                self.write_indicator("-", true, false, true);
                self.mapping_context = false;
                self.simple_key_context = false;
            }
            Some(Frame::Map { opened, expect_key }) => {
                if *expect_key {
                    if !is_scalar {
                        return Err(GiveUp);
                    }
                    if !*opened {
                        *opened = true;
                        self.increase_indent(false, false);
                    }
                    self.write_indent();
                    self.mapping_context = true;
                    self.simple_key_context = true;
                } else {
                    self.write_indicator(":", false, false, false);
                    self.mapping_context = true;
                    self.simple_key_context = false;
                }
            }
        }
        Ok(())
    }

    /// After a node: a mapping alternates key and value; the root ends the document.
    fn after_node(&mut self) {
        match self.frames.last_mut() {
            None => self.done = true,
            Some(Frame::Map { expect_key, .. }) => *expect_key = !*expect_key,
            Some(Frame::Seq { .. }) => {}
        }
    }

    fn start_map(&mut self) -> Result {
        self.before_node(false)?;
        self.frames.push(Frame::Map {
            opened: false,
            expect_key: true,
        });
        Ok(())
    }

    fn start_seq(&mut self) -> Result {
        self.before_node(false)?;
        let indentless = self.mapping_context && !self.indention;
        self.frames.push(Frame::Seq {
            opened: false,
            indentless,
        });
        Ok(())
    }

    fn end_collection(&mut self) -> Result {
        let (opened, empty) = match self.frames.pop() {
            Some(Frame::Map { opened, expect_key }) => {
                if !expect_key {
                    return Err(GiveUp);
                }
                (opened, "{}")
            }
            Some(Frame::Seq { opened, .. }) => (opened, "[]"),
            None => return Err(GiveUp),
        };
        if opened {
            self.pop_indent();
        } else {
            if self.frames.is_empty() {
                // An empty collection as the whole document.
                return Err(GiveUp);
            }
            self.write_indicator(&empty[..1], true, true, false);
            self.write_indicator(&empty[1..], false, false, false);
        }
        self.after_node();
        Ok(())
    }

    fn scalar(&mut self, value: &str, requested: Style) -> Result {
        self.before_node(true)?;
        if requested == Style::Literal && !self.simple_key_context {
            return self.multi_line_scalar(value);
        }
        let analysis = Analysis::of(value);
        if analysis.unsupported {
            return Err(GiveUp);
        }
        if self.simple_key_context && (analysis.multiline || value.len() > MAX_SIMPLE_KEY) {
            return Err(GiveUp);
        }
        let style = select_style(
            requested,
            &analysis,
            value.is_empty(),
            self.simple_key_context,
        );
        self.increase_indent(true, false);
        match style {
            Style::Plain | Style::Any => self.write_plain(value),
            Style::SingleQuoted => self.write_single_quoted(value),
            Style::DoubleQuoted => self.write_double_quoted(value),
            Style::Literal => self.write_literal(value)?,
        }
        self.pop_indent();
        self.after_node();
        Ok(())
    }

    /// A multi-line value (config files, dashboards: most of the output's bytes) is a literal
    /// block unless libyaml's analysis forbids one; only three of its findings matter here, and
    /// each has a fast test.
    fn multi_line_scalar(&mut self, value: &str) -> Result {
        // One pass over the bytes: anything outside printable ASCII and newline (rare; then
        // the exact checks), and a space before a line break.
        let (mut unusual, mut space_break, mut previous) = (false, false, 0u8);
        for &b in value.as_bytes() {
            unusual |= b >= 0x7F || (b < 0x20 && b != b'\n');
            space_break |= b == b'\n' && previous == b' ';
            previous = b;
        }
        if unusual && value.contains(['\u{2028}', '\u{2029}']) {
            return Err(GiveUp);
        }
        let special_characters = unusual && !value.chars().all(is_printable);
        let block_allowed = !(value.ends_with(' ') || space_break || special_characters);
        self.increase_indent(true, false);
        if block_allowed {
            self.write_literal(value)?;
        } else {
            self.write_double_quoted(value);
        }
        self.pop_indent();
        self.after_node();
        Ok(())
    }

    fn write_plain(&mut self, value: &str) {
        if !self.whitespace && !value.is_empty() {
            self.push(" ");
        }
        self.push(value);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &str) {
        self.write_indicator("'", true, false, false);
        for (i, part) in value.split('\'').enumerate() {
            if i > 0 {
                self.push("''");
            }
            self.push(part);
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, value: &str) {
        self.write_indicator("\"", true, false, false);
        let mut plain_from = 0;
        for (at, c) in value.char_indices() {
            if is_printable(c) && !is_break(c) && c != '"' && c != '\\' {
                continue;
            }
            self.push(&value[plain_from..at]);
            plain_from = at + c.len_utf8();
            self.push(&escape(c));
        }
        self.push(&value[plain_from..]);
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// A `|` block: its lines at the scalar's indentation, empty lines left empty.
    fn write_literal(&mut self, value: &str) -> Result {
        self.write_indicator("|", true, false, false);
        if value.starts_with([' ', '\n']) {
            self.write_indicator("2", false, false, false);
        }
        match value.strip_suffix('\n') {
            None => self.write_indicator("-", false, false, false),
            // `|+` (keep trailing newlines) changes how libyaml ends the document.
            Some(rest) if rest.is_empty() || rest.ends_with('\n') => return Err(GiveUp),
            Some(_) => {}
        }
        self.line_break();
        self.indention = true;
        self.whitespace = true;
        let mut lines = value.split('\n').peekable();
        while let Some(line) = lines.next() {
            if !line.is_empty() {
                self.write_indent();
                self.push(line);
                self.indention = false;
            }
            if lines.peek().is_some() {
                self.line_break();
                self.indention = true;
            }
        }
        Ok(())
    }
}

/// libyaml's `yaml_emitter_analyze_scalar`, for block context (no flow collections hold scalars
/// here).
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
    /// U+2028/U+2029 line breaks: libyaml folds them inside quoted scalars; not modelled.
    unsupported: bool,
}

/// Visible ASCII that no rule of the analysis looks at beyond "not a blank or a break".
fn is_inert(b: u8) -> bool {
    matches!(b, 0x21..=0x7E) && b != b':' && b != b'#'
}

impl Analysis {
    fn of(value: &str) -> Analysis {
        if value.is_empty() {
            return Analysis {
                multiline: false,
                block_plain_allowed: true,
                single_quoted_allowed: true,
                block_allowed: false,
                unsupported: false,
            };
        }
        let bytes = value.as_bytes();
        let mut block_indicators = value.starts_with("---") || value.starts_with("...");
        let mut line_breaks = false;
        let mut special_characters = false;
        let mut unsupported = false;
        let (mut leading_space, mut leading_break) = (false, false);
        let (mut trailing_space, mut trailing_break) = (false, false);
        let (mut break_space, mut space_break) = (false, false);
        let (mut previous_space, mut previous_break) = (false, false);
        let mut preceded_by_whitespace = true;
        let mut at = 0;
        while at < bytes.len() {
            let byte = bytes[at];
            // Most characters are printable ASCII that is neither blank nor an indicator: they
            // only end a run of spaces or breaks.
            if at > 0 {
                let last = at + 1 == bytes.len();
                match byte {
                    b' ' => {
                        trailing_space |= last;
                        break_space |= previous_break;
                        (previous_space, previous_break) = (true, false);
                        preceded_by_whitespace = true;
                        at += 1;
                        continue;
                    }
                    b'\n' => {
                        line_breaks = true;
                        trailing_break |= last;
                        space_break |= previous_space;
                        (previous_space, previous_break) = (false, true);
                        preceded_by_whitespace = true;
                        at += 1;
                        continue;
                    }
                    b':' | b'#' | 0x21..=0x7E => {
                        if (byte == b':' && (last || starts_with_blank_or_break(&bytes[at + 1..])))
                            || (byte == b'#' && preceded_by_whitespace)
                        {
                            block_indicators = true;
                        }
                        (previous_space, previous_break) = (false, false);
                        preceded_by_whitespace = false;
                        // A run of other visible ASCII changes nothing more: skip it at once.
                        at += 1 + bytes[at + 1..]
                            .iter()
                            .position(|&b| !is_inert(b))
                            .unwrap_or(bytes.len() - at - 1);
                        continue;
                    }
                    _ => {}
                }
            }
            let c = if byte < 0x80 {
                byte as char
            } else {
                value[at..].chars().next().unwrap_or('\0')
            };
            let next_at = at + c.len_utf8();
            let last = next_at == bytes.len();
            let followed_by_whitespace = last || starts_with_blank_or_break(&bytes[next_at..]);
            if at == 0 {
                if matches!(
                    c,
                    '#' | ','
                        | '['
                        | ']'
                        | '{'
                        | '}'
                        | '&'
                        | '*'
                        | '!'
                        | '|'
                        | '>'
                        | '\''
                        | '"'
                        | '%'
                        | '@'
                        | '`'
                ) || (matches!(c, '?' | ':' | '-') && followed_by_whitespace)
                {
                    block_indicators = true;
                }
            } else if (c == ':' && followed_by_whitespace) || (c == '#' && preceded_by_whitespace) {
                block_indicators = true;
            }
            if !is_printable(c) {
                special_characters = true;
            }
            if c == '\u{2028}' || c == '\u{2029}' {
                unsupported = true;
            }
            if c == ' ' {
                leading_space |= at == 0;
                trailing_space |= last;
                break_space |= previous_break;
                previous_space = true;
                previous_break = false;
            } else if is_break(c) {
                line_breaks = true;
                leading_break |= at == 0;
                trailing_break |= last;
                space_break |= previous_space;
                previous_space = false;
                previous_break = true;
            } else {
                previous_space = false;
                previous_break = false;
            }
            preceded_by_whitespace = is_blank_or_break(c);
            at = next_at;
        }
        let mut analysis = Analysis {
            multiline: line_breaks,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
            unsupported,
        };
        if leading_space || leading_break || trailing_space || trailing_break {
            analysis.block_plain_allowed = false;
        }
        if trailing_space {
            analysis.block_allowed = false;
        }
        if break_space {
            analysis.block_plain_allowed = false;
            analysis.single_quoted_allowed = false;
        }
        if space_break || special_characters {
            analysis.block_plain_allowed = false;
            analysis.single_quoted_allowed = false;
            analysis.block_allowed = false;
        }
        if line_breaks || block_indicators {
            analysis.block_plain_allowed = false;
        }
        analysis
    }
}

/// libyaml's `yaml_emitter_select_scalar_style` for untagged scalars in block context.
fn select_style(requested: Style, a: &Analysis, empty: bool, simple_key: bool) -> Style {
    let mut style = if requested == Style::Any {
        Style::Plain
    } else {
        requested
    };
    if simple_key && a.multiline {
        style = Style::DoubleQuoted;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (empty && simple_key)) {
        style = Style::SingleQuoted;
    }
    if style == Style::SingleQuoted && !a.single_quoted_allowed {
        style = Style::DoubleQuoted;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::DoubleQuoted;
    }
    style
}

/// The style serde_yaml_ng asks for a string: a literal block when it has a newline; quoted
/// when it would read back as something else (null, a bool, a number, `0755`); else any.
fn string_style(value: &str) -> Style {
    if value.contains('\n') {
        Style::Literal
    } else if reads_as_non_string(value) {
        Style::SingleQuoted
    } else {
        Style::Any
    }
}

/// serde_yaml_ng's reading of an untagged plain scalar: null, bool, integer (decimal, `0x`,
/// `0o`, `0b`, signed), digits with a leading zero (YAML 1.1 octal), or a finite float.
fn reads_as_non_string(v: &str) -> bool {
    // Every such scalar starts with one of these (Rust's float parser reads `inf`/`nan` too,
    // but serde_yaml_ng keeps only finite floats).
    if !v.is_empty() && !v.starts_with(|c: char| c.is_ascii_digit() || "+-.~nNtTfF".contains(c)) {
        return false;
    }
    matches!(
        v,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
    ) || reads_as_integer(v)
        || digits_but_not_number(v)
        || reads_as_float(v)
}

fn digits_but_not_number(v: &str) -> bool {
    let v = v.strip_prefix(['-', '+']).unwrap_or(v);
    v.len() > 1 && v.starts_with('0') && v[1..].bytes().all(|b| b.is_ascii_digit())
}

fn reads_as_integer(v: &str) -> bool {
    let radix_body = |s: &str| -> bool {
        [("0x", 16), ("0o", 8), ("0b", 2)]
            .iter()
            .any(|(prefix, radix)| {
                s.strip_prefix(prefix).is_some_and(|rest| {
                    !rest.starts_with(['+', '-']) && u128::from_str_radix(rest, *radix).is_ok()
                })
            })
    };
    let negative_radix = |s: &str| -> bool {
        [("-0x", 16), ("-0o", 8), ("-0b", 2)]
            .iter()
            .any(|(prefix, radix)| {
                s.strip_prefix(prefix)
                    .is_some_and(|rest| i128::from_str_radix(&format!("-{rest}"), *radix).is_ok())
            })
    };
    // parse_unsigned_int: an optional `+`, then a radix prefix or decimal digits.
    let unpositive = v.strip_prefix('+').unwrap_or(v);
    if radix_body(unpositive) {
        return true;
    }
    if !unpositive.starts_with(['+', '-'])
        && !digits_but_not_number(v)
        && unpositive.parse::<u128>().is_ok()
    {
        return true;
    }
    // parse_negative_int: `-0x..`, `-0o..`, `-0b..`, or a negative decimal.
    negative_radix(v) || (!digits_but_not_number(v) && v.parse::<i128>().is_ok())
}

fn reads_as_float(v: &str) -> bool {
    if digits_but_not_number(v) {
        return false;
    }
    let unpositive = match v.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return false,
        Some(rest) => rest,
        None => v,
    };
    matches!(unpositive, ".inf" | ".Inf" | ".INF")
        || matches!(v, "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN")
        || unpositive.parse::<f64>().is_ok_and(f64::is_finite)
}

/// libyaml's IS_PRINTABLE (with unicode output on).
fn is_printable(c: char) -> bool {
    matches!(c as u32,
        0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0x1_0000..=0x10_FFFF)
        || (matches!(c as u32, 0xE000..=0xFFFD) && c != '\u{FEFF}')
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's IS_BLANKZ on the character that starts `rest`.
fn starts_with_blank_or_break(rest: &[u8]) -> bool {
    matches!(
        rest,
        [b' ' | b'\t' | b'\r' | b'\n' | 0, ..] | [0xC2, 0x85, ..] | [0xE2, 0x80, 0xA8 | 0xA9, ..]
    )
}

fn is_blank_or_break(c: char) -> bool {
    c == ' ' || c == '\t' || is_break(c) || c == '\0'
}

/// A double-quoted scalar's escape for `c`.
fn escape(c: char) -> String {
    let short = match c {
        '\0' => '0',
        '\u{7}' => 'a',
        '\u{8}' => 'b',
        '\t' => 't',
        '\n' => 'n',
        '\u{b}' => 'v',
        '\u{c}' => 'f',
        '\r' => 'r',
        '\u{1b}' => 'e',
        '"' => '"',
        '\\' => '\\',
        '\u{85}' => 'N',
        '\u{a0}' => '_',
        '\u{2028}' => 'L',
        '\u{2029}' => 'P',
        _ => {
            let code = c as u32;
            return if code <= 0xFF {
                format!("\\x{code:02X}")
            } else if code <= 0xFFFF {
                format!("\\u{code:04X}")
            } else {
                format!("\\U{code:08X}")
            };
        }
    };
    format!("\\{short}")
}

impl ser::Serializer for &mut Writer {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Impossible<(), GiveUp>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), GiveUp>;

    fn serialize_bool(self, v: bool) -> Result {
        self.scalar(if v { "true" } else { "false" }, Style::Plain)
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.scalar(itoa::Buffer::new().format(v), Style::Plain)
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.scalar(itoa::Buffer::new().format(v), Style::Plain)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.scalar(itoa::Buffer::new().format(v), Style::Plain)
    }
    fn serialize_u128(self, v: u128) -> Result {
        self.scalar(itoa::Buffer::new().format(v), Style::Plain)
    }
    fn serialize_f32(self, v: f32) -> Result {
        let mut buffer = ryu::Buffer::new();
        let text = match v {
            f32::INFINITY => ".inf",
            f32::NEG_INFINITY => "-.inf",
            _ if v.is_nan() => ".nan",
            _ => buffer.format_finite(v),
        };
        self.scalar(text, Style::Plain)
    }
    fn serialize_f64(self, v: f64) -> Result {
        let mut buffer = ryu::Buffer::new();
        let text = match v {
            f64::INFINITY => ".inf",
            f64::NEG_INFINITY => "-.inf",
            _ if v.is_nan() => ".nan",
            _ => buffer.format_finite(v),
        };
        self.scalar(text, Style::Plain)
    }
    fn serialize_char(self, v: char) -> Result {
        self.scalar(v.encode_utf8(&mut [0; 4]), Style::SingleQuoted)
    }
    fn serialize_str(self, v: &str) -> Result {
        self.scalar(v, string_style(v))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result {
        Err(GiveUp)
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.scalar("null", Style::Plain)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    // Enum variants with data become YAML tags (`!Variant`): not modelled.
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(GiveUp)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self> {
        self.start_seq()?;
        Ok(self)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self> {
        self.start_seq()?;
        Ok(self)
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self> {
        self.start_seq()?;
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(GiveUp)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self> {
        self.start_map()?;
        Ok(self)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self> {
        self.start_map()?;
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(GiveUp)
    }
    // serde_yaml_ng reads a `Display` key of a one-entry map that starts with `!` as a tag.
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result {
        let text = value.to_string();
        if text.starts_with('!') {
            return Err(GiveUp);
        }
        self.serialize_str(&text)
    }
}

impl ser::SerializeSeq for &mut Writer {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        self.end_collection()
    }
}

impl ser::SerializeTuple for &mut Writer {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        self.end_collection()
    }
}

impl ser::SerializeTupleStruct for &mut Writer {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        self.end_collection()
    }
}

impl ser::SerializeMap for &mut Writer {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        self.end_collection()
    }
}

impl ser::SerializeStruct for &mut Writer {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.scalar(key, string_style(key))?;
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        self.end_collection()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Both writers, side by side.
    fn same<T: Serialize + ?Sized>(value: &T) {
        let expected = serde_yaml_ng::to_string(value).unwrap();
        if let Ok(text) = fast_to_string(value) {
            assert_eq!(text, expected, "for {expected:?}");
        }
        assert_eq!(to_string(value).unwrap(), expected);
    }

    /// `append` writes after what is there, and what the fast writer gives up on (a complex
    /// key) is written by serde_yaml_ng in its place, with nothing of the attempt left.
    #[test]
    fn append_writes_each_document_after_the_last() {
        let mut complex = BTreeMap::new();
        complex.insert(vec!["a", "b"], 1);
        assert!(fast_to_string(&complex).is_err());
        let mut out = String::from("---\n");
        append(&mut out, &BTreeMap::from([("k", "v")])).unwrap();
        out.push_str("---\n");
        append(&mut out, &complex).unwrap();
        let expected = format!(
            "---\n{}---\n{}",
            serde_yaml_ng::to_string(&BTreeMap::from([("k", "v")])).unwrap(),
            serde_yaml_ng::to_string(&complex).unwrap()
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn hostile_strings_are_written_as_libyaml_writes_them() {
        let strings = [
            "",
            " ",
            "a",
            "yes",
            "no",
            "on",
            "true",
            "True",
            "null",
            "~",
            "0755",
            "0",
            "-0",
            "+1",
            "1_000",
            "0x1F",
            "0o17",
            "0b101",
            "-0x1F",
            "1e3",
            "1.5",
            ".5",
            "1.",
            ".inf",
            "-.inf",
            ".nan",
            "NaN",
            "inf",
            "infinity",
            ":",
            "a:b",
            "a: b",
            "a:",
            "#",
            "a #b",
            "a#b",
            "- a",
            "-a",
            "-",
            "--- x",
            "...",
            "? x",
            "?x",
            "!tag",
            "&a",
            "*a",
            "|",
            ">",
            "'",
            "\"",
            "it's",
            "%",
            "@",
            "`",
            "{",
            "}",
            "[a]",
            "a,b",
            "a, b",
            " lead",
            "trail ",
            "tab\there",
            "a\nb",
            "a\nb\n",
            "\nlead",
            " lead\nx\n",
            "x\n\n",
            "x\n\ny\n",
            "a \nb",
            "a\n b",
            "ünïcödé",
            "\u{a0}",
            "\u{85}",
            "\u{feff}",
            "\u{7f}",
            "\u{1b}",
            "\0",
            "\r",
            "a\r\nb",
            "😀",
            "\u{2028}",
            "x\u{2029}y",
            "\\",
            "C:\\dir",
            "${VAR}",
            "{{ .Labels }}",
            "sum(rate(x[5m])) > 0.5",
            "http://h:9090/path?q=1#frag",
        ];
        for s in strings {
            same(&s);
            let map: BTreeMap<&str, &str> = [(s, s), ("k", s)].into_iter().collect();
            same(&map);
            same(&vec![vec![s]]);
        }
        same(&"x".repeat(MAX_SIMPLE_KEY + 1));
        let long_key: BTreeMap<String, u8> = [("k".repeat(MAX_SIMPLE_KEY + 1), 1)].into();
        same(&long_key);
    }

    #[test]
    fn nesting_and_empty_collections_are_written_as_libyaml_writes_them() {
        let value = serde_json::json!({
            "a": {"b": [1, {"c": [], "d": {}}, [2, [3, {}]], []], "e": "x\ny\n"},
            "f": [{"g": ["h", "i\nj"], "k": {"l": 1.5, "m": null, "n": true}}],
            "o": [[], {}],
            "p": "  two leading\nspaces\n",
        });
        same(&value);
        same(&serde_json::json!([1, [2, [3]], {"a": [{"b": {}}]}]));
        same(&serde_json::json!({}));
        same(&serde_json::json!([]));
        same(&serde_json::json!({"a": f64::MAX, "b": -0.0, "c": 1e-7, "d": u64::MAX}));
    }
}
