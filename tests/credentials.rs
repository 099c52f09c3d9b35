//! A credential pasted where the name of a Secret (or of a key in one) belongs is refused, and
//! no output of any command repeats it: not the message, not the quoted source line, not the
//! name of a `--set` source, not the JSON report.

mod common;

use common::monstack;

/// Values a user might paste instead of a name: a webhook URL, a passphrase, a token, a hash.
const PASTED: &[&str] = &[
    "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "correct horse battery staple",
    "xoxb-1234567890-abcdefghijkl",
    "d41d8cd98f00b204e9800998ecf8427e",
];

/// Everything a run printed.
fn printed(out: &std::process::Output) -> String {
    format!("{}{}", common::stdout(out), common::stderr(out))
}

/// Fails when any part of a pasted value (long enough to identify it) was printed.
fn assert_not_shown(output: &str, value: &str) {
    for part in value.split_whitespace().filter(|p| p.len() >= 6) {
        let part = part.rsplit('/').next().unwrap_or(part);
        assert!(
            !output.contains(part),
            "`{part}` of a pasted credential was printed:\n{output}"
        );
    }
}

#[test]
fn a_credential_in_a_secret_field_is_refused_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    for (i, value) in PASTED.iter().enumerate() {
        for field in [
            "secret = \"{v}\", key = \"url\"",
            "secret = \"slack\", key = \"{v}\"",
        ] {
            let profile = dir.path().join(format!("p{i}.toml"));
            let line = field.replace("{v}", value);
            std::fs::write(
                &profile,
                format!("[alertmanager.receivers]\nslack = {{ {line} }}\n"),
            )
            .unwrap();
            let profile = profile.to_str().unwrap();
            let out_dir = dir.path().join("out");
            for args in [
                vec!["validate", profile],
                vec!["validate", "--format", "json", profile],
                vec!["render", profile],
                vec!["render", profile, "-o", out_dir.to_str().unwrap()],
            ] {
                let out = monstack(&args);
                assert_eq!(out.status.code(), Some(1), "{args:?}: {}", printed(&out));
                let output = printed(&out);
                assert!(
                    output.contains("secret-value-in-profile"),
                    "{args:?}: {output}"
                );
                assert_not_shown(&output, value);
            }
            assert!(!out_dir.exists(), "nothing is written");
        }
    }
}

#[test]
fn a_credential_given_with_set_is_refused_and_never_shown() {
    for value in PASTED {
        for set in [
            format!("alertmanager.receivers.slack={{ secret = \"{value}\", key = \"url\" }}"),
            format!("grafana.admin.password_key=\"{value}\""),
            // Unquoted: --set takes text that is not TOML as a string.
            format!("grafana.admin.secret={value}"),
        ] {
            for format in ["human", "json"] {
                let out = monstack(&["validate", "--format", format, "--set", &set]);
                assert_eq!(out.status.code(), Some(1), "{set}: {}", printed(&out));
                let output = printed(&out);
                assert!(output.contains("secret-value-in-profile"), "{output}");
                assert_not_shown(&output, value);
            }
        }
    }
}

#[test]
fn a_secret_name_is_still_accepted() {
    let out = monstack(&[
        "validate",
        "--set",
        "alertmanager.receivers.webhook={ secret = \"alertmanager-webhook\", key = \"url\" }",
        "--set",
        "alertmanager.routes.default=[\"webhook\"]",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
}
