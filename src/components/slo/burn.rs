//! The multiwindow, multi-burn-rate alerts of the Google SRE workbook (chapter 5, "Alerting on
//! SLOs", table 5-8), the table Sloth and Pyrra use: each row spends a share of the error
//! budget within a long window, and a short window (1/12 of it) proves the burn is still going
//! on, so the alert resets soon after the burn stops. The burn-rate factor is derived, never
//! typed: budget share × SLO window / long window (2% of a 30d budget in 1h is 14.4).

use crate::contrib::Severity;
use crate::model::Duration;
use crate::model::alerts::duration;

/// One row of the table.
#[derive(Debug, Clone)]
pub struct BurnWindow {
    /// The share of the whole error budget spent within `long`.
    pub budget_spent: f64,
    pub long: Duration,
    pub short: Duration,
    /// Page (critical) or ticket (warning).
    pub severity: Severity,
}

/// The four rows: two that page, two that open a ticket.
pub fn table() -> [BurnWindow; 4] {
    let row = |budget_spent, long, short, severity| BurnWindow {
        budget_spent,
        long: duration(long),
        short: duration(short),
        severity,
    };
    [
        row(0.02, "1h", "5m", Severity::Critical),
        row(0.05, "6h", "30m", Severity::Critical),
        row(0.10, "1d", "2h", Severity::Warning),
        row(0.10, "3d", "6h", Severity::Warning),
    ]
}

/// The longest alert window: an SLO window must be at least this long.
pub fn longest_window() -> Duration {
    table()
        .into_iter()
        .map(|w| w.long)
        .max()
        .expect("invariant: the table has rows")
}

/// Every window an SLI is recorded over for the alerts (short and long), shortest first.
pub fn sli_windows() -> Vec<Duration> {
    let mut windows: Vec<Duration> = table()
        .into_iter()
        .flat_map(|w| [w.short, w.long])
        .collect();
    windows.sort();
    windows.dedup();
    windows
}

impl BurnWindow {
    /// How many times faster than allowed the budget burns when `budget_spent` of a budget
    /// counted over `slo_window` goes within `long`.
    pub fn factor(&self, slo_window: &Duration) -> f64 {
        let ratio = slo_window.millis() as f64 / self.long.millis() as f64;
        (self.budget_spent * ratio * 1e6).round() / 1e6
    }

    /// `page` or `ticket`, as the workbook says.
    pub fn kind(&self) -> &'static str {
        match self.severity {
            Severity::Critical => "page",
            // SLO alerts are critical or warning; `None` is the Watchdog's alone.
            Severity::Warning | Severity::None => "ticket",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_factors_of_a_30d_window_are_the_workbooks() {
        let factors: Vec<f64> = table().iter().map(|w| w.factor(&duration("30d"))).collect();
        assert_eq!(factors, [14.4, 6.0, 3.0, 1.0]);
        let factors: Vec<f64> = table().iter().map(|w| w.factor(&duration("28d"))).collect();
        assert_eq!(factors, [13.44, 5.6, 2.8, 0.933333]);
    }

    #[test]
    fn the_recorded_windows_are_the_standard_ones() {
        let windows: Vec<String> = sli_windows().iter().map(|d| d.to_string()).collect();
        assert_eq!(windows, ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]);
        assert_eq!(longest_window().to_string(), "3d");
    }
}
