//! A PodDisruptionBudget for every workload that runs more than one replica, derived from the
//! built Deployments and StatefulSets: its selector is the workload's own, so it selects
//! exactly that workload's pods, and a component added later gets one without asking.
//! Voluntary disruptions (node drains, cluster upgrades) then take at most one replica at a
//! time. A single replica gets none: a budget could only block drains or promise nothing.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::k8s::{Manifest, Object, Part};

/// The output part: one budget per multi-replica workload, in manifest order.
pub fn part(manifest: &Manifest) -> Part {
    Part {
        component: "disruption_budgets",
        file: "disruption-budgets",
        objects: manifest
            .objects()
            .filter_map(budget_for)
            .map(Object::from)
            .collect(),
    }
}

/// The workload's selector, when it runs more than one replica.
fn replicated_selector(o: &Object) -> Option<&LabelSelector> {
    let (replicas, selector) = match o {
        Object::Deployment(d) => d.spec.as_ref().map(|s| (s.replicas, &s.selector))?,
        Object::StatefulSet(s) => s.spec.as_ref().map(|s| (s.replicas, &s.selector))?,
        _ => return None,
    };
    (replicas.unwrap_or(1) > 1).then_some(selector)
}

fn budget_for(o: &Object) -> Option<PodDisruptionBudget> {
    let selector = replicated_selector(o)?;
    Some(PodDisruptionBudget {
        metadata: ObjectMeta {
            name: o.meta().name.clone(),
            namespace: o.meta().namespace.clone(),
            labels: o.meta().labels.clone(),
            ..ObjectMeta::default()
        },
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(selector.clone()),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::meta::App;
    use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};

    const APP: App<'static> = App {
        name: "web",
        component: "test",
        instance: "test",
        namespace: "ns",
    };

    fn deployment(replicas: i32) -> Object {
        Deployment {
            metadata: APP.meta("web"),
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                selector: APP.selector(),
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        }
        .into()
    }

    #[test]
    fn only_replicated_workloads_get_a_budget_with_their_own_selector() {
        assert!(budget_for(&deployment(1)).is_none());
        let budget = budget_for(&deployment(3)).expect("a budget for 3 replicas");
        assert_eq!(budget.metadata.name.as_deref(), Some("web"));
        assert_eq!(budget.metadata.namespace.as_deref(), Some("ns"));
        let spec = budget.spec.expect("a spec");
        assert_eq!(spec.selector, Some(APP.selector()));
        assert_eq!(spec.max_unavailable, Some(IntOrString::Int(1)));
        let unset: Object = StatefulSet {
            metadata: APP.meta("web"),
            spec: Some(StatefulSetSpec {
                replicas: None,
                selector: APP.selector(),
                ..StatefulSetSpec::default()
            }),
            ..StatefulSet::default()
        }
        .into();
        assert!(budget_for(&unset).is_none(), "unset replicas means one");
    }
}
