//! The seed's four dashboards: Overview, Application Performance, Kafka and Infrastructure.
//!
//! Queries read the recording rules of `templates/prometheus/recording.yml.j2` where one
//! exists (cheap, and the same numbers the alerts see) and raw series otherwise, always
//! selecting the raw ones by scrape job. Every query filters on the dashboard's variables.
//! The seed's "database queries" have no metric in its tables: the panels show the Dapr state
//! store operations the sidecars report (`dapr_component_state_*`), the database traffic the
//! stack can see without changes to the application.

mod application;
mod infrastructure;
mod kafka;
mod overview;

use super::{Colors, Dashboard, Kind, Panel, Target, Variable, job};

pub(super) const STAT: (u32, u32) = (6, 4);
pub(super) const WIDE: (u32, u32) = (12, 8);

pub(super) fn target(expr: impl Into<String>, legend: impl Into<String>) -> Target {
    Target {
        expr: expr.into(),
        legend: legend.into(),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn panel(
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

pub(super) fn stacked(p: Panel) -> Panel {
    Panel { stacked: true, ..p }
}

pub(super) fn variable(name: &'static str, label: &'static str, query: String) -> Variable {
    Variable { name, label, query }
}

/// Every dashboard, with the application's route and status-code labels.
pub fn all(route: &str, status: &str) -> Vec<Dashboard> {
    vec![
        overview::overview(),
        application::application(route, status),
        kafka::kafka(),
        infrastructure::infrastructure(),
    ]
}

/// The application dashboards' variables: namespace, then the services in it.
pub(super) fn service_variables() -> Vec<Variable> {
    let rule = "namespace_service:http_requests:rate5m";
    vec![
        variable(
            "namespace",
            "Namespace",
            format!("label_values({rule}, namespace)"),
        ),
        variable(
            "service",
            "Service",
            format!("label_values({rule}{{namespace=~\"$namespace\"}}, service)"),
        ),
    ]
}

pub(super) const SERVICE: &str = "namespace=~\"$namespace\", service=~\"$service\"";

/// A raw series of the application pods, filtered by the variables.
pub(super) fn app(metric: &str) -> String {
    format!("{metric}{{job=\"{}\", {SERVICE}}}", job::APP)
}
