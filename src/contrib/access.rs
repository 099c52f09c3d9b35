//! Access from outside the cluster: each UI component states what it exposes (an `Exposure`:
//! its Service port and the host from its own profile table), and the access component states
//! how exposures are reached (a `Router`: Gateway API or ingress-nginx, TLS, proxy basic auth).
//! The derive stage turns the two into HTTPRoutes, a Gateway, a SecurityPolicy or Ingresses;
//! no component types a routing object.
//!
//! Vocabulary only: no Kubernetes objects, no I/O, never a credential.

use crate::model::HostName;
use crate::model::endpoints::ServiceAddress;

/// A UI a component offers to people outside the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// Short name of the UI, unique in the stack (`prometheus`, `jaeger`): names the route,
    /// its listener and its certificate Secret.
    pub name: String,
    /// What people see ("Prometheus"): the basic-auth realm.
    pub title: String,
    /// The Service port the route sends requests to.
    pub service: ServiceAddress,
    /// Where it is reached; `None` is refused when a router exists (`exposed-without-host`).
    pub host: Option<HostName>,
    /// The profile key of `host` (diagnostics point at it).
    pub host_key: String,
    /// The profile key that turns the exposure off (named in the fix).
    pub expose_key: String,
    /// The program asks for its own login (Grafana's users), so the proxy adds no basic auth
    /// in front of it: one request carries one `Authorization` header, and two logins would
    /// fight over it.
    pub own_login: bool,
}

/// How exposures are reached from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    pub kind: RouterKind,
    /// Certificates for the hosts; `None` serves plain HTTP.
    pub tls: Option<Tls>,
    /// The htpasswd Secret the proxy checks logins against; `None` adds no proxy auth.
    pub basic_auth_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouterKind {
    /// Gateway API HTTPRoutes attached to a Gateway; basic auth by Envoy Gateway's
    /// SecurityPolicy.
    Gateway {
        name: String,
        namespace: String,
        /// `Some(class)`: monstack renders the Gateway (listeners per host) with this
        /// `gatewayClassName`; `None`: the Gateway exists and is managed elsewhere.
        rendered_class: Option<String>,
    },
    /// ingress-nginx `Ingress` objects with auth annotations (end of life since March 2026).
    IngressNginx { class: String },
}

/// Where certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// cert-manager issues one per host from this ClusterIssuer.
    ClusterIssuer(String),
    /// cert-manager issues one per host from this Issuer of the stack's namespace.
    Issuer(String),
    /// An existing `kubernetes.io/tls` Secret covering every host (a wildcard or SAN cert).
    Secret(String),
}

impl Tls {
    /// The cert-manager annotation that asks for certificates, if cert-manager issues them.
    pub fn cert_manager_annotation(&self) -> Option<(&'static str, &str)> {
        match self {
            Tls::ClusterIssuer(name) => Some(("cert-manager.io/cluster-issuer", name)),
            Tls::Issuer(name) => Some(("cert-manager.io/issuer", name)),
            Tls::Secret(_) => None,
        }
    }

    /// The Secret holding the certificate of `exposure`: cert-manager fills one per host.
    pub fn secret_for(&self, exposure: &Exposure) -> String {
        match self {
            Tls::Secret(name) => name.clone(),
            _ => format!("{}-tls", exposure.name),
        }
    }
}

impl Exposure {
    /// The UI of the component whose profile table is `table`, reached at its `host` key and
    /// turned off by its `expose` key.
    pub fn of(
        table: &str,
        title: &str,
        service: ServiceAddress,
        host: Option<&HostName>,
    ) -> Exposure {
        Exposure {
            name: table.to_string(),
            title: title.to_string(),
            service,
            host: host.cloned(),
            host_key: format!("{table}.host"),
            expose_key: format!("{table}.expose"),
            own_login: false,
        }
    }

    /// The same UI, which asks for its own login (no proxy basic auth in front of it).
    pub fn with_own_login(self) -> Exposure {
        Exposure {
            own_login: true,
            ..self
        }
    }
}
