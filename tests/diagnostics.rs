//! Every kind of profile mistake gets a message naming file, line, column, key and a fix.
//! One fixture per case in tests/fixtures/invalid/; the rendered diagnostics are snapshots,
//! so reviewers read exactly what users will see.

use std::path::Path;

use monstack::pipeline;

fn fixtures() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Diagnostics as the CLI prints them (plain), with the fixture directory made relative so the
/// snapshot does not depend on where the checkout lives.
fn report(path: &Path) -> String {
    let dir = path.parent().unwrap().to_string_lossy().into_owned();
    let text = match pipeline::compile_path(Some(path), &[]).unwrap() {
        Ok(c) => {
            let mut out: String = c.warnings.iter().map(|w| format!("{w}\n\n")).collect();
            out.push_str("(valid: no errors)\n");
            out
        }
        Err(failure) => failure.to_string(),
    };
    text.replace(&dir, "tests/fixtures/invalid")
}

#[test]
fn every_invalid_fixture_is_reported_with_position_and_fix() {
    for path in fixtures() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = report(&path);
        assert!(
            text.contains(&format!("{name}.toml:")),
            "{name}: no position in\n{text}"
        );
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn three_mistakes_are_three_errors_in_one_run() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid/three-mistakes.toml");
    let failure = pipeline::compile_path(Some(&path), &[])
        .unwrap()
        .unwrap_err();
    let keys: Vec<_> = failure.errors().map(|d| d.key.clone().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "prometheus.storage",
            "alertmanager.retention",
            "kube_state_metrics.resources.requests.cpu"
        ]
    );
}

#[test]
fn both_mistakes_of_one_table_are_reported_as_the_readme_shows() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/my-stack.toml");
    let failure = pipeline::compile_path(Some(&path), &[])
        .unwrap()
        .unwrap_err();
    let keys: Vec<_> = failure.errors().map(|d| d.key.clone().unwrap()).collect();
    assert_eq!(keys, ["prometheus.storage", "prometheus.scrape_intervall"]);
}

#[test]
fn a_size_without_unit_from_set_is_refused_at_its_value() {
    let failure = pipeline::compile_path(None, &["prometheus.storage=50".to_string()])
        .unwrap()
        .unwrap_err();
    let [d] = failure.diagnostics.as_slice() else {
        panic!("{failure}")
    };
    assert_eq!(d.code, monstack::diag::Code::SizeWithoutUnit);
    assert_eq!(d.key.as_deref(), Some("prometheus.storage"));
    let at = d.at.as_ref().unwrap();
    assert_eq!(
        (at.file.as_str(), at.column),
        ("--set prometheus.storage=50", 22)
    );
    assert!(d.help.as_deref().unwrap().contains("\"50Gi\""), "{d}");
}
