//! Capacity vocabulary: the data a component writes per day and keeps for a retention
//! (`Retained`), and the volumes that hold it (`Disk`). The capacity model
//! (`crate::capacity`) matches the two by kind of data, so a store learns its load from the
//! component that writes to it (Elasticsearch from Jaeger) without reading its settings.
//! Plain data: every constant behind a number is stated where the component computes it.

pub const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
pub const DAY_SECONDS: f64 = 86_400.0;

/// What kind of data a store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DataKind {
    /// Prometheus samples.
    Samples,
    /// Log lines (Loki).
    Logs,
    /// Trace spans (Elasticsearch, written by Jaeger).
    Spans,
}

/// Data a component writes and keeps for a retention.
#[derive(Debug, Clone, PartialEq)]
pub struct Retained {
    pub kind: DataKind,
    /// Bytes written per day, as the store keeps them before its own overhead (index, WAL).
    pub bytes_per_day: f64,
    pub retention_days: f64,
    /// The retention as written (`15d`), and its profile key: a too-small volume is reported
    /// there, since shortening it is one of the fixes.
    pub retention: String,
    pub retention_key: String,
    /// The expected load in the user's terms ("100000 series every 15s") and the profile key
    /// that declares it.
    pub load: String,
    pub load_key: String,
}

impl Retained {
    pub fn bytes(&self) -> f64 {
        self.bytes_per_day * self.retention_days
    }
}

/// A store's volumes (one per replica) and what each of them holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Disk {
    pub kind: DataKind,
    /// The store, as messages name it (`Prometheus`).
    pub store: &'static str,
    /// Profile key and value of one volume's size.
    pub volume_key: String,
    pub volume: String,
    pub volume_bytes: f64,
    /// How much of one volume the data may fill before the store deletes or stops
    /// (Prometheus' retention size, Elasticsearch's low disk watermark).
    pub usable_bytes: f64,
    /// Bytes one volume needs per byte retained: the store's overhead (index, WAL) times the
    /// share of the data one volume holds (copies / volumes).
    pub per_byte: f64,
    /// What every volume holds besides the retained data (WAL, caches), in bytes.
    pub fixed_bytes: f64,
    /// The retained data lives in object storage (`per_byte` of it, once); the volume holds
    /// only `fixed_bytes`.
    pub object_storage: bool,
    /// How the need is computed, for the message (`2 bytes per sample + 10% for the WAL`).
    pub basis: String,
    /// What happens when the data does not fit.
    pub when_full: &'static str,
}

impl Disk {
    /// Bytes one volume needs for `retained` bytes of data.
    pub fn needed(&self, retained: f64) -> f64 {
        if self.object_storage {
            self.fixed_bytes
        } else {
            retained * self.per_byte + self.fixed_bytes
        }
    }

    /// Bytes of object storage `retained` bytes of data take.
    pub fn object_bytes(&self, retained: f64) -> f64 {
        if self.object_storage {
            retained * self.per_byte
        } else {
            0.0
        }
    }
}

/// What the metrics store can answer cheaply, for the heavy-query estimate of dashboard panels
/// (`validate::heavy_queries`): its expected load and the most samples one panel may scan.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryLoad {
    /// The datasource uid panels name.
    pub datasource: String,
    pub expected_series: f64,
    pub scrape_interval_seconds: f64,
    /// Samples one panel may scan over its dashboard's time range (estimated), and its key.
    pub max_panel_samples: f64,
    pub key: String,
}
