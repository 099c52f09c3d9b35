//! Network flows a component opens: "pods of A connect to port P of B". The derive stage turns
//! them into NetworkPolicies, reading selectors and port numbers from the built objects, so a
//! flow names components and port names only — never a label or a number again.

/// Who connects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Peer {
    /// The pods of a component of this stack, by `app.kubernetes.io/name`.
    Component(String),
    /// Any pod in these namespaces (the monitored applications).
    Namespaces(Vec<String>),
    /// Pods outside the stack with these labels in this namespace (an ingress or gateway
    /// proxy, named by the profile).
    Pods {
        namespace: String,
        labels: std::collections::BTreeMap<String, String>,
    },
}

/// Where to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Destination {
    /// A named container port of a component's pods.
    Port { app: String, port: String },
    /// The metrics port of every scrape job that targets pods of this stack.
    ScrapeTargets,
    /// The port behind every datasource's Service.
    Datasources,
    /// The port behind the Services of the datasources of one kind (Jaeger's Monitor tab
    /// reads the metrics datasource only).
    Datasource(crate::model::endpoints::DatasourceKind),
    /// The port behind the alert receiver's Service.
    AlertReceiver,
    /// The port behind every exposed UI's Service (`contrib::Exposure`).
    Exposures,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Flow {
    pub from: Peer,
    pub to: Destination,
    /// Why, in a few words; written on the NetworkPolicy rule's policy.
    pub why: String,
}

impl Flow {
    pub fn new(from: Peer, to: Destination, why: &str) -> Flow {
        Flow {
            from,
            to,
            why: why.into(),
        }
    }
}
