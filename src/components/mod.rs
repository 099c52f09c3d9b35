//! Stage 3: one folder (or file) per component. A component owns its profile table (settings
//! with their defaults), states what it contributes to the others (`contrib::Contributions`:
//! scrape jobs, rules, dashboards, datasources, Secrets, flows, needs), and builds typed
//! objects. It does no I/O and never reads another component's settings: what crosses
//! components goes through the contributions, which Prometheus, Grafana, the derive stage and
//! validation collect.
//!
//! Adding a component: write its folder, add its `mod` line and one line to `ALL`.

mod access;
mod alertmanager;
mod applications;
mod dapr;
pub(crate) mod elasticsearch;
pub(crate) mod grafana;
mod jaeger;
mod kafka;
mod kube_state_metrics;
mod kubelet;
mod log_agent;
mod loki;
mod namespace;
mod node_exporter;
mod prometheus;
mod slo;
mod thanos;

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use std::panic::AssertUnwindSafe;

use crate::contrib::{Collected, Contributions, RuleGroup};
use crate::k8s::meta::App;
use crate::k8s::{Manifest, Object, Part};
use crate::model::{Document, Problem, Stack, Typed};
use crate::templates::Templates;

/// What a component's `build` may look at: the stack, and what every enabled component
/// contributes (its own contributions included).
pub struct Context<'a> {
    pub stack: &'a Stack,
    pub collected: &'a Collected,
    pub templates: &'a Templates,
}

impl<'a> Context<'a> {
    /// Identity (labels, namespace) of one program of this stack.
    pub fn app(&self, name: &'a str, component: &'a str) -> App<'a> {
        App {
            name,
            component,
            instance: self.stack.name.as_str(),
            namespace: self.stack.namespace.as_str(),
        }
    }
}

pub trait Component: DeserializeOwned + schemars::JsonSchema + Send + Sync + 'static {
    /// The profile table, e.g. `kube_state_metrics`.
    const NAME: &'static str;
    /// The output file (without `.yaml`) when rendering to a directory.
    const FILE: &'static str;

    fn enabled(&self) -> bool {
        true
    }

    /// Value checks that types cannot express (requests ≤ limits, ranges, combinations).
    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        Vec::new()
    }

    /// What this component contributes to the others (only asked when it is enabled).
    fn contribute(&self, _stack: &Stack) -> Contributions {
        Contributions::default()
    }

    /// Rule groups that read what every component contributed (Prometheus' `up` alert over
    /// every job of the stack). They join this component's contributions before build, so
    /// the rule files, validation and runbooks see them like any other group.
    fn derived_rule_groups(&self, _stack: &Stack, _collected: &Collected) -> Vec<RuleGroup> {
        Vec::new()
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>>;
}

/// A component with its settings type erased, as the pipeline handles it.
pub trait Resolved: Send + Sync {
    fn name(&self) -> &'static str;
    fn file(&self) -> &'static str;
    fn enabled(&self) -> bool;
    fn check(&self, stack: &Stack) -> Vec<Problem>;
    fn contribute(&self, stack: &Stack) -> Contributions;
    fn derived_rule_groups(&self, stack: &Stack, collected: &Collected) -> Vec<RuleGroup>;
    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>>;
}

impl<C: Component> Resolved for C {
    fn name(&self) -> &'static str {
        C::NAME
    }
    fn file(&self) -> &'static str {
        C::FILE
    }
    fn enabled(&self) -> bool {
        Component::enabled(self)
    }
    fn check(&self, stack: &Stack) -> Vec<Problem> {
        Component::check(self, stack)
    }
    fn contribute(&self, stack: &Stack) -> Contributions {
        Component::contribute(self, stack)
    }
    fn derived_rule_groups(&self, stack: &Stack, collected: &Collected) -> Vec<RuleGroup> {
        Component::derived_rule_groups(self, stack, collected)
    }
    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        Component::build(self, cx)
    }
}

/// A registry entry: the component's table name, how to read its settings, and their schema.
pub struct Entry {
    pub name: &'static str,
    pub resolve: fn(&Document<'_>) -> Typed<Box<dyn Resolved>>,
    pub schema: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

const fn entry<C: Component>() -> Entry {
    Entry {
        name: C::NAME,
        resolve: resolve::<C>,
        schema: schema::<C>,
    }
}

fn schema<C: Component>(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<C>()
}

fn resolve<C: Component>(doc: &Document<'_>) -> Typed<Box<dyn Resolved>> {
    Ok(Box::new(doc.section::<C>(C::NAME)?))
}

/// Every component, in apply order (the namespace first).
pub const ALL: &[Entry] = &[
    entry::<namespace::Namespace>(),
    entry::<prometheus::Prometheus>(),
    entry::<thanos::Thanos>(),
    entry::<alertmanager::Alertmanager>(),
    entry::<kube_state_metrics::KubeStateMetrics>(),
    entry::<grafana::Grafana>(),
    entry::<node_exporter::NodeExporter>(),
    entry::<applications::Applications>(),
    entry::<kubelet::Kubelet>(),
    entry::<dapr::Dapr>(),
    entry::<kafka::Kafka>(),
    entry::<loki::Loki>(),
    entry::<log_agent::LogAgent>(),
    entry::<elasticsearch::Elasticsearch>(),
    entry::<jaeger::Jaeger>(),
    entry::<access::Access>(),
    entry::<slo::Slos>(),
];

/// What every enabled component contributes, in registry order.
pub fn collect(components: &[Box<dyn Resolved>], stack: &Stack) -> Collected {
    let enabled: Vec<&dyn Resolved> = components
        .iter()
        .filter(|c| c.enabled())
        .map(|c| c.as_ref())
        .collect();
    let mut collected = Collected {
        by_component: enabled
            .iter()
            .map(|c| (c.name(), c.contribute(stack)))
            .collect(),
    };
    // Second pass: groups over everything the first pass contributed.
    let derived: Vec<Vec<RuleGroup>> = enabled
        .iter()
        .map(|c| c.derived_rule_groups(stack, &collected))
        .collect();
    for ((_, contributions), groups) in collected.by_component.iter_mut().zip(derived) {
        contributions.rule_groups.extend(groups);
    }
    collected
}

/// Builds every enabled component; objects are sorted by kind rank, then name, within each part.
/// Components are independent of each other, so they build in parallel on the thread pool
/// (`crate::parallel`); the parts are collected in registry order, so the output does not
/// depend on scheduling. A
/// component that renders no objects (the monitored applications) has no part.
pub fn build_all(components: &[Box<dyn Resolved>], cx: &Context<'_>) -> anyhow::Result<Manifest> {
    let enabled: Vec<&dyn Resolved> = components
        .iter()
        .filter(|c| c.enabled())
        .map(|c| c.as_ref())
        .collect();
    // Components build in parallel; the first error in registration order is reported, and a
    // panic (a bug) becomes an error.
    let built: Vec<anyhow::Result<Part>> = std::panic::catch_unwind(AssertUnwindSafe(|| {
        enabled.par_iter().map(|c| build_one(*c, cx)).collect()
    }))
    .map_err(|_| anyhow::anyhow!("a component builder panicked"))?;
    let parts: Vec<Part> = built.into_iter().collect::<anyhow::Result<_>>()?;
    Ok(Manifest {
        parts: parts
            .into_iter()
            .filter(|p| !p.objects.is_empty())
            .collect(),
    })
}

fn build_one(c: &dyn Resolved, cx: &Context<'_>) -> anyhow::Result<Part> {
    let mut objects = c
        .build(cx)
        .map_err(|e| e.context(format!("building component `{}`", c.name())))?;
    objects.sort_by(|a, b| (a.rank(), a.name()).cmp(&(b.rank(), b.name())));
    Ok(Part {
        component: c.name(),
        file: c.file(),
        objects,
    })
}

/// A container's requests and limits in Kubernetes' form.
pub(crate) fn pod_resources(
    r: &crate::model::Resources,
) -> k8s_openapi::api::core::v1::ResourceRequirements {
    let (requests, limits) = r.quantities();
    crate::k8s::pod::resource_requirements(requests, limits)
}
