//! Stage 4: cross-object checks over what the builders produced, before anything is written.
//! Checks never re-read the profile. Each rule is one function returning diagnostics that name
//! the object at fault; each group of rules is one file.

pub mod dashboards;
mod heavy_queries;
mod policy;
pub mod promql;
mod refs;

use crate::contrib::Collected;
use crate::diag::Diagnostic;
use crate::k8s::Manifest;
use crate::k8s::Object;

pub fn check(manifest: &Manifest, collected: &Collected) -> Vec<Diagnostic> {
    let objects: Vec<&Object> = manifest.objects().collect();
    let mut out = refs::check(&objects, collected);
    out.extend(policy::check(&objects));
    let dashboard_files = dashboards::files(&objects);
    out.extend(dashboards::check(&objects, &dashboard_files));
    out.extend(promql::check(collected, &dashboard_files));
    out.extend(heavy_queries::check(collected, &dashboard_files));
    out.sort_by_key(|d| !d.is_error());
    out
}
