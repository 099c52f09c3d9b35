//! Stage 4: cross-object checks over what the builders produced, before anything is written.
//! Checks never re-read the profile. Each rule is one function returning diagnostics that name
//! the object at fault; each group of rules is one file.

pub mod dashboards;
mod heavy_queries;
mod policy;
pub mod promql;
mod queries;
mod refs;

use crate::contrib::Collected;
use crate::diag::Diagnostic;
use crate::k8s::Manifest;
use crate::k8s::Object;

pub fn check(manifest: &Manifest, collected: &Collected) -> Vec<Diagnostic> {
    check_built(manifest, collected, rules(collected))
}

/// The checks of the rules' PromQL, which read only the contributions (the pipeline runs them
/// beside the build and hands the result to `check_built`).
pub fn rules(collected: &Collected) -> Vec<Diagnostic> {
    promql::rules(collected)
}

/// Every check, with `rule_problems` from `rules(collected)`.
pub fn check_built(
    manifest: &Manifest,
    collected: &Collected,
    rule_problems: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let objects: Vec<&Object> = manifest.objects().collect();
    let dashboard_files = dashboards::files(&objects);
    // The groups of checks are independent; they run in parallel and report in this order.
    let ((refs, policy), (dashboards, (queries, heavy))) = rayon::join(
        || {
            rayon::join(
                || refs::check(&objects, collected),
                || policy::check(&objects),
            )
        },
        || {
            rayon::join(
                || dashboards::check(&objects, &dashboard_files),
                || {
                    let dashboard_queries = dashboards::queries(&dashboard_files);
                    let load = collected.query_loads().next();
                    let parsed = queries::parse_all(&dashboard_queries, load);
                    (
                        promql::check(collected, &parsed),
                        heavy_queries::check(collected, &parsed),
                    )
                },
            )
        },
    );
    let mut out = refs;
    out.extend(policy);
    out.extend(dashboards);
    out.extend(queries);
    out.extend(rule_problems);
    out.extend(heavy);
    out.sort_by_key(|d| !d.is_error());
    out
}
