//! Tests of the `[kube_state_metrics]` settings, checks and objects.

use crate::diag::Code;
use std::collections::BTreeSet;

use super::resources::ApiResource;
use super::settings::label_key_problem;
use super::*;
use crate::model::Document;
use crate::profile::Source;
use crate::templates::Templates;

fn settings(toml: &str) -> Result<KubeStateMetrics, crate::diag::Diagnostic> {
    let src = [Source {
        name: "test.toml".into(),
        text: format!("[kube_state_metrics]\n{toml}"),
    }];
    let doc = Document::parse(&src).map_err(|f| f.diagnostics[0].clone())?;
    doc.section::<KubeStateMetrics>(KEY)
        .map_err(|mut found| found.remove(0))
}

fn valid(toml: &str) -> KubeStateMetrics {
    settings(toml).unwrap_or_else(|d| panic!("{toml} does not type: {d:?}"))
}

fn objects(ksm: &KubeStateMetrics) -> Vec<Object> {
    let stack = Stack::default();
    let collected = Default::default();
    let templates = Templates::load().expect("templates load");
    let cx = Context {
        stack: &stack,
        collected: &collected,
        templates: &templates,
    };
    ksm.build(&cx).expect("builds")
}

/// `(key, code)` of every problem `check` finds.
fn problems(ksm: &KubeStateMetrics) -> Vec<(String, Code)> {
    let problems = ksm.check(&Stack::default());
    problems
        .into_iter()
        .map(|p| (p.key, p.diagnostic.code))
        .collect()
}

fn has(problems: &[(String, Code)], key: &str, code: Code) -> bool {
    problems.iter().any(|(k, c)| k == key && *c == code)
}

fn deployment_args(objects: &[Object]) -> Vec<String> {
    objects
        .iter()
        .find_map(|o| o.pod_template())
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.containers[0].args.clone())
        .expect("the Deployment has args")
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .find_map(|a| a.strip_prefix(&format!("--{name}=")))
}

#[test]
fn defaults_are_production_ready_and_pass_their_checks() {
    let ksm = valid("");
    assert!(ksm.enabled);
    assert_eq!(ksm.replicas, 1);
    let image = "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0";
    assert_eq!(ksm.image.as_str(), image);
    assert!(ksm.exported_resources.contains(&ApiResource::Pods));
    assert!(ksm.exported_resources.contains(&ApiResource::Deployments));
    assert!(!ksm.exported_resources.contains(&ApiResource::Secrets));
    assert_eq!(problems(&ksm), []);
}

#[test]
fn every_resource_name_round_trips_in_sorted_order() {
    for r in ApiResource::ALL {
        assert_eq!(ApiResource::parse(r.plural()), Ok(*r));
    }
    let mut sorted = ApiResource::ALL.to_vec();
    sorted.sort_by_key(|r| r.plural());
    assert_eq!(
        sorted,
        ApiResource::ALL,
        "declare variants sorted by plural name"
    );
}

#[test]
fn misspelled_resource_is_rejected_with_a_suggestion() {
    let err = settings(r#"exported_resources = ["pods", "deploymnets"]"#).unwrap_err();
    assert_eq!(
        err.key.as_deref(),
        Some("kube_state_metrics.exported_resources")
    );
    assert!(
        err.message.contains("did you mean `deployments`?"),
        "{}",
        err.message
    );
}

#[test]
fn unknown_key_is_rejected() {
    let err = settings("replica = 2").unwrap_err();
    assert_eq!(err.code, Code::UnknownKey);
}

#[test]
fn checks_are_keyed_by_full_paths() {
    let ksm = valid(
        r#"replicas = 0
        resources.requests = { cpu = "1", memory = "64Mi" }
        resources.limits = { cpu = "500m", memory = "128Mi" }"#,
    );
    let found = problems(&ksm);
    let cpu = "kube_state_metrics.resources.requests.cpu";
    assert!(has(&found, cpu, Code::RequestAboveLimit), "{found:?}");
    assert!(
        has(
            &found,
            "kube_state_metrics.replicas",
            Code::ReplicasOutOfRange
        ),
        "{found:?}"
    );
}

#[test]
fn exported_resources_are_checked() {
    let key = "kube_state_metrics.exported_resources";
    let empty = valid("exported_resources = []");
    assert!(has(&problems(&empty), key, Code::NoExportedResources));

    let risky = valid(
        r#"exported_resources = ["secrets", "nodes"]
        metric_labels_allowlist = {}"#,
    );
    let found = problems(&risky);
    assert!(has(&found, key, Code::AlertDataMissing), "{found:?}");
    assert!(has(&found, key, Code::ReadsSecretValues), "{found:?}");
}

#[test]
fn allowlist_must_name_exported_kinds_and_valid_keys() {
    let ksm = valid(
        r#"metric_labels_allowlist.pods = ["app", "team,owner"]
        metric_labels_allowlist.nodes = ["*"]
        metric_labels_allowlist.secrets = ["x"]"#,
    );
    let found = problems(&ksm);
    let key = |kind: &str| format!("kube_state_metrics.metric_labels_allowlist.{kind}");
    assert!(
        has(&found, &key("pods"), Code::InvalidLabelKey),
        "{found:?}"
    );
    assert!(
        has(&found, &key("nodes"), Code::AllLabelsExported),
        "{found:?}"
    );
    assert!(
        has(&found, &key("secrets"), Code::AllowlistNotExported),
        "{found:?}"
    );
    assert_eq!(found.len(), 3, "{found:?}");
}

#[test]
fn label_keys_follow_kubernetes_syntax() {
    for ok in [
        "app",
        "app.kubernetes.io/name",
        "team_x",
        "example.com/foo-*",
    ] {
        assert!(label_key_problem("k", ok).is_none(), "{ok}");
    }
    for bad in ["", "a,b", "pods=[x]", "Example.com/x", "/x", "a b"] {
        assert!(label_key_problem("k", bad).is_some(), "{bad:?}");
    }
}

#[test]
fn extra_replicas_warn_about_duplicated_series() {
    // (Their disruption budget is derived: derive::disruption_budgets.)
    let ksm = valid("replicas = 2");
    let warning = (
        "kube_state_metrics.replicas".to_string(),
        Code::DuplicatedSeries,
    );
    assert_eq!(problems(&ksm), [warning]);
}

#[test]
fn rbac_grants_exactly_the_resources_flag() {
    let custom = valid(r#"exported_resources = ["pods", "leases", "ingresses", "deployments"]"#);
    for ksm in [KubeStateMetrics::default(), custom] {
        let objects = objects(&ksm);
        let args = deployment_args(&objects);
        let flagged: BTreeSet<&str> = flag(&args, "resources")
            .expect("--resources")
            .split(',')
            .collect();
        let role = objects
            .iter()
            .find_map(|o| match o {
                Object::ClusterRole(r) => Some(r),
                _ => None,
            })
            .expect("a ClusterRole");
        let mut granted = BTreeSet::new();
        for rule in role.rules.iter().flatten() {
            assert_eq!(rule.verbs, ["list", "watch"], "read-only, nothing more");
            let groups = rule.api_groups.as_deref().unwrap_or_default();
            for name in rule.resources.iter().flatten() {
                let r = ApiResource::parse(name).expect("a known resource");
                assert_eq!(groups, [r.api_group()], "the API group serving {name}");
                granted.insert(name.as_str());
            }
        }
        assert_eq!(granted, flagged);
    }
}

#[test]
fn deployment_serves_metrics_and_exports_app_labels() {
    let objects = objects(&KubeStateMetrics::default());
    let kinds: Vec<&str> = objects.iter().map(Object::kind).collect();
    let expected = [
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Service",
        "Deployment",
    ];
    assert_eq!(kinds, expected);
    let args = deployment_args(&objects);
    assert_eq!(flag(&args, "port"), Some("8080"));
    assert_eq!(flag(&args, "telemetry-port"), Some("8081"));
    let allowlist = flag(&args, "metric-labels-allowlist").expect("an allowlist by default");
    assert!(
        allowlist.starts_with("pods=[app.kubernetes.io/name,"),
        "{allowlist}"
    );
    assert!(
        allowlist.ends_with(']') && !allowlist.contains("],"),
        "{allowlist}"
    );
    let binding = objects.iter().find(|o| o.kind() == "ClusterRoleBinding");
    assert_eq!(
        binding.map(Object::name),
        Some("monitoring-kube-state-metrics")
    );
}

#[test]
fn empty_allowlist_leaves_the_flag_out() {
    let ksm = valid("metric_labels_allowlist = {}");
    let args = deployment_args(&objects(&ksm));
    assert_eq!(flag(&args, "metric-labels-allowlist"), None);
}

#[test]
fn contributes_its_metrics_port_with_honored_labels_and_the_exported_kinds_metrics() {
    let c = KubeStateMetrics::default().contribute(&Stack::default());
    let [job] = c.scrape_jobs.as_slice() else {
        panic!("one scrape job: {:?}", c.scrape_jobs)
    };
    assert!(job.honor_labels);
    assert_eq!(job.name, JOB);
    let service = job.service.as_ref().expect("a stack Service");
    assert_eq!(service.port_name, "http-metrics");
    assert_eq!(
        service.host_port(),
        "kube-state-metrics.monitoring.svc:8080"
    );
    assert!(job.exports("kube_pod_status_ready"));
    let without_pods = valid("exported_resources = [\"deployments\"]");
    let c = without_pods.contribute(&Stack::default());
    assert!(!c.scrape_jobs[0].exports("kube_pod_status_ready"));
    assert!(
        c.rule_groups.is_empty(),
        "PodNotReady needs pods exported: {:?}",
        c.rule_groups
    );
}

/// Cluster-scoped series (`kube_node_*`, `kube_persistentvolume_*`, `kube_namespace_*`) have no
/// `namespace` or `pod` label of their own: with `honor_labels`, target labels of those names
/// would be attached to them, naming the exporter's pod and namespace.
#[test]
fn cluster_scoped_series_get_no_namespace_or_pod_from_the_target() {
    let c = KubeStateMetrics::default().contribute(&Stack::default());
    let targets: Vec<_> = c.scrape_jobs[0]
        .relabel_configs
        .iter()
        .filter_map(|r| r.target_label)
        .collect();
    assert!(
        !targets.contains(&"namespace") && !targets.contains(&"pod"),
        "{targets:?}"
    );
}
