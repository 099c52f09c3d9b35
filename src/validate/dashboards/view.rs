//! What the dashboard checks read of a dashboard file, deserialized straight from the rendered
//! ConfigMap text and borrowing its strings, instead of a `serde_json::Value` tree of the file.
//!
//! The views read a file the way indexing a `Value` did, so a malformed dashboard is reported
//! field by field instead of failing as a whole: unknown fields are ignored, a field of the
//! wrong JSON type reads as absent, a list that is not an array is empty, and an element that
//! is not an object has no fields (the field types are `lenient.rs`'s). Values a message shows
//! as written (`schemaVersion`, `gridPos`, datasource references, a variable's query) are kept
//! whole as `Json`. One difference: a key read here that appears twice in one object fails the
//! file (serde's "duplicate field"), where `Value` kept the last.

mod lenient;

use serde::Deserialize;

pub use lenient::{Json, JsonObject, List, Num, Text};

/// A dashboard file's top level.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Dashboard<'a> {
    #[serde(borrow)]
    pub uid: Text<'a>,
    #[serde(borrow)]
    pub title: Text<'a>,
    #[serde(borrow)]
    pub schema_version: Json<'a>,
    #[serde(borrow)]
    pub time: JsonObject<Time<'a>>,
    #[serde(borrow)]
    pub templating: JsonObject<Templating<'a>>,
    #[serde(borrow)]
    pub panels: List<Panel<'a>>,
}

/// The dashboard's time range, `{"from": "now-6h", ...}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Time<'a> {
    #[serde(borrow)]
    pub from: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Templating<'a> {
    #[serde(borrow)]
    pub list: List<Variable<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Panel<'a> {
    pub id: Num,
    #[serde(borrow)]
    pub title: Text<'a>,
    #[serde(borrow)]
    pub r#type: Text<'a>,
    #[serde(borrow)]
    pub description: Text<'a>,
    #[serde(borrow)]
    pub grid_pos: Json<'a>,
    #[serde(borrow)]
    pub datasource: Json<'a>,
    pub max_data_points: Num,
    #[serde(borrow)]
    pub targets: List<Target<'a>>,
    /// A collapsed row keeps its panels inside the row.
    #[serde(borrow)]
    pub panels: List<Panel<'a>>,
}

/// A panel's query.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Target<'a> {
    #[serde(borrow)]
    pub ref_id: Text<'a>,
    #[serde(borrow)]
    pub datasource: Json<'a>,
    #[serde(borrow)]
    pub expr: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Variable<'a> {
    #[serde(borrow)]
    pub name: Text<'a>,
    #[serde(borrow)]
    pub r#type: Text<'a>,
    #[serde(borrow)]
    pub datasource: Json<'a>,
    /// `{"query": "..."}`, or the query itself in older dashboards.
    #[serde(borrow)]
    pub query: Json<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_strings_are_read_unescaped() {
        let target: Target<'_> =
            serde_json::from_str(r#"{"expr": "up{job=\"a\"}", "refId": 7}"#).unwrap();
        assert_eq!(target.expr.as_str(), Some("up{job=\"a\"}"));
        assert_eq!(target.ref_id.as_str(), None);
    }
}
