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
}
