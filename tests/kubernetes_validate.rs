//! Every shipped profile renders objects that (1) the real `kubernetes-validate` accepts against
//! the Kubernetes 1.33 and 1.37 schemas (the oldest supported and the newest bundled) with
//! unknown fields rejected, and (2) follow monstack's per-object
//! rules: an explicit namespace, the five recommended labels, and hardened pods (resources,
//! probes, non-root, read-only root, no capabilities, RuntimeDefault seccomp, pinned images, and
//! an API token only where the pod talks to the API).
//!
//! Each rule is a small function returning every violation as `[rule] Kind/ns/name: what`, so
//! one run lists them all. The rules are themselves tested: a hardened Deployment passes, and
//! one mutation per rule makes exactly that rule fire.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, PodSecurityContext, PodSpec, PodTemplateSpec, SecurityContext, ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use monstack::k8s::Object;
use monstack::k8s::meta::App;
use monstack::k8s::pod;

/// The Kubernetes versions the schemas are checked against: the oldest monstack supports
/// (k8s-openapi's `v1_33`) and the newest kubernetes-validate bundles.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.33", "1.37"];

// ---- kubernetes-validate ------------------------------------------------------------------------

#[test]
fn kubernetes_validate_accepts_every_shipped_profile() {
    let Some(tool) = common::require_tool("kubernetes-validate") else {
        return;
    };
    let dir = tempfile::tempdir().expect("creating a temp dir");
    let files: Vec<PathBuf> = common::shipped_profiles()
        .iter()
        .flat_map(|profile| write_rendered(profile, dir.path()))
        .collect();
    // One run per version over every profile: the tool's start-up dominates its time.
    for version in KUBERNETES_VERSIONS {
        let output = kubernetes_validate(&tool, version, &files);
        assert!(
            output.status.success(),
            "kubernetes-validate -k {version} --strict rejected rendered objects:\n{}",
            describe(&output)
        );
    }
}

/// The ingress-nginx variant of `[access]` renders Ingresses (no shipped profile does): they
/// pass the same check.
#[test]
fn kubernetes_validate_accepts_the_ingress_nginx_variant() {
    let Some(tool) = common::require_tool("kubernetes-validate") else {
        return;
    };
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/production.toml");
    let compilation =
        monstack::pipeline::compile_path(Some(&profile), &["access.mode=ingress-nginx".into()])
            .expect("no internal error")
            .expect("the variant compiles");
    let dir = tempfile::tempdir().expect("creating a temp dir");
    let files: Vec<PathBuf> = monstack::emit::files(&compilation)
        .expect("rendering YAML")
        .iter()
        .filter(|f| f.name == "access.yaml")
        .map(|f| {
            let path = dir.path().join(&f.name);
            std::fs::write(&path, &f.content).expect("writing a rendered file");
            path
        })
        .collect();
    assert!(
        compilation
            .manifest
            .objects()
            .any(|o| o.kind() == "Ingress")
            && files.len() == 1,
        "the variant renders its Ingresses into access.yaml"
    );
    for version in KUBERNETES_VERSIONS {
        let output = kubernetes_validate(&tool, version, &files);
        assert!(output.status.success(), "{version}: {}", describe(&output));
    }
}

/// Proves the check above has teeth: `--strict` must reject a misspelled field, which the
/// schema alone would let through.
#[test]
fn kubernetes_validate_rejects_a_misspelled_field() {
    let Some(tool) = common::require_tool("kubernetes-validate") else {
        return;
    };
    let dir = tempfile::tempdir().expect("creating a temp dir");
    let path = dir.path().join("typo.yaml");
    let typo = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, namespace: y}\n\
                automountServiceAcountToken: false\n";
    std::fs::write(&path, typo).expect("writing the fixture");
    let output = kubernetes_validate(&tool, KUBERNETES_VERSIONS[1], &[path]);
    assert!(
        !output.status.success(),
        "kubernetes-validate accepted an unknown field:\n{}",
        describe(&output)
    );
}

// ---- custom resources against their CRDs ---------------------------------------------------------

/// kubernetes-validate skips custom resources; `tests/tools/crd_validate.py --strict` checks
/// them against the published CRD schemas in `tests/fixtures/crds/` (unknown fields refused).
fn crd_validate(targets: &Path) -> Option<Output> {
    let python = common::require_tool("python")?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Some(
        Command::new(python)
            .arg(root.join("tests/tools/crd_validate.py"))
            .arg("--strict")
            .arg("--crds")
            .arg(root.join("tests/fixtures/crds"))
            .arg("--targets")
            .arg(targets)
            .output()
            .expect("running crd_validate.py"),
    )
}

#[test]
fn custom_resources_match_their_crds() {
    let dir = tempfile::tempdir().expect("creating a temp dir");
    let mut expected = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for profile in common::shipped_profiles() {
        write_rendered(&profile, dir.path());
        for o in common::compile(&profile).manifest.objects() {
            if matches!(o, monstack::k8s::Object::Custom(_)) {
                expected += 1;
                kinds.insert(o.kind().to_string());
            }
        }
    }
    // Dapr's tracing Configuration, and production's access: the Gateway, its HTTPRoutes and
    // Envoy Gateway's basic-auth SecurityPolicy.
    for kind in ["Configuration", "Gateway", "HTTPRoute", "SecurityPolicy"] {
        assert!(kinds.contains(kind), "no shipped profile renders a {kind}");
    }
    let Some(output) = crd_validate(dir.path()) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        stdout.contains(&format!("PASS={expected} FAIL=0")),
        "every custom resource is checked against its CRD: {stdout}"
    );
}

/// `large` with cert-manager issuing Elasticsearch's transport certificate: the rendered
/// `Certificate` matches cert-manager's CRD (v1.21.1), and the StatefulSet mounts its Secret.
#[test]
fn the_transport_certificate_matches_cert_managers_crd() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compilation = match monstack::pipeline::compile_path(
        Some(&root.join("profiles/large.toml")),
        &[
            "elasticsearch.transport_tls.secret=".to_string(),
            "elasticsearch.transport_tls.issuer=\"internal-ca\"".to_string(),
        ],
    )
    .expect("no internal error")
    {
        Ok(c) => c,
        Err(failure) => panic!("large with an issuer does not compile:\n{failure}"),
    };
    let certificates = compilation
        .manifest
        .objects()
        .filter(|o| o.kind() == "Certificate")
        .count();
    assert_eq!(certificates, 1);
    let dir = tempfile::tempdir().expect("creating a temp dir");
    for f in monstack::emit::files(&compilation).expect("rendering YAML") {
        std::fs::write(dir.path().join(&f.name), &f.content).expect("writing a rendered file");
    }
    let Some(output) = crd_validate(dir.path()) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(stdout.contains("Certificate=1"), "{stdout}");
}

#[test]
fn crd_validation_refuses_a_misspelled_field() {
    let dir = tempfile::tempdir().expect("creating a temp dir");
    let typo = "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata: {name: x, namespace: y}\n\
                spec: {tracing: {samplingrate: '1'}}\n";
    std::fs::write(dir.path().join("typo.yaml"), typo).expect("writing the fixture");
    let Some(output) = crd_validate(dir.path()) else {
        return;
    };
    assert!(!output.status.success(), "{}", describe(&output));
}

/// Renders one profile into `<dir>/<profile stem>/`, returning the files written.
fn write_rendered(profile: &Path, dir: &Path) -> Vec<PathBuf> {
    let compilation = common::compile(profile);
    let stem = profile.file_stem().expect("a profile file name");
    let out = dir.join(stem);
    std::fs::create_dir_all(&out).expect("creating the output dir");
    let files = monstack::emit::files(&compilation).expect("rendering YAML");
    files
        .iter()
        .map(|f| {
            let path = out.join(&f.name);
            std::fs::write(&path, &f.content).expect("writing a rendered file");
            path
        })
        .collect()
}

fn kubernetes_validate(tool: &Path, version: &str, files: &[PathBuf]) -> Output {
    Command::new(tool)
        .args(["-k", version, "--strict", "--quiet"])
        .args(files)
        .output()
        .expect("running kubernetes-validate")
}

fn describe(output: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

// ---- per-object rules ---------------------------------------------------------------------------

#[test]
fn every_shipped_profile_follows_the_per_object_rules() {
    let mut violations = Vec::new();
    let mut pods = 0;
    for profile in common::shipped_profiles() {
        let compilation = common::compile(&profile);
        let objects: Vec<&Object> = compilation.manifest.objects().collect();
        pods += objects
            .iter()
            .filter(|o| o.pod_template().is_some())
            .count();
        violations.extend(
            rule_violations(&objects)
                .into_iter()
                .map(|v| format!("{}: {v}", profile.display())),
        );
    }
    assert!(
        pods > 0,
        "no shipped profile renders a pod: the pod rules checked nothing"
    );
    assert!(
        violations.is_empty(),
        "{} violations:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

const CLUSTER_SCOPED: &[&str] = &["Namespace", "ClusterRole", "ClusterRoleBinding"];
const STANDARD_LABELS: &[&str] = &[
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
];

/// Every violation of every rule, over one rendered stack.
fn rule_violations(objects: &[&Object]) -> Vec<String> {
    let mut out = Vec::new();
    for o in objects {
        out.extend(namespace_matches_scope(o));
        out.extend(standard_labels(o));
        let Some(template) = o.pod_template() else {
            continue;
        };
        let Some(spec) = template.spec.as_ref() else {
            out.push(format!(
                "[pod-spec] {}: the pod template has no spec",
                o.id()
            ));
            continue;
        };
        out.extend(pod_template_labels(o, template));
        out.extend(requests_and_limits(o, spec));
        out.extend(probes(o, spec));
        out.extend(hardened_containers(o, spec));
        out.extend(runtime_default_seccomp(o, spec));
        out.extend(pinned_images(o, spec));
        out.extend(token_only_for_api_clients(o, spec, objects));
    }
    out
}

fn violation(rule: &str, o: &Object, what: impl std::fmt::Display) -> String {
    format!("[{rule}] {}: {what}", o.id())
}

/// Namespaced objects name their namespace (never "whatever kubectl's context says");
/// cluster-scoped ones carry none.
fn namespace_matches_scope(o: &Object) -> Option<String> {
    let cluster_scoped = CLUSTER_SCOPED.contains(&o.kind());
    match (cluster_scoped, o.namespace()) {
        (false, None) => Some(violation("namespace", o, "no explicit metadata.namespace")),
        (true, Some(ns)) => Some(violation(
            "namespace",
            o,
            format!("cluster-scoped but has namespace {ns}"),
        )),
        _ => None,
    }
}

fn missing_labels(labels: Option<&std::collections::BTreeMap<String, String>>) -> Vec<String> {
    let mut missing: Vec<String> = STANDARD_LABELS
        .iter()
        .filter(|l| labels.and_then(|m| m.get(**l)).is_none_or(String::is_empty))
        .map(|l| l.to_string())
        .collect();
    let managed_by = labels.and_then(|m| m.get("app.kubernetes.io/managed-by"));
    if managed_by.is_some_and(|v| v != "monstack") {
        missing.push("app.kubernetes.io/managed-by=monstack".into());
    }
    missing
}

fn standard_labels(o: &Object) -> Option<String> {
    let missing = missing_labels(o.meta().labels.as_ref());
    (!missing.is_empty()).then(|| violation("labels", o, format!("lacks {}", missing.join(", "))))
}

/// Pods carry the labels too: kube-state-metrics exports them in `kube_pod_labels`.
fn pod_template_labels(o: &Object, template: &PodTemplateSpec) -> Option<String> {
    let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    let missing = missing_labels(labels);
    (!missing.is_empty()).then(|| {
        violation(
            "labels",
            o,
            format!("pod template lacks {}", missing.join(", ")),
        )
    })
}

/// Init containers first: they run before (or, as sidecars, beside) the main ones.
fn all_containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    spec.init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
}

fn requests_and_limits(o: &Object, spec: &PodSpec) -> Vec<String> {
    let mut out = Vec::new();
    for c in all_containers(spec) {
        let r = c.resources.as_ref();
        for (kind, set) in [
            ("request", r.and_then(|r| r.requests.as_ref())),
            ("limit", r.and_then(|r| r.limits.as_ref())),
        ] {
            for resource in ["cpu", "memory"] {
                if set.and_then(|s| s.get(resource)).is_none() {
                    out.push(violation(
                        "resources",
                        o,
                        format!("container {} has no {resource} {kind}", c.name),
                    ));
                }
            }
        }
    }
    out
}

/// Kubernetes forbids probes on init containers except native sidecars (`restartPolicy:
/// Always`), so those and the main containers must have both.
fn probes(o: &Object, spec: &PodSpec) -> Vec<String> {
    // A CronJob's pod runs to completion: nothing routes to it, and its deadline
    // (activeDeadlineSeconds, checked below) is what ends a hung run.
    if let Object::CronJob(cron) = o {
        let deadline = cron
            .spec
            .as_ref()
            .and_then(|s| s.job_template.spec.as_ref())
            .and_then(|j| j.active_deadline_seconds);
        return match deadline {
            Some(_) => Vec::new(),
            None => vec![violation(
                "probes",
                o,
                "a CronJob without activeDeadlineSeconds can hang forever",
            )],
        };
    }
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    let mut out = Vec::new();
    for c in sidecars.chain(&spec.containers) {
        for (probe, set) in [
            ("readinessProbe", c.readiness_probe.is_some()),
            ("livenessProbe", c.liveness_probe.is_some()),
        ] {
            if !set {
                out.push(violation(
                    "probes",
                    o,
                    format!("container {} has no {probe}", c.name),
                ));
            }
        }
    }
    out
}

fn hardened_containers(o: &Object, spec: &PodSpec) -> Vec<String> {
    let pod_non_root = spec
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_non_root);
    let mut out = Vec::new();
    for c in all_containers(spec) {
        let sc = c.security_context.as_ref();
        // The container's own setting wins over the pod's.
        let non_root = sc.and_then(|s| s.run_as_non_root).or(pod_non_root);
        let drops_all = sc
            .and_then(|s| s.capabilities.as_ref())
            .and_then(|caps| caps.drop.as_ref())
            .is_some_and(|d| d.iter().any(|cap| cap == "ALL"));
        // The one exception, by design: the log agent reads other pods' log files, which the
        // container runtime writes root-owned with mode 0640, so it runs as root (in the agents'
        // namespace, whose Pod Security level says why), still without any capability.
        let root_by_design = (o.kind(), o.name()) == ("DaemonSet", "alloy")
            && sc.and_then(|s| s.run_as_user) == Some(0);
        let checks = [
            (
                "runAsNonRoot: true (container or pod)",
                non_root == Some(true) || root_by_design,
            ),
            (
                "readOnlyRootFilesystem: true",
                sc.and_then(|s| s.read_only_root_filesystem) == Some(true),
            ),
            (
                "allowPrivilegeEscalation: false",
                sc.and_then(|s| s.allow_privilege_escalation) == Some(false),
            ),
            ("capabilities.drop: [ALL]", drops_all),
        ];
        for (needed, ok) in checks {
            if !ok {
                out.push(violation(
                    "security",
                    o,
                    format!("container {} lacks {needed}", c.name),
                ));
            }
        }
    }
    out
}

fn runtime_default_seccomp(o: &Object, spec: &PodSpec) -> Option<String> {
    let profile = spec
        .security_context
        .as_ref()
        .and_then(|s| s.seccomp_profile.as_ref())
        .map(|p| p.type_.as_str());
    (profile != Some("RuntimeDefault")).then(|| {
        violation(
            "seccomp",
            o,
            format!(
                "pod seccompProfile is {}, not RuntimeDefault",
                profile.unwrap_or("unset")
            ),
        )
    })
}

/// A tag (not `latest`) or a digest; the registry's port (`host:5000/x`) is not a tag.
fn is_pinned(image: &str) -> bool {
    if image.contains("@sha256:") {
        return true;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    matches!(last.split_once(':'), Some((_, tag)) if !tag.is_empty() && tag != "latest")
}

fn pinned_images(o: &Object, spec: &PodSpec) -> Vec<String> {
    all_containers(spec)
        .filter(|c| !c.image.as_deref().is_some_and(is_pinned))
        .map(|c| {
            violation(
                "image",
                o,
                format!(
                    "container {} image `{}` is untagged or :latest",
                    c.name,
                    c.image.as_deref().unwrap_or_default()
                ),
            )
        })
        .collect()
}

/// ServiceAccounts (namespace, name) that a RoleBinding or ClusterRoleBinding grants to.
fn bound_service_accounts(objects: &[&Object]) -> BTreeSet<(String, String)> {
    let subjects = objects.iter().flat_map(|o| match o {
        Object::RoleBinding(b) => b
            .subjects
            .iter()
            .flatten()
            .map(|s| (s, o.namespace()))
            .collect(),
        Object::ClusterRoleBinding(b) => b.subjects.iter().flatten().map(|s| (s, None)).collect(),
        _ => Vec::new(),
    });
    subjects
        .filter(|(s, _)| s.kind == "ServiceAccount")
        .filter_map(|(s, binding_ns)| {
            let ns = s.namespace.as_deref().or(binding_ns)?;
            Some((ns.to_string(), s.name.clone()))
        })
        .collect()
}

/// The pod's token is mounted when the pod says so, else when its ServiceAccount does, else
/// (Kubernetes' default) always. Only pods whose account is bound to a role need it.
fn token_only_for_api_clients(o: &Object, spec: &PodSpec, objects: &[&Object]) -> Option<String> {
    let ns = o.namespace().unwrap_or("default");
    let account = spec.service_account_name.as_deref().unwrap_or("default");
    let account_says = objects.iter().find_map(|other| match other {
        Object::ServiceAccount(sa) if other.name() == account && other.namespace() == Some(ns) => {
            sa.automount_service_account_token
        }
        _ => None,
    });
    let mounted = spec
        .automount_service_account_token
        .or(account_says)
        .unwrap_or(true);
    let bound = bound_service_accounts(objects).contains(&(ns.to_string(), account.to_string()));
    (mounted && !bound).then(|| {
        violation(
            "token",
            o,
            format!(
                "mounts the token of ServiceAccount {account}, which no (Cluster)RoleBinding \
                 grants anything; set automountServiceAccountToken: false"
            ),
        )
    })
}

// ---- the rules' own tests -----------------------------------------------------------------------

const TEST_APP: App<'static> = App {
    name: "probe-app",
    component: "test",
    instance: "test",
    namespace: "monitoring",
};

/// A Deployment that meets every rule, built with monstack's own pod helpers, plus the
/// ServiceAccount and binding that justify its token.
fn hardened() -> Vec<Object> {
    let mut container = pod::container(
        "app",
        "example.com/app:v1.0.0",
        pod::resource_requirements(("10m", "16Mi"), ("100m", "64Mi")),
    );
    container.readiness_probe = Some(pod::http_probe("/ready", "http"));
    container.liveness_probe = Some(pod::liveness_probe("/healthy", "http"));
    let mut init = container.clone();
    init.name = "init".into();
    init.readiness_probe = None;
    init.liveness_probe = None;
    let spec = PodSpec {
        service_account_name: Some("probe-app".into()),
        automount_service_account_token: Some(true),
        security_context: Some(pod::pod_security(65534)),
        init_containers: Some(vec![init]),
        containers: vec![container],
        ..PodSpec::default()
    };
    let deployment = Deployment {
        metadata: TEST_APP.meta("probe-app"),
        spec: Some(DeploymentSpec {
            selector: TEST_APP.selector(),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(TEST_APP.labels()),
                    ..ObjectMeta::default()
                }),
                spec: Some(spec),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    };
    let binding = ClusterRoleBinding {
        metadata: TEST_APP.cluster_meta("probe-app"),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: "view".into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: "probe-app".into(),
            namespace: Some("monitoring".into()),
            ..Subject::default()
        }]),
    };
    let account = ServiceAccount {
        metadata: TEST_APP.meta("probe-app"),
        ..ServiceAccount::default()
    };
    vec![deployment.into(), binding.into(), account.into()]
}

/// The hardened objects with one change.
fn hardened_with(mutate: impl FnOnce(&mut Vec<Object>)) -> Vec<Object> {
    let mut objects = hardened();
    mutate(&mut objects);
    objects
}

fn deployment(objects: &mut [Object]) -> &mut Deployment {
    match &mut objects[0] {
        Object::Deployment(d) => d,
        other => panic!("hardened() starts with the Deployment, not {}", other.id()),
    }
}

fn account(objects: &mut [Object]) -> &mut ServiceAccount {
    match &mut objects[2] {
        Object::ServiceAccount(sa) => sa,
        other => panic!(
            "hardened() ends with the ServiceAccount, not {}",
            other.id()
        ),
    }
}

/// The hardened objects with one change to the Deployment's pod spec.
fn pod_with(mutate: impl FnOnce(&mut PodSpec)) -> Vec<Object> {
    hardened_with(|objects| {
        let spec = deployment(objects)
            .spec
            .as_mut()
            .and_then(|s| s.template.spec.as_mut());
        mutate(spec.expect("the hardened Deployment has a pod spec"));
    })
}

fn init(p: &mut PodSpec) -> &mut Container {
    &mut p
        .init_containers
        .as_mut()
        .expect("the hardened pod has an init container")[0]
}

fn security(c: &mut Container) -> &mut SecurityContext {
    c.security_context
        .get_or_insert_with(SecurityContext::default)
}

fn pod_security(p: &mut PodSpec) -> &mut PodSecurityContext {
    p.security_context
        .get_or_insert_with(PodSecurityContext::default)
}

fn violations_of(objects: &[Object]) -> Vec<String> {
    let refs: Vec<&Object> = objects.iter().collect();
    rule_violations(&refs)
}

#[test]
fn a_hardened_deployment_passes_every_rule() {
    let violations = violations_of(&hardened());
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn each_rule_catches_its_violation() {
    let cases: Vec<(&str, Vec<Object>)> = vec![
        (
            "namespace",
            hardened_with(|o| account(o).metadata.namespace = None),
        ),
        (
            "labels",
            hardened_with(|o| {
                let labels = account(o)
                    .metadata
                    .labels
                    .get_or_insert_with(Default::default);
                labels.remove("app.kubernetes.io/part-of");
            }),
        ),
        (
            "labels",
            hardened_with(|o| {
                let labels = account(o)
                    .metadata
                    .labels
                    .get_or_insert_with(Default::default);
                labels.insert("app.kubernetes.io/managed-by".into(), "helm".into());
            }),
        ),
        (
            "labels",
            hardened_with(|o| {
                let spec = deployment(o).spec.as_mut().expect("a spec");
                spec.template.metadata = None;
            }),
        ),
        (
            "resources",
            pod_with(|p| {
                if let Some(r) = init(p).resources.as_mut() {
                    r.limits = None;
                }
            }),
        ),
        (
            "probes",
            pod_with(|p| p.containers[0].liveness_probe = None),
        ),
        // A native sidecar runs all along, so it needs probes like a main container.
        (
            "probes",
            pod_with(|p| init(p).restart_policy = Some("Always".into())),
        ),
        (
            "security",
            pod_with(|p| {
                pod_security(p).run_as_non_root = None;
                security(&mut p.containers[0]).run_as_non_root = None;
            }),
        ),
        (
            "security",
            pod_with(|p| security(&mut p.containers[0]).run_as_non_root = Some(false)),
        ),
        (
            "security",
            pod_with(|p| {
                security(&mut p.containers[0]).read_only_root_filesystem = Some(false);
            }),
        ),
        (
            "security",
            pod_with(|p| {
                security(&mut p.containers[0]).allow_privilege_escalation = None;
            }),
        ),
        (
            "security",
            pod_with(|p| security(init(p)).capabilities = None),
        ),
        (
            "seccomp",
            pod_with(|p| pod_security(p).seccomp_profile = None),
        ),
        (
            "image",
            pod_with(|p| p.containers[0].image = Some("example.com/app:latest".into())),
        ),
        (
            "image",
            pod_with(|p| init(p).image = Some("localhost:5000/app".into())),
        ),
        (
            "token",
            pod_with(|p| p.service_account_name = Some("unbound".into())),
        ),
        // Silent pod, no account object: Kubernetes mounts the `default` account's token.
        (
            "token",
            pod_with(|p| {
                p.service_account_name = None;
                p.automount_service_account_token = None;
            }),
        ),
        // Silent pod: its unbound account's own setting decides.
        (
            "token",
            hardened_with(|o| {
                account(o).automount_service_account_token = Some(true);
                let spec = deployment(o)
                    .spec
                    .as_mut()
                    .and_then(|s| s.template.spec.as_mut());
                let spec = spec.expect("a pod spec");
                spec.automount_service_account_token = None;
                o.remove(1); // the binding: now nothing justifies the token
            }),
        ),
    ];
    for (rule, objects) in cases {
        let violations = violations_of(&objects);
        assert!(!violations.is_empty(), "rule {rule}: nothing reported");
        let tag = format!("[{rule}] ");
        assert!(
            violations.iter().all(|v| v.starts_with(&tag)),
            "rule {rule}: expected only its own violations, got {violations:#?}"
        );
    }
}

#[test]
fn pinned_images_accept_tags_and_digests_only() {
    for ok in [
        "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0",
        "localhost:5000/app:1.2",
        "app:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ] {
        assert!(is_pinned(ok), "{ok}");
    }
    for bad in ["app", "app:latest", "localhost:5000/app", "app:"] {
        assert!(!is_pinned(bad), "{bad}");
    }
}
