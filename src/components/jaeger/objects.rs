//! Jaeger's objects: per role a ServiceAccount without an API token, a ConfigMap with the
//! typed config file, a Service and the workload (collector and query Deployments spread over
//! nodes with a disruption budget, the agent DaemonSet behind a node-local Service), and the
//! index cleaner CronJob that enforces the span retention.

use std::collections::BTreeMap;

use anyhow::Context as _;
use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{Container, ContainerPort, EnvVar, PodSpec, Service, ServicePort};

use super::config::{self, PASSWORD_DIR, StoreSettings};
use super::{AGENT, CLEANER, COLLECTOR, Jaeger, QUERY, ports};
use crate::components::{Context, pod_resources};
use crate::contrib::{BasicAuth, Offer, ServiceKind};
use crate::k8s::builders::{self, service_port};
use crate::k8s::meta::App;
use crate::k8s::waivers::{self, Waiver};
use crate::k8s::{Object, pod};
use crate::model::endpoints::DatasourceKind;
use crate::templates::yaml_of;

/// The images' user (`USER 10001`, cmd/jaeger/Dockerfile and cmd/es-index-cleaner/Dockerfile
/// @v2.20.0).
const UID: i64 = 10001;
const CONFIG_DIR: &str = "/etc/jaeger";
const CONFIG_FILE: &str = "config.yaml";

/// One role: its name, container ports and the ports its Service exposes.
struct RoleSpec<'a> {
    name: &'a str,
    component: &'a str,
    ports: Vec<(&'static str, i32)>,
    config: String,
}

pub fn objects(j: &Jaeger, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
    let store_offer = cx
        .collected
        .offer(ServiceKind::SpanStore)
        .context("no span store is offered (the need is checked before build)")?;
    let store = StoreSettings {
        url: store_offer.service.http_url(),
        lookback: j.lookback(),
        index_prefix: cx.stack.name.as_str(),
        auth: store_offer.basic_auth.as_ref(),
        index_replicas: store_offer.index_replicas.unwrap_or(0).into(),
    };
    let spm = j
        .span_metrics
        .then(|| {
            cx.collected
                .datasources()
                .find(|d| d.kind == DatasourceKind::Prometheus)
                // Jaeger's Prometheus client sends a bearer token at most (promcfg in
                // v2.20 has no basic auth): behind Prometheus' own login the Monitor tab
                // could not read anything, so it is left off.
                .filter(|d| d.basic_auth.is_none())
                .map(|d| d.service.http_url())
        })
        .flatten();
    let collector = RoleSpec {
        name: COLLECTOR,
        component: "trace-collector",
        ports: collector_ports(j.span_metrics),
        config: yaml_of(&config::collector(&store, j.span_metrics))?,
    };
    let query = RoleSpec {
        name: QUERY,
        component: "trace-query",
        ports: vec![
            ("http", ports::QUERY_HTTP),
            ("grpc", ports::QUERY_GRPC),
            ("metrics", ports::METRICS),
        ],
        config: yaml_of(&config::query(&store, spm))?,
    };
    let mut out = Vec::new();
    for (role, replicas, resources) in [
        (&collector, j.collector.replicas, &j.collector.resources),
        (&query, j.query.replicas, &j.query.resources),
    ] {
        let app = cx.app(role.name, role.component);
        out.extend(common(&app, role));
        let pod = pod_spec(j, role, resources, store.auth);
        out.push(deployment(&app, replicas, cx.stack.nodes.get(), pod, &role.config).into());
    }
    if j.agent.enabled {
        out.extend(agent(j, cx)?);
    }
    out.extend(cleaner(j, cx, store_offer));
    Ok(out)
}

fn collector_ports(span_metrics: bool) -> Vec<(&'static str, i32)> {
    let mut ports = vec![
        ("otlp-grpc", ports::OTLP_GRPC),
        ("otlp-http", ports::OTLP_HTTP),
        ("jaeger-grpc", ports::JAEGER_GRPC),
        ("jaeger-http", ports::JAEGER_HTTP),
        ("zipkin", ports::ZIPKIN),
        ("metrics", ports::METRICS),
    ];
    if span_metrics {
        ports.push(("spanmetrics", ports::SPAN_METRICS));
    }
    ports
}

fn service_ports(role: &RoleSpec<'_>) -> Vec<ServicePort> {
    role.ports
        .iter()
        .map(|(name, port)| service_port(name, *port, "TCP"))
        .collect()
}

/// ServiceAccount, ConfigMap and Service of a role.
fn common(app: &App<'_>, role: &RoleSpec<'_>) -> Vec<Object> {
    vec![
        builders::service_account(app, role.name, false).into(),
        builders::config_map(
            app,
            role.name,
            BTreeMap::from([(CONFIG_FILE.to_string(), role.config.clone())]),
        )
        .into(),
        builders::service(app, role.name, service_ports(role)).into(),
    ]
}

fn container(j: &Jaeger, role: &RoleSpec<'_>, resources: &crate::model::Resources) -> Container {
    let mut c = pod::container(role.name, j.image.as_str(), pod_resources(resources));
    c.args = Some(vec![format!("--config={CONFIG_DIR}/{CONFIG_FILE}")]);
    let mut ports: Vec<ContainerPort> = role
        .ports
        .iter()
        .map(|(name, port)| pod::tcp_port(name, *port))
        .collect();
    ports.push(pod::tcp_port("health", ports::HEALTH));
    c.ports = Some(ports);
    // healthcheckv2's HTTP status endpoint (its endpoint is explicit in the config).
    c.readiness_probe = Some(pod::http_probe("/status", "health"));
    c.liveness_probe = Some(pod::liveness_probe("/status", "health"));
    c.volume_mounts = Some(vec![
        pod::mount("config", CONFIG_DIR, true),
        pod::mount("tmp", "/tmp", false),
    ]);
    c
}

fn pod_spec(
    j: &Jaeger,
    role: &RoleSpec<'_>,
    resources: &crate::model::Resources,
    auth: Option<&BasicAuth>,
) -> PodSpec {
    let mut c = container(j, role, resources);
    let mut volumes = vec![
        pod::config_map_volume("config", role.name),
        pod::empty_dir("tmp", "256Mi"),
    ];
    if let Some(a) = auth {
        c.volume_mounts
            .get_or_insert_with(Vec::new)
            .push(pod::mount("es-password", PASSWORD_DIR, true));
        volumes.push(pod::secret_volume("es-password", &a.secret, false));
    }
    PodSpec {
        service_account_name: Some(role.name.into()),
        automount_service_account_token: Some(false),
        security_context: Some(pod::pod_security(UID)),
        containers: vec![c],
        volumes: Some(volumes),
        ..PodSpec::default()
    }
}

fn annotations(config: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("checksum/config".to_string(), pod::checksum(config))])
}

fn deployment(
    app: &App<'_>,
    replicas: i32,
    nodes: u32,
    mut spec: PodSpec,
    config: &str,
) -> Deployment {
    spec.topology_spread_constraints = builders::topology_spread(app, replicas, nodes);
    let template = app.pod_template(annotations(config), spec);
    Deployment {
        metadata: waivers::workload_meta(app, app.name, &template, &[]),
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            selector: app.selector(),
            template,
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// The node agent: a DaemonSet reached through a node-local Service, so a pod's spans go to
/// the agent on its own node without a hostPort (Pod Security `restricted` holds).
fn agent(j: &Jaeger, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
    let collector = cx
        .collected
        .offer(ServiceKind::OtlpGrpc)
        .context("the collector offers its OTLP/gRPC port")?;
    let role = RoleSpec {
        name: AGENT,
        component: "trace-agent",
        ports: vec![
            ("otlp-grpc", ports::OTLP_GRPC),
            ("otlp-http", ports::OTLP_HTTP),
            ("metrics", ports::METRICS),
        ],
        config: yaml_of(&config::agent(collector.service.host_port()))?,
    };
    let app = cx.app(AGENT, "trace-agent");
    let mut objects = common(&app, &role);
    for o in &mut objects {
        if let Object::Service(s) = o {
            node_local(s);
        }
    }
    let spec = pod_spec(j, &role, &j.agent.resources, None);
    let template = app.pod_template(annotations(&role.config), spec);
    objects.push(
        DaemonSet {
            metadata: waivers::workload_meta(&app, AGENT, &template, &[]),
            spec: Some(DaemonSetSpec {
                selector: app.selector(),
                template,
                ..DaemonSetSpec::default()
            }),
            ..DaemonSet::default()
        }
        .into(),
    );
    Ok(objects)
}

/// Traffic to the Service stays on the sender's node.
fn node_local(service: &mut Service) {
    if let Some(spec) = service.spec.as_mut() {
        spec.internal_traffic_policy = Some("Local".into());
    }
}

fn env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..EnvVar::default()
    }
}

/// checkov CKV_K8S_35 (Secret in an environment variable): the cleaner's only way to log in.
const CLEANER_SECRET_ENV: Waiver = Waiver {
    check: "CKV_K8S_35",
    reason: "jaeger-es-index-cleaner takes the Elasticsearch password from ES_PASSWORD filled from the Secret by reference (a flag would show it in the pod spec)",
};

/// Deletes span indices older than the retention, once a day. Indices are per day; with the
/// relative-time gate (beta, on, in 2.20) "older than N days" counts from now.
fn cleaner(j: &Jaeger, cx: &Context<'_>, store: &Offer) -> Vec<Object> {
    let app = cx.app(CLEANER, "retention");
    let mut c = pod::container(
        CLEANER,
        j.cleaner_image.as_str(),
        pod::resource_requirements(("10m", "32Mi"), ("200m", "128Mi")),
    );
    c.args = Some(vec![
        j.retention_days().to_string(),
        store.service.http_url(),
    ]);
    // Must equal the collector's `indices.index_prefix` ("-" is appended by the cleaner).
    let mut vars = vec![env("INDEX_PREFIX", cx.stack.name.as_str())];
    if let Some(a) = &store.basic_auth {
        vars.push(env("ES_USERNAME", &a.username));
        vars.push(pod::secret_env("ES_PASSWORD", &a.secret, &a.key));
    }
    c.env = Some(vars);
    let spec = PodSpec {
        service_account_name: Some(CLEANER.into()),
        automount_service_account_token: Some(false),
        security_context: Some(pod::pod_security(UID)),
        restart_policy: Some("OnFailure".into()),
        containers: vec![c],
        ..PodSpec::default()
    };
    let template = app.pod_template(BTreeMap::new(), spec);
    let secret_env = template
        .spec
        .as_ref()
        .is_some_and(waivers::reads_secret_env);
    let own: &[Waiver] = if secret_env {
        &[CLEANER_SECRET_ENV]
    } else {
        &[]
    };
    let cron = CronJob {
        metadata: waivers::workload_meta(&app, CLEANER, &template, own),
        spec: Some(CronJobSpec {
            schedule: j.cleaner_schedule.clone(),
            concurrency_policy: Some("Forbid".into()),
            successful_jobs_history_limit: Some(1),
            failed_jobs_history_limit: Some(3),
            job_template: JobTemplateSpec {
                spec: Some(JobSpec {
                    backoff_limit: Some(3),
                    active_deadline_seconds: Some(1800),
                    template,
                    ..JobSpec::default()
                }),
                ..JobTemplateSpec::default()
            },
            ..CronJobSpec::default()
        }),
        ..CronJob::default()
    };
    vec![
        builders::service_account(&app, CLEANER, false).into(),
        cron.into(),
    ]
}
