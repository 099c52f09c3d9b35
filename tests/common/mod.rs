//! Helpers shared by the integration tests: compile shipped profiles, reach into rendered
//! ConfigMaps, and find the real validator programs.
#![allow(dead_code)]

pub mod promtool;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use monstack::k8s::Object;
use monstack::pipeline::{self, Compilation};

/// The profiles monstack ships, sorted.
pub fn shipped_profiles() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut profiles: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("profiles/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    profiles.sort();
    assert!(!profiles.is_empty(), "no profiles in {}", dir.display());
    profiles
}

/// Compiles a profile, panicking with the rendered diagnostics if it is invalid.
pub fn compile(profile: &Path) -> Compilation {
    match pipeline::compile_path(Some(profile), &[]).expect("no internal error") {
        Ok(c) => c,
        Err(failure) => panic!("{} does not compile:\n{failure}", profile.display()),
    }
}

/// The `data` of the rendered ConfigMap `name`.
pub fn config_map(c: &Compilation, name: &str) -> BTreeMap<String, String> {
    c.manifest
        .objects()
        .find_map(|o| match o {
            Object::ConfigMap(cm) if o.name() == name => Some(cm.data.clone().unwrap_or_default()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ConfigMap {name} rendered"))
}

/// Finds a validator program. A missing tool fails the test: the README's test command
/// installs every tool, and a check that silently does not run proves nothing. Only an
/// explicit MONSTACK_SKIP_TOOLS=1 outside CI turns the failure into a loud skip.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    if let Some(path) = find_on_path(name) {
        return Some(path);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    let skip = std::env::var("MONSTACK_SKIP_TOOLS").is_ok_and(|v| v == "1");
    if skip && !ci {
        eprintln!("SKIPPED: {name} is not installed and MONSTACK_SKIP_TOOLS=1");
        return None;
    }
    panic!(
        "{name} is not installed; run scripts/test.sh (it installs the validators) or set MONSTACK_SKIP_TOOLS=1 outside CI"
    );
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(name);
    if local.is_file() {
        return Some(local);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs the monstack binary from the crate root, without colour.
pub fn monstack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_monstack"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("monstack runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
