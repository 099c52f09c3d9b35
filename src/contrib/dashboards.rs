//! Dashboards as components contribute them: a small typed model (dashboard, variables,
//! panels, targets) that Grafana lowers to its JSON. A component owns whole dashboards about
//! its own series, or adds a `PanelSet` (a titled row) to a dashboard several components share.
//!
//! Every panel says which scrape jobs its series come from (directly or through a recording
//! rule); Grafana leaves out a panel, a set or a whole dashboard whose jobs are not scraped
//! instead of showing a graph of nothing, and `validate::promql` proves the declaration right.

use std::collections::BTreeSet;

/// A dashboard that several components add panels to: its identity is defined once, here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardRef {
    /// File name and uid suffix (`monstack-<slug>`).
    pub slug: &'static str,
    pub title: &'static str,
    pub description: &'static str,
}

/// Nodes, containers and pods: cAdvisor, kube-state-metrics, node-exporter.
pub const INFRASTRUCTURE: DashboardRef = DashboardRef {
    slug: "infrastructure",
    title: "Infrastructure",
    description: "CPU, memory, network and pod status of the cluster's workloads.",
};

/// One dashboard.
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

/// Panels a component adds to a shared dashboard, under a row titled `row`.
#[derive(Debug, Clone)]
pub struct PanelSet {
    pub dashboard: DashboardRef,
    pub row: &'static str,
    /// Variables the panels read, added to the dashboard's (once per name).
    pub variables: Vec<Variable>,
    /// Jobs the variables read: without them the set is left out.
    pub needs: &'static [&'static str],
    pub panels: Vec<Panel>,
}

/// A query variable offering the values of one label (multi-select, with "All").
#[derive(Debug, Clone, PartialEq)]
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
    /// A full-width heading that starts a section.
    Row,
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

/// A small stat panel and a half-width graph, in grid units.
pub const STAT: (u32, u32) = (6, 4);
pub const WIDE: (u32, u32) = (12, 8);

pub fn target(expr: impl Into<String>, legend: impl Into<String>) -> Target {
    Target {
        expr: expr.into(),
        legend: legend.into(),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn panel(
    kind: Kind,
    (width, height): (u32, u32),
    title: &'static str,
    unit: &'static str,
    needs: &'static [&'static str],
    colors: Colors,
    description: &'static str,
    targets: Vec<Target>,
) -> Panel {
    Panel {
        title,
        description,
        kind,
        unit,
        width,
        height,
        targets,
        needs,
        colors,
        stacked: false,
    }
}

pub fn stacked(p: Panel) -> Panel {
    Panel { stacked: true, ..p }
}

pub fn variable(name: &'static str, label: &'static str, query: String) -> Variable {
    Variable { name, label, query }
}

/// A full-width row heading.
pub fn row(title: &'static str) -> Panel {
    Panel {
        title,
        description: "",
        kind: Kind::Row,
        unit: "",
        width: 24,
        height: 1,
        targets: Vec::new(),
        needs: &[],
        colors: Colors::Palette,
        stacked: false,
    }
}

fn scraped(needs: &[&str], jobs: &BTreeSet<&str>) -> bool {
    needs.iter().all(|j| jobs.contains(j))
}

impl Dashboard {
    /// A shared dashboard with no panels of its own yet.
    pub fn shell(r: DashboardRef) -> Dashboard {
        Dashboard {
            slug: r.slug,
            title: r.title,
            description: r.description,
            variables: Vec::new(),
            needs: &[],
            panels: Vec::new(),
        }
    }

    pub fn uid(&self) -> String {
        format!("monstack-{}", self.slug)
    }

    /// The dashboard with only the panels whose jobs are scraped; `None` when nothing is left.
    pub fn keep_scraped(&self, jobs: &BTreeSet<&str>) -> Option<Dashboard> {
        if !scraped(self.needs, jobs) {
            return None;
        }
        let panels: Vec<Panel> = self
            .panels
            .iter()
            .filter(|p| scraped(p.needs, jobs))
            .cloned()
            .collect();
        (!panels.is_empty()).then(|| Dashboard {
            panels,
            ..self.clone()
        })
    }

    /// Appends a panel set (its scraped panels under a row heading) and its variables.
    pub fn add(&mut self, set: &PanelSet, jobs: &BTreeSet<&str>) {
        if !scraped(set.needs, jobs) {
            return;
        }
        let panels: Vec<Panel> = set
            .panels
            .iter()
            .filter(|p| scraped(p.needs, jobs))
            .cloned()
            .collect();
        if panels.is_empty() {
            return;
        }
        for v in &set.variables {
            if !self.variables.iter().any(|mine| mine.name == v.name) {
                self.variables.push(v.clone());
            }
        }
        self.panels.push(row(set.row));
        self.panels.extend(panels);
    }
}
