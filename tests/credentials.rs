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

// ---- rendered output -----------------------------------------------------------------------------

/// Every credential option on: Grafana's OAuth client secret and secret key, Alertmanager's
/// webhook, Elasticsearch's password (production already reads PagerDuty, Slack, Loki's keys).
const ALL_CREDENTIALS: &[&str] = &[
    "grafana.secret_key={ secret = \"grafana-secret-key\", key = \"secret-key\" }",
    "grafana.oauth={ provider = \"github\", client_id = \"Iv1.0123456789abcdef\", client_secret = { secret = \"grafana-oauth\", key = \"client-secret\" } }",
    "alertmanager.receivers.webhook={ secret = \"alertmanager-webhook\", key = \"url\" }",
    "elasticsearch.password={ secret = \"elasticsearch-credentials\", key = \"password\" }",
];

/// Every rendered file of every shipped profile, and of production with every credential on.
fn rendered_files() -> Vec<(String, String)> {
    let mut runs: Vec<(std::path::PathBuf, Vec<String>)> = common::shipped_profiles()
        .into_iter()
        .map(|p| (p, Vec::new()))
        .collect();
    let production = runs
        .iter()
        .find(|(p, _)| p.ends_with("production.toml"))
        .map(|(p, _)| p.clone())
        .expect("production.toml is shipped");
    runs.push((
        production,
        ALL_CREDENTIALS.iter().map(|s| s.to_string()).collect(),
    ));
    let mut out = Vec::new();
    for (profile, sets) in runs {
        let c = monstack::pipeline::compile_path(Some(&profile), &sets)
            .expect("no internal error")
            .unwrap_or_else(|f| panic!("{} {sets:?} does not compile:\n{f}", profile.display()));
        assert!(
            !c.manifest.objects().any(|o| o.kind() == "Secret"),
            "monstack never renders a Secret"
        );
        // An environment variable named like a credential takes its value from a Secret.
        for o in c.manifest.objects() {
            let spec = o.pod_template().and_then(|t| t.spec.as_ref());
            let containers = spec
                .into_iter()
                .flat_map(|s| s.init_containers.iter().flatten().chain(&s.containers));
            for e in containers.flat_map(|c| c.env.iter().flatten()) {
                assert!(
                    !(credential_key(&e.name) && e.value.as_deref().is_some_and(|v| !harmless(v))),
                    "{}: env {} is a literal",
                    o.id(),
                    e.name
                );
            }
        }
        for f in monstack::emit::files(&c).expect("rendering") {
            out.push((
                format!("{} {sets:?}: {}", profile.display(), f.name),
                f.content,
            ));
        }
    }
    out
}

/// Keys whose value would be a credential when written inline.
fn credential_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['-', '.'], "_");
    let named = [
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "routing_key",
        "service_key",
        "access_key",
        "private_key",
        "webhook_url",
        "api_url",
    ];
    named.iter().any(|n| k.contains(n))
        // A file, a reference or a switch is not the credential itself.
        && !["_file", "file", "name", "_ref", "_path", "automount"].iter().any(|s| k.ends_with(s) || k.starts_with(s))
}

/// The value is not a credential: empty (a nested map follows), a path, an environment or
/// file reference, a switch.
fn harmless(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '\'' || c == '"');
    v.is_empty()
        || v.starts_with('/')
        || v.starts_with("${")
        || v.starts_with("$__file{")
        || v.starts_with("$__env{")
        || ["true", "false", "|", ">", "{}", "[]"].contains(&v)
}

/// Formats that are credentials wherever they appear.
fn looks_like_a_credential(text: &str) -> Option<&'static str> {
    let patterns: &[(&str, &'static str)] = &[
        ("-----BEGIN", "a PEM key or certificate"),
        ("hooks.slack.com/services/", "a Slack webhook URL"),
        ("xoxb-", "a Slack token"),
        ("xoxp-", "a Slack token"),
        ("AKIA", "an AWS access key id"),
        ("$2y$", "a bcrypt hash"),
        ("$2b$", "a bcrypt hash"),
        ("{SHA}", "an htpasswd SHA hash"),
        ("glpat-", "a GitLab token"),
        ("ghp_", "a GitHub token"),
        (
            "Iv1.0123456789abcdef",
            "no: the OAuth client id is not secret",
        ),
    ];
    patterns
        .iter()
        .filter(|(_, what)| !what.starts_with("no:"))
        .find(|(p, _)| text.contains(p))
        .map(|(_, what)| *what)
}

#[test]
fn no_secret_value_or_password_like_literal_in_any_rendered_file() {
    let files = rendered_files();
    assert!(files.len() > 30);
    let mut found = Vec::new();
    for (name, text) in &files {
        if let Some(what) = looks_like_a_credential(text) {
            found.push(format!("{name}: contains {what}"));
        }
        // YAML `key: value`, JSON `"key": value` and INI `key = value` lines, in the manifests
        // and in the config files embedded in them.
        for line in text.lines() {
            let line = line.trim().trim_start_matches("- ");
            if line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once(": ").or_else(|| line.split_once(" = "))
            else {
                continue;
            };
            let key = key.trim().trim_matches('"');
            if credential_key(key) && !harmless(value) {
                found.push(format!("{name}: `{line}`"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "credential-like literals:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_finds_inline_credentials() {
    assert!(credential_key("password") && !harmless("hunter2"));
    assert!(credential_key("GF_SECURITY_ADMIN_PASSWORD"));
    assert!(credential_key("routing_key") && !credential_key("routing_key_file"));
    assert!(!credential_key("secretName") && !credential_key("automountServiceAccountToken"));
    assert!(harmless("/etc/secrets/slack/url") && harmless("'${ES_PASSWORD}'"));
    assert!(looks_like_a_credential("url: https://hooks.slack.com/services/T0/B0/x").is_some());
    assert!(looks_like_a_credential("client_id: Iv1.0123456789abcdef").is_none());
}
