//! Dashboards as data: a small typed model (dashboard, variables, panels, targets) lowered to
//! Grafana's dashboard JSON (schema 41, datasources as `{type, uid}`), and the provider file
//! that loads them. `catalog/` holds the seed's four dashboards, `json.rs` the lowering.
//!
//! Panels are laid out by flowing them through the 24-column grid, so positions are computed,
//! never typed; every panel says which scrape jobs its series come from, and a panel (or a
//! whole dashboard) whose jobs the stack does not scrape is left out instead of showing a
//! graph of nothing. `validate::dashboards` and `validate::promql` check the JSON this writes.

mod catalog;
mod json;

use std::collections::BTreeSet;

pub use catalog::all;

/// Grafana's dashboard schema version the JSON follows: 41 is known to every 12.x release,
/// and newer Grafana migrates it on load.
pub const SCHEMA_VERSION: u32 = 41;
/// The tag every provisioned dashboard carries; the dashboards link to each other through it.
pub const TAG: &str = "monstack";
/// The grid is 24 columns wide.
const GRID_WIDTH: u32 = 24;

/// The scrape jobs panels select on, as `prometheus/config.rs` and the stack's components name
/// them. `tests/grafana.rs` proves each one is a job of the rendered prometheus.yml.
pub mod job {
    /// Application pods (`http_*`, `todo_*`, `chat_*`, `user_sessions_active`).
    pub const APP: &str = "kubernetes-pods";
    /// Kubelet cAdvisor (`container_*`).
    pub const CADVISOR: &str = "kubernetes-cadvisor";
    /// Dapr sidecars (`dapr_*`).
    pub const DAPR: &str = "dapr-sidecars";
    /// Strimzi Kafka (`kafka_*`).
    pub const KAFKA: &str = "kafka";
    /// kube-state-metrics (`kube_*`).
    pub const KUBE_STATE: &str = "kube-state-metrics";
}

/// One dashboard of the catalog.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// File name and uid suffix (`monstack-<slug>`).
    pub slug: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub variables: Vec<Variable>,
    /// Jobs the variables read: without them the dashboard is left out.
    pub needs: &'static [&'static str],
    pub panels: Vec<Panel>,
}

/// A query variable offering the values of one label (multi-select, with "All").
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: &'static str,
    pub label: &'static str,
    /// `label_values(<selector>, <label>)`.
    pub query: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Timeseries,
    Stat,
}

/// How series are coloured, the same way on every dashboard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Colors {
    /// Grafana's classic palette, one colour per series.
    Palette,
    /// p50 green, p95 yellow, p99 red (legends `p50`, `p95`, `p99`).
    Quantiles,
    /// 2xx green, 3xx blue, 4xx orange, 5xx red (legend = the status code).
    StatusClasses,
    /// Green below the first threshold, then orange, then red (stat panels).
    Thresholds(f64, f64),
}

#[derive(Debug, Clone)]
pub struct Panel {
    pub title: &'static str,
    /// Shown as the panel's tooltip: what it shows and where the series come from.
    pub description: &'static str,
    pub kind: Kind,
    /// Grafana unit id (`reqps`, `percentunit`, `s`, `bytes`, `Bps`, `short`...).
    pub unit: &'static str,
    pub width: u32,
    pub height: u32,
    pub targets: Vec<Target>,
    /// Scrape jobs its series come from (directly or through a recording rule).
    pub needs: &'static [&'static str],
    pub colors: Colors,
    /// Stack the series (parts of a whole: requests by status, pods by phase).
    pub stacked: bool,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub expr: String,
    pub legend: String,
}

/// What a dashboard's JSON depends on beyond the catalog: the datasource and the profile.
#[derive(Debug, Clone)]
pub struct Render<'a> {
    pub datasource_uid: &'a str,
    pub refresh: &'a str,
    /// Refresh intervals offered in the picker (at least `min_refresh`).
    pub refresh_choices: Vec<String>,
    pub time_range: &'a str,
    pub max_data_points: u32,
}

impl Dashboard {
    pub fn uid(&self) -> String {
        format!("{TAG}-{}", self.slug)
    }

    /// The dashboard with only the panels whose jobs are scraped; `None` when nothing is left.
    pub fn keep_scraped(&self, jobs: &BTreeSet<String>) -> Option<Dashboard> {
        let scraped = |needs: &[&str]| needs.iter().all(|j| jobs.contains(*j));
        if !scraped(self.needs) {
            return None;
        }
        let panels: Vec<Panel> = self
            .panels
            .iter()
            .filter(|p| scraped(p.needs))
            .cloned()
            .collect();
        (!panels.is_empty()).then(|| Dashboard {
            panels,
            ..self.clone()
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Places panels left to right, starting a new row when the next one does not fit; a row is
/// as tall as its tallest panel, so no two panels overlap.
fn layout(panels: &[Panel]) -> Vec<(&Panel, Grid)> {
    let (mut x, mut y, mut row_height) = (0, 0, 0);
    panels
        .iter()
        .map(|p| {
            let w = p.width.clamp(1, GRID_WIDTH);
            if x + w > GRID_WIDTH {
                y += row_height;
                (x, row_height) = (0, 0);
            }
            let grid = Grid {
                x,
                y,
                w,
                h: p.height,
            };
            x += w;
            row_height = row_height.max(p.height);
            (p, grid)
        })
        .collect()
}

/// The refresh intervals the picker offers: common steps no faster than `min`, plus `refresh`.
pub fn refresh_choices(min_ms: u64, refresh: &str) -> Vec<String> {
    const STEPS: [(&str, u64); 7] = [
        ("10s", 10_000),
        ("30s", 30_000),
        ("1m", 60_000),
        ("5m", 300_000),
        ("15m", 900_000),
        ("30m", 1_800_000),
        ("1h", 3_600_000),
    ];
    let mut choices: Vec<String> = STEPS
        .iter()
        .filter(|(_, ms)| *ms >= min_ms)
        .map(|(s, _)| s.to_string())
        .collect();
    if !choices.iter().any(|c| c == refresh) {
        choices.push(refresh.to_string());
    }
    choices
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(width: u32, height: u32) -> Panel {
        Panel {
            title: "p",
            description: "d",
            kind: Kind::Timeseries,
            unit: "short",
            width,
            height,
            targets: Vec::new(),
            needs: &[],
            colors: Colors::Palette,
            stacked: false,
        }
    }

    #[test]
    fn layout_wraps_rows_below_the_tallest_panel() {
        let panels = [
            panel(6, 4),
            panel(18, 8),
            panel(12, 8),
            panel(12, 8),
            panel(30, 2),
        ];
        let grids: Vec<Grid> = layout(&panels).into_iter().map(|(_, g)| g).collect();
        assert_eq!(
            grids[1],
            Grid {
                x: 6,
                y: 0,
                w: 18,
                h: 8
            }
        );
        assert_eq!(
            grids[2],
            Grid {
                x: 0,
                y: 8,
                w: 12,
                h: 8
            }
        );
        assert_eq!(
            grids[3],
            Grid {
                x: 12,
                y: 8,
                w: 12,
                h: 8
            }
        );
        assert_eq!(
            grids[4],
            Grid {
                x: 0,
                y: 16,
                w: 24,
                h: 2
            }
        );
    }

    #[test]
    fn panels_of_unscraped_jobs_are_left_out() {
        let jobs: BTreeSet<String> = [job::APP, job::KUBE_STATE].map(String::from).into();
        let infra = all("route", "status")
            .into_iter()
            .find(|d| d.slug == "infrastructure")
            .unwrap();
        assert!(
            infra.keep_scraped(&jobs).is_none(),
            "its variables need cAdvisor"
        );
        let kafka = all("route", "status")
            .into_iter()
            .find(|d| d.slug == "kafka")
            .unwrap();
        assert!(kafka.keep_scraped(&jobs).is_none());
        let overview = all("route", "status")
            .into_iter()
            .find(|d| d.slug == "overview")
            .unwrap();
        assert_eq!(
            overview.keep_scraped(&jobs).unwrap().panels.len(),
            overview.panels.len()
        );
    }

    #[test]
    fn refresh_choices_respect_the_minimum() {
        assert_eq!(refresh_choices(30_000, "1m")[0], "30s");
        assert!(!refresh_choices(60_000, "1m").contains(&"30s".to_string()));
        assert!(refresh_choices(60_000, "2m").contains(&"2m".to_string()));
    }
}
