//! Where pods run: `[stack.placement]` (node selector, tolerations, preferred node labels)
//! applied to every rendered pod template, so every component (and every component added
//! later) gets it without calling anything. A component's entry replaces the default for its
//! pods. Node agents (DaemonSets) must run on every node: they get no node selector or
//! preference and tolerate every taint any placement tolerates. Also the placement's profile
//! problems: an entry for no component, and a store of the capacity model (a component with
//! volumes of data) on nodes marked `spot`.

use k8s_openapi::api::core::v1::{
    NodeAffinity, NodeSelectorRequirement, NodeSelectorTerm, PreferredSchedulingTerm,
    Toleration as K8sToleration,
};

use crate::components;
use crate::contrib::Collected;
use crate::diag::{Code, did_you_mean};
use crate::k8s::{Manifest, Object};
use crate::model::placement::{Effect, Operator, Placement, Toleration};
use crate::model::{Problem, Stack};

/// Sets node selectors and tolerations on every pod template of the manifest.
pub fn apply(manifest: &mut Manifest, stack: &Stack) {
    let placement = &stack.placement;
    for part in &mut manifest.parts {
        let (pods, _) = placement.of(part.component);
        for object in &mut part.objects {
            let node_agent = matches!(object, Object::DaemonSet(_));
            let Some(spec) = object.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
                continue;
            };
            let (selector, tolerations) = if node_agent {
                (Default::default(), placement.all_tolerations())
            } else {
                (pods.node_selector.clone(), pods.tolerations.clone())
            };
            if !selector.is_empty() {
                // Labels a component requires itself (`kubernetes.io/os`) stay.
                spec.node_selector
                    .get_or_insert_with(Default::default)
                    .extend(selector);
            }
            if !node_agent && !pods.prefer_node_labels.is_empty() {
                // Beside any pod anti-affinity the component sets itself.
                spec.affinity
                    .get_or_insert_with(Default::default)
                    .node_affinity = Some(preferred(&pods.prefer_node_labels));
            }
            let tolerates_all = spec.tolerations.iter().flatten().any(|t| {
                t.key.is_none() && t.operator.as_deref() == Some("Exists") && t.effect.is_none()
            });
            if !tolerations.is_empty() && !tolerates_all {
                let mut all = spec.tolerations.take().unwrap_or_default();
                all.extend(tolerations.iter().map(toleration));
                spec.tolerations = Some(all);
            }
        }
    }
}

/// A node affinity that prefers nodes carrying every one of `labels`.
fn preferred(labels: &std::collections::BTreeMap<String, String>) -> NodeAffinity {
    NodeAffinity {
        preferred_during_scheduling_ignored_during_execution: Some(vec![PreferredSchedulingTerm {
            weight: 100,
            preference: NodeSelectorTerm {
                match_expressions: Some(
                    labels
                        .iter()
                        .map(|(key, value)| NodeSelectorRequirement {
                            key: key.clone(),
                            operator: "In".into(),
                            values: Some(vec![value.clone()]),
                        })
                        .collect(),
                ),
                ..NodeSelectorTerm::default()
            },
        }]),
        ..NodeAffinity::default()
    }
}

fn toleration(t: &Toleration) -> K8sToleration {
    K8sToleration {
        key: Some(t.key.clone()),
        operator: Some(
            match t.operator {
                Operator::Equal => "Equal",
                Operator::Exists => "Exists",
            }
            .into(),
        ),
        value: (t.operator == Operator::Equal).then(|| t.value.clone()),
        effect: t.effect.map(|e| {
            match e {
                Effect::NoSchedule => "NoSchedule",
                Effect::PreferNoSchedule => "PreferNoSchedule",
                Effect::NoExecute => "NoExecute",
            }
            .into()
        }),
        toleration_seconds: None,
    }
}

/// Entries naming no component (errors), and stores placed on spot nodes (warnings).
pub fn problems(stack: &Stack, collected: &Collected) -> Vec<Problem> {
    let placement = &stack.placement;
    let known: Vec<&str> = components::ALL.iter().map(|e| e.name).collect();
    let mut problems: Vec<Problem> = placement
        .components
        .keys()
        .filter(|name| !known.contains(&name.as_str()))
        .map(|name| {
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("the components are: {}", known.join(", ")),
            };
            Problem::error(
                format!("stack.placement.components.{name}"),
                Code::UnknownKey,
                format!("`{name}` in [stack.placement.components] is not a component"),
                help,
            )
        })
        .collect();
    problems.extend(stores_on_spot(placement, collected));
    problems
}

/// A store keeps the stack's history on its volumes; on nodes that may vanish at any
/// moment it restarts often, and every restart replays its WAL and stops ingesting.
fn stores_on_spot(placement: &Placement, collected: &Collected) -> Vec<Problem> {
    let mut stores: Vec<(&str, &str)> = collected.disks().map(|(c, d)| (c, d.store)).collect();
    stores.dedup();
    stores
        .into_iter()
        .filter_map(|(component, store)| {
            let (pods, key) = placement.of(component);
            pods.spot.then(|| {
                Problem::warning(
                    format!("{key}.spot"),
                    Code::StoreOnSpot,
                    format!(
                        "{store} keeps data on volumes but is placed on spot nodes ({key}): every reclaimed node restarts it, which replays its WAL and pauses ingestion"
                    ),
                    format!(
                        "give `{component}` an entry in [stack.placement.components] on regular nodes; spot nodes suit stateless pods (Grafana, Jaeger collector and query)"
                    ),
                )
            })
        })
        .collect()
}
