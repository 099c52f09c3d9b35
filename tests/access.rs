//! Access from outside: the routing objects are derived from the UIs the components expose
//! and the `[access]` router (Gateway API with Envoy Gateway's basic auth in production,
//! ingress-nginx selectable with a warning), the NetworkPolicies admit the proxy to exactly
//! the exposed UI ports, every Secret the routes read is listed by `monstack secrets`, and the
//! programs' URLs follow their hosts.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use monstack::diag::{Code, Diagnostic};
use monstack::k8s::Object;
use monstack::pipeline::{Compilation, compile_path};
use serde_json::Value;

const PRODUCTION: &str = "profiles/production.toml";
/// The UIs production exposes, with their Service and port.
const UIS: [(&str, &str, i32); 4] = [
    ("prometheus", "prometheus", 9090),
    ("alertmanager", "alertmanager", 9093),
    ("grafana", "grafana", 3000),
    ("jaeger", "jaeger-query", 16686),
];

fn compile(sets: &[&str]) -> Result<Compilation, Vec<Diagnostic>> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    compile_path(Some(std::path::Path::new(PRODUCTION)), &sets)
        .expect("no internal error")
        .map_err(|f| f.diagnostics)
}

fn production(sets: &[&str]) -> Compilation {
    compile(sets).unwrap_or_else(|d| panic!("does not compile: {d:?}"))
}

/// The custom resources of `kind`, as JSON.
fn custom(c: &Compilation, kind: &str) -> Vec<Value> {
    c.manifest
        .objects()
        .filter(|o| o.kind() == kind)
        .filter_map(|o| match o {
            Object::Custom(c) => Some(serde_json::to_value(c).expect("serializes")),
            _ => None,
        })
        .collect()
}

fn ingresses(c: &Compilation) -> Vec<Ingress> {
    c.manifest
        .objects()
        .filter_map(|o| match o {
            Object::Ingress(i) => Some(i.clone()),
            _ => None,
        })
        .collect()
}

fn names(objects: &[Value]) -> Vec<&str> {
    objects
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect()
}

fn container_args(c: &Compilation, workload: &str, container: &str) -> Vec<String> {
    c.manifest
        .objects()
        .filter(|o| o.name() == workload)
        .filter_map(|o| o.pod_template())
        .flat_map(|t| t.spec.iter().flat_map(|s| s.containers.iter()))
        .find(|c| c.name == container)
        .and_then(|c| c.args.clone())
        .unwrap_or_else(|| panic!("no container {container} in {workload}"))
}

#[test]
fn production_routes_each_ui_through_the_rendered_gateway_with_tls_and_basic_auth() {
    let c = production(&[]);
    let [gateway] = custom(&c, "Gateway").try_into().expect("one Gateway");
    assert_eq!(gateway["metadata"]["name"], "monitoring");
    assert_eq!(
        gateway["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
        "letsencrypt-prod"
    );
    let listeners = gateway["spec"]["listeners"].as_array().expect("listeners");
    let routes = custom(&c, "HTTPRoute");
    assert_eq!(
        names(&routes),
        UIS.iter().map(|(ui, _, _)| *ui).collect::<Vec<_>>()
    );
    for (ui, service, port) in UIS {
        let host = format!("{ui}.todo-chatbot.example.com");
        let route = routes
            .iter()
            .find(|r| r["metadata"]["name"] == ui)
            .expect("a route per UI");
        assert_eq!(route["spec"]["hostnames"], serde_json::json!([host]));
        let backend = &route["spec"]["rules"][0]["backendRefs"][0];
        assert_eq!(
            (backend["name"].as_str(), backend["port"].as_i64()),
            (Some(service), Some(port as i64))
        );
        // Attached to the HTTPS listener of its own host, whose certificate cert-manager fills.
        let parent = &route["spec"]["parentRefs"][0];
        assert_eq!(
            (parent["name"].as_str(), parent["sectionName"].as_str()),
            (Some("monitoring"), Some(ui))
        );
        let listener = listeners
            .iter()
            .find(|l| l["name"] == ui)
            .expect("a listener per UI");
        assert_eq!(listener["hostname"], host.as_str());
        assert_eq!(
            (listener["protocol"].as_str(), listener["port"].as_i64()),
            (Some("HTTPS"), Some(443))
        );
        assert_eq!(
            listener["tls"]["certificateRefs"][0]["name"],
            format!("{ui}-tls").as_str()
        );
    }
    // Basic auth in front of every UI but Grafana, which has its own login.
    let [policy] = custom(&c, "SecurityPolicy").try_into().expect("one policy");
    let targets: Vec<&str> = policy["spec"]["targetRefs"]
        .as_array()
        .expect("targetRefs")
        .iter()
        .map(|t| t["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(targets, ["prometheus", "alertmanager", "jaeger"]);
    assert_eq!(
        policy["spec"]["basicAuth"]["users"]["name"],
        "monitoring-basic-auth"
    );
}

#[test]
fn expose_false_keeps_a_ui_inside_the_cluster() {
    let c = production(&["alertmanager.expose=false"]);
    assert_eq!(
        names(&custom(&c, "HTTPRoute")),
        ["prometheus", "grafana", "jaeger"]
    );
    let [gateway] = custom(&c, "Gateway").try_into().expect("one Gateway");
    assert!(
        gateway["spec"]["listeners"]
            .as_array()
            .expect("listeners")
            .iter()
            .all(|l| l["name"] != "alertmanager")
    );
    let [policy] = custom(&c, "SecurityPolicy").try_into().expect("one policy");
    assert!(!policy.to_string().contains("alertmanager"));
}

#[test]
fn routes_attach_to_an_existing_gateway_without_rendering_one() {
    let c = production(&[
        "access.gateway.create=false",
        "access.gateway.name=shared",
        "access.gateway.namespace=gateways",
        "access.tls.cluster_issuer=",
    ]);
    assert!(custom(&c, "Gateway").is_empty());
    for route in custom(&c, "HTTPRoute") {
        assert_eq!(
            route["spec"]["parentRefs"],
            serde_json::json!([{ "name": "shared", "namespace": "gateways" }])
        );
    }
}

#[test]
fn an_existing_tls_secret_serves_every_host_and_is_listed() {
    let c = production(&[
        "access.tls.cluster_issuer=",
        "access.tls.secret=monitoring-tls",
    ]);
    let [gateway] = custom(&c, "Gateway").try_into().expect("one Gateway");
    assert!(
        gateway["metadata"]["annotations"].is_null(),
        "no cert-manager annotation"
    );
    for listener in gateway["spec"]["listeners"].as_array().expect("listeners") {
        assert_eq!(
            listener["tls"]["certificateRefs"][0]["name"],
            "monitoring-tls"
        );
    }
    let out = common::monstack(&[
        "secrets",
        PRODUCTION,
        "--set",
        "access.tls.cluster_issuer=",
        "--set",
        "access.tls.secret=monitoring-tls",
    ]);
    let text = common::stdout(&out);
    assert!(
        text.contains("kubectl -n monitoring create secret tls monitoring-tls --cert='<certificate chain PEM file>' --key='<private key PEM file>'"),
        "{text}"
    );
}

#[test]
fn ingress_nginx_is_selectable_with_auth_annotations_and_an_end_of_life_warning() {
    let c = production(&["access.mode=ingress-nginx"]);
    assert!(custom(&c, "HTTPRoute").is_empty() && custom(&c, "Gateway").is_empty());
    let warning = c
        .warnings
        .iter()
        .find(|d| d.code == Code::IngressNginxEndOfLife)
        .expect("an end-of-life warning");
    assert_eq!(warning.key.as_deref(), Some("access.mode"));
    let ingresses = ingresses(&c);
    assert_eq!(ingresses.len(), UIS.len());
    for (ui, service, port) in UIS {
        let ingress = ingresses
            .iter()
            .find(|i| i.metadata.name.as_deref() == Some(ui))
            .expect("an Ingress per UI");
        let annotations = ingress.metadata.annotations.clone().unwrap_or_default();
        let spec = ingress.spec.as_ref().expect("spec");
        assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
        let rule = &spec.rules.as_ref().expect("rules")[0];
        assert_eq!(
            rule.host.as_deref(),
            Some(format!("{ui}.todo-chatbot.example.com").as_str())
        );
        let backend = rule.http.as_ref().expect("http").paths[0]
            .backend
            .service
            .clone()
            .expect("service");
        assert_eq!(
            (backend.name.as_str(), backend.port.and_then(|p| p.number)),
            (service, Some(port))
        );
        let tls = &spec.tls.as_ref().expect("tls")[0];
        assert_eq!(
            tls.secret_name.as_deref(),
            Some(format!("{ui}-tls").as_str())
        );
        assert_eq!(
            annotations
                .get("cert-manager.io/cluster-issuer")
                .map(String::as_str),
            Some("letsencrypt-prod")
        );
        let auth = annotations.get("nginx.ingress.kubernetes.io/auth-type");
        if ui == "grafana" {
            assert_eq!(auth, None, "Grafana asks for its own login");
        } else {
            assert_eq!(auth.map(String::as_str), Some("basic"));
            assert_eq!(
                annotations
                    .get("nginx.ingress.kubernetes.io/auth-secret")
                    .map(String::as_str),
                Some("monitoring-basic-auth")
            );
        }
    }
}

/// The proxy's rules in the derived NetworkPolicies: (policy, port).
fn proxy_rules(c: &Compilation, namespace: &str) -> BTreeSet<(String, i32)> {
    let mut out = BTreeSet::new();
    for o in c.manifest.objects() {
        let Object::NetworkPolicy(NetworkPolicy { metadata, spec }) = o else {
            continue;
        };
        for rule in spec.iter().flat_map(|s| s.ingress.iter().flatten()) {
            let from_proxy = rule.from.iter().flatten().any(|peer| {
                peer.namespace_selector
                    .as_ref()
                    .and_then(|s| s.match_expressions.as_ref())
                    .is_some_and(|e| {
                        e.iter()
                            .any(|r| r.values.iter().flatten().any(|v| v == namespace))
                    })
            });
            if !from_proxy {
                continue;
            }
            for port in rule.ports.iter().flatten() {
                let Some(IntOrString::Int(n)) = port.port else {
                    panic!("ports are numbers")
                };
                out.insert((metadata.name.clone().unwrap_or_default(), n));
            }
        }
    }
    out
}

#[test]
fn the_network_policies_admit_the_proxy_to_each_exposed_ui_port_and_nothing_else() {
    let expected = |uis: &[(&str, &str, i32)]| -> BTreeSet<(String, i32)> {
        uis.iter()
            .map(|(_, service, port)| (format!("{service}-ingress"), *port))
            .collect()
    };
    let c = production(&[]);
    assert_eq!(proxy_rules(&c, "envoy-gateway-system"), expected(&UIS));
    // The proxy pods are selected by Envoy Gateway's labels for this Gateway.
    let np = c
        .manifest
        .objects()
        .find(|o| o.kind() == "NetworkPolicy" && o.name() == "grafana-ingress")
        .expect("grafana's policy");
    let text = serde_json::to_string(np).expect("serializes");
    assert!(
        text.contains(r#""gateway.envoyproxy.io/owning-gateway-name":"monitoring""#),
        "{text}"
    );

    let c = production(&["jaeger.expose=false", "access.proxy.namespace=edge"]);
    assert!(proxy_rules(&c, "envoy-gateway-system").is_empty());
    assert_eq!(proxy_rules(&c, "edge"), expected(&UIS[..3]));

    let c = production(&["access.mode=ingress-nginx"]);
    assert_eq!(proxy_rules(&c, "ingress-nginx"), expected(&UIS));

    let c = production(&["access.mode=none"]);
    assert!(proxy_rules(&c, "envoy-gateway-system").is_empty());
    assert!(c.manifest.objects().all(|o| !matches!(
        o.kind(),
        "HTTPRoute" | "Gateway" | "SecurityPolicy" | "Ingress"
    )));
}

/// The create command of the Secret `name` in `monstack secrets` output.
fn create_command<'a>(secrets: &'a str, name: &str) -> &'a str {
    let marker = format!("create secret generic {name} ");
    secrets
        .lines()
        .find(|l| l.contains(&marker))
        .unwrap_or_else(|| panic!("{name} is not listed:\n{secrets}"))
}

#[test]
fn every_auth_secret_is_listed_with_the_hash_its_reader_accepts() {
    let out = common::monstack(&["secrets", PRODUCTION]);
    let text = common::stdout(&out);
    // Envoy Gateway accepts {SHA} lines only, under `.htpasswd`.
    assert!(
        create_command(&text, "monitoring-basic-auth")
            .ends_with(r#"--from-literal=.htpasswd="$(htpasswd -ns '<user>')""#),
        "{text}"
    );
    let out = common::monstack(&["secrets", PRODUCTION, "--set", "access.mode=ingress-nginx"]);
    let text = common::stdout(&out);
    // ingress-nginx's auth-file is the key `auth`; apr1 works on every libc.
    assert!(
        create_command(&text, "monitoring-basic-auth")
            .ends_with(r#"--from-literal=auth="$(htpasswd -nm '<user>')""#),
        "{text}"
    );
    // Every Secret the rendered routes name is listed.
    let c = production(&[]);
    let listed: BTreeSet<&str> = c
        .collected
        .secret_names()
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    for policy in custom(&c, "SecurityPolicy") {
        let users = policy["spec"]["basicAuth"]["users"]["name"]
            .as_str()
            .expect("a Secret");
        assert!(listed.contains(users), "{users} is not in {listed:?}");
    }
}

#[test]
fn no_password_like_literal_appears_in_any_rendered_file() {
    let suspicious = [
        "password:",
        "passwd:",
        "{SHA}",
        "$apr1$",
        "$2y$",
        "$2b$",
        "admin:admin",
        "Authorization",
    ];
    for sets in [&[][..], &["access.mode=ingress-nginx"][..]] {
        let c = production(sets);
        for document in &c.documents {
            for word in suspicious {
                assert!(
                    !document.contains(word),
                    "`{word}` in the output with {sets:?}"
                );
            }
        }
    }
}

#[test]
fn program_urls_follow_their_hosts() {
    let c = production(&[]);
    assert!(
        container_args(&c, "prometheus", "prometheus").contains(
            &"--web.external-url=https://prometheus.todo-chatbot.example.com/".to_string()
        )
    );
    assert!(
        container_args(&c, "alertmanager", "alertmanager").contains(
            &"--web.external-url=https://alertmanager.todo-chatbot.example.com/".to_string()
        ),
        "notification links open the public host, not a pod name"
    );
    let env: BTreeMap<String, String> = c
        .manifest
        .objects()
        .filter(|o| o.name() == "grafana")
        .filter_map(|o| o.pod_template())
        .flat_map(|t| t.spec.iter().flat_map(|s| s.containers.iter()))
        .flat_map(|c| c.env.iter().flatten())
        .filter_map(|e| Some((e.name.clone(), e.value.clone()?)))
        .collect();
    assert_eq!(
        env.get("GF_SERVER_ROOT_URL").map(String::as_str),
        Some("https://grafana.todo-chatbot.example.com/")
    );
    let c = production(&["alertmanager.host=", "alertmanager.expose=false"]);
    assert!(
        !container_args(&c, "alertmanager", "alertmanager")
            .iter()
            .any(|a| a.starts_with("--web.external-url"))
    );
}

/// The diagnostics of a refused or warned profile, as (code, key).
fn found(sets: &[&str]) -> Vec<(Code, String)> {
    let diagnostics = match compile(sets) {
        Ok(c) => c.warnings,
        Err(d) => d,
    };
    diagnostics
        .into_iter()
        .map(|d| (d.code, d.key.unwrap_or_default()))
        .collect()
}

#[test]
fn bad_combinations_are_located_at_the_key_to_change() {
    assert!(
        found(&["access.tls.cluster_issuer="])
            .contains(&(Code::TlsSourceMissing, "access.tls".into()))
    );
    assert!(
        found(&["access.tls.secret=monitoring-tls"])
            .contains(&(Code::TlsSourceAmbiguous, "access.tls.secret".into()))
    );
    assert!(
        found(&["access.tls.enabled=false"])
            .contains(&(Code::AccessWithoutTls, "access.tls.enabled".into()))
    );
    assert!(found(&["access.gateway.create=false"]).contains(&(
        Code::TlsOnExistingGateway,
        "access.tls.cluster_issuer".into()
    )));
    assert_eq!(
        found(&["jaeger.host="]),
        [(Code::ExposedWithoutHost, "jaeger.host".to_string())]
    );
    // Without a router, a missing host is fine: nothing is exposed.
    assert!(compile(&["jaeger.host=", "access.mode=none"]).is_ok());
}
