//! `[thanos]` settings that are each valid but do not fit together: Thanos without its bucket,
//! endpoint or credentials; raw history in the bucket shorter than Prometheus' local
//! retention; per-resolution retentions out of order or below what the Compactor accepts
//! (cmd/thanos/compact.go@v0.42.4 refuses raw < 40h and 5m < 10d when downsampling is on).

use super::{KEY, Retention, Thanos};
use crate::diag::Code;
use crate::model::alerts::duration;
use crate::model::{Duration, Problem, check_replicas};

pub fn problems(t: &Thanos) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (key, resources) in [
        ("sidecar", &t.sidecar.resources),
        ("query", &t.query.resources),
        ("store", &t.store.resources),
        ("compact", &t.compact.resources),
    ] {
        problems.extend(resources.check(&format!("{KEY}.{key}.resources")));
    }
    problems.extend(check_replicas(
        &format!("{KEY}.query.replicas"),
        t.query.replicas,
        10,
    ));
    problems.extend(check_replicas(
        &format!("{KEY}.store.replicas"),
        t.store.replicas,
        10,
    ));
    problems.extend(object_storage(t));
    problems.extend(local_retention(t));
    problems.extend(retention_order(&t.retention));
    problems.extend(
        t.alerts
            .store_errors
            .check(&format!("{KEY}.alerts.store_errors")),
    );
    problems
}

/// Thanos is object storage: without a bucket, an endpoint and credentials nothing uploads.
fn object_storage(t: &Thanos) -> Vec<Problem> {
    let s = &t.storage;
    let missing = [
        (
            "bucket",
            s.bucket.is_empty(),
            "bucket = \"todo-chatbot-metrics\"",
        ),
        (
            "endpoint",
            s.endpoint.is_empty(),
            "endpoint = \"fra1.digitaloceanspaces.com\"",
        ),
        (
            "credentials_secret",
            s.credentials_secret.is_none(),
            "credentials_secret = \"thanos-object-storage\" (a Secret you create)",
        ),
    ];
    missing
        .into_iter()
        .filter(|(_, absent, _)| *absent)
        .map(|(key, _, example)| {
            Problem::error(
                format!("{KEY}.storage.{key}"),
                Code::ObjectStorageIncomplete,
                format!("Thanos uploads Prometheus' blocks to object storage, but thanos.storage.{key} is not set"),
                format!("set {example} in [thanos.storage], or thanos.enabled = false"),
            )
        })
        .collect()
}

/// "0d" keeps a resolution forever.
fn forever(d: &Duration) -> bool {
    d.millis() == 0
}

/// The sidecar docs ask for at least three blocks (6h) locally; raw history in the bucket
/// must reach back at least as far as the local data.
fn local_retention(t: &Thanos) -> Vec<Problem> {
    let mut out = Vec::new();
    let local = &t.local_retention;
    if *local < duration("6h") {
        out.push(Problem::error(
            format!("{KEY}.local_retention"),
            Code::InvalidValue,
            format!("local_retention = \"{local}\" is shorter than three 2h blocks"),
            "keep at least 6h locally (docs/components/sidecar.md), so a bucket outage loses no block; 2d is the default",
        ));
    }
    let raw = &t.retention.raw;
    if !forever(raw) && raw < local {
        out.push(Problem::error(
            format!("{KEY}.retention.raw"),
            Code::RetentionBelowLocal,
            format!(
                "the bucket keeps raw samples for {raw}, less than the {local} Prometheus keeps locally (thanos.local_retention): dashboards over Thanos would lose full resolution before the replicas do"
            ),
            format!("raise thanos.retention.raw to at least {local}, or lower thanos.local_retention"),
        ));
    }
    out
}

/// raw ≤ 5m ≤ 1h (a coarser resolution exists to reach further back), and the Compactor's
/// minimums: raw is downsampled to 5m after 40h, 5m to 1h after 10d.
fn retention_order(r: &Retention) -> Vec<Problem> {
    let mut out = Vec::new();
    let minimums = [
        ("raw", &r.raw, "40h", "5m downsampling starts after 40h"),
        (
            "downsampled_5m",
            &r.downsampled_5m,
            "10d",
            "1h downsampling starts after 10d",
        ),
    ];
    for (key, value, min, why) in minimums {
        if !forever(value) && *value < duration(min) {
            out.push(Problem::error(
                format!("{KEY}.retention.{key}"),
                Code::DownsamplingRetentionOrder,
                format!("retention.{key} = \"{value}\" is below {min}: {why}, and the Compactor refuses to start with a shorter one"),
                format!("set thanos.retention.{key} to at least {min} (or \"0d\" to keep it forever)"),
            ));
        }
    }
    let ordered = [
        ("raw", &r.raw),
        ("downsampled_5m", &r.downsampled_5m),
        ("downsampled_1h", &r.downsampled_1h),
    ];
    for pair in ordered.windows(2) {
        let ((finer_key, finer), (coarser_key, coarser)) = (pair[0], pair[1]);
        let longer = forever(finer) && !forever(coarser) || !forever(coarser) && finer > coarser;
        if longer {
            out.push(Problem::error(
                format!("{KEY}.retention.{coarser_key}"),
                Code::DownsamplingRetentionOrder,
                format!(
                    "retention.{coarser_key} (\"{coarser}\") is shorter than retention.{finer_key} (\"{finer}\"): the coarser resolution would be deleted first, though it exists to reach further back"
                ),
                format!("keep raw ≤ downsampled_5m ≤ downsampled_1h: raise thanos.retention.{coarser_key} to at least {finer}"),
            ));
        }
    }
    out
}
