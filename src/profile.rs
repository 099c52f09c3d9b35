//! Stage 1: find and read the profile texts: the profile, the chain of profiles it `extends`
//! (parents first), and `--set` overrides (last). Merging and typing happen in `model`.
//! May use the filesystem (read only); knows nothing of Kubernetes or templates.

use std::path::{Path, PathBuf};

use crate::diag::{Code, Diagnostic, Location};

/// `profiles/production.toml`, compiled in: the profile rendered when none is named.
pub const EMBEDDED_DEFAULT: &str = include_str!("../profiles/production.toml");
/// The shipped profiles, for `monstack init`.
pub const PRESET_PRODUCTION: &str = EMBEDDED_DEFAULT;
pub const PRESET_COST_OPTIMIZED: &str = include_str!("../profiles/cost-optimized.toml");
pub const PRESET_DEV: &str = include_str!("../profiles/dev.toml");
pub const PRESET_LARGE: &str = include_str!("../profiles/large.toml");
/// The top-level key naming a profile's parent, relative to the profile's directory.
pub const EXTENDS: &str = "extends";
/// How override sources are named.
const OVERRIDE_PREFIX: &str = "--set ";
/// How the embedded default is named in messages.
pub const EMBEDDED_NAME: &str = "production.toml (built in)";
/// How the embedded default is named in generated file headers: as the file it was compiled
/// from, so `monstack render` and `monstack render profiles/production.toml` write the same bytes.
const EMBEDDED_FILE: &str = "production.toml";

/// The text of one profile and the name to show for it.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn embedded_default() -> Self {
        Source {
            name: EMBEDDED_NAME.to_string(),
            text: EMBEDDED_DEFAULT.to_string(),
        }
    }

    /// The name to show in a diagnostic about a value that may be a credential: a `--set`
    /// source is named after its whole argument, value included, so the value is masked.
    pub fn hidden_name(&self) -> String {
        match self.name.split_once('=') {
            Some((key, _)) if self.is_override() => format!("{key}=***"),
            _ => self.name.clone(),
        }
    }

    /// Whether this source is a `--set` override rather than a file.
    pub fn is_override(&self) -> bool {
        self.name.starts_with(OVERRIDE_PREFIX)
    }

    /// The profile's file name without its directory, as written into generated headers
    /// (the output must not depend on where the user's checkout lives).
    pub fn file_name(&self) -> &str {
        if self.name == EMBEDDED_NAME {
            return EMBEDDED_FILE;
        }
        self.name.rsplit(['/', '\\']).next().unwrap_or(&self.name)
    }
}

/// Reads the profile at `path`, or the embedded default when there is none.
pub fn load(path: Option<&Path>) -> Result<Source, Diagnostic> {
    let Some(path) = path else {
        return Ok(Source::embedded_default());
    };
    let name = path.display().to_string();
    let problem = |message: String, help: &str| {
        Err(Diagnostic::error(Code::ProfileUnreadable, message)
            .subject(name.clone())
            .help(help))
    };
    if path.is_dir() {
        return problem(
            format!("{name} is a directory, not a profile"),
            "name a .toml file, e.g. profiles/production.toml",
        );
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return problem(
                format!("profile {name} does not exist"),
                "check the path, or run `monstack render` with no profile for the built-in default",
            );
        }
        Err(err) => {
            return problem(
                format!("cannot read profile {name}: {err}"),
                "check the file's permissions",
            );
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => return Err(not_utf8(&name, err.as_bytes(), err.utf8_error())),
    };
    if text.trim().is_empty() {
        return problem(
            format!("profile {name} is empty"),
            "start from profiles/production.toml, or `extends` it and change what differs",
        );
    }
    Ok(Source { name, text })
}

/// A profile that is not UTF-8, located at its first bad byte: the text before it is valid,
/// and the bad bytes show as the replacement character.
fn not_utf8(name: &str, bytes: &[u8], err: std::str::Utf8Error) -> Diagnostic {
    let text = String::from_utf8_lossy(bytes);
    let offset = err.valid_up_to();
    let at = Location::from_span(name, &text, offset..offset + '\u{FFFD}'.len_utf8());
    Diagnostic::error(
        Code::ProfileUnreadable,
        format!(
            "profile {name} is not UTF-8 text: line {}, column {} is not a UTF-8 character",
            at.line, at.column
        ),
    )
    .at(at)
    .help("TOML files must be UTF-8; re-save the file as UTF-8 (e.g. `iconv -f LATIN1 -t UTF-8`)")
}

/// Reads the profile at `path` (or the embedded default) and every profile it extends,
/// parents first.
pub fn load_chain(path: Option<&Path>) -> Result<Vec<Source>, Diagnostic> {
    let mut chain = vec![load(path)?];
    let mut seen: Vec<PathBuf> = path.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let mut dir = path.and_then(Path::parent).map(Path::to_path_buf);
    while let Some((parent, span)) = parent_of(&chain[0])? {
        let base = dir.clone().unwrap_or_default();
        let parent_path = base.join(&parent);
        let child = &chain[0];
        let at = Location::from_span(&child.name, &child.text, span);
        if dir.is_none() || !parent_path.is_file() {
            return Err(Diagnostic::error(
                Code::ExtendsMissing,
                format!(
                    "`extends = \"{parent}\"`: {} does not exist",
                    parent_path.display()
                ),
            )
            .key(EXTENDS)
            .at(at)
            .help("the parent path is relative to this profile's directory; check the file name"));
        }
        let canonical = parent_path
            .canonicalize()
            .unwrap_or_else(|_| parent_path.clone());
        if seen.contains(&canonical) {
            return Err(Diagnostic::error(
                Code::ExtendsCycle,
                format!(
                    "`extends = \"{parent}\"` is circular: {} is already in the chain",
                    parent_path.display()
                ),
            )
            .key(EXTENDS)
            .at(at)
            .help("a profile may not extend itself or a profile that extends it"));
        }
        seen.push(canonical);
        dir = parent_path.parent().map(Path::to_path_buf);
        chain.insert(0, load(Some(&parent_path))?);
    }
    Ok(chain)
}

/// The `extends` value of a profile and its span, if it has one. A profile that does not parse
/// has no parent here; its syntax error is reported when the chain is merged.
fn parent_of(source: &Source) -> Result<Option<(String, std::ops::Range<usize>)>, Diagnostic> {
    // No key can read `extends` without the word itself or an escape that spells a letter
    // (`\u`, `\U`, `\x`): then the whole parse is left to the document (a profile is parsed
    // once).
    if ![EXTENDS, "\\u", "\\U", "\\x"]
        .iter()
        .any(|s| source.text.contains(s))
    {
        return Ok(None);
    }
    let Ok(table) = toml::de::DeTable::parse(&source.text) else {
        return Ok(None);
    };
    let Some(value) = table.get_ref().get(EXTENDS) else {
        return Ok(None);
    };
    match value.get_ref().as_str() {
        Some(parent) => Ok(Some((parent.to_string(), value.span()))),
        None => Err(Diagnostic::error(
            Code::WrongType,
            "`extends` must be a string: the parent profile's path",
        )
        .key(EXTENDS)
        .at(Location::from_span(
            &source.name,
            &source.text,
            value.span(),
        ))
        .help("write e.g. extends = \"production.toml\"")),
    }
}

/// Turns `--set KEY=VALUE` arguments into sources applied after the profile. VALUE is TOML
/// (`1`, `"text"`, `["a", "b"]`, `{ cpu = "1" }`); text that is not TOML (`dev`, `15 days`)
/// is taken as a string, so the value check can say what is wrong with it, and an empty
/// VALUE is the empty string, which unsets an optional value.
pub fn overrides(sets: &[String]) -> Result<Vec<Source>, Diagnostic> {
    sets.iter()
        .map(|set| {
            let Some((key, value)) = set.split_once('=').filter(|(k, _)| !k.trim().is_empty())
            else {
                return Err(Diagnostic::error(
                    Code::BadOverride,
                    format!("--set {set}: expected KEY=VALUE"),
                )
                .help("write a dotted key and a TOML value, e.g. --set prometheus.replicas=1"));
            };
            let (key, value) = (key.trim(), value.trim());
            let parses = |text: &str| toml::de::DeTable::parse(text).is_ok();
            let mut text = format!("{key} = {value}\n");
            // A value that opens an array, table or quoted string is meant as TOML: its syntax
            // error is the useful message. A key that is not TOML keeps its own error.
            let meant_as_toml = value.starts_with(['[', '{', '"', '\'']);
            if !parses(&text) && !meant_as_toml && parses(&format!("{key} = 0")) {
                let string = toml::Value::String(value.to_string());
                text = format!("{key} = {string}\n");
            }
            Ok(Source {
                name: format!("{OVERRIDE_PREFIX}{set}"),
                text,
            })
        })
        .collect()
}
