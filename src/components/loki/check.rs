//! `[loki]` settings that are each valid but impossible together: more than one replica on
//! filesystem storage, a replication factor above the replica count, object storage without
//! its bucket, endpoint or credentials, retention that the compactor cannot apply; and two
//! replicas, which keep no write availability through a restart (a warning).

use super::{Loki, StorageKind};
use crate::diag::Code;
use crate::model::{Problem, check_replicas};

const DAY_MS: u64 = 86_400_000;

pub fn problems(l: &Loki) -> Vec<Problem> {
    let mut problems = l.resources.check("loki.resources");
    problems.extend(check_replicas("loki.replicas", l.replicas, 9));
    problems.extend(replicas_on_filesystem(l));
    problems.extend(replication(l));
    problems.extend(object_storage(l));
    problems.extend(retention(l));
    problems.extend(l.alerts.request_errors.check("loki.alerts.request_errors"));
    problems
}

/// Loki's docs: "Running Loki as a cluster is not possible with the filesystem store"
/// (docs/sources/operations/storage/filesystem.md@v3.7.6); the community chart refuses it too.
fn replicas_on_filesystem(l: &Loki) -> Option<Problem> {
    (l.storage.kind == StorageKind::Filesystem && l.replicas > 1).then(|| {
        Problem::error(
            "loki.replicas",
            Code::FilesystemReplicas,
            format!(
                "{} Loki replicas cannot share filesystem storage: each would keep its own chunks and index, and queries would miss what the others stored",
                l.replicas
            ),
            "set loki.replicas = 1, or set loki.storage.type = \"s3\" with a bucket, endpoint and credentials_secret (3 replicas keep writes available through a restart)",
        )
    })
}

/// With replication factor RF a write needs floor(RF/2)+1 live replicas (dskit ring quorum).
fn replication(l: &Loki) -> Vec<Problem> {
    let rf = l.replication();
    let mut out = Vec::new();
    if rf < 1 || rf > l.replicas {
        out.push(Problem::error(
            "loki.replication_factor",
            Code::ReplicationAboveReplicas,
            format!(
                "replication factor {rf} needs at least {rf} replicas, but loki.replicas = {}; every write would fail",
                l.replicas
            ),
            format!(
                "set loki.replication_factor between 1 and {} (or leave it out: the smaller of replicas and 3)",
                l.replicas
            ),
        ));
    } else if l.replicas == 2 {
        out.push(Problem::warning(
            "loki.replicas",
            Code::NoWriteQuorum,
            format!(
                "with 2 replicas and replication factor {rf}, a write needs {} live replicas: while one restarts, every push fails",
                rf / 2 + 1
            ),
            "set loki.replicas = 3 (replication factor 3 needs 2 of them), or 1 if losing writes during restarts is acceptable",
        ));
    }
    out
}

fn object_storage(l: &Loki) -> Vec<Problem> {
    let s = &l.storage;
    if s.kind != StorageKind::S3 {
        return Vec::new();
    }
    let missing = |key: &str, what: &str, example: &str| {
        Problem::error(
            format!("loki.storage.{key}"),
            Code::ObjectStorageIncomplete,
            format!("object storage needs {what}, and loki.storage.{key} is empty"),
            format!("set loki.storage.{key}, e.g. {example}"),
        )
    };
    let mut out = Vec::new();
    if s.bucket.is_empty() {
        out.push(missing("bucket", "a bucket", "\"todo-chatbot-logs\""));
    }
    if s.endpoint.is_empty() {
        out.push(missing(
            "endpoint",
            "an endpoint",
            "\"fra1.digitaloceanspaces.com\"",
        ));
    }
    if s.credentials_secret.is_none() {
        out.push(missing(
            "credentials_secret",
            "an existing Secret with its access keys",
            "\"loki-object-storage\"",
        ));
    }
    out
}

/// The compactor applies retention per daily index table: retention must be whole days, at
/// least one (docs/sources/operations/storage/retention.md@v3.7.6).
fn retention(l: &Loki) -> Option<Problem> {
    let ms = l.retention.millis();
    (ms < DAY_MS || !ms.is_multiple_of(DAY_MS)).then(|| {
        let days = (ms / DAY_MS).max(1);
        Problem::error(
            "loki.retention",
            Code::RetentionNotWholeDays,
            format!(
                "retention {} is not a whole number of days; the compactor deletes by 24h index period",
                l.retention
            ),
            format!(
                "set loki.retention to a multiple of 24h, e.g. \"{}h\"",
                days * 24
            ),
        )
    })
}
