//! Stage 3b: objects that depend on the whole stack, derived after every component has built,
//! from the built objects and the contributions — never typed again. Each step is one file and
//! returns the part (output file) it adds, or nothing when the profile turns it off.
//!
//! Steps: NetworkPolicies from the declared flows; routes from outside to the exposed UIs;
//! PodDisruptionBudgets for the replicated workloads; ResourceQuotas and LimitRanges from the
//! pods' requests and limits; `placement` sets where every pod runs (it changes the
//! components' pod templates instead of adding a part).

pub mod access;
pub mod disruption_budgets;
pub mod network_policies;
pub mod placement;
pub mod quotas;

use crate::contrib::Collected;
use crate::k8s::{Manifest, Part};
use crate::model::Stack;

/// The derived parts, in apply order after the components' own.
pub fn parts(manifest: &Manifest, collected: &Collected, stack: &Stack) -> Vec<Part> {
    let mut parts = Vec::new();
    if stack.network_policies {
        parts.push(network_policies::part(manifest, collected, stack));
    }
    parts.extend(access::part(collected, stack));
    parts.push(disruption_budgets::part(manifest));
    if stack.resource_quotas {
        parts.push(quotas::part(manifest, stack));
    }
    parts.retain(|p| !p.objects.is_empty());
    parts
}
