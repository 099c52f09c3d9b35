//! Determinism and the YAML shape of embedded config files. The full render of every shipped
//! profile is reviewed in one place: the committed `out/<profile>/`, which
//! `tests/committed_output.rs` and CI (`render --check`) compare with what the profiles render.

mod common;

use monstack::emit;

fn render(profile: &std::path::Path) -> String {
    let c = common::compile(profile);
    emit::stream(&emit::files(&c).unwrap())
}

/// `render` to stdout writes the compilation's documents directly; it must be the stream of
/// the files that `render -o DIR` writes, byte for byte, also when `--set` puts a newline in
/// the header's profile description.
#[test]
fn the_stdout_stream_is_the_files_stream() {
    let direct = |c: &monstack::pipeline::Compilation| {
        let mut out = Vec::new();
        emit::write_compilation_stream(c, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    for profile in common::shipped_profiles() {
        let c = common::compile(&profile);
        assert_eq!(direct(&c), emit::stream(&emit::files(&c).unwrap()));
    }
    let production =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/production.toml");
    let c = monstack::pipeline::compile_path(
        Some(&production),
        &["alertmanager.retention=\"120h\"\n".to_string()],
    )
    .unwrap()
    .unwrap_or_else(|f| panic!("{f}"));
    assert!(c.profile_file.contains('\n'), "{}", c.profile_file);
    assert_eq!(direct(&c), emit::stream(&emit::files(&c).unwrap()));
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
