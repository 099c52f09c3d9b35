//! Stage 3: one file per component. A component owns its profile table (settings with their
//! defaults), states what it offers other components, and builds typed objects. It does no I/O
//! and never reads another component's settings: what crosses components goes through
//! `model::endpoints`.
//!
//! Adding a component: write its file, add its `mod` line and one line to `ALL`.

mod alertmanager;
pub(crate) mod grafana;
mod kube_state_metrics;
mod namespace;
mod prometheus;

use serde::de::DeserializeOwned;

use crate::k8s::Object;
use crate::k8s::meta::App;
use crate::model::endpoints::{Endpoints, Offer};
use crate::model::{Document, Problem, Stack, Typed};
use crate::templates::Templates;

/// What a component's `build` may look at.
pub struct Context<'a> {
    pub stack: &'a Stack,
    pub endpoints: &'a Endpoints,
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

    /// Addresses this component offers to the others.
    fn offers(&self, _stack: &Stack) -> Vec<Offer> {
        Vec::new()
    }

    /// Existing Secrets (created by the user, named in the profile) this component reads.
    fn external_secrets(&self) -> Vec<String> {
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
    fn offers(&self, stack: &Stack) -> Vec<Offer>;
    fn external_secrets(&self) -> Vec<String>;
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
    fn offers(&self, stack: &Stack) -> Vec<Offer> {
        Component::offers(self, stack)
    }
    fn external_secrets(&self) -> Vec<String> {
        Component::external_secrets(self)
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
    entry::<alertmanager::Alertmanager>(),
    entry::<kube_state_metrics::KubeStateMetrics>(),
    entry::<grafana::Grafana>(),
];

/// The objects one component built.
#[derive(Debug, Clone)]
pub struct Part {
    pub component: &'static str,
    pub file: &'static str,
    pub objects: Vec<Object>,
}

/// Everything the stack renders, grouped by component in apply order.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub parts: Vec<Part>,
}

impl Manifest {
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.parts.iter().flat_map(|p| p.objects.iter())
    }

    pub fn object_count(&self) -> usize {
        self.parts.iter().map(|p| p.objects.len()).sum()
    }
}

/// Collects the offers and external Secrets of every enabled component.
pub fn endpoints(components: &[Box<dyn Resolved>], stack: &Stack) -> Endpoints {
    let enabled = || components.iter().filter(|c| c.enabled());
    Endpoints {
        offers: enabled()
            .flat_map(|c| c.offers(stack).into_iter().map(|o| (c.name(), o)))
            .collect(),
        external_secrets: enabled().flat_map(|c| c.external_secrets()).collect(),
    }
}

/// Builds every enabled component; objects are sorted by kind rank, then name, within each part.
/// Components are independent of each other, so they build on parallel threads; the parts
/// are collected in registry order, so the output does not depend on scheduling.
pub fn build_all(components: &[Box<dyn Resolved>], cx: &Context<'_>) -> anyhow::Result<Manifest> {
    let built: Vec<anyhow::Result<Part>> = std::thread::scope(|s| {
        let handles: Vec<_> = components
            .iter()
            .filter(|c| c.enabled())
            .map(|c| s.spawn(move || build_one(c.as_ref(), cx)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a component builder panicked")))
            })
            .collect()
    });
    Ok(Manifest {
        parts: built.into_iter().collect::<anyhow::Result<_>>()?,
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
