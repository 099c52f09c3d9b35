//! TEMPORARY placeholder, replaced by the real component.
use serde::Deserialize;
use super::{Component, Context};
use crate::k8s::Object;
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Alertmanager {}
impl Component for Alertmanager {
    const NAME: &'static str = "alertmanager";
    const FILE: &'static str = "alertmanager";
    fn build(&self, _cx: &Context<'_>) -> anyhow::Result<Vec<Object>> { Ok(vec![]) }
}
