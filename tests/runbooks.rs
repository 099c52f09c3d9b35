//! `monstack runbooks`: one page per rendered alert at the name its runbook link ends with,
//! written through the binary; a page a person edited survives a re-run and is reported.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{monstack, stderr, stdout};

/// The alert names and runbook links of a profile's rendered rules.
fn rendered_alerts(profile: &Path) -> BTreeSet<(String, String)> {
    let c = common::compile(profile);
    let mut alerts = BTreeSet::new();
    for text in common::config_map(&c, "prometheus-rules").values() {
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).expect("rule file parses");
        for group in doc["groups"].as_sequence().into_iter().flatten() {
            for rule in group["rules"].as_sequence().into_iter().flatten() {
                if let Some(name) = rule["alert"].as_str() {
                    let url = rule["annotations"]["runbook_url"].as_str().expect("a link");
                    alerts.insert((name.to_string(), url.to_string()));
                }
            }
        }
    }
    alerts
}

#[test]
fn every_rendered_alert_gets_the_page_its_link_names() {
    for profile in common::shipped_profiles() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = monstack(&[
            "runbooks",
            profile.to_str().expect("utf-8"),
            "-o",
            dir.path().to_str().expect("utf-8"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let alerts = rendered_alerts(&profile);
        let files: BTreeSet<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        let expected: BTreeSet<String> = alerts
            .iter()
            .map(|(name, url)| {
                assert!(url.ends_with(&format!("/{name}")), "{url}");
                format!("{name}.md")
            })
            .collect();
        assert_eq!(files, expected, "{}", profile.display());
        let page = std::fs::read_to_string(dir.path().join("HighErrorRate.md")).expect("page");
        for part in [
            "## Meaning",
            "## Expression",
            "## Threshold",
            "## First checks",
            "## Escalation",
        ] {
            assert!(page.contains(part), "{part}:\n{page}");
        }
        assert!(
            stderr(&out).contains(&format!(
                "{} runbooks: {} written",
                files.len(),
                files.len()
            )),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn an_edited_runbook_is_kept_and_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().to_str().expect("utf-8");
    let first = monstack(&["runbooks", "-o", target]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));

    let edited = dir.path().join("HighErrorRate.md");
    let text = std::fs::read_to_string(&edited).expect("page");
    let ours = text.replace(
        "## Escalation",
        "## Our notes\n\nCall Dana first.\n\n## Escalation",
    );
    std::fs::write(&edited, &ours).expect("edit");
    let untouched = std::fs::read_to_string(dir.path().join("HighLatency.md")).expect("page");

    // A different threshold changes both pages; only the unedited one is replaced.
    let second = monstack(&[
        "runbooks",
        "-o",
        target,
        "--set",
        "applications.alerts.high_error_rate.ratio=0.1",
        "--set",
        "applications.alerts.high_latency.p95=\"3s\"",
    ]);
    let report = stderr(&second);
    assert_eq!(second.status.code(), Some(0), "{report}");
    assert!(
        report.contains("kept (edited or not written by monstack): HighErrorRate.md"),
        "{report}"
    );
    // The header names the profile and its overrides, so every other page is rewritten.
    let pages = std::fs::read_dir(dir.path()).expect("dir").count();
    assert!(
        report.contains(&format!("{pages} runbooks: {} written", pages - 1)),
        "{report}"
    );
    assert_eq!(std::fs::read_to_string(&edited).expect("page"), ours);
    let replaced = std::fs::read_to_string(dir.path().join("HighLatency.md")).expect("page");
    assert_ne!(replaced, untouched);
    assert!(replaced.contains("above 3s"), "{replaced}");
}

#[test]
fn one_page_is_printed_and_an_unknown_alert_is_named() {
    let out = monstack(&["runbooks", "--alert", "BackendAvailabilityBudgetBurn"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(
        page.starts_with("# BackendAvailabilityBudgetBurn\n"),
        "{page}"
    );
    assert!(
        page.contains("error ratio above 14.4 × 0.1% = 1.44%"),
        "{page}"
    );
    assert!(
        page.contains("routed to receiver `critical`, which notifies PagerDuty"),
        "{page}"
    );

    let out = monstack(&["runbooks", "--alert", "HighErorRate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `HighErrorRate`?"),
        "{}",
        stderr(&out)
    );
}
