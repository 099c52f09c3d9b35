//! `monstack init`: write a shipped profile as a commented starting point, with what it needs
//! beside it: the profile it extends (for the variants) and the JSON Schema its `#:schema`
//! line names. Every file it writes or finds already there is reported, so nothing happens
//! silently.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::{InitArgs, Preset};
use crate::profile;

/// The file the shipped variants extend.
const PARENT: &str = "production.toml";
/// The schema file the shipped profiles' first line names (`#:schema ./monstack.schema.json`).
const SCHEMA: &str = "monstack.schema.json";

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
        Preset::Large => profile::PRESET_LARGE,
    };
    let extends_parent = text.contains(&format!("extends = \"{PARENT}\""));
    if extends_parent && args.path.file_name().is_some_and(|n| n == PARENT) {
        bail!(
            "this preset extends {PARENT}, so it cannot be written as {PARENT} itself; choose another file name"
        );
    }
    let dir = args.path.parent().unwrap_or(Path::new(""));
    let name = args.path.display();
    write(&args.path, text)?;
    eprintln!("wrote {name}");
    if extends_parent {
        // The parent sits beside the profile, so the profile's file name says enough.
        let child = args.path.file_name().unwrap_or_default().to_string_lossy();
        provide_parent(&dir.join(PARENT), &child)?;
    }
    provide_schema(&dir.join(SCHEMA), args.force)?;
    eprintln!("next: edit {name}, then `monstack validate {name}`");
    Ok(ExitCode::SUCCESS)
}

/// Writes the parent a variant extends, or says which existing file it will inherit from.
fn provide_parent(parent: &Path, child: &str) -> anyhow::Result<()> {
    let shown = parent.display();
    match std::fs::read_to_string(parent) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            write(parent, profile::PRESET_PRODUCTION)?;
            eprintln!(
                "wrote {shown}: {child} extends it (`extends = \"{PARENT}\"`), so settings shared with production go there"
            );
        }
        Err(err) => return Err(err).with_context(|| format!("reading {shown}")),
        Ok(existing) if existing == profile::PRESET_PRODUCTION => {
            eprintln!("kept {shown}, the shipped production profile, which {child} extends");
        }
        Ok(_) => eprintln!(
            "kept {shown}, which {child} extends: it is not the shipped production profile, so {child} inherits what this file sets"
        ),
    }
    Ok(())
}

/// Writes the JSON Schema beside the profile for editors, unless an up-to-date copy is there.
fn provide_schema(path: &Path, force: bool) -> anyhow::Result<()> {
    let schema = serde_json::to_string_pretty(&crate::schema::profile_schema())? + "\n";
    let shown = path.display();
    match std::fs::read_to_string(path) {
        Ok(existing) if existing == schema => {
            eprintln!("kept {shown}: it is this version's schema");
        }
        Ok(_) if !force => eprintln!(
            "kept {shown}, which differs from this version's schema: `monstack schema > {shown}` updates it"
        ),
        _ => {
            write(path, &schema)?;
            eprintln!(
                "wrote {shown}: the profile's `#:schema` line points editors at it (Taplo, Even Better TOML) for completion and checks"
            );
        }
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
