//! The README is tested like code, so it cannot drift from the tool:
//! - every ```console block runs: trycmd runs each `$ ` command from the crate root and
//!   compares its output (stdout and stderr together) and exit code (`? N`) with the block;
//!   `TRYCMD=overwrite cargo test --test readme` rewrites the blocks after an intended change;
//! - no command example hides in another kind of block, where nothing would run it;
//! - the profile reference tables name every key of the profile schema, and only those.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    std::fs::read_to_string(path).expect("README.md is readable")
}

#[test]
fn readme_console_examples_run_and_match() {
    trycmd::TestCases::new()
        .register_bin("monstack", PathBuf::from(env!("CARGO_BIN_EXE_monstack")))
        .env("NO_COLOR", "1")
        .case("README.md");
}

/// (info string, lines) of every fenced block.
fn fenced_blocks(text: &str) -> Vec<(String, Vec<&str>)> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let body = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        blocks.push((info.trim().to_string(), body));
    }
    blocks
}

#[test]
fn command_examples_with_output_are_console_blocks() {
    let text = readme();
    let blocks = fenced_blocks(&text);
    assert!(
        blocks.iter().filter(|(info, _)| info == "console").count() >= 4,
        "the README's examples are console blocks"
    );
    for (info, body) in &blocks {
        // trycmd reads a block without an info string as a test case, too.
        assert!(!info.is_empty(), "give every block a language:\n{body:#?}");
        if info != "console" {
            assert!(
                !body.iter().any(|l| l.starts_with("$ ")),
                "a `$ ` command in a ```{info} block is never run; make it a ```console block:\n{body:#?}"
            );
        }
    }
}

/// The keys each reference table documents, as full dotted paths: a table headed
/// `` `[prometheus]` `` with a row `` `retention.time`, `retention.size` `` documents
/// `prometheus.retention.time` and `prometheus.retention.size`. `alerts.*` stands for the
/// subtree. Keys of the top level are in the table headed "top level".
fn documented_keys(text: &str) -> BTreeSet<String> {
    let reference = text
        .split_once("\n### Reference\n")
        .expect("README has a ### Reference section")
        .1;
    let reference = reference.split("\n## ").next().unwrap_or(reference);
    let mut keys = BTreeSet::new();
    let mut table: Option<String> = None;
    for line in reference.lines() {
        if let Some(row) = line.strip_prefix('|') {
            let first_cell = row.split('|').next().unwrap_or_default();
            let Some(prefix) = &table else { continue };
            for key in backticked(first_cell) {
                keys.insert(format!("{prefix}{key}"));
            }
        } else if line.starts_with("Top level") {
            table = Some(String::new());
        } else if let Some(name) = line
            .strip_prefix("`[")
            .and_then(|rest| rest.split_once("]`"))
            .map(|(name, _)| name)
        {
            // `[[slo]]`, a list of tables, documents the keys of each table.
            let name = name.trim_start_matches('[').trim_end_matches(']');
            table = Some(format!("{name}."));
        }
    }
    keys
}

fn backticked(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// Every key path the schema allows, following `$ref`s; the values of maps (`additionalProperties`
/// schemas) are not keys.
fn schema_keys(schema: &Value) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    collect_keys(schema, schema, "", &mut keys);
    keys
}

fn collect_keys(root: &Value, node: &Value, prefix: &str, keys: &mut BTreeSet<String>) {
    let node = resolve(root, node);
    for alternative in ["anyOf", "oneOf", "allOf"] {
        for sub in node[alternative].as_array().into_iter().flatten() {
            collect_keys(root, sub, prefix, keys);
        }
    }
    if let Some(properties) = node["properties"].as_object() {
        for (name, sub) in properties {
            let path = format!("{prefix}{name}");
            keys.insert(path.clone());
            collect_keys(root, sub, &format!("{path}."), keys);
        }
    }
    // The tables of a list (`[[slo]]`) have keys of their own.
    if let Some(items) = node.get("items") {
        collect_keys(root, items, prefix, keys);
    }
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        Some(name) => resolve(root, &root["$defs"][name]),
        None => node,
    }
}

/// Whether `key` is documented itself, by an ancestor row (`resources` covers
/// `resources.requests.cpu`) or by a wildcard row (`alerts.*`).
fn is_documented(key: &str, documented: &BTreeSet<String>) -> bool {
    documented.iter().any(|d| {
        let d = d.strip_suffix(".*").unwrap_or(d);
        key == d || key.starts_with(&format!("{d}."))
    })
}

/// A table such as `prometheus.retention` needs no row of its own when a row documents
/// each of its keys.
fn is_covered(key: &str, allowed: &BTreeSet<String>, documented: &BTreeSet<String>) -> bool {
    if is_documented(key, documented) {
        return true;
    }
    let prefix = format!("{key}.");
    let mut children = allowed
        .iter()
        .filter(|k| {
            k.strip_prefix(&prefix)
                .is_some_and(|rest| !rest.contains('.'))
        })
        .peekable();
    children.peek().is_some() && children.all(|child| is_covered(child, allowed, documented))
}

#[test]
fn the_profile_reference_documents_every_schema_key_and_nothing_else() {
    let schema = monstack::schema::profile_schema();
    let schema = serde_json::to_value(&schema).expect("the schema is JSON");
    let allowed = schema_keys(&schema);
    let documented = documented_keys(&readme());
    assert!(documented.len() > 50, "parsed too few rows: {documented:?}");

    let undocumented: Vec<&String> = allowed
        .iter()
        .filter(|k| !is_covered(k, &allowed, &documented))
        .collect();
    let unknown: Vec<&String> = documented
        .iter()
        .filter(|d| !allowed.contains(d.strip_suffix(".*").unwrap_or(d)))
        .collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "README ### Reference is out of date.\n\
         keys of the schema no table documents: {undocumented:?}\n\
         documented keys the schema does not have: {unknown:?}"
    );
}

#[test]
fn the_drift_check_reads_tables_wildcards_and_the_top_level() {
    let text = "\n### Reference\n\nTop level\n\n| key |\n|---|\n| `extends` |\n\n\
                `[prometheus]` — x\n\n| key | default |\n|---|---|\n\
                | `retention.time`, `retention.size` | `15d` |\n| `alerts.*` | |\n\n\
                `[[slo]]` — y\n\n| key |\n|---|\n| `name` |\n\n## Speed\n| `no` |\n";
    let keys = documented_keys(text);
    assert_eq!(
        keys.into_iter().collect::<Vec<_>>(),
        [
            "extends",
            "prometheus.alerts.*",
            "prometheus.retention.size",
            "prometheus.retention.time",
            "slo.name"
        ]
    );
    let documented: BTreeSet<String> = ["prometheus.alerts.*".to_string()].into();
    assert!(is_documented(
        "prometheus.alerts.high_latency.p95",
        &documented
    ));
    assert!(!is_documented("prometheus.alertsx", &documented));

    let allowed: BTreeSet<String> = ["r", "r.time", "r.size", "q", "q.a", "q.b"]
        .map(String::from)
        .into();
    let documented: BTreeSet<String> = ["r.time", "r.size", "q.a"].map(String::from).into();
    assert!(
        is_covered("r", &allowed, &documented),
        "every key of r is documented"
    );
    assert!(!is_covered("q", &allowed, &documented), "q.b is not");
}
