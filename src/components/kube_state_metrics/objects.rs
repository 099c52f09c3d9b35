//! kube-state-metrics' Kubernetes objects: the read-only ClusterRole and the Deployment.

use crate::components::pod_resources;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};

use super::{
    KubeStateMetrics, METRICS_PORT, METRICS_PORT_NAME, NAME, TELEMETRY_PORT, TELEMETRY_PORT_NAME,
    UID,
};
use crate::k8s::meta::App;
use crate::k8s::pod;
use crate::k8s::waivers::{self, Waiver};

impl KubeStateMetrics {
    /// `--resources`: the same list the ClusterRole grants.
    fn resources_flag(&self) -> String {
        let names: Vec<&str> = self.exported_resources.iter().map(|r| r.plural()).collect();
        names.join(",")
    }

    /// `--metric-labels-allowlist`: `pods=[a,b],deployments=[c]`; `None` when nothing is listed.
    fn labels_allowlist_flag(&self) -> Option<String> {
        let entries: Vec<String> = self
            .metric_labels_allowlist
            .iter()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(resource, keys)| format!("{resource}=[{}]", keys.join(",")))
            .collect();
        (!entries.is_empty()).then(|| entries.join(","))
    }

    fn args(&self) -> Vec<String> {
        let mut args = vec![
            format!("--port={METRICS_PORT}"),
            format!("--telemetry-port={TELEMETRY_PORT}"),
            format!("--resources={}", self.resources_flag()),
        ];
        args.extend(
            self.labels_allowlist_flag()
                .map(|list| format!("--metric-labels-allowlist={list}")),
        );
        args
    }

    /// list and watch on exactly the exported kinds, one rule per API group.
    pub(super) fn cluster_role(&self, app: &App<'_>) -> ClusterRole {
        let mut by_group: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for r in &self.exported_resources {
            by_group
                .entry(r.api_group())
                .or_default()
                .push(r.plural().into());
        }
        let rules = by_group
            .into_iter()
            .map(|(group, resources)| PolicyRule {
                api_groups: Some(vec![group.to_string()]),
                resources: Some(resources),
                verbs: vec!["list".into(), "watch".into()],
                ..PolicyRule::default()
            })
            .collect();
        ClusterRole {
            metadata: app.cluster_meta(NAME),
            rules: Some(rules),
            ..ClusterRole::default()
        }
    }

    fn container(&self) -> Container {
        let mut container =
            pod::container(NAME, self.image.as_str(), pod_resources(&self.resources));
        container.args = Some(self.args());
        container.ports = Some(vec![
            pod::tcp_port(METRICS_PORT_NAME, METRICS_PORT),
            pod::tcp_port(TELEMETRY_PORT_NAME, TELEMETRY_PORT),
        ]);
        container.liveness_probe = Some(pod::liveness_probe("/livez", METRICS_PORT_NAME));
        container.readiness_probe = Some(pod::http_probe("/readyz", TELEMETRY_PORT_NAME));
        container
    }

    pub(super) fn deployment(&self, app: &App<'_>) -> Deployment {
        /// checkov CKV_K8S_38 (token mounted): the token is what it reads the API with.
        const API_CLIENT: Waiver = Waiver {
            check: "CKV_K8S_38",
            reason: "kube-state-metrics lists and watches the exported objects through the Kubernetes API",
        };
        let spec = PodSpec {
            service_account_name: Some(NAME.into()),
            // It reads the API with this token.
            automount_service_account_token: Some(true),
            security_context: Some(pod::pod_security(UID)),
            node_selector: Some(BTreeMap::from([(
                "kubernetes.io/os".to_string(),
                "linux".to_string(),
            )])),
            containers: vec![self.container()],
            ..PodSpec::default()
        };
        let template = app.pod_template(BTreeMap::new(), spec);
        Deployment {
            metadata: waivers::workload_meta(app, NAME, &template, &[API_CLIENT]),
            spec: Some(DeploymentSpec {
                replicas: Some(self.replicas),
                selector: app.selector(),
                template,
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        }
    }
}
