//! Overview: request rate, error rate, latency (p50/p95/p99) and active users of the
//! application's services, from the application recording rules.

use super::{SERVICE, app, service_variables};
use crate::components::applications::JOB as APP;
use crate::contrib::dashboards::{Colors, Dashboard, Kind, STAT, WIDE, panel, target};

pub fn overview() -> Dashboard {
    let rate = format!("namespace_service:http_requests:rate5m{{{SERVICE}}}");
    let errors = format!("namespace_service:http_requests_errors:rate5m{{{SERVICE}}}");
    let buckets =
        format!("namespace_service_le:http_request_duration_seconds_bucket:rate5m{{{SERVICE}}}");
    let quantile = |q: &str| format!("histogram_quantile({q}, sum by (le) ({buckets}))");
    let apps: &[&str] = &[APP];
    Dashboard {
        slug: "overview",
        title: "Overview",
        description: "Requests, errors, latency and active users of the application's services.",
        variables: service_variables(),
        needs: apps,
        panels: vec![
            panel(
                Kind::Stat,
                STAT,
                "Requests per second",
                "reqps",
                apps,
                Colors::Palette,
                "HTTP requests per second of the selected services (recording rule namespace_service:http_requests:rate5m).",
                vec![target(format!("sum({rate})"), "requests/s")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Error ratio",
                "percentunit",
                apps,
                Colors::Thresholds(0.01, 0.05),
                "Share of requests answered with a 5xx status over the last 5 minutes; the HighErrorRate alert fires at 5% by default.",
                vec![target(
                    format!("(sum({errors}) or vector(0)) / sum({rate})"),
                    "errors",
                )],
            ),
            panel(
                Kind::Stat,
                STAT,
                "p95 latency",
                "s",
                apps,
                Colors::Thresholds(1.0, 2.0),
                "95th percentile of request duration across the selected services, from the request-duration histogram.",
                vec![target(quantile("0.95"), "p95")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Active users",
                "short",
                apps,
                Colors::Palette,
                "Sessions the services report as active now (user_sessions_active).",
                vec![target(
                    format!("sum({})", app("user_sessions_active")),
                    "sessions",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Request rate",
                "reqps",
                apps,
                Colors::Palette,
                "HTTP requests per second of each service.",
                vec![target(format!("sum by (service) ({rate})"), "{{service}}")],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Error rate",
                "percentunit",
                apps,
                Colors::Palette,
                "Share of each service's requests answered with a 5xx status (recording rule namespace_service:http_requests_errors:ratio_rate5m).",
                vec![target(
                    format!("namespace_service:http_requests_errors:ratio_rate5m{{{SERVICE}}}"),
                    "{{service}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Latency (p50 / p95 / p99)",
                "s",
                apps,
                Colors::Quantiles,
                "Median, 95th and 99th percentile of request duration across the selected services. Quantiles are interpolated inside the histogram's buckets.",
                vec![
                    target(quantile("0.5"), "p50"),
                    target(quantile("0.95"), "p95"),
                    target(quantile("0.99"), "p99"),
                ],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Active users",
                "short",
                apps,
                Colors::Palette,
                "Active sessions reported by each service (user_sessions_active).",
                vec![target(
                    format!("sum by (service) ({})", app("user_sessions_active")),
                    "{{service}}",
                )],
            ),
        ],
    }
}
