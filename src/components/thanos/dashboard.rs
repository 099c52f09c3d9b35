//! The Thanos row of the shared Infrastructure dashboard: uploads, bucket failures, the
//! Compactor's state and downsampling, the Store Gateway's blocks and errors, and the queries
//! Thanos Query answers.

use super::{COMPACT, QUERY, SIDECAR, STORE};
use crate::contrib::dashboards::{
    Colors, INFRASTRUCTURE, Kind, PanelSet, STAT, WIDE, panel, target, variable,
};

/// Every selector filters on the dashboard's namespace variable.
const NS: &str = "namespace=~\"$namespace\"";

pub fn panels() -> PanelSet {
    let rate = |metric: &str, job: &str, by: &str| {
        format!("sum by ({by}) (rate({metric}{{job=\"{job}\", {NS}}}[$__rate_interval]))")
    };
    PanelSet {
        dashboard: INFRASTRUCTURE,
        row: "Thanos",
        // The Infrastructure dashboard's namespace filter (defined once, by whichever set comes
        // first): here, the namespaces Thanos runs in.
        variables: vec![variable(
            "namespace",
            "Namespace",
            format!("label_values(up{{job=~\"{SIDECAR}|{QUERY}|{STORE}|{COMPACT}\"}}, namespace)"),
        )],
        needs: &[],
        panels: vec![
            panel(
                Kind::Stat,
                STAT,
                "Compactor halted",
                "short",
                &[COMPACT],
                Colors::Thresholds(0.5, 1.0),
                "1 while the Compactor has halted on an error it does not retry (thanos_compact_halted); ThanosCompactorHalted fires.",
                vec![target(
                    format!("max(thanos_compact_halted{{job=\"{COMPACT}\", {NS}}})"),
                    "halted",
                )],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Blocks served from the bucket",
                "short",
                &[STORE],
                Colors::Palette,
                "Blocks the Store Gateway has loaded from the bucket (thanos_bucket_store_blocks_loaded).",
                vec![target(
                    format!("sum(thanos_bucket_store_blocks_loaded{{job=\"{STORE}\", {NS}}})"),
                    "blocks",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Blocks uploaded by the sidecars",
                "short",
                &[SIDECAR],
                Colors::Palette,
                "Blocks each Prometheus replica's sidecar uploads per second (thanos_shipper_uploads_total); one every 2h per replica.",
                vec![target(
                    rate("thanos_shipper_uploads_total", SIDECAR, "pod"),
                    "{{pod}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Bucket operation failures",
                "short",
                &[SIDECAR, STORE, COMPACT],
                Colors::Palette,
                "Failed object-storage operations per second by component (thanos_objstore_bucket_operation_failures_total); sidecar failures fire ThanosSidecarUploadFailures.",
                vec![
                    target(
                        rate(
                            "thanos_objstore_bucket_operation_failures_total",
                            SIDECAR,
                            "job",
                        ),
                        "{{job}}",
                    ),
                    target(
                        rate(
                            "thanos_objstore_bucket_operation_failures_total",
                            STORE,
                            "job",
                        ),
                        "{{job}}",
                    ),
                    target(
                        rate(
                            "thanos_objstore_bucket_operation_failures_total",
                            COMPACT,
                            "job",
                        ),
                        "{{job}}",
                    ),
                ],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Downsampling by resolution",
                "short",
                &[COMPACT],
                Colors::Palette,
                "Blocks the Compactor downsamples per second, by target resolution in ms (thanos_compact_downsample_total).",
                vec![target(
                    rate("thanos_compact_downsample_total", COMPACT, "resolution"),
                    "{{resolution}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Queries answered by Thanos Query",
                "reqps",
                &[QUERY],
                Colors::Palette,
                "Instant and range queries per second by handler (http_requests_total of thanos-query); Grafana's metrics datasource goes through it.",
                vec![target(
                    format!(
                        "sum by (handler) (rate(http_requests_total{{job=\"{QUERY}\", {NS}, handler=~\"query|query_range\"}}[$__rate_interval]))"
                    ),
                    "{{handler}}",
                )],
            ),
        ],
    }
}
