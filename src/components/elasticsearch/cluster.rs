//! Elasticsearch as a cluster: with `nodes` ≥ 2 every node is master-eligible and holds data,
//! finds the others through a headless transport Service that publishes pods before they are
//! ready (a node is ready only once the cluster has formed), and the first start bootstraps
//! from the StatefulSet's pod names (`cluster.initial_master_nodes`). With security on,
//! Elasticsearch requires TLS between nodes (its production-mode bootstrap check), so the
//! certificates come from an existing Secret. Jaeger's indices get one replica, so a node may
//! fail without losing spans.

use super::{Elasticsearch, IssuerKind, KEY, NAME};
use crate::contrib::{Prerequisite, SecretKey, SecretRef, ValueFormat};
use crate::diag::Code;
use crate::k8s::meta::App;
use crate::k8s::object::CustomObject;
use crate::model::{Problem, Stack};

/// The headless Service nodes discover each other through.
pub const TRANSPORT_SERVICE: &str = "elasticsearch-transport";
pub const TRANSPORT_PORT_NAME: &str = "transport";
pub const TRANSPORT_PORT: i32 = 9300;
/// Where the transport certificates are mounted, inside the config directory (Elasticsearch
/// reads key material only from there).
pub const CERTS_DIR: &str = "certs";
/// The Certificate cert-manager issues when `transport_tls.issuer` is set, and its Secret.
const CERTIFICATE: &str = "elasticsearch-transport";
const ISSUED_SECRET: &str = "elasticsearch-transport-tls";

impl Elasticsearch {
    /// More than one node.
    pub(super) fn clustered(&self) -> bool {
        self.nodes > 1
    }

    /// Replicas of Jaeger's indices: 1 on a cluster, 0 on one node (unless set).
    pub(super) fn index_replicas(&self) -> i32 {
        self.index_replicas
            .unwrap_or(if self.clustered() { 1 } else { 0 })
    }

    /// The transport TLS settings in use: a cluster with security on.
    fn transport_tls_in_use(&self) -> Option<&super::TransportTls> {
        self.transport_tls
            .as_ref()
            .filter(|_| self.clustered() && self.password.is_some())
    }

    /// The Secret holding the transport certificates: the user's, or the one cert-manager
    /// issues for the rendered Certificate.
    pub(super) fn transport_tls_secret(&self) -> Option<&str> {
        let tls = self.transport_tls_in_use()?;
        match (&tls.secret, &tls.issuer) {
            (Some(secret), _) => Some(secret.as_str()),
            (None, Some(_)) => Some(ISSUED_SECRET),
            (None, None) => None,
        }
    }

    /// The issuer signing the transport certificate, when cert-manager provides it.
    fn issuer(&self) -> Option<(&str, IssuerKind)> {
        let tls = self.transport_tls_in_use()?;
        match (&tls.secret, &tls.issuer) {
            (None, Some(issuer)) => Some((issuer.as_str(), tls.issuer_kind)),
            _ => None,
        }
    }

    /// What cert-manager needs to exist: its CRD, its controller and the issuer.
    pub(super) fn cert_manager_prerequisites(&self) -> Vec<Prerequisite> {
        let Some((issuer, kind)) = self.issuer() else {
            return Vec::new();
        };
        let why = "the transport certificate is a cert-manager Certificate (elasticsearch.transport_tls.issuer)";
        vec![
            Prerequisite {
                kind: "CustomResourceDefinition".into(),
                name: "certificates.cert-manager.io".into(),
                why: why.into(),
            },
            Prerequisite {
                kind: "controller".into(),
                name: "cert-manager".into(),
                why: "it issues and renews the transport certificate's Secret".into(),
            },
            Prerequisite {
                kind: format!("{kind:?}"),
                name: issuer.into(),
                why: "it signs the transport certificate (its CA must put ca.crt in the Secret: a CA or Vault issuer)".into(),
            },
        ]
    }

    /// The cert-manager Certificate of the transport layer (cert-manager.io/v1, CRD of
    /// cert-manager v1.21.1): one certificate for every node, valid for client and server.
    pub(super) fn certificate(&self, app: &App<'_>) -> Option<CustomObject> {
        let (issuer, kind) = self.issuer()?;
        let ns = app.namespace;
        Some(CustomObject {
            api_version: "cert-manager.io/v1".into(),
            kind: "Certificate".into(),
            metadata: app.meta(CERTIFICATE),
            spec: serde_json::json!({
                "secretName": ISSUED_SECRET,
                "commonName": CERTIFICATE,
                "dnsNames": [
                    TRANSPORT_SERVICE,
                    format!("{TRANSPORT_SERVICE}.{ns}.svc"),
                    format!("*.{NAME}.{ns}.svc"),
                ],
                "usages": ["digital signature", "key encipherment", "server auth", "client auth"],
                "issuerRef": {
                    "group": "cert-manager.io",
                    "kind": format!("{kind:?}"),
                    "name": issuer,
                },
            }),
        })
    }

    /// The Secret with the transport certificates, as `monstack secrets` lists it (none when
    /// cert-manager writes it).
    pub(super) fn transport_secret(&self, stack: &Stack) -> Option<SecretRef> {
        let file = |key: &str, holds: &str| SecretKey::plain(key, holds).hashed(ValueFormat::File);
        let name = self.transport_tls_in_use()?.secret.as_ref()?.as_str();
        Some(SecretRef {
            name: name.into(),
            namespace: stack.namespace.to_string(),
            keys: vec![
                file("tls.crt", "node certificate"),
                file("tls.key", "node private key"),
                file("ca.crt", "CA certificate"),
            ],
            profile_key: format!("{KEY}.transport_tls.secret"),
            optional: false,
        })
    }

    /// `elasticsearch-0,elasticsearch-1,...`: the StatefulSet's pod names, which are the node
    /// names, so the first start elects a master among exactly these.
    pub(super) fn initial_master_nodes(&self) -> String {
        (0..self.nodes)
            .map(|i| format!("{NAME}-{i}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

pub fn problems(e: &Elasticsearch) -> Vec<Problem> {
    let mut out = Vec::new();
    if e.clustered() && e.nodes % 2 == 0 {
        out.push(Problem::warning(
            format!("{KEY}.nodes"),
            Code::EvenMasterNodes,
            format!(
                "{} master-eligible nodes elect a master with {} votes: they survive as many failures as {} nodes do",
                e.nodes,
                e.nodes / 2 + 1,
                e.nodes - 1
            ),
            format!("run an odd number of nodes: {} or {}", e.nodes - 1, e.nodes + 1),
        ));
    }
    let replicas = e.index_replicas();
    if replicas < 0 || replicas >= e.nodes {
        out.push(Problem::error(
            format!("{KEY}.index_replicas"),
            Code::IndexReplicasAboveNodes,
            format!(
                "index_replicas = {replicas} on {} node(s): a replica is never placed on its primary's node, so some stay unassigned and the cluster stays yellow",
                e.nodes
            ),
            format!(
                "set elasticsearch.index_replicas between 0 and {} (1 on a cluster), or add nodes",
                e.nodes - 1
            ),
        ));
    }
    if let Some(tls) = &e.transport_tls
        && tls.secret.is_some() == tls.issuer.is_some()
    {
        out.push(Problem::error(
            format!("{KEY}.transport_tls"),
            Code::InvalidValue,
            "transport_tls names both or neither of `secret` and `issuer`",
            "set transport_tls = { secret = \"NAME\" } for certificates you create, or { issuer = \"NAME\" } for a cert-manager issuer",
        ));
    }
    if e.clustered() && e.password.is_some() && e.transport_tls.is_none() {
        out.push(Problem::error(
            format!("{KEY}.nodes"),
            Code::TransportTlsMissing,
            format!(
                "{} nodes with security on (elasticsearch.password) need TLS between nodes: Elasticsearch refuses to form the cluster without it",
                e.nodes
            ),
            "create the certificates (`elasticsearch-certutil ca --pem` then `elasticsearch-certutil cert --pem --ca-cert ca/ca.crt --ca-key ca/ca.key`), store them in a Secret with tls.crt, tls.key and ca.crt, and set elasticsearch.transport_tls = { secret = \"NAME\" } (`monstack secrets` prints the command), or let cert-manager issue them: transport_tls = { issuer = \"NAME\" }",
        ));
    }
    out
}
