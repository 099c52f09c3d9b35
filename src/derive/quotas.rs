//! ResourceQuota and LimitRange for every namespace the stack renders, computed from the built
//! workloads, never typed: the most pods each workload runs at once (replicas, plus the
//! rolling-update surge; a DaemonSet one pod per node, for `stack.nodes` nodes) times each pod's
//! requests and limits as Kubernetes counts them (init containers included), plus
//! `stack.quota_headroom_percent`. The StatefulSets' volume claims count the same way.
//!
//! The LimitRange gives a pod that states no resources (`kubectl run`, `kubectl debug`) the
//! smallest container's requests and limits, which the quota needs to admit it, and refuses a
//! container larger than the largest rendered one plus the headroom.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, LimitRange, LimitRangeItem, LimitRangeSpec, PodSpec, ResourceQuota,
    ResourceQuotaSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::k8s::meta::App;
use crate::k8s::{Manifest, Object, Part};
use crate::model::{Quantity, Stack};

/// The output part: a ResourceQuota and a LimitRange per namespace that runs pods.
pub fn part(manifest: &Manifest, stack: &Stack) -> Part {
    let headroom = stack.quota_headroom_percent.get();
    let mut objects = Vec::new();
    for (namespace, usage) in usage_by_namespace(manifest, stack.nodes.get()) {
        objects.push(resource_quota(&namespace, &usage, headroom, stack).into());
        objects.push(limit_range(&namespace, &usage, headroom, stack).into());
    }
    Part {
        component: "quotas",
        file: "quotas",
        objects,
    }
}

/// CPU in millicores and memory in bytes: whole numbers, so sums are exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuMemory {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
}

impl CpuMemory {
    fn add(self, o: CpuMemory) -> CpuMemory {
        CpuMemory {
            cpu_millis: self.cpu_millis + o.cpu_millis,
            memory_bytes: self.memory_bytes + o.memory_bytes,
        }
    }

    fn max(self, o: CpuMemory) -> CpuMemory {
        CpuMemory {
            cpu_millis: self.cpu_millis.max(o.cpu_millis),
            memory_bytes: self.memory_bytes.max(o.memory_bytes),
        }
    }

    fn min(self, o: CpuMemory) -> CpuMemory {
        CpuMemory {
            cpu_millis: self.cpu_millis.min(o.cpu_millis),
            memory_bytes: self.memory_bytes.min(o.memory_bytes),
        }
    }

    fn times(self, n: u64) -> CpuMemory {
        CpuMemory {
            cpu_millis: self.cpu_millis * n,
            memory_bytes: self.memory_bytes * n,
        }
    }
}

/// What one namespace's pods need at most at once.
#[derive(Debug, Clone, Default)]
struct Usage {
    pods: u64,
    requests: CpuMemory,
    limits: CpuMemory,
    claims: u64,
    storage_bytes: u64,
    /// Per container, for the LimitRange.
    smallest_requests: Option<CpuMemory>,
    smallest_limits: Option<CpuMemory>,
    largest_limits: CpuMemory,
}

fn usage_by_namespace(manifest: &Manifest, nodes: u32) -> BTreeMap<String, Usage> {
    let mut by_namespace: BTreeMap<String, Usage> = manifest
        .objects()
        .filter(|o| matches!(o, Object::Namespace(_)))
        .map(|o| (o.name().to_string(), Usage::default()))
        .collect();
    for o in manifest.objects() {
        let (Some(spec), Some(namespace)) = (
            o.pod_template().and_then(|t| t.spec.as_ref()),
            o.namespace(),
        ) else {
            continue;
        };
        let Some(usage) = by_namespace.get_mut(namespace) else {
            continue;
        };
        let pods = most_pods(o, nodes);
        usage.pods += pods;
        usage.requests = usage
            .requests
            .add(pod_amount(spec, Kind::Requests).times(pods));
        usage.limits = usage.limits.add(pod_amount(spec, Kind::Limits).times(pods));
        let (claims, bytes) = claims_per_pod(o);
        let replicas = replicas(o, nodes);
        usage.claims += claims * replicas;
        usage.storage_bytes += bytes * replicas;
        for c in containers(spec) {
            let (requests, limits) = (amount(c, Kind::Requests), amount(c, Kind::Limits));
            usage.smallest_requests = Some(
                usage
                    .smallest_requests
                    .map_or(requests, |s| s.min(requests)),
            );
            usage.smallest_limits = Some(usage.smallest_limits.map_or(limits, |s| s.min(limits)));
            usage.largest_limits = usage.largest_limits.max(limits);
        }
    }
    by_namespace.retain(|_, u| u.pods > 0);
    by_namespace
}

/// The pods a workload wants: its replicas, one per node for a DaemonSet, one run of a CronJob
/// (times its parallelism).
pub fn replicas(o: &Object, nodes: u32) -> u64 {
    let count = |n: Option<i32>| u64::try_from(n.unwrap_or(1)).unwrap_or(0);
    match o {
        Object::Deployment(d) => count(d.spec.as_ref().and_then(|s| s.replicas)),
        Object::StatefulSet(s) => count(s.spec.as_ref().and_then(|s| s.replicas)),
        Object::DaemonSet(_) => u64::from(nodes),
        Object::CronJob(c) => {
            let job = c.spec.as_ref().and_then(|s| s.job_template.spec.as_ref());
            count(job.and_then(|j| j.parallelism))
        }
        _ => 0,
    }
}

/// The most pods a workload runs at once: its replicas plus the extra pods of a rolling update
/// (a Deployment's or DaemonSet's `maxSurge`, Kubernetes' default 25% for a Deployment; a
/// StatefulSet replaces pods one by one, without surge). A CronJob that may overlap its
/// previous run (`concurrencyPolicy` other than `Forbid`) counts two runs.
pub fn most_pods(o: &Object, nodes: u32) -> u64 {
    let replicas = replicas(o, nodes);
    let surge = match o {
        Object::Deployment(d) => {
            let strategy = d.spec.as_ref().and_then(|s| s.strategy.as_ref());
            match strategy.and_then(|s| s.type_.as_deref()) {
                Some("Recreate") => 0,
                _ => {
                    let max_surge = strategy
                        .and_then(|s| s.rolling_update.as_ref())
                        .and_then(|r| r.max_surge.as_ref());
                    surge_pods(
                        max_surge.unwrap_or(&IntOrString::String("25%".into())),
                        replicas,
                    )
                }
            }
        }
        Object::DaemonSet(d) => d
            .spec
            .as_ref()
            .and_then(|s| s.update_strategy.as_ref())
            .and_then(|s| s.rolling_update.as_ref())
            .and_then(|r| r.max_surge.as_ref())
            .map_or(0, |s| surge_pods(s, replicas)),
        Object::CronJob(c) => {
            let policy = c
                .spec
                .as_ref()
                .and_then(|s| s.concurrency_policy.as_deref());
            if policy == Some("Forbid") {
                0
            } else {
                replicas
            }
        }
        _ => 0,
    };
    replicas + surge
}

/// `maxSurge` as pods: a number, or a percentage of the replicas rounded up (as Kubernetes
/// rounds a surge).
fn surge_pods(max_surge: &IntOrString, replicas: u64) -> u64 {
    match max_surge {
        IntOrString::Int(n) => u64::try_from(*n).unwrap_or(0),
        IntOrString::String(s) => {
            let percent: u64 = s.trim_end_matches('%').parse().unwrap_or(0);
            (replicas * percent).div_ceil(100)
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Requests,
    Limits,
}

/// One container's CPU and memory requests or limits (0 where unset).
pub fn amount(c: &Container, kind: Kind) -> CpuMemory {
    let resources = c.resources.as_ref();
    let set = match kind {
        Kind::Requests => resources.and_then(|r| r.requests.as_ref()),
        Kind::Limits => resources.and_then(|r| r.limits.as_ref()),
    };
    let value = |name: &str| {
        set.and_then(|s| s.get(name))
            .and_then(|q| Quantity::parse(&q.0).ok())
            .map_or(0.0, |q| q.value())
    };
    // Millicores and bytes are whole numbers in every quantity Kubernetes accepts for them.
    CpuMemory {
        cpu_millis: (value("cpu") * 1000.0).ceil() as u64,
        memory_bytes: value("memory").ceil() as u64,
    }
}

/// A pod's requests or limits as the scheduler and quotas count them: the larger of (the main
/// containers plus every sidecar) and (each ordinary init container plus the sidecars started
/// before it). A sidecar is an init container with `restartPolicy: Always`.
pub fn pod_amount(spec: &PodSpec, kind: Kind) -> CpuMemory {
    let mut sidecars = CpuMemory::default();
    let mut init_peak = CpuMemory::default();
    for c in spec.init_containers.iter().flatten() {
        if c.restart_policy.as_deref() == Some("Always") {
            sidecars = sidecars.add(amount(c, kind));
        } else {
            init_peak = init_peak.max(amount(c, kind).add(sidecars));
        }
    }
    let main = spec
        .containers
        .iter()
        .fold(sidecars, |sum, c| sum.add(amount(c, kind)));
    main.max(init_peak)
}

fn containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    spec.init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
}

/// A StatefulSet's claims per pod: how many, and the bytes they request.
fn claims_per_pod(o: &Object) -> (u64, u64) {
    let Object::StatefulSet(s) = o else {
        return (0, 0);
    };
    let templates = s
        .spec
        .iter()
        .flat_map(|s| s.volume_claim_templates.iter().flatten());
    templates.fold((0, 0), |(n, bytes), claim| {
        let size = claim
            .spec
            .as_ref()
            .and_then(|s| s.resources.as_ref())
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .and_then(|q| Quantity::parse(&q.0).ok())
            .map_or(0, |q| q.value().ceil() as u64);
        (n + 1, bytes + size)
    })
}

/// `amount` plus `percent`, rounded up.
pub fn with_headroom(amount: u64, percent: u32) -> u64 {
    (amount * (100 + u64::from(percent))).div_ceil(100)
}

const MI: u64 = 1024 * 1024;

/// Millicores as a quantity: whole cores when exact.
pub fn cpu_quantity(millis: u64) -> K8sQuantity {
    if millis.is_multiple_of(1000) {
        K8sQuantity((millis / 1000).to_string())
    } else {
        K8sQuantity(format!("{millis}m"))
    }
}

/// Bytes as a quantity, rounded up to whole MiB (GiB when exact).
pub fn bytes_quantity(bytes: u64) -> K8sQuantity {
    let mib = bytes.div_ceil(MI);
    if mib.is_multiple_of(1024) && mib > 0 {
        K8sQuantity(format!("{}Gi", mib / 1024))
    } else {
        K8sQuantity(format!("{mib}Mi"))
    }
}

fn meta(name: &str, namespace: &str, stack: &Stack) -> ObjectMeta {
    let app = App {
        name: "monstack",
        component: "quota",
        instance: stack.name.as_str(),
        namespace,
    };
    app.meta(name)
}

fn resource_quota(namespace: &str, u: &Usage, headroom: u32, stack: &Stack) -> ResourceQuota {
    let room = |n: u64| with_headroom(n, headroom);
    let mut hard = BTreeMap::from([
        ("pods".to_string(), K8sQuantity(room(u.pods).to_string())),
        (
            "requests.cpu".into(),
            cpu_quantity(room(u.requests.cpu_millis)),
        ),
        (
            "requests.memory".into(),
            bytes_quantity(room(u.requests.memory_bytes)),
        ),
        ("limits.cpu".into(), cpu_quantity(room(u.limits.cpu_millis))),
        (
            "limits.memory".into(),
            bytes_quantity(room(u.limits.memory_bytes)),
        ),
    ]);
    if u.claims > 0 {
        hard.insert(
            "persistentvolumeclaims".into(),
            K8sQuantity(room(u.claims).to_string()),
        );
        hard.insert(
            "requests.storage".into(),
            bytes_quantity(room(u.storage_bytes)),
        );
    }
    let mut metadata = meta("monstack", namespace, stack);
    metadata.annotations = Some(BTreeMap::from([(
        "monstack.io/computed-from".to_string(),
        format!(
            "the rendered pods' requests and limits at most at once (replicas, rolling-update \
             surge, DaemonSets on {} nodes) plus {headroom}% headroom",
            stack.nodes.get()
        ),
    )]));
    ResourceQuota {
        metadata,
        spec: Some(ResourceQuotaSpec {
            hard: Some(hard),
            ..ResourceQuotaSpec::default()
        }),
        ..ResourceQuota::default()
    }
}

fn limit_range(namespace: &str, u: &Usage, headroom: u32, stack: &Stack) -> LimitRange {
    let pair = |m: CpuMemory| {
        BTreeMap::from([
            ("cpu".to_string(), cpu_quantity(m.cpu_millis)),
            ("memory".to_string(), bytes_quantity(m.memory_bytes)),
        ])
    };
    let largest = CpuMemory {
        cpu_millis: with_headroom(u.largest_limits.cpu_millis, headroom),
        memory_bytes: with_headroom(u.largest_limits.memory_bytes, headroom),
    };
    LimitRange {
        metadata: meta("monstack", namespace, stack),
        spec: Some(LimitRangeSpec {
            limits: vec![LimitRangeItem {
                type_: "Container".into(),
                default_request: u.smallest_requests.map(pair),
                default: u.smallest_limits.map(pair),
                max: Some(pair(largest)),
                ..LimitRangeItem::default()
            }],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::pod;

    fn sized(name: &str, req: (&str, &str), lim: (&str, &str)) -> Container {
        pod::container(name, "x:1", pod::resource_requirements(req, lim))
    }

    #[test]
    fn a_pod_counts_its_peak_init_container_and_its_sidecars() {
        let mut sidecar = sized("sidecar", ("100m", "64Mi"), ("200m", "128Mi"));
        sidecar.restart_policy = Some("Always".into());
        let big_init = sized("migrate", ("2", "1Gi"), ("2", "1Gi"));
        let spec = PodSpec {
            init_containers: Some(vec![sidecar, big_init]),
            containers: vec![sized("main", ("250m", "256Mi"), ("500m", "512Mi"))],
            ..PodSpec::default()
        };
        // The init container runs beside the sidecar started before it: 2.1 cores, 1Gi+64Mi.
        assert_eq!(
            pod_amount(&spec, Kind::Requests),
            CpuMemory {
                cpu_millis: 2100,
                memory_bytes: 1024 * MI + 64 * MI
            }
        );
        let small_init = PodSpec {
            init_containers: Some(vec![sized("i", ("10m", "8Mi"), ("10m", "8Mi"))]),
            containers: vec![sized("main", ("250m", "256Mi"), ("500m", "512Mi"))],
            ..PodSpec::default()
        };
        assert_eq!(pod_amount(&small_init, Kind::Limits).cpu_millis, 500);
    }

    #[test]
    fn surge_rounds_up_like_kubernetes() {
        assert_eq!(surge_pods(&IntOrString::String("25%".into()), 2), 1);
        assert_eq!(surge_pods(&IntOrString::String("25%".into()), 4), 1);
        assert_eq!(surge_pods(&IntOrString::String("25%".into()), 5), 2);
        assert_eq!(surge_pods(&IntOrString::Int(0), 5), 0);
    }

    #[test]
    fn quantities_are_whole_and_rounded_up() {
        assert_eq!(cpu_quantity(1500).0, "1500m");
        assert_eq!(cpu_quantity(3000).0, "3");
        assert_eq!(bytes_quantity(2048 * MI).0, "2Gi");
        assert_eq!(bytes_quantity(1536 * MI + 1).0, "1537Mi");
        assert_eq!(with_headroom(1000, 25), 1250);
        assert_eq!(with_headroom(3, 20), 4);
    }
}
