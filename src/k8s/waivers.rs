//! checkov waivers: a check a workload fails by design is waived on that object with the
//! annotation `checkov.io/skipN: CKV_K8S_XX=reason`, and only there. The reasons that follow
//! from the pod's images are computed here from the containers; every other waiver is declared
//! by the component that knows why (a `Waiver` constant beside its workload). The README's
//! "Hardening" table lists every waiver with its reason (a test compares them).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::meta::App;

/// One checkov check a workload fails on purpose, and why. checkov reads the reason up to the
/// end of the annotation, so it must not contain `=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiver {
    pub check: &'static str,
    pub reason: &'static str,
}

/// An image pinned by tag, not digest: monstack cannot look digests up, so the shipped
/// profiles pin tags; a profile pins a digest with `image = "repo:tag@sha256:<64 hex>"`.
pub const IMAGE_TAG: Waiver = Waiver {
    check: "CKV_K8S_43",
    reason: "pinned by tag (monstack cannot look up digests); pin a digest in the profile with image repo:tag@sha256:<64 hex>",
};

/// `IfNotPresent` instead of `Always`: the image is pinned, so the node's copy is the same
/// program, and pods still start while the registry is unreachable.
pub const PULL_IF_NOT_PRESENT: Waiver = Waiver {
    check: "CKV_K8S_15",
    reason: "the image is pinned, so IfNotPresent runs the same program and pods still start while the registry is down",
};

/// The waivers that follow from a pod's images: a tag without a digest, a pull policy other
/// than `Always`.
pub fn of_images(spec: &PodSpec) -> Vec<Waiver> {
    let containers: Vec<_> = spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .collect();
    let mut out = Vec::new();
    let by_tag = |image: &str| !image.contains("@sha256:");
    if containers
        .iter()
        .any(|c| c.image.as_deref().is_some_and(by_tag))
    {
        out.push(IMAGE_TAG);
    }
    if containers
        .iter()
        .any(|c| c.image_pull_policy.as_deref() != Some("Always"))
    {
        out.push(PULL_IF_NOT_PRESENT);
    }
    out
}

/// Whether a container of the pod reads a Secret into an environment variable (checkov's
/// CKV_K8S_35 prefers files), so a component waives that check only where it applies.
pub fn reads_secret_env(spec: &PodSpec) -> bool {
    spec.init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .flat_map(|c| c.env.iter().flatten())
        .any(|e| {
            e.value_from
                .as_ref()
                .is_some_and(|v| v.secret_key_ref.is_some())
        })
}

/// Metadata of a workload: the app's, with the image waivers of its pod template and the
/// component's own waivers as checkov skip annotations (none when nothing is waived).
pub fn workload_meta(
    app: &App<'_>,
    name: &str,
    template: &PodTemplateSpec,
    own: &[Waiver],
) -> ObjectMeta {
    let mut waivers = template.spec.as_ref().map(of_images).unwrap_or_default();
    waivers.extend_from_slice(own);
    let mut meta = app.meta(name);
    if !waivers.is_empty() {
        meta.annotations = Some(annotations(&waivers));
    }
    meta
}

/// `checkov.io/skip1`, `skip2`... in the given order.
pub fn annotations(waivers: &[Waiver]) -> BTreeMap<String, String> {
    waivers
        .iter()
        .enumerate()
        .map(|(i, w)| {
            (
                format!("checkov.io/skip{}", i + 1),
                format!("{}={}", w.check, w.reason),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::pod;

    #[test]
    fn a_digest_and_always_need_no_image_waiver() {
        let digest = "0123456789abcdef".repeat(4);
        let mut c = pod::container(
            "c",
            &format!("x:1@sha256:{digest}"),
            pod::resource_requirements(("1m", "1Mi"), ("1m", "1Mi")),
        );
        c.image_pull_policy = Some("Always".into());
        let spec = PodSpec {
            containers: vec![c.clone()],
            ..PodSpec::default()
        };
        assert!(of_images(&spec).is_empty());
        c.image = Some("x:1".into());
        let tagged = PodSpec {
            containers: vec![c],
            ..PodSpec::default()
        };
        assert_eq!(of_images(&tagged), vec![IMAGE_TAG]);
    }

    #[test]
    fn reasons_survive_checkovs_parser() {
        // checkov splits the annotation at `=` and expects exactly two parts.
        for w in [IMAGE_TAG, PULL_IF_NOT_PRESENT] {
            assert!(!w.reason.contains('='), "{}", w.reason);
        }
    }
}
