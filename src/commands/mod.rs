//! One file per subcommand; each turns parsed arguments into pipeline calls and an exit code.

mod completions;
mod cost;
mod diff;
mod explain;
mod init;
mod man;
mod prerequisites;
mod render;
mod runbooks;
mod schema;
mod secrets;
mod validate;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::{ChecklistArgs, Cli, Command, ListFormat};
use crate::diag::Failure;
use crate::pipeline::{self, Compilation};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Render(args) => render::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Secrets(args) => secrets::run(&args),
        Command::Prerequisites(args) => prerequisites::run(&args),
        Command::Cost(args) => cost::run(&args),
        Command::Runbooks(args) => runbooks::run(&args),
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

/// Compiles the profile of a before-apply list (`secrets`, `prerequisites`). An invalid
/// profile is reported as `validate` reports it (as JSON on stdout with `--format json`), and
/// its exit code is returned instead.
pub(crate) fn compile_checklist(
    args: &ChecklistArgs,
) -> anyhow::Result<Result<Compilation, ExitCode>> {
    let p = &args.profile;
    require_profile_file(p.profile.as_deref())?;
    match pipeline::compile_path(p.profile.as_deref(), &p.overrides)? {
        Ok(c) => {
            crate::diag::print_warnings(&c.warnings);
            Ok(Ok(c))
        }
        Err(failure) if args.format == ListFormat::Json => {
            let json = Failure::json(&failure.diagnostics, false);
            print_stdout(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
            Ok(Err(ExitCode::from(crate::EXIT_INVALID)))
        }
        Err(failure) => Ok(Err(failure.report())),
    }
}

/// Prints `value` as the JSON document of a list, or `text` for people.
pub(crate) fn print_list(
    format: ListFormat,
    value: &impl serde::Serialize,
    text: impl FnOnce() -> String,
) -> anyhow::Result<ExitCode> {
    let out = match format {
        ListFormat::Json => format!("{}\n", serde_json::to_string_pretty(value)?),
        ListFormat::Text => text(),
    };
    print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing to stdout")
}
