//! The diagnostic codes are one documented table: docs/diagnostics.md is generated from it,
//! every example in it reports its code, every code is raised somewhere, and every key a
//! diagnostic names is a key of the profile schema.

mod common;

use std::path::{Path, PathBuf};

use monstack::diag::code::{Example, reference};
use monstack::diag::{Code, Diagnostic};
use monstack::pipeline;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn docs_diagnostics_md_is_generated_from_the_codes() {
    let path = repo().join("docs/diagnostics.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == reference(),
        "docs/diagnostics.md is stale: run `cargo run -- explain > docs/diagnostics.md` \
         (or scripts/render-out.sh) and commit it"
    );
    for code in Code::ALL {
        assert!(
            committed.contains(&format!("### `{code}`\n\n{}\n", code.description())),
            "{code} is not documented"
        );
    }
}

/// Every diagnostic of a `monstack validate` run: errors, or warnings of a valid profile.
fn diagnostics(profile: Option<&Path>, sets: &[String]) -> Vec<Diagnostic> {
    match pipeline::compile_path(profile, sets).expect("no internal error") {
        Ok(c) => c.warnings,
        Err(failure) => failure.diagnostics,
    }
}

/// Runs a documented example in a fresh directory, as a user would.
fn run_example(example: Example) -> Option<Vec<Diagnostic>> {
    let dir = tempfile::tempdir().unwrap();
    match example {
        Example::Profile(text) => {
            let path = dir.path().join("my-stack.toml");
            std::fs::write(&path, text).unwrap();
            Some(diagnostics(Some(&path), &[]))
        }
        Example::Command(command) => {
            let args = command
                .strip_prefix("monstack validate ")
                .expect("examples are `monstack validate` commands");
            let (mut profile, mut sets): (Option<PathBuf>, Vec<String>) = (None, Vec::new());
            let mut words = args.split_whitespace();
            while let Some(word) = words.next() {
                match word {
                    "--set" => sets.push(words.next().expect("--set has a value").to_string()),
                    path => profile = Some(dir.path().join(path)),
                }
            }
            Some(diagnostics(profile.as_deref(), &sets))
        }
        Example::Message(_) => None,
    }
}

#[test]
fn every_example_reports_its_code() {
    let mut wrong = Vec::new();
    for code in Code::ALL {
        let Some(found) = run_example(code.example()) else {
            continue;
        };
        if !found.iter().any(|d| d.code == *code) {
            let shown: String = found.iter().map(|d| format!("{d}\n")).collect();
            wrong.push(format!("the example of {code} reports:\n{shown}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Only checks of rendered objects, which no profile can trigger, and upgrade hazards, which
    // need a previous render (src/upgrade.rs tests raise them), go without a profile.
    let untried: Vec<_> = Code::ALL
        .iter()
        .filter(|c| c.stage() != monstack::diag::code::Stage::Output)
        .filter(|c| c.stage() != monstack::diag::code::Stage::Upgrade)
        .filter(|c| matches!(c.example(), Example::Message(_)))
        .collect();
    assert!(untried.is_empty(), "{untried:?} need a profile example");
}

/// The Rust sources, without the code table itself.
fn sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("diag/code.rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
}

#[test]
fn every_code_is_raised_somewhere() {
    let mut files = Vec::new();
    sources(&repo().join("src"), &mut files);
    let unused: Vec<&Code> = Code::ALL
        .iter()
        .filter(|code| {
            let variant = format!("Code::{code:?}");
            !files.iter().any(|(_, text)| {
                text.match_indices(&variant).any(|(i, _)| {
                    // `Code::Name` and not the start of a longer variant (`Code::NameMore`).
                    !text[i + variant.len()..].starts_with(|c: char| c.is_alphanumeric())
                })
            })
        })
        .collect();
    assert!(unused.is_empty(), "codes no source raises: {unused:?}");
}

#[test]
fn every_key_of_the_invalid_fixtures_is_a_schema_path() {
    let schema = monstack::schema::profile_schema();
    let dir = repo().join("tests/fixtures/invalid");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        for d in diagnostics(Some(&path), &[]) {
            let Some(key) = &d.key else { continue };
            // An unknown key is, by definition, not in the schema; its table is.
            let key = match d.code {
                Code::UnknownKey => match key.rsplit_once('.') {
                    Some((table, _)) => table,
                    None => continue,
                },
                _ => key.as_str(),
            };
            assert!(
                monstack::schema::at_path(&schema, key).is_some(),
                "{}: {} names `{key}`, which is not a profile key",
                path.display(),
                d.code
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} keys checked");
}

#[test]
fn explain_prints_a_code_and_suggests_a_near_miss() {
    let out = common::monstack(&["explain", "wrong-type"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("wrong-type (reading the profile)\n"),
        "{stdout}"
    );
    assert!(stdout.contains(Code::WrongType.description()), "{stdout}");
    assert!(stdout.contains("    replicas = \"2\""), "{stdout}");

    let out = common::monstack(&["explain", "wrong-typ"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("unknown diagnostic code `wrong-typ`: did you mean `wrong-type`?"),
        "{stderr}"
    );

    let all = common::monstack(&["explain"]);
    assert_eq!(String::from_utf8(all.stdout).unwrap(), reference());
}
