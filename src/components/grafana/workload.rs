//! Grafana's objects: a ServiceAccount without an API token, the provisioning ConfigMaps (the
//! datasources, the dashboard provider and one ConfigMap per dashboard, each mounted as a
//! directory so updates reach the pod), a Service, and a one-replica StatefulSet.
//!
//! Dashboards are re-read from disk while Grafana runs; datasources and the provider only at
//! start, so the pod template carries a hash of those two files and rolls when they change.

use crate::components::pod_resources;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Container, EnvVar, PodSpec};
use serde::Serialize;

use super::dashboards::{self, Render};
use super::{Grafana, NAME, PORT, PORT_NAME, SecretKeyRef, UID, datasources};
use crate::components::Context;
use crate::contrib::Collected;
use crate::contrib::dashboards::Dashboard;
use crate::k8s::Object;
use crate::k8s::builders::{self, service_port};
use crate::k8s::meta::App;
use crate::k8s::pod;
use crate::k8s::waivers::{self, Waiver};
use crate::model::endpoints::DatasourceKind;

use crate::k8s::meta::grafana::{DASHBOARD, DATASOURCES, PROVISIONING_LABEL};

const HEADLESS: &str = "grafana-headless";
const PROVISIONING_DIR: &str = "/etc/grafana/provisioning";
const DASHBOARDS_DIR: &str = "/etc/grafana/dashboards";
const DATA_DIR: &str = "/var/lib/grafana";
const DATASOURCES_CONFIG_MAP: &str = "grafana-datasources";
const PROVIDER_CONFIG_MAP: &str = "grafana-dashboard-provider";

/// The context of `dashboards.yaml.j2`.
#[derive(Debug, Serialize)]
struct Provider<'a> {
    folder: &'a str,
    folder_uid: &'static str,
    path: &'static str,
}

/// A dashboard rendered into its own ConfigMap.
struct DashboardFile {
    slug: &'static str,
    json: String,
}

pub fn objects(g: &Grafana, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
    let app = cx.app(NAME, "dashboards");
    let datasources_yaml = datasources::render(cx.collected, cx.templates)?;
    let provider_yaml = cx.templates.render_yaml(
        "grafana/dashboards.yaml.j2",
        &Provider {
            folder: &g.dashboards.folder,
            folder_uid: "monstack",
            path: DASHBOARDS_DIR,
        },
    )?;
    let dashboards = dashboard_files(g, cx.collected)?;
    // Both files, each followed by a NUL, so moving text from one to the other changes it.
    let checksum = pod::checksum(&format!("{datasources_yaml}\0{provider_yaml}\0"));

    let mut datasources_map = builders::config_map(
        &app,
        DATASOURCES_CONFIG_MAP,
        BTreeMap::from([("datasources.yaml".to_string(), datasources_yaml)]),
    );
    mark(&mut datasources_map, DATASOURCES);
    let mut objects: Vec<Object> = vec![
        // Grafana never calls the Kubernetes API.
        builders::service_account(&app, NAME, false).into(),
        datasources_map.into(),
        builders::config_map(
            &app,
            PROVIDER_CONFIG_MAP,
            BTreeMap::from([("monstack.yaml".to_string(), provider_yaml)]),
        )
        .into(),
        builders::service(&app, NAME, vec![service_port(PORT_NAME, PORT, "TCP")]).into(),
        // The StatefulSet's governing Service: a stable DNS name for grafana-0.
        builders::headless_service(&app, HEADLESS, vec![service_port(PORT_NAME, PORT, "TCP")])
            .into(),
    ];
    for d in &dashboards {
        let mut map = builders::config_map(
            &app,
            &dashboard_config_map(d.slug),
            BTreeMap::from([(format!("{}.json", d.slug), d.json.clone())]),
        );
        mark(&mut map, DASHBOARD);
        objects.push(map.into());
    }
    objects.push(stateful_set(g, cx, &app, &dashboards, checksum).into());
    Ok(objects)
}

fn mark(map: &mut ConfigMap, kind: &str) {
    map.metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(PROVISIONING_LABEL.into(), kind.into());
}

fn dashboard_config_map(slug: &str) -> String {
    format!("grafana-dashboard-{slug}")
}

/// The contributed dashboards, with the panel sets other components add to them, keeping only
/// panels whose series the Prometheus datasource holds, as JSON; none without a Prometheus
/// datasource.
fn dashboard_files(g: &Grafana, collected: &Collected) -> anyhow::Result<Vec<DashboardFile>> {
    let Some(prometheus) = collected
        .datasources()
        .find(|d| d.kind == DatasourceKind::Prometheus)
    else {
        return Ok(Vec::new());
    };
    let d = &g.dashboards;
    let render = Render {
        datasource_uid: &prometheus.uid,
        refresh: d.refresh.as_str(),
        refresh_choices: dashboards::refresh_choices(d.min_refresh.millis(), d.refresh.as_str()),
        time_range: d.time_range.as_str(),
        max_data_points: d.max_data_points,
    };
    assemble(collected)
        .iter()
        .map(|dashboard| {
            let json = serde_json::to_string_pretty(&dashboard.to_json(&render))?;
            Ok(DashboardFile {
                slug: dashboard.slug,
                json: json + "\n",
            })
        })
        .collect()
}

/// Owned dashboards in registry order, each followed by the panel sets added to it; a shared
/// dashboard nobody owns is made from its first panel set's reference.
fn assemble(collected: &Collected) -> Vec<Dashboard> {
    let jobs = collected.job_names();
    let mut out: Vec<Dashboard> = collected
        .dashboards()
        .filter_map(|d| d.keep_scraped(&jobs))
        .collect();
    for set in collected.panel_sets() {
        let index = match out.iter().position(|d| d.slug == set.dashboard.slug) {
            Some(i) => i,
            None => {
                out.push(Dashboard::shell(set.dashboard));
                out.len() - 1
            }
        };
        out[index].add(set, &jobs);
    }
    out.retain(|d| !d.panels.is_empty());
    out
}

fn plain(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..EnvVar::default()
    }
}

/// An environment variable read from an existing Secret (never `X` and `X__FILE` together:
/// Grafana's entrypoint refuses to start).
fn from_secret(name: &str, secret: &SecretKeyRef) -> EnvVar {
    pod::secret_env(name, secret.secret.as_str(), &secret.key)
}

/// The passwords of the datasources that ask for a login, from their Secrets.
fn datasource_passwords(collected: &crate::contrib::Collected) -> Vec<EnvVar> {
    collected
        .datasources()
        .filter_map(|d| {
            let auth = d.basic_auth.as_ref()?;
            Some(pod::secret_env(
                &super::datasources::password_env(d),
                &auth.secret,
                &auth.key,
            ))
        })
        .collect()
}

fn env(g: &Grafana) -> Vec<EnvVar> {
    let admin = &g.admin;
    let mut env = vec![
        pod::secret_env(
            "GF_SECURITY_ADMIN_USER",
            admin.secret.as_str(),
            &admin.user_key,
        ),
        pod::secret_env(
            "GF_SECURITY_ADMIN_PASSWORD",
            admin.secret.as_str(),
            &admin.password_key,
        ),
    ];
    if let Some(key) = &g.secret_key {
        env.push(from_secret("GF_SECURITY_SECRET_KEY", key));
    }
    if let Some(host) = &g.host {
        env.push(plain("GF_SERVER_DOMAIN", host.as_str()));
        env.push(plain("GF_SERVER_ROOT_URL", format!("https://{host}/")));
        // Users reach Grafana over https, so its cookies never travel in clear text.
        env.push(plain("GF_SECURITY_COOKIE_SECURE", "true"));
    }
    env.push(plain(
        "GF_AUTH_ANONYMOUS_ENABLED",
        g.anonymous_access.to_string(),
    ));
    if g.anonymous_access {
        env.push(plain("GF_AUTH_ANONYMOUS_ORG_ROLE", "Viewer"));
    }
    env.push(plain(
        "GF_DASHBOARDS_MIN_REFRESH_INTERVAL",
        g.dashboards.min_refresh.as_str(),
    ));
    // Logs go to stdout only: the root filesystem is read-only and kubectl logs reads stdout.
    env.push(plain("GF_LOG_MODE", "console"));
    if let Some(oauth) = g.oauth() {
        env.extend(oauth.env(from_secret));
    }
    env
}

/// checkov CKV_K8S_40 (UID below 10000): the image's files belong to its user, 472.
const IMAGE_UID: Waiver = Waiver {
    check: "CKV_K8S_40",
    reason: "Grafana runs as the user its image is built for (472) which owns its files",
};

/// checkov CKV_K8S_35 (Secret in an environment variable): the admin login and OAuth secret.
const SECRET_ENV: Waiver = Waiver {
    check: "CKV_K8S_35",
    reason: "Grafana reads its admin login (and the OAuth client secret when set) from GF_* variables filled from the Secret by reference (the value is never in the manifest)",
};

fn stateful_set(
    g: &Grafana,
    cx: &Context<'_>,
    app: &App<'_>,
    dashboards: &[DashboardFile],
    checksum: String,
) -> StatefulSet {
    let mut volumes = vec![
        pod::config_map_volume("datasources", DATASOURCES_CONFIG_MAP),
        pod::config_map_volume("dashboard-provider", PROVIDER_CONFIG_MAP),
        // Grafana writes temporary files (image renders, plugin unpacking) under /tmp.
        pod::empty_dir("tmp", "256Mi"),
    ];
    let mut mounts = vec![
        pod::mount("storage", DATA_DIR, false),
        pod::mount(
            "datasources",
            &format!("{PROVISIONING_DIR}/datasources"),
            true,
        ),
        pod::mount(
            "dashboard-provider",
            &format!("{PROVISIONING_DIR}/dashboards"),
            true,
        ),
        pod::mount("tmp", "/tmp", false),
    ];
    for d in dashboards {
        let volume = format!("dashboard-{}", d.slug);
        volumes.push(pod::config_map_volume(
            &volume,
            &dashboard_config_map(d.slug),
        ));
        // A directory per ConfigMap (never subPath), so edits reach the running pod.
        mounts.push(pod::mount(
            &volume,
            &format!("{DASHBOARDS_DIR}/{}", d.slug),
            true,
        ));
    }
    let container = Container {
        env: Some({
            let mut env = env(g);
            env.extend(datasource_passwords(cx.collected));
            env
        }),
        ports: Some(vec![pod::tcp_port(PORT_NAME, PORT)]),
        readiness_probe: Some(pod::http_probe("/api/health", PORT_NAME)),
        liveness_probe: Some(pod::liveness_probe("/api/health", PORT_NAME)),
        volume_mounts: Some(mounts),
        ..pod::container(NAME, g.image.as_str(), pod_resources(&g.resources))
    };
    let annotations = BTreeMap::from([("checksum/provisioning".to_string(), checksum)]);
    let template = app.pod_template(
        annotations,
        PodSpec {
            service_account_name: Some(NAME.into()),
            automount_service_account_token: Some(false),
            security_context: Some(pod::pod_security(UID)),
            containers: vec![container],
            volumes: Some(volumes),
            ..PodSpec::default()
        },
    );
    let mut own = vec![IMAGE_UID];
    if template
        .spec
        .as_ref()
        .is_some_and(waivers::reads_secret_env)
    {
        own.push(SECRET_ENV);
    }
    StatefulSet {
        metadata: waivers::workload_meta(app, NAME, &template, &own),
        spec: Some(StatefulSetSpec {
            // One replica: the SQLite database is on a ReadWriteOnce volume.
            replicas: Some(1),
            service_name: Some(HEADLESS.into()),
            selector: app.selector(),
            template,
            volume_claim_templates: Some(vec![pod::pvc_template(
                "storage",
                g.storage.as_str(),
                cx.stack.storage_class.as_ref().map(|c| c.as_str()),
            )]),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn credentials_are_references_only() {
        let g: Grafana = toml::from_str(
            "host = \"grafana.example.com\"\nsecret_key = { secret = \"grafana-key\", key = \"k\" }\n\
             [oauth]\nprovider = \"gitlab\"\nclient_id = \"id\"\nclient_secret = { secret = \"sso\", key = \"s\" }\n",
        )
        .unwrap();
        let env = env(&g);
        for name in [
            "GF_SECURITY_ADMIN_USER",
            "GF_SECURITY_ADMIN_PASSWORD",
            "GF_SECURITY_SECRET_KEY",
            "GF_AUTH_GITLAB_CLIENT_SECRET",
        ] {
            let var = env.iter().find(|e| e.name == name).unwrap();
            assert!(var.value.is_none(), "{name} has a literal value");
            assert!(var.value_from.is_some(), "{name}");
        }
        let names: BTreeSet<&str> = env.iter().map(|e| e.name.as_str()).collect();
        assert!(
            names.iter().all(|n| !n.ends_with("__FILE")),
            "X and X__FILE together stop Grafana"
        );
        let root = env.iter().find(|e| e.name == "GF_SERVER_ROOT_URL").unwrap();
        assert_eq!(root.value.as_deref(), Some("https://grafana.example.com/"));
    }
}
