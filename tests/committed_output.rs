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
        stderr.contains("rewrites the files monstack wrote there"),
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

#[test]
fn the_help_example_render_check_passes_on_the_committed_output() {
    let help = common::stdout(&common::monstack(&["--help"]));
    assert!(
        help.contains("monstack render --check -o out/production"),
        "the example this test runs is no longer in --help:\n{help}"
    );
    // No PROFILE: the built-in default, which must render exactly what out/production holds.
    let out = common::monstack(&["render", "--check", "-o", "out/production"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn render_check_of_a_missing_directory_says_it_does_not_exist() {
    let out = common::monstack(&["render", "--check", "-o", "no-such-dir/"]);
    let stderr = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "no diff of the whole stack");
    assert!(
        stderr.contains("no-such-dir/ does not exist, so there is nothing to check"),
        "{stderr}"
    );
    assert!(
        !root().join("no-such-dir").exists(),
        "--check writes nothing"
    );
}

#[test]
fn render_check_of_another_profiles_output_names_that_profile_instead_of_overwriting_it() {
    // A forgotten PROFILE: out/dev checked against the built-in production profile.
    let out = common::monstack(&["render", "--check", "-o", "out/dev"]);
    let stderr = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "no diff against the wrong profile");
    assert!(
        stderr
            .contains("out/dev was rendered from dev.toml, but this check renders production.toml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`monstack render profiles/dev.toml --check -o out/dev`"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("rewrites"),
        "no overwrite suggested: {stderr}"
    );
}

#[test]
fn render_check_paths_have_one_separator_and_the_fix_names_the_exact_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let rendered = common::monstack(&["render", "profiles/dev.toml", "-o", out.to_str().unwrap()]);
    assert!(rendered.status.success());
    let stale = out.join("prometheus.yaml");
    let text = std::fs::read_to_string(&stale).unwrap();
    std::fs::write(&stale, text.replacen("replicas: 1", "replicas: 5", 1)).unwrap();

    let slash = format!("{}/", out.display());
    let check = common::monstack(&[
        "render",
        "profiles/dev.toml",
        "--set",
        "stack.name=dev",
        "--check",
        "-o",
        &slash,
    ]);
    let (stdout, stderr) = (common::stdout(&check), common::stderr(&check));
    assert_eq!(check.status.code(), Some(1), "{stderr}");
    assert!(
        stdout.contains(&format!("\n--- {}/prometheus.yaml\n", out.display())),
        "{stdout}"
    );
    assert!(!stdout.contains("//"), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "`monstack render profiles/dev.toml --set stack.name=dev -o {slash}` rewrites the files monstack wrote there"
        )),
        "{stderr}"
    );
}
