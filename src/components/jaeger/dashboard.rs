//! The Tracing dashboard: spans received, refused and failing to export (the pipeline's own
//! series), each service's error ratio and p95 from span metrics, and the span store's disk.
//! A panel whose job is not scraped (span metrics off, Elasticsearch's exporter gone) is left
//! out by Grafana's collector.

use super::rules::SPAN_P95;
use super::{AGENT, COLLECTOR, SPAN_METRICS_JOB};
use crate::components::elasticsearch::JOB as ES;
use crate::contrib::dashboards::{Colors, Dashboard, Kind, STAT, WIDE, panel, target, variable};

const PIPELINE: &[&str] = &[COLLECTOR];
const PIPELINE_AND_AGENTS: &[&str] = &[COLLECTOR, AGENT];
const SPANS: &[&str] = &[SPAN_METRICS_JOB];
const STORE: &[&str] = &[ES];

/// The selector of one job's series in the chosen namespace (and, for the collector, pods).
fn sel(job: &str) -> String {
    let pods = if job == COLLECTOR {
        ", pod=~\"$collector\""
    } else {
        ""
    };
    format!("job=\"{job}\", namespace=~\"$namespace\"{pods}")
}

/// Per-second rate of `metric` summed over one job's pods.
fn sum_rate(metric: &str, job: &str) -> String {
    format!("sum(rate({metric}{{{}}}[5m]))", sel(job))
}

/// The same, over the collector and the agents (0 where one has none).
fn pipeline_rate(metric: &str) -> String {
    format!(
        "(sum(rate({metric}{{{}}}[5m])) or vector(0)) + (sum(rate({metric}{{{}}}[5m])) or vector(0))",
        sel(COLLECTOR),
        sel(AGENT)
    )
}

pub fn tracing() -> Dashboard {
    let accepted = sum_rate("otelcol_receiver_accepted_spans_total", COLLECTOR);
    let refused = pipeline_rate("otelcol_receiver_refused_spans_total");
    let failed = pipeline_rate("otelcol_exporter_send_failed_spans_total");
    let server = format!("{}, span_kind=\"SPAN_KIND_SERVER\"", sel(SPAN_METRICS_JOB));
    let calls = |extra: &str| {
        format!(
            "sum by (service_name) (rate(traces_span_metrics_calls_total{{{server}{extra}}}[5m]))"
        )
    };
    let store = sel(ES);
    let free = format!(
        "min(elasticsearch_filesystem_data_available_bytes{{{store}}} / elasticsearch_filesystem_data_size_bytes{{{store}}})"
    );
    let collector_metric = format!("otelcol_receiver_accepted_spans_total{{job=\"{COLLECTOR}\"}}");
    Dashboard {
        slug: "tracing",
        title: "Tracing",
        description: "Jaeger's span pipeline, each service's errors and latency from its spans, and the span store.",
        variables: vec![
            variable(
                "namespace",
                "Namespace",
                format!("label_values({collector_metric}, namespace)"),
            ),
            variable(
                "collector",
                "Collector pod",
                format!(
                    "label_values(otelcol_receiver_accepted_spans_total{{job=\"{COLLECTOR}\", namespace=~\"$namespace\"}}, pod)"
                ),
            ),
        ],
        needs: PIPELINE,
        panels: vec![
            panel(
                Kind::Stat,
                STAT,
                "Spans received per second",
                "short",
                PIPELINE,
                Colors::Palette,
                "Spans the collector accepted per second, over every protocol (OTLP, Jaeger, Zipkin).",
                vec![target(accepted, "spans/s")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Spans refused per second",
                "short",
                PIPELINE_AND_AGENTS,
                Colors::Thresholds(0.001, 1.0),
                "Spans the collector and the agents refused (memory limiter, malformed data); above 0 traces are incomplete (JaegerSpansRefused).",
                vec![target(refused, "spans/s")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Spans failing to export per second",
                "short",
                PIPELINE_AND_AGENTS,
                Colors::Thresholds(0.001, 1.0),
                "Spans the collector could not write to Elasticsearch, or an agent could not forward (JaegerExportFailures).",
                vec![target(failed, "spans/s")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Span store disk free",
                "percentunit",
                STORE,
                Colors::Palette,
                "Free share of Elasticsearch's data volume; at 5% indices become read-only (ElasticsearchDiskAlmostFull).",
                vec![target(free.clone(), "free")],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Spans received and refused",
                "short",
                PIPELINE_AND_AGENTS,
                Colors::Palette,
                "Spans per second the collector and the agents accepted and refused.",
                [COLLECTOR, AGENT]
                    .into_iter()
                    .flat_map(|job| {
                        [
                            target(
                                sum_rate("otelcol_receiver_accepted_spans_total", job),
                                format!("{job} accepted"),
                            ),
                            target(
                                sum_rate("otelcol_receiver_refused_spans_total", job),
                                format!("{job} refused"),
                            ),
                        ]
                    })
                    .collect(),
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Span error ratio by service",
                "percentunit",
                SPANS,
                Colors::Palette,
                "Share of each service's server spans with status ERROR, from span metrics (JaegerServiceErrorRate).",
                vec![target(
                    format!(
                        "{}\n/\n{}",
                        calls(", status_code=\"STATUS_CODE_ERROR\""),
                        calls("")
                    ),
                    "{{service_name}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "p95 server span duration by service",
                "ms",
                SPANS,
                Colors::Palette,
                "95th percentile of each service's server span durations, from span metrics (recording rule namespace_service_name:traces_span_metrics_duration_milliseconds:p95_5m; JaegerServiceLatency).",
                vec![target(
                    format!("{SPAN_P95}{{namespace=~\"$namespace\"}}"),
                    "{{service_name}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Span store disk free",
                "percentunit",
                STORE,
                Colors::Palette,
                "Free share of Elasticsearch's data volume over time: the retention keeps it flat.",
                vec![target(free, "free")],
            ),
        ],
    }
}
