//! `monstack validate`: everything `render` does except writing; with `--previous DIR`, also
//! what an upgrade from DIR's stack needs beyond `kubectl apply` (see `upgrade`).

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use crate::cli::{Format, ValidateArgs};
use crate::diag::{Diagnostic, Failure};
use crate::diff::{self, Inventory};
use crate::pipeline::{self, Compilation};
use crate::upgrade;

pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let p = &args.profile;
    super::require_profile_file(p.profile.as_deref())?;
    let mut result = pipeline::compile_path(p.profile.as_deref(), &p.overrides)?;
    if let (Ok(c), Some(previous)) = (&mut result, &args.previous) {
        let warnings = upgrade_warnings(previous, c)?;
        c.warnings.extend(warnings);
    }
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
                "{}: valid ({} objects in {} files)",
                c.source_name,
                c.manifest.object_count(),
                c.component_count(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => Ok(failure.report()),
    }
}

/// One warning per object that `kubectl apply -f` will not bring from `previous` to what
/// the profile renders now.
fn upgrade_warnings(previous: &Path, c: &Compilation) -> anyhow::Result<Vec<Diagnostic>> {
    if !previous.is_dir() {
        bail!(
            "--previous {}: no such directory; name the directory the running stack was rendered into with `monstack render -o`",
            previous.display()
        );
    }
    let old = Inventory::read_dir(previous)?;
    let new = Inventory::from_compilation(c)?;
    let report = diff::compare(&old, &new);
    let hazards = upgrade::hazards(&report, &old, &new);
    Ok(hazards.iter().map(upgrade::Hazard::diagnostic).collect())
}
