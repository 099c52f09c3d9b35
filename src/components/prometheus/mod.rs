//! Prometheus: a StatefulSet of identical replicas (each scrapes everything, so one can fail),
//! with its TSDB on a volume per pod, configuration and rules from ConfigMaps that it reloads
//! itself when they change (`--config.auto-reload`: no restart, no lifecycle API), and
//! read-only RBAC for the Kubernetes discovery it uses (pods and nodes). What other components
//! add to its pods (`contrib::StoreExtension`, e.g. Thanos' sidecar) it applies in
//! `extend.rs` without knowing who asked.

mod alerts;
mod config;
mod extend;
mod moved;
mod rules;

use crate::components::pod_resources;
use crate::diag::Code;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{PodSpec, Probe, ServicePort};
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use serde::Deserialize;

use super::{Component, Context};
use crate::contrib::capacity::{DAY_SECONDS, DataKind, Disk, QueryLoad, Retained};
use crate::contrib::{
    BasicAuth, Contributions, Destination, Exposure, Flow, Offer, Peer, ScrapeJob, SecretRef,
    ServiceKind, storage_class_prerequisite,
};
use crate::k8s::Object;
use crate::k8s::builders::{self};
use crate::k8s::meta::App;
use crate::k8s::pod;
use crate::k8s::waivers::{self, Waiver};
use crate::model::endpoints::{Datasource, DatasourceKind, ServiceAddress};
use crate::model::{
    ByteSize, Duration, HostName, Image, Problem, Resources, Stack, VolumeSize, WebAuth,
    check_replicas,
};

const NAME: &str = "prometheus";
const PORT: i32 = 9090;
const PORT_NAME: &str = "http";
const CONFIG_DIR: &str = "/etc/prometheus/config";
pub(crate) const RULES_DIR: &str = "/etc/prometheus/rules";
const DATA_DIR: &str = "/prometheus";
/// Where the Secrets with credentials are mounted, one directory per Secret.
pub(crate) const SECRETS_DIR: &str = "/etc/prometheus/secrets";
/// The TSDB volume (a claim per replica), which extensions may mount too.
const DATA_VOLUME: &str = "data";
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
    /// A rough count of active series (targets × series per target): the load of the
    /// capacity model, which warns when `retention.time` cannot fit on the volume.
    pub expected_series: u64,
    /// Size of each replica's TSDB volume.
    pub storage: VolumeSize,
    pub resources: Resources,
    pub query: Query,
    /// Public host name (e.g. `prometheus.example.com`); sets `--web.external-url` so alert
    /// links point at it. "" unsets it.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub host: Option<HostName>,
    /// Expose the UI at `host` when `[access]` routes UIs from outside.
    pub expose: bool,
    /// Prometheus' own basic auth (`--web.config.file`); unset leaves it to the proxy in
    /// front (`[access]`) and the NetworkPolicies.
    pub web_auth: Option<WebAuth>,
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
    /// Samples one dashboard panel may scan over its time range, as `validate` estimates it
    /// from `expected_series`; a panel above it is warned about (read a recording rule).
    pub max_panel_samples: u64,
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
            expose: true,
            web_auth: None,
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
            // Twice what one query may hold in memory (`max_samples`): a budget, not a
            // measurement (README "Heavy queries").
            max_panel_samples: 100_000_000,
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

    /// The samples this Prometheus keeps, for the capacity model. Prometheus stores 1–2 bytes
    /// per sample once compacted (docs/storage.md, "Operational aspects"); 2 are assumed.
    fn retained(&self) -> Retained {
        const BYTES_PER_SAMPLE: f64 = 2.0;
        let samples_per_second =
            self.expected_series as f64 / self.scrape_interval.seconds().max(1.0);
        Retained {
            kind: DataKind::Samples,
            bytes_per_day: samples_per_second * DAY_SECONDS * BYTES_PER_SAMPLE,
            retention_days: self.retention.time.seconds() / DAY_SECONDS,
            retention: self.retention.time.to_string(),
            retention_key: "prometheus.retention.time".into(),
            load: format!(
                "{} series every {}",
                self.expected_series, self.scrape_interval
            ),
            load_key: "prometheus.expected_series".into(),
        }
    }

    /// Each replica keeps every sample on its own volume, plus 10% for the WAL and the room
    /// compaction needs; it may fill `retention.size` (85% of the volume unless set).
    fn disk(&self) -> Disk {
        Disk {
            kind: DataKind::Samples,
            store: "Prometheus",
            volume_key: "prometheus.storage".into(),
            volume: self.storage.to_string(),
            volume_bytes: self.storage.value(),
            usable_bytes: self.retention_bytes(),
            per_byte: 1.1,
            fixed_bytes: 0.0,
            object_storage: false,
            basis: "2 bytes per sample, +10% for the WAL and compaction".into(),
            when_full: "the oldest samples are deleted by size before they reach the retention",
        }
    }

    fn app<'a>(&self, cx: &Context<'a>) -> App<'a> {
        cx.app(NAME, "metrics-server")
    }

    fn service_address(&self, stack: &Stack) -> ServiceAddress {
        ServiceAddress::in_stack(stack, NAME, PORT_NAME, PORT)
    }

    /// The credentials the stack's own clients send, when Prometheus asks for them.
    fn client(&self) -> Option<BasicAuth> {
        WebAuth::client(self.web_auth.as_ref())
    }

    /// The web-auth Secret: the web config Prometheus reads and the password clients send.
    fn web_auth_secret(&self, stack: &Stack) -> Option<SecretRef> {
        WebAuth::secret_ref(
            self.web_auth.as_ref(),
            stack.namespace.as_str(),
            "prometheus.web_auth.secret",
        )
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
                    .with_metrics(&[METRICS, alerts::METRICS].concat())
                    .with_basic_auth(self.client()),
            ],
            secrets: self.web_auth_secret(stack).into_iter().collect(),
            rule_groups: alerts::group(&self.alerts, stack).into_iter().collect(),
            datasources: vec![Datasource {
                uid: NAME.into(),
                name: "Prometheus".into(),
                kind: DatasourceKind::Prometheus,
                service: self.service_address(stack),
                min_interval: Some(self.scrape_interval.to_string()),
                basic_auth: self.client(),
                replaces: None,
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
            exposures: self
                .expose
                .then(|| {
                    let exposure = Exposure::of(
                        NAME,
                        "Prometheus",
                        self.service_address(stack),
                        self.host.as_ref(),
                    );
                    // Behind its own login, the proxy's would fight over the one header.
                    match self.client() {
                        Some(_) => exposure.with_own_login(),
                        None => exposure,
                    }
                })
                .into_iter()
                .collect(),
            // Its pods take what others add to them (`StoreExtension`: Thanos' sidecar), unless
            // its own login is on: a sidecar reads the TSDB API without credentials.
            offers: self
                .client()
                .is_none()
                .then(|| Offer {
                    kind: ServiceKind::MetricsStore,
                    service: self.service_address(stack),
                    basic_auth: None,
                    index_replicas: None,
                })
                .into_iter()
                .collect(),
            retained: vec![self.retained()],
            disks: vec![self.disk()],
            query_loads: vec![QueryLoad {
                datasource: NAME.into(),
                expected_series: self.expected_series as f64,
                scrape_interval_seconds: self.scrape_interval.seconds(),
                max_panel_samples: self.query.max_panel_samples as f64,
                key: "prometheus.query.max_panel_samples".into(),
            }],
            ..Contributions::default()
        }
    }

    fn derived_rule_groups(
        &self,
        stack: &Stack,
        collected: &crate::contrib::Collected,
    ) -> Vec<crate::contrib::RuleGroup> {
        alerts::target_down_group(&self.alerts, stack, collected)
            .into_iter()
            .collect()
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        let app = self.app(cx);
        let extensions = extend::Extensions::of(cx.collected);
        let config = config::config_file(self, cx.stack, cx.collected, &extensions);
        let prometheus_yml = cx
            .templates
            .render_yaml("prometheus/prometheus.yml.j2", &config)?;
        let rules = rules::rule_files(cx.collected, cx.templates)?;
        let objects: Vec<Object> = vec![
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
            // Sticky sessions only while clients query the replicas themselves: a datasource
            // that replaces this one (Thanos Query) deduplicates them instead.
            client_service(&app, !cx.collected.is_replaced(NAME)).into(),
            builders::headless_service(&app, "prometheus-headless", vec![http_port()]).into(),
            self.stateful_set(&app, cx, extensions).into(),
        ];
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
/// with `sticky` one client sticks to one replica (`ClientIP`) and its graphs do not flicker
/// between them.
fn client_service(app: &App<'_>, sticky: bool) -> k8s_openapi::api::core::v1::Service {
    let mut service = builders::service(app, NAME, vec![http_port()]);
    if let Some(spec) = service.spec.as_mut().filter(|_| sticky) {
        spec.session_affinity = Some("ClientIP".into());
    }
    service
}

fn http_port() -> ServicePort {
    builders::service_port(PORT_NAME, PORT, "TCP")
}

impl Prometheus {
    fn args(&self, extensions: &extend::Extensions) -> Vec<String> {
        let mut args = vec![
            // Setting args replaces the image's CMD, so its two defaults are repeated here.
            format!("--config.file={CONFIG_DIR}/prometheus.yml"),
            format!("--storage.tsdb.path={DATA_DIR}"),
            format!(
                "--storage.tsdb.retention.time={}",
                extensions.retention(&self.retention.time)
            ),
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
        if let Some(auth) = self.web_auth.as_ref().filter(|w| w.enabled) {
            args.push(format!(
                "--web.config.file={SECRETS_DIR}/{}/{}",
                auth.secret.as_str(),
                WebAuth::WEB_CONFIG_KEY
            ));
        }
        if let Some(block) = &extensions.block_duration {
            // Equal durations turn local compaction off (hidden flags of cmd/prometheus).
            args.push(format!("--storage.tsdb.min-block-duration={block}"));
            args.push(format!("--storage.tsdb.max-block-duration={block}"));
        }
        args
    }

    /// Every Secret Prometheus reads credentials from: its own web config, and the passwords
    /// of the targets and Alertmanagers that ask for one. Sorted, each once.
    fn credential_secrets(&self, collected: &crate::contrib::Collected) -> Vec<String> {
        let mut names: std::collections::BTreeSet<String> = collected
            .scrape_jobs()
            .filter_map(|j| j.basic_auth.as_ref())
            .chain(
                collected
                    .alert_receiver()
                    .and_then(|r| r.basic_auth.as_ref()),
            )
            .map(|b| b.secret.clone())
            .collect();
        names.extend(
            self.web_auth
                .iter()
                .filter(|w| w.enabled)
                .map(|w| w.secret.as_str().to_string()),
        );
        names.into_iter().collect()
    }

    /// kubelet probes cannot log in without a password in the pod spec, and exporter-toolkit
    /// asks for one on every path (`/-/ready` too): with web auth on, the probes only check
    /// that the port accepts connections.
    fn probes(&self) -> (Probe, Probe) {
        let (readiness, liveness) = (
            pod::http_probe("/-/ready", PORT_NAME),
            pod::liveness_probe("/-/healthy", PORT_NAME),
        );
        if self.client().is_none() {
            return (readiness, liveness);
        }
        let port_only = |http: Probe| Probe {
            http_get: None,
            tcp_socket: pod::tcp_probe(PORT_NAME).tcp_socket,
            ..http
        };
        (port_only(readiness), port_only(liveness))
    }
}

impl Prometheus {
    fn stateful_set(
        &self,
        app: &App<'_>,
        cx: &Context<'_>,
        extensions: extend::Extensions,
    ) -> StatefulSet {
        let stack = cx.stack;
        let secrets = self.credential_secrets(cx.collected);
        let mut container =
            pod::container(NAME, self.image.as_str(), pod_resources(&self.resources));
        container.args = Some(self.args(&extensions));
        if !extensions.replica_labels.is_empty() {
            container.env = Some(vec![pod::field_env(extend::POD_NAME_ENV, "metadata.name")]);
        }
        container.ports = Some(vec![pod::tcp_port(PORT_NAME, PORT)]);
        let (readiness, liveness) = self.probes();
        container.readiness_probe = Some(readiness);
        container.liveness_probe = Some(liveness);
        let mut mounts = vec![
            pod::mount("config", CONFIG_DIR, true),
            pod::mount("rules", RULES_DIR, true),
            pod::mount(DATA_VOLUME, DATA_DIR, false),
        ];
        mounts.extend(
            secrets
                .iter()
                .map(|s| pod::mount(&format!("secret-{s}"), &format!("{SECRETS_DIR}/{s}"), true)),
        );
        container.volume_mounts = Some(mounts);
        let mut containers = vec![container];
        containers.extend(extensions.containers);
        let mut volumes = vec![
            pod::config_map_volume("config", "prometheus-config"),
            pod::config_map_volume("rules", "prometheus-rules"),
        ];
        volumes.extend(
            secrets
                .iter()
                .map(|s| pod::secret_volume(&format!("secret-{s}"), s, false)),
        );
        volumes.extend(extensions.volumes);
        let spec = PodSpec {
            service_account_name: Some(NAME.into()),
            automount_service_account_token: Some(true),
            security_context: Some(pod::pod_security(UID)),
            topology_spread_constraints: builders::topology_spread(
                app,
                self.replicas,
                stack.nodes.get(),
            ),
            // Time to finish writing the head block and WAL on shutdown.
            termination_grace_period_seconds: Some(300),
            containers,
            volumes: Some(volumes),
            ..PodSpec::default()
        };
        /// checkov CKV_K8S_38 (token mounted): the token is what discovery reads the API with.
        const API_CLIENT: Waiver = Waiver {
            check: "CKV_K8S_38",
            reason: "Prometheus discovers its scrape targets (pods and nodes) through the Kubernetes API",
        };
        let template = app.pod_template(BTreeMap::new(), spec);
        let own_waivers: Vec<Waiver> = std::iter::once(API_CLIENT)
            .chain(extensions.waivers)
            .collect();
        StatefulSet {
            metadata: waivers::workload_meta(app, NAME, &template, &own_waivers),
            spec: Some(StatefulSetSpec {
                replicas: Some(self.replicas),
                service_name: Some("prometheus-headless".into()),
                pod_management_policy: Some("Parallel".into()),
                selector: app.selector(),
                template,
                volume_claim_templates: Some(vec![pod::pvc_template(
                    DATA_VOLUME,
                    self.storage.as_str(),
                    stack.storage_class.as_ref().map(|c| c.as_str()),
                )]),
                ..StatefulSetSpec::default()
            }),
            ..StatefulSet::default()
        }
    }
}
