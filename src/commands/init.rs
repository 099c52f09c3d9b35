//! `monstack init`: write a shipped profile as a commented starting point.

use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::{InitArgs, Preset};
use crate::profile;

pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    if args.path.exists() && !args.force {
        bail!(
            "{} exists; choose another path or pass --force to overwrite it",
            args.path.display()
        );
    }
    let text = match args.preset {
        Preset::Production => profile::PRESET_PRODUCTION,
        Preset::CostOptimized => profile::PRESET_COST_OPTIMIZED,
        Preset::Dev => profile::PRESET_DEV,
    };
    std::fs::write(&args.path, text).with_context(|| format!("writing {}", args.path.display()))?;
    eprintln!(
        "wrote {}; check it with `monstack validate {}`",
        args.path.display(),
        args.path.display()
    );
    Ok(ExitCode::SUCCESS)
}
