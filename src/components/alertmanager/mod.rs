//! Alertmanager: routes the alerts Prometheus sends to PagerDuty, Slack or a webhook.
//!
//! A StatefulSet (silences and the notification log live on a volume) whose replicas gossip
//! through a headless Service, so every replica receives every alert and the cluster sends each
//! notification once. alertmanager.yml is rendered from `templates/alertmanager/`; receiver
//! credentials stay in existing Secrets, mounted as files and referenced by `*_file` fields.
//!
//! Files: `mod.rs` the component, `settings.rs` the profile types and their checks,
//! `config.rs` alertmanager.yml, `objects.rs` the Kubernetes objects.

mod config;
mod objects;
mod settings;

use std::collections::BTreeMap;

use super::{Component, Context};
use crate::k8s::Object;
use crate::k8s::builders::{self, service_port};
use crate::model::endpoints::{AlertReceiver, Offer, ScrapeTarget, ServiceAddress};
use crate::model::{Problem, Stack, check_replicas};

pub use settings::Alertmanager;

const HTTP_PORT: i32 = 9093;
const CLUSTER_PORT: i32 = 9094;
const RELOADER_PORT: i32 = 8080;
const MAX_REPLICAS: i32 = 5;
const SERVICE: &str = "alertmanager";
const HEADLESS: &str = "alertmanager-headless";
const CONFIG_MAP: &str = "alertmanager-config";
const CONFIG_DIR: &str = "/etc/alertmanager/config";
const CONFIG_FILE: &str = "alertmanager.yml";
const DATA_DIR: &str = "/alertmanager";
const SECRETS_DIR: &str = "/etc/alertmanager/secrets";

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
        problems
    }

    fn offers(&self, stack: &Stack) -> Vec<Offer> {
        let address = |service: &str| ServiceAddress::in_stack(stack, service, "http", HTTP_PORT);
        vec![
            Offer::Alerts(AlertReceiver {
                targets: self.pod_hosts(stack.namespace.as_str(), HTTP_PORT),
                service: address(HEADLESS),
            }),
            Offer::Scrape(ScrapeTarget {
                job: "alertmanager".into(),
                app: "alertmanager".into(),
                port_name: "http".into(),
                path: "/metrics".into(),
                honor_labels: false,
                service: address(SERVICE),
            }),
        ]
    }

    fn external_secrets(&self) -> Vec<String> {
        self.mounted_secrets()
            .into_iter()
            .map(|(_, secret)| secret.to_string())
            .collect()
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        let app = cx.app("alertmanager", "alert-router");
        let config = cx
            .templates
            .render_yaml("alertmanager/alertmanager.yml.j2", &self.config_file())?;
        let mut objects = vec![
            builders::service_account(&app, "alertmanager", false).into(),
            builders::config_map(
                &app,
                CONFIG_MAP,
                BTreeMap::from([(CONFIG_FILE.to_string(), config)]),
            )
            .into(),
            self.headless_service(&app),
            // The load-balanced Service for the UI, the API and scraping.
            builders::service(&app, SERVICE, vec![service_port("http", HTTP_PORT, "TCP")]).into(),
            self.stateful_set(cx, &app),
        ];
        if self.clustered() {
            objects.push(builders::disruption_budget(&app, "alertmanager").into());
        }
        Ok(objects)
    }
}

#[cfg(test)]
mod tests;
