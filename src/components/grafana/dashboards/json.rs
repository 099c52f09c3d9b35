//! Lowering to Grafana's dashboard JSON model: datasources as `{type, uid}`, one target per
//! query with its own refId, units, colours and legends set the same way on every panel.

use serde_json::{Value, json};

use super::{Colors, Dashboard, Grid, Kind, Panel, Render, SCHEMA_VERSION, TAG, Variable, layout};

impl Dashboard {
    /// Grafana's dashboard JSON model.
    pub fn to_json(&self, r: &Render<'_>) -> Value {
        let datasource = json!({"type": "prometheus", "uid": r.datasource_uid});
        let panels: Vec<Value> = layout(&self.panels)
            .into_iter()
            .enumerate()
            .map(|(i, (panel, grid))| panel.to_json(i as u32 + 1, grid, &datasource, r))
            .collect();
        let variables: Vec<Value> = self
            .variables
            .iter()
            .map(|v| v.to_json(&datasource))
            .collect();
        json!({
            "uid": self.uid(),
            "title": self.title,
            "description": self.description,
            "id": null,
            "tags": [TAG],
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "editable": false,
            "graphTooltip": 1,
            "timezone": "browser",
            "time": {"from": format!("now-{}", r.time_range), "to": "now"},
            "timepicker": {"hidden": false, "refresh_intervals": r.refresh_choices},
            "refresh": r.refresh,
            "annotations": {"list": []},
            "links": [{
                "type": "dashboards",
                "title": "Monitoring dashboards",
                "tags": [TAG],
                "asDropdown": false,
                "includeVars": true,
                "keepTime": true,
                "targetBlank": false,
                "icon": "external link",
            }],
            "templating": {"list": variables},
            "panels": panels,
        })
    }
}

impl Variable {
    pub(super) fn to_json(&self, datasource: &Value) -> Value {
        json!({
            "type": "query",
            "name": self.name,
            "label": self.label,
            "datasource": datasource,
            "query": {"query": self.query, "refId": "variable"},
            "definition": self.query,
            // Re-read the values when the time range changes.
            "refresh": 2,
            "includeAll": true,
            "multi": true,
            "allValue": ".+",
            "sort": 1,
            "current": {},
        })
    }
}

fn fixed(name: &str, by: &str, color: &str) -> Value {
    json!({
        "matcher": {"id": by, "options": name},
        "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}],
    })
}

impl Colors {
    fn overrides(self) -> Vec<Value> {
        match self {
            Colors::Quantiles => vec![
                fixed("p50", "byName", "green"),
                fixed("p95", "byName", "yellow"),
                fixed("p99", "byName", "red"),
            ],
            Colors::StatusClasses => vec![
                fixed("^2..$", "byRegexp", "green"),
                fixed("^3..$", "byRegexp", "blue"),
                fixed("^4..$", "byRegexp", "orange"),
                fixed("^5..$", "byRegexp", "red"),
            ],
            Colors::Palette | Colors::Thresholds(..) => Vec::new(),
        }
    }

    fn defaults(self) -> Value {
        match self {
            Colors::Thresholds(..) => json!({"mode": "thresholds"}),
            _ => json!({"mode": "palette-classic"}),
        }
    }

    fn thresholds(self) -> Value {
        let steps = match self {
            Colors::Thresholds(warn, bad) => json!([
                {"value": null, "color": "green"},
                {"value": warn, "color": "orange"},
                {"value": bad, "color": "red"},
            ]),
            _ => json!([{"value": null, "color": "green"}]),
        };
        json!({"mode": "absolute", "steps": steps})
    }
}

impl Panel {
    pub(super) fn to_json(&self, id: u32, grid: Grid, datasource: &Value, r: &Render<'_>) -> Value {
        let targets: Vec<Value> = self
            .targets
            .iter()
            .zip('A'..='Z')
            .map(|(t, ref_id)| {
                json!({
                    "refId": ref_id.to_string(),
                    "datasource": datasource,
                    "expr": t.expr,
                    "legendFormat": t.legend,
                    "range": true,
                    "instant": false,
                })
            })
            .collect();
        let (kind, custom, options) = match self.kind {
            Kind::Row => return self.row_json(id, grid),
            Kind::Timeseries => (
                "timeseries",
                json!({
                    "drawStyle": "line",
                    "lineWidth": 1,
                    "fillOpacity": if self.stacked { 40 } else { 10 },
                    "showPoints": "never",
                    "spanNulls": false,
                    "stacking": {"mode": if self.stacked { "normal" } else { "none" }, "group": "A"},
                }),
                json!({
                    "legend": {"displayMode": "list", "placement": "bottom", "showLegend": true},
                    "tooltip": {"mode": "multi", "sort": "desc"},
                }),
            ),
            Kind::Stat => (
                "stat",
                json!({}),
                json!({
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": false},
                    "colorMode": "value",
                    "graphMode": "area",
                    "justifyMode": "auto",
                    "textMode": "auto",
                    "orientation": "auto",
                }),
            ),
        };
        json!({
            "id": id,
            "type": kind,
            "title": self.title,
            "description": self.description,
            "gridPos": {"x": grid.x, "y": grid.y, "w": grid.w, "h": grid.h},
            "datasource": datasource,
            "maxDataPoints": r.max_data_points,
            "targets": targets,
            "fieldConfig": {
                "defaults": {
                    "unit": self.unit,
                    "color": self.colors.defaults(),
                    "thresholds": self.colors.thresholds(),
                    "custom": custom,
                },
                "overrides": self.colors.overrides(),
            },
            "options": options,
        })
    }
}

impl Panel {
    /// A section heading; its panels follow it in the grid (`collapsed: false`).
    fn row_json(&self, id: u32, grid: Grid) -> Value {
        json!({
            "id": id,
            "type": "row",
            "title": self.title,
            "collapsed": false,
            "gridPos": {"x": grid.x, "y": grid.y, "w": grid.w, "h": grid.h},
            "panels": [],
        })
    }
}
