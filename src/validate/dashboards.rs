//! Grafana dashboards, checked the way Grafana would load them: every ConfigMap labelled as a
//! dashboard holds valid dashboard JSON (a known `schemaVersion`, a unique uid and title),
//! its panels have unique ids, a description, and a place inside the 24-column grid that no
//! other panel takes; every datasource a panel, target or variable names is a uid the
//! datasources ConfigMap provisions; every `$variable` a query uses is defined. The PromQL
//! itself is `promql.rs`'s, over the queries this file extracts.
//!
//! Each file is read into the typed views of `view.rs`, borrowing the ConfigMap's text: what
//! ships is checked, leniently the way Grafana loads it.
//! Messages name the dashboard (title and file) and the panel (id and title).

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Code, Diagnostic};
use crate::k8s::meta::grafana::{DASHBOARD, DATASOURCES, PROVISIONING_LABEL};

mod panels;
#[cfg(test)]
pub mod tests;
mod variables;
pub mod view;

use crate::k8s::Object;
use crate::model::Duration;
use panels::panel_problems;
use variables::variable_problems;
pub use variables::variables_used;
use view::{Dashboard, Panel, Variable};

/// Schema versions this stack's Grafana reads without surprises: 36 introduced datasource
/// references as `{type, uid}`; 42 is the last of the v1 dashboard API.
const SCHEMA_VERSIONS: std::ops::RangeInclusive<u64> = 36..=42;
const GRID_WIDTH: i64 = 24;
/// Panel types Grafana ships (Angular `graph`/`singlestat` are gone since Grafana 12).
const PANEL_TYPES: &[&str] = &[
    "timeseries",
    "stat",
    "gauge",
    "bargauge",
    "table",
    "text",
    "heatmap",
    "histogram",
    "piechart",
    "state-timeline",
    "status-history",
    "barchart",
    "logs",
    "traces",
    "nodeGraph",
    "row",
];
/// Variables Grafana defines itself.
const BUILTIN_VARIABLES: &[&str] = &[
    "__rate_interval",
    "__interval",
    "__interval_ms",
    "__range",
    "__range_s",
    "__range_ms",
    "__from",
    "__to",
    "__dashboard",
    "__org",
    "__user",
    "__timeFilter",
    "__name",
    "__all",
];

/// One dashboard file: where it is and what it parsed to.
pub struct File<'a> {
    /// `ConfigMap/<ns>/<name> <key>`.
    pub subject: String,
    pub key: &'a str,
    /// The dashboard, borrowing the ConfigMap's text; `Ok(None)` when the file is JSON but not
    /// an object.
    pub dashboard: Result<Option<Dashboard<'a>>, String>,
}

impl<'a> File<'a> {
    /// `dashboard `Overview` (overview.json)`.
    pub fn name(&self) -> String {
        let title = self.view().and_then(|d| d.title.as_str());
        format!("dashboard `{}` ({})", title.unwrap_or("?"), self.key)
    }

    /// The dashboard, when the file is a JSON object.
    pub fn view(&self) -> Option<&Dashboard<'a>> {
        self.dashboard.as_ref().ok()?.as_ref()
    }
}

/// A query of a dashboard: a panel target or a variable's query.
pub struct Query {
    pub subject: String,
    /// A variable's query (`label_values(...)`) rather than a panel's PromQL.
    pub is_variable: bool,
    /// `dashboard `Overview` (overview.json), panel 3 `p95 latency`, query A`.
    pub at: String,
    pub expr: String,
    /// The datasource uids the target and its panel name (a panel target's only).
    pub datasources: Vec<String>,
    /// The dashboard's time range in seconds (`"time": {"from": "now-6h"}`), if it has one.
    pub time_range: Option<f64>,
    /// The panel's `maxDataPoints` (Grafana's default 1000).
    pub max_data_points: f64,
}

fn config_maps<'a>(
    objects: &[&'a Object],
    kind: &str,
) -> Vec<(&'a Object, &'a BTreeMap<String, String>)> {
    objects
        .iter()
        .filter_map(|o| match o {
            Object::ConfigMap(cm)
                if cm
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(PROVISIONING_LABEL))
                    .map(String::as_str)
                    == Some(kind) =>
            {
                cm.data.as_ref().map(|d| (*o, d))
            }
            _ => None,
        })
        .collect()
}

/// Every dashboard file of every dashboard ConfigMap, read as the checks see it.
pub fn files<'a>(objects: &[&'a Object]) -> Vec<File<'a>> {
    config_maps(objects, DASHBOARD)
        .into_iter()
        .flat_map(|(o, data)| {
            data.iter().map(move |(key, text)| File {
                subject: format!("{} {key}", o.id()),
                key,
                dashboard: serde_json::from_str::<view::JsonObject<Dashboard<'a>>>(text)
                    .map(|object| object.0)
                    .map_err(|e| e.to_string()),
            })
        })
        .collect()
}

/// uid → type of every provisioned datasource.
pub fn datasources(objects: &[&Object]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (_, data) in config_maps(objects, DATASOURCES) {
        for text in data.values() {
            let Ok(file) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) else {
                continue;
            };
            for ds in file["datasources"].as_sequence().into_iter().flatten() {
                if let (Some(uid), Some(kind)) = (ds["uid"].as_str(), ds["type"].as_str()) {
                    out.insert(uid.to_string(), kind.to_string());
                }
            }
        }
    }
    out
}

/// Every panel, and the panels collapsed rows keep inside them.
pub(crate) fn panels<'d, 'a>(dashboard: &'d Dashboard<'a>) -> Vec<&'d Panel<'a>> {
    dashboard
        .panels
        .iter()
        .flat_map(|p| std::iter::once(p).chain(p.panels.iter()))
        .collect()
}

pub(crate) fn panel_name(p: &Panel<'_>) -> String {
    format!(
        "panel {} `{}`",
        p.id.as_i64().map_or("?".into(), |i| i.to_string()),
        p.title.as_str().unwrap_or("?")
    )
}

/// The dashboard's time range in seconds (`"time": {"from": "now-6h"}`).
fn time_range(dashboard: &Dashboard<'_>) -> Option<f64> {
    let from = dashboard
        .time
        .0
        .as_ref()?
        .from
        .as_str()?
        .strip_prefix("now-")?;
    Duration::parse(from).ok().map(|d| d.seconds())
}

/// Every query of every dashboard that parsed, with where it is.
pub fn queries(files: &[File<'_>]) -> Vec<Query> {
    let mut out = Vec::new();
    for file in files {
        let Some(dashboard) = file.view() else {
            continue;
        };
        let time_range = time_range(dashboard);
        for p in panels(dashboard) {
            for t in p.targets.iter() {
                if let Some(expr) = t.expr.as_str() {
                    out.push(Query {
                        subject: file.subject.clone(),
                        is_variable: false,
                        at: format!(
                            "{}, {}, query {}",
                            file.name(),
                            panel_name(p),
                            t.ref_id.as_str().unwrap_or("?")
                        ),
                        expr: expr.to_string(),
                        datasources: [&t.datasource, &p.datasource]
                            .into_iter()
                            .filter_map(|d| d.get("uid").as_str().map(str::to_string))
                            .collect(),
                        time_range,
                        max_data_points: p.max_data_points.as_f64().unwrap_or(1000.0),
                    });
                }
            }
        }
        for v in variables(dashboard) {
            if let Some(expr) = variable_query(v) {
                out.push(Query {
                    subject: file.subject.clone(),
                    is_variable: true,
                    at: format!(
                        "{}, variable `{}`",
                        file.name(),
                        v.name.as_str().unwrap_or("?")
                    ),
                    expr: expr.to_string(),
                    datasources: Vec::new(),
                    time_range,
                    max_data_points: 1000.0,
                });
            }
        }
    }
    out
}

fn variables<'d, 'a>(dashboard: &'d Dashboard<'a>) -> std::slice::Iter<'d, Variable<'a>> {
    match &dashboard.templating.0 {
        Some(templating) => templating.list.iter(),
        None => [].iter(),
    }
}

fn variable_query<'d>(v: &'d Variable<'_>) -> Option<&'d str> {
    if v.r#type.as_str() != Some("query") {
        return None;
    }
    v.query.get("query").as_str().or_else(|| v.query.as_str())
}

/// Checks the dashboard `files` (parsed once by the caller) against the provisioned datasources.
pub fn check(objects: &[&Object], files: &[File<'_>]) -> Vec<Diagnostic> {
    let provisioned = datasources(objects);
    let mut out = Vec::new();
    let mut uids = BTreeSet::new();
    let mut titles = BTreeSet::new();
    for file in files {
        let error = |code: Code, message: String, help: &str| {
            Diagnostic::error(code, message)
                .subject(file.subject.clone())
                .help(help)
        };
        let dashboard = match &file.dashboard {
            Ok(Some(dashboard)) => dashboard,
            Ok(None) => {
                out.push(error(
                    Code::DashboardInvalid,
                    format!("{} is not a JSON object", file.name()),
                    "a dashboard file holds one dashboard object",
                ));
                continue;
            }
            Err(e) => {
                out.push(error(
                    Code::DashboardInvalid,
                    format!("{} is not valid JSON: {e}", file.name()),
                    "fix the dashboard's JSON",
                ));
                continue;
            }
        };
        let name = file.name();
        match dashboard.uid.as_str() {
            Some(uid) if !uid.is_empty() && uid.len() <= 40 => {
                if !uids.insert(uid.to_string()) {
                    out.push(error(
                        Code::DashboardUid,
                        format!("{name} reuses uid `{uid}`"),
                        "give every dashboard its own uid: Grafana keeps only one",
                    ));
                }
            }
            _ => out.push(error(
                Code::DashboardUid,
                format!("{name} has no uid of 1 to 40 characters"),
                "set a stable uid; links and bookmarks use it",
            )),
        }
        if let Some(title) = dashboard.title.as_str().filter(|t| !t.is_empty()) {
            if !titles.insert(title.to_string()) {
                out.push(error(
                    Code::DashboardTitle,
                    format!("{name}: another dashboard has the same title"),
                    "titles must be unique within the folder",
                ));
            }
        } else {
            out.push(error(
                Code::DashboardTitle,
                format!("{name} has no title"),
                "set a title",
            ));
        }
        if !dashboard
            .schema_version
            .as_u64()
            .is_some_and(|v| SCHEMA_VERSIONS.contains(&v))
        {
            out.push(error(
                Code::DashboardSchemaVersion,
                format!(
                    "{name} has schemaVersion {}, outside {SCHEMA_VERSIONS:?}",
                    dashboard.schema_version
                ),
                "write the dashboard for the schema of the pinned Grafana",
            ));
        }
        out.extend(
            panel_problems(dashboard, &name, &provisioned)
                .into_iter()
                .map(|(code, message, help)| error(code, message, help)),
        );
        out.extend(
            variable_problems(dashboard, &name, &provisioned)
                .into_iter()
                .map(|(code, message, help)| error(code, message, help)),
        );
    }
    out
}
