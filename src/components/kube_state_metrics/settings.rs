//! `[kube_state_metrics]` settings: the profile type, its defaults and the checks keyed by profile path.

use crate::diag::Code;
use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::KEY;
use super::resources::ApiResource;
use crate::model::alerts::{AlertDefaults, ConditionAlert, duration};
use crate::model::{Duration, HostName, Image, Problem, Resources};

/// `[kube_state_metrics]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct KubeStateMetrics {
    /// Deploy kube-state-metrics. Without it the pod-readiness and deployment alerts have no data.
    pub enabled: bool,
    /// Every replica exports every object, so a second replica doubles each series; one replica
    /// restarts in seconds and alerts wait out their `for:` anyway.
    pub replicas: i32,
    /// Pinned kube-state-metrics image.
    pub image: Image,
    /// CPU and memory; memory grows with the number of objects in the cluster.
    pub resources: Resources,
    /// Object kinds to export (kube-state-metrics' plural names, e.g. `pods`). The ClusterRole
    /// grants list and watch on exactly these.
    pub exported_resources: BTreeSet<ApiResource>,
    /// Object labels copied into `kube_<kind>_labels`, per kind (e.g. `pods = ["app"]`).
    /// Only allow-listed keys are exported; `*` exports all, at a high cardinality cost.
    pub metric_labels_allowlist: BTreeMap<ApiResource, Vec<String>>,
    pub alerts: Alerts,
}

/// `[kube_state_metrics.alerts]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Warning: a pod that should be running is not ready (default for 5m; needs `pods`
    /// among `exported_resources`).
    pub pod_not_ready: ConditionAlert<PodNotReady>,
}

#[derive(Debug, Clone)]
pub struct PodNotReady;
impl AlertDefaults for PodNotReady {
    fn for_duration() -> Duration {
        duration("5m")
    }
}

impl Default for KubeStateMetrics {
    fn default() -> Self {
        KubeStateMetrics {
            enabled: true,
            replicas: 1,
            image: Image::parse("registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0")
                .expect("invariant: valid default"),
            // Upstream's rule of thumb is 0.1 core and ~200MiB at 100 nodes; this stack's
            // clusters are far smaller, so the requests are lower. The CPU limit stays at twice
            // upstream's figure: a throttled kube-state-metrics falls behind its watch queues
            // and then grows in memory instead.
            resources: Resources::new(("50m", "128Mi"), ("200m", "256Mi")),
            exported_resources: DEFAULT_EXPORTED.iter().copied().collect(),
            metric_labels_allowlist: BTreeMap::from([(
                ApiResource::Pods,
                DEFAULT_POD_LABELS.iter().map(|s| s.to_string()).collect(),
            )]),
            alerts: Alerts::default(),
        }
    }
}

/// Workloads, their pods, storage and the nodes and namespaces they live in: what the alerts
/// and dashboards use. Secrets and ConfigMaps stay out: listing them reads their values.
const DEFAULT_EXPORTED: &[ApiResource] = &[
    ApiResource::CronJobs,
    ApiResource::DaemonSets,
    ApiResource::Deployments,
    ApiResource::EndpointSlices,
    ApiResource::HorizontalPodAutoscalers,
    ApiResource::Jobs,
    ApiResource::Namespaces,
    ApiResource::Nodes,
    ApiResource::PersistentVolumeClaims,
    ApiResource::PersistentVolumes,
    ApiResource::PodDisruptionBudgets,
    ApiResource::Pods,
    ApiResource::ReplicaSets,
    ApiResource::Services,
    ApiResource::StatefulSets,
];

/// Lets queries group pods by application (`kube_pod_labels{label_app_kubernetes_io_name=...}`).
const DEFAULT_POD_LABELS: &[&str] = &[
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
];

// ---- checks ------------------------------------------------------------------------------------

impl KubeStateMetrics {
    pub(super) fn duplicated_series(&self) -> Option<Problem> {
        (self.replicas > 1).then(|| {
            Problem::warning(
                format!("{KEY}.replicas"),
                Code::DuplicatedSeries,
                format!(
                    "{} replicas each export every object, so every kube_* series exists {} times",
                    self.replicas, self.replicas
                ),
                "keep replicas = 1 (a restart takes seconds and alerts wait out their `for:`), \
                 or aggregate kube_* metrics with max() rather than sum()",
            )
        })
    }

    pub(super) fn exported_resources_problems(&self) -> Vec<Problem> {
        let key = format!("{KEY}.exported_resources");
        if self.exported_resources.is_empty() {
            return vec![Problem::error(
                key,
                Code::NoExportedResources,
                "exported_resources is empty, so kube-state-metrics would export nothing",
                "list the kinds to export (at least \"pods\" and \"deployments\"), \
                 or set enabled = false",
            )];
        }
        let mut problems = Vec::new();
        problems.extend(self.alert_data_missing(&key));
        problems.extend(self.secret_values_readable(&key));
        problems
    }

    /// The stack's pod and deployment alerts read `kube_pod_*` and `kube_deployment_*`.
    fn alert_data_missing(&self, key: &str) -> Option<Problem> {
        let missing = self.exported_among(&[ApiResource::Pods, ApiResource::Deployments], false);
        (!missing.is_empty()).then(|| {
            Problem::warning(
                key,
                Code::AlertDataMissing,
                format!(
                    "exported_resources leaves out {}, which the stack's alerts read",
                    missing.join(" and ")
                ),
                format!("add {} to exported_resources", quoted(&missing)),
            )
        })
    }

    /// list and watch on Secrets (and ConfigMaps, which often hold credentials) return values.
    fn secret_values_readable(&self, key: &str) -> Option<Problem> {
        let readable = self.exported_among(&[ApiResource::Secrets, ApiResource::ConfigMaps], true);
        (!readable.is_empty()).then(|| {
            Problem::warning(
                key,
                Code::ReadsSecretValues,
                format!(
                    "exporting {} grants kube-state-metrics list and watch on them, which \
                     returns the content of every one in the cluster",
                    readable.join(" and ")
                ),
                format!("remove {} unless you need their metrics", quoted(&readable)),
            )
        })
    }

    /// The names of `candidates` that are (or, with `exported = false`, are not) exported.
    fn exported_among(&self, candidates: &[ApiResource], exported: bool) -> Vec<&'static str> {
        candidates
            .iter()
            .filter(|r| self.exported_resources.contains(r) == exported)
            .map(|r| r.plural())
            .collect()
    }

    pub(super) fn allowlist_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (resource, keys) in &self.metric_labels_allowlist {
            let key = format!("{KEY}.metric_labels_allowlist.{resource}");
            if !self.exported_resources.contains(resource) {
                problems.push(Problem::error(
                    key.clone(),
                    Code::AllowlistNotExported,
                    format!("labels are allow-listed for {resource}, which is not exported"),
                    format!("add \"{resource}\" to {KEY}.exported_resources, or remove this entry"),
                ));
            }
            problems.extend(keys.iter().filter_map(|k| label_key_problem(&key, k)));
        }
        problems
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A label key (`[prefix/]name`, where `*` is kube-state-metrics' wildcard) must not contain
/// the flag's own separators (`,` `[` `]` `=`), or it would corrupt every other entry.
pub(super) fn label_key_problem(key: &str, label: &str) -> Option<Problem> {
    if label == "*" {
        return Some(Problem::warning(
            key,
            Code::AllLabelsExported,
            "`*` exports every label of every object as a metric label",
            "list the label keys you query instead; `*` can multiply kube-state-metrics' memory",
        ));
    }
    let (prefix, name) = match label.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, label),
    };
    let name_ok = (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.*".contains(c));
    let prefix_ok = prefix.is_none_or(|p| HostName::parse(p).is_ok());
    (!(name_ok && prefix_ok)).then(|| {
        Problem::error(
            key,
            Code::InvalidLabelKey,
            format!("`{label}` is not a Kubernetes label key"),
            "write a label key such as \"app\" or \"app.kubernetes.io/name\" \
             (letters, digits, '-', '_', '.', with an optional DNS prefix and '/')",
        )
    })
}
