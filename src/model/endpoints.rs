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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    Scrape(ScrapeTarget),
    Alerts(AlertReceiver),
}

impl Offer {
    /// The Service address an offer depends on.
    pub fn address(&self) -> &ServiceAddress {
        match self {
            Offer::Scrape(t) => &t.service,
            Offer::Alerts(a) => &a.service,
        }
    }
}

/// Every offer of every enabled component, in registry order.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    pub offers: Vec<(&'static str, Offer)>,
}

impl Endpoints {
    pub fn scrape_targets(&self) -> impl Iterator<Item = &ScrapeTarget> {
        self.offers.iter().filter_map(|(_, o)| match o {
            Offer::Scrape(t) => Some(t),
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
