//! The before-apply checklist as users run it: `monstack secrets` lists every Secret the
//! components read (never a value), `monstack prerequisites` everything else the cluster must
//! have; both as text and as JSON that matches the contributions.

mod common;

use common::{monstack, stderr, stdout};
use serde_json::{Value, json};

fn json(args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let out = monstack(&args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("stdout is one JSON document")
}

fn listed_secrets(args: &[&str]) -> Vec<Value> {
    json(args)["secrets"]
        .as_array()
        .expect("secrets is an array")
        .clone()
}

fn secret<'a>(secrets: &'a [Value], name: &str) -> &'a Value {
    secrets
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("Secret {name} is not listed: {secrets:#?}"))
}

fn keys(secret: &Value) -> Vec<&str> {
    secret["keys"]
        .as_array()
        .expect("keys is an array")
        .iter()
        .map(|k| k["key"].as_str().expect("a key name"))
        .collect()
}

#[test]
fn production_lists_the_grafana_admin_and_the_receivers_it_routes_to() {
    let secrets = listed_secrets(&["secrets", "profiles/production.toml"]);
    // The whole entry, field names included: scripts rely on them.
    assert_eq!(
        secret(&secrets, "grafana-admin"),
        &json!({
            "namespace": "monitoring",
            "name": "grafana-admin",
            "optional": false,
            "keys": [
                { "key": "admin-user", "holds": "admin user name", "format": "plain" },
                { "key": "admin-password", "holds": "admin password", "format": "plain" },
            ],
            "read_by": [{ "component": "grafana", "profile_key": "grafana.admin.secret" }],
            "create": "kubectl -n monitoring create secret generic grafana-admin \
                --from-literal=admin-user='<admin user name>' \
                --from-literal=admin-password='<admin password>'",
        })
    );
    assert_eq!(
        keys(secret(&secrets, "alertmanager-pagerduty")),
        ["routing-key"]
    );
    assert_eq!(
        keys(secret(&secrets, "alertmanager-slack")),
        ["webhook-url"]
    );

    // The same, for people.
    let out = monstack(&["secrets", "profiles/production.toml"]);
    let text = stdout(&out);
    for line in [
        "Secret monitoring/grafana-admin (required)",
        "  read by  grafana (grafana.admin.secret)",
        "           admin-password  admin password",
        "Secret monitoring/alertmanager-slack (required)",
    ] {
        assert!(text.contains(line), "no line {line:?} in:\n{text}");
    }
}

#[test]
fn receivers_are_listed_only_when_a_route_uses_them() {
    let dev = listed_secrets(&["secrets", "profiles/dev.toml"]);
    let names: Vec<&str> = dev.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"grafana-admin"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("alertmanager-")),
        "dev has no receivers: {names:?}"
    );

    let with_webhook = listed_secrets(&[
        "secrets",
        "profiles/dev.toml",
        "--set",
        "alertmanager.receivers.webhook={ secret = \"team-hook\", key = \"url\" }",
        "--set",
        "alertmanager.routes.default=[\"webhook\"]",
    ]);
    let hook = secret(&with_webhook, "team-hook");
    assert_eq!(keys(hook), ["url"]);
    assert_eq!(
        hook["read_by"][0]["profile_key"],
        "alertmanager.receivers.webhook.secret"
    );
}

#[test]
fn secrets_are_listed_in_the_namespace_of_the_pods_that_read_them() {
    let secrets = listed_secrets(&["secrets", "--set", "stack.namespace=observability"]);
    for s in &secrets {
        assert_eq!(s["namespace"], "observability", "{s:#}");
        let create = s["create"].as_str().unwrap();
        assert!(
            create.starts_with("kubectl -n observability create secret generic "),
            "{create}"
        );
    }
}

/// Every value in a `--from-literal=KEY=VALUE` (or `--from-file=KEY=PATH`, for certificates) is
/// a quoted `'<placeholder>'` (or, for a hashed format, the htpasswd command that prompts for
/// it): no value can be printed.
fn assert_only_placeholders(output: &str) {
    let arguments: Vec<&str> = output
        .split("--from-literal=")
        .skip(1)
        // The footer's advice names `--from-file=KEY=PATH` itself.
        .chain(
            output
                .split("--from-file=")
                .skip(1)
                .filter(|a| !a.starts_with("KEY=PATH`")),
        )
        .map(|a| a.split(" --from-").next().unwrap_or(a))
        .collect();
    assert!(!arguments.is_empty(), "no --from-literal in:\n{output}");
    for argument in arguments {
        let (key, value) = argument.split_once('=').expect("KEY=VALUE");
        assert!(
            key.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)),
            "{key}"
        );
        let placeholder = value
            .strip_prefix("'<")
            .and_then(|v| v.split_once(">'"))
            .is_some_and(|(inside, after)| {
                !inside.contains(['\'', '<', '>'])
                    && (after.is_empty() || after.starts_with([' ', '\n']))
            });
        let hashed = value.starts_with("\"$(htpasswd ");
        assert!(
            placeholder || hashed,
            "not a placeholder: {argument}\n{output}"
        );
    }
}

#[test]
fn no_secret_value_is_ever_printed() {
    for profile in common::shipped_profiles() {
        let profile = profile.to_string_lossy();
        let text = stdout(&monstack(&["secrets", &profile]));
        assert_only_placeholders(&text);
        let json = json(&["secrets", &profile]);
        for s in json["secrets"].as_array().unwrap() {
            assert_only_placeholders(s["create"].as_str().unwrap());
        }
    }
}

/// The JSON lists exactly what the components contributed: each Secret once, with every
/// reader, and every key with what it holds and its format.
#[test]
fn secrets_json_matches_the_contributions() {
    for profile in common::shipped_profiles() {
        let c = common::compile(&profile);
        let listed = listed_secrets(&["secrets", &profile.to_string_lossy()]);
        let mut expected_names: Vec<(String, String)> = Vec::new();
        for (component, s) in c.collected.secrets() {
            let id = (s.namespace.clone(), s.name.clone());
            if !expected_names.contains(&id) {
                expected_names.push(id);
            }
            let entry = listed
                .iter()
                .find(|l| l["namespace"] == s.namespace && l["name"] == s.name)
                .unwrap_or_else(|| panic!("{} not listed", s.name));
            assert!(
                entry["read_by"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| { r["component"] == component && r["profile_key"] == s.profile_key }),
                "{entry:#}"
            );
            for key in &s.keys {
                let expected = serde_json::to_value(key).unwrap();
                assert!(
                    entry["keys"].as_array().unwrap().contains(&expected),
                    "{expected} missing from {entry:#}"
                );
            }
        }
        let names: Vec<(String, String)> = listed
            .iter()
            .map(|l| {
                let field = |f: &str| l[f].as_str().unwrap().to_string();
                (field("namespace"), field("name"))
            })
            .collect();
        assert_eq!(names, expected_names, "{}", profile.display());
    }
}

#[test]
fn prerequisites_json_matches_the_contributions_each_listed_once() {
    for profile in common::shipped_profiles() {
        let c = common::compile(&profile);
        let listed = json(&["prerequisites", &profile.to_string_lossy()])["prerequisites"]
            .as_array()
            .unwrap()
            .clone();
        let mut expected: Vec<(String, String, Vec<&str>)> = Vec::new();
        for (component, p) in c.collected.prerequisites() {
            match expected
                .iter_mut()
                .find(|(kind, name, _)| *kind == p.kind && *name == p.name)
            {
                Some((_, _, components)) => components.push(component),
                None => expected.push((p.kind.clone(), p.name.clone(), vec![component])),
            }
        }
        let found: Vec<(String, String, Vec<&str>)> = listed
            .iter()
            .map(|l| {
                let needed_by = l["needed_by"].as_array().unwrap();
                (
                    l["kind"].as_str().unwrap().to_string(),
                    l["name"].as_str().unwrap().to_string(),
                    needed_by
                        .iter()
                        .map(|n| n["component"].as_str().unwrap())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(found, expected, "{}", profile.display());
    }
}

#[test]
fn production_needs_its_storage_class_once_for_every_component_with_volumes() {
    let listed = json(&["prerequisites", "profiles/production.toml"]);
    // Every component whose workload claims volumes, in registry order.
    let c = common::compile(std::path::Path::new("profiles/production.toml"));
    let with_volumes: Vec<&str> = c
        .manifest
        .parts
        .iter()
        .filter(|p| {
            p.objects.iter().any(|o| match o {
                monstack::k8s::Object::StatefulSet(s) => s
                    .spec
                    .as_ref()
                    .is_some_and(|s| s.volume_claim_templates.is_some()),
                _ => false,
            })
        })
        .map(|p| p.component)
        .collect();
    assert!(with_volumes.len() >= 3, "{with_volumes:?}");
    let volumes = "volumes are claimed from this class (stack.storage_class)";
    let classes: Vec<&serde_json::Value> = listed["prerequisites"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "StorageClass")
        .collect();
    assert_eq!(
        classes,
        [&json!({
            "kind": "StorageClass",
            "name": "do-block-storage",
            "needed_by": with_volumes
                .iter()
                .map(|c| json!({ "component": c, "why": volumes }))
                .collect::<Vec<_>>(),
        })]
    );

    let text = stdout(&monstack(&["prerequisites", "profiles/production.toml"]));
    let line = format!(
        "StorageClass do-block-storage\n  {}: ",
        with_volumes.join(", ")
    );
    assert!(text.contains(&line), "{text}");
}

#[test]
fn without_a_storage_class_no_storage_class_is_needed() {
    let unset = json(&[
        "prerequisites",
        "profiles/production.toml",
        "--set",
        "stack.storage_class=",
    ]);
    assert!(
        !unset["prerequisites"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["kind"] == "StorageClass"),
        "{unset:#}"
    );
    let text = stdout(&monstack(&["prerequisites", "profiles/dev.toml"]));
    assert!(!text.contains("StorageClass"), "{text}");
}

#[test]
fn an_invalid_profile_prints_its_diagnostics_and_exits_1() {
    let invalid = "examples/my-stack.toml";
    for command in ["secrets", "prerequisites"] {
        let out = monstack(&[command, invalid]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        assert!(stdout(&out).is_empty(), "{command}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("error[invalid-value]") && stderr(&out).contains("2 errors"),
            "{command}: {}",
            stderr(&out)
        );

        let out = monstack(&[command, invalid, "--format", "json"]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let report: Value = serde_json::from_str(&stdout(&out)).expect("JSON diagnostics");
        assert_eq!(report["valid"], false);
        assert_eq!(report["errors"], 2);
    }
}
