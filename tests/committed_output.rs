//! What monstack renders is committed (out/<profile>/ and profiles/monstack.schema.json) so
//! reviews see output changes; these tests fail while the committed copies are stale, and show
//! that a profile edited without regenerating out/ fails `render --check` with a readable diff.

mod common;

use std::path::Path;
use std::process::Command;

use monstack::emit;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn out_dir_of_every_shipped_profile_is_up_to_date() {
    for profile in common::shipped_profiles() {
        let stem = profile.file_stem().unwrap().to_string_lossy().into_owned();
        let c = common::compile(&profile);
        let drift =
            emit::check_dir(&root().join("out").join(&stem), &emit::files(&c).unwrap()).unwrap();
        assert!(
            drift.is_empty(),
            "out/{stem} is stale ({}); run scripts/render-out.sh and review the diff:\n{}",
            drift.summary(),
            drift.diff
        );
    }
}

#[test]
fn committed_schema_is_up_to_date() {
    let committed = std::fs::read_to_string(root().join("profiles/monstack.schema.json")).unwrap();
    let current = serde_json::to_string_pretty(&monstack::schema::profile_schema()).unwrap() + "\n";
    assert!(
        committed == current,
        "profiles/monstack.schema.json is stale; run scripts/render-out.sh"
    );
}

#[test]
fn every_shipped_profile_names_the_schema() {
    for profile in common::shipped_profiles() {
        let text = std::fs::read_to_string(&profile).unwrap();
        assert!(
            text.starts_with("#:schema ./monstack.schema.json\n"),
            "{}",
            profile.display()
        );
    }
}

#[test]
fn an_edited_profile_fails_render_check_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    // A copy of production with one value changed, beside a copy of its rendered output.
    let text = std::fs::read_to_string(root().join("profiles/production.toml")).unwrap();
    let edited = text.replacen("replicas = 2", "replicas = 3", 1);
    assert_ne!(text, edited);
    std::fs::write(dir.path().join("production.toml"), edited).unwrap();
    let out = dir.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_monstack"))
        .args(["render", "profiles/production.toml", "-o"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(status.status.success());

    let check = Command::new(env!("CARGO_BIN_EXE_monstack"))
        .arg("render")
        .arg(dir.path().join("production.toml"))
        .arg("--check")
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{stderr}");
    assert!(
        stdout.contains("-  replicas: 2\n+  replicas: 3"),
        "unified diff expected:\n{stdout}"
    );
    assert!(stderr.contains("changed prometheus.yaml"), "{stderr}");
    assert!(
        stderr.contains("Regenerate it with `monstack render"),
        "{stderr}"
    );

    let unchanged = Command::new(env!("CARGO_BIN_EXE_monstack"))
        .args(["render", "profiles/production.toml", "--check", "-o"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(unchanged.status.code(), Some(0));
    assert!(unchanged.stdout.is_empty());
}
