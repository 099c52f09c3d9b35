//! `monstack diff`: compares two stacks object by object, for reviewing a variant against
//! production in a pull request.
//!
//! Each side becomes an [`Inventory`]: every object as a `serde_json::Value`, keyed by
//! kind/namespace/name and placed in the file it is (or would be) written to. Inventories come
//! from a compiled profile or from a directory `monstack render -o` wrote, so any pairing of
//! the two compares the same way. [`compare`] walks matching objects field by field and
//! produces a [`Report`]: what was added, removed and changed, grouped by file.
//!
//! Readability rules, because the output is read by people in a review:
//! - paths name list items by their `name` (or `metadata.name`) where every item has a unique
//!   one, so `containers[prometheus]` survives a reordering, and by index otherwise;
//! - lists of plain values (container `args`) are aligned by content, so inserting one flag
//!   shows one `+` line rather than shifting every later index;
//! - multi-line strings (the config files inside ConfigMaps) get a line diff with context;
//! - unchanged objects and fields never appear; everything is sorted, so output is stable.
//!
//! Reading rendered YAML is the one place outside `emit` that uses the YAML crate: it only
//! parses documents into JSON values, it never writes YAML.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::Value;
use similar::{Algorithm, ChangeTag, DiffTag, TextDiff};

use crate::emit;
use crate::pipeline::Compilation;

/// How an object is identified on both sides; apiVersion is compared as an ordinary field.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectKey {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

impl ObjectKey {
    /// Reads the key of a parsed object; `None` when it lacks a kind or a name.
    fn of(value: &Value) -> Option<ObjectKey> {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let metadata = value.get("metadata");
        Some(ObjectKey {
            kind: text(value.get("kind"))?,
            namespace: text(metadata.and_then(|m| m.get("namespace"))),
            name: text(metadata.and_then(|m| m.get("name")))?,
        })
    }
}

/// One object of an inventory and where it sits.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// The file it is written to, e.g. `prometheus.yaml`.
    pub file: String,
    /// Its position in the whole side, so reports follow file order (apply order).
    pub position: usize,
    pub value: Value,
}

/// Every object of one side of a diff.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    objects: BTreeMap<ObjectKey, Placed>,
}

impl Inventory {
    /// The objects a compiled profile renders, placed in the files `render -o` would write.
    pub fn from_compilation(c: &Compilation) -> anyhow::Result<Inventory> {
        let mut inventory = Inventory::default();
        for part in &c.manifest.parts {
            let file = format!("{}.yaml", part.file);
            for object in &part.objects {
                let value = serde_json::to_value(object)
                    .with_context(|| format!("converting {} for comparison", object.id()))?;
                inventory.insert(&file, value)?;
            }
        }
        Ok(inventory)
    }

    /// The objects of every `*.yaml` file in `dir` that monstack wrote; other files are the
    /// user's and are ignored, as `render -o` ignores them.
    pub fn read_dir(dir: &Path) -> anyhow::Result<Inventory> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .with_context(|| format!("reading {}", dir.display()))?;
        files.retain(|p| p.extension().is_some_and(|e| e == "yaml") && p.is_file());
        // `kustomization.yaml` (render --kustomization) holds no object.
        files.retain(|p| p.file_name().is_none_or(|n| n != emit::KUSTOMIZATION_FILE));
        files.retain(|p| emit::written_by_monstack(p));
        if files.is_empty() {
            bail!(
                "{} has no .yaml files written by monstack (their first line starts with `{}`)",
                dir.display(),
                emit::HEADER_PREFIX
            );
        }
        files.sort();
        let mut inventory = Inventory::default();
        for path in &files {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            inventory
                .add_rendered(&name, &text)
                .with_context(|| format!("reading {}", path.display()))?;
        }
        Ok(inventory)
    }

    /// Adds the objects of one rendered file (multi-document YAML) named `file`.
    pub fn add_rendered(&mut self, file: &str, text: &str) -> anyhow::Result<()> {
        for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
            let value = Value::deserialize(document)
                .with_context(|| format!("parsing YAML document {}", index + 1))?;
            // `---` at the end of a file, or a document holding only comments.
            if !value.is_null() {
                self.insert(file, value)?;
            }
        }
        Ok(())
    }

    fn insert(&mut self, file: &str, value: Value) -> anyhow::Result<()> {
        let Some(key) = ObjectKey::of(&value) else {
            bail!("{file}: a document has no `kind` or no `metadata.name`");
        };
        if let Some(earlier) = self.objects.get(&key) {
            bail!("{key} appears twice (in {} and {file})", earlier.file);
        }
        let position = self.objects.len();
        self.objects.insert(
            key,
            Placed {
                file: file.to_string(),
                position,
                value,
            },
        );
        Ok(())
    }

    /// The object with this key, as parsed from YAML or converted from the typed object.
    pub fn get(&self, key: &ObjectKey) -> Option<&Value> {
        self.objects.get(key).map(|placed| &placed.value)
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// What a caller adds to a rendered report: field changes to mark with `!` (by object and
/// path) and a note printed before the summary line.
#[derive(Debug, Default)]
pub struct Annotations {
    pub immutable: BTreeSet<(ObjectKey, String)>,
    pub note: String,
}

/// Everything that differs between two inventories.
#[derive(Debug, Default, PartialEq)]
pub struct Report {
    /// Differing objects by file, each file's objects in the order they are written.
    pub files: BTreeMap<String, Vec<ObjectDiff>>,
    pub unchanged: usize,
}

#[derive(Debug, PartialEq)]
pub struct ObjectDiff {
    pub key: ObjectKey,
    pub status: Status,
    /// Where the object sits on the side it is reported from, for ordering within a file.
    position: (u8, usize),
}

#[derive(Debug, PartialEq)]
pub enum Status {
    Added,
    Removed,
    Changed {
        /// The file it was in before, when it moved to another file.
        moved_from: Option<String>,
        fields: Vec<FieldChange>,
    },
}

/// One difference inside an object, at a path such as `spec.template.spec.containers[x].image`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub path: String,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A value replaced, or a value of another shape (a string that became a list).
    Replaced {
        old: Value,
        new: Value,
    },
    Added(Value),
    Removed(Value),
    /// A multi-line string, shown as a line diff.
    Text {
        old: String,
        new: String,
    },
    /// A list of plain values, shown as the items removed and inserted.
    Items {
        old: Vec<Value>,
        new: Vec<Value>,
    },
    /// The same named items in another order (which matters for e.g. init containers).
    Reordered {
        old: Vec<String>,
        new: Vec<String>,
    },
}

/// Compares `old` with `new` object by object.
pub fn compare(old: &Inventory, new: &Inventory) -> Report {
    let mut report = Report::default();
    for (key, before) in &old.objects {
        let Some(after) = new.objects.get(key) else {
            report.push(&before.file, key, Status::Removed, (1, before.position));
            continue;
        };
        let fields = compare_values(&before.value, &after.value);
        let moved_from = (before.file != after.file).then(|| before.file.clone());
        if fields.is_empty() && moved_from.is_none() {
            report.unchanged += 1;
        } else {
            let status = Status::Changed { moved_from, fields };
            report.push(&after.file, key, status, (0, after.position));
        }
    }
    for (key, after) in &new.objects {
        if !old.objects.contains_key(key) {
            report.push(&after.file, key, Status::Added, (0, after.position));
        }
    }
    for objects in report.files.values_mut() {
        objects.sort_by_key(|o| o.position);
    }
    report
}

/// The field-level differences between two versions of one object.
pub fn compare_values(old: &Value, new: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    walk(&mut String::new(), old, new, &mut changes);
    changes
}

fn walk(path: &mut String, old: &Value, new: &Value, out: &mut Vec<FieldChange>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            // Sorted union of keys: the order of the maps themselves does not matter.
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let len = path.len();
                push_key(path, key);
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => walk(path, x, y, out),
                    (Some(x), None) => record(path, Change::Removed(x.clone()), out),
                    (None, Some(y)) => record(path, Change::Added(y.clone()), out),
                    (None, None) => {}
                }
                path.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) => walk_list(path, a, b, out),
        (Value::String(a), Value::String(b)) if a.contains('\n') || b.contains('\n') => {
            let change = Change::Text {
                old: a.clone(),
                new: b.clone(),
            };
            record(path, change, out);
        }
        _ => {
            let change = Change::Replaced {
                old: old.clone(),
                new: new.clone(),
            };
            record(path, change, out);
        }
    }
}

fn record(path: &str, change: Change, out: &mut Vec<FieldChange>) {
    let path = if path.is_empty() { "." } else { path };
    out.push(FieldChange {
        path: path.to_string(),
        change,
    });
}

fn walk_list(path: &mut String, old: &[Value], new: &[Value], out: &mut Vec<FieldChange>) {
    if old.iter().chain(new).all(is_plain) {
        let change = Change::Items {
            old: old.to_vec(),
            new: new.to_vec(),
        };
        return record(path, change, out);
    }
    match (item_names(old), item_names(new)) {
        (Some(a), Some(b)) => walk_named(path, (old, &a), (new, &b), out),
        _ => walk_indexed(path, old, new, out),
    }
}

/// Matches items by name: changed or removed ones in the old order, then the added ones.
fn walk_named(
    path: &mut String,
    (old, old_names): (&[Value], &[&str]),
    (new, new_names): (&[Value], &[&str]),
    out: &mut Vec<FieldChange>,
) {
    let find = |names: &[&str], name: &str| names.iter().position(|n| *n == name);
    let len = path.len();
    for (item, name) in old.iter().zip(old_names) {
        push_item(path, name);
        match find(new_names, name) {
            Some(i) => walk(path, item, &new[i], out),
            None => record(path, Change::Removed(item.clone()), out),
        }
        path.truncate(len);
    }
    for (item, name) in new.iter().zip(new_names) {
        if find(old_names, name).is_none() {
            push_item(path, name);
            record(path, Change::Added(item.clone()), out);
            path.truncate(len);
        }
    }
    let common = |names: &[&str], others: &[&str]| -> Vec<String> {
        let kept = names.iter().filter(|n| others.contains(n));
        kept.map(|n| n.to_string()).collect()
    };
    let (before, after) = (common(old_names, new_names), common(new_names, old_names));
    if before != after {
        let change = Change::Reordered {
            old: before,
            new: after,
        };
        record(path, change, out);
    }
}

fn walk_indexed(path: &mut String, old: &[Value], new: &[Value], out: &mut Vec<FieldChange>) {
    let len = path.len();
    for i in 0..old.len().max(new.len()) {
        let _ = write!(path, "[{i}]");
        match (old.get(i), new.get(i)) {
            (Some(x), Some(y)) => walk(path, x, y, out),
            (Some(x), None) => record(path, Change::Removed(x.clone()), out),
            (None, Some(y)) => record(path, Change::Added(y.clone()), out),
            (None, None) => {}
        }
        path.truncate(len);
    }
}

fn is_plain(value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
}

/// The names of a list's items, when every item has a unique `name` (containers, ports,
/// volumes, env) or `metadata.name` (volumeClaimTemplates).
fn item_names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items.iter().map(item_name).collect::<Option<_>>()?;
    let unique: BTreeSet<&&str> = names.iter().collect();
    (unique.len() == names.len()).then_some(names)
}

fn item_name(item: &Value) -> Option<&str> {
    item.get("name")
        .or_else(|| item.get("metadata").and_then(|m| m.get("name")))
        .and_then(Value::as_str)
}

/// Keys that are not plain identifiers (`prometheus.yml`, `app.kubernetes.io/name`) are
/// quoted, so the dots of the path stay unambiguous.
fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    if is_identifier(key) {
        path.push_str(key);
    } else {
        let _ = write!(path, "{key:?}");
    }
}

fn push_item(path: &mut String, name: &str) {
    if is_identifier(name) {
        let _ = write!(path, "[{name}]");
    } else {
        let _ = write!(path, "[{name:?}]");
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Report {
    fn push(&mut self, file: &str, key: &ObjectKey, status: Status, position: (u8, usize)) {
        self.files
            .entry(file.to_string())
            .or_default()
            .push(ObjectDiff {
                key: key.clone(),
                status,
                position,
            });
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    fn count(&self, wanted: fn(&Status) -> bool) -> usize {
        let all = self.files.values().flatten();
        all.filter(|o| wanted(&o.status)).count()
    }

    /// E.g. `3 objects changed, 1 added, 1 removed; 42 objects unchanged`.
    pub fn summary(&self) -> String {
        let changed = self.count(|s| matches!(s, Status::Changed { .. }));
        let added = self.count(|s| matches!(s, Status::Added));
        let removed = self.count(|s| matches!(s, Status::Removed));
        format!(
            "{} changed, {added} added, {removed} removed; {} unchanged",
            plural(changed, "object"),
            plural(self.unchanged, "object")
        )
    }

    /// The whole report as text, summary line last. `colour` adds ANSI colours.
    pub fn render(&self, colour: bool) -> String {
        self.render_annotated(colour, &Annotations::default())
    }

    /// The report with marked fields and a note before the summary line.
    pub fn render_annotated(&self, colour: bool, annotations: &Annotations) -> String {
        let paint = Paint(colour);
        let mut out = String::new();
        for (file, diffs) in &self.files {
            let _ = writeln!(out, "{}", paint.bold(file));
            for diff in diffs {
                render_object(&mut out, diff, paint, &annotations.immutable);
            }
            out.push('\n');
        }
        out.push_str(&annotations.note);
        out.push_str(&self.summary());
        out.push('\n');
        out
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn render_object(
    out: &mut String,
    diff: &ObjectDiff,
    paint: Paint,
    immutable: &BTreeSet<(ObjectKey, String)>,
) {
    let key = &diff.key;
    match &diff.status {
        Status::Added => {
            let _ = writeln!(out, "{}", paint.green(&format!("  + {key} (added)")));
        }
        Status::Removed => {
            let _ = writeln!(out, "{}", paint.red(&format!("  - {key} (removed)")));
        }
        Status::Changed { moved_from, fields } => {
            let moved = moved_from
                .as_ref()
                .map_or(String::new(), |f| format!(" (moved from {f})"));
            let _ = writeln!(out, "{}", paint.yellow(&format!("  ~ {key}{moved}")));
            for field in fields {
                let start = out.len();
                render_field(out, field, paint);
                // `!` in the margin: a change `kubectl apply` cannot make (see `upgrade`).
                if immutable.contains(&(key.clone(), field.path.clone())) {
                    out.replace_range(start..start + MARK.len(), MARK);
                }
            }
        }
    }
}

/// Indentation of a field line, and of the lines of a list or text diff below it.
const FIELD: &str = "      ";
/// The start of a field line whose change the API server refuses in place.
const MARK: &str = "    ! ";
const DETAIL: &str = "          ";
/// Above this width a replaced value is shown as a `-` line and a `+` line.
const INLINE_WIDTH: usize = 60;
/// Above this width an added or removed structure is shown by its keys only.
const BRIEF_WIDTH: usize = 80;

fn render_field(out: &mut String, field: &FieldChange, paint: Paint) {
    let path = &field.path;
    match &field.change {
        Change::Replaced { old, new } => {
            let (old, new) = distinct_texts(old, new);
            if old.len() + new.len() <= INLINE_WIDTH {
                let _ = writeln!(out, "{FIELD}{path}: {old} → {new}");
            } else {
                let _ = writeln!(out, "{FIELD}{path}:");
                let _ = writeln!(out, "{}", paint.red(&format!("{DETAIL}- {old}")));
                let _ = writeln!(out, "{}", paint.green(&format!("{DETAIL}+ {new}")));
            }
        }
        Change::Added(value) => {
            let _ = writeln!(out, "{FIELD}{path}: (absent) → {}", brief(value));
        }
        Change::Removed(value) => {
            let _ = writeln!(out, "{FIELD}{path}: {} → (absent)", brief(value));
        }
        Change::Text { old, new } => {
            let _ = writeln!(out, "{FIELD}{path}:");
            render_text_diff(out, old, new, paint);
        }
        Change::Items { old, new } => {
            let _ = writeln!(out, "{FIELD}{path}:");
            render_items_diff(out, old, new, paint);
        }
        Change::Reordered { old, new } => {
            let (old, new) = (old.join(", "), new.join(", "));
            let _ = writeln!(out, "{FIELD}{path}: order [{old}] → [{new}]");
        }
    }
}

/// A line diff of an embedded file: hunks with two lines of context, line numbers of the file.
fn render_text_diff(out: &mut String, old: &str, new: &str, paint: Paint) {
    let diff = TextDiff::from_lines(old, new);
    let mut unified = diff.unified_diff();
    unified.context_radius(2).missing_newline_hint(false);
    for hunk in unified.iter_hunks() {
        let _ = writeln!(out, "{}", paint.cyan(&format!("{DETAIL}{}", hunk.header())));
        for change in hunk.iter_changes() {
            let line = change.value().trim_end_matches('\n');
            let text = format!("{DETAIL}{}{line}", change.tag());
            let text = match change.tag() {
                ChangeTag::Delete => paint.red(&text),
                ChangeTag::Insert => paint.green(&text),
                ChangeTag::Equal => text,
            };
            let _ = writeln!(out, "{}", text.trim_end());
        }
    }
}

/// The items removed and inserted, aligned by content; unchanged items are left out.
fn render_items_diff(out: &mut String, old: &[Value], new: &[Value], paint: Paint) {
    let old: Vec<String> = old.iter().map(scalar_text).collect();
    let new: Vec<String> = new.iter().map(scalar_text).collect();
    for op in similar::capture_diff_slices(Algorithm::Myers, &old, &new) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let (removed, inserted) = (&old[old_range], &new[new_range]);
        match tag {
            DiffTag::Equal => {}
            // One-for-one replacements (a flag's value) read best as before/after pairs.
            DiffTag::Replace if removed.len() == inserted.len() => {
                for (before, after) in removed.iter().zip(inserted) {
                    let _ = writeln!(out, "{}", paint.red(&format!("{DETAIL}- {before}")));
                    let _ = writeln!(out, "{}", paint.green(&format!("{DETAIL}+ {after}")));
                }
            }
            _ => {
                for item in removed {
                    let _ = writeln!(out, "{}", paint.red(&format!("{DETAIL}- {item}")));
                }
                for item in inserted {
                    let _ = writeln!(out, "{}", paint.green(&format!("{DETAIL}+ {item}")));
                }
            }
        }
    }
}

/// Both values as text; when they would read the same (`2` and `"2"`), as JSON so the
/// difference in type shows.
fn distinct_texts(old: &Value, new: &Value) -> (String, String) {
    let (a, b) = (brief(old), brief(new));
    if a == b {
        (old.to_string(), new.to_string())
    } else {
        (a, b)
    }
}

/// A one-line rendering in YAML flow style (`{name: http, port: 9090}`). A structure too wide
/// for a line keeps only its keys (`{podAntiAffinity: …}`) or its length.
fn brief(value: &Value) -> String {
    let full = flow(value);
    if full.chars().count() <= BRIEF_WIDTH {
        return full;
    }
    match value {
        Value::Object(map) => {
            let keys: BTreeSet<&String> = map.keys().collect();
            let fields: Vec<String> = keys.iter().map(|k| format!("{}: …", flow_key(k))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => format!("[{}]", plural(items.len(), "item")),
        _ => full,
    }
}

fn flow(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            // Sorted, whatever order the map keeps, so both sides read the same.
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            let fields: Vec<String> = sorted
                .iter()
                .map(|(k, v)| format!("{}: {}", flow_key(k), flow(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        plain => scalar_text(plain),
    }
}

fn flow_key(key: &str) -> String {
    if is_identifier(key) {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) if !s.is_empty() && s.trim() == s => s.clone(),
        other => other.to_string(),
    }
}

/// ANSI colours, or plain text when off.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
    fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
    fn cyan(self, text: &str) -> String {
        self.wrap("36", text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inventory(files: &[(&str, &str)]) -> Inventory {
        let mut inventory = Inventory::default();
        for (name, text) in files {
            inventory.add_rendered(name, text).expect("valid test YAML");
        }
        inventory
    }

    fn paths(changes: &[FieldChange]) -> Vec<&str> {
        changes.iter().map(|c| c.path.as_str()).collect()
    }

    const STATEFULSET: &str = "\
# Generated by monstack from profile a.toml.
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: prometheus, namespace: monitoring}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: prometheus
        args: [--a, --retention=15d, --z]
        resources: {limits: {memory: 2Gi}}
      - name: reloader
        image: reloader:v1
---
";

    #[test]
    fn identical_inventories_have_an_empty_report() {
        let a = inventory(&[("prometheus.yaml", STATEFULSET)]);
        let report = compare(&a, &a.clone());
        assert!(report.is_empty());
        assert_eq!(report.unchanged, 1);
        assert_eq!(
            report.summary(),
            "0 objects changed, 0 added, 0 removed; 1 object unchanged"
        );
    }

    #[test]
    fn list_items_are_named_by_their_name_and_scalar_lists_by_content() {
        let old = inventory(&[("prometheus.yaml", STATEFULSET)]);
        let edited = STATEFULSET
            .replace("replicas: 2", "replicas: 1")
            .replace("--retention=15d", "--retention=7d")
            .replace("memory: 2Gi", "memory: 1536Mi");
        let new = inventory(&[("prometheus.yaml", &edited)]);
        let report = compare(&old, &new);
        let text = report.render(false);
        assert!(text.contains("      spec.replicas: 2 → 1\n"), "{text}");
        assert!(
            text.contains(
                "spec.template.spec.containers[prometheus].args:\n          - --retention=15d\n          + --retention=7d\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("containers[prometheus].resources.limits.memory: 2Gi → 1536Mi"),
            "{text}"
        );
        assert!(!text.contains("--a"), "unchanged args stay out: {text}");
        assert!(text.ends_with("1 object changed, 0 added, 0 removed; 0 objects unchanged\n"));
    }

    #[test]
    fn reordered_named_items_are_reported_once_and_matched_by_name() {
        let old = json!({"c": [{"name": "a", "v": 1}, {"name": "b", "v": 1}]});
        let new = json!({"c": [{"name": "b", "v": 2}, {"name": "a", "v": 1}]});
        let changes = compare_values(&old, &new);
        assert_eq!(paths(&changes), ["c[b].v", "c"]);
        assert!(matches!(changes[1].change, Change::Reordered { .. }));
    }

    #[test]
    fn items_without_unique_names_are_compared_by_index() {
        let old = json!({"rules": [{"verbs": ["get"]}, {"verbs": ["list"]}]});
        let new = json!({"rules": [{"verbs": ["get"]}, {"verbs": ["watch"]}, {"verbs": []}]});
        assert_eq!(
            paths(&compare_values(&old, &new)),
            ["rules[1].verbs", "rules[2]"]
        );
        let duplicate = json!([{"name": "x", "a": 1}, {"name": "x", "a": 2}]);
        assert!(item_names(duplicate.as_array().unwrap()).is_none());
    }

    #[test]
    fn replaced_list_items_read_as_before_after_pairs() {
        let old = [json!("--a=1"), json!("--b=1"), json!("--c")];
        let new = [json!("--a=2"), json!("--b=2"), json!("--c"), json!("--d")];
        let mut out = String::new();
        render_items_diff(&mut out, &old, &new, Paint(false));
        assert_eq!(
            out,
            "          - --a=1\n          + --a=2\n          - --b=1\n          + --b=2\n          + --d\n"
        );
    }

    #[test]
    fn volume_claim_templates_are_named_by_metadata_name() {
        let old = json!({"t": [{"metadata": {"name": "data"}, "size": "50Gi"}]});
        let new = json!({"t": [{"metadata": {"name": "data"}, "size": "20Gi"}]});
        assert_eq!(paths(&compare_values(&old, &new)), ["t[data].size"]);
    }

    #[test]
    fn dotted_keys_are_quoted_in_paths() {
        let old = json!({"metadata": {"labels": {"app.kubernetes.io/name": "a"}}});
        let new = json!({"metadata": {"labels": {"app.kubernetes.io/name": "b"}}});
        assert_eq!(
            paths(&compare_values(&old, &new)),
            [r#"metadata.labels."app.kubernetes.io/name""#]
        );
    }

    #[test]
    fn multi_line_strings_get_a_line_diff_with_line_numbers() {
        let config = |interval: &str| {
            format!(
                "kind: ConfigMap\nmetadata: {{name: cfg}}\ndata:\n  prometheus.yml: |\n    global:\n      scrape_interval: {interval}\n    scrape_configs: []\n"
            )
        };
        let old = inventory(&[("p.yaml", &config("15s"))]);
        let new = inventory(&[("p.yaml", &config("30s"))]);
        let text = compare(&old, &new).render(false);
        assert!(text.contains(r#"data."prometheus.yml":"#), "{text}");
        assert!(text.contains("@@ -1,3 +1,3 @@"), "{text}");
        assert!(text.contains("-  scrape_interval: 15s\n"), "{text}");
        assert!(text.contains("+  scrape_interval: 30s\n"), "{text}");
    }

    #[test]
    fn added_removed_and_moved_objects_are_grouped_by_file() {
        let obj = |kind: &str, name: &str| format!("kind: {kind}\nmetadata: {{name: {name}}}\n");
        let old = inventory(&[
            (
                "a.yaml",
                &format!("{}---\n{}", obj("Service", "s"), obj("Role", "gone")),
            ),
            ("b.yaml", &obj("ConfigMap", "moving")),
        ]);
        let new = inventory(&[
            (
                "a.yaml",
                &format!("{}---\n{}", obj("Service", "s"), obj("Role", "new")),
            ),
            ("c.yaml", &obj("ConfigMap", "moving")),
        ]);
        let text = compare(&old, &new).render(false);
        assert_eq!(
            text,
            "a.yaml\n  + Role new (added)\n  - Role gone (removed)\n\n\
             c.yaml\n  ~ ConfigMap moving (moved from b.yaml)\n\n\
             1 object changed, 1 added, 1 removed; 1 object unchanged\n"
        );
    }

    #[test]
    fn values_that_read_the_same_show_their_types() {
        let changes = compare_values(&json!({"port": 9090}), &json!({"port": "9090"}));
        let mut out = String::new();
        render_field(&mut out, &changes[0], Paint(false));
        assert_eq!(out, "      port: 9090 → \"9090\"\n");
    }

    #[test]
    fn big_added_structures_are_summarised_by_their_keys() {
        let affinity = json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100}]}});
        let changes = compare_values(&json!({}), &json!({ "affinity": affinity }));
        let mut out = String::new();
        render_field(&mut out, &changes[0], Paint(false));
        assert_eq!(out, "      affinity: (absent) → {podAntiAffinity: …}\n");
        let port = json!({"ports": [{"name": "http", "containerPort": 9090}]});
        let changes = compare_values(&json!({"ports": []}), &port);
        let mut out = String::new();
        render_field(&mut out, &changes[0], Paint(false));
        assert_eq!(
            out,
            "      ports[http]: (absent) → {containerPort: 9090, name: http}\n"
        );
    }

    #[test]
    fn colour_is_only_added_when_asked_for() {
        let old = inventory(&[("p.yaml", STATEFULSET)]);
        let new = inventory(&[("p.yaml", &STATEFULSET.replace("replicas: 2", "replicas: 3"))]);
        let report = compare(&old, &new);
        assert!(!report.render(false).contains('\x1b'));
        assert!(report.render(true).contains("\x1b[33m"));
    }

    #[test]
    fn an_object_twice_on_one_side_is_an_error() {
        let doc = "kind: Service\nmetadata: {name: s, namespace: n}\n";
        let mut inventory = inventory(&[("a.yaml", doc)]);
        let err = inventory.add_rendered("b.yaml", doc).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Service n/s appears twice (in a.yaml and b.yaml)"
        );
    }

    #[test]
    fn a_document_without_kind_or_name_is_an_error() {
        let err = Inventory::default()
            .add_rendered("a.yaml", "metadata: {name: s}\n")
            .unwrap_err();
        assert!(err.to_string().contains("no `kind`"), "{err}");
    }
}
