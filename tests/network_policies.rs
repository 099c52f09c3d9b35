//! NetworkPolicies are derived from the flows components declare: every namespace of the
//! stack denies ingress by default, and each allow rule traces back to a declared flow.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use monstack::contrib::{Collected, Destination, Peer};
use monstack::derive::network_policies;
use monstack::k8s::{Manifest, Object};
use monstack::pipeline::Compilation;

fn production() -> Compilation {
    common::compile(Path::new("profiles/production.toml"))
}

/// The components' own objects, without the derived part.
fn built(c: &Compilation) -> Manifest {
    Manifest {
        parts: c
            .manifest
            .parts
            .iter()
            .filter(|p| p.component != "network_policies")
            .cloned()
            .collect(),
    }
}

fn policies(c: &Compilation, collected: &Collected) -> Vec<NetworkPolicy> {
    network_policies::part(&built(c), collected, &c.stack)
        .objects
        .into_iter()
        .filter_map(|o| match o {
            Object::NetworkPolicy(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// Every allow rule, as (policy, source app, port/protocol).
fn rules(policies: &[NetworkPolicy]) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for p in policies {
        let name = p.metadata.name.clone().unwrap_or_default();
        for rule in p.spec.iter().flat_map(|s| s.ingress.iter().flatten()) {
            let from = rule
                .from
                .iter()
                .flatten()
                .filter_map(|peer| peer.pod_selector.as_ref()?.match_labels.as_ref())
                .filter_map(|labels| labels.get("app.kubernetes.io/name").cloned())
                .collect::<Vec<_>>()
                .join(",");
            for port in rule.ports.iter().flatten() {
                let number = match &port.port {
                    Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n)) => {
                        n.to_string()
                    }
                    other => format!("{other:?}"),
                };
                out.insert((
                    name.clone(),
                    from.clone(),
                    format!("{number}/{}", port.protocol.clone().unwrap_or_default()),
                ));
            }
        }
    }
    out
}

/// The collected contributions without the flows `drop` matches.
fn without(c: &Compilation, drop: impl Fn(&str, &Peer, &Destination) -> bool) -> Collected {
    let mut collected = c.collected.clone();
    for (component, contributions) in &mut collected.by_component {
        contributions
            .flows
            .retain(|f| !drop(component, &f.from, &f.to));
    }
    collected
}

#[test]
fn every_shipped_profile_denies_by_default_in_each_of_its_namespaces() {
    for path in common::shipped_profiles() {
        let c = common::compile(&path);
        let namespaces: BTreeSet<String> = c
            .manifest
            .objects()
            .filter(|o| o.kind() == "Namespace")
            .map(|o| o.name().to_string())
            .collect();
        let denies: BTreeSet<String> = policies(&c, &c.collected)
            .iter()
            .filter(|p| p.metadata.name.as_deref() == Some("default-deny-ingress"))
            .filter(|p| {
                p.spec.as_ref().is_some_and(|s| {
                    s.pod_selector.as_ref().is_some_and(|sel| {
                        sel.match_labels.is_none() && sel.match_expressions.is_none()
                    }) && s.ingress.is_none()
                })
            })
            .filter_map(|p| p.metadata.namespace.clone())
            .collect();
        assert_eq!(denies, namespaces, "{}", path.display());
    }
}

#[test]
fn removing_one_flow_removes_exactly_its_allow_rule() {
    let c = production();
    let all = rules(&policies(&c, &c.collected));
    let fewer = rules(&policies(
        &c,
        &without(&c, |_, _, to| *to == Destination::Datasources),
    ));
    let gone: Vec<_> = all.difference(&fewer).cloned().collect();
    // Grafana's one flow to its datasources: Jaeger's query UI, Loki and Prometheus; Jaeger's
    // own flow to the metrics datasource (its Monitor tab) stays.
    let rule = |policy: &str, from: &str, port: &str| {
        (policy.to_string(), from.to_string(), port.to_string())
    };
    assert_eq!(
        gone,
        [
            rule("jaeger-query-ingress", "grafana", "16686/TCP"),
            rule("loki-ingress", "grafana", "3100/TCP"),
            rule("prometheus-ingress", "grafana", "9090/TCP"),
        ]
    );
    assert!(fewer.contains(&rule("prometheus-ingress", "jaeger-query", "9090/TCP")));
    assert!(fewer.is_subset(&all));
}

#[test]
fn no_policy_allows_what_no_flow_declares() {
    let c = production();
    let none = without(&c, |_, _, _| true);
    let allows: Vec<_> = policies(&c, &none)
        .into_iter()
        .filter(|p| p.metadata.name.as_deref() != Some("default-deny-ingress"))
        .collect();
    assert!(allows.is_empty(), "{allows:?}");
}

#[test]
fn every_port_a_flow_uses_is_covered() {
    let c = production();
    let rules = rules(&policies(&c, &c.collected));
    // Prometheus reaches every scrape target of the stack's namespace on its metrics port.
    for job in c.collected.scrape_jobs() {
        let Some((app, port_name)) = &job.target else {
            continue;
        };
        let port = container_port(&c, app, port_name);
        assert!(
            rules.contains(&(
                format!("{app}-ingress"),
                "prometheus".to_string(),
                format!("{port}/TCP")
            )),
            "scrape of {app}:{port_name} not allowed: {rules:?}"
        );
    }
    // Grafana reaches its datasource; Prometheus the alert receiver; Alertmanager its peers.
    for expected in [
        ("prometheus-ingress", "grafana", "9090/TCP"),
        ("alertmanager-ingress", "prometheus", "9093/TCP"),
        ("alertmanager-ingress", "alertmanager", "9094/TCP"),
        ("alertmanager-ingress", "alertmanager", "9094/UDP"),
    ] {
        let (p, f, port) = expected;
        assert!(
            rules.contains(&(p.to_string(), f.to_string(), port.to_string())),
            "{expected:?} missing from {rules:?}"
        );
    }
}

fn container_port(c: &Compilation, app: &str, port_name: &str) -> i32 {
    c.manifest
        .objects()
        .filter_map(|o| o.pod_template())
        .filter(|t| {
            t.metadata
                .as_ref()
                .and_then(|m| m.labels.as_ref())
                .and_then(|l| l.get("app.kubernetes.io/name"))
                .map(String::as_str)
                == Some(app)
        })
        .flat_map(|t| t.spec.iter().flat_map(|s| s.containers.iter()))
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.name.as_deref() == Some(port_name))
        .map(|p| p.container_port)
        .unwrap_or_else(|| panic!("{app} has no port {port_name}"))
}

#[test]
fn the_switch_turns_them_off() {
    let (dir, path) = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "[stack]\nnetwork_policies = false\n").unwrap();
        (dir, path)
    };
    let c = common::compile(&path);
    assert!(c.manifest.objects().all(|o| o.kind() != "NetworkPolicy"));
    drop(dir);
}
