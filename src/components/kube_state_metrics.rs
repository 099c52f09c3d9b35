//! TEMPORARY placeholder, replaced by the real component.
use serde::Deserialize;
use super::{Component, Context};
use crate::k8s::Object;
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KubeStateMetrics {}
impl Component for KubeStateMetrics {
    const NAME: &'static str = "kube_state_metrics";
    const FILE: &'static str = "kube-state-metrics";
    fn build(&self, _cx: &Context<'_>) -> anyhow::Result<Vec<Object>> { Ok(vec![]) }
}
