//! What other components add to the Prometheus pods (`contrib::StoreExtension`), merged into
//! one view: extra containers and volumes, the replica label, fixed block durations and a
//! cap on local retention. Prometheus applies it without knowing who asked.

use k8s_openapi::api::core::v1::{Container, Volume};

use super::DATA_VOLUME;
use crate::contrib::{Collected, StoreExtension};
use crate::k8s::pod;
use crate::model::Duration;

/// Every extension, merged.
#[derive(Debug, Default)]
pub struct Extensions {
    pub containers: Vec<Container>,
    pub volumes: Vec<Volume>,
    /// External labels whose value is the pod's name (`${POD_NAME}`).
    pub replica_labels: Vec<String>,
    /// The shortest requested block duration.
    pub block_duration: Option<Duration>,
    /// The shortest requested local retention.
    pub max_retention: Option<Duration>,
    /// checkov waivers the extensions' containers need.
    pub waivers: Vec<crate::k8s::waivers::Waiver>,
}

/// The environment variable the replica labels expand (Prometheus 3 expands `${VAR}` in
/// external label values, migration guide: `expand-external-labels` is the default).
pub const POD_NAME_ENV: &str = "POD_NAME";

impl Extensions {
    pub fn of(collected: &Collected) -> Extensions {
        let mut out = Extensions::default();
        for ext in collected.metrics_store_extensions() {
            out.add(ext);
        }
        out
    }

    fn add(&mut self, ext: &StoreExtension) {
        self.containers
            .extend(ext.containers.iter().cloned().map(|mut c| {
                if let Some(path) = &ext.tsdb_mount {
                    c.volume_mounts
                        .get_or_insert_with(Vec::new)
                        .push(pod::mount(DATA_VOLUME, path, false));
                }
                c
            }));
        self.volumes.extend(ext.volumes.iter().cloned());
        self.waivers.extend(ext.waivers.iter().cloned());
        if let Some(label) = &ext.replica_label
            && !self.replica_labels.contains(label)
        {
            self.replica_labels.push(label.clone());
        }
        self.block_duration = shortest(self.block_duration.take(), ext.block_duration.clone());
        self.max_retention = shortest(self.max_retention.take(), ext.max_retention.clone());
    }

    /// The retention Prometheus runs with: the profile's, capped by the extensions'.
    pub fn retention(&self, configured: &Duration) -> Duration {
        match &self.max_retention {
            Some(cap) if cap < configured => cap.clone(),
            _ => configured.clone(),
        }
    }
}

fn shortest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contrib::Contributions;
    use crate::model::alerts::duration;

    fn collected(extensions: Vec<StoreExtension>) -> Collected {
        Collected {
            by_component: vec![(
                "x",
                Contributions {
                    metrics_store: extensions,
                    ..Contributions::default()
                },
            )],
        }
    }

    #[test]
    fn extensions_merge_and_cap_the_retention() {
        let sidecar = Container {
            name: "sidecar".into(),
            ..Container::default()
        };
        let e = Extensions::of(&collected(vec![
            StoreExtension {
                containers: vec![sidecar],
                tsdb_mount: Some("/prometheus".into()),
                replica_label: Some("replica".into()),
                block_duration: Some(duration("2h")),
                max_retention: Some(duration("2d")),
                ..StoreExtension::default()
            },
            StoreExtension {
                replica_label: Some("replica".into()),
                max_retention: Some(duration("7d")),
                ..StoreExtension::default()
            },
        ]));
        assert_eq!(e.replica_labels, ["replica"]);
        assert_eq!(e.block_duration, Some(duration("2h")));
        assert_eq!(e.retention(&duration("15d")), duration("2d"));
        assert_eq!(e.retention(&duration("1d")), duration("1d"));
        let mounts = e.containers[0].volume_mounts.clone().unwrap_or_default();
        assert_eq!(mounts[0].name, DATA_VOLUME);
        assert_eq!(mounts[0].mount_path, "/prometheus");
        // Nothing asked: nothing changes.
        let none = Extensions::of(&Collected::default());
        assert_eq!(none.retention(&duration("15d")), duration("15d"));
        assert!(none.containers.is_empty() && none.replica_labels.is_empty());
    }
}
