//! The stack's namespace, created first so everything else can be applied into it.

use k8s_openapi::api::core::v1::Namespace as NamespaceObject;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

use super::{Component, Context};
use crate::k8s::Object;

/// `[namespace]`: no settings yet; the name comes from `stack.namespace`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Namespace {}

impl Component for Namespace {
    const NAME: &'static str = "namespace";
    const FILE: &'static str = "00-namespace";

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        let app = cx.app("monitoring", "namespace");
        let mut labels = app.labels();
        // Pod Security Admission: every pod monstack renders meets "restricted", so the
        // namespace enforces it. Host-path agents (log shipping) must run elsewhere or relax this.
        labels.insert(
            "pod-security.kubernetes.io/enforce".into(),
            "restricted".into(),
        );
        labels.insert(
            "pod-security.kubernetes.io/warn".into(),
            "restricted".into(),
        );
        Ok(vec![
            NamespaceObject {
                metadata: ObjectMeta {
                    name: Some(cx.stack.namespace.to_string()),
                    labels: Some(labels),
                    ..ObjectMeta::default()
                },
                ..NamespaceObject::default()
            }
            .into(),
        ])
    }
}
