//! Names and labels: the recommended `app.kubernetes.io/*` labels on every object, selectors
//! built from the stable subset of them, and metadata with the namespace always explicit.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

/// Who an object belongs to: one program of one installation.
#[derive(Debug, Clone, Copy)]
pub struct App<'a> {
    /// `app.kubernetes.io/name`, e.g. `prometheus`.
    pub name: &'a str,
    /// `app.kubernetes.io/component`, the program's role, e.g. `metrics-server`.
    pub component: &'a str,
    /// `app.kubernetes.io/instance`: the stack's name.
    pub instance: &'a str,
    /// Namespace every namespaced object of the stack lives in.
    pub namespace: &'a str,
}

pub const PART_OF: &str = "monstack";
pub const MANAGED_BY: &str = "monstack";

impl App<'_> {
    /// The labels every object of this app carries.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.selector_labels();
        labels.insert("app.kubernetes.io/component".into(), self.component.into());
        labels.insert("app.kubernetes.io/part-of".into(), PART_OF.into());
        labels.insert("app.kubernetes.io/managed-by".into(), MANAGED_BY.into());
        labels
    }

    /// The labels that select this app's pods: only those that never change over its life.
    pub fn selector_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), self.name.to_string()),
            (
                "app.kubernetes.io/instance".to_string(),
                self.instance.to_string(),
            ),
        ])
    }

    pub fn selector(&self) -> LabelSelector {
        LabelSelector {
            match_labels: Some(self.selector_labels()),
            ..LabelSelector::default()
        }
    }

    /// Metadata for a namespaced object of this app.
    pub fn meta(&self, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(self.namespace.to_string()),
            labels: Some(self.labels()),
            ..ObjectMeta::default()
        }
    }

    /// Metadata for a cluster-scoped object (ClusterRole, Namespace): no namespace, and a name
    /// prefixed with the namespace so two stacks in one cluster do not collide.
    pub fn cluster_meta(&self, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(format!("{}-{}", self.namespace, name)),
            labels: Some(self.labels()),
            ..ObjectMeta::default()
        }
    }

    /// A workload's pod template: the app's labels, the given annotations (none when empty).
    pub fn pod_template(
        &self,
        annotations: BTreeMap<String, String>,
        spec: PodSpec,
    ) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(self.labels()),
                annotations: (!annotations.is_empty()).then_some(annotations),
                ..ObjectMeta::default()
            }),
            spec: Some(spec),
        }
    }
}

/// Labels that tell validation which ConfigMaps Grafana provisions from (a contract between
/// the Grafana component that writes them and `validate::dashboards` that reads them).
pub mod grafana {
    /// Label that marks Grafana's provisioning ConfigMaps.
    pub const PROVISIONING_LABEL: &str = "monstack.io/grafana-provisioning";
    /// `PROVISIONING_LABEL` value of a ConfigMap holding dashboard JSON files.
    pub const DASHBOARD: &str = "dashboard";
    /// `PROVISIONING_LABEL` value of the ConfigMap holding datasources.yaml.
    pub const DATASOURCES: &str = "datasources";
}
