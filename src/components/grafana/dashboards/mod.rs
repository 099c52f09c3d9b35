//! The dashboards components contribute (`contrib::dashboards`), lowered to Grafana's dashboard
//! JSON (schema 41, datasources as `{type, uid}`) by `json.rs`.
//!
//! Panels are laid out by flowing them through the 24-column grid, so positions are computed,
//! never typed. `validate::dashboards` and `validate::promql` check the JSON this writes.

mod json;

pub use crate::contrib::dashboards::{Colors, Dashboard, Kind, Panel, Variable};

/// Grafana's dashboard schema version the JSON follows: 41 is known to every 12.x release,
/// and newer Grafana migrates it on load.
pub const SCHEMA_VERSION: u32 = 41;
/// The tag every provisioned dashboard carries; the dashboards link to each other through it.
pub const TAG: &str = "monstack";
/// The grid is 24 columns wide.
const GRID_WIDTH: u32 = 24;

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
    fn refresh_choices_respect_the_minimum() {
        assert_eq!(refresh_choices(30_000, "1m")[0], "30s");
        assert!(!refresh_choices(60_000, "1m").contains(&"30s".to_string()));
        assert!(refresh_choices(60_000, "2m").contains(&"2m".to_string()));
    }
}
