//! Scrape jobs as components contribute them: one Prometheus `scrape_config` in typed form,
//! with the metric families its targets export. Prometheus renders them as they are; the
//! provenance check (`validate::promql`) reads `metrics` to prove that every rule and panel
//! reads something a scraped job produces.

use serde::Serialize;

use crate::model::Stack;
use crate::model::endpoints::ServiceAddress;

/// One scrape job. Every job discovers pods or nodes with `kubernetes_sd_configs`, so targets
/// appear and disappear with the pods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScrapeJob {
    /// `job_name`, the `job` label every series of this job carries.
    pub name: String,
    /// Why the job exists, written above it in prometheus.yml.
    pub comment: String,
    /// Discovery role: `pod` or `node`.
    pub role: &'static str,
    /// Namespaces to discover in (empty: all, as for nodes).
    pub namespaces: Vec<String>,
    pub honor_labels: bool,
    pub scheme: Option<&'static str>,
    pub metrics_path: Option<String>,
    pub kubelet_auth: Option<KubeletAuth>,
    pub relabel_configs: Vec<Relabel>,
    pub metric_relabel_configs: Vec<Relabel>,
    /// Credentials the targets ask for (their own web auth), by reference to a Secret;
    /// Prometheus mounts it and sends the password from the file.
    #[serde(skip)]
    pub basic_auth: Option<super::BasicAuth>,
    /// The metric families the targets export, as far as rules and dashboards use them
    /// (Prometheus adds `up` and the `scrape_*` series to every job itself).
    #[serde(skip)]
    pub metrics: Vec<&'static str>,
    /// For a component of this stack: the Service in front of the scraped pods, which
    /// validation proves is rendered with that port.
    #[serde(skip)]
    pub service: Option<ServiceAddress>,
    /// For a component of this stack: its pods' `app.kubernetes.io/name` and metrics port name
    /// (the derive stage allows exactly this port to the scraper).
    #[serde(skip)]
    pub target: Option<(String, String)>,
}

/// Series Prometheus writes for every target of every job.
pub const EVERY_JOB: &[&str] = &["up", "scrape_duration_seconds", "scrape_samples_scraped"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubeletAuth {
    pub insecure_skip_verify: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relabel {
    pub action: &'static str,
    pub source_labels: Vec<&'static str>,
    pub regex: Option<String>,
    pub target_label: Option<&'static str>,
    pub replacement: Option<String>,
}

/// Keeps targets whose `sources` (joined with `;`) match `regex`.
pub fn keep(sources: &[&'static str], regex: impl Into<String>) -> Relabel {
    Relabel {
        action: "keep",
        source_labels: sources.to_vec(),
        regex: Some(regex.into()),
        target_label: None,
        replacement: None,
    }
}

/// Drops targets (or series) whose `sources` match `regex`.
pub fn drop(sources: &[&'static str], regex: impl Into<String>) -> Relabel {
    Relabel {
        action: "drop",
        ..keep(sources, regex)
    }
}

/// Drops pods that are not running: one not started yet (its containers do not listen) or
/// finished (a completed Job's pod stays listed). Scraped, they would read as down; PodNotReady
/// already covers a pod stuck in Pending.
pub fn drop_pods_not_running() -> Relabel {
    drop(
        &["__meta_kubernetes_pod_phase"],
        "Pending|Succeeded|Failed|Completed",
    )
}

/// Copies `source` into `target` when it is not empty.
pub fn copy(source: &'static str, target: &'static str) -> Relabel {
    Relabel {
        action: "replace",
        source_labels: vec![source],
        regex: Some("(.+)".into()),
        target_label: Some(target),
        replacement: Some("$1".into()),
    }
}

/// `namespace` and `pod` labels from pod discovery.
pub fn namespace_and_pod() -> [Relabel; 2] {
    [
        copy("__meta_kubernetes_namespace", "namespace"),
        copy("__meta_kubernetes_pod_name", "pod"),
    ]
}

impl ScrapeJob {
    /// A job over pods in `namespaces`, without relabelling yet.
    pub fn pods(name: &str, comment: &str, namespaces: Vec<String>) -> ScrapeJob {
        ScrapeJob {
            name: name.into(),
            comment: comment.into(),
            role: "pod",
            namespaces,
            honor_labels: false,
            scheme: None,
            metrics_path: None,
            kubelet_auth: None,
            relabel_configs: Vec::new(),
            metric_relabel_configs: Vec::new(),
            basic_auth: None,
            metrics: Vec::new(),
            service: None,
            target: None,
        }
    }

    /// The pods of a component of this stack, found by name label, instance and port name;
    /// `service` is the Service in front of them.
    pub fn stack_pods(stack: &Stack, app: &str, service: ServiceAddress, path: &str) -> ScrapeJob {
        let mut job = ScrapeJob::pods(
            app,
            &format!("{app} pods of this stack, port {}.", service.port_name),
            vec![service.namespace.clone()],
        );
        job.metrics_path = (path != "/metrics").then(|| path.to_string());
        job.relabel_configs = vec![
            keep(
                &["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
                app.to_string(),
            ),
            keep(
                &["__meta_kubernetes_pod_label_app_kubernetes_io_instance"],
                stack.name.to_string(),
            ),
            keep(
                &["__meta_kubernetes_pod_container_port_name"],
                service.port_name.clone(),
            ),
        ];
        job.relabel_configs.extend(namespace_and_pod());
        job.target = Some((app.to_string(), service.port_name.clone()));
        job.service = Some(service);
        job
    }

    /// Whether this job's targets export `metric`.
    pub fn exports(&self, metric: &str) -> bool {
        EVERY_JOB.contains(&metric) || self.metrics.contains(&metric)
    }

    /// The same job, sending these credentials (targets behind their own web auth).
    pub fn with_basic_auth(self, basic_auth: Option<super::BasicAuth>) -> ScrapeJob {
        ScrapeJob { basic_auth, ..self }
    }

    pub fn with_metrics(mut self, metrics: &[&'static str]) -> ScrapeJob {
        self.metrics = metrics.to_vec();
        self
    }
}
