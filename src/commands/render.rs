//! `monstack render`: compile a profile and write the manifests to stdout or a directory, or
//! (`--check`) compare them with a directory.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::RenderArgs;
use crate::{emit, pipeline};

pub fn run(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let p = &args.profile;
    let compilation = match pipeline::compile_path(p.profile.as_deref(), &p.overrides)?
        .and_then(|c| c.strict(args.strict))
    {
        Ok(compilation) => compilation,
        Err(failure) => return Ok(failure.report()),
    };
    crate::diag::print_warnings(&compilation.warnings);
    let files = emit::files(&compilation)?;
    let mut out = std::io::stdout().lock();
    match (&args.output, args.check) {
        (Some(dir), true) => {
            let drift = emit::check_dir(dir, &files)?;
            if drift.is_empty() {
                eprintln!(
                    "{} is up to date with {}",
                    dir.display(),
                    compilation.profile_file
                );
                return Ok(ExitCode::SUCCESS);
            }
            out.write_all(drift.diff.as_bytes())
                .context("writing the diff to stdout")?;
            eprintln!(
                "{} differs from what {} renders: {}. Regenerate it with `monstack render {} -o {}`.",
                dir.display(),
                compilation.profile_file,
                drift.summary(),
                p.profile
                    .as_ref()
                    .map_or("".into(), |p| p.display().to_string()),
                dir.display()
            );
            Ok(ExitCode::from(crate::EXIT_INVALID))
        }
        (Some(dir), false) => {
            let summary = emit::write_dir(dir, &files)?;
            eprintln!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        (None, _) => {
            out.write_all(emit::stream(&files).as_bytes())
                .context("writing the manifests to stdout")?;
            out.flush().context("writing the manifests to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
