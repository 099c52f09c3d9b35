//! Alertmanager: routes the alerts Prometheus sends to PagerDuty, Slack or a webhook.
//!
//! A StatefulSet (silences and the notification log live on a volume) whose replicas gossip
//! through a headless Service, so every replica receives every alert and the cluster sends each
//! notification once. alertmanager.yml is rendered from `templates/alertmanager/`; receiver
//! credentials stay in existing Secrets, mounted as files and referenced by `*_file` fields.
//!
//! Files: `mod.rs` the component, `settings.rs` the profile types and their checks,
//! `config.rs` alertmanager.yml, `objects.rs` the Kubernetes objects.

mod alerts;
mod config;
mod objects;
mod settings;

use std::collections::BTreeMap;

use super::{Component, Context};
use crate::contrib::{
    BasicAuth, Contributions, Destination, Exposure, Flow, Peer, ScrapeJob, SecretKey, SecretRef,
    storage_class_prerequisite,
};
use crate::k8s::Object;
use crate::k8s::builders::{self, service_port};
use crate::model::endpoints::{AlertReceiver, ServiceAddress};
use crate::model::{Problem, Stack, WebAuth, check_replicas};

pub use settings::Alertmanager;

const HTTP_PORT: i32 = 9093;
const CLUSTER_PORT: i32 = 9094;
const RELOADER_PORT: i32 = 8080;
const MAX_REPLICAS: i32 = 5;
/// The pods' `app.kubernetes.io/name`.
const APP: &str = "alertmanager";
const SERVICE: &str = "alertmanager";
const HEADLESS: &str = "alertmanager-headless";
const CONFIG_MAP: &str = "alertmanager-config";
const CONFIG_DIR: &str = "/etc/alertmanager/config";
const CONFIG_FILE: &str = "alertmanager.yml";
const DATA_DIR: &str = "/alertmanager";
const SECRETS_DIR: &str = "/etc/alertmanager/secrets";
/// Where the web-auth Secret is mounted.
const WEB_DIR: &str = "/etc/alertmanager/web";

impl Component for Alertmanager {
    const NAME: &'static str = "alertmanager";
    const FILE: &'static str = "alertmanager";

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let mut problems: Vec<Problem> =
            check_replicas("alertmanager.replicas", self.replicas, MAX_REPLICAS)
                .into_iter()
                .collect();
        problems.extend(self.resources.check("alertmanager.resources"));
        problems.extend(
            self.reloader_resources
                .check("alertmanager.reloader_resources"),
        );
        problems.extend(self.group_by_problem());
        problems.extend(self.interval_problems());
        problems.extend(self.unconfigured_route_problems());
        problems.extend(self.unused_receiver_problems());
        problems.extend(
            self.alerts
                .notifications_failing
                .check("alertmanager.alerts.notifications_failing"),
        );
        problems.extend(self.watchdog_problems());
        problems
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        let address = |service: &str| ServiceAddress::in_stack(stack, service, "http", HTTP_PORT);
        let mut flows = Vec::new();
        if self.clustered() {
            flows.push(Flow::new(
                Peer::Component(APP.into()),
                Destination::Port {
                    app: APP.into(),
                    port: "cluster-tcp".into(),
                },
                "replicas gossip silences and notification state",
            ));
            flows.push(Flow::new(
                Peer::Component(APP.into()),
                Destination::Port {
                    app: APP.into(),
                    port: "cluster-udp".into(),
                },
                "replicas gossip silences and notification state",
            ));
        }
        Contributions {
            alert_receiver: Some(AlertReceiver {
                targets: self.pod_hosts(stack.namespace.as_str(), HTTP_PORT),
                service: address(HEADLESS),
                basic_auth: self.client(),
            }),
            scrape_jobs: vec![
                ScrapeJob::stack_pods(stack, APP, address(SERVICE), "/metrics")
                    .with_metrics(alerts::METRICS)
                    .with_basic_auth(self.client()),
            ],
            secrets: self
                .mounted_secrets()
                .into_iter()
                .map(|m| SecretRef {
                    name: m.secret.to_string(),
                    namespace: stack.namespace.to_string(),
                    keys: vec![SecretKey::plain(m.key, m.holds)],
                    profile_key: format!("alertmanager.receivers.{}.secret", m.name),
                    optional: false,
                })
                .chain(self.web_auth_secret(stack))
                .collect(),
            rule_groups: self.rule_groups(stack),
            flows,
            prerequisites: storage_class_prerequisite(stack),
            exposures: self
                .expose
                .then(|| {
                    let exposure =
                        Exposure::of(APP, "Alertmanager", address(SERVICE), self.host.as_ref());
                    // Behind its own login, the proxy's would fight over the one header.
                    match self.client() {
                        Some(_) => exposure.with_own_login(),
                        None => exposure,
                    }
                })
                .into_iter()
                .collect(),
            ..Contributions::default()
        }
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        let app = cx.app("alertmanager", "alert-router");
        let config = cx
            .templates
            .render_yaml("alertmanager/alertmanager.yml.j2", &self.config_file())?;
        let objects = vec![
            builders::service_account(&app, "alertmanager", false).into(),
            builders::config_map(
                &app,
                CONFIG_MAP,
                BTreeMap::from([(CONFIG_FILE.to_string(), config.clone())]),
            )
            .into(),
            self.headless_service(&app),
            // The load-balanced Service for the UI, the API and scraping.
            builders::service(&app, SERVICE, vec![service_port("http", HTTP_PORT, "TCP")]).into(),
            self.stateful_set(cx, &app, &crate::k8s::pod::checksum(&config)),
        ];
        Ok(objects)
    }
}

impl Alertmanager {
    /// The credentials the stack's own clients (Prometheus) send, when Alertmanager asks.
    fn client(&self) -> Option<BasicAuth> {
        WebAuth::client(self.web_auth.as_ref())
    }

    /// The web-auth Secret: the web config Alertmanager reads and the password Prometheus sends.
    fn web_auth_secret(&self, stack: &Stack) -> Option<SecretRef> {
        WebAuth::secret_ref(
            self.web_auth.as_ref(),
            stack.namespace.as_str(),
            "alertmanager.web_auth.secret",
        )
    }
}

#[cfg(test)]
mod tests;
