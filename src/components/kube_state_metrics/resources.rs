//! The kinds kube-state-metrics can export (`ApiResource`), by their `--resources` and RBAC names.

use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::diag::did_you_mean;

macro_rules! resources {
    ($($variant:ident = ($group:literal, $plural:literal),)*) => {
        /// A kind kube-state-metrics v2.20 exports by default, by its `--resources` name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum ApiResource {
            $($variant,)*
        }

        impl ApiResource {
            pub const ALL: &[ApiResource] = &[$(ApiResource::$variant,)*];

            /// The API group that serves this kind (`""` is the core group).
            pub fn api_group(self) -> &'static str {
                match self {
                    $(ApiResource::$variant => $group,)*
                }
            }

            /// The plural name, used both by `--resources` and by RBAC.
            pub fn plural(self) -> &'static str {
                match self {
                    $(ApiResource::$variant => $plural,)*
                }
            }
        }
    };
}

// Sorted by plural name, so the `--resources` flag comes out sorted.
resources! {
    CertificateSigningRequests = ("certificates.k8s.io", "certificatesigningrequests"),
    ConfigMaps = ("", "configmaps"),
    CronJobs = ("batch", "cronjobs"),
    DaemonSets = ("apps", "daemonsets"),
    Deployments = ("apps", "deployments"),
    EndpointSlices = ("discovery.k8s.io", "endpointslices"),
    HorizontalPodAutoscalers = ("autoscaling", "horizontalpodautoscalers"),
    Ingresses = ("networking.k8s.io", "ingresses"),
    Jobs = ("batch", "jobs"),
    Leases = ("coordination.k8s.io", "leases"),
    LimitRanges = ("", "limitranges"),
    MutatingWebhookConfigurations = ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    Namespaces = ("", "namespaces"),
    NetworkPolicies = ("networking.k8s.io", "networkpolicies"),
    Nodes = ("", "nodes"),
    PersistentVolumeClaims = ("", "persistentvolumeclaims"),
    PersistentVolumes = ("", "persistentvolumes"),
    PodDisruptionBudgets = ("policy", "poddisruptionbudgets"),
    Pods = ("", "pods"),
    ReplicaSets = ("apps", "replicasets"),
    ReplicationControllers = ("", "replicationcontrollers"),
    ResourceQuotas = ("", "resourcequotas"),
    Secrets = ("", "secrets"),
    Services = ("", "services"),
    StatefulSets = ("apps", "statefulsets"),
    StorageClasses = ("storage.k8s.io", "storageclasses"),
    ValidatingWebhookConfigurations = ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    VolumeAttachments = ("storage.k8s.io", "volumeattachments"),
}

impl ApiResource {
    pub(super) fn parse(s: &str) -> Result<Self, String> {
        if let Some(r) = ApiResource::ALL.iter().find(|r| r.plural() == s) {
            return Ok(*r);
        }
        let names = ApiResource::ALL.iter().map(|r| r.plural());
        Err(match did_you_mean(s, names.clone()) {
            Some(best) => {
                format!("`{s}` is not a kube-state-metrics resource: did you mean `{best}`?")
            }
            None => format!(
                "`{s}` is not a kube-state-metrics resource; use a plural kind name: {}",
                names.collect::<Vec<_>>().join(", ")
            ),
        })
    }
}

impl fmt::Display for ApiResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.plural())
    }
}

/// Parsed by plural name (also as a table key), with a suggestion for a misspelling.
/// In the profile schema a resource is its plural name.
impl schemars::JsonSchema for ApiResource {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ApiResource".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = ApiResource::ALL.iter().map(|r| r.plural()).collect();
        schemars::json_schema!({ "type": "string", "enum": names })
    }
}

impl<'de> Deserialize<'de> for ApiResource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ApiResource::parse(&s).map_err(serde::de::Error::custom)
    }
}
