//! Command-line interface (clap derive). Glue only: each subcommand's work is in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Examples:
  monstack render                          Render the built-in production profile to stdout
  monstack render | kubectl apply -f -     ...and apply it to the current cluster
  monstack render -o monitoring/           Write one file per component into monitoring/
  monstack render profiles/dev.toml -o monitoring/
  monstack validate profiles/cost-optimized.toml

Exit codes: 0 success, 1 invalid profile or failed validation, 2 usage or I/O error.";

/// monstack compiles one TOML stack profile into validated Kubernetes manifests for a
/// production monitoring stack (Prometheus, Alertmanager, kube-state-metrics, ...).
#[derive(Debug, Parser)]
#[command(name = "monstack", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a profile to Kubernetes manifests (stdout, or one file per component with -o).
    #[command(after_help = "\
With no PROFILE the built-in production profile is rendered (the same file as
profiles/production.toml in the monstack sources).

Without -o, one multi-document YAML stream goes to stdout, ordered so that
`monstack render | kubectl apply -f -` works on an empty cluster.
With -o DIR, DIR receives 00-namespace.yaml and one <component>.yaml per component;
`kubectl apply -f DIR` works in one pass. Files in DIR that monstack did not write are kept.")]
    Render(RenderArgs),
    /// Load, build and validate a profile without writing anything.
    Validate(ProfileArg),
}

#[derive(Debug, Args)]
pub struct ProfileArg {
    /// Profile to use (TOML). Default: the built-in production profile.
    #[arg(value_name = "PROFILE")]
    pub profile: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// Write one file per component into DIR instead of one stream to stdout.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
}
