//! `[access]`: how people outside the cluster reach the UIs the components expose (Prometheus,
//! Alertmanager, Grafana, the Jaeger UI). It renders nothing itself: it contributes the
//! `Router` (Gateway API or ingress-nginx, TLS, proxy basic auth), the Secret the proxy checks
//! logins against, the flow from the proxy pods to every exposed UI, and the prerequisites
//! (CRDs, controllers, cert-manager). The routing objects are derived from the router and the
//! components' `Exposure`s (`derive::access`).
//!
//! Production uses Gateway API with Envoy Gateway: ingress-nginx was retired in March 2026 and
//! gets no security fixes, so it stays selectable only with a warning.

mod settings;

use std::collections::BTreeMap;

use super::{Component, Context};
use crate::contrib::{
    Contributions, Destination, Flow, Peer, Prerequisite, Router, RouterKind, SecretKey, SecretRef,
    Tls, ValueFormat,
};
use crate::diag::Code;
use crate::k8s::Object;
use crate::model::{Problem, Stack};

pub use settings::{Access, Mode};

/// Envoy Gateway's key of the htpasswd Secret (`BasicAuthUsersSecretKey`, api/v1alpha1
/// basic_auth_types.go@v1.9.0): only `{SHA}` hashes.
const ENVOY_HTPASSWD_KEY: &str = ".htpasswd";
/// ingress-nginx's key for `auth-secret-type: auth-file`; another key makes it answer 503.
const NGINX_HTPASSWD_KEY: &str = "auth";

impl Component for Access {
    const NAME: &'static str = "access";
    const FILE: &'static str = "access";

    fn enabled(&self) -> bool {
        self.mode != Mode::None
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        if self.mode == Mode::None {
            return Vec::new();
        }
        let mut problems = self.tls_problems();
        if self.mode == Mode::IngressNginx {
            problems.push(Problem::warning(
                "access.mode",
                Code::IngressNginxEndOfLife,
                "ingress-nginx was retired in March 2026: no releases, bug fixes or security fixes since",
                "use `mode = \"gateway\"` (Gateway API HTTPRoutes with Envoy Gateway's basic auth); keep ingress-nginx only while migrating",
            ));
        }
        problems
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        let router = self.router(stack);
        let mut secrets: Vec<SecretRef> = router
            .basic_auth_secret
            .iter()
            .map(|name| self.htpasswd_secret(name, stack))
            .collect();
        if let Some(Tls::Secret(name)) = self.rendered_tls() {
            secrets.push(tls_secret(&name, stack));
        }
        let proxy = self.proxy(stack);
        Contributions {
            flows: vec![Flow::new(
                Peer::Pods {
                    namespace: proxy.0,
                    labels: proxy.1,
                },
                Destination::Exposures,
                "the gateway or ingress proxy forwards requests to the exposed UIs",
            )],
            secrets,
            prerequisites: self.prerequisites(stack),
            router: Some(router),
            ..Contributions::default()
        }
    }

    fn build(&self, _cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        // The routing objects depend on every component's exposures: `derive::access`.
        Ok(Vec::new())
    }
}

impl Access {
    /// TLS as monstack renders it: on a Gateway it renders or on Ingresses; `None` for plain
    /// HTTP or when an existing Gateway terminates TLS.
    fn rendered_tls(&self) -> Option<Tls> {
        if !self.tls.enabled || !self.renders_tls() {
            return None;
        }
        self.tls.source()
    }

    /// Whether the objects monstack renders carry TLS (an existing Gateway has its own).
    fn renders_tls(&self) -> bool {
        match self.mode {
            Mode::Gateway => self.gateway.create,
            Mode::IngressNginx => true,
            Mode::None => false,
        }
    }

    fn router(&self, stack: &Stack) -> Router {
        let kind = match self.mode {
            Mode::IngressNginx => RouterKind::IngressNginx {
                class: self.ingress_class.to_string(),
            },
            _ => RouterKind::Gateway {
                name: self.gateway.name.to_string(),
                namespace: self.gateway_namespace(stack),
                rendered_class: self.gateway.create.then(|| self.gateway.class.to_string()),
            },
        };
        Router {
            kind,
            tls: self.rendered_tls(),
            basic_auth_secret: self
                .basic_auth
                .enabled
                .then(|| self.basic_auth.secret.as_str().to_string()),
        }
    }

    fn gateway_namespace(&self, stack: &Stack) -> String {
        match (&self.gateway.namespace, self.gateway.create) {
            (Some(ns), false) => ns.to_string(),
            _ => stack.namespace.to_string(),
        }
    }

    /// The proxy pods' namespace and labels: the profile's, else the controller's defaults
    /// (Envoy Gateway's proxy Deployment labels, ingress-nginx's Helm chart labels).
    fn proxy(&self, stack: &Stack) -> (String, BTreeMap<String, String>) {
        let labels = |pairs: &[(&str, String)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        };
        let (namespace, default_labels) = match self.mode {
            Mode::IngressNginx => (
                "ingress-nginx",
                labels(&[
                    ("app.kubernetes.io/name", "ingress-nginx".into()),
                    ("app.kubernetes.io/component", "controller".into()),
                ]),
            ),
            _ => (
                "envoy-gateway-system",
                labels(&[
                    ("app.kubernetes.io/name", "envoy".into()),
                    ("app.kubernetes.io/component", "proxy".into()),
                    (
                        "gateway.envoyproxy.io/owning-gateway-name",
                        self.gateway.name.to_string(),
                    ),
                    (
                        "gateway.envoyproxy.io/owning-gateway-namespace",
                        self.gateway_namespace(stack),
                    ),
                ]),
            ),
        };
        (
            self.proxy
                .namespace
                .as_ref()
                .map_or_else(|| namespace.to_string(), |n| n.to_string()),
            self.proxy.pod_labels.clone().unwrap_or(default_labels),
        )
    }

    fn htpasswd_secret(&self, name: &str, stack: &Stack) -> SecretRef {
        let key = match self.mode {
            Mode::IngressNginx => SecretKey::plain(NGINX_HTPASSWD_KEY, "htpasswd lines")
                .hashed(ValueFormat::HtpasswdApr1),
            _ => SecretKey::plain(ENVOY_HTPASSWD_KEY, "htpasswd lines")
                .hashed(ValueFormat::HtpasswdSha),
        };
        SecretRef {
            name: name.to_string(),
            namespace: stack.namespace.to_string(),
            keys: vec![key],
            profile_key: "access.basic_auth.secret".into(),
            optional: false,
        }
    }

    fn prerequisites(&self, stack: &Stack) -> Vec<Prerequisite> {
        let item = |kind: &str, name: &str, why: &str| Prerequisite {
            kind: kind.into(),
            name: name.into(),
            why: why.into(),
        };
        let mut out = Vec::new();
        match self.mode {
            Mode::Gateway => {
                out.push(item(
                    "CustomResourceDefinition",
                    "gateways.gateway.networking.k8s.io, httproutes.gateway.networking.k8s.io",
                    "the UIs are routed by Gateway API HTTPRoutes (standard channel, v1.x)",
                ));
                if self.basic_auth.enabled {
                    out.push(item(
                        "CustomResourceDefinition",
                        "securitypolicies.gateway.envoyproxy.io",
                        "Envoy Gateway's SecurityPolicy asks for the basic-auth login",
                    ));
                }
                out.push(item(
                    "controller",
                    "Envoy Gateway",
                    "it runs the proxy for the Gateway and enforces the SecurityPolicy",
                ));
                if self.gateway.create {
                    out.push(item(
                        "GatewayClass",
                        self.gateway.class.as_str(),
                        "the rendered Gateway names this class (access.gateway.class)",
                    ));
                } else {
                    out.push(item(
                        "Gateway",
                        &format!("{}/{}", self.gateway_namespace(stack), self.gateway.name),
                        "the HTTPRoutes attach to it; its listeners must serve the hosts and allow routes from the stack's namespace",
                    ));
                }
            }
            Mode::IngressNginx => out.push(item(
                "controller",
                "ingress-nginx",
                &format!(
                    "it serves the Ingresses of class {} (end of life since March 2026)",
                    self.ingress_class
                ),
            )),
            Mode::None => {}
        }
        if let Some(tls) = self.rendered_tls() {
            match &tls {
                Tls::ClusterIssuer(name) => out.push(item(
                    "ClusterIssuer",
                    name,
                    "cert-manager issues the hosts' certificates from it",
                )),
                Tls::Issuer(name) => out.push(item(
                    "Issuer",
                    &format!("{}/{name}", stack.namespace),
                    "cert-manager issues the hosts' certificates from it",
                )),
                Tls::Secret(_) => {}
            }
            if tls.cert_manager_annotation().is_some() {
                let why = match self.mode {
                    Mode::IngressNginx => {
                        "its ingress-shim turns the Ingress annotation into Certificates"
                    }
                    _ => {
                        "its gateway-shim turns the Gateway annotation into Certificates (needs `enableGatewayAPI` in cert-manager's config)"
                    }
                };
                out.push(item("controller", "cert-manager", why));
            }
        }
        out
    }
}

/// The existing certificate Secret every host shares.
fn tls_secret(name: &str, stack: &Stack) -> SecretRef {
    SecretRef {
        name: name.to_string(),
        namespace: stack.namespace.to_string(),
        keys: vec![
            SecretKey::plain("tls.crt", "certificate chain PEM file").hashed(ValueFormat::PemFile),
            SecretKey::plain("tls.key", "private key PEM file").hashed(ValueFormat::PemFile),
        ],
        profile_key: "access.tls.secret".into(),
        optional: false,
    }
}
