//! Small objects every component needs in the same shape: ServiceAccounts and their bindings,
//! ConfigMaps, Services and the spread of replicas over nodes and zones. (Disruption budgets
//! are derived from the built workloads: `derive::disruption_budgets`.)

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, Service, ServiceAccount, ServicePort, ServiceSpec, TopologySpreadConstraint,
};
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

/// Where the scheduler spreads a workload's replicas: one topology key and how strictly.
const HOSTNAME: &str = "kubernetes.io/hostname";
const ZONE: &str = "topology.kubernetes.io/zone";

/// Spreads the replicas of a workload over nodes and zones (None for a single replica).
///
/// - Nodes: when the cluster has at least as many nodes as there are replicas (`stack.nodes`),
///   two replicas never share a node (`DoNotSchedule`, at most one more on any node than on
///   the emptiest); tainted nodes the pods cannot run on are not counted as empty. With fewer
///   nodes the rule is a preference, so every replica still schedules.
/// - Zones: always a preference (`ScheduleAnyway`): a single-zone cluster, or nodes without the
///   zone label, still schedule every replica.
pub fn topology_spread(
    app: &App<'_>,
    replicas: i32,
    nodes: u32,
) -> Option<Vec<TopologySpreadConstraint>> {
    if replicas <= 1 {
        return None;
    }
    let node_rule = if i64::from(nodes) >= i64::from(replicas) {
        "DoNotSchedule"
    } else {
        "ScheduleAnyway"
    };
    let constraint = |key: &str, when: &str| TopologySpreadConstraint {
        max_skew: 1,
        topology_key: key.into(),
        when_unsatisfiable: when.into(),
        label_selector: Some(app.selector()),
        node_taints_policy: (when == "DoNotSchedule").then(|| "Honor".into()),
        ..TopologySpreadConstraint::default()
    };
    Some(vec![
        constraint(HOSTNAME, node_rule),
        constraint(ZONE, "ScheduleAnyway"),
    ])
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
