//! kube-state-metrics: one Deployment that lists and watches Kubernetes objects and exports their
//! state (`kube_pod_status_ready`, `kube_deployment_status_replicas_ready`, ...) for Prometheus.
//!
//! The kinds it reads are ONE list, `exported_resources`: the ClusterRole's rules and the
//! `--resources` flag are both derived from it, so its permissions are exactly what it exports
//! (list and watch, nothing else) and the two cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Deserializer};

use super::{Component, Context};
use crate::diag::did_you_mean;
use crate::k8s::Object;
use crate::k8s::builders::{self, service_port};
use crate::k8s::meta::App;
use crate::k8s::pod;
use crate::model::endpoints::{Offer, ScrapeTarget, ServiceAddress};
use crate::model::{HostName, Image, Problem, Resources, Stack, check_replicas};

const NAME: &str = "kube-state-metrics";
const KEY: &str = "kube_state_metrics";
/// Object metrics (`/metrics`) and liveness (`/livez`).
const METRICS_PORT: i32 = 8080;
const METRICS_PORT_NAME: &str = "http-metrics";
/// kube-state-metrics' own metrics and readiness (`/readyz`).
const TELEMETRY_PORT: i32 = 8081;
const TELEMETRY_PORT_NAME: &str = "telemetry";
/// The image's `nobody` user.
const UID: i64 = 65534;
/// More replicas only duplicate series; 3 is already generous.
const MAX_REPLICAS: i32 = 3;

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
    fn parse(s: &str) -> Result<Self, String> {
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

impl Component for KubeStateMetrics {
    const NAME: &'static str = KEY;
    const FILE: &'static str = NAME;

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let mut problems = self.resources.check(&format!("{KEY}.resources"));
        problems.extend(check_replicas(
            &format!("{KEY}.replicas"),
            self.replicas,
            MAX_REPLICAS,
        ));
        problems.extend(self.duplicated_series());
        problems.extend(self.exported_resources_problems());
        problems.extend(self.allowlist_problems());
        problems
    }

    fn offers(&self, stack: &Stack) -> Vec<Offer> {
        vec![Offer::Scrape(ScrapeTarget {
            job: NAME.into(),
            app: NAME.into(),
            port_name: METRICS_PORT_NAME.into(),
            path: "/metrics".into(),
            // Its `namespace`, `pod` and `container` labels describe other objects, not itself.
            honor_labels: true,
            service: ServiceAddress {
                service: NAME.into(),
                namespace: stack.namespace.to_string(),
                port_name: METRICS_PORT_NAME.into(),
                port: METRICS_PORT,
            },
        })]
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        let app = cx.app(NAME, "exporter");
        let mut objects: Vec<Object> = vec![
            // It lists and watches the API with this token.
            builders::service_account(&app, NAME, true).into(),
            self.cluster_role(&app).into(),
            builders::cluster_role_binding(&app, NAME).into(),
            builders::service(
                &app,
                NAME,
                vec![
                    service_port(METRICS_PORT_NAME, METRICS_PORT, "TCP"),
                    service_port(TELEMETRY_PORT_NAME, TELEMETRY_PORT, "TCP"),
                ],
            )
            .into(),
            self.deployment(&app).into(),
        ];
        if self.replicas > 1 {
            objects.push(builders::disruption_budget(&app, NAME).into());
        }
        Ok(objects)
    }
}

// ---- checks ------------------------------------------------------------------------------------

impl KubeStateMetrics {
    fn duplicated_series(&self) -> Option<Problem> {
        (self.replicas > 1).then(|| {
            Problem::warning(
                format!("{KEY}.replicas"),
                "duplicated-series",
                format!(
                    "{} replicas each export every object, so every kube_* series exists {} times",
                    self.replicas, self.replicas
                ),
                "keep replicas = 1 (a restart takes seconds and alerts wait out their `for:`), \
                 or aggregate kube_* metrics with max() rather than sum()",
            )
        })
    }

    fn exported_resources_problems(&self) -> Vec<Problem> {
        let key = format!("{KEY}.exported_resources");
        if self.exported_resources.is_empty() {
            return vec![Problem::error(
                key,
                "no-exported-resources",
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
                "alert-data-missing",
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
                "reads-secret-values",
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

    fn allowlist_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (resource, keys) in &self.metric_labels_allowlist {
            let key = format!("{KEY}.metric_labels_allowlist.{resource}");
            if !self.exported_resources.contains(resource) {
                problems.push(Problem::error(
                    key.clone(),
                    "allowlist-not-exported",
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
fn label_key_problem(key: &str, label: &str) -> Option<Problem> {
    if label == "*" {
        return Some(Problem::warning(
            key,
            "all-labels-exported",
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
            "invalid-label-key",
            format!("`{label}` is not a Kubernetes label key"),
            "write a label key such as \"app\" or \"app.kubernetes.io/name\" \
             (letters, digits, '-', '_', '.', with an optional DNS prefix and '/')",
        )
    })
}

// ---- objects -----------------------------------------------------------------------------------

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
    fn cluster_role(&self, app: &App<'_>) -> ClusterRole {
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
        let mut container = pod::container(NAME, self.image.as_str(), &self.resources);
        container.args = Some(self.args());
        container.ports = Some(vec![
            pod::tcp_port(METRICS_PORT_NAME, METRICS_PORT),
            pod::tcp_port(TELEMETRY_PORT_NAME, TELEMETRY_PORT),
        ]);
        container.liveness_probe = Some(pod::liveness_probe("/livez", METRICS_PORT_NAME));
        container.readiness_probe = Some(pod::http_probe("/readyz", TELEMETRY_PORT_NAME));
        container
    }

    fn deployment(&self, app: &App<'_>) -> Deployment {
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
        Deployment {
            metadata: app.meta(NAME),
            spec: Some(DeploymentSpec {
                replicas: Some(self.replicas),
                selector: app.selector(),
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(app.labels()),
                        ..ObjectMeta::default()
                    }),
                    spec: Some(spec),
                },
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Document;
    use crate::profile::Source;
    use crate::templates::Templates;

    fn settings(toml: &str) -> Result<KubeStateMetrics, crate::diag::Diagnostic> {
        let src = [Source {
            name: "test.toml".into(),
            text: format!("[kube_state_metrics]\n{toml}"),
        }];
        let doc = Document::parse(&src).map_err(|f| f.diagnostics[0].clone())?;
        doc.section::<KubeStateMetrics>(KEY)
    }

    fn valid(toml: &str) -> KubeStateMetrics {
        settings(toml).unwrap_or_else(|d| panic!("{toml} does not type: {d:?}"))
    }

    fn objects(ksm: &KubeStateMetrics) -> Vec<Object> {
        let stack = Stack::default();
        let endpoints = Default::default();
        let templates = Templates::load().expect("templates load");
        let cx = Context {
            stack: &stack,
            endpoints: &endpoints,
            templates: &templates,
        };
        ksm.build(&cx).expect("builds")
    }

    /// `(key, code)` of every problem `check` finds.
    fn problems(ksm: &KubeStateMetrics) -> Vec<(String, &'static str)> {
        let problems = ksm.check(&Stack::default());
        problems
            .into_iter()
            .map(|p| (p.key, p.diagnostic.code))
            .collect()
    }

    fn has(problems: &[(String, &str)], key: &str, code: &str) -> bool {
        problems.iter().any(|(k, c)| k == key && *c == code)
    }

    fn deployment_args(objects: &[Object]) -> Vec<String> {
        objects
            .iter()
            .find_map(|o| o.pod_template())
            .and_then(|t| t.spec.as_ref())
            .and_then(|s| s.containers[0].args.clone())
            .expect("the Deployment has args")
    }

    fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("--{name}=")))
    }

    #[test]
    fn defaults_are_production_ready_and_pass_their_checks() {
        let ksm = valid("");
        assert!(ksm.enabled);
        assert_eq!(ksm.replicas, 1);
        let image = "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0";
        assert_eq!(ksm.image.as_str(), image);
        assert!(ksm.exported_resources.contains(&ApiResource::Pods));
        assert!(ksm.exported_resources.contains(&ApiResource::Deployments));
        assert!(!ksm.exported_resources.contains(&ApiResource::Secrets));
        assert_eq!(problems(&ksm), []);
    }

    #[test]
    fn every_resource_name_round_trips_in_sorted_order() {
        for r in ApiResource::ALL {
            assert_eq!(ApiResource::parse(r.plural()), Ok(*r));
        }
        let mut sorted = ApiResource::ALL.to_vec();
        sorted.sort_by_key(|r| r.plural());
        assert_eq!(
            sorted,
            ApiResource::ALL,
            "declare variants sorted by plural name"
        );
    }

    #[test]
    fn misspelled_resource_is_rejected_with_a_suggestion() {
        let err = settings(r#"exported_resources = ["pods", "deploymnets"]"#).unwrap_err();
        assert_eq!(
            err.key.as_deref(),
            Some("kube_state_metrics.exported_resources")
        );
        assert!(
            err.message.contains("did you mean `deployments`?"),
            "{}",
            err.message
        );
    }

    #[test]
    fn unknown_key_is_rejected() {
        let err = settings("replica = 2").unwrap_err();
        assert_eq!(err.code, "unknown-key");
    }

    #[test]
    fn checks_are_keyed_by_full_paths() {
        let ksm = valid(
            r#"replicas = 0
            resources.requests = { cpu = "1", memory = "64Mi" }
            resources.limits = { cpu = "500m", memory = "128Mi" }"#,
        );
        let found = problems(&ksm);
        let cpu = "kube_state_metrics.resources.requests.cpu";
        assert!(has(&found, cpu, "request-above-limit"), "{found:?}");
        assert!(
            has(
                &found,
                "kube_state_metrics.replicas",
                "replicas-out-of-range"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn exported_resources_are_checked() {
        let key = "kube_state_metrics.exported_resources";
        let empty = valid("exported_resources = []");
        assert!(has(&problems(&empty), key, "no-exported-resources"));

        let risky = valid(
            r#"exported_resources = ["secrets", "nodes"]
            metric_labels_allowlist = {}"#,
        );
        let found = problems(&risky);
        assert!(has(&found, key, "alert-data-missing"), "{found:?}");
        assert!(has(&found, key, "reads-secret-values"), "{found:?}");
    }

    #[test]
    fn allowlist_must_name_exported_kinds_and_valid_keys() {
        let ksm = valid(
            r#"metric_labels_allowlist.pods = ["app", "team,owner"]
            metric_labels_allowlist.nodes = ["*"]
            metric_labels_allowlist.secrets = ["x"]"#,
        );
        let found = problems(&ksm);
        let key = |kind: &str| format!("kube_state_metrics.metric_labels_allowlist.{kind}");
        assert!(has(&found, &key("pods"), "invalid-label-key"), "{found:?}");
        assert!(
            has(&found, &key("nodes"), "all-labels-exported"),
            "{found:?}"
        );
        assert!(
            has(&found, &key("secrets"), "allowlist-not-exported"),
            "{found:?}"
        );
        assert_eq!(found.len(), 3, "{found:?}");
    }

    #[test]
    fn label_keys_follow_kubernetes_syntax() {
        for ok in [
            "app",
            "app.kubernetes.io/name",
            "team_x",
            "example.com/foo-*",
        ] {
            assert!(label_key_problem("k", ok).is_none(), "{ok}");
        }
        for bad in ["", "a,b", "pods=[x]", "Example.com/x", "/x", "a b"] {
            assert!(label_key_problem("k", bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn extra_replicas_warn_about_duplicated_series_and_get_a_budget() {
        let ksm = valid("replicas = 2");
        let warning = (
            "kube_state_metrics.replicas".to_string(),
            "duplicated-series",
        );
        assert_eq!(problems(&ksm), [warning]);
        let has_budget = |ksm| {
            objects(ksm)
                .iter()
                .any(|o| o.kind() == "PodDisruptionBudget")
        };
        assert!(has_budget(&ksm));
        assert!(!has_budget(&KubeStateMetrics::default()));
    }

    #[test]
    fn rbac_grants_exactly_the_resources_flag() {
        let custom =
            valid(r#"exported_resources = ["pods", "leases", "ingresses", "deployments"]"#);
        for ksm in [KubeStateMetrics::default(), custom] {
            let objects = objects(&ksm);
            let args = deployment_args(&objects);
            let flagged: BTreeSet<&str> = flag(&args, "resources")
                .expect("--resources")
                .split(',')
                .collect();
            let role = objects
                .iter()
                .find_map(|o| match o {
                    Object::ClusterRole(r) => Some(r),
                    _ => None,
                })
                .expect("a ClusterRole");
            let mut granted = BTreeSet::new();
            for rule in role.rules.iter().flatten() {
                assert_eq!(rule.verbs, ["list", "watch"], "read-only, nothing more");
                let groups = rule.api_groups.as_deref().unwrap_or_default();
                for name in rule.resources.iter().flatten() {
                    let r = ApiResource::parse(name).expect("a known resource");
                    assert_eq!(groups, [r.api_group()], "the API group serving {name}");
                    granted.insert(name.as_str());
                }
            }
            assert_eq!(granted, flagged);
        }
    }

    #[test]
    fn deployment_serves_metrics_and_exports_app_labels() {
        let objects = objects(&KubeStateMetrics::default());
        let kinds: Vec<&str> = objects.iter().map(Object::kind).collect();
        let expected = [
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Service",
            "Deployment",
        ];
        assert_eq!(kinds, expected);
        let args = deployment_args(&objects);
        assert_eq!(flag(&args, "port"), Some("8080"));
        assert_eq!(flag(&args, "telemetry-port"), Some("8081"));
        let allowlist = flag(&args, "metric-labels-allowlist").expect("an allowlist by default");
        assert!(
            allowlist.starts_with("pods=[app.kubernetes.io/name,"),
            "{allowlist}"
        );
        assert!(
            allowlist.ends_with(']') && !allowlist.contains("],"),
            "{allowlist}"
        );
        let binding = objects.iter().find(|o| o.kind() == "ClusterRoleBinding");
        assert_eq!(
            binding.map(Object::name),
            Some("monitoring-kube-state-metrics")
        );
    }

    #[test]
    fn empty_allowlist_leaves_the_flag_out() {
        let ksm = valid("metric_labels_allowlist = {}");
        let args = deployment_args(&objects(&ksm));
        assert_eq!(flag(&args, "metric-labels-allowlist"), None);
    }

    #[test]
    fn offers_its_metrics_port_with_honored_labels() {
        let offers = KubeStateMetrics::default().offers(&Stack::default());
        let [Offer::Scrape(target)] = offers.as_slice() else {
            panic!("one scrape target: {offers:?}")
        };
        assert!(target.honor_labels);
        assert_eq!(target.port_name, "http-metrics");
        assert_eq!(
            target.service.host_port(),
            "kube-state-metrics.monitoring.svc:8080"
        );
    }
}
