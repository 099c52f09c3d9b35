//! Hardening, checked on every shipped profile's rendered objects:
//! - quotas: each namespace's ResourceQuota equals the sums over its rendered pods (replicas,
//!   rolling-update surge, init containers, DaemonSets on `stack.nodes` nodes) plus the
//!   profile's headroom, computed here independently from the objects;
//! - disruption budgets: every workload with more than one replica has exactly one, selecting
//!   exactly its pods, and its replicas spread over nodes and zones;
//! - Pod Security: namespaces enforce `restricted`, except the node agents' (privileged, with a
//!   reason); every pod meets the `restricted` profile's rules except the node agents';
//! - API tokens and RBAC: only the programs that call the Kubernetes API mount a token, and
//!   their roles only read.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use monstack::k8s::Object;
use monstack::model::Quantity;
use monstack::pipeline::Compilation;

fn compilations() -> Vec<(String, Compilation)> {
    common::shipped_profiles()
        .iter()
        .map(|p| (p.display().to_string(), common::compile(p)))
        .collect()
}

// ---- quotas -------------------------------------------------------------------------------------

/// CPU in millicores, memory in bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Amount {
    cpu: f64,
    memory: f64,
}

fn quantity(q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>) -> f64 {
    q.map_or(0.0, |q| {
        Quantity::parse(&q.0).expect("a valid quantity").value()
    })
}

fn container_amount(c: &Container, limits: bool) -> Amount {
    let r = c
        .resources
        .as_ref()
        .expect("every container states resources");
    let set = if limits { &r.limits } else { &r.requests };
    let set = set.as_ref().expect("requests and limits");
    Amount {
        cpu: quantity(set.get("cpu")) * 1000.0,
        memory: quantity(set.get("memory")),
    }
}

/// Kubernetes' effective pod request (or limit): max(sum of app containers and sidecars, each
/// ordinary init container with the sidecars before it), per resource.
fn pod_amount(spec: &PodSpec, limits: bool) -> Amount {
    let mut sidecars = Amount::default();
    let mut peak = Amount::default();
    for c in spec.init_containers.iter().flatten() {
        let a = container_amount(c, limits);
        if c.restart_policy.as_deref() == Some("Always") {
            sidecars.cpu += a.cpu;
            sidecars.memory += a.memory;
        } else {
            peak.cpu = peak.cpu.max(a.cpu + sidecars.cpu);
            peak.memory = peak.memory.max(a.memory + sidecars.memory);
        }
    }
    let mut main = sidecars;
    for c in &spec.containers {
        let a = container_amount(c, limits);
        main.cpu += a.cpu;
        main.memory += a.memory;
    }
    Amount {
        cpu: main.cpu.max(peak.cpu),
        memory: main.memory.max(peak.memory),
    }
}

/// The most pods of a workload at once, written out per kind from the Kubernetes docs.
fn most_pods(o: &Object, nodes: f64) -> f64 {
    match o {
        Object::Deployment(d) => {
            let spec = d.spec.as_ref().expect("a spec");
            let replicas = f64::from(spec.replicas.unwrap_or(1));
            let strategy = spec.strategy.as_ref();
            let surge = if strategy.and_then(|s| s.type_.as_deref()) == Some("Recreate") {
                0.0
            } else {
                match strategy
                    .and_then(|s| s.rolling_update.as_ref())
                    .and_then(|r| r.max_surge.clone())
                    .unwrap_or(IntOrString::String("25%".into()))
                {
                    IntOrString::Int(n) => f64::from(n),
                    IntOrString::String(p) => {
                        let p: f64 = p.trim_end_matches('%').parse().expect("a percentage");
                        (replicas * p / 100.0).ceil()
                    }
                }
            };
            replicas + surge
        }
        Object::StatefulSet(s) => f64::from(s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)),
        Object::DaemonSet(d) => {
            let surge = d
                .spec
                .as_ref()
                .and_then(|s| s.update_strategy.as_ref())
                .and_then(|s| s.rolling_update.as_ref())
                .and_then(|r| r.max_surge.as_ref());
            assert!(
                surge.is_none_or(|s| *s == IntOrString::Int(0)),
                "{}: a DaemonSet surge is not modelled by this test",
                o.id()
            );
            nodes
        }
        Object::CronJob(c) => {
            let spec = c.spec.as_ref().expect("a spec");
            let job = spec.job_template.spec.as_ref().expect("a job spec");
            let runs = if spec.concurrency_policy.as_deref() == Some("Forbid") {
                1.0
            } else {
                2.0
            };
            runs * f64::from(job.parallelism.unwrap_or(1))
        }
        _ => 0.0,
    }
}

/// Sums per namespace: pods, requests, limits, claims and claimed bytes.
#[derive(Debug, Default)]
struct Sums {
    pods: f64,
    requests: Amount,
    limits: Amount,
    claims: f64,
    storage: f64,
}

fn sums(c: &Compilation) -> BTreeMap<String, Sums> {
    let nodes = f64::from(c.stack.nodes.get());
    let mut out: BTreeMap<String, Sums> = BTreeMap::new();
    for o in c.manifest.objects() {
        let Some(spec) = o.pod_template().and_then(|t| t.spec.as_ref()) else {
            continue;
        };
        let s = out
            .entry(o.namespace().expect("namespaced").to_string())
            .or_default();
        let pods = most_pods(o, nodes);
        s.pods += pods;
        let (req, lim) = (pod_amount(spec, false), pod_amount(spec, true));
        s.requests.cpu += req.cpu * pods;
        s.requests.memory += req.memory * pods;
        s.limits.cpu += lim.cpu * pods;
        s.limits.memory += lim.memory * pods;
        if let Object::StatefulSet(set) = o {
            let spec = set.spec.as_ref().expect("a spec");
            let replicas = f64::from(spec.replicas.unwrap_or(1));
            for claim in spec.volume_claim_templates.iter().flatten() {
                let requests = claim
                    .spec
                    .as_ref()
                    .and_then(|s| s.resources.as_ref())
                    .and_then(|r| r.requests.as_ref());
                s.claims += replicas;
                s.storage += replicas * quantity(requests.and_then(|r| r.get("storage")));
            }
        }
    }
    out
}

fn hard(o: &Object) -> BTreeMap<String, f64> {
    let Object::ResourceQuota(q) = o else {
        panic!("not a quota: {}", o.id())
    };
    q.spec
        .as_ref()
        .and_then(|s| s.hard.as_ref())
        .expect("a quota with hard limits")
        .iter()
        .map(|(k, v)| (k.clone(), quantity(Some(v))))
        .collect()
}

/// `sum` plus the headroom, rounded up to `unit` (1 for counts and millicores, 1Mi for bytes).
fn expected(sum: f64, headroom: f64, unit: f64) -> f64 {
    let with = (sum * (100.0 + headroom) / 100.0).ceil();
    (with / unit).ceil() * unit
}

#[test]
fn quotas_equal_the_sums_over_the_rendered_pods_plus_headroom() {
    const MI: f64 = 1024.0 * 1024.0;
    let mut checked = 0;
    for (profile, c) in compilations() {
        let headroom = f64::from(c.stack.quota_headroom_percent.get());
        let quotas: BTreeMap<&str, &Object> = c
            .manifest
            .objects()
            .filter(|o| o.kind() == "ResourceQuota")
            .map(|o| (o.namespace().expect("namespaced"), o))
            .collect();
        let sums = sums(&c);
        assert_eq!(
            quotas.keys().copied().collect::<Vec<_>>(),
            sums.keys().map(String::as_str).collect::<Vec<_>>(),
            "{profile}: one quota in every namespace that runs pods"
        );
        for (namespace, s) in &sums {
            let hard = hard(quotas[namespace.as_str()]);
            let mut want = BTreeMap::from([
                ("pods", expected(s.pods, headroom, 1.0)),
                (
                    "requests.cpu",
                    expected(s.requests.cpu, headroom, 1.0) / 1000.0,
                ),
                ("limits.cpu", expected(s.limits.cpu, headroom, 1.0) / 1000.0),
                ("requests.memory", expected(s.requests.memory, headroom, MI)),
                ("limits.memory", expected(s.limits.memory, headroom, MI)),
            ]);
            if s.claims > 0.0 {
                want.insert("persistentvolumeclaims", expected(s.claims, headroom, 1.0));
                want.insert("requests.storage", expected(s.storage, headroom, MI));
            }
            let got: BTreeMap<&str, f64> = hard.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                want.keys().collect::<Vec<_>>(),
                "{profile}: quota keys in {namespace}"
            );
            for (key, w) in &want {
                assert!(
                    (got[key] - w).abs() < 1e-6,
                    "{profile}: {namespace} {key} is {}, the rendered pods need {w} with {headroom}% headroom",
                    got[key]
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "every profile has two namespaces with pods");
}

/// The surge is what a rolling update adds: without it a Deployment's update would stall at
/// the quota. Production's quota differs from one sized for the replicas alone.
#[test]
fn quotas_count_the_deployments_surge() {
    let profile = common::shipped_profiles()
        .into_iter()
        .find(|p| p.ends_with("production.toml"))
        .expect("production.toml");
    let c = common::compile(&profile);
    let namespace = c.stack.namespace.to_string();
    let headroom = f64::from(c.stack.quota_headroom_percent.get());
    let surge: f64 = c
        .manifest
        .objects()
        .filter(|o| o.namespace() == Some(namespace.as_str()))
        .filter_map(|o| match o {
            Object::Deployment(d) => {
                let replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
                Some(most_pods(o, 1.0) - f64::from(replicas))
            }
            _ => None,
        })
        .sum();
    assert!(surge >= 1.0, "production's Deployments surge");
    let quota = c
        .manifest
        .objects()
        .find(|o| o.kind() == "ResourceQuota" && o.namespace() == Some(namespace.as_str()))
        .expect("a quota in the stack namespace");
    let pods = sums(&c)[&namespace].pods;
    assert_eq!(hard(quota)["pods"], expected(pods, headroom, 1.0));
    assert_ne!(
        expected(pods, headroom, 1.0),
        expected(pods - surge, headroom, 1.0),
        "the surge changes the pod quota"
    );
}

#[test]
fn every_namespace_with_a_quota_has_a_limit_range_that_fits_its_pods() {
    for (profile, c) in compilations() {
        for o in c.manifest.objects() {
            let Object::LimitRange(lr) = o else {
                continue;
            };
            let item = &lr.spec.as_ref().expect("a spec").limits[0];
            let max = item.max.as_ref().expect("a max");
            for w in c
                .manifest
                .objects()
                .filter(|w| w.namespace() == o.namespace())
            {
                let Some(spec) = w.pod_template().and_then(|t| t.spec.as_ref()) else {
                    continue;
                };
                for ct in spec
                    .init_containers
                    .iter()
                    .flatten()
                    .chain(&spec.containers)
                {
                    let lim = container_amount(ct, true);
                    assert!(
                        lim.cpu / 1000.0 <= quantity(max.get("cpu"))
                            && lim.memory <= quantity(max.get("memory")),
                        "{profile}: {} container {} exceeds the LimitRange max",
                        w.id(),
                        ct.name
                    );
                }
            }
            let default = item.default.as_ref().expect("default limits");
            let request = item.default_request.as_ref().expect("default requests");
            for r in ["cpu", "memory"] {
                assert!(
                    quantity(request.get(r)) <= quantity(default.get(r)),
                    "{profile}"
                );
            }
        }
    }
}

// ---- disruption budgets and spread ---------------------------------------------------------------

fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    assert!(
        selector.match_expressions.is_none(),
        "only matchLabels selectors are rendered"
    );
    selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v))
}

fn pod_labels(o: &Object) -> BTreeMap<String, String> {
    o.pod_template()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

fn replicas(o: &Object) -> Option<i32> {
    match o {
        Object::Deployment(d) => Some(d.spec.as_ref()?.replicas.unwrap_or(1)),
        Object::StatefulSet(s) => Some(s.spec.as_ref()?.replicas.unwrap_or(1)),
        _ => None,
    }
}

#[test]
fn every_replicated_workload_has_one_budget_selecting_exactly_its_pods() {
    let mut replicated = 0;
    for (profile, c) in compilations() {
        let workloads: Vec<&Object> = c
            .manifest
            .objects()
            .filter(|o| o.pod_template().is_some())
            .collect();
        let budgets: Vec<(&Object, &LabelSelector)> = c
            .manifest
            .objects()
            .filter_map(|o| match o {
                Object::PodDisruptionBudget(p) => Some((o, p.spec.as_ref()?.selector.as_ref()?)),
                _ => None,
            })
            .collect();
        for (budget, selector) in &budgets {
            let selected: Vec<&&Object> = workloads
                .iter()
                .filter(|w| {
                    w.namespace() == budget.namespace() && selects(selector, &pod_labels(w))
                })
                .collect();
            assert_eq!(
                selected.len(),
                1,
                "{profile}: {} selects the pods of {:?}",
                budget.id(),
                selected.iter().map(|w| w.id()).collect::<Vec<_>>()
            );
            assert!(
                replicas(selected[0]).is_some_and(|r| r > 1),
                "{profile}: {} guards a single replica",
                budget.id()
            );
        }
        for w in workloads
            .iter()
            .filter(|w| replicas(w).is_some_and(|r| r > 1))
        {
            replicated += 1;
            let mine: Vec<_> = budgets
                .iter()
                .filter(|(b, s)| b.namespace() == w.namespace() && selects(s, &pod_labels(w)))
                .collect();
            assert_eq!(
                mine.len(),
                1,
                "{profile}: {} needs exactly one budget",
                w.id()
            );
        }
    }
    assert!(replicated > 0, "no shipped profile replicates a workload");
}

#[test]
fn replicas_spread_over_nodes_and_zones_without_blocking_a_single_zone() {
    for (profile, c) in compilations() {
        let nodes = i64::from(c.stack.nodes.get());
        for w in c.manifest.objects() {
            let Some(r) = replicas(w) else { continue };
            let spec = w
                .pod_template()
                .and_then(|t| t.spec.as_ref())
                .expect("a spec");
            let constraints = spec.topology_spread_constraints.clone().unwrap_or_default();
            if r <= 1 {
                assert!(
                    constraints.is_empty(),
                    "{profile}: {} has one replica",
                    w.id()
                );
                continue;
            }
            let by_key: BTreeMap<&str, &str> = constraints
                .iter()
                .map(|t| (t.topology_key.as_str(), t.when_unsatisfiable.as_str()))
                .collect();
            let node_rule = if nodes >= i64::from(r) {
                "DoNotSchedule"
            } else {
                "ScheduleAnyway"
            };
            assert_eq!(
                by_key,
                BTreeMap::from([
                    ("kubernetes.io/hostname", node_rule),
                    ("topology.kubernetes.io/zone", "ScheduleAnyway"),
                ]),
                "{profile}: {}",
                w.id()
            );
            for t in &constraints {
                let selector = t.label_selector.as_ref().expect("a selector");
                assert!(
                    selects(selector, &pod_labels(w)),
                    "{profile}: {} spreads other pods",
                    w.id()
                );
                assert_eq!(t.max_skew, 1);
            }
        }
    }
}

// ---- Pod Security ---------------------------------------------------------------------------------

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
const REASON: &str = "monstack.io/pod-security-reason";

/// Volume types the `restricted` profile allows.
fn allowed_volume(v: &k8s_openapi::api::core::v1::Volume) -> bool {
    v.host_path.is_none()
        && [
            v.config_map.is_some(),
            v.csi.is_some(),
            v.downward_api.is_some(),
            v.empty_dir.is_some(),
            v.ephemeral.is_some(),
            v.persistent_volume_claim.is_some(),
            v.projected.is_some(),
            v.secret.is_some(),
        ]
        .iter()
        .any(|b| *b)
}

/// Every rule of Pod Security Standards `restricted` (v1.33) this pod breaks.
fn restricted_violations(spec: &PodSpec) -> Vec<String> {
    let mut out = Vec::new();
    let psc = spec.security_context.clone().unwrap_or_default();
    for (field, set) in [
        ("hostNetwork", spec.host_network),
        ("hostPID", spec.host_pid),
        ("hostIPC", spec.host_ipc),
    ] {
        if set == Some(true) {
            out.push(format!("{field}: true"));
        }
    }
    for v in spec.volumes.iter().flatten() {
        if !allowed_volume(v) {
            out.push(format!("volume {} is of a forbidden type", v.name));
        }
    }
    if psc.sysctls.as_ref().is_some_and(|s| !s.is_empty()) {
        out.push("sysctls".into());
    }
    let pod_seccomp = psc.seccomp_profile.as_ref().map(|p| p.type_.clone());
    for c in spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
    {
        let sc = c.security_context.clone().unwrap_or_default();
        let name = &c.name;
        if sc.privileged == Some(true) {
            out.push(format!("{name}: privileged"));
        }
        if sc.allow_privilege_escalation != Some(false) {
            out.push(format!("{name}: allowPrivilegeEscalation is not false"));
        }
        let caps = sc.capabilities.clone().unwrap_or_default();
        if !caps.drop.iter().flatten().any(|d| d == "ALL") {
            out.push(format!("{name}: capabilities do not drop ALL"));
        }
        if caps.add.iter().flatten().any(|a| a != "NET_BIND_SERVICE") {
            out.push(format!("{name}: adds capabilities"));
        }
        if sc.run_as_non_root.or(psc.run_as_non_root) != Some(true) {
            out.push(format!("{name}: runAsNonRoot is not true"));
        }
        if sc.run_as_user.or(psc.run_as_user) == Some(0) {
            out.push(format!("{name}: runAsUser 0"));
        }
        let seccomp = sc
            .seccomp_profile
            .as_ref()
            .map(|p| p.type_.clone())
            .or(pod_seccomp.clone());
        if !matches!(seccomp.as_deref(), Some("RuntimeDefault" | "Localhost")) {
            out.push(format!("{name}: seccompProfile is not RuntimeDefault"));
        }
        if c.ports
            .iter()
            .flatten()
            .any(|p| p.host_port.is_some_and(|h| h != 0))
        {
            out.push(format!("{name}: hostPort"));
        }
        if sc.proc_mount.as_deref().is_some_and(|m| m != "Default") {
            out.push(format!("{name}: procMount"));
        }
        if sc
            .se_linux_options
            .as_ref()
            .is_some_and(|o| o.user.is_some() || o.role.is_some())
        {
            out.push(format!("{name}: seLinuxOptions"));
        }
        if sc
            .app_armor_profile
            .as_ref()
            .is_some_and(|p| p.type_ == "Unconfined")
        {
            out.push(format!("{name}: AppArmor unconfined"));
        }
    }
    out
}

#[test]
fn every_pod_meets_restricted_except_the_node_agents_namespace() {
    let mut pods = 0;
    for (profile, c) in compilations() {
        let levels: BTreeMap<&str, (&str, bool)> = c
            .manifest
            .objects()
            .filter(|o| o.kind() == "Namespace")
            .map(|o| {
                let labels = o.meta().labels.as_ref().expect("labels");
                let level = labels.get(ENFORCE).map_or("none", String::as_str);
                let reason = o
                    .meta()
                    .annotations
                    .as_ref()
                    .is_some_and(|a| a.contains_key(REASON));
                (o.name(), (level, reason))
            })
            .collect();
        let agents = c.stack.agents_namespace();
        for (ns, (level, reason)) in &levels {
            if *ns == agents {
                assert_eq!(*level, "privileged", "{profile}: {ns}");
                assert!(reason, "{profile}: {ns} says why it is privileged");
            } else {
                assert_eq!(*level, "restricted", "{profile}: {ns} enforces restricted");
            }
        }
        for o in c.manifest.objects() {
            let Some(spec) = o.pod_template().and_then(|t| t.spec.as_ref()) else {
                continue;
            };
            let ns = o.namespace().expect("namespaced");
            let level = levels.get(ns).map(|l| l.0);
            if level == Some("privileged") {
                continue;
            }
            assert_eq!(
                level,
                Some("restricted"),
                "{profile}: {} in an unknown namespace",
                o.id()
            );
            let violations = restricted_violations(spec);
            assert!(
                violations.is_empty(),
                "{profile}: {} breaks restricted: {violations:?}",
                o.id()
            );
            pods += 1;
        }
    }
    assert!(pods > 0);
}

#[test]
fn the_restricted_rules_catch_each_violation() {
    let c = common::compile(&common::shipped_profiles()[0]);
    let base = c
        .manifest
        .objects()
        .find(|o| o.name() == "prometheus" && o.kind() == "StatefulSet")
        .and_then(|o| o.pod_template()?.spec.clone())
        .expect("Prometheus' pod");
    assert!(restricted_violations(&base).is_empty());
    type Mutation = fn(&mut PodSpec);
    let cases: [(&str, Mutation); 8] = [
        ("hostNetwork", |p| p.host_network = Some(true)),
        ("hostPID", |p| p.host_pid = Some(true)),
        ("volume", |p| {
            p.volumes
                .get_or_insert_with(Vec::new)
                .push(k8s_openapi::api::core::v1::Volume {
                    name: "host".into(),
                    host_path: Some(Default::default()),
                    ..Default::default()
                })
        }),
        ("allowPrivilegeEscalation", |p| {
            p.containers[0]
                .security_context
                .as_mut()
                .unwrap()
                .allow_privilege_escalation = None
        }),
        ("drop ALL", |p| {
            p.containers[0]
                .security_context
                .as_mut()
                .unwrap()
                .capabilities = None
        }),
        ("runAsNonRoot", |p| {
            p.containers[0]
                .security_context
                .as_mut()
                .unwrap()
                .run_as_non_root = None;
            p.security_context.as_mut().unwrap().run_as_non_root = None;
        }),
        ("seccompProfile", |p| {
            p.security_context.as_mut().unwrap().seccomp_profile = None
        }),
        ("hostPort", |p| {
            p.containers[0].ports.as_mut().unwrap()[0].host_port = Some(9090)
        }),
    ];
    for (what, mutate) in cases {
        let mut spec = base.clone();
        mutate(&mut spec);
        assert!(
            !restricted_violations(&spec).is_empty(),
            "{what} not caught"
        );
    }
}

// ---- API tokens and RBAC --------------------------------------------------------------------------

/// The programs that call the Kubernetes API, and the (resource, verbs) their roles may grant.
const API_CLIENTS: &[&str] = &["prometheus", "kube-state-metrics", "alloy"];

#[test]
fn only_api_clients_mount_a_token_and_every_pod_says_so() {
    for (profile, c) in compilations() {
        for o in c.manifest.objects() {
            let Some(spec) = o.pod_template().and_then(|t| t.spec.as_ref()) else {
                continue;
            };
            let want = API_CLIENTS.contains(&o.name());
            assert_eq!(
                spec.automount_service_account_token,
                Some(want),
                "{profile}: {} sets automountServiceAccountToken to {want}",
                o.id()
            );
        }
    }
}

#[test]
fn roles_only_read_and_never_secrets() {
    let mut roles = 0;
    for (profile, c) in compilations() {
        for o in c.manifest.objects() {
            let rules = match o {
                Object::ClusterRole(r) => r.rules.clone(),
                Object::Role(r) => r.rules.clone(),
                _ => continue,
            };
            roles += 1;
            for rule in rules.iter().flatten() {
                let all = rule
                    .verbs
                    .iter()
                    .chain(rule.resources.iter().flatten())
                    .chain(rule.api_groups.iter().flatten());
                for word in all {
                    assert_ne!(word, "*", "{profile}: {} grants a wildcard", o.id());
                }
                let verbs: BTreeSet<&str> = rule.verbs.iter().map(String::as_str).collect();
                assert!(
                    verbs.is_subset(&BTreeSet::from(["get", "list", "watch"])),
                    "{profile}: {} grants {verbs:?}",
                    o.id()
                );
                for r in rule.resources.iter().flatten() {
                    assert!(
                        !["secrets", "configmaps", "serviceaccounts/token"].contains(&r.as_str()),
                        "{profile}: {} reads {r}, which hold credentials",
                        o.id()
                    );
                }
            }
        }
    }
    assert!(roles > 0);
}
