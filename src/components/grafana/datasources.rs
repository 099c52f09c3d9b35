//! datasources.yaml: one Grafana datasource per datasource an enabled component contributes,
//! its URL derived from the offered Service. Cross-links need both ends: Loki's trace-id
//! derived field (and Prometheus' exemplar links) only when a tracing datasource is offered,
//! Jaeger's traces-to-logs only when a log datasource is. A component that is off offers
//! nothing, so no datasource ever points at a Service that is not rendered.

use serde::Serialize;

use crate::contrib::Collected;
use crate::model::endpoints::{Datasource, DatasourceKind};
use crate::templates::Templates;

/// The template's view of datasources.yaml.
#[derive(Debug, Serialize)]
pub struct File<'a> {
    pub datasources: Vec<View<'a>>,
}

#[derive(Debug, Serialize)]
pub struct View<'a> {
    pub name: &'a str,
    #[serde(rename = "type")]
    pub type_: DatasourceKind,
    pub uid: &'a str,
    pub url: String,
    /// Grafana opens Explore and new panels on the default: the first metrics datasource.
    pub is_default: bool,
    pub min_interval: Option<&'a str>,
    /// The tracing datasource trace ids link to (Loki, Prometheus exemplars).
    pub traces_uid: Option<&'a str>,
    /// The log datasource spans link to (Jaeger).
    pub logs_uid: Option<&'a str>,
    /// The user Grafana logs in as, when the Service asks for a login.
    pub basic_auth_user: Option<&'a str>,
    /// The environment variable holding that user's password (read from its Secret).
    pub password_env: Option<String>,
}

/// The environment variable through which Grafana reads a datasource's password: provisioning
/// expands `$NAME`, so the password stays in its Secret.
pub fn password_env(d: &Datasource) -> String {
    format!(
        "DATASOURCE_{}_PASSWORD",
        d.uid.to_uppercase().replace('-', "_")
    )
}

fn first_of(endpoints: &Collected, kind: DatasourceKind) -> Option<&Datasource> {
    endpoints.datasources().find(|d| d.kind == kind)
}

pub fn file(endpoints: &Collected) -> File<'_> {
    let traces = first_of(endpoints, DatasourceKind::Jaeger).map(|d| d.uid.as_str());
    let logs = first_of(endpoints, DatasourceKind::Loki).map(|d| d.uid.as_str());
    let default = first_of(endpoints, DatasourceKind::Prometheus).map(|d| d.uid.as_str());
    let datasources = endpoints
        .datasources()
        .map(|d| View {
            name: &d.name,
            type_: d.kind,
            uid: &d.uid,
            url: d.service.http_url(),
            is_default: Some(d.uid.as_str()) == default,
            min_interval: d.min_interval.as_deref().or_else(|| {
                endpoints
                    .replaced_by(d)
                    .and_then(|r| r.min_interval.as_deref())
            }),
            traces_uid: match d.kind {
                DatasourceKind::Prometheus | DatasourceKind::Loki => traces,
                DatasourceKind::Jaeger => None,
            },
            logs_uid: match d.kind {
                DatasourceKind::Jaeger => logs,
                _ => None,
            },
            basic_auth_user: d.basic_auth.as_ref().map(|b| b.username.as_str()),
            password_env: d.basic_auth.as_ref().map(|_| password_env(d)),
        })
        .collect();
    File { datasources }
}

/// Renders datasources.yaml (parsed back before use).
pub fn render(endpoints: &Collected, templates: &Templates) -> anyhow::Result<String> {
    templates.render_yaml("grafana/datasources.yaml.j2", &file(endpoints))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contrib::Contributions;
    use crate::model::endpoints::ServiceAddress;

    fn offer(uid: &str, kind: DatasourceKind, service: &str, port: i32) -> Datasource {
        Datasource {
            uid: uid.into(),
            name: uid.to_uppercase(),
            kind,
            service: ServiceAddress {
                service: service.into(),
                namespace: "mon".into(),
                port_name: "http".into(),
                port,
            },
            min_interval: (kind == DatasourceKind::Prometheus).then(|| "15s".to_string()),
            basic_auth: None,
            replaces: None,
        }
    }

    fn rendered(datasources: Vec<Datasource>) -> serde_yaml_ng::Value {
        let text = render(
            &Collected {
                by_component: vec![(
                    "test",
                    Contributions {
                        datasources,
                        ..Contributions::default()
                    },
                )],
            },
            &Templates::load().unwrap(),
        )
        .unwrap();
        assert!(
            !text.replace("$${", "").contains("${"),
            "a single `$` would be expanded by Grafana:\n{text}"
        );
        serde_yaml_ng::from_str(&text).unwrap()
    }

    fn by_uid<'a>(file: &'a serde_yaml_ng::Value, uid: &str) -> &'a serde_yaml_ng::Value {
        file["datasources"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|d| d["uid"].as_str() == Some(uid))
            .unwrap_or_else(|| panic!("no datasource {uid}"))
    }

    #[test]
    fn only_offered_datasources_are_provisioned() {
        let file = rendered(vec![offer(
            "prometheus",
            DatasourceKind::Prometheus,
            "prometheus",
            9090,
        )]);
        let list = file["datasources"].as_sequence().unwrap();
        assert_eq!(list.len(), 1);
        let prom = &list[0];
        assert_eq!(prom["url"].as_str(), Some("http://prometheus.mon.svc:9090"));
        assert_eq!(prom["isDefault"].as_bool(), Some(true));
        assert_eq!(prom["jsonData"]["timeInterval"].as_str(), Some("15s"));
        assert!(
            prom["jsonData"]
                .get("exemplarTraceIdDestinations")
                .is_none()
        );
        let empty = rendered(Vec::new());
        assert_eq!(empty["datasources"].as_sequence().map(Vec::len), Some(0));
    }

    #[test]
    fn logs_and_traces_link_to_each_other_when_both_exist() {
        let file = rendered(vec![
            offer("prometheus", DatasourceKind::Prometheus, "prometheus", 9090),
            offer("loki", DatasourceKind::Loki, "loki", 3100),
            offer("jaeger", DatasourceKind::Jaeger, "jaeger-query", 16686),
        ]);
        let derived = &by_uid(&file, "loki")["jsonData"]["derivedFields"][0];
        assert_eq!(derived["datasourceUid"].as_str(), Some("jaeger"));
        // Grafana turns `$$` into `$`: the link is the captured trace id.
        assert_eq!(derived["url"].as_str(), Some("$${__value.raw}"));
        let to_logs = &by_uid(&file, "jaeger")["jsonData"]["tracesToLogsV2"];
        assert_eq!(to_logs["datasourceUid"].as_str(), Some("loki"));
        let exemplars = &by_uid(&file, "prometheus")["jsonData"]["exemplarTraceIdDestinations"];
        assert_eq!(exemplars[0]["datasourceUid"].as_str(), Some("jaeger"));
        assert_eq!(by_uid(&file, "loki")["isDefault"].as_bool(), Some(false));
    }

    #[test]
    fn a_missing_end_drops_the_link() {
        let file = rendered(vec![offer("loki", DatasourceKind::Loki, "loki", 3100)]);
        assert!(
            by_uid(&file, "loki")["jsonData"]
                .get("derivedFields")
                .is_none()
        );
        let file = rendered(vec![offer(
            "jaeger",
            DatasourceKind::Jaeger,
            "jaeger-query",
            16686,
        )]);
        assert!(
            by_uid(&file, "jaeger")["jsonData"]
                .get("tracesToLogsV2")
                .is_none()
        );
    }
}
