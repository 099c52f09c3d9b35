//! A panel's JSON: a chart (timeseries or stat) with its targets, field config and options, or
//! a row heading. Fields in byte order of their keys, like the dashboard's (see `json.rs`).

use serde::Serialize;

use super::DatasourceRef;
use super::field_config::FieldConfig;
use crate::components::grafana::dashboards::{Grid, Kind, Panel, Render};

/// A panel: a chart, or a row heading the charts after it belong to.
// The panels live in one Vec, serialized once: boxing charts would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PanelJson<'a> {
    Chart(ChartJson<'a>),
    Row(RowJson<'a>),
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
enum PanelType {
    Timeseries,
    Stat,
    Row,
}

/// `gridPos`: the panel's place in the 24-column grid.
#[derive(Debug, Serialize)]
struct GridPos {
    h: u32,
    w: u32,
    x: u32,
    y: u32,
}

impl From<Grid> for GridPos {
    fn from(g: Grid) -> GridPos {
        GridPos {
            h: g.h,
            w: g.w,
            x: g.x,
            y: g.y,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartJson<'a> {
    datasource: DatasourceRef<'a>,
    description: &'a str,
    field_config: FieldConfig<'a>,
    grid_pos: GridPos,
    id: u32,
    max_data_points: u32,
    options: ChartOptions,
    targets: Vec<TargetJson<'a>>,
    title: &'a str,
    r#type: PanelType,
}

/// A section heading; its panels follow it in the grid (`collapsed: false`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowJson<'a> {
    collapsed: bool,
    grid_pos: GridPos,
    id: u32,
    /// The panels a collapsed row hides; an open row has none.
    panels: Vec<ChartJson<'a>>,
    title: &'a str,
    r#type: PanelType,
}

/// One query, as a range query with the legend the catalog gives it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TargetJson<'a> {
    datasource: DatasourceRef<'a>,
    expr: &'a str,
    instant: bool,
    legend_format: &'a str,
    range: bool,
    ref_id: char,
}

/// The panel type's options: the legend and tooltip of a timeseries, or how a stat reduces.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ChartOptions {
    Timeseries(TimeseriesOptions),
    Stat(StatOptions),
}

#[derive(Debug, Serialize)]
struct TimeseriesOptions {
    legend: Legend,
    tooltip: Tooltip,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Legend {
    display_mode: &'static str,
    placement: &'static str,
    show_legend: bool,
}

#[derive(Debug, Serialize)]
struct Tooltip {
    mode: &'static str,
    sort: &'static str,
}

/// A list legend below the graph; the tooltip lists every series, largest first.
const TIMESERIES_OPTIONS: TimeseriesOptions = TimeseriesOptions {
    legend: Legend {
        display_mode: "list",
        placement: "bottom",
        show_legend: true,
    },
    tooltip: Tooltip {
        mode: "multi",
        sort: "desc",
    },
};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StatOptions {
    color_mode: &'static str,
    graph_mode: &'static str,
    justify_mode: &'static str,
    orientation: &'static str,
    reduce_options: ReduceOptions,
    text_mode: &'static str,
}

#[derive(Debug, Serialize)]
struct ReduceOptions {
    calcs: [&'static str; 1],
    fields: &'static str,
    values: bool,
}

/// The last value, coloured by the thresholds, over a sparkline.
const STAT_OPTIONS: StatOptions = StatOptions {
    color_mode: "value",
    graph_mode: "area",
    justify_mode: "auto",
    orientation: "auto",
    reduce_options: ReduceOptions {
        calcs: ["lastNotNull"],
        fields: "",
        values: false,
    },
    text_mode: "auto",
};

impl Panel {
    pub(super) fn to_json<'a>(
        &'a self,
        id: u32,
        grid: Grid,
        datasource: DatasourceRef<'a>,
        r: &Render<'_>,
    ) -> PanelJson<'a> {
        let (r#type, options) = match self.kind {
            Kind::Row => return PanelJson::Row(self.row_json(id, grid)),
            Kind::Timeseries => (
                PanelType::Timeseries,
                ChartOptions::Timeseries(TIMESERIES_OPTIONS),
            ),
            Kind::Stat => (PanelType::Stat, ChartOptions::Stat(STAT_OPTIONS)),
        };
        PanelJson::Chart(ChartJson {
            datasource,
            description: self.description,
            field_config: self.field_config(),
            grid_pos: grid.into(),
            id,
            max_data_points: r.max_data_points,
            options,
            targets: self.targets_json(datasource),
            title: self.title,
            r#type,
        })
    }

    /// One target per query, refIds A, B, C...
    fn targets_json<'a>(&'a self, datasource: DatasourceRef<'a>) -> Vec<TargetJson<'a>> {
        self.targets
            .iter()
            .zip('A'..='Z')
            .map(|(t, ref_id)| TargetJson {
                datasource,
                expr: &t.expr,
                instant: false,
                legend_format: &t.legend,
                range: true,
                ref_id,
            })
            .collect()
    }

    fn row_json(&self, id: u32, grid: Grid) -> RowJson<'_> {
        RowJson {
            collapsed: false,
            grid_pos: grid.into(),
            id,
            panels: Vec::new(),
            title: self.title,
            r#type: PanelType::Row,
        }
    }
}
