//! `monstack diff` as users run it: profiles and rendered directories on either side, exit
//! codes like diff(1), and a report a reviewer can read.

mod common;

use std::path::Path;
use std::process::Command;

use common::{monstack, stderr, stdout};

/// Renders `profile` into `dir` with `monstack render -o`.
fn render_to(profile: &str, dir: &Path) {
    let out = monstack(&["render", profile, "-o", &dir.to_string_lossy()]);
    assert!(out.status.success(), "render failed: {}", stderr(&out));
}

#[test]
fn a_profile_against_itself_has_no_differences() {
    let out = monstack(&[
        "diff",
        "profiles/production.toml",
        "profiles/production.toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("no differences ("),
        "{}",
        stdout(&out)
    );
}

#[test]
fn production_against_cost_optimized_lists_the_changes_and_a_summary() {
    let out = monstack(&[
        "diff",
        "profiles/production.toml",
        "profiles/cost-optimized.toml",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("--- profiles/production.toml\n+++ profiles/cost-optimized.toml\n"),
        "{text}"
    );
    assert!(
        text.contains("\nprometheus.yaml\n"),
        "grouped by file: {text}"
    );
    assert!(
        text.contains("  ~ StatefulSet monitoring/prometheus\n"),
        "{text}"
    );
    assert!(text.contains("spec.replicas: 2 → 1"), "{text}");
    assert!(
        text.contains("spec.template.spec.containers[prometheus].args:"),
        "{text}"
    );
    let summary = text.lines().last().unwrap_or_default();
    assert!(
        summary.contains("objects changed") && summary.contains("unchanged"),
        "summary line: {summary}"
    );
    assert!(
        !text.contains("Namespace"),
        "unchanged objects stay out: {text}"
    );
    assert!(!text.contains('\x1b'), "no colour with NO_COLOR");
}

#[test]
fn the_report_is_the_same_on_every_run() {
    let args = [
        "diff",
        "profiles/production.toml",
        "profiles/cost-optimized.toml",
    ];
    assert_eq!(stdout(&monstack(&args)), stdout(&monstack(&args)));
}

#[test]
fn a_rendered_directory_is_identical_to_its_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("prod");
    render_to("profiles/production.toml", &dir);
    let dir = dir.to_string_lossy();
    for args in [
        ["diff", dir.as_ref(), "profiles/production.toml"],
        ["diff", "profiles/production.toml", dir.as_ref()],
    ] {
        let out = monstack(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).starts_with("no differences"));
    }
}

#[test]
fn a_hand_edited_file_shows_up_between_two_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    render_to("profiles/production.toml", &a);
    render_to("profiles/production.toml", &b);
    let edited = b.join("prometheus.yaml");
    let text = std::fs::read_to_string(&edited).unwrap();
    assert!(
        text.contains("\n  replicas: 2\n"),
        "production runs two Prometheus"
    );
    std::fs::write(
        &edited,
        text.replacen("\n  replicas: 2\n", "\n  replicas: 3\n", 1),
    )
    .unwrap();
    // A file monstack did not write is not part of the stack.
    std::fs::write(
        b.join("notes.yaml"),
        "kind: Secret\nmetadata: {name: mine}\n",
    )
    .unwrap();

    let out = monstack(&["diff", &a.to_string_lossy(), &b.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "prometheus.yaml\n  ~ StatefulSet monitoring/prometheus\n      spec.replicas: 2 → 3\n"
        ),
        "{text}"
    );
    assert!(!text.contains("Secret"), "{text}");
    let summary = text.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("1 object changed, 0 added, 0 removed; "),
        "{summary}"
    );
}

#[test]
fn an_invalid_profile_reports_its_diagnostics() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[prometheus]\nreplicas = \"two\"\n").unwrap();
    let out = monstack(&["diff", "profiles/production.toml", &bad.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "no report for an invalid side");
}

#[test]
fn a_missing_side_or_a_foreign_directory_is_a_usage_error() {
    let out = monstack(&["diff", "profiles/production.toml", "no/such/profile.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));

    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("x.yaml"), "kind: Service\n").unwrap();
    let out = monstack(&[
        "diff",
        &tmp.path().to_string_lossy(),
        "profiles/production.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no .yaml files written by monstack"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn set_previews_an_override_on_the_new_side() {
    let out = Command::new(env!("CARGO_BIN_EXE_monstack"))
        .args([
            "diff",
            "profiles/production.toml",
            "profiles/production.toml",
            "--set",
            "prometheus.replicas=3",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("spec.replicas: 2 → 3"), "{text}");
}

#[test]
fn changes_kubectl_apply_cannot_make_are_marked_with_what_to_do() {
    let out = monstack(&[
        "diff",
        "profiles/production.toml",
        "profiles/cost-optimized.toml",
    ]);
    let text = stdout(&out);
    // The volume claim template shrinks: marked in the margin, explained before the summary.
    assert!(
        text.contains(
            "\n    ! spec.volumeClaimTemplates[data].spec.resources.requests.storage: 50Gi → 10Gi\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("      spec.replicas: 2 → 1\n"),
        "mutable fields stay unmarked: {text}"
    );
    let (_, advice) = text
        .split_once("\nBefore `kubectl apply -f`:\n")
        .unwrap_or_else(|| panic!("no upgrade advice:\n{text}"));
    for expected in [
        "  ! StatefulSet monitoring/prometheus: spec.volumeClaimTemplates[data].spec.resources.requests.storage cannot change in place",
        "volumes cannot shrink: data-prometheus-0, data-prometheus-1 keep 50Gi",
        "        kubectl -n monitoring delete statefulset prometheus --cascade=orphan\n",
        "  ! PodDisruptionBudget monitoring/prometheus is no longer rendered; `kubectl apply -f` leaves it in the cluster\n",
        "        kubectl -n monitoring delete poddisruptionbudget prometheus\n",
    ] {
        assert!(
            advice.contains(expected),
            "missing {expected:?} in:\n{advice}"
        );
    }
    let summary = text.lines().last().unwrap_or_default();
    assert!(
        summary.ends_with("objects unchanged"),
        "summary last: {summary}"
    );
}

#[test]
fn validate_previous_warns_about_the_same_upgrade_hazards() {
    let tmp = tempfile::tempdir().unwrap();
    let running = tmp.path().join("monitoring");
    render_to("profiles/production.toml", &running);
    let running = running.to_string_lossy().into_owned();

    let args = [
        "validate",
        "profiles/cost-optimized.toml",
        "--previous",
        &running,
    ];
    let out = monstack(&args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "warnings only: {err}");
    assert!(
        err.contains("warning[immutable-field-changed]: StatefulSet monitoring/prometheus: spec.volumeClaimTemplates[data]"),
        "{err}"
    );
    assert!(
        err.contains("`kubectl -n monitoring delete statefulset prometheus --cascade=orphan`"),
        "{err}"
    );
    assert!(
        err.contains(
            "warning[object-no-longer-rendered]: PodDisruptionBudget monitoring/prometheus"
        ),
        "{err}"
    );

    let strict = monstack(&[&args[..], &["--strict"]].concat());
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));

    let json = monstack(&[&args[..], &["--format", "json"]].concat());
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&"immutable-field-changed"), "{codes:?}");
    assert!(codes.contains(&"object-no-longer-rendered"), "{codes:?}");

    // The same profile as the running stack: nothing to warn about.
    let same = monstack(&[
        "validate",
        "profiles/production.toml",
        "--previous",
        &running,
    ]);
    assert!(same.status.success());
    assert!(!stderr(&same).contains("warning"), "{}", stderr(&same));

    let missing = monstack(&["validate", "--previous", "no/such/dir"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no such directory"),
        "{}",
        stderr(&missing)
    );
}
