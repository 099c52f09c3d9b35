//! Prometheus: a StatefulSet of identical replicas (each scrapes everything, so one can fail),
//! with its TSDB on a volume per pod, configuration and rules from ConfigMaps that it reloads
//! itself when they change (`--config.auto-reload`: no restart, no lifecycle API), and
//! read-only RBAC for the Kubernetes discovery it uses (pods and nodes).

mod alerts;
mod config;
mod moved;
mod rules;

use crate::components::pod_resources;
use crate::diag::Code;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{PodSpec, ServicePort};
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use serde::Deserialize;

use super::{Component, Context};
use crate::contrib::{
    Contributions, Destination, Flow, Peer, ScrapeJob, storage_class_prerequisite,
};
use crate::k8s::Object;
use crate::k8s::builders::{self};
use crate::k8s::meta::App;
use crate::k8s::pod;
use crate::model::endpoints::{Datasource, DatasourceKind, ServiceAddress};
use crate::model::{
    ByteSize, Duration, HostName, Image, Problem, Resources, Stack, VolumeSize, check_replicas,
};

const NAME: &str = "prometheus";
const PORT: i32 = 9090;
const PORT_NAME: &str = "http";
const CONFIG_DIR: &str = "/etc/prometheus/config";
pub(crate) const RULES_DIR: &str = "/etc/prometheus/rules";
const DATA_DIR: &str = "/prometheus";
/// The image's `nobody` user.
const UID: i64 = 65534;
/// Prometheus' own series that rules and dashboards may read (the alerts' are in `alerts.rs`).
const METRICS: &[&str] = &["prometheus_build_info", "prometheus_tsdb_head_series"];

/// `[prometheus]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Prometheus {
    pub enabled: bool,
    /// Identical replicas; each scrapes every target, so alerts survive one replica's loss.
    pub replicas: i32,
    pub image: Image,
    /// How often every target is scraped.
    pub scrape_interval: Duration,
    /// At most `scrape_interval`.
    pub scrape_timeout: Duration,
    /// How often recording and alerting rules are evaluated.
    pub evaluation_interval: Duration,
    pub retention: Retention,
    /// A rough count of active series (targets × series per target), for the disk estimate
    /// that warns when `retention.time` cannot fit on the volume.
    pub expected_series: u64,
    /// Size of each replica's TSDB volume.
    pub storage: VolumeSize,
    pub resources: Resources,
    pub query: Query,
    /// Public host name (e.g. `prometheus.example.com`); sets `--web.external-url` so alert
    /// links point at it. "" unsets it.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub host: Option<HostName>,
    /// Moved to the components of the sources they scrape (`[applications]`, `[kubelet]`,
    /// `[dapr]`, `[kafka]`); kept only to say where each key went.
    #[schemars(skip)]
    pub scrape: Option<toml::Value>,
    /// Prometheus' alerts about itself and the stack's own targets.
    pub alerts: alerts::Alerts,
}

/// How long and how much data is kept.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Delete blocks older than this.
    pub time: Duration,
    /// Delete the oldest blocks beyond this size (a Kubernetes quantity such as `42Gi`).
    /// Default: 85% of `storage`, so a full volume never crash-loops the pod.
    pub size: Option<ByteSize>,
}

/// Query limits (the seed's `max_concurrency` and `timeout`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Query {
    pub max_concurrency: u32,
    pub timeout: Duration,
    pub max_samples: u64,
}

impl Default for Prometheus {
    fn default() -> Self {
        let d = |s: &str| Duration::parse(s).expect("invariant: valid default");
        Prometheus {
            enabled: true,
            replicas: 2,
            image: Image::parse("quay.io/prometheus/prometheus:v3.14.0")
                .expect("invariant: valid default"),
            scrape_interval: d("15s"),
            scrape_timeout: d("10s"),
            evaluation_interval: d("15s"),
            retention: Retention::default(),
            expected_series: 100_000,
            storage: VolumeSize::parse("50Gi").expect("invariant: valid default"),
            resources: Resources::new(("250m", "512Mi"), ("1000m", "2Gi")),
            query: Query::default(),
            host: None,
            scrape: None,
            alerts: alerts::Alerts::default(),
        }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            time: Duration::parse("15d").expect("invariant: valid default"),
            size: None,
        }
    }
}

impl Default for Query {
    fn default() -> Self {
        Query {
            max_concurrency: 20,
            timeout: Duration::parse("2m").expect("invariant: valid default"),
            max_samples: 50_000_000,
        }
    }
}

const MIB: f64 = 1024.0 * 1024.0;

impl Prometheus {
    /// `--storage.tsdb.retention.size` in Prometheus units (MB = 2^20 bytes).
    fn retention_size_flag(&self) -> String {
        format!("{}MB", (self.retention_bytes() / MIB).floor() as u64)
    }

    /// Bytes kept for the TSDB: `retention.size`, else 85% of the volume.
    fn retention_bytes(&self) -> f64 {
        match &self.retention.size {
            Some(size) => size.value(),
            None => self.storage.value() * 0.85,
        }
    }

    /// Warns when `retention.time` plausibly needs more disk than is kept: Prometheus stores
    /// 1–2 bytes per sample (2 assumed, plus 10% for the WAL and compaction).
    fn retention_fit(&self) -> Option<Problem> {
        const BYTES_PER_SAMPLE: f64 = 2.0 * 1.1;
        const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
        let samples_per_second =
            self.expected_series as f64 / self.scrape_interval.seconds().max(1.0);
        let needed = samples_per_second * self.retention.time.seconds() * BYTES_PER_SAMPLE;
        let available = self.retention_bytes();
        (needed > available).then(|| {
            Problem::warning(
                "prometheus.retention.time",
                Code::RetentionExceedsStorage,
                format!(
                    "{} of {} series every {} needs about {:.1} GiB, but only {:.1} GiB are kept; the oldest data will be deleted by size before it is {} old",
                    self.retention.time,
                    self.expected_series,
                    self.scrape_interval,
                    needed / GIB,
                    available / GIB,
                    self.retention.time
                ),
                format!(
                    "raise prometheus.storage to at least {:.0}Gi, shorten retention.time, or lower expected_series if it overstates the load",
                    (needed / 0.85 / GIB).ceil()
                ),
            )
        })
    }

    fn app<'a>(&self, cx: &Context<'a>) -> App<'a> {
        cx.app(NAME, "metrics-server")
    }

    fn service_address(&self, stack: &Stack) -> ServiceAddress {
        ServiceAddress::in_stack(stack, NAME, PORT_NAME, PORT)
    }
}

impl Component for Prometheus {
    const NAME: &'static str = NAME;
    const FILE: &'static str = NAME;

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let mut problems = self.resources.check("prometheus.resources");
        problems.extend(check_replicas("prometheus.replicas", self.replicas, 10));
        if self.scrape_timeout > self.scrape_interval {
            problems.push(Problem::error(
                "prometheus.scrape_timeout",
                Code::TimeoutAboveInterval,
                format!(
                    "scrape_timeout ({}) is longer than scrape_interval ({})",
                    self.scrape_timeout, self.scrape_interval
                ),
                "Prometheus rejects this; make scrape_timeout at most scrape_interval",
            ));
        }
        if let Some(size) = &self.retention.size
            && size.value() > self.storage.value()
        {
            problems.push(Problem::error(
                "prometheus.retention.size",
                Code::RetentionAboveStorage,
                format!("retention.size ({size}) is larger than the volume ({})", self.storage),
                "keep retention.size at about 85% of prometheus.storage, or leave it unset to derive it",
            ));
        }
        problems.extend(self.retention_fit());
        if self.query.max_concurrency == 0 {
            problems.push(Problem::error(
                "prometheus.query.max_concurrency",
                Code::InvalidValue,
                "query.max_concurrency = 0 would refuse every query",
                "set it to at least 1 (Prometheus' default is 20)",
            ));
        }
        problems.extend(self.alerts.check());
        problems.extend(moved::problems(self));
        problems
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        Contributions {
            scrape_jobs: vec![
                ScrapeJob::stack_pods(stack, NAME, self.service_address(stack), "/metrics")
                    .with_metrics(&[METRICS, alerts::METRICS].concat()),
            ],
            rule_groups: alerts::group(&self.alerts, stack).into_iter().collect(),
            datasources: vec![Datasource {
                uid: NAME.into(),
                name: "Prometheus".into(),
                kind: DatasourceKind::Prometheus,
                service: self.service_address(stack),
                min_interval: Some(self.scrape_interval.to_string()),
            }],
            flows: vec![
                Flow::new(
                    Peer::Component(NAME.into()),
                    Destination::ScrapeTargets,
                    "scrapes the metrics of the stack's components",
                ),
                Flow::new(
                    Peer::Component(NAME.into()),
                    Destination::AlertReceiver,
                    "sends alerts",
                ),
            ],
            prerequisites: storage_class_prerequisite(stack),
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        let app = self.app(cx);
        let config = config::config_file(self, cx.stack, cx.collected);
        let prometheus_yml = cx
            .templates
            .render_yaml("prometheus/prometheus.yml.j2", &config)?;
        let derived = alerts::target_down_group(&self.alerts, cx.stack, cx.collected);
        let rules = rules::rule_files(cx.collected, derived, cx.templates)?;
        let mut objects: Vec<Object> = vec![
            // Discovery reads the API with this token.
            builders::service_account(&app, NAME, true).into(),
            cluster_role(&app).into(),
            builders::cluster_role_binding(&app, NAME).into(),
            builders::config_map(
                &app,
                "prometheus-config",
                BTreeMap::from([("prometheus.yml".into(), prometheus_yml)]),
            )
            .into(),
            builders::config_map(&app, "prometheus-rules", rules).into(),
            client_service(&app).into(),
            builders::headless_service(&app, "prometheus-headless", vec![http_port()]).into(),
            self.stateful_set(&app, cx.stack).into(),
        ];
        if self.replicas > 1 {
            objects.push(builders::disruption_budget(&app, NAME).into());
        }
        Ok(objects)
    }
}

/// Read-only access to what `kubernetes_sd_configs` roles pod and node list, plus the kubelet's
/// metrics endpoints (`nodes/metrics` covers /metrics/cadvisor).
fn cluster_role(app: &App<'_>) -> ClusterRole {
    let rule = |resources: &[&str], verbs: &[&str]| PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(resources.iter().map(|s| s.to_string()).collect()),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..PolicyRule::default()
    };
    ClusterRole {
        metadata: app.cluster_meta(NAME),
        rules: Some(vec![
            rule(&["nodes", "pods"], &["get", "list", "watch"]),
            rule(&["nodes/metrics"], &["get"]),
        ]),
        ..ClusterRole::default()
    }
}

/// The Service Grafana and people query. Replicas scrape at slightly different moments, so
/// one client sticks to one replica (`ClientIP`) and its graphs do not flicker between them.
fn client_service(app: &App<'_>) -> k8s_openapi::api::core::v1::Service {
    let mut service = builders::service(app, NAME, vec![http_port()]);
    if let Some(spec) = service.spec.as_mut() {
        spec.session_affinity = Some("ClientIP".into());
    }
    service
}

fn http_port() -> ServicePort {
    builders::service_port(PORT_NAME, PORT, "TCP")
}

impl Prometheus {
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            // Setting args replaces the image's CMD, so its two defaults are repeated here.
            format!("--config.file={CONFIG_DIR}/prometheus.yml"),
            format!("--storage.tsdb.path={DATA_DIR}"),
            format!("--storage.tsdb.retention.time={}", self.retention.time),
            format!(
                "--storage.tsdb.retention.size={}",
                self.retention_size_flag()
            ),
            format!("--query.max-concurrency={}", self.query.max_concurrency),
            format!("--query.timeout={}", self.query.timeout),
            format!("--query.max-samples={}", self.query.max_samples),
            // Re-reads prometheus.yml and the rule files when their checksum changes. Since
            // v3.12 this is a flag: prometheus/prometheus v3.14.0 cmd/prometheus/main.go defines
            // `config.auto-reload` (line 418) and logs `--enable-feature=auto-reload-config` as
            // deprecated (lines 254-256). An image older than v3.12 refuses the unknown flag.
            "--config.auto-reload".to_string(),
            "--config.auto-reload-interval=30s".to_string(),
        ];
        if let Some(host) = &self.host {
            args.push(format!("--web.external-url=https://{host}/"));
        }
        args
    }

    fn stateful_set(&self, app: &App<'_>, stack: &Stack) -> StatefulSet {
        let mut container =
            pod::container(NAME, self.image.as_str(), pod_resources(&self.resources));
        container.args = Some(self.args());
        container.ports = Some(vec![pod::tcp_port(PORT_NAME, PORT)]);
        container.readiness_probe = Some(pod::http_probe("/-/ready", PORT_NAME));
        container.liveness_probe = Some(pod::liveness_probe("/-/healthy", PORT_NAME));
        container.volume_mounts = Some(vec![
            pod::mount("config", CONFIG_DIR, true),
            pod::mount("rules", RULES_DIR, true),
            pod::mount("data", DATA_DIR, false),
        ]);
        let spec = PodSpec {
            service_account_name: Some(NAME.into()),
            automount_service_account_token: Some(true),
            security_context: Some(pod::pod_security(UID)),
            affinity: (self.replicas > 1).then(|| builders::spread_over_nodes(app)),
            // Time to finish writing the head block and WAL on shutdown.
            termination_grace_period_seconds: Some(300),
            containers: vec![container],
            volumes: Some(vec![
                pod::config_map_volume("config", "prometheus-config"),
                pod::config_map_volume("rules", "prometheus-rules"),
            ]),
            ..PodSpec::default()
        };
        StatefulSet {
            metadata: app.meta(NAME),
            spec: Some(StatefulSetSpec {
                replicas: Some(self.replicas),
                service_name: Some("prometheus-headless".into()),
                pod_management_policy: Some("Parallel".into()),
                selector: app.selector(),
                template: app.pod_template(BTreeMap::new(), spec),
                volume_claim_templates: Some(vec![pod::pvc_template(
                    "data",
                    self.storage.as_str(),
                    stack.storage_class.as_ref().map(|c| c.as_str()),
                )]),
                ..StatefulSetSpec::default()
            }),
            ..StatefulSet::default()
        }
    }
}
