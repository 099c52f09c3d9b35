//! TEMPORARY placeholder, replaced by the real rules module.
use serde::Deserialize;
use crate::model::{Problem, Stack};
use crate::templates::Templates;
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {}
impl Alerts {
    pub fn check(&self) -> Vec<Problem> { vec![] }
    pub fn rule_files(&self, _stack: &Stack, _templates: &Templates) -> anyhow::Result<Vec<(String, String)>> { Ok(vec![]) }
}
