//! kube-state-metrics: one Deployment that lists and watches Kubernetes objects and exports their
//! state (`kube_pod_status_ready`, `kube_deployment_status_replicas_ready`, ...) for Prometheus.
//!
//! The kinds it reads are ONE list, `exported_resources`: the ClusterRole's rules and the
//! `--resources` flag are both derived from it, so its permissions are exactly what it exports
//! (list and watch, nothing else) and the two cannot drift apart.
//!
//! Files: `mod.rs` the component, `resources.rs` the exportable kinds, `settings.rs` the profile
//! type and its checks, `objects.rs` the Kubernetes objects.

mod objects;
mod resources;
mod settings;

use super::{Component, Context};
use crate::k8s::Object;
use crate::k8s::builders::{self, service_port};
use crate::model::endpoints::{Offer, ScrapeTarget, ServiceAddress};
use crate::model::{Problem, Stack, check_replicas};

pub use settings::KubeStateMetrics;

const NAME: &str = "kube-state-metrics";
const KEY: &str = "kube_state_metrics";
/// Object metrics (`/metrics`) and liveness (`/livez`).
const METRICS_PORT: i32 = 8080;
const METRICS_PORT_NAME: &str = "http-metrics";
/// kube-state-metrics' own metrics and readiness (`/readyz`).
const TELEMETRY_PORT: i32 = 8081;
const TELEMETRY_PORT_NAME: &str = "telemetry";
/// The image's `nobody` user.
const UID: i64 = 65534;
/// More replicas only duplicate series; 3 is already generous.
const MAX_REPLICAS: i32 = 3;

impl Component for KubeStateMetrics {
    const NAME: &'static str = KEY;
    const FILE: &'static str = NAME;

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let mut problems = self.resources.check(&format!("{KEY}.resources"));
        problems.extend(check_replicas(
            &format!("{KEY}.replicas"),
            self.replicas,
            MAX_REPLICAS,
        ));
        problems.extend(self.duplicated_series());
        problems.extend(self.exported_resources_problems());
        problems.extend(self.allowlist_problems());
        problems
    }

    fn offers(&self, stack: &Stack) -> Vec<Offer> {
        vec![Offer::Scrape(ScrapeTarget {
            job: NAME.into(),
            app: NAME.into(),
            port_name: METRICS_PORT_NAME.into(),
            path: "/metrics".into(),
            // Its `namespace`, `pod` and `container` labels describe other objects, not itself.
            honor_labels: true,
            service: ServiceAddress::in_stack(stack, NAME, METRICS_PORT_NAME, METRICS_PORT),
        })]
    }

    fn build(&self, cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        let app = cx.app(NAME, "exporter");
        let mut objects: Vec<Object> = vec![
            // It lists and watches the API with this token.
            builders::service_account(&app, NAME, true).into(),
            self.cluster_role(&app).into(),
            builders::cluster_role_binding(&app, NAME).into(),
            builders::service(
                &app,
                NAME,
                vec![
                    service_port(METRICS_PORT_NAME, METRICS_PORT, "TCP"),
                    service_port(TELEMETRY_PORT_NAME, TELEMETRY_PORT, "TCP"),
                ],
            )
            .into(),
            self.deployment(&app).into(),
        ];
        if self.replicas > 1 {
            objects.push(builders::disruption_budget(&app, NAME).into());
        }
        Ok(objects)
    }
}

#[cfg(test)]
mod tests;
