//! `monstack man`: the man page (roff) on stdout, e.g. `monstack man > monstack.1`.

use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;

pub fn run() -> anyhow::Result<ExitCode> {
    clap_mangen::Man::new(Cli::command())
        .render(&mut std::io::stdout())
        .context("writing the man page to stdout")?;
    Ok(ExitCode::SUCCESS)
}
