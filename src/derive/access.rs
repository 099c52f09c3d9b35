//! Routing objects from the access router and the components' exposures: with Gateway API,
//! one HTTPRoute per exposed UI (attached by `parentRefs` to the Gateway the profile names),
//! the Gateway itself when monstack renders it (one listener per host, TLS from cert-manager
//! or an existing Secret) and one Envoy Gateway `SecurityPolicy` asking for the basic-auth
//! login in front of every UI without its own; with ingress-nginx, one Ingress per UI with
//! auth and cert-manager annotations. Backends are the Service ports the exposures name.
//!
//! Formats: Gateway API v1 (standard channel, bundle v1.6.1); Envoy Gateway
//! `gateway.envoyproxy.io/v1alpha1` SecurityPolicy `basicAuth.users` (v1.9); ingress-nginx
//! annotations `auth-type`, `auth-secret`, `auth-realm`; cert-manager's ingress- and
//! gateway-shim annotations `cert-manager.io/cluster-issuer` / `cert-manager.io/issuer`.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

use crate::contrib::{Collected, Exposure, Router, RouterKind, Tls};
use crate::diag::Code;
use crate::k8s::meta::App;
use crate::k8s::object::CustomObject;
use crate::k8s::{Object, Part};
use crate::model::{Problem, Stack};

const GATEWAY_API: &str = "gateway.networking.k8s.io/v1";
const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
const ENVOY_GATEWAY_API: &str = "gateway.envoyproxy.io/v1alpha1";
/// The name of the SecurityPolicy that asks for the proxy's login.
const BASIC_AUTH_POLICY: &str = "basic-auth";

/// The routing objects, or `None` when the profile routes nothing from outside.
pub fn part(collected: &Collected, stack: &Stack) -> Option<Part> {
    let router = collected.router()?;
    let exposures: Vec<Routed<'_>> = collected.exposures().filter_map(Routed::of).collect();
    let objects = match &router.kind {
        RouterKind::Gateway {
            name,
            namespace,
            rendered_class,
        } => {
            let parent = Parent {
                name,
                namespace,
                sections: rendered_class.is_some(),
            };
            let mut objects: Vec<Object> = Vec::new();
            if let Some(class) = rendered_class {
                objects.push(gateway(name, class, router, &exposures, stack).into());
            }
            objects.extend(
                exposures
                    .iter()
                    .map(|e| http_route(e, &parent, stack).into()),
            );
            objects.extend(security_policy(router, &exposures, stack).map(Object::from));
            objects
        }
        RouterKind::IngressNginx { class } => exposures
            .iter()
            .map(|e| ingress(e, class, router, stack).into())
            .collect(),
    };
    Some(Part {
        component: "access",
        file: "access",
        objects,
    })
}

/// An exposure refused for want of a host, when the profile routes UIs at all. Located at the
/// component's `host` key.
pub fn problems(collected: &Collected) -> Vec<Problem> {
    if collected.router().is_none() {
        return Vec::new();
    }
    collected
        .exposures()
        .filter(|e| e.host.is_none())
        .map(|e| {
            Problem::error(
                e.host_key.clone(),
                Code::ExposedWithoutHost,
                format!(
                    "{} is exposed ([access] routes UIs from outside) but `{}` is not set",
                    e.title, e.host_key
                ),
                format!(
                    "set `{}` to the name people open it at, or `{} = false` to keep it inside the cluster",
                    e.host_key, e.expose_key
                ),
            )
        })
        .collect()
}

/// An exposure with its host (the others are refused before the derive stage).
struct Routed<'a> {
    exposure: &'a Exposure,
    host: &'a str,
}

impl<'a> Routed<'a> {
    fn of(exposure: &'a Exposure) -> Option<Routed<'a>> {
        exposure.host.as_ref().map(|h| Routed {
            exposure,
            host: h.as_str(),
        })
    }
}

/// Where the HTTPRoutes attach: the rendered Gateway's listener of their host
/// (`sections`), or any listener of an existing Gateway.
struct Parent<'a> {
    name: &'a str,
    namespace: &'a str,
    sections: bool,
}

fn meta(name: &str, stack: &Stack, annotations: BTreeMap<String, String>) -> ObjectMeta {
    let app = App {
        name: "access",
        component: "access",
        instance: stack.name.as_str(),
        namespace: stack.namespace.as_str(),
    };
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(stack.namespace.to_string()),
        labels: Some(app.labels()),
        annotations: (!annotations.is_empty()).then_some(annotations),
        ..ObjectMeta::default()
    }
}

fn cert_manager_annotations(tls: Option<&Tls>) -> BTreeMap<String, String> {
    tls.and_then(Tls::cert_manager_annotation)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into_iter()
        .collect()
}

fn custom(api_version: &str, kind: &str, metadata: ObjectMeta, spec: Value) -> CustomObject {
    CustomObject {
        api_version: api_version.into(),
        kind: kind.into(),
        metadata,
        spec,
    }
}

/// One listener per host: HTTPS with the host's certificate, or HTTP without TLS. When
/// cert-manager issues the certificates, an HTTP listener on port 80 also takes the ACME
/// HTTP-01 solver's routes (no UI route attaches to it).
fn gateway(
    name: &str,
    class: &str,
    router: &Router,
    exposures: &[Routed<'_>],
    stack: &Stack,
) -> CustomObject {
    let same_namespace = json!({ "namespaces": { "from": "Same" } });
    let mut listeners: Vec<Value> = exposures
        .iter()
        .map(|e| match &router.tls {
            Some(tls) => json!({
                "name": e.exposure.name,
                "hostname": e.host,
                "port": 443,
                "protocol": "HTTPS",
                "tls": {
                    "mode": "Terminate",
                    "certificateRefs": [{ "kind": "Secret", "name": tls.secret_for(e.exposure) }],
                },
                "allowedRoutes": same_namespace,
            }),
            None => json!({
                "name": e.exposure.name,
                "hostname": e.host,
                "port": 80,
                "protocol": "HTTP",
                "allowedRoutes": same_namespace,
            }),
        })
        .collect();
    if router
        .tls
        .as_ref()
        .is_some_and(|t| t.cert_manager_annotation().is_some())
    {
        listeners.push(json!({
            "name": "acme-http01",
            "port": 80,
            "protocol": "HTTP",
            "allowedRoutes": same_namespace,
        }));
    }
    custom(
        GATEWAY_API,
        "Gateway",
        meta(name, stack, cert_manager_annotations(router.tls.as_ref())),
        json!({ "gatewayClassName": class, "listeners": listeners }),
    )
}

fn http_route(e: &Routed<'_>, parent: &Parent<'_>, stack: &Stack) -> CustomObject {
    let mut parent_ref = json!({ "name": parent.name });
    if parent.namespace != stack.namespace.as_str() {
        parent_ref["namespace"] = json!(parent.namespace);
    }
    if parent.sections {
        parent_ref["sectionName"] = json!(e.exposure.name);
    }
    custom(
        GATEWAY_API,
        "HTTPRoute",
        meta(&e.exposure.name, stack, BTreeMap::new()),
        json!({
            "parentRefs": [parent_ref],
            "hostnames": [e.host],
            "rules": [{
                "matches": [{ "path": { "type": "PathPrefix", "value": "/" } }],
                "backendRefs": [{
                    "name": e.exposure.service.service,
                    "port": e.exposure.service.port,
                }],
            }],
        }),
    )
}

/// Basic auth in front of every routed UI without its own login, checked by Envoy Gateway
/// against the htpasswd Secret (`{SHA}` lines under `.htpasswd`).
fn security_policy(
    router: &Router,
    exposures: &[Routed<'_>],
    stack: &Stack,
) -> Option<CustomObject> {
    let secret = router.basic_auth_secret.as_ref()?;
    let targets: Vec<Value> = exposures
        .iter()
        .filter(|e| !e.exposure.own_login)
        .map(|e| json!({ "group": GATEWAY_GROUP, "kind": "HTTPRoute", "name": e.exposure.name }))
        .collect();
    (!targets.is_empty()).then(|| {
        custom(
            ENVOY_GATEWAY_API,
            "SecurityPolicy",
            meta(BASIC_AUTH_POLICY, stack, BTreeMap::new()),
            json!({ "targetRefs": targets, "basicAuth": { "users": { "name": secret } } }),
        )
    })
}

/// ingress-nginx: the UI at its host, basic auth unless it has its own login, TLS from
/// cert-manager's ingress-shim or the existing Secret.
fn ingress(e: &Routed<'_>, class: &str, router: &Router, stack: &Stack) -> Ingress {
    let mut annotations = cert_manager_annotations(router.tls.as_ref());
    if let Some(secret) = router
        .basic_auth_secret
        .as_ref()
        .filter(|_| !e.exposure.own_login)
    {
        for (key, value) in [
            ("auth-type", "basic"),
            ("auth-secret", secret.as_str()),
            ("auth-realm", e.exposure.title.as_str()),
        ] {
            annotations.insert(format!("nginx.ingress.kubernetes.io/{key}"), value.into());
        }
    }
    let backend = IngressBackend {
        service: Some(IngressServiceBackend {
            name: e.exposure.service.service.clone(),
            port: Some(ServiceBackendPort {
                number: Some(e.exposure.service.port),
                ..ServiceBackendPort::default()
            }),
        }),
        ..IngressBackend::default()
    };
    Ingress {
        metadata: meta(&e.exposure.name, stack, annotations),
        spec: Some(IngressSpec {
            ingress_class_name: Some(class.to_string()),
            rules: Some(vec![IngressRule {
                host: Some(e.host.to_string()),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some("/".into()),
                        path_type: "Prefix".into(),
                        backend,
                    }],
                }),
            }]),
            tls: router.tls.as_ref().map(|tls| {
                vec![IngressTLS {
                    hosts: Some(vec![e.host.to_string()]),
                    secret_name: Some(tls.secret_for(e.exposure)),
                }]
            }),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    }
}
