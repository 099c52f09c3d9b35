//! The two files Thanos reads, from typed values: objstore.yml (the S3 client's settings,
//! docs/storage.md@v0.42.4, `s3.Config` of thanos-io/objstore) without its keys, which come
//! from the environment; and Query's endpoint file (`EndpointConfig` of
//! cmd/thanos/endpointset.go@v0.42.4), whose `dnssrv+` addresses are resolved again every
//! 30s (`--store.sd-dns-interval`), so sidecars and store replicas join as their pods start.

use serde::Serialize;

use super::Storage;
use crate::contrib::{Collected, ServiceKind};

/// objstore.yml.
#[derive(Debug, Serialize)]
pub struct ObjstoreConfig<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub config: S3<'a>,
}

/// The S3 client settings monstack sets; `access_key`/`secret_key` stay empty, so the client
/// reads `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (docs/storage.md "Credentials").
#[derive(Debug, Serialize)]
pub struct S3<'a> {
    pub bucket: &'a str,
    pub endpoint: &'a str,
    pub region: &'a str,
    /// `auto` lets the client choose (virtual-hosted for DigitalOcean Spaces and AWS), `path`
    /// for MinIO.
    pub bucket_lookup_type: &'static str,
}

pub fn objstore(s: &Storage) -> ObjstoreConfig<'_> {
    ObjstoreConfig {
        kind: "S3",
        config: S3 {
            bucket: &s.bucket,
            endpoint: &s.endpoint,
            region: &s.region,
            bucket_lookup_type: if s.path_style { "path" } else { "auto" },
        },
    }
}

/// Query's endpoint file: one `dnssrv+` address per offered StoreAPI Service port.
#[derive(Debug, Serialize)]
pub struct EndpointFile {
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Serialize)]
pub struct Endpoint {
    pub address: String,
}

/// Every StoreAPI offered in the stack, as the SRV record of its Service port (one target per
/// ready pod behind the headless Service).
pub fn endpoints(collected: &Collected) -> EndpointFile {
    EndpointFile {
        endpoints: collected
            .offers(ServiceKind::StoreApi)
            .map(|o| Endpoint {
                address: format!("dnssrv+_{}._tcp.{}", o.service.port_name, o.service.host()),
            })
            .collect(),
    }
}
