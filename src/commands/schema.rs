//! `monstack schema`: the profile's JSON Schema on stdout.

use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    println!(
        "{}",
        serde_json::to_string_pretty(&crate::schema::profile_schema())?
    );
    Ok(ExitCode::SUCCESS)
}
