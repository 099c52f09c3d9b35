//! Records the git commit monstack is built from, for `monstack --version`
//! ("0.1.0 (commit 1a2b3c4)"). Built outside a git checkout (a crate tarball) or without git,
//! it is the version alone. Only `--version` shows it: rendered files never do, so the same
//! profile renders the same bytes from any build.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let long = match commit() {
        Some(commit) => format!("{version} (commit {commit})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=MONSTACK_LONG_VERSION={long}");
    // Without a rerun-if line, cargo reruns this on every change in the package; with git,
    // only a new HEAD or branch tip changes the answer.
    println!("cargo:rerun-if-changed=build.rs");
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for path in ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref()) {
        // A path that does not exist would make cargo rerun this on every build.
        if let Some(p) = git(&["rev-parse", "--git-path", path]).filter(|p| Path::new(p).exists()) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
}

/// The short commit of HEAD, when this is a git checkout and git runs.
fn commit() -> Option<String> {
    if !Path::new(".git").exists() {
        return None;
    }
    git(&["rev-parse", "--short", "HEAD"])
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}
