//! The applications' dashboards: Overview and Application Performance.
//!
//! Queries read the recording rules of `rules.rs` where one exists (cheap, and the same
//! numbers the alerts see) and raw series otherwise, always selecting the raw ones by scrape
//! job. Every query filters on the dashboard's variables. The seed's "database queries" have no
//! metric in its tables: the panels show the Dapr state store operations the sidecars report
//! (`dapr_component_state_*`), the database traffic the stack can see without changes to the
//! application.

mod application;
mod overview;

use super::JOB;
use crate::contrib::dashboards::{Dashboard, Variable, variable};

/// Both dashboards, with the application's route and status-code labels.
pub fn all(route: &str, status: &str) -> Vec<Dashboard> {
    vec![
        overview::overview(),
        application::application(route, status),
    ]
}

/// The application dashboards' variables: namespace, then the services in it.
fn service_variables() -> Vec<Variable> {
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

const SERVICE: &str = "namespace=~\"$namespace\", service=~\"$service\"";

/// A raw series of the application pods, filtered by the variables.
fn app(metric: &str) -> String {
    format!("{metric}{{job=\"{JOB}\", {SERVICE}}}")
}
