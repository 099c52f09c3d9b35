//! TEMPORARY placeholder: `monstack diff` is being written.

use std::process::ExitCode;

use crate::cli::DiffArgs;

pub fn run(_args: &DiffArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("monstack diff is not available in this build")
}
