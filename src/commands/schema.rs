//! TEMPORARY placeholder: `monstack schema` is being written.

use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    anyhow::bail!("monstack schema is not available in this build")
}
