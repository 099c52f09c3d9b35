//! `monstack validate`: everything `render` does except writing.

use std::process::ExitCode;

use crate::cli::ProfileArg;
use crate::pipeline;

pub fn run(args: &ProfileArg) -> anyhow::Result<ExitCode> {
    match pipeline::compile_path(args.profile.as_deref())? {
        Ok(compilation) => {
            eprintln!(
                "{}: valid ({} objects from {} components)",
                compilation.source_name,
                compilation.manifest.object_count(),
                compilation.component_count(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => Ok(failure.report()),
    }
}
