//! Objects that act on other objects by selector or name: a PodDisruptionBudget or
//! NetworkPolicy whose selector matches no pod protects nothing, and an Ingress backend that
//! names a missing Service or port answers 503.

use k8s_openapi::api::core::v1::{PodTemplateSpec, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::diag::{Code, Diagnostic};
use crate::k8s::Object;

pub fn check(objects: &[&Object]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    out.extend(disruption_budgets(objects));
    out.extend(network_policies(objects));
    out.extend(ingress_backends(objects));
    out
}

fn error(code: Code, object: &Object, message: String, help: &str) -> Diagnostic {
    Diagnostic::error(code, message)
        .subject(object.id())
        .help(help)
}

/// Whether `selector` selects the template's pods (matchLabels and matchExpressions).
fn selects(selector: &LabelSelector, template: &PodTemplateSpec) -> bool {
    let empty = Default::default();
    let labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref())
        .unwrap_or(&empty);
    let labels_match = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let expressions_match = selector.match_expressions.iter().flatten().all(|e| {
        let values = e.values.as_deref().unwrap_or_default();
        match (e.operator.as_str(), labels.get(&e.key)) {
            ("In", Some(v)) => values.contains(v),
            ("NotIn", v) => v.is_none_or(|v| !values.contains(v)),
            ("Exists", v) => v.is_some(),
            ("DoesNotExist", v) => v.is_none(),
            _ => false,
        }
    });
    labels_match && expressions_match
}

fn selects_any(objects: &[&Object], namespace: Option<&str>, selector: &LabelSelector) -> bool {
    objects
        .iter()
        .filter(|o| o.namespace() == namespace)
        .filter_map(|o| o.pod_template())
        .any(|t| selects(selector, t))
}

fn disruption_budgets(objects: &[&Object]) -> Vec<Diagnostic> {
    objects
        .iter()
        .filter_map(|o| match o {
            Object::PodDisruptionBudget(pdb) => Some((o, pdb.spec.as_ref()?.selector.clone()?)),
            _ => None,
        })
        .filter(|(o, selector)| !selects_any(objects, o.namespace(), selector))
        .map(|(o, _)| {
            error(
                Code::SelectorMatchesNothing,
                o,
                format!("{} selects no rendered pod, so it protects nothing", o.id()),
                "make the budget's selector equal the workload's pod labels",
            )
        })
        .collect()
}

fn network_policies(objects: &[&Object]) -> Vec<Diagnostic> {
    objects
        .iter()
        .filter_map(|o| match o {
            Object::NetworkPolicy(np) => Some((o, np.spec.as_ref()?.pod_selector.clone()?)),
            _ => None,
        })
        // An empty selector means every pod of the namespace, which is always meaningful.
        .filter(|(_, s)| {
            s.match_labels.as_ref().is_some_and(|m| !m.is_empty()) || s.match_expressions.is_some()
        })
        .filter(|(o, selector)| !selects_any(objects, o.namespace(), selector))
        .map(|(o, _)| {
            error(
                Code::SelectorMatchesNothing,
                o,
                format!(
                    "{} selects no rendered pod, so it restricts nothing",
                    o.id()
                ),
                "make the policy's podSelector equal the workload's pod labels",
            )
        })
        .collect()
}

fn ingress_backends(objects: &[&Object]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for o in objects {
        let Object::Ingress(ingress) = o else {
            continue;
        };
        let Some(spec) = &ingress.spec else { continue };
        let rules = spec.rules.iter().flatten();
        let paths = rules.flat_map(|r| r.http.iter().flat_map(|h| h.paths.iter()));
        let backends = paths
            .map(|p| &p.backend)
            .chain(spec.default_backend.as_ref());
        for backend in backends {
            let Some(target) = &backend.service else {
                continue;
            };
            let port = target.port.as_ref();
            let found = objects.iter().any(|s| match s {
                Object::Service(Service { spec: Some(sp), .. }) => {
                    s.name() == target.name
                        && s.namespace() == o.namespace()
                        && sp.ports.iter().flatten().any(|p| match port {
                            Some(want) => {
                                want.number == Some(p.port)
                                    || (want.name.is_some() && want.name == p.name)
                            }
                            None => true,
                        })
                }
                _ => false,
            });
            if !found {
                out.push(error(
                    Code::BackendMissing,
                    o,
                    format!(
                        "{} routes to Service {} port {:?}, which is not rendered",
                        o.id(),
                        target.name,
                        port.map(|p| p
                            .number
                            .map_or_else(|| p.name.clone().unwrap_or_default(), |n| n.to_string()))
                    ),
                    "point the backend at a rendered Service and one of its ports",
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
    use k8s_openapi::api::networking::v1::{
        Ingress, IngressBackend, IngressServiceBackend, IngressSpec, NetworkPolicy,
        NetworkPolicySpec, ServiceBackendPort,
    };
    use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    fn meta(name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            ..ObjectMeta::default()
        }
    }

    fn selector(app: &str) -> LabelSelector {
        LabelSelector {
            match_labels: Some(BTreeMap::from([("app".to_string(), app.to_string())])),
            ..LabelSelector::default()
        }
    }

    fn web() -> Object {
        Deployment {
            metadata: meta("web"),
            spec: Some(DeploymentSpec {
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: selector("web").match_labels,
                        ..ObjectMeta::default()
                    }),
                    spec: None,
                },
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        }
        .into()
    }

    fn codes(objects: Vec<Object>) -> Vec<(Code, String)> {
        let refs: Vec<&Object> = objects.iter().collect();
        check(&refs)
            .into_iter()
            .map(|d| (d.code, d.subject.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_budget_selecting_no_pod_is_named() {
        let pdb = |app: &str| -> Object {
            PodDisruptionBudget {
                metadata: meta("pdb"),
                spec: Some(PodDisruptionBudgetSpec {
                    selector: Some(selector(app)),
                    ..PodDisruptionBudgetSpec::default()
                }),
                ..PodDisruptionBudget::default()
            }
            .into()
        };
        assert!(codes(vec![web(), pdb("web")]).is_empty());
        assert_eq!(
            codes(vec![web(), pdb("api")]),
            vec![(
                Code::SelectorMatchesNothing,
                "PodDisruptionBudget/ns/pdb".to_string()
            )]
        );
    }

    #[test]
    fn a_network_policy_selecting_no_pod_is_named() {
        let np = |s: LabelSelector| -> Object {
            NetworkPolicy {
                metadata: meta("np"),
                spec: Some(NetworkPolicySpec {
                    pod_selector: Some(s),
                    ..NetworkPolicySpec::default()
                }),
            }
            .into()
        };
        assert!(
            codes(vec![web(), np(LabelSelector::default())]).is_empty(),
            "empty = all pods"
        );
        assert_eq!(
            codes(vec![web(), np(selector("api"))]),
            vec![(
                Code::SelectorMatchesNothing,
                "NetworkPolicy/ns/np".to_string()
            )]
        );
    }

    #[test]
    fn an_ingress_to_a_missing_service_is_named() {
        let ingress: Object = Ingress {
            metadata: meta("ing"),
            spec: Some(IngressSpec {
                default_backend: Some(IngressBackend {
                    service: Some(IngressServiceBackend {
                        name: "grafana".into(),
                        port: Some(ServiceBackendPort {
                            number: Some(3000),
                            ..ServiceBackendPort::default()
                        }),
                    }),
                    ..IngressBackend::default()
                }),
                ..IngressSpec::default()
            }),
            ..Ingress::default()
        }
        .into();
        assert_eq!(
            codes(vec![ingress]),
            vec![(Code::BackendMissing, "Ingress/ns/ing".to_string())]
        );
    }
}
