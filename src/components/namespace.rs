//! The stack's namespace, created first so everything else can be applied into it, and the
//! namespaces components ask for (node agents), each with the least Pod Security level its
//! pods need and the reason written on it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace as NamespaceObject;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

use super::{Component, Context};
use crate::k8s::Object;

/// Annotation that says why a namespace does not enforce `restricted`.
pub const POD_SECURITY_REASON: &str = "monstack.io/pod-security-reason";

/// `[namespace]`: no settings yet; the name comes from `stack.namespace`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Namespace {}

impl Component for Namespace {
    const NAME: &'static str = "namespace";
    const FILE: &'static str = "00-namespace";

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        // Pod Security Admission: every pod of the stack's namespace meets "restricted", so the
        // namespace enforces it; node agents run in their own namespaces (below).
        let mut objects = vec![namespace(
            cx,
            cx.stack.namespace.as_str(),
            "restricted",
            None,
        )];
        for request in cx.collected.namespaces() {
            objects.push(namespace(
                cx,
                &request.name,
                request.pod_security,
                Some(&request.reason),
            ));
        }
        Ok(objects)
    }
}

/// A namespace that enforces `level` (and warns at it, so `kubectl apply` names a pod that
/// would be refused).
fn namespace(cx: &Context<'_>, name: &str, level: &str, reason: Option<&str>) -> Object {
    let app = cx.app("monitoring", "namespace");
    let mut labels = app.labels();
    labels.insert("pod-security.kubernetes.io/enforce".into(), level.into());
    labels.insert("pod-security.kubernetes.io/warn".into(), level.into());
    NamespaceObject {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels),
            annotations: reason
                .map(|r| BTreeMap::from([(POD_SECURITY_REASON.to_string(), r.to_string())])),
            ..ObjectMeta::default()
        },
        ..NamespaceObject::default()
    }
    .into()
}
