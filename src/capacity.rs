//! The capacity model: for every store's volumes (`contrib::capacity::Disk`), the data of its
//! kind that components keep (`Retained`) → bytes one volume needs, compared with its size.
//! A volume too small for its retention, or far larger than it needs, is a located warning
//! with the numbers and a suggested size; data kept in object storage is summed for the cost
//! report. Runs after the contributions are collected and before anything is built; reads
//! only contributions (README: "Capacity model" states the formulas and constants).

use crate::contrib::Collected;
use crate::contrib::capacity::{Disk, GIB};
use crate::diag::Code;
use crate::model::Problem;

/// A volume larger than this many times its need is "far too large"...
const OVERSIZED_FACTOR: f64 = 4.0;
/// ...unless the excess is below this: 10 GiB of block storage costs about $1 a month.
const OVERSIZED_SLACK_BYTES: f64 = 10.0 * GIB;
/// A suggested size leaves the need at 80% of what the store may use.
const SUGGESTED_HEADROOM: f64 = 1.25;

/// One store's volume against what it must hold.
#[derive(Debug, Clone)]
pub struct Fit<'a> {
    pub component: &'static str,
    pub disk: &'a Disk,
    /// The data of the disk's kind kept by every component, in bytes (before overhead).
    pub retained_bytes: f64,
    /// Bytes one volume needs.
    pub needed: f64,
    /// Bytes of object storage the data takes.
    pub object_bytes: f64,
}

/// Every store's volume with what it must hold, in registry order.
pub fn fits(collected: &Collected) -> Vec<Fit<'_>> {
    collected
        .disks()
        .map(|(component, disk)| {
            let retained_bytes: f64 = collected
                .retained()
                .filter(|r| r.kind == disk.kind)
                .map(|r| r.bytes())
                .sum();
            Fit {
                component,
                disk,
                retained_bytes,
                needed: disk.needed(retained_bytes),
                object_bytes: disk.object_bytes(retained_bytes),
            }
        })
        .collect()
}

/// Object storage the stack's data takes, in bytes.
pub fn object_storage_bytes(collected: &Collected) -> f64 {
    fits(collected).iter().map(|f| f.object_bytes).sum()
}

/// Warnings for volumes too small for their retention or far too large for it.
pub fn check(collected: &Collected) -> Vec<Problem> {
    fits(collected)
        .iter()
        .filter(|f| f.retained_bytes > 0.0)
        .filter_map(|f| too_small(collected, f).or_else(|| oversized(collected, f)))
        .collect()
}

fn gib(bytes: f64) -> f64 {
    bytes / GIB
}

/// Whole GiB of volume whose usable share holds `needed` with `headroom`.
fn suggested_gib(disk: &Disk, needed: f64, headroom: f64) -> f64 {
    let usable_share = disk.usable_bytes / disk.volume_bytes;
    (needed * headroom / usable_share / GIB).ceil().max(1.0)
}

/// The loads and retentions behind a kind of data, for messages.
fn sources(collected: &Collected, disk: &Disk) -> (String, Vec<String>, Vec<String>) {
    let retained: Vec<_> = collected
        .retained()
        .filter(|r| r.kind == disk.kind)
        .collect();
    let what = retained
        .iter()
        .map(|r| format!("{} kept {}", r.load, r.retention))
        .collect::<Vec<_>>()
        .join(" and ");
    let retention_keys = retained.iter().map(|r| r.retention_key.clone()).collect();
    let load_keys = retained.iter().map(|r| r.load_key.clone()).collect();
    (what, retention_keys, load_keys)
}

fn too_small(collected: &Collected, f: &Fit<'_>) -> Option<Problem> {
    let disk = f.disk;
    if f.needed <= disk.usable_bytes {
        return None;
    }
    let (what, retention_keys, load_keys) = sources(collected, disk);
    // Located at the retention: the volume may be right and the retention wishful.
    let key = retention_keys
        .first()
        .cloned()
        .unwrap_or_else(|| disk.volume_key.clone());
    Some(Problem::warning(
        key,
        Code::RetentionExceedsStorage,
        format!(
            "{}: {what} needs about {:.1} GiB per volume ({}), but {} = {} keeps only {:.1} GiB; {}",
            disk.store,
            gib(f.needed),
            disk.basis,
            disk.volume_key,
            disk.volume,
            gib(disk.usable_bytes),
            disk.when_full,
        ),
        format!(
            "raise {} to at least {:.0}Gi, shorten {}, or lower {} if it overstates the load",
            disk.volume_key,
            suggested_gib(disk, f.needed, 1.0),
            retention_keys.join(" or "),
            load_keys.join(" or "),
        ),
    ))
}

fn oversized(collected: &Collected, f: &Fit<'_>) -> Option<Problem> {
    let disk = f.disk;
    let far = disk.usable_bytes > f.needed * OVERSIZED_FACTOR
        && disk.usable_bytes - f.needed > OVERSIZED_SLACK_BYTES;
    if !far {
        return None;
    }
    let (what, _, load_keys) = sources(collected, disk);
    let suggested = suggested_gib(disk, f.needed, SUGGESTED_HEADROOM);
    Some(Problem::warning(
        disk.volume_key.clone(),
        Code::VolumeOversized,
        format!(
            "{}: {} = {} is more than {OVERSIZED_FACTOR:.0} times what {what} needs (about {:.1} GiB per volume, {})",
            disk.store,
            disk.volume_key,
            disk.volume,
            gib(f.needed),
            disk.basis,
        ),
        format!(
            "lower {} to about {suggested:.0}Gi (an existing volume cannot shrink: only new ones are smaller), or raise {} if the load is higher",
            disk.volume_key,
            load_keys.join(" or "),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contrib::Contributions;
    use crate::contrib::capacity::{DataKind, Retained};

    fn disk(volume_gib: f64, per_byte: f64, fixed_gib: f64, object_storage: bool) -> Disk {
        Disk {
            kind: DataKind::Logs,
            store: "Store",
            volume_key: "store.volume".into(),
            volume: format!("{volume_gib}Gi"),
            volume_bytes: volume_gib * GIB,
            usable_bytes: volume_gib * GIB * 0.85,
            per_byte,
            fixed_bytes: fixed_gib * GIB,
            object_storage,
            basis: "basis".into(),
            when_full: "it fills up",
        }
    }

    fn stack_with(disk: Disk, gib_per_day: f64, days: f64) -> Collected {
        let retained = Retained {
            kind: DataKind::Logs,
            bytes_per_day: gib_per_day * GIB,
            retention_days: days,
            retention: format!("{days}d"),
            retention_key: "writer.retention".into(),
            load: "the load".into(),
            load_key: "writer.load".into(),
        };
        Collected {
            by_component: vec![
                (
                    "writer",
                    Contributions {
                        retained: vec![retained],
                        ..Contributions::default()
                    },
                ),
                (
                    "store",
                    Contributions {
                        disks: vec![disk],
                        ..Contributions::default()
                    },
                ),
            ],
        }
    }

    #[test]
    fn a_volume_too_small_is_reported_at_the_retention_with_the_size_that_fits() {
        // 2 GiB/day × 10 days × 1.5 + 1 GiB = 31 GiB; 20Gi keeps 17 GiB; 31/0.85 → 37Gi.
        let collected = stack_with(disk(20.0, 1.5, 1.0, false), 2.0, 10.0);
        let [p] = check(&collected).try_into().unwrap();
        assert_eq!(p.key, "writer.retention");
        assert_eq!(p.diagnostic.code, Code::RetentionExceedsStorage);
        assert!(
            p.diagnostic
                .message
                .contains("needs about 31.0 GiB per volume"),
            "{}",
            p.diagnostic.message
        );
        assert!(
            p.diagnostic
                .help
                .as_deref()
                .unwrap()
                .starts_with("raise store.volume to at least 37Gi"),
        );
    }

    #[test]
    fn a_volume_far_too_large_is_reported_at_the_volume_only_past_the_slack() {
        // 0.1 GiB/day × 10 days × 1.5 = 1.5 GiB: 100Gi is far too large; suggest
        // 1.5 × 1.25 / 0.85 = 2.2 → 3Gi.
        let collected = stack_with(disk(100.0, 1.5, 0.0, false), 0.1, 10.0);
        let [p] = check(&collected).try_into().unwrap();
        assert_eq!(p.key, "store.volume");
        assert_eq!(p.diagnostic.code, Code::VolumeOversized);
        assert!(p.diagnostic.help.as_deref().unwrap().contains("about 3Gi"));
        // 10Gi is more than 4 times 1.5 GiB too, but the excess costs less than the slack.
        assert!(check(&stack_with(disk(10.0, 1.5, 0.0, false), 0.1, 10.0)).is_empty());
    }

    #[test]
    fn on_object_storage_the_volume_holds_only_its_fixed_part() {
        let collected = stack_with(disk(10.0, 1.05, 2.0, true), 1.0, 30.0);
        assert!(check(&collected).is_empty());
        let bytes = object_storage_bytes(&collected);
        assert!((bytes / GIB - 31.5).abs() < 1e-9, "{}", bytes / GIB);
    }
}
