//! Grafana end to end, over the real render of every shipped profile:
//! - the dashboards are valid Grafana dashboard JSON (schema version, unique panel ids, panels
//!   inside the 24-column grid without overlaps, a description on every panel, every target's
//!   datasource a provisioned uid), checked here independently of `validate::dashboards`;
//! - every PromQL expression parses (`promql-parser`, variables substituted) and every metric
//!   it selects is recorded by a rule of the rendered `prometheus-rules` ConfigMap or exported
//!   by a job of the rendered prometheus.yml;
//! - every datasource URL is a rendered Service; a profile without Prometheus provisions no
//!   Prometheus datasource and no dashboard;
//! - a broken query, an overlapping panel or an unknown datasource uid fails validation with a
//!   message naming the dashboard and the panel;
//! - credentials are references only, and OAuth is configured from the profile.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use k8s_openapi::api::core::v1::{Container, EnvVar};
use monstack::diag::Code;
use monstack::k8s::Object;
use monstack::pipeline::{self, Compilation};
use monstack::validate::promql::{substitute_variables, variable_expr};
use promql_parser::label::MatchOp;
use promql_parser::parser::{Expr, VectorSelector};
use promql_parser::util::{ExprVisitor, walk_expr};
use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;
use tempfile::TempDir;

fn profile(text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("test.toml");
    std::fs::write(&path, text).expect("write profile");
    (dir, path)
}

/// slug → dashboard JSON of every rendered dashboard ConfigMap.
fn dashboards(c: &Compilation) -> BTreeMap<String, Json> {
    c.manifest
        .objects()
        .filter(|o| o.kind() == "ConfigMap" && o.name().starts_with("grafana-dashboard-"))
        .filter(|o| o.name() != "grafana-dashboard-provider")
        .flat_map(|o| common::config_map(c, o.name()))
        .map(|(key, text)| {
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{key}: {e}"));
            (key.trim_end_matches(".json").to_string(), json)
        })
        .collect()
}

fn provisioned(c: &Compilation) -> Yaml {
    let text = common::config_map(c, "grafana-datasources")
        .remove("datasources.yaml")
        .expect("datasources.yaml");
    serde_yaml_ng::from_str(&text).expect("datasources.yaml parses")
}

fn datasource_uids(c: &Compilation) -> BTreeSet<(String, String)> {
    provisioned(c)["datasources"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["type"].as_str().unwrap().into(),
                d["uid"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn scrape_jobs(c: &Compilation) -> BTreeSet<String> {
    let text = common::config_map(c, "prometheus-config")
        .remove("prometheus.yml")
        .unwrap();
    let config: Yaml = serde_yaml_ng::from_str(&text).unwrap();
    config["scrape_configs"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|j| j["job_name"].as_str().unwrap().to_string())
        .collect()
}

/// The recording rules of the rendered rule files: the series the stack records.
fn recorded(c: &Compilation) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for text in common::config_map(c, "prometheus-rules").values() {
        let file: Yaml = serde_yaml_ng::from_str(text).unwrap();
        for group in file["groups"].as_sequence().unwrap() {
            for rule in group["rules"].as_sequence().unwrap() {
                if let Some(r) = rule["record"].as_str() {
                    out.insert(r.to_string());
                }
            }
        }
    }
    out
}

fn panels(d: &Json) -> &Vec<Json> {
    d["panels"].as_array().expect("panels")
}

/// (where, PromQL) of every panel target and variable query of a dashboard.
fn queries(slug: &str, d: &Json) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in panels(d) {
        // Row headings have no queries.
        for t in p["targets"].as_array().into_iter().flatten() {
            out.push((
                format!("{slug} / {}", p["title"]),
                t["expr"].as_str().unwrap().to_string(),
            ));
        }
    }
    for v in d["templating"]["list"].as_array().unwrap() {
        let query = v["query"]["query"].as_str().unwrap();
        let expr = variable_expr(query)
            .unwrap_or_else(|| panic!("{slug}: variable query {query} has no selector"));
        out.push((format!("{slug} / variable {}", v["name"]), expr.to_string()));
    }
    out
}

struct Metrics(Vec<(String, Option<String>)>);

impl Metrics {
    fn add(&mut self, vs: &VectorSelector) {
        let job = vs
            .matchers
            .matchers
            .iter()
            .find(|m| m.name == "job" && matches!(m.op, MatchOp::Equal));
        self.0.push((
            vs.name.clone().expect("queries name their metric"),
            job.map(|m| m.value.clone()),
        ));
    }
}

impl ExprVisitor for Metrics {
    type Error = ();
    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, ()> {
        match expr {
            Expr::VectorSelector(vs) => self.add(vs),
            Expr::MatrixSelector(ms) => self.add(&ms.vs),
            _ => {}
        }
        Ok(true)
    }
}

fn is_scraped(c: &Compilation, job: &str) -> bool {
    scrape_jobs(c).contains(job)
}

#[test]
fn every_shipped_profile_provisions_grafana_datasources_and_the_dashboards() {
    for path in common::shipped_profiles() {
        let c = common::compile(&path);
        let name = path.display();
        assert!(
            c.manifest
                .objects()
                .any(|o| o.kind() == "StatefulSet" && o.name() == "grafana"),
            "{name}"
        );
        // Every shipped profile runs Prometheus and Jaeger; Loki offers its datasource exactly
        // where it is rendered.
        // The metrics datasource is Thanos Query where Thanos is rendered (it replaces
        // Prometheus'), Prometheus elsewhere.
        let thanos = c
            .manifest
            .objects()
            .any(|o| o.kind() == "Deployment" && o.name() == "thanos-query");
        let metrics = if thanos { "thanos-query" } else { "prometheus" };
        let mut datasources = BTreeSet::from([
            ("jaeger".to_string(), "jaeger".to_string()),
            ("prometheus".to_string(), metrics.to_string()),
        ]);
        if c.manifest
            .objects()
            .any(|o| o.kind() == "StatefulSet" && o.name() == "loki")
        {
            datasources.insert(("loki".to_string(), "loki".to_string()));
        }
        assert_eq!(datasource_uids(&c), datasources, "{name}");
        let slugs: BTreeSet<String> = dashboards(&c).into_keys().collect();
        let mut expected: BTreeSet<String> = ["overview", "application", "infrastructure"]
            .map(String::from)
            .into();
        // The Kafka dashboard exists where Kafka is scraped (dev scrapes no Strimzi).
        if is_scraped(&c, "kafka") {
            expected.insert("kafka".into());
        }
        // The Tracing dashboard exists where the Jaeger collector is scraped.
        if is_scraped(&c, "jaeger-collector") {
            expected.insert("tracing".into());
        }
        // The SLOs dashboard exists where the profile has `[[slo]]` entries (all shipped do).
        if common::config_map(&c, "prometheus-rules").contains_key("slo.yml") {
            expected.insert("slo".into());
        }
        assert_eq!(slugs, expected, "{name}");
    }
}

#[test]
fn dashboards_are_valid_grafana_json() {
    for path in common::shipped_profiles() {
        let c = common::compile(&path);
        let uids = datasource_uids(&c);
        for (slug, d) in dashboards(&c) {
            let at = format!("{}: {slug}", path.display());
            assert_eq!(d["schemaVersion"], 41, "{at}");
            assert_eq!(
                d["uid"].as_str(),
                Some(format!("monstack-{slug}").as_str()),
                "{at}"
            );
            assert!(d["refresh"].as_str().is_some(), "{at}");
            assert_eq!(
                d["timepicker"]["hidden"], false,
                "{at}: the time range selector is shown"
            );
            assert_eq!(
                d["links"][0]["tags"][0], "monstack",
                "{at}: links to the other dashboards"
            );
            let variables: Vec<&str> = d["templating"]["list"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["name"].as_str().unwrap())
                .collect();
            // SLOs are picked by service, everything else by namespace first.
            let scope = if slug == "slo" {
                "service"
            } else {
                "namespace"
            };
            assert!(
                variables.contains(&scope) && variables.len() >= 2,
                "{at}: {variables:?}"
            );
            let mut ids = BTreeSet::new();
            let mut cells = BTreeSet::new();
            for p in panels(&d) {
                let title = &p["title"];
                assert!(
                    ids.insert(p["id"].as_i64().unwrap()),
                    "{at}: panel id {} twice",
                    p["id"]
                );
                let is_row = p["type"] == "row";
                assert!(
                    is_row || !p["description"].as_str().unwrap().is_empty(),
                    "{at}: {title} has no description"
                );
                if is_row {
                    assert_eq!(p["gridPos"]["w"], 24, "{at}: row {title} spans the grid");
                } else {
                    assert_eq!(p["maxDataPoints"], 1000, "{at}: {title}");
                }
                let g = &p["gridPos"];
                let (x, y, w, h) = (
                    g["x"].as_u64().unwrap(),
                    g["y"].as_u64().unwrap(),
                    g["w"].as_u64().unwrap(),
                    g["h"].as_u64().unwrap(),
                );
                assert!(w >= 1 && h >= 1 && x + w <= 24, "{at}: {title} at {g}");
                for cx in x..x + w {
                    for cy in y..y + h {
                        assert!(
                            cells.insert((cx, cy)),
                            "{at}: {title} overlaps another panel at ({cx}, {cy})"
                        );
                    }
                }
                for t in p["targets"].as_array().into_iter().flatten() {
                    let ds = (
                        t["datasource"]["type"].as_str().unwrap().to_string(),
                        t["datasource"]["uid"].as_str().unwrap().to_string(),
                    );
                    assert!(
                        uids.contains(&ds),
                        "{at}: {title} queries {ds:?}, not provisioned"
                    );
                    let expr = t["expr"].as_str().unwrap();
                    let used_all = variables
                        .iter()
                        .filter(|v| expr.contains(&format!("${v}")))
                        .count();
                    assert!(
                        used_all >= 1,
                        "{at}: {title} ignores the dashboard's variables: {expr}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_query_parses_and_every_metric_is_produced() {
    for path in common::shipped_profiles() {
        let c = common::compile(&path);
        // Provenance is what the components contribute: each job with its metric families.
        let exports = |job: &str, metric: &str| {
            c.collected
                .scrape_jobs()
                .any(|j| j.name == job && j.exports(metric))
        };
        let recorded = recorded(&c);
        let jobs = scrape_jobs(&c);
        let mut checked = 0;
        for (slug, d) in dashboards(&c) {
            for (at, expr) in queries(&slug, &d) {
                let parsed = promql_parser::parser::parse(&substitute_variables(&expr))
                    .unwrap_or_else(|e| {
                        panic!("{}: {at}: `{expr}` does not parse: {e}", path.display())
                    });
                let mut metrics = Metrics(Vec::new());
                walk_expr(&mut metrics, &parsed).unwrap();
                for (metric, job) in metrics.0 {
                    checked += 1;
                    let produced = recorded.contains(&metric)
                        || job
                            .as_deref()
                            .is_some_and(|j| jobs.contains(j) && exports(j, &metric));
                    assert!(
                        produced,
                        "{}: {at}: {metric} (job {job:?}) is neither recorded nor scraped",
                        path.display()
                    );
                }
            }
        }
        assert!(
            checked > 30,
            "{}: only {checked} metric selectors checked",
            path.display()
        );
    }
}

#[test]
fn the_jobs_dashboards_select_are_the_rendered_scrape_jobs() {
    let c = common::compile(
        &common::shipped_profiles()
            .into_iter()
            .find(|p| p.ends_with("production.toml"))
            .unwrap(),
    );
    let jobs = scrape_jobs(&c);
    for job in c.collected.scrape_jobs() {
        assert!(
            jobs.contains(&job.name),
            "job {} is contributed but prometheus.yml does not scrape it: {jobs:?}",
            job.name
        );
    }
    assert_eq!(jobs.len(), c.collected.scrape_jobs().count(), "{jobs:?}");
}

#[test]
fn datasources_point_at_rendered_services() {
    for path in common::shipped_profiles() {
        let c = common::compile(&path);
        let services: BTreeSet<String> = c
            .manifest
            .objects()
            .filter_map(|o| match o {
                Object::Service(s) => Some(
                    s.spec
                        .iter()
                        .flat_map(|sp| sp.ports.iter().flatten())
                        .map(|p| {
                            format!(
                                "http://{}.{}.svc:{}",
                                o.name(),
                                o.namespace().unwrap(),
                                p.port
                            )
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        for ds in provisioned(&c)["datasources"].as_sequence().unwrap() {
            let url = ds["url"].as_str().unwrap();
            assert!(
                services.contains(url),
                "{}: datasource {:?} points at {url}, no rendered Service",
                path.display(),
                ds["name"]
            );
        }
    }
}

#[test]
fn grafana_without_prometheus_is_a_located_unmet_need_naming_both_keys() {
    let (_dir, path) = profile("[prometheus]\nenabled = false\n");
    let failure = monstack::pipeline::compile_path(Some(&path), &[])
        .expect("no internal error")
        .expect_err("Grafana needs a metrics datasource");
    let d = &failure.diagnostics[0];
    assert_eq!(d.code.name(), "unmet-need", "{d:?}");
    assert_eq!(d.key.as_deref(), Some("grafana.enabled"));
    assert!(
        d.message.contains("a prometheus datasource"),
        "{}",
        d.message
    );
    let help = d.help.as_deref().unwrap_or_default();
    assert!(help.contains("prometheus.enabled = true"), "{help}");
    assert!(help.contains("grafana.enabled"), "{help}");
    // Without Grafana too, the profile is fine.
    let (_dir, path) = profile("[prometheus]\nenabled = false\n[grafana]\nenabled = false\n");
    let c = common::compile(&path);
    assert!(c.manifest.objects().all(|o| o.name() != "grafana"));
}

#[test]
fn without_kube_state_metrics_the_pod_status_panels_are_left_out() {
    let (_dir, path) = profile("[kube_state_metrics]\nenabled = false\n");
    let c = common::compile(&path);
    let infra = dashboards(&c)
        .remove("infrastructure")
        .expect("infrastructure dashboard");
    let titles: Vec<&str> = panels(&infra)
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"CPU by pod"));
    assert!(!titles.iter().any(|t| t.contains("Pods")), "{titles:?}");
}

/// Replaces the overview dashboard's JSON in a copy of the manifest and validates it.
fn validate_with_overview(c: &Compilation, edit: impl Fn(&mut Json)) -> Vec<(String, String)> {
    let mut manifest = c.manifest.clone();
    for part in &mut manifest.parts {
        for o in &mut part.objects {
            if let Object::ConfigMap(cm) = o
                && cm.metadata.name.as_deref() == Some("grafana-dashboard-overview")
            {
                let data = cm.data.as_mut().unwrap();
                let text = data.get_mut("overview.json").unwrap();
                let mut json: Json = serde_json::from_str(text).unwrap();
                edit(&mut json);
                *text = json.to_string();
            }
        }
    }
    monstack::validate::check(&manifest, &c.collected)
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code.to_string(), d.message))
        .collect()
}

#[test]
fn a_broken_dashboard_fails_validation_naming_dashboard_and_panel() {
    let path = common::shipped_profiles()
        .into_iter()
        .find(|p| p.ends_with("production.toml"))
        .unwrap();
    let c = common::compile(&path);
    assert!(validate_with_overview(&c, |_| {}).is_empty());
    let named = |found: &[(String, String)], code: &str, text: &str| {
        found.iter().any(|(c, m)| {
            c == code && m.starts_with("dashboard `Overview` (overview.json), ") && m.contains(text)
        })
    };

    let broken_query = validate_with_overview(&c, |d| {
        d["panels"][4]["targets"][0]["expr"] = "sum by (service) (rate(x[5m])".into()
    });
    assert!(
        named(
            &broken_query,
            "promql-invalid",
            "panel 5 `Request rate`, query A"
        ),
        "{broken_query:?}"
    );

    let unknown_metric = validate_with_overview(&c, |d| {
        d["panels"][4]["targets"][0]["expr"] =
            "sum(http_request_total{job=\"kubernetes-pods\"})".into()
    });
    assert!(
        named(
            &unknown_metric,
            "metric-not-produced",
            "panel 5 `Request rate`"
        ),
        "{unknown_metric:?}"
    );

    let overlap = validate_with_overview(&c, |d| d["panels"][5]["gridPos"]["x"] = 6.into());
    assert!(
        named(
            &overlap,
            "dashboard-panels-overlap",
            "panel 6 `Error rate` overlaps panel 5 `Request rate`"
        ),
        "{overlap:?}"
    );

    let unknown_uid = validate_with_overview(&c, |d| {
        d["panels"][0]["targets"][0]["datasource"]["uid"] = "loki".into()
    });
    assert!(
        named(
            &unknown_uid,
            "dashboard-datasource-unknown",
            "panel 1 `Requests per second`, query A"
        ),
        "{unknown_uid:?}"
    );
}

fn grafana_container(c: &Compilation) -> Container {
    c.manifest
        .objects()
        .find(|o| o.kind() == "StatefulSet" && o.name() == "grafana")
        .and_then(|o| o.pod_template()?.spec.clone())
        .expect("grafana pod")
        .containers
        .remove(0)
}

fn env<'a>(container: &'a Container, name: &str) -> &'a EnvVar {
    container
        .env
        .iter()
        .flatten()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn credentials_come_from_secrets_and_never_appear_in_the_output() {
    for path in common::shipped_profiles() {
        let c = common::compile(&path);
        let text = monstack::emit::stream(&monstack::emit::files(&c).unwrap());
        assert!(
            !text.contains("admin/password") && !text.contains("admin:password"),
            "{}",
            path.display()
        );
        assert!(!c.manifest.objects().any(|o| o.kind() == "Secret"));
        let container = grafana_container(&c);
        for name in ["GF_SECURITY_ADMIN_USER", "GF_SECURITY_ADMIN_PASSWORD"] {
            let var = env(&container, name);
            assert!(var.value.is_none(), "{name} is a literal");
            let secret = var
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
                .expect("a secretKeyRef");
            assert!(!secret.name.is_empty());
        }
        assert_eq!(
            env(&container, "GF_AUTH_ANONYMOUS_ENABLED")
                .value
                .as_deref(),
            Some("false")
        );
    }
}

const SSO: &str = r#"
[grafana]
host = "grafana.todo-chatbot.example.com"

[grafana.oauth]
provider = "generic"
name = "Keycloak"
client_id = "grafana"
client_secret = { secret = "grafana-oauth", key = "client-secret" }
auth_url = "https://sso.example.com/realms/todo/protocol/openid-connect/auth"
token_url = "https://sso.example.com/realms/todo/protocol/openid-connect/token"
api_url = "https://sso.example.com/realms/todo/protocol/openid-connect/userinfo"
scopes = ["openid", "email", "profile", "groups"]
groups_attribute_path = "groups"

[grafana.oauth.roles]
admin = ["platform-team"]
editor = ["developers"]
"#;

#[test]
fn oauth_is_configured_from_the_profile_with_its_secret_by_reference() {
    let (_dir, path) = profile(SSO);
    let c = common::compile(&path);
    let container = grafana_container(&c);
    let value = |name: &str| env(&container, name).value.clone().unwrap_or_default();
    assert_eq!(
        value("GF_SERVER_ROOT_URL"),
        "https://grafana.todo-chatbot.example.com/"
    );
    assert_eq!(value("GF_AUTH_GENERIC_OAUTH_ENABLED"), "true");
    assert_eq!(
        value("GF_AUTH_GENERIC_OAUTH_SCOPES"),
        "openid email profile groups"
    );
    assert_eq!(
        value("GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_PATH"),
        "(contains(groups[*], 'platform-team')) && 'Admin' || (contains(groups[*], 'developers')) && 'Editor'"
    );
    let secret = env(&container, "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET");
    assert!(secret.value.is_none());
    let key = secret
        .value_from
        .as_ref()
        .unwrap()
        .secret_key_ref
        .as_ref()
        .unwrap();
    assert_eq!(
        (key.name.as_str(), key.key.as_str()),
        ("grafana-oauth", "client-secret")
    );
}

#[test]
fn oauth_without_a_host_is_reported_at_its_key() {
    let (_dir, path) = profile(&SSO.replace("host = \"grafana.todo-chatbot.example.com\"", ""));
    let failure = match pipeline::compile_path(Some(&path), &[]).expect("no internal error") {
        Ok(_) => panic!("OAuth without a host must not compile"),
        Err(f) => f,
    };
    let d = failure
        .diagnostics
        .iter()
        .find(|d| d.code == Code::OauthWithoutHost)
        .expect("oauth-without-host");
    assert_eq!(d.key.as_deref(), Some("grafana.oauth"));
}
