//! `monstack cost` output: per profile, a table of components (pods, CPU and memory requests
//! and limits, volumes in GiB, monthly cost) with totals, object storage and the month's
//! total; with several profiles, a comparison of the totals with the deltas against the
//! first. The same tables as text or Markdown, and one JSON document.

use serde::Serialize;

use super::{ComponentCost, Estimate, Monthly, Usage};

/// A table: the first column left-aligned, the others right-aligned.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn widths(&self) -> Vec<usize> {
        (0..self.header.len())
            .map(|i| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    fn text(&self) -> String {
        let widths = self.widths();
        let line = |row: &[String]| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == 0 {
                        format!("{c:<w$}", w = widths[i])
                    } else {
                        format!("{c:>w$}", w = widths[i])
                    }
                })
                .collect();
            format!("{}\n", cells.join("  ").trim_end())
        };
        let mut out = line(&self.header);
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }

    fn markdown(&self) -> String {
        let line = |row: &[String]| format!("| {} |\n", row.join(" | "));
        let mut out = line(&self.header);
        let rule: Vec<String> = (0..self.header.len())
            .map(|i| if i == 0 { "---".into() } else { "---:".into() })
            .collect();
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Text,
    Markdown,
}

fn render(table: &Table, style: Style) -> String {
    match style {
        Style::Text => table.text(),
        Style::Markdown => table.markdown(),
    }
}

fn cores(v: f64) -> String {
    format!("{v:.2}")
}

fn gib(v: f64) -> String {
    format!("{v:.2}")
}

fn money(v: f64) -> String {
    format!("{v:.2}")
}

fn usage_cells(u: &Usage) -> Vec<String> {
    vec![
        u.pods.to_string(),
        cores(u.cpu_requests),
        cores(u.cpu_limits),
        gib(u.memory_requests_gib),
        gib(u.memory_limits_gib),
        gib(u.volumes_gib),
    ]
}

fn component_table(e: &Estimate) -> Table {
    let currency = &e.pricing.currency;
    let header = [
        "component",
        "pods",
        "CPU req",
        "CPU lim",
        "mem req GiB",
        "mem lim GiB",
        "volumes GiB",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("{currency}/month")])
    .collect();
    let mut rows: Vec<Vec<String>> = e
        .components
        .iter()
        .map(|c: &ComponentCost| {
            let mut row = vec![c.component.to_string()];
            row.extend(usage_cells(&c.usage));
            row.push(money(c.monthly));
            row
        })
        .collect();
    let mut total = vec!["total".to_string()];
    total.extend(usage_cells(&e.totals));
    total.push(money(e.monthly.total() - e.monthly.object_storage));
    rows.push(total);
    let blank = || String::new();
    rows.push(vec![
        "object storage (estimated)".into(),
        blank(),
        blank(),
        blank(),
        blank(),
        blank(),
        gib(e.object_storage_gib),
        money(e.monthly.object_storage),
    ]);
    rows.push(vec![
        "month".into(),
        blank(),
        blank(),
        blank(),
        blank(),
        blank(),
        blank(),
        money(e.monthly.total()),
    ]);
    Table { header, rows }
}

fn title(e: &Estimate) -> String {
    let p = &e.pricing;
    format!(
        "{}: {} node{}; {} a month: {}/vCPU, {}/GiB memory (requests), {}/GiB volumes, {}/GiB object storage (stack.pricing)\n",
        e.profile,
        e.nodes,
        if e.nodes == 1 { "" } else { "s" },
        p.currency,
        money(p.vcpu_month.get()),
        money(p.memory_gib_month.get()),
        money(p.block_gib_month.get()),
        money(p.object_gib_month.get()),
    )
}

/// A comparison row: its name, the value it reads from an estimate, and how it is shown.
type Row = (&'static str, fn(&Estimate) -> f64, fn(f64) -> String);

/// The rows of the comparison.
fn comparison_rows() -> Vec<Row> {
    vec![
        ("pods", |e| f64::from(e.totals.pods), |v| format!("{v:.0}")),
        ("CPU requests", |e| e.totals.cpu_requests, cores),
        ("CPU limits", |e| e.totals.cpu_limits, cores),
        ("memory requests GiB", |e| e.totals.memory_requests_gib, gib),
        ("memory limits GiB", |e| e.totals.memory_limits_gib, gib),
        ("volumes GiB", |e| e.totals.volumes_gib, gib),
        ("object storage GiB", |e| e.object_storage_gib, gib),
        ("cost a month", |e| e.monthly.total(), money),
    ]
}

fn signed(text: String) -> String {
    if text.starts_with('-') || text.trim_start_matches(['0', '.']).is_empty() {
        text
    } else {
        format!("+{text}")
    }
}

fn comparison_table(estimates: &[Estimate]) -> Table {
    let first = &estimates[0];
    let mut header = vec![String::new(), first.profile.clone()];
    for e in &estimates[1..] {
        header.push(e.profile.clone());
        header.push("Δ".into());
    }
    let rows = comparison_rows()
        .into_iter()
        .map(|(name, value, show)| {
            let base = value(first);
            let mut row = vec![name.to_string(), show(base)];
            for e in &estimates[1..] {
                row.push(show(value(e)));
                row.push(signed(show(value(e) - base)));
            }
            row
        })
        .collect();
    Table { header, rows }
}

/// The text or Markdown report of one or more estimates.
pub fn tables(estimates: &[Estimate], style: Style) -> String {
    let mut out = String::new();
    for e in estimates {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&title(e));
        if style == Style::Markdown {
            out.push('\n');
        }
        out.push_str(&render(&component_table(e), style));
    }
    if estimates.len() > 1 {
        out.push_str(&format!("\nCompared with {} (Δ):\n", estimates[0].profile));
        if style == Style::Markdown {
            out.push('\n');
        }
        out.push_str(&render(&comparison_table(estimates), style));
    }
    out
}

/// The `--format json` document.
#[derive(Debug, Serialize)]
pub struct Json {
    pub profiles: Vec<JsonEstimate>,
}

#[derive(Debug, Serialize)]
pub struct JsonEstimate {
    pub profile: String,
    pub nodes: u32,
    pub currency: String,
    pub components: Vec<ComponentCost>,
    pub totals: Usage,
    pub object_storage_gib: f64,
    pub monthly: JsonMonthly,
    /// This profile's totals minus the first profile's (absent for the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<JsonDelta>,
}

#[derive(Debug, Serialize)]
pub struct JsonMonthly {
    #[serde(flatten)]
    pub by_resource: Monthly,
    pub total: f64,
}

#[derive(Debug, Serialize)]
pub struct JsonDelta {
    pub totals: DeltaUsage,
    pub object_storage_gib: f64,
    pub monthly_total: f64,
}

/// A difference of two `Usage`s (pods may be fewer).
#[derive(Debug, Serialize)]
pub struct DeltaUsage {
    pub pods: i64,
    pub cpu_requests: f64,
    pub cpu_limits: f64,
    pub memory_requests_gib: f64,
    pub memory_limits_gib: f64,
    pub volumes_gib: f64,
}

fn minus(a: &Usage, b: &Usage) -> DeltaUsage {
    DeltaUsage {
        pods: i64::from(a.pods) - i64::from(b.pods),
        cpu_requests: a.cpu_requests - b.cpu_requests,
        cpu_limits: a.cpu_limits - b.cpu_limits,
        memory_requests_gib: a.memory_requests_gib - b.memory_requests_gib,
        memory_limits_gib: a.memory_limits_gib - b.memory_limits_gib,
        volumes_gib: a.volumes_gib - b.volumes_gib,
    }
}

pub fn json(estimates: &[Estimate]) -> Json {
    let first = estimates.first();
    Json {
        profiles: estimates
            .iter()
            .enumerate()
            .map(|(i, e)| JsonEstimate {
                profile: e.profile.clone(),
                nodes: e.nodes,
                currency: e.pricing.currency.clone(),
                components: e.components.clone(),
                totals: e.totals,
                object_storage_gib: e.object_storage_gib,
                monthly: JsonMonthly {
                    by_resource: e.monthly,
                    total: e.monthly.total(),
                },
                delta: first.filter(|_| i > 0).map(|f| JsonDelta {
                    totals: minus(&e.totals, &f.totals),
                    object_storage_gib: e.object_storage_gib - f.object_storage_gib,
                    monthly_total: e.monthly.total() - f.monthly.total(),
                }),
            })
            .collect(),
    }
}
