//! `[access]` settings: the profile types, their defaults and the TLS checks.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::contrib::Tls as TlsSource;
use crate::diag::Code;
use crate::model::{DnsLabel, Problem, SecretName};

/// `[access]`: how the exposed UIs are reached from outside the cluster.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Access {
    /// `"none"` (reach the UIs with `kubectl port-forward`), `"gateway"` (Gateway API
    /// HTTPRoutes, basic auth by Envoy Gateway) or `"ingress-nginx"` (end of life).
    pub mode: Mode,
    pub gateway: Gateway,
    /// ingress-nginx: the Ingresses' `ingressClassName`.
    pub ingress_class: DnsLabel,
    /// The proxy pods the NetworkPolicies admit to the exposed UIs.
    pub proxy: Proxy,
    pub tls: Tls,
    pub basic_auth: BasicAuth,
}

/// How the UIs are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Not from outside: `kubectl port-forward`.
    #[default]
    None,
    /// Gateway API HTTPRoutes; basic auth by Envoy Gateway's SecurityPolicy.
    Gateway,
    /// ingress-nginx Ingresses with auth annotations (retired March 2026).
    IngressNginx,
}

/// `[access.gateway]`: the Gateway the HTTPRoutes attach to.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Gateway {
    /// Its name.
    pub name: DnsLabel,
    /// Its namespace when it exists already (`create = false`); default the stack's.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub namespace: Option<DnsLabel>,
    /// Render it in the stack's namespace, one HTTPS listener per host (TLS from `[access.tls]`);
    /// `false` attaches the routes to an existing Gateway that terminates TLS itself.
    pub create: bool,
    /// `gatewayClassName` of the rendered Gateway (Envoy Gateway's GatewayClass).
    pub class: DnsLabel,
}

/// `[access.proxy]`: where the gateway or ingress proxy pods run.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Proxy {
    /// Default: `envoy-gateway-system` (gateway), `ingress-nginx` (ingress-nginx).
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub namespace: Option<DnsLabel>,
    /// Labels of the proxy pods. Default: Envoy Gateway's proxy labels for this Gateway
    /// (`app.kubernetes.io/name = "envoy"`, `app.kubernetes.io/component = "proxy"`,
    /// `gateway.envoyproxy.io/owning-gateway-name`/`-namespace`), or ingress-nginx's
    /// controller labels.
    pub pod_labels: Option<BTreeMap<String, String>>,
}

/// `[access.tls]`: certificates for the hosts, from cert-manager or an existing Secret.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    /// `false` serves plain HTTP: logins cross the network readable (warned).
    pub enabled: bool,
    /// A cert-manager ClusterIssuer that issues one certificate per host.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub cluster_issuer: Option<DnsLabel>,
    /// A cert-manager Issuer of the stack's namespace.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub issuer: Option<DnsLabel>,
    /// An existing `kubernetes.io/tls` Secret whose certificate covers every host.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub secret: Option<SecretName>,
}

/// `[access.basic_auth]`: the login the proxy asks for in front of UIs without their own.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BasicAuth {
    pub enabled: bool,
    /// The htpasswd Secret you create (`monstack secrets` prints the command: `{SHA}` hashes
    /// for Envoy Gateway, apr1 for ingress-nginx).
    pub secret: SecretName,
}

fn label(s: &str) -> DnsLabel {
    DnsLabel::parse(s).expect("invariant: default names are valid")
}

impl Default for Access {
    fn default() -> Self {
        Access {
            mode: Mode::None,
            gateway: Gateway::default(),
            ingress_class: label("nginx"),
            proxy: Proxy::default(),
            tls: Tls::default(),
            basic_auth: BasicAuth::default(),
        }
    }
}

impl Default for Gateway {
    fn default() -> Self {
        Gateway {
            name: label("monitoring"),
            namespace: None,
            create: true,
            class: label("envoy-gateway"),
        }
    }
}

impl Default for Tls {
    fn default() -> Self {
        Tls {
            enabled: true,
            cluster_issuer: None,
            issuer: None,
            secret: None,
        }
    }
}

impl Default for BasicAuth {
    fn default() -> Self {
        BasicAuth {
            enabled: true,
            secret: SecretName::parse("monitoring-basic-auth")
                .expect("invariant: default names are valid"),
        }
    }
}

impl Tls {
    /// The one source of certificates the profile names (the checks refuse two).
    pub fn source(&self) -> Option<TlsSource> {
        if let Some(name) = &self.cluster_issuer {
            return Some(TlsSource::ClusterIssuer(name.to_string()));
        }
        if let Some(name) = &self.issuer {
            return Some(TlsSource::Issuer(name.to_string()));
        }
        self.secret
            .as_ref()
            .map(|s| TlsSource::Secret(s.as_str().to_string()))
    }

    fn sources_set(&self) -> Vec<&'static str> {
        [
            ("cluster_issuer", self.cluster_issuer.is_some()),
            ("issuer", self.issuer.is_some()),
            ("secret", self.secret.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| name)
        .collect()
    }
}

impl Access {
    /// TLS that is on without a certificate source, on with two, off (plain-text logins), or
    /// set for an existing Gateway that monstack does not render.
    pub(super) fn tls_problems(&self) -> Vec<Problem> {
        let sources = self.tls.sources_set();
        if !self.renders_tls() {
            return (!sources.is_empty())
                .then(|| {
                    Problem::warning(
                        format!("access.tls.{}", sources[0]),
                        Code::TlsOnExistingGateway,
                        "the routes attach to an existing Gateway (access.gateway.create = false), whose own listeners terminate TLS; this setting is not used",
                        "configure TLS on that Gateway's listeners, and remove the [access.tls] sources here",
                    )
                })
                .into_iter()
                .collect();
        }
        if !self.tls.enabled {
            return vec![Problem::warning(
                "access.tls.enabled",
                Code::AccessWithoutTls,
                "the UIs are served over plain HTTP: basic-auth passwords and session cookies cross the network readable",
                "set `access.tls.cluster_issuer` (cert-manager) or `access.tls.secret`, and remove `enabled = false`",
            )];
        }
        match sources.as_slice() {
            [] => vec![Problem::error(
                "access.tls",
                Code::TlsSourceMissing,
                "TLS is on but names no certificate source",
                "set one of `cluster_issuer` (a cert-manager ClusterIssuer), `issuer` (an Issuer in the stack's namespace) or `secret` (an existing kubernetes.io/tls Secret for every host)",
            )],
            [_] => Vec::new(),
            [first, rest @ ..] => vec![Problem::error(
                format!("access.tls.{}", rest[0]),
                Code::TlsSourceAmbiguous,
                format!(
                    "TLS names {} certificate sources ({}); each host gets one certificate",
                    sources.len(),
                    sources.join(", ")
                ),
                format!("keep `{first}` or `{}`, not both", rest[0]),
            )],
        }
    }
}
