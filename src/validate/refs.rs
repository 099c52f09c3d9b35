//! References between objects: names are unique and namespaced, Services select pods and
//! target declared ports, pods mount defined volumes and rendered ConfigMaps and
//! ServiceAccounts, bindings name rendered roles, and every offered address is a rendered
//! Service port.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{PodTemplateSpec, Service};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::contrib::Collected;
use crate::diag::{Code, Diagnostic};
use crate::k8s::Object;

pub fn check(objects: &[&Object], endpoints: &Collected) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    out.extend(unique_names(objects));
    out.extend(explicit_namespaces(objects));
    out.extend(service_selectors_and_ports(objects));
    out.extend(pod_references(objects));
    out.extend(role_bindings(objects));
    out.extend(offered_addresses(objects, endpoints));
    out.extend(secret_references(objects, endpoints));
    out
}

fn error(code: Code, object: &Object, message: String, help: &str) -> Diagnostic {
    Diagnostic::error(code, message)
        .subject(object.id())
        .help(help)
}

const CLUSTER_SCOPED: &[&str] = &["Namespace", "ClusterRole", "ClusterRoleBinding"];

fn unique_names(objects: &[&Object]) -> Vec<Diagnostic> {
    let mut seen = BTreeSet::new();
    objects
        .iter()
        .filter(|o| !seen.insert(o.id()))
        .map(|o| {
            error(
                Code::DuplicateObject,
                o,
                format!("{} is rendered twice", o.id()),
                "two components produce the same object; rename one of them",
            )
        })
        .collect()
}

fn explicit_namespaces(objects: &[&Object]) -> Vec<Diagnostic> {
    objects
        .iter()
        .filter(|o| !CLUSTER_SCOPED.contains(&o.kind()) && o.namespace().is_none())
        .map(|o| {
            error(
                Code::MissingNamespace,
                o,
                format!("{} has no namespace", o.id()),
                "set metadata.namespace explicitly on every namespaced object",
            )
        })
        .collect()
}

fn templates_in<'a>(objects: &[&'a Object], ns: Option<&str>) -> Vec<&'a PodTemplateSpec> {
    objects
        .iter()
        .filter(|o| o.namespace() == ns)
        .filter_map(|o| o.pod_template())
        .collect()
}

fn selects(selector: &BTreeMap<String, String>, template: &PodTemplateSpec) -> bool {
    let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    labels.is_some_and(|l| selector.iter().all(|(k, v)| l.get(k) == Some(v)))
}

fn has_port(template: &PodTemplateSpec, port: &IntOrString, protocol: &str) -> bool {
    let containers = template.spec.iter().flat_map(|s| s.containers.iter());
    containers.flat_map(|c| c.ports.iter().flatten()).any(|p| {
        let proto = p.protocol.as_deref().unwrap_or("TCP");
        proto == protocol
            && match port {
                IntOrString::Int(n) => p.container_port == *n,
                IntOrString::String(name) => p.name.as_deref() == Some(name),
            }
    })
}

fn service_selectors_and_ports(objects: &[&Object]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for o in objects {
        let Object::Service(Service {
            spec: Some(spec), ..
        }) = o
        else {
            continue;
        };
        let Some(selector) = spec.selector.as_ref() else {
            continue;
        };
        let matching: Vec<_> = templates_in(objects, o.namespace())
            .into_iter()
            .filter(|t| selects(selector, t))
            .collect();
        if matching.is_empty() {
            out.push(error(
                Code::SelectorMatchesNothing,
                o,
                format!(
                    "{} selects {selector:?}, which no rendered pod carries",
                    o.id()
                ),
                "make the Service selector equal the workload's pod labels",
            ));
            continue;
        }
        for port in spec.ports.iter().flatten() {
            let target = port
                .target_port
                .clone()
                .unwrap_or(IntOrString::Int(port.port));
            let protocol = port.protocol.as_deref().unwrap_or("TCP");
            if !matching.iter().any(|t| has_port(t, &target, protocol)) {
                out.push(error(
                    Code::TargetPortMissing,
                    o,
                    format!(
                        "{} port {} targets {target:?}/{protocol}, which no selected container declares",
                        o.id(),
                        port.name.as_deref().unwrap_or("?")
                    ),
                    "name the container port the Service targets, or fix targetPort",
                ));
            }
        }
    }
    out
}

/// Volumes, ConfigMaps and ServiceAccounts a pod refers to must exist. Secrets are external by
/// design (monstack never renders secret values) and are not checked here.
fn pod_references(objects: &[&Object]) -> Vec<Diagnostic> {
    let names = |kind: &str, ns: Option<&str>| -> BTreeSet<String> {
        objects
            .iter()
            .filter(|o| o.kind() == kind && o.namespace() == ns)
            .map(|o| o.name().to_string())
            .collect()
    };
    let mut out = Vec::new();
    for o in objects {
        let Some(spec) = o.pod_template().and_then(|t| t.spec.as_ref()) else {
            continue;
        };
        let config_maps = names("ConfigMap", o.namespace());
        let accounts = names("ServiceAccount", o.namespace());
        let volumes: BTreeSet<&str> = spec
            .volumes
            .iter()
            .flatten()
            .map(|v| v.name.as_str())
            .collect();
        let claims: BTreeSet<String> = match o {
            Object::StatefulSet(s) => s
                .spec
                .iter()
                .flat_map(|s| s.volume_claim_templates.iter().flatten())
                .filter_map(|c| c.metadata.name.clone())
                .collect(),
            _ => BTreeSet::new(),
        };
        let containers = spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten());
        for c in containers {
            for m in c.volume_mounts.iter().flatten() {
                if !volumes.contains(m.name.as_str()) && !claims.contains(&m.name) {
                    out.push(error(
                        Code::VolumeMissing,
                        o,
                        format!(
                            "container {} mounts volume {}, which the pod does not define",
                            c.name, m.name
                        ),
                        "add the volume to the pod spec or fix the mount's name",
                    ));
                }
            }
        }
        for v in spec.volumes.iter().flatten() {
            if let Some(cm) = &v.config_map
                && !config_maps.contains(&cm.name)
            {
                out.push(error(
                    Code::ConfigMapMissing,
                    o,
                    format!(
                        "volume {} refers to ConfigMap {}, which is not rendered",
                        v.name, cm.name
                    ),
                    "render the ConfigMap in the same component or fix the name",
                ));
            }
        }
        if let Some(sa) = &spec.service_account_name
            && !accounts.contains(sa)
        {
            out.push(error(
                Code::ServiceAccountMissing,
                o,
                format!("pod uses ServiceAccount {sa}, which is not rendered"),
                "render a ServiceAccount of that name in the same namespace",
            ));
        }
    }
    out
}

fn role_bindings(objects: &[&Object]) -> Vec<Diagnostic> {
    let exists = |kind: &str, name: &str, ns: Option<&str>| {
        objects
            .iter()
            .any(|o| o.kind() == kind && o.name() == name && o.namespace() == ns)
    };
    let mut out = Vec::new();
    for o in objects {
        let (role_ref, subjects, ns) = match o {
            Object::ClusterRoleBinding(b) => (&b.role_ref, &b.subjects, None),
            Object::RoleBinding(b) => (&b.role_ref, &b.subjects, o.namespace()),
            _ => continue,
        };
        let role_ns = if role_ref.kind == "ClusterRole" {
            None
        } else {
            ns
        };
        if !exists(&role_ref.kind, &role_ref.name, role_ns) {
            out.push(error(
                Code::RoleMissing,
                o,
                format!(
                    "{} binds {} {}, which is not rendered",
                    o.id(),
                    role_ref.kind,
                    role_ref.name
                ),
                "render the role or fix roleRef",
            ));
        }
        for s in subjects
            .iter()
            .flatten()
            .filter(|s| s.kind == "ServiceAccount")
        {
            if !exists("ServiceAccount", &s.name, s.namespace.as_deref()) {
                out.push(error(
                    Code::ServiceAccountMissing,
                    o,
                    format!(
                        "{} grants to ServiceAccount {}, which is not rendered",
                        o.id(),
                        s.name
                    ),
                    "render the ServiceAccount or fix the subject",
                ));
            }
        }
    }
    out
}

/// The Secrets a pod spec reads: secret volumes, `secretKeyRef` env and `secretRef` envFrom.
fn secrets_read(spec: &k8s_openapi::api::core::v1::PodSpec) -> BTreeSet<String> {
    let volumes = spec
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| v.secret.as_ref()?.secret_name.clone());
    let containers = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten());
    let env = containers
        .clone()
        .flat_map(|c| c.env.iter().flatten())
        .filter_map(|e| Some(e.value_from.as_ref()?.secret_key_ref.as_ref()?.name.clone()));
    let env_from = containers
        .flat_map(|c| c.env_from.iter().flatten())
        .filter_map(|e| Some(e.secret_ref.as_ref()?.name.clone()));
    volumes.chain(env).chain(env_from).collect()
}

/// Secrets a rendered cert-manager `Certificate` has its controller write (`spec.secretName`).
fn issued_secrets<'a>(objects: &[&'a Object]) -> Vec<(&'a str, &'a str)> {
    objects
        .iter()
        .filter_map(|o| match o {
            Object::Custom(cr)
                if cr.kind == "Certificate" && cr.api_version.starts_with("cert-manager.io/") =>
            {
                Some((o.namespace()?, cr.spec.get("secretName")?.as_str()?))
            }
            _ => None,
        })
        .collect()
}

/// monstack never renders Secrets: every Secret a pod reads must be one the profile names (or
/// one a rendered cert-manager Certificate issues), so a typo in a component cannot point a pod
/// at a Secret nobody creates.
fn secret_references(objects: &[&Object], endpoints: &Collected) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut declared = endpoints.secret_names();
    declared.extend(issued_secrets(objects));
    for o in objects {
        let Some(spec) = o.pod_template().and_then(|t| t.spec.as_ref()) else {
            continue;
        };
        let namespace = o.namespace().unwrap_or_default();
        for secret in secrets_read(spec) {
            if !declared.contains(&(namespace, secret.as_str())) {
                out.push(error(
                    Code::SecretUndeclared,
                    o,
                    format!(
                        "pod reads Secret {namespace}/{secret}, which no profile setting names in that namespace"
                    ),
                    "name the Secret in the component's settings so it is declared as external, in the namespace of the pods that read it",
                ));
            }
        }
    }
    out
}

/// Every address a component offers (and others write into their config files) must be a
/// rendered Service with that port name and number.
fn offered_addresses(objects: &[&Object], endpoints: &Collected) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (component, a) in endpoints.addresses() {
        let found = objects.iter().any(|o| match o {
            Object::Service(s) => {
                o.name() == a.service
                    && o.namespace() == Some(a.namespace.as_str())
                    && s.spec
                        .iter()
                        .flat_map(|sp| sp.ports.iter().flatten())
                        .any(|p| {
                            p.port == a.port && p.name.as_deref() == Some(a.port_name.as_str())
                        })
            }
            _ => false,
        });
        if !found {
            out.push(
                Diagnostic::error(
                    Code::AddressUnresolved,
                    format!(
                        "component {component} offers {} (port {}), but no rendered Service has that port",
                        a.host_port(),
                        a.port_name
                    ),
                )
                .subject(format!("Service/{}/{}", a.namespace, a.service))
                .help("render the Service with that port name and number, or fix the offer"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
    use k8s_openapi::api::core::v1::{
        Container, ContainerPort, PodSpec, ServicePort, ServiceSpec, VolumeMount,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;
    use crate::contrib::{Contributions, ScrapeJob, SecretRef};
    use crate::model::endpoints::ServiceAddress;

    fn of(c: Contributions) -> Collected {
        Collected {
            by_component: vec![("gone", c)],
        }
    }

    fn meta(name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            ..ObjectMeta::default()
        }
    }

    fn labels(app: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("app".to_string(), app.to_string())])
    }

    fn deployment(app: &str, port: &str) -> Object {
        let container = Container {
            name: "c".into(),
            ports: Some(vec![ContainerPort {
                name: Some(port.into()),
                container_port: 80,
                ..ContainerPort::default()
            }]),
            volume_mounts: Some(vec![VolumeMount {
                name: "missing".into(),
                mount_path: "/x".into(),
                ..VolumeMount::default()
            }]),
            ..Container::default()
        };
        Deployment {
            metadata: meta(app),
            spec: Some(DeploymentSpec {
                template: k8s_openapi::api::core::v1::PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(labels(app)),
                        ..ObjectMeta::default()
                    }),
                    spec: Some(PodSpec {
                        containers: vec![container],
                        ..PodSpec::default()
                    }),
                },
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        }
        .into()
    }

    fn service(name: &str, selects: &str, target: &str) -> Object {
        Service {
            metadata: meta(name),
            spec: Some(ServiceSpec {
                selector: Some(labels(selects)),
                ports: Some(vec![ServicePort {
                    name: Some("http".into()),
                    port: 80,
                    target_port: Some(IntOrString::String(target.into())),
                    ..ServicePort::default()
                }]),
                ..ServiceSpec::default()
            }),
            ..Service::default()
        }
        .into()
    }

    fn codes(objects: Vec<Object>, endpoints: &Collected) -> Vec<(Code, String)> {
        let objects: Vec<&Object> = objects.iter().collect();
        check(&objects, endpoints)
            .into_iter()
            .map(|d| (d.code, d.subject.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_service_selecting_no_pod_is_named() {
        let found = codes(
            vec![deployment("web", "http"), service("api", "api", "http")],
            &Collected::default(),
        );
        assert!(
            found.contains(&(Code::SelectorMatchesNothing, "Service/ns/api".into())),
            "{found:?}"
        );
    }

    #[test]
    fn a_service_targeting_an_undeclared_port_is_named() {
        let found = codes(
            vec![deployment("web", "http"), service("web", "web", "metrics")],
            &Collected::default(),
        );
        assert!(
            found.contains(&(Code::TargetPortMissing, "Service/ns/web".into())),
            "{found:?}"
        );
    }

    #[test]
    fn a_mount_without_its_volume_is_named() {
        let found = codes(vec![deployment("web", "http")], &Collected::default());
        assert!(
            found.contains(&(Code::VolumeMissing, "Deployment/ns/web".into())),
            "{found:?}"
        );
    }

    #[test]
    fn an_offered_address_without_its_service_is_named() {
        let service = ServiceAddress {
            service: "gone".into(),
            namespace: "ns".into(),
            port_name: "http".into(),
            port: 80,
        };
        let endpoints = of(Contributions {
            scrape_jobs: vec![ScrapeJob::stack_pods(
                &crate::model::Stack::default(),
                "gone",
                service,
                "/metrics",
            )],
            ..Contributions::default()
        });
        let found = codes(vec![], &endpoints);
        assert_eq!(
            found,
            vec![(Code::AddressUnresolved, "Service/ns/gone".to_string())]
        );
    }

    #[test]
    fn a_secret_nobody_declared_is_named() {
        let mut web = deployment("web", "http");
        if let Object::Deployment(d) = &mut web {
            let spec = d.spec.as_mut().unwrap().template.spec.as_mut().unwrap();
            spec.containers[0].volume_mounts = None;
            spec.volumes = Some(vec![crate::k8s::pod::secret_volume(
                "creds",
                "web-creds",
                false,
            )]);
        }
        let found = codes(vec![web.clone()], &Collected::default());
        assert_eq!(
            found,
            vec![(Code::SecretUndeclared, "Deployment/ns/web".to_string())]
        );
        let declared_in = |namespace: &str| {
            of(Contributions {
                secrets: vec![SecretRef {
                    name: "web-creds".into(),
                    namespace: namespace.into(),
                    keys: Vec::new(),
                    profile_key: "web.secret".into(),
                    optional: false,
                }],
                ..Contributions::default()
            })
        };
        // A Secret of the same name in another namespace is not one the pod can read.
        assert_eq!(codes(vec![web.clone()], &declared_in("other")), found);
        assert!(codes(vec![web], &declared_in("ns")).is_empty());
    }

    #[test]
    fn duplicates_and_missing_namespaces_are_named() {
        let mut no_ns = service("web", "web", "http");
        if let Object::Service(s) = &mut no_ns {
            s.metadata.namespace = None;
        }
        let found = codes(
            vec![
                deployment("web", "http"),
                service("web", "web", "http"),
                service("web", "web", "http"),
                no_ns,
            ],
            &Collected::default(),
        );
        assert!(
            found.contains(&(Code::DuplicateObject, "Service/ns/web".into())),
            "{found:?}"
        );
        assert!(
            found.contains(&(Code::MissingNamespace, "Service/web".into())),
            "{found:?}"
        );
    }
}
