//! The GitOps and CI recipes in docs/ are tested like code:
//! - every ```yaml block in docs/gitops.md and docs/ci.md parses;
//! - the Argo CD `Application`s and Flux `Kustomization` match their published CRDs
//!   (tests/fixtures/crds, unknown fields refused), and the config-management plugin's
//!   `plugin.yaml` uses only the fields Argo CD documents;
//! - the GitHub Actions workflow and the GitLab CI file have the keys each CI expects, run
//!   validate --format json, render --check and diff per profile, and embed the ```jq filters
//!   of docs/ci.md verbatim; those filters, run by jq on monstack's real JSON output, give the
//!   annotations the table in docs/ci.md describes.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use serde_yaml_ng::Value;

fn doc(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The bodies of the fenced blocks with info string `lang` (fences at the line start).
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            if info.trim() == lang {
                found.push(body.join("\n") + "\n");
            }
        }
    }
    found
}

/// Every YAML document of every ```yaml block, each block required to parse.
fn yaml_documents(text: &str) -> Vec<Value> {
    let mut docs = Vec::new();
    for block in blocks(text, "yaml") {
        for d in serde_yaml_ng::Deserializer::from_str(&block) {
            let value = Value::deserialize(d)
                .unwrap_or_else(|e| panic!("a ```yaml block does not parse: {e}\n{block}"));
            if !value.is_null() {
                docs.push(value);
            }
        }
    }
    docs
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts the mapping `v` (named `what`) has only keys from `allowed`.
fn only_keys(v: &Value, allowed: &[&str], what: &str) {
    assert!(v.is_mapping(), "{what} is not a mapping: {v:?}");
    for k in keys(v) {
        assert!(
            allowed.contains(&k.as_str()),
            "{what}: unexpected key `{k}`"
        );
    }
}

// ---- GitOps ----------------------------------------------------------------------------------

/// The custom resources that have a CRD in tests/fixtures/crds, by (apiVersion, kind).
const CRD_KINDS: [(&str, &str); 2] = [
    ("argoproj.io/v1alpha1", "Application"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
];

fn custom_resources(docs: &[Value]) -> Vec<Value> {
    docs.iter()
        .filter(|d| CRD_KINDS.contains(&(str_of(d, "apiVersion"), str_of(d, "kind"))))
        .cloned()
        .collect()
}

/// Runs tests/tools/crd_validate.py --strict on `resources`; None when skipped.
fn crd_validate(resources: &[Value]) -> Option<(bool, String)> {
    let python = common::require_tool("python")?;
    let dir = tempfile::tempdir().unwrap();
    for (i, r) in resources.iter().enumerate() {
        let text = serde_yaml_ng::to_string(r).unwrap();
        std::fs::write(dir.path().join(format!("{i}.yaml")), text).unwrap();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python)
        .arg(root.join("tests/tools/crd_validate.py"))
        .arg("--strict")
        .arg("--crds")
        .arg(root.join("tests/fixtures/crds"))
        .arg("--targets")
        .arg(dir.path())
        .output()
        .expect("running crd_validate.py");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

#[test]
fn gitops_custom_resources_match_their_crds() {
    let docs = yaml_documents(&doc("gitops.md"));
    let resources = custom_resources(&docs);
    let count = |kind: &str| {
        resources
            .iter()
            .filter(|r| str_of(r, "kind") == kind)
            .count()
    };
    assert_eq!(
        count("Application"),
        2,
        "Argo CD: committed output and plugin"
    );
    assert_eq!(count("Kustomization"), 1, "Flux");
    let Some((ok, out)) = crd_validate(&resources) else {
        return;
    };
    assert!(ok, "{out}");
    assert!(
        out.contains("PASS=3 FAIL=0"),
        "every resource is checked: {out}"
    );
}

#[test]
fn the_crd_check_refuses_a_misspelled_field_in_an_application() {
    let docs = yaml_documents(&doc("gitops.md"));
    let mut app = custom_resources(&docs)
        .into_iter()
        .find(|r| str_of(r, "kind") == "Application")
        .expect("an Application");
    app["spec"]
        .as_mapping_mut()
        .unwrap()
        .insert("sourcee".into(), Value::Null);
    let Some((ok, out)) = crd_validate(&[app]) else {
        return;
    };
    assert!(!ok && out.contains("FAIL=1"), "{out}");
}

/// Argo CD's documented `ConfigManagementPlugin` fields (operator-manual
/// config-management-plugins: "Write the plugin configuration file").
#[test]
fn the_config_management_plugin_uses_argo_cds_documented_fields() {
    let docs = yaml_documents(&doc("gitops.md"));
    let plugins: Vec<&Value> = docs
        .iter()
        .filter(|d| str_of(d, "kind") == "ConfigManagementPlugin")
        .collect();
    assert_eq!(plugins.len(), 1);
    let plugin = plugins[0];
    assert_eq!(str_of(plugin, "apiVersion"), "argoproj.io/v1alpha1");
    only_keys(
        plugin,
        &["apiVersion", "kind", "metadata", "spec"],
        "plugin.yaml",
    );
    let name = plugin["metadata"]["name"].as_str().expect("metadata.name");
    let spec = &plugin["spec"];
    only_keys(
        spec,
        &[
            "version",
            "init",
            "generate",
            "discover",
            "parameters",
            "preserveFileMode",
            "provideGitCreds",
        ],
        "spec",
    );
    let command = |c: &Value, what: &str| {
        only_keys(c, &["command", "args"], what);
        let words = c["command"].as_sequence().expect("command is a list");
        assert!(
            !words.is_empty() && words.iter().all(Value::is_string),
            "{what}.command"
        );
        if let Some(args) = c.get("args") {
            assert!(
                args.as_sequence()
                    .is_some_and(|a| a.iter().all(Value::is_string))
            );
        }
    };
    command(&spec["generate"], "generate");
    if let Some(init) = spec.get("init") {
        command(init, "init");
    }
    let generate = format!("{:?}", spec["generate"]);
    assert!(generate.contains("monstack render"), "{generate}");
    assert!(generate.contains("ARGOCD_ENV_PROFILE"), "{generate}");

    // The Application that uses it names it NAME-VERSION and sets PROFILE.
    let version = spec["version"].as_str().expect("spec.version");
    let app = docs
        .iter()
        .find(|d| str_of(d, "kind") == "Application" && d["spec"]["source"].get("plugin").is_some())
        .expect("an Application using the plugin");
    let used = &app["spec"]["source"]["plugin"];
    assert_eq!(
        used["name"].as_str(),
        Some(format!("{name}-{version}").as_str())
    );
    assert_eq!(used["env"][0]["name"].as_str(), Some("PROFILE"));
}

#[test]
fn the_overlay_example_patches_a_kind_monstack_renders() {
    let docs = yaml_documents(&doc("gitops.md"));
    let overlay = docs
        .iter()
        .find(|d| str_of(d, "apiVersion") == "kustomize.config.k8s.io/v1beta1")
        .expect("a kustomize overlay");
    let target = &overlay["patches"][0]["target"];
    let (kind, name) = (str_of(target, "kind"), str_of(target, "name"));
    let c = common::compile(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/profiles/production.toml"
    )));
    assert!(
        c.manifest
            .objects()
            .any(|o| o.kind() == kind && o.name() == name),
        "production renders no {kind} {name}"
    );
}

// ---- CI --------------------------------------------------------------------------------------

fn ci_yaml(index: usize) -> Value {
    let docs = yaml_documents(&doc("ci.md"));
    assert_eq!(
        docs.len(),
        2,
        "docs/ci.md: a GitHub workflow and a .gitlab-ci.yml"
    );
    docs[index].clone()
}

fn jq_filters() -> Vec<String> {
    let filters: Vec<String> = blocks(&doc("ci.md"), "jq")
        .into_iter()
        .map(|f| f.trim().to_string())
        .collect();
    assert_eq!(filters.len(), 2, "a GitHub and a GitLab filter");
    filters
}

/// All `run` scripts of a GitHub job's steps, joined.
fn scripts_of(steps: &[Value]) -> String {
    steps
        .iter()
        .map(|s| str_of(s, "run"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_github_workflow_has_the_shape_actions_expects() {
    let wf = ci_yaml(0);
    only_keys(
        &wf,
        &[
            "name",
            "on",
            "permissions",
            "env",
            "jobs",
            "concurrency",
            "defaults",
        ],
        "workflow",
    );
    assert!(
        wf.get("on").is_some(),
        "`on` (a YAML 1.2 string key) is present"
    );
    assert!(wf["on"].get("pull_request").is_some());
    assert_eq!(str_of(&wf["permissions"], "pull-requests"), "write");
    let jobs = wf["jobs"].as_mapping().expect("jobs");
    assert!(!jobs.is_empty());
    for (id, job) in jobs {
        let id = id.as_str().expect("job id");
        only_keys(
            job,
            &[
                "name",
                "runs-on",
                "needs",
                "if",
                "permissions",
                "env",
                "strategy",
                "steps",
                "timeout-minutes",
                "defaults",
                "outputs",
                "continue-on-error",
                "concurrency",
                "environment",
                "container",
                "services",
            ],
            id,
        );
        assert!(job.get("runs-on").is_some(), "{id}: runs-on");
        let matrix = &job["strategy"]["matrix"]["include"];
        let profiles = matrix.as_sequence().expect("a matrix of profiles");
        for p in profiles {
            assert!(p.get("profile").is_some() && p.get("output").is_some());
        }
        let steps = job["steps"].as_sequence().expect("steps");
        for step in steps {
            only_keys(
                step,
                &[
                    "id",
                    "name",
                    "if",
                    "uses",
                    "run",
                    "with",
                    "env",
                    "shell",
                    "working-directory",
                    "continue-on-error",
                    "timeout-minutes",
                ],
                "step",
            );
            assert!(
                step.get("uses").is_some() != step.get("run").is_some(),
                "a step has exactly one of uses/run: {step:?}"
            );
        }
        let runs = scripts_of(steps);
        for needed in [
            "cargo install --locked",
            "monstack validate \"$PROFILE\" --format json",
            "monstack render \"$PROFILE\" --check -o \"$OUTPUT\"",
            "monstack diff",
            "gh pr comment",
        ] {
            assert!(runs.contains(needed), "{id} runs no `{needed}`");
        }
        assert!(
            runs.contains(&jq_filters()[0]),
            "the GitHub filter of docs/ci.md is the one run"
        );
    }
}

#[test]
fn the_gitlab_file_has_the_shape_gitlab_expects() {
    let ci = ci_yaml(1);
    const GLOBAL: [&str; 8] = [
        "stages",
        "variables",
        "default",
        "workflow",
        "include",
        "image",
        "cache",
        "before_script",
    ];
    let mut jobs = 0;
    for (key, value) in ci.as_mapping().expect("a mapping") {
        let key = key.as_str().expect("string keys");
        if GLOBAL.contains(&key) {
            continue;
        }
        jobs += 1;
        only_keys(
            value,
            &[
                "stage",
                "image",
                "parallel",
                "rules",
                "cache",
                "before_script",
                "script",
                "after_script",
                "artifacts",
                "variables",
                "needs",
                "extends",
                "tags",
                "allow_failure",
                "when",
                "timeout",
                "interruptible",
            ],
            key,
        );
        let stage = str_of(value, "stage");
        let stages = ci["stages"].as_sequence().expect("stages");
        assert!(
            stages.iter().any(|s| s.as_str() == Some(stage)),
            "{key}: stage {stage}"
        );
        let script = value["script"].as_sequence().expect("script is a list");
        assert!(
            script.iter().all(Value::is_string),
            "{key}: script lines are strings"
        );
        let script: Vec<&str> = script.iter().filter_map(Value::as_str).collect();
        let script = script.join("\n");
        for needed in [
            "monstack validate \"$PROFILE\" --format json",
            "monstack render \"$PROFILE\" --check -o \"$OUTPUT\"",
            "monstack diff",
            "merge_requests/$CI_MERGE_REQUEST_IID/notes",
        ] {
            assert!(script.contains(needed), "{key} runs no `{needed}`");
        }
        assert!(
            script.contains(&jq_filters()[1]),
            "the GitLab filter of docs/ci.md is the one run"
        );
        let report = str_of(&value["artifacts"]["reports"], "codequality");
        assert!(
            script.contains(&format!("> {report}")),
            "the report written is the one uploaded"
        );
        for entry in value["parallel"]["matrix"].as_sequence().expect("a matrix") {
            assert!(entry.get("PROFILE").is_some() && entry.get("OUTPUT").is_some());
        }
    }
    assert_eq!(jobs, 1);
}

/// A profile with one error (a misspelled key, line 2) and `validate --format json` of it.
fn invalid_profile_json(dir: &Path) -> (String, Vec<u8>) {
    let profile = dir.join("bad.toml");
    std::fs::write(&profile, "[prometheus]\nscrape_intervall = \"30s\"\n").unwrap();
    let profile = profile.to_str().unwrap().to_string();
    let out = common::monstack(&["validate", &profile, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    (profile, out.stdout)
}

fn jq(filter: &str, input: &[u8], profile: &str, raw: bool) -> Option<String> {
    use std::io::Write;
    let jq = common::require_tool("jq")?;
    let mut child = Command::new(jq)
        .args(if raw {
            vec!["-r", filter]
        } else {
            vec![filter]
        })
        .env("PROFILE", profile)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("jq runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "jq: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_github_filter_turns_diagnostics_into_workflow_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (profile, json) = invalid_profile_json(dir.path());
    let Some(out) = jq(&jq_filters()[0], &json, &profile, true) else {
        return;
    };
    let escaped = profile.replace(':', "%3A").replace(',', "%2C");
    assert_eq!(
        out,
        format!(
            "::error file={escaped},line=2,col=1,title=monstack unknown-key::unknown key `scrape_intervall` in [prometheus] (did you mean `scrape_interval`?)\n"
        )
    );
    // A diagnostic without a location is put on the profile's first line; newlines escaped.
    let whole = br#"{"diagnostics":[{"severity":"warning","code":"c","message":"a\nb","help":null,"key":null,"at":null}]}"#;
    let out = jq(&jq_filters()[0], whole, "p.toml", true).expect("jq found above");
    assert_eq!(
        out,
        "::warning file=p.toml,line=1,col=1,title=monstack c::a%0Ab\n"
    );
}

#[test]
fn the_gitlab_filter_writes_a_code_quality_report() {
    let dir = tempfile::tempdir().unwrap();
    let (profile, json) = invalid_profile_json(dir.path());
    let Some(out) = jq(&jq_filters()[1], &json, &profile, false) else {
        return;
    };
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let issues = report.as_array().expect("a list");
    assert_eq!(issues.len(), 1);
    let issue = &issues[0];
    assert_eq!(issue["check_name"], "unknown-key");
    assert_eq!(issue["severity"], "major");
    assert_eq!(issue["location"]["path"], profile.as_str());
    assert_eq!(issue["location"]["lines"]["begin"], 2);
    assert!(
        issue["description"]
            .as_str()
            .unwrap()
            .starts_with("unknown-key: unknown key")
    );
    assert!(!issue["fingerprint"].as_str().unwrap().is_empty());
}

// ---- README ----------------------------------------------------------------------------------

#[test]
fn the_readme_pre_commit_example_uses_hooks_the_repository_offers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let offered: Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap(),
    )
    .unwrap();
    let offered: BTreeSet<&str> = offered
        .as_sequence()
        .expect("a list of hooks")
        .iter()
        .map(|h| str_of(h, "id"))
        .collect();
    assert_eq!(
        offered,
        BTreeSet::from(["monstack-check", "monstack-validate"])
    );
    let config = yaml_documents(&readme)
        .into_iter()
        .find(|d| d.get("repos").is_some())
        .expect("a .pre-commit-config.yaml example in the README");
    let used = config["repos"][0]["hooks"].as_sequence().expect("hooks");
    assert_eq!(used.len(), 2);
    for hook in used {
        assert!(offered.contains(str_of(hook, "id")), "{hook:?}");
        assert!(hook["args"].as_sequence().is_some_and(|a| !a.is_empty()));
    }
}
