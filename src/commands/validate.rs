//! `monstack validate`: everything `render` does except writing.

use std::process::ExitCode;

use crate::cli::{Format, ValidateArgs};
use crate::diag::Failure;
use crate::pipeline;

pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let p = &args.profile;
    super::require_profile_file(p.profile.as_deref())?;
    let result = pipeline::compile_path(p.profile.as_deref(), &p.overrides)?;
    let result = result.and_then(|c| c.strict(args.strict));
    if args.format == Format::Json {
        let diagnostics = match &result {
            Ok(c) => c.warnings.as_slice(),
            Err(f) => f.diagnostics.as_slice(),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&Failure::json(diagnostics, result.is_ok()))?
        );
        return Ok(if result.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(crate::EXIT_INVALID)
        });
    }
    match result {
        Ok(c) => {
            for w in &c.warnings {
                eprintln!("{}\n", w.render(crate::diag::stderr_wants_color()));
            }
            eprintln!(
                "{}: valid ({} objects from {} components)",
                c.source_name,
                c.manifest.object_count(),
                c.component_count(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => Ok(failure.report()),
    }
}
