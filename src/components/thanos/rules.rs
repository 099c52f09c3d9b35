//! Thanos' alerts, after upstream's mixin (mixin/alerts/*.libsonnet@v0.42.4) with this stack's
//! job names: the Compactor halted (`thanos_compact_halted`, cmd/thanos/compact.go), a sidecar's
//! bucket operations failing (`thanos_objstore_bucket_operation_failures_total`), the Store
//! Gateway failing gRPC requests (`grpc_server_handled_total` by `grpc_code`) and a sidecar
//! that cannot reach its Prometheus (`thanos_sidecar_prometheus_up`, cmd/thanos/sidecar.go).

use super::{Alerts, COMPACT, SIDECAR, STORE};
use crate::contrib::Rule;
use crate::contrib::rules::{AlertText, RuleGroup, Severity, alert_group, percent};
use crate::model::Stack;

/// gRPC codes that mean the server failed (upstream's ThanosStoreGrpcErrorRate).
const FAILED_CODES: &str = "Unknown|Internal|Unavailable|DataLoss|DeadlineExceeded";

pub fn groups(alerts: &Alerts, stack: &Stack) -> Vec<RuleGroup> {
    alert_group(
        "thanos.alerts",
        [
            compactor_halted(alerts, stack),
            upload_failures(alerts, stack),
            store_errors(alerts, stack),
            prometheus_unreachable(alerts, stack),
        ],
    )
    .into_iter()
    .collect()
}

fn compactor_halted(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.compactor_halted;
    a.enabled.then(|| {
        AlertText {
            name: "ThanosCompactorHalted",
            comment: "The Compactor halts instead of retrying errors that need a person (overlapping blocks, a corrupt block).",
            severity: Severity::Warning,
            summary: "Thanos Compactor {{ $labels.pod }} has halted",
            description: "The Compactor {{ $labels.namespace }}/{{ $labels.pod }} stopped after an error it does not retry: compaction, downsampling and retention are paused, so the bucket grows and long-range queries slow down. Read its log, fix or delete the named block (`thanos tools bucket`), then restart the pod.".into(),
        }
        .rule(
            stack,
            format!("max by (namespace, pod) (thanos_compact_halted{{job=\"{COMPACT}\"}}) == 1"),
            &a.for_duration,
        )
    })
}

fn upload_failures(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.upload_failures;
    a.enabled.then(|| {
        AlertText {
            name: "ThanosSidecarUploadFailures",
            comment: "",
            severity: Severity::Critical,
            summary: "Thanos sidecar {{ $labels.pod }} fails to write to the bucket",
            description: "The sidecar in Prometheus pod {{ $labels.namespace }}/{{ $labels.pod }} fails {{ $value | humanize }} bucket operations per second: new blocks are not uploaded, and history will have a hole once thanos.local_retention passes. Check the bucket, its endpoint and the credentials Secret.".into(),
        }
        .rule(
            stack,
            format!(
                "sum by (namespace, pod) (rate(thanos_objstore_bucket_operation_failures_total{{job=\"{SIDECAR}\"}}[5m])) > 0"
            ),
            &a.for_duration,
        )
    })
}

fn store_errors(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.store_errors;
    a.enabled.then(|| {
        AlertText {
            name: "ThanosStoreErrors",
            comment: "",
            severity: Severity::Warning,
            summary: "Thanos Store Gateway in {{ $labels.namespace }} fails gRPC requests",
            description: format!(
                "{{{{ $value | humanizePercentage }}}} of the Store Gateway's requests fail (threshold {}): queries reaching back past the local retention are incomplete or fail.",
                percent(a.ratio)
            ),
        }
        .rule(
            stack,
            format!(
                "(\n  sum by (namespace) (rate(grpc_server_handled_total{{job=\"{STORE}\", grpc_code=~\"{FAILED_CODES}\"}}[5m]))\n/\n  sum by (namespace) (rate(grpc_server_started_total{{job=\"{STORE}\"}}[5m]))\n) > {}",
                a.ratio
            ),
            &a.for_duration,
        )
    })
}

fn prometheus_unreachable(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.prometheus_unreachable;
    a.enabled.then(|| {
        AlertText {
            name: "ThanosSidecarPrometheusDown",
            comment: "Held long enough to outlast the WAL replay after a Prometheus restart.",
            severity: Severity::Critical,
            summary: "Thanos sidecar {{ $labels.pod }} cannot reach its Prometheus",
            description: "The sidecar in {{ $labels.namespace }}/{{ $labels.pod }} cannot reach the Prometheus beside it: that replica's recent data is missing from queries and its blocks are not uploaded.".into(),
        }
        .rule(
            stack,
            format!("max by (namespace, pod) (thanos_sidecar_prometheus_up{{job=\"{SIDECAR}\"}}) == 0"),
            &a.for_duration,
        )
    })
}
