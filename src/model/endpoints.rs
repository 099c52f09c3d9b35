//! Addresses that cross components. A component states what it offers (a scrape target, an
//! alert receiver, ...) once, here in typed form; consumers read the offers instead of typing
//! host names again, and `validate` proves every address resolves to a rendered Service.

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

/// Pods of a stack component that Prometheus should scrape, discovered by label and port name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScrapeTarget {
    pub job: String,
    /// Value of the pods' `app.kubernetes.io/name` label.
    pub app: String,
    /// Name of the container port that serves metrics.
    pub port_name: String,
    pub path: String,
    /// Keep the target's own labels (exporters such as kube-state-metrics report other objects).
    pub honor_labels: bool,
    /// The Service in front of those pods (validated to exist with that port).
    pub service: ServiceAddress,
}

/// Where Prometheus sends alerts: every Alertmanager replica directly, so the cluster's gossip
/// deduplicates notifications (never through one load-balanced Service).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertReceiver {
    /// `pod.headless-service.namespace.svc:port` for every replica.
    pub targets: Vec<String>,
    pub service: ServiceAddress,
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
    /// Scrape jobs whose series this datasource holds, beyond those of the stack's own
    /// components (which are `Offer::Scrape` offers): what a dashboard may select on.
    pub scrape_jobs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    Scrape(ScrapeTarget),
    Alerts(AlertReceiver),
    Datasource(Datasource),
}

impl Offer {
    /// The Service address an offer depends on.
    pub fn address(&self) -> &ServiceAddress {
        match self {
            Offer::Scrape(t) => &t.service,
            Offer::Alerts(a) => &a.service,
            Offer::Datasource(d) => &d.service,
        }
    }
}

/// Every offer of every enabled component, in registry order, and the Secrets they read that
/// the user creates (monstack never renders Secrets).
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    pub offers: Vec<(&'static str, Offer)>,
    pub external_secrets: std::collections::BTreeSet<String>,
}

impl Endpoints {
    pub fn scrape_targets(&self) -> impl Iterator<Item = &ScrapeTarget> {
        self.offers.iter().filter_map(|(_, o)| match o {
            Offer::Scrape(t) => Some(t),
            _ => None,
        })
    }

    /// Every datasource offered, in registry order.
    pub fn datasources(&self) -> impl Iterator<Item = &Datasource> {
        self.offers.iter().filter_map(|(_, o)| match o {
            Offer::Datasource(d) => Some(d),
            _ => None,
        })
    }

    pub fn alert_receiver(&self) -> Option<&AlertReceiver> {
        self.offers.iter().find_map(|(_, o)| match o {
            Offer::Alerts(a) => Some(a),
            _ => None,
        })
    }
}
