//! Stage 1: find and read the profile text. Parsing and typing happen in `model`.
//! May use the filesystem (read only); knows nothing of Kubernetes or templates.

use std::path::Path;

use crate::diag::Diagnostic;

/// `profiles/production.toml`, compiled in: the profile rendered when none is named.
pub const EMBEDDED_DEFAULT: &str = include_str!("../profiles/production.toml");
/// How the embedded default is named in messages and file headers.
pub const EMBEDDED_NAME: &str = "production.toml (built in)";

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

    /// The profile's file name without its directory, as written into generated headers
    /// (the output must not depend on where the user's checkout lives).
    pub fn file_name(&self) -> &str {
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
        Err(Diagnostic::error("profile-unreadable", message)
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
        Err(err) => {
            return problem(
                format!(
                    "profile {name} is not UTF-8 text (invalid byte at offset {})",
                    err.utf8_error().valid_up_to()
                ),
                "TOML files must be UTF-8; re-save the file as UTF-8",
            );
        }
    };
    if text.trim().is_empty() {
        return problem(
            format!("profile {name} is empty"),
            "start from profiles/production.toml, or `extends` it and change what differs",
        );
    }
    Ok(Source { name, text })
}
