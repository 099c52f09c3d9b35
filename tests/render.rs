//! Determinism and the YAML shape of embedded config files. The full render of every shipped
//! profile is reviewed in one place: the committed `out/<profile>/`, which
//! `tests/committed_output.rs` and CI (`render --check`) compare with what the profiles render.

mod common;

use monstack::emit;

fn render(profile: &std::path::Path) -> String {
    let c = common::compile(profile);
    emit::stream(&emit::files(&c).unwrap())
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
