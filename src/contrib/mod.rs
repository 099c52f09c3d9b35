//! What components contribute to each other, kube-prometheus "mixin" style. A component states
//! in its own folder what it knows — the scrape jobs it can be scraped by (with the metric
//! families each produces), its alerting and recording rules, its dashboards or the panels it
//! adds to a shared one, the Secrets it reads, the network flows it opens, what it needs from
//! others and what must exist in the cluster first — and the collectors (Prometheus, Grafana,
//! the derive stage, validation) read only these. No job name, metric family or dashboard is
//! typed anywhere else.
//!
//! This module is vocabulary: plain data, no Kubernetes objects and no I/O.

pub mod access;
pub mod capacity;
pub mod dashboards;
pub mod flows;
pub mod metrics_store;
pub mod rules;
pub mod scrape;
pub mod secrets;

use crate::model::endpoints::{AlertReceiver, Datasource, ServiceAddress};

pub use access::{Exposure, Router, RouterKind, Tls};
pub use dashboards::{Dashboard, PanelSet};
pub use flows::{Destination, Flow, Peer};
pub use metrics_store::StoreExtension;
pub use rules::{Alert, Record, Rule, RuleGroup, Severity};
pub use scrape::ScrapeJob;
pub use secrets::{SecretKey, SecretRef, ValueFormat};

/// Everything one component contributes. Built from its settings and `[stack]` alone.
#[derive(Debug, Clone, Default)]
pub struct Contributions {
    pub scrape_jobs: Vec<ScrapeJob>,
    pub rule_groups: Vec<RuleGroup>,
    /// Whole dashboards this component owns.
    pub dashboards: Vec<Dashboard>,
    /// Panels added to a dashboard that several components share (e.g. Infrastructure).
    pub panels: Vec<PanelSet>,
    pub datasources: Vec<Datasource>,
    pub alert_receiver: Option<AlertReceiver>,
    /// Existing Secrets (created by the user, named in the profile) this component reads.
    pub secrets: Vec<SecretRef>,
    pub flows: Vec<Flow>,
    pub needs: Vec<Need>,
    /// What must exist in the cluster before `kubectl apply` (a StorageClass, a CRD...).
    pub prerequisites: Vec<Prerequisite>,
    /// Namespaces besides the stack's that this component's objects live in.
    pub namespaces: Vec<NamespaceRequest>,
    /// Services offered to the others by what they do (a span store, a trace receiver), so a
    /// consumer finds the address without naming the component that serves it.
    pub offers: Vec<Offer>,
    /// UIs this component offers to people outside the cluster (see `contrib::access`).
    pub exposures: Vec<Exposure>,
    /// How exposures are reached from outside; contributed by the access component only.
    pub router: Option<Router>,
    /// What this component adds to the metrics store's pods (a sidecar and its TSDB settings).
    pub metrics_store: Vec<StoreExtension>,
    /// Data this component writes and keeps (`capacity::Retained`), for the capacity model.
    pub retained: Vec<capacity::Retained>,
    /// Volumes this component keeps data on (`capacity::Disk`), for the capacity model.
    pub disks: Vec<capacity::Disk>,
    /// The metrics store's load and panel budget (`capacity::QueryLoad`), for heavy panels.
    pub query_loads: Vec<capacity::QueryLoad>,
}

/// What an offered Service does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServiceKind {
    /// Stores spans: an Elasticsearch-compatible HTTP API.
    SpanStore,
    /// Receives spans over OTLP/gRPC.
    OtlpGrpc,
    /// Receives spans over OTLP/HTTP (`/v1/traces`).
    OtlpHttp,
    /// Receives spans in Zipkin's format (`/api/v2/spans`).
    Zipkin,
    /// Serves metrics over Thanos' StoreAPI (gRPC): a sidecar or a Store Gateway.
    StoreApi,
    /// Scrapes and stores the stack's metrics in pods that take `StoreExtension`s (Prometheus).
    MetricsStore,
}

/// A Service offered as a `ServiceKind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub kind: ServiceKind,
    pub service: ServiceAddress,
    /// Basic-auth credentials clients must send, by reference to an existing Secret.
    pub basic_auth: Option<BasicAuth>,
    /// For a span store: how many replicas of each index the cluster can hold (0 on one node).
    pub index_replicas: Option<i32>,
}

/// A user name and the Secret key holding its password (never the password itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub username: String,
    pub secret: String,
    pub key: String,
}

/// A namespace a component needs with a Pod Security level of its own: node agents need host
/// access that the stack namespace's `restricted` level forbids, so they run apart, in a
/// namespace whose exception is explicit and says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceRequest {
    pub name: String,
    /// The least Pod Security Standard level the pods need (`baseline` or `privileged`).
    pub pod_security: &'static str,
    /// Why, written on the namespace.
    pub reason: String,
}

/// A capability one component needs another to provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// A datasource of this kind (Grafana needs a metrics datasource).
    Datasource(crate::model::endpoints::DatasourceKind),
    /// A Service offered as this kind (a span store, a trace receiver).
    Service(ServiceKind),
}

/// A declared need: when no enabled component provides `capability`, the profile is refused
/// with a diagnostic at `key` that names the component that would provide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub capability: Capability,
    /// The needing component's profile key the diagnostic points at (e.g. `grafana.enabled`).
    pub key: String,
    /// Why it is needed, in the user's terms.
    pub why: String,
}

/// Something the rendered objects expect to exist in the cluster already.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Prerequisite {
    /// What kind of thing: `StorageClass`, `CustomResourceDefinition`, `controller`...
    pub kind: String,
    pub name: String,
    pub why: String,
}

impl Contributions {
    /// Whether this contribution offers what `capability` asks for.
    pub fn provides(&self, capability: Capability) -> bool {
        match capability {
            Capability::Datasource(kind) => self.datasources.iter().any(|d| d.kind == kind),
            Capability::Service(kind) => self.offers.iter().any(|o| o.kind == kind),
        }
    }
}

/// The contributions of every enabled component, in registry order.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub by_component: Vec<(&'static str, Contributions)>,
}

impl Collected {
    fn all(&self) -> impl Iterator<Item = &Contributions> {
        self.by_component.iter().map(|(_, c)| c)
    }

    pub fn scrape_jobs(&self) -> impl Iterator<Item = &ScrapeJob> {
        self.all().flat_map(|c| c.scrape_jobs.iter())
    }

    /// Names of every contributed scrape job.
    pub fn job_names(&self) -> std::collections::BTreeSet<&str> {
        self.scrape_jobs().map(|j| j.name.as_str()).collect()
    }

    /// Rule groups by contributing component, in registry order.
    pub fn rule_groups(&self) -> impl Iterator<Item = (&'static str, &RuleGroup)> {
        self.by_component
            .iter()
            .flat_map(|(name, c)| c.rule_groups.iter().map(move |g| (*name, g)))
    }

    /// The rule groups Prometheus evaluates: a group that reads a job no enabled component
    /// contributes is left out (it could never fire or record anything).
    pub fn kept_rule_groups(&self) -> Vec<(&'static str, &RuleGroup)> {
        let jobs = self.job_names();
        self.rule_groups()
            .filter(|(_, g)| g.needs.iter().all(|j| jobs.contains(j.as_str())))
            .collect()
    }

    pub fn dashboards(&self) -> impl Iterator<Item = &Dashboard> {
        self.all().flat_map(|c| c.dashboards.iter())
    }

    pub fn panel_sets(&self) -> impl Iterator<Item = &PanelSet> {
        self.all().flat_map(|c| c.panels.iter())
    }

    /// Every datasource offered, in registry order, except those another offered datasource
    /// replaces (Thanos Query's metrics datasource replaces Prometheus').
    pub fn datasources(&self) -> impl Iterator<Item = &Datasource> {
        self.offered_datasources()
            .filter(|d| !self.is_replaced(&d.uid))
    }

    /// Every datasource offered, replaced ones included.
    fn offered_datasources(&self) -> impl Iterator<Item = &Datasource> {
        self.all().flat_map(|c| c.datasources.iter())
    }

    /// Whether another offered datasource replaces the one with this uid.
    pub fn is_replaced(&self, uid: &str) -> bool {
        self.offered_datasources()
            .any(|d| d.replaces.as_deref() == Some(uid))
    }

    /// The datasource `replacement` replaces, when it is offered.
    pub fn replaced_by<'a>(&'a self, replacement: &Datasource) -> Option<&'a Datasource> {
        let uid = replacement.replaces.as_deref()?;
        self.offered_datasources().find(|d| d.uid == uid)
    }

    /// What other components add to the metrics store's pods, in registry order.
    pub fn metrics_store_extensions(&self) -> impl Iterator<Item = &StoreExtension> {
        self.all().flat_map(|c| c.metrics_store.iter())
    }

    pub fn alert_receiver(&self) -> Option<&AlertReceiver> {
        self.all().find_map(|c| c.alert_receiver.as_ref())
    }

    pub fn secrets(&self) -> impl Iterator<Item = (&'static str, &SecretRef)> {
        self.by_component
            .iter()
            .flat_map(|(name, c)| c.secrets.iter().map(move |s| (*name, s)))
    }

    /// `(namespace, name)` of every Secret the stack reads (monstack never renders Secrets).
    pub fn secret_names(&self) -> std::collections::BTreeSet<(&str, &str)> {
        self.secrets()
            .map(|(_, s)| (s.namespace.as_str(), s.name.as_str()))
            .collect()
    }

    pub fn flows(&self) -> impl Iterator<Item = (&'static str, &Flow)> {
        self.by_component
            .iter()
            .flat_map(|(name, c)| c.flows.iter().map(move |f| (*name, f)))
    }

    pub fn prerequisites(&self) -> impl Iterator<Item = (&'static str, &Prerequisite)> {
        self.by_component
            .iter()
            .flat_map(|(name, c)| c.prerequisites.iter().map(move |p| (*name, p)))
    }

    pub fn provides(&self, capability: Capability) -> bool {
        self.all().any(|c| c.provides(capability))
    }

    /// Every exposed UI, in registry order.
    pub fn exposures(&self) -> impl Iterator<Item = &Exposure> {
        self.all().flat_map(|c| c.exposures.iter())
    }

    /// How exposures are reached, when the profile routes them at all.
    pub fn router(&self) -> Option<&Router> {
        self.all().find_map(|c| c.router.as_ref())
    }

    pub fn retained(&self) -> impl Iterator<Item = &capacity::Retained> {
        self.all().flat_map(|c| c.retained.iter())
    }

    pub fn query_loads(&self) -> impl Iterator<Item = &capacity::QueryLoad> {
        self.all().flat_map(|c| c.query_loads.iter())
    }

    /// Every store's volumes, with the component that owns them.
    pub fn disks(&self) -> impl Iterator<Item = (&'static str, &capacity::Disk)> {
        self.by_component
            .iter()
            .flat_map(|(name, c)| c.disks.iter().map(move |d| (*name, d)))
    }

    /// The first Service offered as `kind`, in registry order.
    pub fn offer(&self, kind: ServiceKind) -> Option<&Offer> {
        self.all()
            .flat_map(|c| c.offers.iter())
            .find(|o| o.kind == kind)
    }

    /// Every Service offered as `kind`, in registry order.
    pub fn offers(&self, kind: ServiceKind) -> impl Iterator<Item = &Offer> {
        self.all()
            .flat_map(|c| c.offers.iter())
            .filter(move |o| o.kind == kind)
    }

    /// Extra namespaces, once each (the first request's level and reason; components that
    /// share one ask for the same level), with every requester's reason.
    pub fn namespaces(&self) -> Vec<NamespaceRequest> {
        let mut out: Vec<NamespaceRequest> = Vec::new();
        for request in self.all().flat_map(|c| c.namespaces.iter()) {
            match out.iter_mut().find(|r| r.name == request.name) {
                Some(existing) if !existing.reason.contains(&request.reason) => {
                    existing.reason = format!("{}; {}", existing.reason, request.reason);
                }
                Some(_) => {}
                None => out.push(request.clone()),
            }
        }
        out
    }

    /// Every Service address a component offers others (scrape targets, datasources, the alert
    /// receiver), with the component that offers it.
    pub fn addresses(&self) -> Vec<(&'static str, &ServiceAddress)> {
        let mut out = Vec::new();
        for (name, c) in &self.by_component {
            out.extend(
                c.scrape_jobs
                    .iter()
                    .filter_map(|j| j.service.as_ref())
                    .map(|a| (*name, a)),
            );
            out.extend(c.datasources.iter().map(|d| (*name, &d.service)));
            out.extend(c.alert_receiver.iter().map(|r| (*name, &r.service)));
            out.extend(c.offers.iter().map(|o| (*name, &o.service)));
        }
        out
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Capability::Datasource(kind) => {
                write!(
                    f,
                    "a {} datasource",
                    serde_json::to_value(kind)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                )
            }
            Capability::Service(kind) => f.write_str(match kind {
                ServiceKind::SpanStore => "a span store (Elasticsearch)",
                ServiceKind::OtlpGrpc => "an OTLP/gRPC trace receiver (the Jaeger collector)",
                ServiceKind::OtlpHttp => "an OTLP/HTTP trace receiver (the Jaeger collector)",
                ServiceKind::Zipkin => "a Zipkin trace receiver (the Jaeger collector)",
                ServiceKind::StoreApi => "a Thanos StoreAPI (a sidecar or Store Gateway)",
                ServiceKind::MetricsStore => {
                    "a metrics store whose pods take a sidecar (Prometheus, without `prometheus.web_auth`: the sidecar reads it without a login)"
                }
            }),
        }
    }
}

/// A component with volumes needs the profile's StorageClass (none when it uses the cluster's
/// default class).
pub fn storage_class_prerequisite(stack: &crate::model::Stack) -> Vec<Prerequisite> {
    stack
        .storage_class
        .iter()
        .map(|class| Prerequisite {
            kind: "StorageClass".into(),
            name: class.to_string(),
            why: "volumes are claimed from this class (stack.storage_class)".into(),
        })
        .collect()
}
