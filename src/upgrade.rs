//! What `kubectl apply -f` cannot do when the rendered stack changes, and what to do instead.
//!
//! Two kinds of change surprise an upgrade:
//! - a field the API server refuses to change in place (a StatefulSet's volumeClaimTemplates,
//!   serviceName or selector, a Deployment's selector, a Service's clusterIP, a binding's
//!   roleRef, ...): `kubectl apply` fails for that object and the rest of the stack moves on;
//! - an object the profile no longer renders: `kubectl apply -f` never deletes anything, so
//!   it keeps running (a PodDisruptionBudget that now blocks every drain, say).
//!
//! [`hazards`] finds both in a [`diff::Report`] and says, per object, the commands that get
//! the cluster to the new state. `monstack diff` prints them; `validate --previous DIR` turns
//! them into warnings. The rules mirror the API server's validation (apps/v1 and core/v1
//! `ValidateUpdate` functions), restricted to the kinds monstack renders.

use std::fmt::Write as _;

use serde_json::Value;

use crate::diag::{Code, Diagnostic};
use crate::diff::{Annotations, Change, FieldChange, Inventory, ObjectKey, Report, Status};
use crate::model::units::Quantity;

/// StatefulSet spec fields an update may change; every other one is immutable
/// ("updates to statefulset spec for fields other than ... are forbidden").
const STATEFULSET_MUTABLE: &[&str] = &[
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

/// One object that `kubectl apply -f` will not bring to its new state.
#[derive(Debug, Clone, PartialEq)]
pub struct Hazard {
    pub object: ObjectKey,
    pub kind: HazardKind,
    /// What to do, one line each; commands are indented lines of their own.
    pub advice: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HazardKind {
    /// These fields (paths as the diff prints them) cannot change in place.
    Immutable(Vec<String>),
    /// Rendered before, not any more.
    Removed,
}

impl Hazard {
    /// One line saying what will not happen.
    pub fn headline(&self) -> String {
        match &self.kind {
            HazardKind::Immutable(fields) => format!(
                "{}: {} cannot change in place; `kubectl apply` is refused for it",
                self.object,
                fields.join(", ")
            ),
            HazardKind::Removed => format!(
                "{} is no longer rendered; `kubectl apply -f` leaves it in the cluster",
                self.object
            ),
        }
    }

    /// The hazard as a warning (`validate --previous`), with the advice as its help.
    pub fn diagnostic(&self) -> Diagnostic {
        let code = match self.kind {
            HazardKind::Immutable(_) => Code::ImmutableFieldChanged,
            HazardKind::Removed => Code::ObjectNoLongerRendered,
        };
        Diagnostic::warning(code, self.headline())
            .subject(self.object.to_string())
            .help(self.advice_in_one_line())
    }

    /// The advice as one paragraph, commands in backticks: a diagnostic's help is one line.
    fn advice_in_one_line(&self) -> String {
        let mut text = String::new();
        for line in &self.advice {
            match line.strip_prefix("  ") {
                Some(command) => {
                    let _ = write!(text, " `{command}`");
                }
                None if text.is_empty() => text.push_str(line),
                None => {
                    let _ = write!(text, "; {line}");
                }
            }
        }
        text
    }
}

/// Whether a changed field path is immutable for this kind of object, given both versions.
fn is_immutable(kind: &str, path: &str, change: &Change, old: &Value, new: &Value) -> bool {
    match kind {
        "StatefulSet" => spec_field(path).is_some_and(|f| !STATEFULSET_MUTABLE.contains(&f)),
        "Deployment" | "DaemonSet" | "ReplicaSet" => spec_field(path) == Some("selector"),
        "Service" => match spec_field(path) {
            Some("clusterIP" | "clusterIPs") => true,
            Some("type") => service_type_change_is_refused(old, new),
            _ => false,
        },
        "PersistentVolumeClaim" => match spec_field(path) {
            Some("resources") => storage_shrinks(change),
            Some(_) => true,
            None => false,
        },
        "RoleBinding" | "ClusterRoleBinding" => path.starts_with("roleRef"),
        "ConfigMap" | "Secret" => {
            old.get("immutable") == Some(&Value::Bool(true))
                && (path.starts_with("data") || path.starts_with("binaryData"))
        }
        _ => false,
    }
}

/// `volumeClaimTemplates` for `spec.volumeClaimTemplates[data].spec...`.
fn spec_field(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("spec.")?;
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// A Service moved to ClusterIP keeps the nodePorts the server allocated, and one moved to or
/// from ExternalName keeps or lacks its clusterIP: the API server refuses either through apply.
fn service_type_change_is_refused(old: &Value, new: &Value) -> bool {
    let kind = |v: &Value| {
        v.pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP")
            .to_string()
    };
    let (before, after) = (kind(old), kind(new));
    before != after && (after == "ClusterIP" || before == "ExternalName" || after == "ExternalName")
}

/// A storage request that gets smaller (a claim can grow, never shrink).
fn storage_shrinks(change: &Change) -> bool {
    let Change::Replaced { old, new } = change else {
        return true;
    };
    match (quantity(old), quantity(new)) {
        (Some(before), Some(after)) => after < before,
        _ => true,
    }
}

fn quantity(value: &Value) -> Option<f64> {
    Quantity::parse(value.as_str()?).ok().map(|q| q.value())
}

/// Every object of `report` that `kubectl apply -f` will not bring to its new state, in the
/// report's order (by file, then apply order).
pub fn hazards(report: &Report, old: &Inventory, new: &Inventory) -> Vec<Hazard> {
    let mut found = Vec::new();
    for diff in report.files.values().flatten() {
        let key = &diff.key;
        match &diff.status {
            Status::Removed => found.push(Hazard {
                object: key.clone(),
                kind: HazardKind::Removed,
                advice: removal_advice(key),
            }),
            Status::Changed { fields, .. } => {
                let (Some(before), Some(after)) = (old.get(key), new.get(key)) else {
                    continue;
                };
                let frozen: Vec<&FieldChange> = fields
                    .iter()
                    .filter(|f| is_immutable(&key.kind, &f.path, &f.change, before, after))
                    .collect();
                if !frozen.is_empty() {
                    found.push(Hazard {
                        object: key.clone(),
                        kind: HazardKind::Immutable(
                            frozen.iter().map(|f| f.path.clone()).collect(),
                        ),
                        advice: replacement_advice(key, &frozen, before),
                    });
                }
            }
            Status::Added => {}
        }
    }
    found
}

/// `kubectl -n NS delete KIND NAME` (no `-n` for cluster-scoped objects), plus `extra` flags.
fn delete_command(key: &ObjectKey, extra: &str) -> String {
    let mut command = String::from("kubectl ");
    if let Some(ns) = &key.namespace {
        let _ = write!(command, "-n {ns} ");
    }
    let _ = write!(
        command,
        "delete {} {}{extra}",
        key.kind.to_lowercase(),
        key.name
    );
    command
}

const APPLY_AGAIN: &str = "then apply the new render again (`kubectl apply -f DIR`)";

fn removal_advice(key: &ObjectKey) -> Vec<String> {
    let mut advice = vec![
        "delete it once nothing needs it:".to_string(),
        format!("  {}", delete_command(key, "")),
    ];
    match key.kind.as_str() {
        "Namespace" => advice.push(
            "deleting a namespace deletes everything in it, volumes included: move what you keep first"
                .to_string(),
        ),
        "StatefulSet" => advice.push(
            "its PersistentVolumeClaims (and their data) stay until you delete them: `kubectl get pvc` lists them"
                .to_string(),
        ),
        _ => {}
    }
    advice.push(
        "or apply with pruning, which deletes what a render no longer contains (README: Upgrade a running stack)"
            .to_string(),
    );
    advice
}

fn replacement_advice(key: &ObjectKey, fields: &[&FieldChange], old: &Value) -> Vec<String> {
    let touches = |field: &str| fields.iter().any(|f| spec_field(&f.path) == Some(field));
    match key.kind.as_str() {
        "StatefulSet" if !touches("selector") => {
            let mut advice = volume_advice(key, fields, old);
            advice.push(
                "replace the StatefulSet but not its pods (they keep running and are adopted):"
                    .to_string(),
            );
            advice.push(format!("  {}", delete_command(key, " --cascade=orphan")));
            advice.push(APPLY_AGAIN.to_string());
            advice
        }
        "StatefulSet" | "Deployment" | "DaemonSet" | "ReplicaSet" => vec![
            "a new selector does not match the running pods: delete the workload (its pods stop; a StatefulSet's volumes stay and are reused):".to_string(),
            format!("  {}", delete_command(key, "")),
            APPLY_AGAIN.to_string(),
        ],
        "PersistentVolumeClaim" => vec![
            "an existing claim keeps its storage class and access modes, and never shrinks: create a new claim and move the data, or keep the old values".to_string(),
        ],
        "Service" => vec![
            "delete the Service and create it anew (clients find its new address through DNS):"
                .to_string(),
            format!("  {}", delete_command(key, "")),
            APPLY_AGAIN.to_string(),
        ],
        _ => vec![
            "delete it and create it anew:".to_string(),
            format!("  {}", delete_command(key, "")),
            APPLY_AGAIN.to_string(),
        ],
    }
}

/// For changed volume sizes: grow each existing claim by hand first, or say it cannot shrink.
fn volume_advice(key: &ObjectKey, fields: &[&FieldChange], old: &Value) -> Vec<String> {
    let replicas = old
        .pointer("/spec/replicas")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    let mut advice = Vec::new();
    for field in fields {
        let Some(template) = size_change_template(&field.path) else {
            continue;
        };
        let Change::Replaced {
            old: before,
            new: after,
        } = &field.change
        else {
            continue;
        };
        let (Some(from), Some(to)) = (before.as_str(), after.as_str()) else {
            continue;
        };
        let claims: Vec<String> = (0..replicas)
            .map(|i| format!("{template}-{}-{i}", key.name))
            .collect();
        let namespace = key
            .namespace
            .as_ref()
            .map_or(String::new(), |ns| format!("-n {ns} "));
        match (quantity(before), quantity(after)) {
            (Some(a), Some(b)) if b > a => {
                advice.push(format!(
                    "grow the existing volumes to {to} first (their StorageClass must allow volume expansion):"
                ));
                for claim in &claims {
                    advice.push(format!(
                        "  kubectl {namespace}patch pvc {claim} -p '{{\"spec\":{{\"resources\":{{\"requests\":{{\"storage\":\"{to}\"}}}}}}}}'"
                    ));
                }
            }
            _ => advice.push(format!(
                "volumes cannot shrink: {} keep{} {from}; only volumes created later get {to} (to shrink one, delete its claim and lose its data)",
                claims.join(", "),
                if claims.len() == 1 { "s" } else { "" }
            )),
        }
    }
    advice
}

/// `data` for `spec.volumeClaimTemplates[data].spec.resources.requests.storage`.
fn size_change_template(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("spec.volumeClaimTemplates[")?;
    let (name, tail) = rest.split_once(']')?;
    (tail == ".spec.resources.requests.storage").then(|| name.trim_matches('"'))
}

/// How `monstack diff` shows the hazards: their fields marked, their advice before the summary.
pub fn annotations(hazards: &[Hazard]) -> Annotations {
    let mut annotations = Annotations {
        note: render(hazards),
        ..Annotations::default()
    };
    for hazard in hazards {
        if let HazardKind::Immutable(fields) = &hazard.kind {
            for field in fields {
                annotations
                    .immutable
                    .insert((hazard.object.clone(), field.clone()));
            }
        }
    }
    annotations
}

/// The hazards as text, or nothing when there are none.
pub fn render(hazards: &[Hazard]) -> String {
    if hazards.is_empty() {
        return String::new();
    }
    let mut out = String::from("Before `kubectl apply -f`:\n");
    for hazard in hazards {
        let _ = writeln!(out, "  ! {}", hazard.headline());
        for line in &hazard.advice {
            let _ = writeln!(out, "      {line}");
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare;

    fn inventory(text: &str) -> Inventory {
        let mut inventory = Inventory::default();
        inventory
            .add_rendered("a.yaml", text)
            .expect("valid test YAML");
        inventory
    }

    fn hazards_between(old: &str, new: &str) -> Vec<Hazard> {
        let (old, new) = (inventory(old), inventory(new));
        hazards(&compare(&old, &new), &old, &new)
    }

    const STATEFULSET: &str = "\
kind: StatefulSet
metadata: {name: prometheus, namespace: monitoring}
spec:
  replicas: 2
  serviceName: prometheus
  selector: {matchLabels: {app: p}}
  template: {spec: {containers: [{name: p, image: 'p:1'}]}}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {resources: {requests: {storage: 50Gi}}}
";

    #[test]
    fn template_and_replica_changes_apply_in_place() {
        let new = STATEFULSET
            .replace("replicas: 2", "replicas: 1")
            .replace("'p:1'", "'p:2'");
        assert_eq!(hazards_between(STATEFULSET, &new), []);
    }

    #[test]
    fn a_shrinking_volume_claim_template_needs_an_orphaning_delete() {
        let new = STATEFULSET.replace("50Gi", "20Gi");
        let found = hazards_between(STATEFULSET, &new);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].kind,
            HazardKind::Immutable(vec![
                "spec.volumeClaimTemplates[data].spec.resources.requests.storage".into()
            ])
        );
        assert_eq!(
            found[0].advice,
            [
                "volumes cannot shrink: data-prometheus-0, data-prometheus-1 keep 50Gi; only volumes created later get 20Gi (to shrink one, delete its claim and lose its data)",
                "replace the StatefulSet but not its pods (they keep running and are adopted):",
                "  kubectl -n monitoring delete statefulset prometheus --cascade=orphan",
                APPLY_AGAIN,
            ]
        );
    }

    #[test]
    fn a_growing_volume_is_expanded_claim_by_claim_first() {
        let new = STATEFULSET.replace("50Gi", "100Gi");
        let advice = &hazards_between(STATEFULSET, &new)[0].advice;
        assert!(advice[0].starts_with("grow the existing volumes to 100Gi first"));
        assert_eq!(
            advice[1],
            r#"  kubectl -n monitoring patch pvc data-prometheus-0 -p '{"spec":{"resources":{"requests":{"storage":"100Gi"}}}}'"#
        );
        assert!(advice[2].contains("data-prometheus-1"));
        assert!(advice[4].contains("--cascade=orphan"));
    }

    #[test]
    fn a_new_selector_or_service_name_is_immutable() {
        let new = STATEFULSET
            .replace(
                "serviceName: prometheus",
                "serviceName: prometheus-headless",
            )
            .replace("app: p}", "app: q}");
        let found = hazards_between(STATEFULSET, &new);
        assert_eq!(
            found[0].kind,
            HazardKind::Immutable(vec![
                "spec.selector.matchLabels.app".into(),
                "spec.serviceName".into()
            ])
        );
        // A selector change cannot adopt the old pods: a plain delete.
        assert_eq!(
            found[0].advice[1],
            "  kubectl -n monitoring delete statefulset prometheus"
        );
    }

    #[test]
    fn deployment_selectors_service_addresses_and_role_refs_are_immutable() {
        let old = "\
kind: Deployment
metadata: {name: d, namespace: n}
spec: {selector: {matchLabels: {a: '1'}}, replicas: 1}
---
kind: Service
metadata: {name: s, namespace: n}
spec: {clusterIP: None, ports: [{port: 80}]}
---
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {kind: ClusterRole, name: old}
";
        let new = old
            .replace("a: '1'", "a: '2'")
            .replace("replicas: 1", "replicas: 3")
            .replace("clusterIP: None, ", "")
            .replace("name: old", "name: new");
        let found = hazards_between(old, &new);
        let headlines: Vec<String> = found.iter().map(Hazard::headline).collect();
        assert_eq!(
            headlines,
            [
                "Deployment n/d: spec.selector.matchLabels.a cannot change in place; `kubectl apply` is refused for it",
                "Service n/s: spec.clusterIP cannot change in place; `kubectl apply` is refused for it",
                "ClusterRoleBinding b: roleRef.name cannot change in place; `kubectl apply` is refused for it",
            ]
        );
        assert_eq!(found[2].advice[1], "  kubectl delete clusterrolebinding b");
    }

    #[test]
    fn a_service_type_change_is_refused_only_where_the_server_keeps_allocations() {
        let service = |kind: &str| {
            format!("kind: Service\nmetadata: {{name: s, namespace: n}}\nspec: {{type: {kind}}}\n")
        };
        assert_eq!(
            hazards_between(&service("ClusterIP"), &service("LoadBalancer")),
            []
        );
        assert_eq!(
            hazards_between(&service("LoadBalancer"), &service("ClusterIP")).len(),
            1
        );
    }

    #[test]
    fn a_removed_object_gets_a_delete_command_and_the_pruning_hint() {
        let old =
            "kind: PodDisruptionBudget\nmetadata: {name: prometheus, namespace: monitoring}\n";
        let found = hazards_between(old, "kind: Namespace\nmetadata: {name: monitoring}\n");
        let removed: Vec<&Hazard> = found
            .iter()
            .filter(|h| h.kind == HazardKind::Removed)
            .collect();
        assert_eq!(removed.len(), 1);
        assert_eq!(
            removed[0].advice[1],
            "  kubectl -n monitoring delete poddisruptionbudget prometheus"
        );
        assert!(removed[0].advice.last().unwrap().contains("pruning"));
        let warning = removed[0].diagnostic();
        assert_eq!(warning.code, Code::ObjectNoLongerRendered);
        assert_eq!(
            warning.help.unwrap(),
            "delete it once nothing needs it: `kubectl -n monitoring delete poddisruptionbudget prometheus`; or apply with pruning, which deletes what a render no longer contains (README: Upgrade a running stack)"
        );
    }
}
