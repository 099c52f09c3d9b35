//! Broken dashboards, built directly, make the checks fail with messages naming the
//! dashboard and the panel.

use crate::diag::Code;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

use super::*;
use crate::validate::dashboards::variables::variables_used;

pub fn config_map(name: &str, kind: Option<&str>, key: &str, text: &str) -> Object {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("mon".into()),
            labels: kind.map(|k| BTreeMap::from([(PROVISIONING_LABEL.to_string(), k.to_string())])),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(key.to_string(), text.to_string())])),
        ..ConfigMap::default()
    }
    .into()
}

pub fn datasources_map() -> Object {
    config_map(
        "grafana-datasources",
        Some(DATASOURCES),
        "datasources.yaml",
        "apiVersion: 1\ndatasources:\n  - {name: Prometheus, type: prometheus, uid: prometheus, url: 'http://p:9090'}\n",
    )
}

pub fn panel(id: i64, title: &str, (x, y, w, h): (i64, i64, i64, i64), expr: &str) -> Value {
    let ds = json!({"type": "prometheus", "uid": "prometheus"});
    json!({
        "id": id, "type": "timeseries", "title": title, "description": "what it shows",
        "gridPos": {"x": x, "y": y, "w": w, "h": h}, "datasource": ds,
        "targets": [{"refId": "A", "datasource": ds, "expr": expr}],
    })
}

pub fn dashboard(panels: Vec<Value>) -> Object {
    let json = json!({
        "uid": "monstack-test", "title": "Test", "schemaVersion": 41,
        "templating": {"list": [{"type": "query", "name": "namespace", "datasource": {"type": "prometheus", "uid": "prometheus"}, "query": {"query": "label_values(up, namespace)"}}]},
        "panels": panels,
    });
    config_map(
        "grafana-dashboard-test",
        Some(DASHBOARD),
        "test.json",
        &json.to_string(),
    )
}

fn findings(objects: Vec<Object>) -> Vec<(Code, String)> {
    let refs: Vec<&Object> = objects.iter().collect();
    check(&refs, &files(&refs))
        .into_iter()
        .map(|d| (d.code, d.message))
        .collect()
}

#[test]
fn a_clean_dashboard_passes() {
    let panels = vec![
        panel(1, "Left", (0, 0, 12, 8), "up{namespace=~\"$namespace\"}"),
        panel(2, "Right", (12, 0, 12, 8), "rate(x[$__rate_interval])"),
    ];
    assert_eq!(findings(vec![datasources_map(), dashboard(panels)]), vec![]);
}

#[test]
fn overlap_grid_and_ids_name_dashboard_and_panel() {
    let panels = vec![
        panel(1, "Requests", (0, 0, 12, 8), "up"),
        panel(2, "Errors", (6, 4, 12, 8), "up"),
        panel(2, "Latency", (20, 0, 6, 8), "up"),
    ];
    let found = findings(vec![datasources_map(), dashboard(panels)]);
    let has = |code: Code, text: &str| found.iter().any(|(c, m)| *c == code && m.contains(text));
    assert!(
        has(
            Code::DashboardPanelsOverlap,
            "dashboard `Test` (test.json), panel 2 `Errors` overlaps panel 1 `Requests`"
        ),
        "{found:?}"
    );
    assert!(
        has(Code::DashboardPanelId, "panel 2 `Latency`"),
        "{found:?}"
    );
    assert!(
        has(Code::DashboardGrid, "panel 2 `Latency` has gridPos"),
        "{found:?}"
    );
}

#[test]
fn an_unknown_datasource_uid_is_reported() {
    let mut p = panel(1, "Requests", (0, 0, 12, 8), "up");
    p["targets"][0]["datasource"]["uid"] = json!("loki");
    let found = findings(vec![datasources_map(), dashboard(vec![p])]);
    assert!(
        found
            .iter()
            .any(|(c, m)| *c == Code::DashboardDatasourceUnknown
                && m.contains("dashboard `Test` (test.json), panel 1 `Requests`, query A")),
        "{found:?}"
    );
}

#[test]
fn missing_descriptions_variables_and_bad_json_are_reported() {
    let mut p = panel(1, "Requests", (0, 0, 12, 8), "up{pod=~\"$pod\"}");
    p["description"] = json!("");
    let broken = config_map(
        "grafana-dashboard-broken",
        Some(DASHBOARD),
        "broken.json",
        "{\"title\": ",
    );
    let found = findings(vec![datasources_map(), dashboard(vec![p]), broken]);
    let codes: Vec<Code> = found.iter().map(|(c, _)| *c).collect();
    for code in [
        Code::DashboardPanelDescription,
        Code::DashboardVariableUndefined,
        Code::DashboardInvalid,
    ] {
        assert!(codes.contains(&code), "{code} not in {found:?}");
    }
}

#[test]
fn variable_references_are_found_in_every_form() {
    let used = variables_used("a{x=~\"$ns\", y=\"${svc:regex}\"}[$__rate_interval] [[old]] $$");
    let expected: BTreeSet<String> = ["ns", "svc", "__rate_interval", "old"]
        .map(String::from)
        .into();
    assert_eq!(used, expected);
}

/// Indexing a `serde_json::Value` read a field of the wrong type as absent; the typed views do
/// the same, so each problem is reported on its own instead of the file failing to parse.
#[test]
fn fields_of_the_wrong_type_are_reported_one_by_one() {
    let text = r#"{"uid": "monstack-test", "title": 5, "schemaVersion": "41",
        "templating": {"list": "none"}, "time": [],
        "panels": [7, {"id": "2", "type": "timeseries", "title": "Strings", "description": "d",
            "gridPos": "top", "datasource": "loki", "unknown": {"x": [1, 2]},
            "targets": [{"refId": "A", "expr": 1}, "B"]}]}"#;
    let broken = config_map("grafana-dashboard-test", Some(DASHBOARD), "test.json", text);
    let at = "dashboard `?` (test.json)";
    let expected = [
        (Code::DashboardTitle, format!("{at} has no title")),
        (
            Code::DashboardSchemaVersion,
            format!("{at} has schemaVersion \"41\", outside 36..=42"),
        ),
        (
            Code::DashboardPanelId,
            format!("{at}, panel ? `?` has no numeric id"),
        ),
        (
            Code::DashboardPanelType,
            format!("{at}, panel ? `?` has type ``, which Grafana does not ship"),
        ),
        (
            Code::DashboardPanelDescription,
            format!("{at}, panel ? `?` has no description"),
        ),
        (
            Code::DashboardGrid,
            format!("{at}, panel ? `?` has gridPos null, outside the 24-column grid"),
        ),
        (
            Code::DashboardPanelId,
            format!("{at}, panel ? `Strings` has no numeric id"),
        ),
        (
            Code::DashboardGrid,
            format!("{at}, panel ? `Strings` has gridPos \"top\", outside the 24-column grid"),
        ),
        (
            Code::DashboardDatasourceUnknown,
            format!(
                "{at}, panel ? `Strings` uses datasource \"loki\", which is not a provisioned datasource"
            ),
        ),
        (
            Code::DashboardTarget,
            format!("{at}, panel ? `Strings`, query : refId is empty or repeated"),
        ),
    ];
    assert_eq!(findings(vec![datasources_map(), broken]), expected);
}

#[test]
fn a_datasource_is_shown_as_written_and_a_file_that_is_no_object_is_named() {
    let mut p = panel(1, "Requests", (0, 0, 12, 8), "up");
    p["datasource"] = json!({"uid": "lo\"ki", "type": "loki", "extra": [1.5, null]});
    let array = config_map(
        "grafana-dashboard-list",
        Some(DASHBOARD),
        "list.json",
        "[1]",
    );
    let found = findings(vec![datasources_map(), dashboard(vec![p]), array]);
    let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "dashboard `Test` (test.json), panel 1 `Requests` uses datasource {\"extra\":[1.5,null],\"type\":\"loki\",\"uid\":\"lo\\\"ki\"}, which is not a provisioned datasource",
            "dashboard `?` (list.json) is not a JSON object",
        ]
    );
}
