//! The third-party checks of the README's test command, on a fresh render of every shipped
//! profile (kubernetes-validate has its own file, tests/kubernetes_validate.rs):
//! - checkov (`--framework kubernetes`): zero failed checks; every check a workload fails by
//!   design is waived on that object (`checkov.io/skipN: CKV_K8S_XX=reason`), checkov honours
//!   every waiver, and each waiver is listed with its reason in the README's table;
//! - yamllint with the committed `.yamllint.yaml`: zero errors.
//!
//! checkov runs once, over all profiles (about 3 s); a missing tool fails under CI=true.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use monstack::k8s::Object;

/// Renders every shipped profile into `<dir>/<profile stem>/`.
fn render_all(dir: &Path) -> Vec<PathBuf> {
    let mut written = Vec::new();
    for profile in common::shipped_profiles() {
        let compilation = common::compile(&profile);
        let out = dir.join(profile.file_stem().expect("a profile file name"));
        std::fs::create_dir_all(&out).expect("creating the output dir");
        for f in monstack::emit::files(&compilation).expect("rendering YAML") {
            let path = out.join(&f.name);
            std::fs::write(&path, &f.content).expect("writing a rendered file");
            written.push(path);
        }
    }
    written
}

/// A temporary directory checkov reads: it skips hidden directories, such as tempfile's
/// default `.tmpXXXX`.
fn visible_temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("monstack-check")
        .tempdir()
        .expect("a temp dir")
}

fn describe(output: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

// ---- checkov --------------------------------------------------------------------------------------

/// checkov's JSON summary of a directory: (failed, skipped, the failed checks).
fn checkov(tool: &Path, dir: &Path) -> (u64, u64, Vec<String>) {
    let output = Command::new(tool)
        .args([
            "--framework",
            "kubernetes",
            "--compact",
            "--quiet",
            "--skip-download",
        ])
        .args(["-o", "json", "-d"])
        .arg(dir)
        .output()
        .expect("running checkov");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("checkov printed no JSON ({e}):\n{}", describe(&output)));
    // One framework gives one report object; several give a list.
    let report = match report {
        serde_json::Value::Array(mut reports) => reports.remove(0),
        single => single,
    };
    let count = |key: &str| {
        report["summary"][key]
            .as_u64()
            .unwrap_or_else(|| panic!("no summary count {key}:\n{}", describe(&output)))
    };
    let failed = report["results"]["failed_checks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| format!("{} {} ({})", f["check_id"], f["resource"], f["check_name"]))
        .collect();
    (count("failed"), count("skipped"), failed)
}

/// Every waiver annotation in the rendered objects: (object, check, reason).
fn waivers() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for profile in common::shipped_profiles() {
        let c = common::compile(&profile);
        for o in c.manifest.objects() {
            for (key, value) in o.meta().annotations.iter().flatten() {
                if !key.starts_with("checkov.io/skip") {
                    continue;
                }
                let parts: Vec<&str> = value.split('=').collect();
                assert_eq!(
                    parts.len(),
                    2,
                    "{}: checkov reads `{key}: {value}` only as CHECK=reason (one `=`)",
                    o.id()
                );
                let id = format!("{}: {}", profile.display(), o.id());
                out.push((id, parts[0].to_string(), parts[1].to_string()));
            }
        }
    }
    out
}

#[test]
fn checkov_passes_every_shipped_profile_with_each_waiver_honoured_and_documented() {
    let Some(tool) = common::require_tool("checkov") else {
        return;
    };
    let dir = visible_temp_dir();
    render_all(dir.path());
    let (failed, skipped, failures) = checkov(&tool, dir.path());
    assert_eq!(
        failed,
        0,
        "checkov failed checks (fix them, or waive one on its object with the reason):\n{}",
        failures.join("\n")
    );
    let waivers = waivers();
    assert_eq!(
        skipped,
        waivers.len() as u64,
        "checkov skipped another number of checks than the objects waive: a waiver names a \
         check checkov does not run on that object"
    );
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let undocumented: Vec<String> = waivers
        .iter()
        .filter(|(_, check, reason)| {
            !readme.lines().any(|l| {
                l.starts_with('|')
                    && l.contains(&format!("`{check}`"))
                    && l.contains(reason.as_str())
            })
        })
        .map(|(id, check, reason)| format!("{id}: {check} = {reason}"))
        .collect();
    assert!(
        undocumented.is_empty(),
        "waivers missing from the README's waiver table (a row with the check and this exact reason):\n{}",
        undocumented.join("\n")
    );
}

/// The check above has teeth: an unwaived host-network pod fails, and its waiver counts.
#[test]
fn checkov_fails_an_unwaived_pod_and_honours_a_waiver() {
    let Some(tool) = common::require_tool("checkov") else {
        return;
    };
    let dir = visible_temp_dir();
    let pod = |annotations: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: n\n{annotations}\
             spec:\n  hostNetwork: true\n  containers:\n  - name: c\n    image: x:1\n"
        )
    };
    std::fs::write(dir.path().join("pod.yaml"), pod("")).expect("writing the fixture");
    let (failed, _, failures) = checkov(&tool, dir.path());
    assert!(
        failures.iter().any(|f| f.contains("CKV_K8S_19")),
        "{failures:?}"
    );
    let waived = pod("  annotations:\n    checkov.io/skip1: CKV_K8S_19=a reason\n");
    std::fs::write(dir.path().join("pod.yaml"), waived).expect("writing the fixture");
    let (failed_after, skipped, _) = checkov(&tool, dir.path());
    assert_eq!((failed_after, skipped), (failed - 1, 1));
}

/// Each waiver is declared where its reason is known: no object waives a check twice.
#[test]
fn no_object_waives_a_check_twice() {
    let mut seen = std::collections::BTreeSet::new();
    for (id, check, _) in waivers() {
        assert!(
            seen.insert((id.clone(), check.clone())),
            "{id} waives {check} twice"
        );
    }
    assert!(!seen.is_empty());
}

// ---- yamllint --------------------------------------------------------------------------------------

fn yamllint(tool: &Path, files: &[PathBuf]) -> Output {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join(".yamllint.yaml");
    Command::new(tool)
        .arg("-c")
        .arg(config)
        .args(["-f", "parsable"])
        .args(files)
        .output()
        .expect("running yamllint")
}

#[test]
fn yamllint_finds_no_error_in_any_shipped_profile() {
    let Some(tool) = common::require_tool("yamllint") else {
        return;
    };
    let dir = visible_temp_dir();
    let files = render_all(dir.path());
    let output = yamllint(&tool, &files);
    assert!(output.status.success(), "{}", describe(&output));
}

#[test]
fn yamllint_refuses_a_duplicate_key() {
    let Some(tool) = common::require_tool("yamllint") else {
        return;
    };
    let dir = visible_temp_dir();
    let path = dir.path().join("dup.yaml");
    std::fs::write(&path, "a: 1\na: 2\n").expect("writing the fixture");
    let output = yamllint(&tool, &[path]);
    assert!(!output.status.success(), "{}", describe(&output));
}

/// Waivers are annotations on workloads only, never on objects checkov does not examine.
#[test]
fn only_workloads_carry_waivers() {
    for profile in common::shipped_profiles() {
        let c = common::compile(&profile);
        for o in c.manifest.objects() {
            let waives = o
                .meta()
                .annotations
                .iter()
                .flatten()
                .any(|(k, _)| k.starts_with("checkov.io/"));
            assert!(
                !waives
                    || matches!(
                        o,
                        Object::Deployment(_)
                            | Object::StatefulSet(_)
                            | Object::DaemonSet(_)
                            | Object::CronJob(_)
                    ),
                "{}",
                o.id()
            );
        }
    }
}
