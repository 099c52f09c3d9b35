//! monstack: a typed compiler from one TOML stack profile to Kubernetes manifests for a
//! production monitoring stack.
//!
//! Pipeline (one module per stage, arrows point one way):
//! `profile::load` → `model::resolve` → `components::build_all` → `validate::check` → `emit`.

// Diagnostics are returned only on the error path, where their size costs nothing.
#![allow(clippy::result_large_err)]

pub mod capacity;
pub mod cli;
pub mod commands;
pub mod components;
pub mod contrib;
pub mod cost;
pub mod derive;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod k8s;
pub mod model;
pub mod parallel;
pub mod pipeline;
pub mod profile;
pub mod promql;
pub mod runbooks;
pub mod schema;
pub mod templates;
pub mod upgrade;
pub mod validate;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

/// Exit code for a profile or a rendered stack that is invalid.
pub const EXIT_INVALID: u8 = 1;
/// Exit code for a usage error or an unexpected failure (I/O, a bug).
pub const EXIT_USAGE: u8 = 2;

/// Runs monstack with the given arguments (the first being the program name). The calling
/// thread becomes a worker of the thread pool (`parallel::start`): call it from `main`.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout with exit 0 and usage errors to stderr with 2.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    parallel::start();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `monstack render | head` must not report an error when the reader goes away.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
