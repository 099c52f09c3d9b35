//! Command-line interface (clap derive). Glue only: each subcommand's work is in `commands/`.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// The examples `--help` and the man page show: what each does, and the command line.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "Render the built-in production profile to stdout, and apply it",
        "monstack render | kubectl apply -f -",
    ),
    (
        "Render the dev profile into monitoring/, one file per component",
        "monstack render profiles/dev.toml -o monitoring/",
    ),
    (
        "Exit 1 with a diff if the committed out/production is stale",
        "monstack render --check -o out/production",
    ),
    (
        "Check a profile with one value overridden; write nothing",
        "monstack validate profiles/cost-optimized.toml --set prometheus.replicas=1",
    ),
    (
        "Before upgrading: warn about what `kubectl apply` cannot change in the running stack",
        "monstack validate profiles/production.toml --previous monitoring/",
    ),
    (
        "Before the first apply: the Secrets to create, with a command for each",
        "monstack secrets profiles/production.toml",
    ),
    (
        "Before the first apply: the storage class, CRDs and controllers the stack expects",
        "monstack prerequisites profiles/production.toml --format json",
    ),
    (
        "What two profiles reserve and cost a month, side by side",
        "monstack cost profiles/production.toml profiles/cost-optimized.toml",
    ),
    (
        "Write a Markdown runbook for every alert; pages you edited are kept",
        "monstack runbooks profiles/production.toml -o runbooks/",
    ),
    (
        "Review what a variant changes, object by object",
        "monstack diff profiles/production.toml profiles/cost-optimized.toml",
    ),
    (
        "Start your own profile from a shipped one",
        "monstack init --preset dev my-stack.toml",
    ),
];

/// What each exit code means (the README says the same).
pub const EXIT_CODES: &[(u8, &str)] = &[
    (0, "success"),
    (1, "invalid profile, failed validation or differences found"),
    (
        2,
        "usage or I/O error (a profile or directory that does not exist or cannot be read)",
    ),
];

fn after_help() -> String {
    let mut text = String::from("Examples:\n");
    for (what, command) in EXAMPLES {
        text.push_str(&format!("  # {what}\n  {command}\n\n"));
    }
    text.push_str("Exit codes:\n");
    for (code, meaning) in EXIT_CODES {
        text.push_str(&format!("  {code}  {meaning}\n"));
    }
    text.trim_end().to_string()
}

/// monstack compiles one TOML stack profile into validated Kubernetes manifests for a
/// production monitoring stack (Prometheus, Alertmanager, kube-state-metrics, ...).
#[derive(Debug, Parser)]
#[command(
    name = "monstack",
    version,
    long_version = env!("MONSTACK_LONG_VERSION"),
    about,
    after_help = after_help()
)]
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
`kubectl apply -f DIR` works in one pass. Files in DIR that monstack did not write are kept.
With --kustomization, DIR also gets a kustomization.yaml listing those files in apply order:
DIR is then a kustomize base (`kubectl apply -k DIR`, or an overlay with resources: [DIR]).
With --check -o DIR, nothing is written: the exit code is 1 and a diff is printed when DIR
differs from what the profile renders, 2 when DIR does not exist.")]
    Render(RenderArgs),
    /// Load, build and validate a profile without writing anything.
    Validate(ValidateArgs),
    /// List the Secrets the rendered stack reads, with a command to create each.
    #[command(after_help = "\
monstack never renders a Secret: the profile names existing ones. Each is listed once, in the
namespace of the pods that read it, with its keys and what each holds, the component and the
profile key that name it, and a `kubectl create secret` command with a <placeholder> for
every value (never a value). Where a program needs a hashed value, the command produces it
with htpasswd, which asks for the password.")]
    Secrets(ChecklistArgs),
    /// List what must exist in the cluster before `kubectl apply`, besides the Secrets.
    #[command(after_help = "\
The storage class, CRDs and controllers, buckets: each is contributed by the component that
needs it, and listed once with every component that needs it.")]
    Prerequisites(ChecklistArgs),
    /// What each component reserves (CPU, memory, volumes) and costs a month; several profiles side by side.
    #[command(after_help = "\
Counted from the rendered objects: each workload's containers × its replicas (a DaemonSet ×
stack.nodes, a CronJob as one pod) and each StatefulSet's volume claims × its replicas; object
storage is the capacity model's estimate. The month's cost prices CPU and memory requests,
volumes and object storage with [stack.pricing] (defaults: DigitalOcean list prices, see the
README). With several profiles, a comparison of the totals follows, with the difference of
each from the first.")]
    Cost(CostArgs),
    /// Write one Markdown runbook per rendered alert (or print one with --alert).
    #[command(after_help = "\
Each alert links to <stack.runbook_base_url>/<AlertName>; -o DIR writes DIR/<AlertName>.md for
every alert the profile renders: what it means, its expression and threshold, first checks
(PromQL, kubectl, LogQL where Loki is rendered) and who Alertmanager notifies.
Pages are meant to be edited: each starts with a header holding the checksum of its text, and
monstack replaces or removes a page only while that checksum still matches. Edited pages and
files monstack did not write are kept and listed; delete one to get the generated page back.")]
    Runbooks(RunbooksArgs),
    /// Compare two stacks object by object; each side is a profile or a rendered directory.
    Diff(DiffArgs),
    /// Write a commented starter profile.
    Init(InitArgs),
    /// Print the JSON Schema of profiles (for editors with a TOML language server).
    Schema,
    /// Explain a diagnostic code such as `unknown-key`; without CODE, list every code.
    Explain(ExplainArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Profile to use (TOML). Default: the built-in production profile.
    #[arg(value_name = "PROFILE")]
    pub profile: Option<PathBuf>,
    /// Override one profile value: a dotted key and a TOML value; repeatable, applied last.
    /// Text that is not TOML is a string (--set stack.name=shop, --set 'grafana.dashboards.folder=Team A');
    /// an empty value unsets an optional one (--set prometheus.host=).
    /// Lists and tables are TOML: --set 'stack.app_namespaces=["default","shop"]'
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Write one file per component into DIR instead of one stream to stdout.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Write nothing; exit 1 with a unified diff if DIR differs from the rendered files.
    #[arg(long, requires = "output")]
    pub check: bool,
    /// Also write DIR/kustomization.yaml listing the files, for `kubectl apply -k DIR` and
    /// kustomize overlays (`resources: [../DIR]`).
    #[arg(long, requires = "output")]
    pub kustomization: bool,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// How to report problems.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The directory the running stack was rendered into: warn about changes `kubectl apply`
    /// cannot make (immutable fields) and objects it will not delete, with what to do.
    #[arg(long, value_name = "DIR")]
    pub previous: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["output", "alert"])))]
pub struct RunbooksArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Write <AlertName>.md for every rendered alert into DIR (created if needed).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Print the runbook of this alert to stdout instead.
    #[arg(long, value_name = "NAME")]
    pub alert: Option<String>,
}

#[derive(Debug, Args)]
pub struct ChecklistArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// How to print the list (an invalid profile prints its diagnostics as `validate` does).
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Profiles to cost (TOML). Default: the built-in production profile.
    #[arg(value_name = "PROFILE")]
    pub profiles: Vec<PathBuf>,
    /// Override one value of every profile, written as for `render --set`; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// How to print the tables (`text` and `json` as for `secrets`).
    #[arg(long, value_enum, default_value_t = CostFormat::Text)]
    pub format: CostFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostFormat {
    /// Aligned tables, for people.
    Text,
    /// Markdown tables, for a pull request or a wiki.
    Markdown,
    /// One JSON document, for scripts.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// For people.
    Text,
    /// One JSON document, for scripts.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Messages with the offending line and a caret.
    Human,
    /// One JSON document with every diagnostic, for CI annotations.
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old side: a profile (.toml) or a directory rendered by monstack.
    #[arg(value_name = "A")]
    pub old: PathBuf,
    /// The new side: a profile (.toml) or a directory rendered by monstack.
    #[arg(value_name = "B")]
    pub new: PathBuf,
    /// Override one value of the new side (B), written as for `render --set`; repeatable.
    /// `monstack diff P P --set prometheus.replicas=1` previews what an override changes.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    Production,
    CostOptimized,
    Dev,
    Large,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Which shipped profile to start from.
    #[arg(long, value_enum, default_value_t = Preset::Production)]
    pub preset: Preset,
    /// Where to write the profile.
    #[arg(value_name = "PATH", default_value = "monstack.toml")]
    pub path: PathBuf,
    /// Overwrite PATH if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The code shown in brackets, as in `error[unknown-key]`.
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
