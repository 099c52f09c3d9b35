//! The `[thanos]` value checks: missing object storage, raw history shorter than the local
//! retention, and per-resolution retentions out of order or below the Compactor's minimums.

use super::*;
use crate::diag::Code;

fn thanos(extra: &str) -> Thanos {
    toml::from_str(&format!(
        "enabled = true\n{extra}\n[storage]\nbucket = \"m\"\nendpoint = \"fra1.digitaloceanspaces.com\"\ncredentials_secret = \"thanos-s3\"\n"
    ))
    .unwrap()
}

fn codes(t: &Thanos) -> Vec<(String, Code)> {
    t.check(&Stack::default())
        .into_iter()
        .map(|p| (p.key, p.diagnostic.code))
        .collect()
}

#[test]
fn a_complete_profile_passes_and_disabled_thanos_is_not_checked() {
    assert!(codes(&thanos("")).is_empty());
    assert!(Thanos::default().check(&Stack::default()).is_empty());
}

#[test]
fn thanos_without_object_storage_is_refused_at_each_missing_key() {
    let t: Thanos = toml::from_str("enabled = true").unwrap();
    assert_eq!(
        codes(&t),
        [
            (
                "thanos.storage.bucket".into(),
                Code::ObjectStorageIncomplete
            ),
            (
                "thanos.storage.endpoint".into(),
                Code::ObjectStorageIncomplete
            ),
            (
                "thanos.storage.credentials_secret".into(),
                Code::ObjectStorageIncomplete
            ),
        ]
    );
}

#[test]
fn raw_history_must_reach_back_as_far_as_the_local_data() {
    let t = thanos("local_retention = \"7d\"\n[retention]\nraw = \"3d\"\n");
    assert_eq!(
        codes(&t),
        [("thanos.retention.raw".into(), Code::RetentionBelowLocal)]
    );
    assert!(
        codes(&thanos(
            "local_retention = \"3d\"\n[retention]\nraw = \"3d\"\n"
        ))
        .is_empty()
    );
    // Forever is long enough.
    assert!(
        codes(&thanos(
            "[retention]\nraw = \"0d\"\ndownsampled_5m = \"0d\"\ndownsampled_1h = \"0d\"\n"
        ))
        .is_empty()
    );
}

#[test]
fn resolutions_are_kept_in_order_and_above_the_compactors_minimums() {
    let t = thanos("[retention]\ndownsampled_5m = \"400d\"\ndownsampled_1h = \"90d\"\n");
    assert_eq!(
        codes(&t),
        [(
            "thanos.retention.downsampled_1h".into(),
            Code::DownsamplingRetentionOrder
        )]
    );
    let t =
        thanos("local_retention = \"1d\"\n[retention]\nraw = \"1d\"\ndownsampled_5m = \"5d\"\n");
    assert_eq!(
        codes(&t),
        [
            (
                "thanos.retention.raw".into(),
                Code::DownsamplingRetentionOrder
            ),
            (
                "thanos.retention.downsampled_5m".into(),
                Code::DownsamplingRetentionOrder
            ),
        ]
    );
    // Raw kept forever but 1h not: the coarser resolution would vanish first.
    let t = thanos("[retention]\nraw = \"0d\"\n");
    assert_eq!(
        codes(&t),
        [(
            "thanos.retention.downsampled_5m".into(),
            Code::DownsamplingRetentionOrder
        )]
    );
}

#[test]
fn a_local_retention_under_three_blocks_is_refused() {
    let t = thanos("local_retention = \"4h\"\n");
    assert_eq!(
        codes(&t),
        [("thanos.local_retention".into(), Code::InvalidValue)]
    );
}
