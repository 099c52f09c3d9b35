//! Small objects every component needs in the same shape: ServiceAccounts and their bindings,
//! ConfigMaps, Services, disruption budgets and the spread of replicas over nodes.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, ConfigMap, PodAffinityTerm, PodAntiAffinity, Service, ServiceAccount, ServicePort,
    ServiceSpec, WeightedPodAffinityTerm,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::App;

/// A ServiceAccount; `uses_api` mounts its token, which only pods that call the Kubernetes API get.
pub fn service_account(app: &App<'_>, name: &str, uses_api: bool) -> ServiceAccount {
    ServiceAccount {
        metadata: app.meta(name),
        automount_service_account_token: Some(uses_api),
        ..ServiceAccount::default()
    }
}

/// Binds the ClusterRole `app.cluster_meta(name)` to the ServiceAccount `name` of the app.
pub fn cluster_role_binding(app: &App<'_>, name: &str) -> ClusterRoleBinding {
    let meta = app.cluster_meta(name);
    ClusterRoleBinding {
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: meta.name.clone().unwrap_or_default(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: Some(app.namespace.into()),
            ..Subject::default()
        }]),
        metadata: meta,
    }
}

pub fn config_map(app: &App<'_>, name: &str, data: BTreeMap<String, String>) -> ConfigMap {
    ConfigMap {
        metadata: app.meta(name),
        data: Some(data),
        ..ConfigMap::default()
    }
}

/// A Service port that targets the container port of the same name.
pub fn service_port(name: &str, port: i32, protocol: &str) -> ServicePort {
    ServicePort {
        name: Some(name.into()),
        port,
        target_port: Some(IntOrString::String(name.into())),
        protocol: Some(protocol.into()),
        ..ServicePort::default()
    }
}

/// A ClusterIP Service over the app's pods.
pub fn service(app: &App<'_>, name: &str, ports: Vec<ServicePort>) -> Service {
    Service {
        metadata: app.meta(name),
        spec: Some(ServiceSpec {
            selector: Some(app.selector_labels()),
            ports: Some(ports),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// A headless Service: stable DNS names for the pods of a StatefulSet.
pub fn headless_service(app: &App<'_>, name: &str, ports: Vec<ServicePort>) -> Service {
    let mut service = service(app, name, ports);
    if let Some(spec) = service.spec.as_mut() {
        spec.cluster_ip = Some("None".into());
    }
    service
}

/// Voluntary disruptions (drains, upgrades) take at most one replica at a time.
pub fn disruption_budget(app: &App<'_>, name: &str) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: app.meta(name),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(app.selector()),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    }
}

/// Prefer replicas on different nodes, so one node failure does not take every copy; a soft
/// rule, so a small cluster still schedules them.
pub fn spread_over_nodes(app: &App<'_>) -> Affinity {
    Affinity {
        pod_anti_affinity: Some(PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: PodAffinityTerm {
                        label_selector: Some(app.selector()),
                        topology_key: "kubernetes.io/hostname".into(),
                        ..PodAffinityTerm::default()
                    },
                },
            ]),
            ..PodAntiAffinity::default()
        }),
        ..Affinity::default()
    }
}

/// A node agent's DaemonSet rolls 10% of the nodes at a time.
pub fn node_agent_update_strategy() -> k8s_openapi::api::apps::v1::DaemonSetUpdateStrategy {
    k8s_openapi::api::apps::v1::DaemonSetUpdateStrategy {
        type_: Some("RollingUpdate".into()),
        rolling_update: Some(k8s_openapi::api::apps::v1::RollingUpdateDaemonSet {
            max_unavailable: Some(
                k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("10%".into()),
            ),
            ..Default::default()
        }),
    }
}
