//! NetworkPolicies from flows: every namespace the stack renders denies all ingress by
//! default, and each component's pods admit exactly the flows other components declared
//! (`contrib::Flow`): the source pods, the destination pods and the port number are read from
//! the built workloads and Services. A flow whose source or destination is not rendered
//! allows nothing.
//!
//! Only ingress is restricted: egress goes to places the stack cannot name by selector (the
//! kubelets on node addresses, application pods, the API server), and DNS keeps working
//! without an egress rule. Traffic from a pod's own node (kubelet probes) is allowed by
//! Kubernetes' NetworkPolicy semantics, and `kubectl port-forward` does not pass through them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ContainerPort;
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::contrib::{Collected, Destination, Flow, Peer};
use crate::k8s::meta::App;
use crate::k8s::{Manifest, Object, Part};
use crate::model::Stack;
use crate::model::endpoints::ServiceAddress;

const NAME_LABEL: &str = "app.kubernetes.io/name";
const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
const NAMESPACE_LABEL: &str = "kubernetes.io/metadata.name";

/// The output part: default-deny policies first, then one allow policy per destination app.
pub fn part(manifest: &Manifest, collected: &Collected, stack: &Stack) -> Part {
    let pods = Pods::of(manifest);
    let mut objects: Vec<Object> = namespaces(manifest)
        .into_iter()
        .map(|ns| default_deny(&ns, stack).into())
        .collect();
    objects.extend(allow_policies(&resolve(collected, &pods, manifest), stack));
    Part {
        component: "network_policies",
        file: "network-policies",
        objects,
    }
}

/// A built workload's pods: where they run, their selector labels and container ports.
struct Workload<'a> {
    namespace: String,
    selector: BTreeMap<String, String>,
    ports: Vec<&'a ContainerPort>,
}

/// Every workload of the manifest, by `app.kubernetes.io/name`.
struct Pods<'a> {
    by_app: BTreeMap<String, Workload<'a>>,
}

impl<'a> Pods<'a> {
    fn of(manifest: &'a Manifest) -> Pods<'a> {
        let mut by_app = BTreeMap::new();
        for o in manifest.objects() {
            let Some(template) = o.pod_template() else {
                continue;
            };
            let labels = template
                .metadata
                .as_ref()
                .and_then(|m| m.labels.clone())
                .unwrap_or_default();
            let Some(app) = labels.get(NAME_LABEL) else {
                continue;
            };
            let selector = labels
                .iter()
                .filter(|(k, _)| *k == NAME_LABEL || *k == INSTANCE_LABEL)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let ports = template
                .spec
                .iter()
                .flat_map(|s| s.containers.iter())
                .flat_map(|c| c.ports.iter().flatten())
                .collect();
            by_app.insert(
                app.clone(),
                Workload {
                    namespace: o.namespace().unwrap_or_default().to_string(),
                    selector,
                    ports,
                },
            );
        }
        Pods { by_app }
    }

    /// The app whose pods a Service selects.
    fn app_behind(&self, selector: &BTreeMap<String, String>) -> Option<&str> {
        self.by_app
            .iter()
            .find(|(_, w)| selector.iter().all(|(k, v)| w.selector.get(k) == Some(v)))
            .map(|(app, _)| app.as_str())
    }
}

/// A source of traffic, resolved to pods of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Pods {
        app: String,
        namespace: String,
        selector: BTreeMap<String, String>,
    },
    Namespaces(Vec<String>),
    /// Labelled pods of a namespace outside the stack (an ingress or gateway proxy).
    External {
        namespace: String,
        labels: BTreeMap<String, String>,
    },
}

/// One resolved allow: who, to which app's pods, which port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allow {
    to_app: String,
    to_namespace: String,
    to_selector: BTreeMap<String, String>,
    from: Source,
    port: i32,
    protocol: String,
    why: String,
}

/// Every flow, resolved against the built objects, in declaration order, without repeats.
fn resolve(collected: &Collected, pods: &Pods<'_>, manifest: &Manifest) -> Vec<Allow> {
    let mut out: Vec<Allow> = Vec::new();
    for (_, flow) in collected.flows() {
        for (app, port_name) in destinations(flow, collected, pods, manifest) {
            let Some(workload) = pods.by_app.get(&app) else {
                continue;
            };
            let Some(port) = workload
                .ports
                .iter()
                .find(|p| p.name.as_deref() == Some(port_name.as_str()))
            else {
                continue;
            };
            let from = match &flow.from {
                Peer::Component(from) => match pods.by_app.get(from) {
                    Some(w) => Source::Pods {
                        app: from.clone(),
                        namespace: w.namespace.clone(),
                        selector: w.selector.clone(),
                    },
                    None => continue,
                },
                Peer::Namespaces(ns) => Source::Namespaces(ns.clone()),
                Peer::Pods { namespace, labels } => Source::External {
                    namespace: namespace.clone(),
                    labels: labels.clone(),
                },
            };
            let allow = Allow {
                to_app: app,
                to_namespace: workload.namespace.clone(),
                to_selector: workload.selector.clone(),
                from,
                port: port.container_port,
                protocol: port.protocol.clone().unwrap_or_else(|| "TCP".into()),
                why: flow.why.clone(),
            };
            // Two flows over the same (source, port) are one rule that says both reasons.
            match out.iter_mut().find(|a| same_rule(a, &allow)) {
                Some(existing) if !existing.why.contains(&allow.why) => {
                    existing.why = format!("{}; {}", existing.why, allow.why);
                }
                Some(_) => {}
                None => out.push(allow),
            }
        }
    }
    out
}

fn same_rule(a: &Allow, b: &Allow) -> bool {
    (&a.to_app, &a.from, a.port, &a.protocol) == (&b.to_app, &b.from, b.port, &b.protocol)
}

/// (app, container port name) pairs a flow reaches.
fn destinations(
    flow: &Flow,
    collected: &Collected,
    pods: &Pods<'_>,
    manifest: &Manifest,
) -> Vec<(String, String)> {
    match &flow.to {
        Destination::Port { app, port } => vec![(app.clone(), port.clone())],
        Destination::ScrapeTargets => collected
            .scrape_jobs()
            .filter_map(|j| j.target.clone())
            .collect(),
        Destination::Datasources => collected
            .datasources()
            .filter_map(|d| behind_service(&d.service, pods, manifest))
            .collect(),
        Destination::Datasource(kind) => collected
            .datasources()
            .filter(|d| d.kind == *kind)
            .filter_map(|d| behind_service(&d.service, pods, manifest))
            .collect(),
        Destination::AlertReceiver => collected
            .alert_receiver()
            .and_then(|r| behind_service(&r.service, pods, manifest))
            .into_iter()
            .collect(),
        Destination::Exposures => collected
            .exposures()
            .filter_map(|e| behind_service(&e.service, pods, manifest))
            .collect(),
    }
}

/// The app and container port name behind a Service port.
fn behind_service(
    address: &ServiceAddress,
    pods: &Pods<'_>,
    manifest: &Manifest,
) -> Option<(String, String)> {
    let spec = manifest.objects().find_map(|o| match o {
        Object::Service(s)
            if o.name() == address.service && o.namespace() == Some(&address.namespace) =>
        {
            s.spec.as_ref()
        }
        _ => None,
    })?;
    let app = pods.app_behind(spec.selector.as_ref()?)?;
    let port = spec
        .ports
        .iter()
        .flatten()
        .find(|p| p.name.as_deref() == Some(address.port_name.as_str()))?;
    let container_port = match &port.target_port {
        Some(IntOrString::String(name)) => name.clone(),
        Some(IntOrString::Int(n)) => port_name(pods, app, *n)?,
        None => port_name(pods, app, port.port)?,
    };
    Some((app.to_string(), container_port))
}

fn port_name(pods: &Pods<'_>, app: &str, number: i32) -> Option<String> {
    pods.by_app
        .get(app)?
        .ports
        .iter()
        .find(|p| p.container_port == number)
        .and_then(|p| p.name.clone())
}

/// The namespaces the stack renders.
fn namespaces(manifest: &Manifest) -> Vec<String> {
    manifest
        .objects()
        .filter(|o| matches!(o, Object::Namespace(_)))
        .map(|o| o.name().to_string())
        .collect()
}

/// Labels of the derived objects: the stack's, without a component of their own.
fn labels(stack: &Stack, name: &str) -> BTreeMap<String, String> {
    let app = App {
        name,
        component: "network-policy",
        instance: stack.name.as_str(),
        namespace: stack.namespace.as_str(),
    };
    app.labels()
}

fn meta(name: &str, namespace: &str, stack: &Stack, app: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(namespace.into()),
        labels: Some(labels(stack, app)),
        ..ObjectMeta::default()
    }
}

/// No pod of `namespace` accepts a connection that no other policy allows.
fn default_deny(namespace: &str, stack: &Stack) -> NetworkPolicy {
    NetworkPolicy {
        metadata: meta("default-deny-ingress", namespace, stack, "monstack"),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(vec!["Ingress".into()]),
            ..NetworkPolicySpec::default()
        }),
    }
}

/// One policy per destination app: one ingress rule per allowed (source, port).
fn allow_policies(allows: &[Allow], stack: &Stack) -> Vec<Object> {
    let mut by_app: BTreeMap<&str, Vec<&Allow>> = BTreeMap::new();
    for a in allows {
        by_app.entry(&a.to_app).or_default().push(a);
    }
    by_app
        .into_iter()
        .map(|(app, allows)| policy(app, &allows, stack).into())
        .collect()
}

fn policy(app: &str, allows: &[&Allow], stack: &Stack) -> NetworkPolicy {
    let first = allows[0];
    let mut meta = meta(&format!("{app}-ingress"), &first.to_namespace, stack, app);
    let reasons: Vec<String> = allows
        .iter()
        .map(|a| {
            format!(
                "{} -> {}/{}: {}",
                source_name(&a.from),
                a.port,
                a.protocol,
                a.why
            )
        })
        .collect();
    meta.annotations = Some(BTreeMap::from([(
        "monstack.io/allows".to_string(),
        reasons.join("\n"),
    )]));
    NetworkPolicy {
        metadata: meta,
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(first.to_selector.clone()),
                ..LabelSelector::default()
            }),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(allows.iter().map(|a| rule(a)).collect()),
            ..NetworkPolicySpec::default()
        }),
    }
}

fn source_name(source: &Source) -> String {
    match source {
        Source::Pods { app, .. } => app.clone(),
        Source::Namespaces(ns) => format!("pods in {}", ns.join(", ")),
        Source::External { namespace, labels } => {
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("pods {} in {namespace}", labels.join(","))
        }
    }
}

fn rule(a: &Allow) -> NetworkPolicyIngressRule {
    NetworkPolicyIngressRule {
        from: Some(vec![peer(&a.from, &a.to_namespace)]),
        ports: Some(vec![NetworkPolicyPort {
            port: Some(IntOrString::Int(a.port)),
            protocol: Some(a.protocol.clone()),
            ..NetworkPolicyPort::default()
        }]),
    }
}

/// Pods of the same namespace by labels; of another namespace, by its name too.
fn peer(from: &Source, to_namespace: &str) -> NetworkPolicyPeer {
    match from {
        Source::Pods {
            namespace,
            selector,
            ..
        } => NetworkPolicyPeer {
            pod_selector: Some(LabelSelector {
                match_labels: Some(selector.clone()),
                ..LabelSelector::default()
            }),
            namespace_selector: (namespace != to_namespace)
                .then(|| namespaces_selector(std::slice::from_ref(namespace))),
            ..NetworkPolicyPeer::default()
        },
        Source::Namespaces(namespaces) => NetworkPolicyPeer {
            namespace_selector: Some(namespaces_selector(namespaces)),
            ..NetworkPolicyPeer::default()
        },
        Source::External { namespace, labels } => NetworkPolicyPeer {
            pod_selector: Some(LabelSelector {
                match_labels: Some(labels.clone()),
                ..LabelSelector::default()
            }),
            namespace_selector: Some(namespaces_selector(std::slice::from_ref(namespace))),
            ..NetworkPolicyPeer::default()
        },
    }
}

fn namespaces_selector(namespaces: &[String]) -> LabelSelector {
    LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: NAMESPACE_LABEL.into(),
            operator: "In".into(),
            values: Some(namespaces.to_vec()),
        }]),
        ..LabelSelector::default()
    }
}
