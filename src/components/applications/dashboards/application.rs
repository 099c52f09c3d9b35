//! Application Performance: requests by route and status, throughput (HTTP and business),
//! latency by service and route, and database queries through the Dapr state store.

use super::{SERVICE, app, service_variables};
use crate::components::applications::JOB as APP;
use crate::components::dapr::JOB as DAPR;
use crate::contrib::dashboards::{Colors, Dashboard, Kind, WIDE, panel, stacked, target};

pub fn application(route: &str, status: &str) -> Dashboard {
    let requests = format!("rate({}[$__rate_interval])", app("http_requests_total"));
    let by_route_latency = format!(
        "histogram_quantile(0.95, sum by (le, {route}) (rate({}[$__rate_interval])))",
        app("http_request_duration_seconds_bucket")
    );
    let per_second = |metric: &str| format!("sum(rate({}[$__rate_interval]))", app(metric));
    let dapr = format!("job=\"{}\", namespace=~\"$namespace\"", DAPR);
    let apps: &[&str] = &[APP];
    let dapr_sidecars: &[&str] = &[APP, DAPR];
    Dashboard {
        slug: "application",
        title: "Application Performance",
        description: "How requests spread over routes and status codes, throughput, and database traffic.",
        variables: service_variables(),
        needs: apps,
        panels: vec![
            stacked(panel(
                Kind::Timeseries,
                WIDE,
                "Requests by route",
                "reqps",
                apps,
                Colors::Palette,
                "Requests per second of each route of the selected services (http_requests_total).",
                vec![target(
                    format!("sum by ({route}) ({requests})"),
                    format!("{{{{{route}}}}}"),
                )],
            )),
            stacked(panel(
                Kind::Timeseries,
                WIDE,
                "Requests by status",
                "reqps",
                apps,
                Colors::StatusClasses,
                "Requests per second by response status: 2xx green, 3xx blue, 4xx orange, 5xx red.",
                vec![target(
                    format!("sum by ({status}) ({requests})"),
                    format!("{{{{{status}}}}}"),
                )],
            )),
            panel(
                Kind::Timeseries,
                WIDE,
                "Throughput by service",
                "reqps",
                apps,
                Colors::Palette,
                "Requests per second each service handles (recording rule namespace_service:http_requests:rate5m).",
                vec![target(
                    format!(
                        "sum by (service) (namespace_service:http_requests:rate5m{{{SERVICE}}})"
                    ),
                    "{{service}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Tasks and chat messages",
                "ops",
                apps,
                Colors::Palette,
                "Business throughput: tasks created and completed, chat messages, per second.",
                vec![
                    target(per_second("todo_tasks_created_total"), "tasks created"),
                    target(per_second("todo_tasks_completed_total"), "tasks completed"),
                    target(per_second("chat_messages_total"), "chat messages"),
                ],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "p95 latency by service",
                "s",
                apps,
                Colors::Palette,
                "95th percentile of each service's request duration (recording rule namespace_service:http_request_duration_seconds:p95_5m); the HighLatency alert watches it.",
                vec![target(
                    format!("namespace_service:http_request_duration_seconds:p95_5m{{{SERVICE}}}"),
                    "{{service}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "p95 latency by route",
                "s",
                apps,
                Colors::Palette,
                "95th percentile of request duration per route, to find the slow ones.",
                vec![target(by_route_latency, format!("{{{{{route}}}}}"))],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Database queries (Dapr state store)",
                "ops",
                dapr_sidecars,
                Colors::Palette,
                "State store operations per second through the Dapr sidecars, by app, component and operation (dapr_component_state_count). Queries the application sends to a database directly are not visible here.",
                vec![target(
                    format!(
                        "sum by (app_id, component, operation) (rate(dapr_component_state_count{{{dapr}}}[$__rate_interval]))"
                    ),
                    "{{app_id}} {{component}} {{operation}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Database query latency p95 (Dapr state store)",
                "ms",
                dapr_sidecars,
                Colors::Palette,
                "95th percentile of state store operation latency through the Dapr sidecars (dapr_component_state_latencies).",
                vec![target(
                    format!(
                        "histogram_quantile(0.95, sum by (le, app_id, component) (rate(dapr_component_state_latencies_bucket{{{dapr}}}[$__rate_interval])))"
                    ),
                    "{{app_id}} {{component}}",
                )],
            ),
        ],
    }
}
