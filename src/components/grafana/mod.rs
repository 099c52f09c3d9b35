//! Grafana: dashboards over the stack's datasources, for people.
//!
//! One replica (its SQLite database lives on a ReadWriteOnce volume) in a StatefulSet, so the
//! seed's `grafana-0` keeps its name and its volume. Everything Grafana shows is provisioned from
//! ConfigMaps: the datasources every enabled component offers (`model::endpoints`, never an
//! address typed here), and the four dashboards of the seed, built in code (`dashboards/`) and
//! checked by `validate::{dashboards, promql}` like any other rendered object. Credentials (the
//! admin login, the OAuth client secret) stay in existing Secrets and reach the container as
//! `secretKeyRef` environment variables only.
//!
//! Files: `mod.rs` settings and checks, `oauth.rs` single sign-on, `workload.rs` the objects,
//! `datasources.rs` datasources.yaml, `dashboards/` the dashboards and their provider.

mod dashboards;
mod datasources;
mod oauth;
pub(crate) mod workload;

use crate::diag::Code;
use serde::Deserialize;

use super::{Component, Context};
use crate::contrib::{
    Capability, Contributions, Destination, Exposure, Flow, Need, Peer, ScrapeJob, SecretKey,
    SecretRef, storage_class_prerequisite,
};
use crate::k8s::Object;
use crate::model::endpoints::{DatasourceKind, ServiceAddress};
use crate::model::{
    Duration, HostName, Image, Problem, Resources, SecretKeyName, SecretName, Stack, VolumeSize,
};

pub use crate::model::SecretKeyRef;
pub use oauth::OAuth;

const NAME: &str = "grafana";
const PORT: i32 = 3000;
const PORT_NAME: &str = "http";
/// The image's `grafana` user.
const UID: i64 = 472;

/// `[grafana]`: dashboards and datasources for the whole stack.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Grafana {
    /// Render Grafana at all.
    pub enabled: bool,
    /// Grafana image, pinned. Its user is uid 472, which the pod runs as.
    pub image: Image,
    /// Requests and limits of the Grafana container.
    pub resources: Resources,
    /// Volume for Grafana's database (users, sessions, dashboards saved from the UI) and plugins.
    pub storage: VolumeSize,
    /// Public host name (e.g. `grafana.example.com`): Grafana's root URL becomes
    /// `https://<host>/`, which links and OAuth redirects use. "" unsets it.
    #[serde(deserialize_with = "crate::model::empty_as_none")]
    pub host: Option<HostName>,
    /// Expose Grafana at `host` when `[access]` routes UIs from outside (behind its own
    /// login, not the proxy's basic auth).
    pub expose: bool,
    /// The existing Secret with the admin login; monstack never writes it.
    pub admin: AdminSecret,
    /// Key that encrypts credentials Grafana stores in its database (datasources added in the
    /// UI), from an existing Secret. Unset keeps Grafana's built-in key, which is public.
    pub secret_key: Option<SecretKeyRef>,
    /// Let visitors see dashboards without logging in, as Viewer.
    pub anonymous_access: bool,
    /// The provisioned dashboards.
    pub dashboards: Dashboards,
    /// Single sign-on through an OAuth provider; unset keeps the admin login only.
    pub oauth: Option<OAuth>,
}

/// `[grafana.admin]`: where the admin user name and password are.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSecret {
    /// Name of the Secret, in the stack's namespace.
    pub secret: SecretName,
    /// Key holding the user name.
    pub user_key: SecretKeyName,
    /// Key holding the password. Grafana reads it on its first start only: change the password
    /// of an existing installation with `grafana cli admin reset-admin-password`.
    pub password_key: SecretKeyName,
}

/// `[grafana.dashboards]`: how the provisioned dashboards behave.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Dashboards {
    /// Folder the dashboards are provisioned into.
    pub folder: String,
    /// How often an open dashboard refreshes (one unit: `30s`, `1m`, `5m`, `1h`).
    pub refresh: Duration,
    /// The fastest refresh users may choose (Grafana's `min_refresh_interval`).
    pub min_refresh: Duration,
    /// The time range a dashboard opens with, back from now (one unit: `6h`, `1d`, `1w`).
    pub time_range: Duration,
    /// Most points a panel asks for per series; more points cost query time, not detail.
    pub max_data_points: u32,
}

impl Default for Grafana {
    fn default() -> Self {
        Grafana {
            enabled: true,
            image: Image::parse("docker.io/grafana/grafana:12.4.5")
                .expect("invariant: valid default"),
            resources: Resources::new(("100m", "256Mi"), ("500m", "512Mi")),
            storage: VolumeSize::parse("10Gi").expect("invariant: valid default"),
            host: None,
            expose: true,
            admin: AdminSecret::default(),
            secret_key: None,
            anonymous_access: false,
            dashboards: Dashboards::default(),
            oauth: None,
        }
    }
}

fn key(name: &str) -> SecretKeyName {
    SecretKeyName::parse(name).expect("invariant: valid default")
}

impl Default for AdminSecret {
    fn default() -> Self {
        AdminSecret {
            secret: SecretName::parse("grafana-admin").expect("invariant: valid default"),
            user_key: key("admin-user"),
            password_key: key("admin-password"),
        }
    }
}

impl Default for Dashboards {
    fn default() -> Self {
        let d = |s: &str| Duration::parse(s).expect("invariant: valid default");
        Dashboards {
            folder: "Monitoring".into(),
            refresh: d("1m"),
            min_refresh: d("30s"),
            time_range: d("6h"),
            max_data_points: 1000,
        }
    }
}

impl Grafana {
    /// The OAuth settings, when SSO is configured and not turned off.
    fn oauth(&self) -> Option<&OAuth> {
        self.oauth.as_ref().filter(|o| o.enabled)
    }

    fn service_address(&self, stack: &Stack) -> ServiceAddress {
        ServiceAddress::in_stack(stack, NAME, PORT_NAME, PORT)
    }
}

impl Component for Grafana {
    const NAME: &'static str = NAME;
    const FILE: &'static str = NAME;

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let mut problems = self.resources.check("grafana.resources");
        problems.extend(self.dashboards.problems());
        if let Some(oauth) = self.oauth() {
            problems.extend(oauth.problems(self.host.is_some()));
        }
        problems
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        Contributions {
            scrape_jobs: vec![
                ScrapeJob::stack_pods(stack, NAME, self.service_address(stack), "/metrics")
                    .with_metrics(&[
                        "grafana_build_info",
                        "grafana_http_request_duration_seconds_count",
                    ]),
            ],
            secrets: self.secrets(stack.namespace.as_str()),
            flows: vec![Flow::new(
                Peer::Component(NAME.into()),
                Destination::Datasources,
                "queries its datasources",
            )],
            needs: vec![Need {
                capability: Capability::Datasource(DatasourceKind::Prometheus),
                key: "grafana.enabled".into(),
                why: "its dashboards query a metrics datasource".into(),
            }],
            prerequisites: storage_class_prerequisite(stack),
            exposures: self
                .expose
                .then(|| {
                    Exposure::of(
                        NAME,
                        "Grafana",
                        self.service_address(stack),
                        self.host.as_ref(),
                    )
                    .with_own_login()
                })
                .into_iter()
                .collect(),
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        workload::objects(self, cx)
    }
}

impl Grafana {
    /// The existing Secrets Grafana reads: the admin login, the encryption key, the OAuth
    /// client secret.
    fn secrets(&self, namespace: &str) -> Vec<SecretRef> {
        let secret = |name: &SecretName, profile_key: &str, keys: Vec<SecretKey>| SecretRef {
            name: name.to_string(),
            namespace: namespace.to_string(),
            keys,
            profile_key: profile_key.into(),
            optional: false,
        };
        let mut secrets = vec![secret(
            &self.admin.secret,
            "grafana.admin.secret",
            vec![
                SecretKey::plain(&self.admin.user_key, "admin user name"),
                SecretKey::plain(&self.admin.password_key, "admin password"),
            ],
        )];
        if let Some(key) = &self.secret_key {
            secrets.push(secret(
                &key.secret,
                "grafana.secret_key.secret",
                vec![SecretKey::plain(
                    &key.key,
                    "key that encrypts stored credentials",
                )],
            ));
        }
        if let Some(oauth) = self.oauth() {
            let client_secret = &oauth.client_secret;
            secrets.push(secret(
                &client_secret.secret,
                "grafana.oauth.client_secret.secret",
                vec![SecretKey::plain(&client_secret.key, "OAuth client secret")],
            ));
        }
        secrets
    }
}

/// A duration Grafana reads (`30s`, `1m`, `6h`, `1d`, `1w`): a whole number of one unit.
fn is_single_unit(d: &Duration, units: &str) -> bool {
    let text = d.as_str();
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let unit = &text[digits..];
    digits > 0 && unit.len() == 1 && units.contains(unit) && d.millis() > 0
}

impl Dashboards {
    fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let single = [
            (
                "grafana.dashboards.refresh",
                &self.refresh,
                "smhd",
                "\"1m\"",
            ),
            (
                "grafana.dashboards.min_refresh",
                &self.min_refresh,
                "smhd",
                "\"30s\"",
            ),
            (
                "grafana.dashboards.time_range",
                &self.time_range,
                "smhdwy",
                "\"6h\"",
            ),
        ];
        for (key, d, units, example) in single {
            if !is_single_unit(d, units) {
                problems.push(Problem::error(
                    key,
                    Code::InvalidGrafanaDuration,
                    format!("`{d}` is not a duration Grafana's time picker reads"),
                    format!("write one number and one unit of {units:?}, e.g. {example}"),
                ));
            }
        }
        if self.refresh < self.min_refresh {
            problems.push(Problem::error(
                "grafana.dashboards.refresh",
                Code::RefreshBelowMinimum,
                format!(
                    "refresh ({}) is faster than min_refresh ({}), so Grafana would ignore it",
                    self.refresh, self.min_refresh
                ),
                "raise refresh or lower min_refresh",
            ));
        }
        if !(100..=10_000).contains(&self.max_data_points) {
            problems.push(Problem::error(
                "grafana.dashboards.max_data_points",
                Code::InvalidValue,
                format!(
                    "max_data_points = {} is outside 100..=10000",
                    self.max_data_points
                ),
                "a panel is at most a few thousand pixels wide; 1000 is plenty",
            ));
        }
        if self.folder.trim().is_empty() {
            problems.push(Problem::error(
                "grafana.dashboards.folder",
                Code::InvalidValue,
                "the dashboard folder has no name",
                "name the folder, e.g. \"Monitoring\"",
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests;
