//! Trace alerts: the pipeline's own health (spans refused at intake, spans failing to export)
//! from the binary's `otelcol_*` series, and each service's error ratio and latency from the
//! span metrics the collector derives (the seed's "trace-based alerting").

use super::{AGENT, COLLECTOR, Jaeger, SPAN_METRICS_JOB};
use crate::contrib::Rule;
use crate::contrib::rules::{AlertText, RuleGroup, Severity, percent, record};
use crate::model::Stack;

/// The pipeline jobs (collector and agents) whose intake and export are watched.
fn pipeline_jobs() -> String {
    format!("job=~\"{COLLECTOR}|{AGENT}\"")
}

/// `failed / (ok + failed)` per `by`, above `ratio`.
fn failure_ratio(failed: &str, ok: &str, by: &str, ratio: f64) -> String {
    let jobs = pipeline_jobs();
    let sum = |metric: &str| format!("sum by ({by}) (rate({metric}{{{jobs}}}[5m]))");
    format!(
        "{failed_sum}\n/\n({ok_sum} + {failed_sum})\n> {ratio}",
        failed_sum = sum(failed),
        ok_sum = sum(ok),
    )
}

/// Server spans only: one call per request a service answers.
const SERVER: &str = "span_kind=\"SPAN_KIND_SERVER\"";

pub fn groups(j: &Jaeger, stack: &Stack) -> Vec<RuleGroup> {
    let a = &j.alerts;
    let mut pipeline: Vec<Rule> = Vec::new();
    if a.spans_refused.enabled {
        let r = a.spans_refused.ratio;
        pipeline.push(
            AlertText {
                name: "JaegerSpansRefused",
                comment: "Refused spans are lost unless the sender retries (memory limiter, malformed data).",
                severity: Severity::Warning,
                summary: "{{ $labels.pod }} refuses {{ $value | humanizePercentage }} of received spans",
                description: format!(
                    "{{{{ $labels.job }}}} pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} refuses more than {} of the spans it receives: traces are incomplete. Check its memory limit and logs.",
                    percent(r)
                ),
            }
            .rule(
                stack,
                failure_ratio(
                    "otelcol_receiver_refused_spans_total",
                    "otelcol_receiver_accepted_spans_total",
                    "job, namespace, pod",
                    r,
                ),
                &a.spans_refused.for_duration,
            ),
        );
    }
    if a.export_failures.enabled {
        let r = a.export_failures.ratio;
        pipeline.push(
            AlertText {
                name: "JaegerExportFailures",
                comment: "The collector cannot write to Elasticsearch, or an agent cannot reach the collector.",
                severity: Severity::Critical,
                summary: "{{ $labels.pod }} fails to export {{ $value | humanizePercentage }} of spans",
                description: format!(
                    "{{{{ $labels.job }}}} pod {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} fails to export more than {} of its spans through {{{{ $labels.exporter }}}}: spans are being dropped. Check Elasticsearch (collector) or the collector (agent).",
                    percent(r)
                ),
            }
            .rule(
                stack,
                failure_ratio(
                    "otelcol_exporter_send_failed_spans_total",
                    "otelcol_exporter_sent_spans_total",
                    "job, namespace, pod, exporter",
                    r,
                ),
                &a.export_failures.for_duration,
            ),
        );
    }
    let mut groups = Vec::new();
    if !pipeline.is_empty() {
        groups.push(RuleGroup::new("jaeger.pipeline", None, pipeline));
    }
    if j.span_metrics {
        groups.push(recording());
        let services = service_rules(j, stack);
        if !services.is_empty() {
            groups.push(RuleGroup::new(
                "jaeger.services",
                Some("Per-service RED alerts from the spans (spanmetrics connector)."),
                services,
            ));
        }
    }
    groups
}

/// The recorded p95 the Tracing dashboard reads: computed from every bucket series once per
/// evaluation instead of on every refresh of the panel (a heavy query otherwise).
pub const SPAN_P95: &str =
    "namespace_service_name:traces_span_metrics_duration_milliseconds:p95_5m";

fn recording() -> RuleGroup {
    RuleGroup::new(
        "jaeger.recording",
        Some("Span-metric series the dashboards read, computed once per evaluation."),
        vec![record(
            SPAN_P95,
            "p95 of each service's server span durations (milliseconds).",
            format!(
                "histogram_quantile(0.95, sum by (namespace, service_name, le) (\n  rate(traces_span_metrics_duration_milliseconds_bucket{{job=\"{SPAN_METRICS_JOB}\", {SERVER}}}[5m])\n))"
            ),
        )],
    )
}

fn service_rules(j: &Jaeger, stack: &Stack) -> Vec<Rule> {
    let a = &j.alerts;
    let calls = "traces_span_metrics_calls_total";
    let job = format!("job=\"{SPAN_METRICS_JOB}\"");
    let mut rules = Vec::new();
    if a.span_error_rate.enabled {
        let r = a.span_error_rate.ratio;
        rules.push(
            AlertText {
                name: "JaegerServiceErrorRate",
                comment: "From spans: covers every traced service, with or without its own metrics.",
                severity: Severity::Critical,
                summary: "{{ $labels.service_name }}: {{ $value | humanizePercentage }} of server spans are errors",
                description: format!(
                    "More than {} of the requests {{{{ $labels.service_name }}}} served ended in an error span. Open its failing traces in Jaeger (Search: service {{{{ $labels.service_name }}}}, tags error=true).",
                    percent(r)
                ),
            }
            .rule(
                stack,
                format!(
                    "sum by (service_name) (rate({calls}{{{job}, {SERVER}, status_code=\"STATUS_CODE_ERROR\"}}[5m]))\n/\nsum by (service_name) (rate({calls}{{{job}, {SERVER}}}[5m]))\n> {r}"
                ),
                &a.span_error_rate.for_duration,
            ),
        );
    }
    if a.span_latency.enabled {
        let ms = a.span_latency.p95.millis();
        rules.push(
            AlertText {
                name: "JaegerServiceLatency",
                comment: "p95 of server span durations (milliseconds), from the span-metrics histogram.",
                severity: Severity::Warning,
                summary: "{{ $labels.service_name }}: slow server spans",
                description: format!(
                    "The 95th percentile of the requests {{{{ $labels.service_name }}}} served took longer than {} ({ms}ms). Find the slow traces in Jaeger (Search: service {{{{ $labels.service_name }}}}, min duration {}).",
                    a.span_latency.p95, a.span_latency.p95
                ),
            }
            .rule(
                stack,
                format!(
                    "histogram_quantile(0.95, sum by (service_name, le) (rate(traces_span_metrics_duration_milliseconds_bucket{{{job}, {SERVER}}}[5m])))\n> {ms}"
                ),
                &a.span_latency.for_duration,
            ),
        );
    }
    rules
}
