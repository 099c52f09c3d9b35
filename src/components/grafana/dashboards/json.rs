//! Lowering to Grafana's dashboard JSON model: datasources as `{type, uid}`, one target per
//! query with its own refId, units, colours and legends set the same way on every panel.
//!
//! Each JSON object is a struct serialized as it is, borrowing the catalog's strings. Fields are
//! declared in byte order of their JSON keys (the order `serde_json::Value` maps sort them in,
//! which the provisioned files have always had), so the files do not change; `tests` proves the
//! order. Values that never change are constants. Panels are `panel.rs`'s, their field config
//! `field_config.rs`'s.

mod field_config;
mod panel;

use serde::Serialize;

use super::{Dashboard, Render, SCHEMA_VERSION, TAG, Variable, layout};
use panel::PanelJson;

/// A dashboard in Grafana's JSON model.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardJson<'a> {
    annotations: List<Annotation>,
    description: &'a str,
    editable: bool,
    graph_tooltip: u8,
    /// Grafana assigns the database id; provisioned dashboards are known by uid.
    id: Option<u32>,
    links: [Link; 1],
    panels: Vec<PanelJson<'a>>,
    refresh: &'a str,
    schema_version: u32,
    tags: [&'static str; 1],
    templating: List<VariableJson<'a>>,
    time: TimeRange,
    timepicker: TimePicker<'a>,
    timezone: &'static str,
    title: &'a str,
    uid: String,
    version: u32,
}

/// Grafana's `{"list": [...]}` wrapper of annotations and variables.
#[derive(Debug, Serialize)]
struct List<T> {
    list: Vec<T>,
}

/// An annotation query: the dashboards define none (Grafana adds its built-in one).
#[derive(Debug, Serialize)]
enum Annotation {}

/// `graphTooltip` 1: the crosshair is shared between panels.
const SHARED_CROSSHAIR: u8 = 1;

#[derive(Debug, Serialize)]
struct TimeRange {
    from: String,
    to: &'static str,
}

#[derive(Debug, Serialize)]
struct TimePicker<'a> {
    hidden: bool,
    refresh_intervals: &'a [String],
}

/// A dropdown of the other dashboards carrying the tag.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Link {
    as_dropdown: bool,
    icon: &'static str,
    include_vars: bool,
    keep_time: bool,
    tags: [&'static str; 1],
    target_blank: bool,
    title: &'static str,
    r#type: &'static str,
}

const DASHBOARDS_LINK: Link = Link {
    as_dropdown: false,
    icon: "external link",
    include_vars: true,
    keep_time: true,
    tags: [TAG],
    target_blank: false,
    title: "Monitoring dashboards",
    r#type: "dashboards",
};

/// A datasource reference as schema 36+ writes it.
#[derive(Debug, Clone, Copy, Serialize)]
struct DatasourceRef<'a> {
    r#type: &'static str,
    uid: &'a str,
}

impl Dashboard {
    /// Grafana's dashboard JSON model.
    pub fn to_json<'a>(&'a self, r: &'a Render<'a>) -> DashboardJson<'a> {
        let datasource = DatasourceRef {
            r#type: "prometheus",
            uid: r.datasource_uid,
        };
        let panels = layout(&self.panels)
            .into_iter()
            .enumerate()
            .map(|(i, (panel, grid))| panel.to_json(i as u32 + 1, grid, datasource, r))
            .collect();
        let variables = self
            .variables
            .iter()
            .map(|v| v.to_json(datasource))
            .collect();
        DashboardJson {
            annotations: List { list: Vec::new() },
            description: self.description,
            editable: false,
            graph_tooltip: SHARED_CROSSHAIR,
            id: None,
            links: [DASHBOARDS_LINK],
            panels,
            refresh: r.refresh,
            schema_version: SCHEMA_VERSION,
            tags: [TAG],
            templating: List { list: variables },
            time: TimeRange {
                from: format!("now-{}", r.time_range),
                to: "now",
            },
            timepicker: TimePicker {
                hidden: false,
                refresh_intervals: &r.refresh_choices,
            },
            timezone: "browser",
            title: self.title,
            uid: self.uid(),
            version: 1,
        }
    }
}

/// A query variable: multi-select with "All", re-read when the time range changes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VariableJson<'a> {
    all_value: &'static str,
    current: NoSelection,
    datasource: DatasourceRef<'a>,
    definition: &'a str,
    include_all: bool,
    label: &'a str,
    multi: bool,
    name: &'a str,
    query: VariableQuery<'a>,
    refresh: u8,
    sort: u8,
    r#type: &'static str,
}

/// `current: {}`: nothing selected, so Grafana starts on "All".
#[derive(Debug, Serialize)]
struct NoSelection {}

#[derive(Debug, Serialize)]
struct VariableQuery<'a> {
    query: &'a str,
    #[serde(rename = "refId")]
    ref_id: &'static str,
}

/// `refresh` 2: re-read the values when the time range changes.
const ON_TIME_RANGE_CHANGE: u8 = 2;
/// `sort` 1: alphabetical, ascending.
const ALPHABETICAL: u8 = 1;

impl Variable {
    fn to_json<'a>(&'a self, datasource: DatasourceRef<'a>) -> VariableJson<'a> {
        VariableJson {
            all_value: ".+",
            current: NoSelection {},
            datasource,
            definition: &self.query,
            include_all: true,
            label: self.label,
            multi: true,
            name: self.name,
            query: VariableQuery {
                query: &self.query,
                ref_id: "variable",
            },
            refresh: ON_TIME_RANGE_CHANGE,
            sort: ALPHABETICAL,
            r#type: "query",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Colors, Kind};
    use super::*;
    use crate::contrib::dashboards::{STAT, Target, WIDE, panel, row, stacked, target, variable};

    /// A dashboard with every kind of panel, colour scheme and a variable.
    fn every_kind() -> Dashboard {
        let graph = |colors| {
            panel(
                Kind::Timeseries,
                WIDE,
                "Graph \"quoted\"",
                "s",
                &[],
                colors,
                "What it shows.",
                vec![
                    target("rate(x[$__rate_interval])", "{{pod}}"),
                    target("y", ""),
                ],
            )
        };
        Dashboard {
            slug: "test",
            title: "Test",
            description: "A test.",
            variables: vec![variable("ns", "Namespace", "label_values(up, ns)".into())],
            needs: &[],
            panels: vec![
                panel(
                    Kind::Stat,
                    STAT,
                    "Stat",
                    "percentunit",
                    &[],
                    Colors::Thresholds(0.01, 1.0),
                    "A ratio.",
                    vec![Target {
                        expr: "a / b".into(),
                        legend: "ratio".into(),
                    }],
                ),
                graph(Colors::Palette),
                row("Section"),
                stacked(graph(Colors::StatusClasses)),
                graph(Colors::Quantiles),
            ],
        }
    }

    fn render() -> Render<'static> {
        Render {
            datasource_uid: "prometheus",
            refresh: "1m",
            refresh_choices: vec!["30s".into(), "1m".into()],
            time_range: "6h",
            max_data_points: 1000,
        }
    }

    /// Grafana's files have their keys in byte order (as `serde_json::Value` maps write them):
    /// every struct above declares its fields in that order.
    #[test]
    fn fields_are_declared_in_the_order_of_their_keys() {
        let dashboard = every_kind();
        let render = render();
        let typed = dashboard.to_json(&render);
        let written = serde_json::to_string_pretty(&typed).unwrap();
        let sorted = serde_json::to_value(&typed).unwrap();
        assert_eq!(written, serde_json::to_string_pretty(&sorted).unwrap());
        for part in [
            "\"id\": null",
            "\"current\": {}",
            "\"custom\": {}",
            "\"panels\": []",
            "\"value\": 1.0",
            "\"value\": 0.01",
            "\"fillOpacity\": 40",
            "\"refId\": \"B\"",
            "\"options\": \"^5..$\"",
        ] {
            assert!(written.contains(part), "{part} not in {written}");
        }
    }
}
