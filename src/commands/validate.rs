//! `monstack validate`: everything `render` does except writing.

use std::process::ExitCode;

use crate::cli::{Format, ValidateArgs};
use crate::diag::Failure;
use crate::pipeline;

pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let p = &args.profile;
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
            crate::diag::print_warnings(&c.warnings);
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
