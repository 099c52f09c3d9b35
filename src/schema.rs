//! The JSON Schema of a profile, built from the same types that read it, so editors with a
//! TOML language server (Taplo, Even Better TOML) complete and check exactly what monstack accepts.

use schemars::SchemaGenerator;
use serde_json::{Map, Value, json};

use crate::components::ALL;
use crate::model::Stack;
use crate::profile::EXTENDS;

pub fn profile_schema() -> Value {
    let mut generator = SchemaGenerator::default();
    let mut properties = Map::new();
    properties.insert(
        EXTENDS.into(),
        json!({
            "type": "string",
            "description": "Path of the parent profile, relative to this file. Tables deep-merge; values and arrays in this file replace the parent's."
        }),
    );
    properties.insert(
        "stack".into(),
        generator.subschema_for::<Stack>().to_value(),
    );
    for entry in ALL {
        properties.insert(entry.name.into(), (entry.schema)(&mut generator).to_value());
    }
    let definitions: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "monstack profile",
        "description": "One stack profile: monstack renders every component's manifests from it.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "$defs": definitions,
    })
}

/// Follows `$ref` (`#/$defs/Name`) to the schema it names.
pub fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    // Definitions may refer to each other; a bound keeps a broken schema from looping.
    for _ in 0..16 {
        let Some(name) = schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/$defs/"))
        else {
            break;
        };
        match root["$defs"].get(name) {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

/// The schema of the value under `key` in a table described by `schema`: a declared property,
/// a map value (`additionalProperties`), or the same in one of the alternatives of an
/// optional value (`anyOf`/`oneOf`).
pub fn child<'a>(root: &'a Value, schema: &'a Value, key: &str) -> Option<&'a Value> {
    let schema = resolve(root, schema);
    if let Some(property) = schema["properties"].get(key) {
        return Some(property);
    }
    if schema["additionalProperties"].is_object() {
        return Some(&schema["additionalProperties"]);
    }
    ["anyOf", "oneOf", "allOf"]
        .iter()
        .filter_map(|k| schema[*k].as_array())
        .flatten()
        .find_map(|alternative| child(root, alternative, key))
}

/// The schema of the profile value at a dotted key path (`prometheus.retention.size`), if
/// a profile can have that key.
pub fn at_path<'a>(root: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(root, |schema, part| {
        let (name, index) = crate::model::split_index(part);
        let found = child(root, schema, name)?;
        match index {
            Some(_) => Some(&resolve(root, found)["items"]).filter(|s| !s.is_null()),
            None => Some(found),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lists_every_table_and_forbids_others() {
        let schema = profile_schema();
        let props = schema["properties"].as_object().unwrap();
        for name in [
            "extends",
            "stack",
            "prometheus",
            "alertmanager",
            "kube_state_metrics",
        ] {
            assert!(props.contains_key(name), "{name} missing");
        }
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn key_paths_resolve_through_refs_options_and_maps() {
        let schema = profile_schema();
        for key in [
            "prometheus.retention.size",
            "alertmanager.receivers.slack.secret",
            "kube_state_metrics.metric_labels_allowlist.pods",
            "stack.storage_class",
        ] {
            assert!(at_path(&schema, key).is_some(), "{key} not found");
        }
        for key in [
            "prometheus.scrape_intervall",
            "stack.namespace.extra",
            "nope",
        ] {
            assert!(at_path(&schema, key).is_none(), "{key} found");
        }
    }
}
