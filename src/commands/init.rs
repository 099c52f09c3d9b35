//! `monstack init`: write a shipped profile as a commented starting point.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::{InitArgs, Preset};
use crate::profile;

/// The file the shipped variants extend.
const PARENT: &str = "production.toml";

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
    // The schema directive points at a file beside the shipped profiles, not the user's.
    let text = text.replacen("#:schema ./monstack.schema.json\n", "", 1);
    let extends_parent = text.contains(&format!("extends = \"{PARENT}\""));
    if extends_parent && args.path.file_name().is_some_and(|n| n == PARENT) {
        bail!(
            "this preset extends {PARENT}, so it cannot be written as {PARENT} itself; choose another file name"
        );
    }
    write(&args.path, &text)?;
    if extends_parent {
        let parent = args.path.parent().unwrap_or(Path::new("")).join(PARENT);
        if !parent.exists() {
            let parent_text =
                profile::PRESET_PRODUCTION.replacen("#:schema ./monstack.schema.json\n", "", 1);
            write(&parent, &parent_text)?;
        }
    }
    eprintln!(
        "next: edit it, then `monstack validate {}`; `monstack schema > monstack.schema.json` gives editors completion",
        args.path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
