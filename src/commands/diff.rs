//! `monstack diff A B`: loads each side (a profile or a directory `render -o` wrote), compares
//! them with `diff::compare` and prints the report. Exit codes follow diff(1): 0 identical,
//! 1 different (or a side is an invalid profile), 2 usage or I/O error.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::DiffArgs;
use crate::diag::Failure;
use crate::diff::{self, Inventory};
use crate::{pipeline, upgrade};

pub fn run(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let (old, new) = match (load(&args.old, &[])?, load(&args.new, &args.overrides)?) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            // Report both sides' problems in one run, as compilation does within a profile.
            for failure in [old.err(), new.err()].into_iter().flatten() {
                failure.report();
            }
            return Ok(ExitCode::from(crate::EXIT_INVALID));
        }
    };
    let report = diff::compare(&old, &new);
    let mut out = std::io::stdout().lock();
    let text = if report.is_empty() {
        format!("no differences ({} identical objects)\n", report.unchanged)
    } else {
        let header = format!("--- {}\n+++ {}\n\n", args.old.display(), args.new.display());
        // Changes `kubectl apply -f` cannot make are marked, with what to do instead.
        let annotations = upgrade::annotations(&upgrade::hazards(&report, &old, &new));
        header + &report.render_annotated(use_colour(), &annotations)
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing the diff to stdout")?;
    Ok(if report.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_INVALID)
    })
}

/// One side: a directory is read as rendered output, anything else compiled as a profile.
/// The outer error is a usage or I/O problem (exit 2); the inner one an invalid profile.
fn load(path: &Path, overrides: &[String]) -> anyhow::Result<Result<Inventory, Failure>> {
    if path.is_dir() {
        if !overrides.is_empty() {
            bail!(
                "--set applies to a profile, but {} is a rendered directory",
                path.display()
            );
        }
        return Inventory::read_dir(path).map(Ok);
    }
    if !path.exists() {
        bail!(
            "{} does not exist; give a profile (.toml) or a directory written by `monstack render -o`",
            path.display()
        );
    }
    super::require_profile_file(Some(path))?;
    match pipeline::compile_path(Some(path), overrides)? {
        Ok(compilation) => Inventory::from_compilation(&compilation).map(Ok),
        Err(failure) => Ok(Err(failure)),
    }
}

/// Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org);
/// decided where diagnostics decide it.
fn use_colour() -> bool {
    crate::diag::stdout_is_styled()
}
