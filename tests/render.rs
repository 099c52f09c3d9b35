//! Full-render snapshots of every shipped profile, determinism, and the YAML shape of
//! embedded config files. A snapshot diff is exactly the output diff: review it, never bulk-accept.

mod common;

use monstack::emit;

fn render(profile: &std::path::Path) -> String {
    let c = common::compile(profile);
    emit::stream(&emit::files(&c).unwrap())
}

#[test]
fn snapshot_of_every_shipped_profile() {
    for profile in common::shipped_profiles() {
        let name = profile.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, render(&profile));
    }
}

#[test]
fn every_snapshot_belongs_to_a_shipped_profile() {
    let stems: Vec<String> = common::shipped_profiles()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name
            .strip_prefix("render__")
            .and_then(|n| n.strip_suffix(".snap"))
        {
            assert!(stems.iter().any(|s| s == stem), "orphaned snapshot {name}");
        }
    }
}

#[test]
fn rendering_twice_is_byte_identical() {
    for profile in common::shipped_profiles() {
        assert_eq!(render(&profile), render(&profile), "{}", profile.display());
    }
}

#[test]
fn config_files_are_literal_block_scalars() {
    for profile in common::shipped_profiles() {
        let text = render(&profile);
        assert!(
            text.contains("  prometheus.yml: |\n    # prometheus.yml for stack"),
            "{}",
            profile.display()
        );
        // A quoted multi-line string would show escaped newlines.
        for line in text.lines().filter(|l| l.contains(".yml: ")) {
            assert!(
                line.trim_end().ends_with('|') || line.trim_end().ends_with("|-"),
                "not a block scalar: {line}"
            );
        }
    }
}
