//! What a rendered stack asks of the cluster and what it costs a month (`monstack cost`).
//! Computed from the rendered objects, like a derive step: every workload's pod template ×
//! its replicas (a DaemonSet × `stack.nodes`, a CronJob as one pod), and every StatefulSet's
//! volume claim templates × its replicas. A component added later is counted without a
//! change here. Object storage comes from the capacity model (it is no rendered object).
//! Prices come from `[stack.pricing]`; CPU and memory are priced by their requests, which
//! is what the scheduler reserves on the nodes you pay for.

pub mod report;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{PodSpec, ResourceRequirements};
use serde::Serialize;

use crate::capacity;
use crate::contrib::capacity::GIB;
use crate::k8s::{Manifest, Object};
use crate::model::Quantity;
use crate::model::pricing::Pricing;
use crate::pipeline::Compilation;

/// Resources of a set of pods: CPU in cores, memory and storage in GiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Usage {
    pub pods: u32,
    pub cpu_requests: f64,
    pub cpu_limits: f64,
    pub memory_requests_gib: f64,
    pub memory_limits_gib: f64,
    /// Persistent volumes (block storage).
    pub volumes_gib: f64,
}

impl Usage {
    fn add(&mut self, other: &Usage) {
        self.pods += other.pods;
        self.cpu_requests += other.cpu_requests;
        self.cpu_limits += other.cpu_limits;
        self.memory_requests_gib += other.memory_requests_gib;
        self.memory_limits_gib += other.memory_limits_gib;
        self.volumes_gib += other.volumes_gib;
    }

    /// Monthly cost of the requests and volumes.
    pub fn monthly(&self, pricing: &Pricing) -> Monthly {
        Monthly {
            cpu: self.cpu_requests * pricing.vcpu_month.get(),
            memory: self.memory_requests_gib * pricing.memory_gib_month.get(),
            volumes: self.volumes_gib * pricing.block_gib_month.get(),
            object_storage: 0.0,
        }
    }
}

/// A month's cost by resource.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Monthly {
    pub cpu: f64,
    pub memory: f64,
    pub volumes: f64,
    pub object_storage: f64,
}

impl Monthly {
    pub fn total(&self) -> f64 {
        self.cpu + self.memory + self.volumes + self.object_storage
    }
}

/// One component's share.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentCost {
    pub component: &'static str,
    #[serde(flatten)]
    pub usage: Usage,
    pub monthly: f64,
}

/// The cost of one compiled profile.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub profile: String,
    pub nodes: u32,
    pub pricing: Pricing,
    pub components: Vec<ComponentCost>,
    /// Data the capacity model puts in object storage, GiB.
    pub object_storage_gib: f64,
    pub totals: Usage,
    pub monthly: Monthly,
}

/// The estimate of a compiled profile, named `profile` in reports.
pub fn estimate(profile: &str, c: &Compilation) -> anyhow::Result<Estimate> {
    let nodes = c.stack.nodes.get();
    let pricing = c.stack.pricing.clone();
    let components = usage_by_component(&c.manifest, nodes)?
        .into_iter()
        .map(|(component, usage)| ComponentCost {
            component,
            monthly: usage.monthly(&pricing).total(),
            usage,
        })
        .collect::<Vec<_>>();
    let mut totals = Usage::default();
    for c in &components {
        totals.add(&c.usage);
    }
    let object_storage_gib = capacity::object_storage_bytes(&c.collected) / GIB;
    let monthly = Monthly {
        object_storage: object_storage_gib * pricing.object_gib_month.get(),
        ..totals.monthly(&pricing)
    };
    Ok(Estimate {
        profile: profile.to_string(),
        nodes,
        pricing,
        components,
        object_storage_gib,
        totals,
        monthly,
    })
}

/// Usage of every part (component or derived) that runs pods or claims volumes, in apply order.
pub fn usage_by_component(
    manifest: &Manifest,
    nodes: u32,
) -> anyhow::Result<Vec<(&'static str, Usage)>> {
    let mut out = Vec::new();
    for part in &manifest.parts {
        let mut usage = Usage::default();
        for object in &part.objects {
            let u = workload_usage(object, nodes)
                .with_context(|| format!("counting the resources of {}", object.id()))?;
            usage.add(&u);
        }
        if usage != Usage::default() {
            out.push((part.component, usage));
        }
    }
    Ok(out)
}

/// Pods a workload runs: its replicas, one per node for a DaemonSet, one for a CronJob.
fn pod_count(object: &Object, nodes: u32) -> u32 {
    let replicas = |r: Option<i32>| u32::try_from(r.unwrap_or(1)).unwrap_or(0);
    match object {
        Object::StatefulSet(o) => replicas(o.spec.as_ref().and_then(|s| s.replicas)),
        Object::Deployment(o) => replicas(o.spec.as_ref().and_then(|s| s.replicas)),
        Object::DaemonSet(_) => nodes,
        Object::CronJob(_) => 1,
        _ => 0,
    }
}

fn workload_usage(object: &Object, nodes: u32) -> anyhow::Result<Usage> {
    let Some(spec) = object.pod_template().and_then(|t| t.spec.as_ref()) else {
        return Ok(Usage::default());
    };
    let pods = pod_count(object, nodes);
    let pod = pod_resources(spec)?;
    let volume_gib = match object {
        Object::StatefulSet(s) => claim_templates_gib(s)?,
        _ => 0.0,
    };
    let n = f64::from(pods);
    Ok(Usage {
        pods,
        cpu_requests: pod.cpu_requests * n,
        cpu_limits: pod.cpu_limits * n,
        memory_requests_gib: pod.memory_requests_gib * n,
        memory_limits_gib: pod.memory_limits_gib * n,
        volumes_gib: volume_gib * n,
    })
}

/// GiB one replica of a StatefulSet claims.
fn claim_templates_gib(s: &k8s_openapi::api::apps::v1::StatefulSet) -> anyhow::Result<f64> {
    let mut total = 0.0;
    let templates = s
        .spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.as_ref());
    for pvc in templates.into_iter().flatten() {
        let size = pvc
            .spec
            .as_ref()
            .and_then(|s| s.resources.as_ref())
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage"));
        if let Some(size) = size {
            total += quantity(&size.0)? / GIB;
        }
    }
    Ok(total)
}

/// What one pod reserves, as the scheduler counts it: the containers (and sidecar init
/// containers) summed, or the largest init container if that is more.
fn pod_resources(spec: &PodSpec) -> anyhow::Result<Usage> {
    let mut running = Usage::default();
    let mut init_peak = Usage::default();
    for c in &spec.containers {
        running.add(&container_resources(c.resources.as_ref())?);
    }
    for c in spec.init_containers.iter().flatten() {
        let r = container_resources(c.resources.as_ref())?;
        if c.restart_policy.as_deref() == Some("Always") {
            running.add(&r);
        } else {
            init_peak = Usage {
                cpu_requests: init_peak.cpu_requests.max(r.cpu_requests),
                cpu_limits: init_peak.cpu_limits.max(r.cpu_limits),
                memory_requests_gib: init_peak.memory_requests_gib.max(r.memory_requests_gib),
                memory_limits_gib: init_peak.memory_limits_gib.max(r.memory_limits_gib),
                ..init_peak
            };
        }
    }
    Ok(Usage {
        pods: 1,
        cpu_requests: running.cpu_requests.max(init_peak.cpu_requests),
        cpu_limits: running.cpu_limits.max(init_peak.cpu_limits),
        memory_requests_gib: running
            .memory_requests_gib
            .max(init_peak.memory_requests_gib),
        memory_limits_gib: running.memory_limits_gib.max(init_peak.memory_limits_gib),
        volumes_gib: 0.0,
    })
}

fn container_resources(r: Option<&ResourceRequirements>) -> anyhow::Result<Usage> {
    let get = |map: Option<
        &std::collections::BTreeMap<
            String,
            k8s_openapi::apimachinery::pkg::api::resource::Quantity,
        >,
    >,
               name: &str|
     -> anyhow::Result<f64> {
        match map.and_then(|m| m.get(name)) {
            Some(q) => quantity(&q.0),
            None => Ok(0.0),
        }
    };
    let requests = r.and_then(|r| r.requests.as_ref());
    let limits = r.and_then(|r| r.limits.as_ref());
    Ok(Usage {
        pods: 0,
        cpu_requests: get(requests, "cpu")?,
        cpu_limits: get(limits, "cpu")?,
        memory_requests_gib: get(requests, "memory")? / GIB,
        memory_limits_gib: get(limits, "memory")? / GIB,
        volumes_gib: 0.0,
    })
}

fn quantity(text: &str) -> anyhow::Result<f64> {
    Quantity::parse(text)
        .map(|q| q.value())
        .map_err(|e| anyhow::anyhow!("invariant: a rendered quantity parses: {e}"))
}
