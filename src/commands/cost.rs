//! `monstack cost [PROFILE...]`: compiles each profile and prints what it reserves and costs
//! (`crate::cost`). An invalid profile prints its diagnostics as `validate` does (as JSON with
//! `--format json`) and exits 1; nothing is costed then.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{CostArgs, CostFormat};
use crate::cost::{self, report};
use crate::diag::Failure;
use crate::pipeline;

pub fn run(args: &CostArgs) -> anyhow::Result<ExitCode> {
    let profiles: Vec<Option<PathBuf>> = if args.profiles.is_empty() {
        vec![None]
    } else {
        args.profiles.iter().cloned().map(Some).collect()
    };
    let mut estimates = Vec::new();
    for path in &profiles {
        super::require_profile_file(path.as_deref())?;
        let name = path.as_ref().map_or_else(
            || "built-in production".to_string(),
            |p| p.display().to_string(),
        );
        match pipeline::compile_path(path.as_deref(), &args.overrides)? {
            Ok(c) => {
                crate::diag::print_warnings(&c.warnings);
                estimates.push(cost::estimate(&name, &c)?);
            }
            Err(failure) if args.format == CostFormat::Json => {
                let json = Failure::json(&failure.diagnostics, false);
                super::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
                return Ok(ExitCode::from(crate::EXIT_INVALID));
            }
            Err(failure) => return Ok(failure.report()),
        }
    }
    let out = match args.format {
        CostFormat::Text => report::tables(&estimates, report::Style::Text),
        CostFormat::Markdown => report::tables(&estimates, report::Style::Markdown),
        CostFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report::json(&estimates))?
        ),
    };
    super::print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}
