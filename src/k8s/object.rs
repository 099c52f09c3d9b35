//! `Object`: every kind monstack emits, as typed k8s-openapi structs, with the accessors that
//! ordering, validation and emit need.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, Namespace, PodTemplateSpec, ResourceQuota, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// A custom resource (e.g. Dapr's `Configuration`), for kinds k8s-openapi does not define.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomObject {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: serde_json::Value,
}

macro_rules! objects {
    ($($variant:ident = $rank:literal),* $(,)?) => {
        /// One Kubernetes object. Serializes as the object itself (apiVersion and kind included).
        // Built once per render and moved, never copied in bulk: boxing would only add noise.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Object {
            $($variant($variant),)*
            Custom(CustomObject),
        }

        impl Object {
            pub fn kind(&self) -> &str {
                match self {
                    $(Object::$variant(_) => stringify!($variant),)*
                    Object::Custom(c) => &c.kind,
                }
            }

            pub fn meta(&self) -> &ObjectMeta {
                match self {
                    $(Object::$variant(o) => &o.metadata,)*
                    Object::Custom(c) => &c.metadata,
                }
            }

            /// Apply order within a component: what others refer to comes first.
            pub fn rank(&self) -> u8 {
                match self {
                    $(Object::$variant(_) => $rank,)*
                    Object::Custom(_) => 99,
                }
            }
        }

        $(impl From<$variant> for Object {
            fn from(o: $variant) -> Self { Object::$variant(o) }
        })*
    };
}

objects! {
    Namespace = 0,
    ResourceQuota = 1,
    LimitRange = 2,
    ServiceAccount = 3,
    ClusterRole = 4,
    ClusterRoleBinding = 5,
    Role = 6,
    RoleBinding = 7,
    ConfigMap = 8,
    Service = 9,
    StatefulSet = 10,
    Deployment = 11,
    DaemonSet = 12,
    CronJob = 13,
    PodDisruptionBudget = 14,
    NetworkPolicy = 15,
    Ingress = 16,
}

impl From<CustomObject> for Object {
    fn from(o: CustomObject) -> Self {
        Object::Custom(o)
    }
}

impl Object {
    pub fn name(&self) -> &str {
        self.meta().name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.meta().namespace.as_deref()
    }

    /// `Kind/namespace/name`, how messages name an object.
    pub fn id(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{}/{}/{}", self.kind(), ns, self.name()),
            None => format!("{}/{}", self.kind(), self.name()),
        }
    }

    /// The pod template of a workload.
    pub fn pod_template(&self) -> Option<&PodTemplateSpec> {
        match self {
            Object::StatefulSet(o) => o.spec.as_ref().map(|s| &s.template),
            Object::Deployment(o) => o.spec.as_ref().map(|s| &s.template),
            Object::DaemonSet(o) => o.spec.as_ref().map(|s| &s.template),
            Object::CronJob(o) => o
                .spec
                .as_ref()
                .and_then(|s| s.job_template.spec.as_ref())
                .map(|j| &j.template),
            _ => None,
        }
    }

    /// The pod template of a workload, to change it after build (placement).
    pub fn pod_template_mut(&mut self) -> Option<&mut PodTemplateSpec> {
        match self {
            Object::StatefulSet(o) => o.spec.as_mut().map(|s| &mut s.template),
            Object::Deployment(o) => o.spec.as_mut().map(|s| &mut s.template),
            Object::DaemonSet(o) => o.spec.as_mut().map(|s| &mut s.template),
            Object::CronJob(o) => o
                .spec
                .as_mut()
                .and_then(|s| s.job_template.spec.as_mut())
                .map(|j| &mut j.template),
            _ => None,
        }
    }
}
