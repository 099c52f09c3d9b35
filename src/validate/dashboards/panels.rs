//! Panel rules: unique ids, a known type, a description, a place inside the 24-column grid
//! that no other panel takes, and datasources that are provisioned uids of the right type.

use crate::diag::Code;
use std::collections::{BTreeMap, BTreeSet};

use super::view::{Dashboard, Json, Panel};
use super::{GRID_WIDTH, PANEL_TYPES, panel_name, panels};

pub type Finding = (Code, String, &'static str);

/// A datasource reference that is not a provisioned uid of the same type.
pub fn datasource_problem(
    reference: &Json<'_>,
    at: &str,
    provisioned: &BTreeMap<String, String>,
) -> Option<Finding> {
    if reference.is_null() {
        return None;
    }
    let uid = reference.get("uid").as_str();
    let kind = reference.get("type").as_str();
    match uid.and_then(|u| provisioned.get(u)) {
        Some(t) if Some(t.as_str()) == kind => None,
        _ => Some((
            Code::DashboardDatasourceUnknown,
            format!("{at} uses datasource {reference}, which is not a provisioned datasource"),
            "refer to a datasource as {\"type\", \"uid\"} with a uid the datasources ConfigMap provisions",
        )),
    }
}

fn grid(p: &Panel<'_>) -> Option<(i64, i64, i64, i64)> {
    let g = &p.grid_pos;
    Some((
        g.get("x").as_i64()?,
        g.get("y").as_i64()?,
        g.get("w").as_i64()?,
        g.get("h").as_i64()?,
    ))
}

pub fn panel_problems(
    dashboard: &Dashboard<'_>,
    name: &str,
    provisioned: &BTreeMap<String, String>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    let mut placed: Vec<(String, (i64, i64, i64, i64))> = Vec::new();
    for p in panels(dashboard) {
        let at = format!("{name}, {}", panel_name(p));
        match p.id.as_i64() {
            Some(id) if ids.insert(id) => {}
            Some(_) => out.push((
                Code::DashboardPanelId,
                format!("{at}: another panel has the same id"),
                "give every panel a unique id",
            )),
            None => out.push((
                Code::DashboardPanelId,
                format!("{at} has no numeric id"),
                "give every panel a unique id",
            )),
        }
        let kind = p.r#type.as_str().unwrap_or_default();
        if !PANEL_TYPES.contains(&kind) {
            out.push((
                Code::DashboardPanelType,
                format!("{at} has type `{kind}`, which Grafana does not ship"),
                "use a core panel type such as timeseries or stat",
            ));
        }
        if kind != "row" && p.description.as_str().is_none_or(|d| d.trim().is_empty()) {
            out.push((
                Code::DashboardPanelDescription,
                format!("{at} has no description"),
                "say what the panel shows and where its data comes from",
            ));
        }
        match grid(p) {
            Some((x, y, w, h)) if x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= GRID_WIDTH => {
                let rect = (x, y, w, h);
                for (other, o) in &placed {
                    if x < o.0 + o.2 && o.0 < x + w && y < o.1 + o.3 && o.1 < y + h {
                        out.push((
                            Code::DashboardPanelsOverlap,
                            format!("{at} overlaps {other}"),
                            "move one of them: panels must not share grid cells",
                        ));
                    }
                }
                placed.push((panel_name(p), rect));
            }
            _ => out.push((
                Code::DashboardGrid,
                format!(
                    "{at} has gridPos {}, outside the 24-column grid",
                    p.grid_pos
                ),
                "x ≥ 0, y ≥ 0, w ≥ 1, h ≥ 1 and x + w ≤ 24",
            )),
        }
        out.extend(datasource_problem(&p.datasource, &at, provisioned));
        let mut ref_ids = BTreeSet::new();
        for t in p.targets.iter() {
            let ref_id = t.ref_id.as_str().unwrap_or_default();
            let target_at = format!("{at}, query {ref_id}");
            if ref_id.is_empty() || !ref_ids.insert(ref_id) {
                out.push((
                    Code::DashboardTarget,
                    format!("{target_at}: refId is empty or repeated"),
                    "give every query of a panel its own refId",
                ));
            }
            match &t.datasource {
                Json::Null if p.datasource.is_null() => out.push((
                    Code::DashboardDatasourceUnknown,
                    format!("{target_at} names no datasource"),
                    "set the datasource on the panel or the query",
                )),
                reference => out.extend(datasource_problem(reference, &target_at, provisioned)),
            }
        }
    }
    out
}
