//! Prometheus' rule files: one `<component>.yml` per component that contributes rule groups
//! (`contrib::RuleGroup`), in the `prometheus-rules` ConfigMap. Prometheus leaves out a group
//! that reads a job no enabled component contributes (it could never fire or record anything),
//! and adds to its own file the one group derived from every contribution: the stack's
//! targets being down.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::contrib::{Collected, RuleGroup};
use crate::templates::Templates;

/// The template's view of one rule file.
#[derive(Debug, Serialize)]
struct RuleFile<'a> {
    component: &'a str,
    groups: Vec<&'a RuleGroup>,
}

/// (file name, content) of every rule file.
pub fn rule_files(
    collected: &Collected,
    templates: &Templates,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut by_component: BTreeMap<&str, Vec<&RuleGroup>> = BTreeMap::new();
    for (component, group) in collected.kept_rule_groups() {
        by_component.entry(component).or_default().push(group);
    }
    // Each file renders on its own (minijinja is most of Prometheus' build).
    let files: Vec<anyhow::Result<(String, String)>> = by_component
        .into_par_iter()
        .map(|(component, groups)| {
            // File names follow the output files: `kube-state-metrics.yml`.
            let stem = component.replace('_', "-");
            let file = RuleFile {
                component: &stem,
                groups,
            };
            let text = templates.render_yaml("prometheus/rules.yml.j2", &file)?;
            Ok((format!("{stem}.yml"), text))
        })
        .collect();
    files.into_iter().collect()
}
