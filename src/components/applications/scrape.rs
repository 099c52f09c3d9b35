//! The application pods' scrape job: pods that opt in with `prometheus.io/scrape: "true"`.

use super::JOB;
use crate::contrib::scrape::{
    Relabel, ScrapeJob, copy, drop, drop_pods_not_running, keep, namespace_and_pod,
};
use crate::model::Stack;

/// What the seed's "Metrics Reference" says the services export.
const METRICS: &[&str] = &[
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_request_duration_seconds_sum",
    "http_request_duration_seconds_count",
    "todo_tasks_completed_total",
    "todo_tasks_created_total",
    "chat_messages_total",
    "user_sessions_active",
];

pub fn job(stack: &Stack) -> ScrapeJob {
    let namespaces = stack.app_namespaces.iter().map(|n| n.to_string()).collect();
    let mut job = ScrapeJob::pods(
        JOB,
        "Application pods that opt in with the prometheus.io/scrape annotation.",
        namespaces,
    );
    job.relabel_configs = vec![
        keep(
            &["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
            "true",
        ),
        // Dapr's sidecar has its own job; without a port annotation it would be scraped here
        // too, on every port it declares.
        drop(&["__meta_kubernetes_pod_container_name"], "daprd"),
        drop_pods_not_running(),
        Relabel {
            target_label: Some("__scheme__"),
            regex: Some("(https?)".into()),
            ..copy(
                "__meta_kubernetes_pod_annotation_prometheus_io_scheme",
                "__scheme__",
            )
        },
        copy(
            "__meta_kubernetes_pod_annotation_prometheus_io_path",
            "__metrics_path__",
        ),
        // The annotated port on the pod IP; IPv6 addresses need brackets.
        Relabel {
            action: "replace",
            source_labels: vec![
                "__meta_kubernetes_pod_ip",
                "__meta_kubernetes_pod_annotation_prometheus_io_port",
            ],
            regex: Some(r"(\d+\.\d+\.\d+\.\d+);(\d+)".into()),
            target_label: Some("__address__"),
            replacement: Some("$1:$2".into()),
        },
        Relabel {
            action: "replace",
            source_labels: vec![
                "__meta_kubernetes_pod_ip",
                "__meta_kubernetes_pod_annotation_prometheus_io_port",
            ],
            regex: Some(r"([0-9a-fA-F:]+);(\d+)".into()),
            target_label: Some("__address__"),
            replacement: Some("[$1]:$2".into()),
        },
        // `service` names the application: the recommended label, else the older `app` label.
        copy("__meta_kubernetes_pod_label_app", "service"),
        copy(
            "__meta_kubernetes_pod_label_app_kubernetes_io_name",
            "service",
        ),
    ];
    job.relabel_configs.extend(namespace_and_pod());
    job.with_metrics(METRICS)
}
