//! `monstack render`: compile a profile and write the manifests to stdout or a directory.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::RenderArgs;
use crate::{emit, pipeline};

pub fn run(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let compilation = match pipeline::compile_path(args.profile.profile.as_deref())? {
        Ok(compilation) => compilation,
        Err(failure) => return Ok(failure.report()),
    };
    let files = emit::files(&compilation)?;
    match &args.output {
        Some(dir) => {
            let summary = emit::write_dir(dir, &files)?;
            eprintln!("{summary}");
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(emit::stream(&files).as_bytes())
                .context("writing the manifests to stdout")?;
            out.flush().context("writing the manifests to stdout")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
