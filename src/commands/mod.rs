//! One file per subcommand; each turns parsed arguments into pipeline calls and an exit code.

mod completions;
mod diff;
mod explain;
mod init;
mod man;
mod render;
mod schema;
mod validate;

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Render(args) => render::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Schema => schema::run(),
        Command::Explain(args) => explain::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Man => man::run(),
    }
}

/// A profile named on the command line that is missing or unreadable is an I/O error (exit 2,
/// as for every command), not an invalid profile (exit 1). `None` is the built-in default.
pub(crate) fn require_profile_file(path: Option<&Path>) -> anyhow::Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    if path.is_dir() {
        bail!(
            "{} is a directory, not a profile; name a .toml file, e.g. profiles/production.toml",
            path.display()
        );
    }
    if !path.exists() {
        bail!(
            "profile {} does not exist; check the path, or leave PROFILE out to use the built-in production profile",
            path.display()
        );
    }
    if let Err(err) = std::fs::File::open(path) {
        bail!("cannot read profile {}: {err}", path.display());
    }
    Ok(())
}
