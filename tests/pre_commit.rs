//! The hooks in `.pre-commit-hooks.yaml`, run by the real pre-commit against a scratch git
//! repository holding a profile and its committed output: `monstack-check` passes while the
//! output is current and fails with the diff once the profile changed; `monstack-validate`
//! fails on an invalid profile. The hook file is the working tree's (committed into a scratch
//! hook repository), so the test checks what would be released.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::require_tool;

const PROFILE: &str = "profiles/production.toml";

/// Runs `program` in `dir` with monstack's binary first on PATH and a private pre-commit cache.
fn run(program: &Path, args: &[&str], dir: &Path, cache: &Path) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_monstack"))
        .parent()
        .expect("the binary has a directory")
        .to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH joins");
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", cache)
        .env("NO_COLOR", "1")
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Scratch {
    _root: tempfile::TempDir,
    git: PathBuf,
    pre_commit: PathBuf,
    user: PathBuf,
    cache: PathBuf,
}

impl Scratch {
    fn git(&self, dir: &Path, args: &[&str]) {
        let out = run(&self.git, args, dir, &self.cache);
        assert!(out.status.success(), "git {args:?}: {}", text(&out));
    }

    fn run_hooks(&self) -> Output {
        self.git(&self.user, &["add", "-A"]);
        run(
            &self.pre_commit,
            &["run", "--all-files", "--color", "never"],
            &self.user,
            &self.cache,
        )
    }
}

/// A hook repository with the working tree's `.pre-commit-hooks.yaml`, and a user repository
/// with the production profile, its output rendered into `deploy/monitoring` and a
/// `.pre-commit-config.yaml` using both hooks.
fn scratch(render_flags: &[&str]) -> Option<Scratch> {
    let pre_commit = require_tool("pre-commit")?;
    let git = require_tool("git")?;
    let root = tempfile::tempdir().unwrap();
    let hooks = root.path().join("hooks");
    let user = root.path().join("user");
    let cache = root.path().join("cache");
    for d in [&hooks, &user, &cache] {
        std::fs::create_dir(d).unwrap();
    }
    let s = Scratch {
        git,
        pre_commit,
        user: user.clone(),
        cache,
        _root: root,
    };
    let crate_root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        crate_root.join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    s.git(&hooks, &["init", "-q"]);
    s.git(&hooks, &["add", "-A"]);
    s.git(&hooks, &["commit", "-qm", "hooks"]);
    let rev = run(&s.git, &["rev-parse", "HEAD"], &hooks, &s.cache);
    let rev = String::from_utf8_lossy(&rev.stdout).trim().to_string();

    s.git(&user, &["init", "-q"]);
    std::fs::create_dir(user.join("profiles")).unwrap();
    std::fs::copy(crate_root.join(PROFILE), user.join(PROFILE)).unwrap();
    let rendered = run(
        Path::new(env!("CARGO_BIN_EXE_monstack")),
        &[
            &["render", PROFILE, "-o", "deploy/monitoring"],
            render_flags,
        ]
        .concat(),
        &user,
        &s.cache,
    );
    assert!(rendered.status.success(), "{}", text(&rendered));
    std::fs::write(
        user.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: monstack-validate\n    args: [{PROFILE}]\n  - id: monstack-check\n    args: ['{PROFILE}:deploy/monitoring']\n",
            hooks.display()
        ),
    )
    .unwrap();
    s.git(&user, &["add", "-A"]);
    s.git(&user, &["commit", "-qm", "monitoring"]);
    Some(s)
}

fn edit_profile(s: &Scratch, from: &str, to: &str) {
    let path = s.user.join(PROFILE);
    let profile = std::fs::read_to_string(&path).unwrap();
    assert!(profile.contains(from), "{PROFILE} has no `{from}`");
    std::fs::write(&path, profile.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_check_hook_passes_on_current_output_and_fails_with_the_diff_on_stale_output() {
    let Some(s) = scratch(&[]) else { return };
    let current = s.run_hooks();
    assert!(current.status.success(), "{}", text(&current));
    assert!(text(&current).contains("monstack render --check"));

    edit_profile(&s, "scrape_interval = \"15s\"", "scrape_interval = \"20s\"");
    let stale = s.run_hooks();
    let out = text(&stale);
    assert_eq!(stale.status.code(), Some(1), "{out}");
    assert!(
        out.contains("monstack validate....") && out.contains("Passed"),
        "{out}"
    );
    assert!(
        out.contains("monstack render --check....") && out.contains("Failed"),
        "{out}"
    );
    assert!(
        out.contains("--- deploy/monitoring/prometheus.yaml"),
        "{out}"
    );
    assert!(
        out.contains("-      scrape_interval: 15s\n+      scrape_interval: 20s"),
        "{out}"
    );
    assert!(
        out.contains("differs from what production.toml renders"),
        "{out}"
    );
}

#[test]
fn the_validate_hook_fails_on_an_invalid_profile() {
    let Some(s) = scratch(&[]) else { return };
    edit_profile(
        &s,
        "scrape_interval = \"15s\"",
        "scrape_intervall = \"15s\"",
    );
    let invalid = s.run_hooks();
    let out = text(&invalid);
    assert_eq!(invalid.status.code(), Some(1), "{out}");
    assert!(out.contains("scrape_intervall"), "{out}");
}

#[test]
fn the_check_hook_checks_a_kustomize_base_with_its_kustomization() {
    let Some(s) = scratch(&["--kustomization"]) else {
        return;
    };
    let current = s.run_hooks();
    assert!(current.status.success(), "{}", text(&current));
    std::fs::remove_file(s.user.join("deploy/monitoring/kustomization.yaml")).unwrap();
    let missing = s.run_hooks();
    // Without monstack's kustomization.yaml the directory is checked as a plain one: current.
    assert!(missing.status.success(), "{}", text(&missing));
}
