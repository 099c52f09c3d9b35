//! The SLOs dashboard: for the SLOs picked in `$service` and `$slo`, the error budget left, the SLI over the
//! window against the objective, and the burn rate over each alert window (1 spends the
//! budget exactly over the window; the alerts fire at 14.4, 6, 3 and 1 for a 30d window).
//! Every query reads the SLO recording rules, which carry `slo` and `service`.

use super::burn;
use super::rules::{BUDGET_REMAINING, ERROR_RATIO_PERIOD, OBJECTIVE, error_ratio};
use crate::contrib::dashboards::{Colors, Dashboard, Kind, STAT, WIDE, panel, target, variable};

/// The SLOs picked (the `$slo` choices are those of the picked services).
const PICKED: &str = "{slo=~\"$slo\"}";

/// The burn rate over a recorded error ratio: how many times the budget's pace.
fn burn_rate(error_ratio: &str) -> String {
    format!("{error_ratio}{PICKED} / (1 - {OBJECTIVE}{PICKED})")
}

pub fn slos() -> Dashboard {
    let budget = format!("{BUDGET_REMAINING}{PICKED}");
    let sli_period = format!("1 - {ERROR_RATIO_PERIOD}{PICKED}");
    let objective = format!("{OBJECTIVE}{PICKED}");
    let windows = burn::table();
    let burn_targets = windows
        .iter()
        .map(|w| {
            target(
                burn_rate(&error_ratio(&w.long)),
                format!("{{{{slo}}}} {}", w.long),
            )
        })
        .collect();
    Dashboard {
        slug: "slo",
        title: "SLOs",
        description: "Service level objectives: error budget left, SLI over the window and burn rates of the profile's [[slo]] entries.",
        variables: vec![
            variable(
                "service",
                "Service",
                format!("label_values({OBJECTIVE}, service)"),
            ),
            variable(
                "slo",
                "SLO",
                format!("label_values({OBJECTIVE}{{service=~\"$service\"}}, slo)"),
            ),
        ],
        needs: &[],
        panels: vec![
            panel(
                Kind::Stat,
                STAT,
                "Error budget left",
                "percentunit",
                &[],
                Colors::Palette,
                "Share of the window's error budget not spent yet; below 0 the objective is missed.",
                vec![target(budget.clone(), "{{slo}}")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "SLI over the window",
                "percentunit",
                &[],
                Colors::Palette,
                "Share of good events over the SLO window.",
                vec![target(sli_period.clone(), "{{slo}}")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Objective",
                "percentunit",
                &[],
                Colors::Palette,
                "The share of good events each SLO promises over its window.",
                vec![target(objective.clone(), "{{slo}}")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Burn rate (1h)",
                "short",
                &[],
                Colors::Thresholds(1.0, 14.4),
                "How many times faster than the window allows the budget burns over the last hour; the page alert fires above 14.4 for a 30d window.",
                vec![target(burn_rate(&error_ratio(&windows[0].long)), "{{slo}}")],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Burn rate by window",
                "short",
                &[],
                Colors::Palette,
                "Burn rate over each alert window: 1 spends the budget exactly over the SLO window; the alerts fire when a long window and its short window both pass 14.4 (1h), 6 (6h), 3 (1d) or 1 (3d) for a 30d window.",
                burn_targets,
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Error budget left",
                "percentunit",
                &[],
                Colors::Palette,
                "The budget left over time: a steady slope to 0 at the window's end is spending it as planned.",
                vec![target(budget, "{{slo}}")],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "SLI",
                "percentunit",
                &[],
                Colors::Palette,
                "Share of good events over 5 minutes and over the whole window, with the objective.",
                vec![
                    target(
                        format!("1 - {}{PICKED}", error_ratio(&windows[0].short)),
                        "{{slo}} 5m",
                    ),
                    target(sli_period, "{{slo}} window"),
                    target(objective, "{{slo}} objective"),
                ],
            ),
        ],
    }
}
