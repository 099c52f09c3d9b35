//! TEMPORARY placeholder.
pub mod rules;
use serde::Deserialize;
use super::{Component, Context};
use crate::k8s::Object;
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Prometheus { alerts: rules::Alerts }
impl Component for Prometheus {
    const NAME: &'static str = "prometheus";
    const FILE: &'static str = "prometheus";
    fn build(&self, _cx: &Context<'_>) -> anyhow::Result<Vec<Object>> { let _ = &self.alerts; Ok(vec![]) }
}
