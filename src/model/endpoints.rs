//! Addresses that cross components: a component offers an alert receiver or a datasource in
//! these types (through its `contrib::Contributions`); consumers read the offers instead of
//! typing host names again, and `validate` proves every address resolves to a rendered Service.

/// A port on a Service in the stack's namespace.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceAddress {
    pub service: String,
    pub namespace: String,
    pub port_name: String,
    pub port: i32,
}

impl ServiceAddress {
    /// A port of a Service in the stack's namespace.
    pub fn in_stack(stack: &super::Stack, service: &str, port_name: &str, port: i32) -> Self {
        ServiceAddress {
            service: service.into(),
            namespace: stack.namespace.to_string(),
            port_name: port_name.into(),
            port,
        }
    }

    pub fn host(&self) -> String {
        format!("{}.{}.svc", self.service, self.namespace)
    }

    pub fn host_port(&self) -> String {
        format!("{}:{}", self.host(), self.port)
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.host_port())
    }
}

/// Where Prometheus sends alerts: every Alertmanager replica directly, so the cluster's gossip
/// deduplicates notifications (never through one load-balanced Service).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertReceiver {
    /// `pod.headless-service.namespace.svc:port` for every replica.
    pub targets: Vec<String>,
    pub service: ServiceAddress,
    /// Credentials the receiver asks for (its own web auth), by reference.
    #[serde(skip)]
    pub basic_auth: Option<crate::contrib::BasicAuth>,
}

/// What a Grafana datasource queries; decides its `type` and which cross-links it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasourceKind {
    /// Metrics (PromQL).
    Prometheus,
    /// Logs (LogQL); linked to a tracing datasource by trace id when one is offered.
    Loki,
    /// Traces; linked back to a log datasource when one is offered.
    Jaeger,
}

/// A datasource a component serves to Grafana. Grafana provisions one per offer, so a
/// component that is disabled (or not rendered yet) is never a datasource.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Datasource {
    /// Stable identity that dashboards and cross-links refer to (never changes with names).
    pub uid: String,
    /// The name users see in Grafana.
    pub name: String,
    pub kind: DatasourceKind,
    /// The Service Grafana's backend calls (validated to exist with that port).
    pub service: ServiceAddress,
    /// Smallest useful query step: the scrape interval of a metrics store (Grafana's
    /// `timeInterval`, which `$__rate_interval` is derived from).
    pub min_interval: Option<String>,
    /// Credentials the Service asks for (the program's own web auth), by reference.
    #[serde(skip)]
    pub basic_auth: Option<crate::contrib::BasicAuth>,
    /// The uid of a datasource this one replaces (Thanos Query serves the same series as the
    /// Prometheus replicas behind it, deduplicated): Grafana provisions only the replacement,
    /// and it inherits the replaced one's `min_interval` when it sets none.
    pub replaces: Option<String>,
}
