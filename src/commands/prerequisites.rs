//! `monstack prerequisites`: what the rendered objects expect to exist in the cluster before
//! `kubectl apply` (a StorageClass, CRDs and controllers, buckets), read from the components'
//! contributions (`contrib::Prerequisite`). The same prerequisite is listed once, with every
//! component that needs it.

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::ChecklistArgs;
use crate::contrib::Collected;

pub fn run(args: &ChecklistArgs) -> anyhow::Result<ExitCode> {
    let c = match super::compile_checklist(args)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let list = PrerequisiteList {
        prerequisites: prerequisites(&c.collected),
    };
    super::print_list(args.format, &list, || text(&list.prerequisites))
}

/// The `--format json` document.
#[derive(Debug, Serialize)]
struct PrerequisiteList {
    prerequisites: Vec<Prerequisite>,
}

#[derive(Debug, Serialize)]
struct Prerequisite {
    kind: String,
    name: String,
    needed_by: Vec<Need>,
}

#[derive(Debug, Serialize)]
struct Need {
    component: &'static str,
    why: String,
}

/// Every prerequisite once (by kind and name), in the order components first need them.
fn prerequisites(collected: &Collected) -> Vec<Prerequisite> {
    let mut out: Vec<Prerequisite> = Vec::new();
    for (component, p) in collected.prerequisites() {
        let need = Need {
            component,
            why: p.why.clone(),
        };
        match out
            .iter_mut()
            .find(|listed| listed.kind == p.kind && listed.name == p.name)
        {
            Some(listed) => listed.needed_by.push(need),
            None => out.push(Prerequisite {
                kind: p.kind.clone(),
                name: p.name.clone(),
                needed_by: vec![need],
            }),
        }
    }
    out
}

fn text(prerequisites: &[Prerequisite]) -> String {
    if prerequisites.is_empty() {
        return "Nothing but the Secrets (`monstack secrets`) needs to exist before `kubectl apply`.\n"
            .into();
    }
    let mut out = String::from(
        "Before `kubectl apply`, the cluster must have (besides the Secrets: `monstack secrets`):\n",
    );
    for p in prerequisites {
        out.push_str(&format!("\n{} {}\n", p.kind, p.name));
        for (why, components) in by_reason(&p.needed_by) {
            out.push_str(&format!("  {}: {why}\n", components.join(", ")));
        }
    }
    out
}

/// The components that need a prerequisite, those giving the same reason on one line.
fn by_reason(needs: &[Need]) -> Vec<(&str, Vec<&'static str>)> {
    let mut out: Vec<(&str, Vec<&'static str>)> = Vec::new();
    for need in needs {
        match out.iter_mut().find(|(why, _)| *why == need.why) {
            Some((_, components)) => components.push(need.component),
            None => out.push((&need.why, vec![need.component])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contrib::{Contributions, Prerequisite as Contributed};

    fn needing(kind: &str, name: &str, why: &str) -> Contributions {
        Contributions {
            prerequisites: vec![Contributed {
                kind: kind.into(),
                name: name.into(),
                why: why.into(),
            }],
            ..Contributions::default()
        }
    }

    #[test]
    fn a_prerequisite_needed_twice_is_listed_once_with_both_components() {
        let collected = Collected {
            by_component: vec![
                ("a", needing("StorageClass", "fast", "volumes")),
                (
                    "b",
                    needing("CustomResourceDefinition", "x.example.com", "CRs"),
                ),
                ("c", needing("StorageClass", "fast", "volumes")),
                ("d", needing("StorageClass", "fast", "its cache")),
            ],
        };
        let listed = prerequisites(&collected);
        let names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["fast", "x.example.com"]);
        assert_eq!(
            text(&listed),
            "Before `kubectl apply`, the cluster must have (besides the Secrets: `monstack secrets`):\n\
             \n\
             StorageClass fast\n  a, c: volumes\n  d: its cache\n\
             \n\
             CustomResourceDefinition x.example.com\n  b: CRs\n"
        );
    }
}
