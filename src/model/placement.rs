//! `[stack.placement]`: which nodes the stack's pods run on (the seed's "use spot
//! instances"). A default for every pod, and entries per component (its profile table name)
//! that replace the default for that component's pods. `derive::placement` applies them to
//! every rendered pod template; a stateful store placed on nodes marked `spot` is warned about.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[stack.placement]`: the default placement, and one per component.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Placement {
    /// Node labels every pod requires (`nodeSelector`), e.g.
    /// `{ "doks.digitalocean.com/node-pool" = "monitoring" }`.
    pub node_selector: BTreeMap<String, String>,
    /// Taints every pod tolerates.
    pub tolerations: Vec<Toleration>,
    /// The selected nodes may be taken away at any time (spot or preemptible nodes).
    pub spot: bool,
    /// Node labels every pod prefers (node affinity, preferred): it runs elsewhere when no
    /// such node has room, e.g. a spot pool with the regular pool as fallback.
    pub prefer_node_labels: BTreeMap<String, String>,
    /// Per component (its profile table, e.g. `grafana`): replaces the default for its pods.
    pub components: BTreeMap<String, PodPlacement>,
}

/// Where one component's pods run.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PodPlacement {
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    pub spot: bool,
    pub prefer_node_labels: BTreeMap<String, String>,
}

/// A Kubernetes toleration.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    pub key: String,
    /// `Equal` (default) or `Exists` (any value).
    #[serde(default)]
    pub operator: Operator,
    #[serde(default)]
    pub value: String,
    /// The taint's effect; all effects when unset.
    pub effect: Option<Effect>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Deserialize,
    Serialize,
    schemars::JsonSchema,
)]
pub enum Operator {
    #[default]
    Equal,
    Exists,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, schemars::JsonSchema,
)]
pub enum Effect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl Placement {
    /// The placement of `component`'s pods and the profile key it comes from.
    pub fn of(&self, component: &str) -> (PodPlacement, String) {
        match self.components.get(component) {
            Some(p) => (p.clone(), format!("stack.placement.components.{component}")),
            None => (
                PodPlacement {
                    node_selector: self.node_selector.clone(),
                    tolerations: self.tolerations.clone(),
                    spot: self.spot,
                    prefer_node_labels: self.prefer_node_labels.clone(),
                },
                "stack.placement".into(),
            ),
        }
    }

    /// Every toleration any placement names: node agents run on every node, so they
    /// tolerate what keeps other pods off some nodes.
    pub fn all_tolerations(&self) -> Vec<Toleration> {
        let mut all: Vec<Toleration> = self
            .tolerations
            .iter()
            .chain(self.components.values().flat_map(|p| p.tolerations.iter()))
            .cloned()
            .collect();
        all.sort();
        all.dedup();
        all
    }
}
