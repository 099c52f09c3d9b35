//! The programs' own basic auth (`[prometheus.web_auth]`, `[alertmanager.web_auth]`,
//! exporter-toolkit `--web.config.file`): turning it on keeps everything that talks to them
//! working — kubelet probes, Alertmanager's config reload, Prometheus' self-scrape and its
//! scrape of Alertmanager, alerting, Grafana's datasource — with every password read from the
//! user's Secret, and the command `monstack secrets` prints makes a web config promtool accepts.

mod common;

use std::path::Path;

use k8s_openapi::api::core::v1::{Container, PodSpec};
use monstack::k8s::Object;
use monstack::pipeline::{Compilation, compile_path};
use serde_yaml_ng::Value;

const WITH_AUTH: [&str; 2] = [
    "prometheus.web_auth.secret=prometheus-web",
    "alertmanager.web_auth.secret=alertmanager-web",
];

fn production(sets: &[&str]) -> Compilation {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    compile_path(Some(Path::new("profiles/production.toml")), &sets)
        .expect("no internal error")
        .unwrap_or_else(|f| panic!("does not compile:\n{f}"))
}

fn pod_spec<'a>(c: &'a Compilation, workload: &str) -> &'a PodSpec {
    c.manifest
        .objects()
        .filter(|o| o.name() == workload)
        .find_map(|o| o.pod_template())
        .and_then(|t| t.spec.as_ref())
        .unwrap_or_else(|| panic!("no workload {workload}"))
}

fn container<'a>(spec: &'a PodSpec, name: &str) -> &'a Container {
    spec.containers
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("parses")
}

/// The Secret mounted at `dir` in `container`, if any.
fn secret_mounted_at(spec: &PodSpec, container: &Container, dir: &str) -> Option<String> {
    let mount = container
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path == dir)?;
    spec.volumes
        .iter()
        .flatten()
        .find(|v| v.name == mount.name)?
        .secret
        .as_ref()?
        .secret_name
        .clone()
}

/// Asserts `login` is `{username: monstack, password_file: <dir>/password}` with `<dir>` a
/// mount of the Secret `secret` in Prometheus' container.
fn assert_login_from_secret(c: &Compilation, login: &Value, secret: &str) {
    assert_eq!(login["username"].as_str(), Some("monstack"), "{login:?}");
    let file = login["password_file"].as_str().expect("a password_file");
    let (dir, key) = file.rsplit_once('/').expect("a path");
    assert_eq!(key, "password");
    let spec = pod_spec(c, "prometheus");
    assert_eq!(
        secret_mounted_at(spec, container(spec, "prometheus"), dir).as_deref(),
        Some(secret),
        "{file} is not in a mount of {secret}"
    );
}

#[test]
fn prometheus_reads_its_web_config_and_logs_in_to_itself_and_to_alertmanager() {
    let c = production(&WITH_AUTH);
    let spec = pod_spec(&c, "prometheus");
    let prometheus = container(spec, "prometheus");
    let arg = prometheus
        .args
        .iter()
        .flatten()
        .find_map(|a| a.strip_prefix("--web.config.file="))
        .expect("--web.config.file");
    let (dir, file) = arg.rsplit_once('/').expect("a path");
    assert_eq!(file, "web.yml");
    assert_eq!(
        secret_mounted_at(spec, prometheus, dir).as_deref(),
        Some("prometheus-web")
    );

    let config = yaml(&common::config_map(&c, "prometheus-config")["prometheus.yml"]);
    let job = |name: &str| -> Value {
        config["scrape_configs"]
            .as_sequence()
            .expect("jobs")
            .iter()
            .find(|j| j["job_name"].as_str() == Some(name))
            .cloned()
            .unwrap_or_else(|| panic!("no job {name}"))
    };
    assert_login_from_secret(&c, &job("prometheus")["basic_auth"], "prometheus-web");
    assert_login_from_secret(&c, &job("alertmanager")["basic_auth"], "alertmanager-web");
    assert_login_from_secret(
        &c,
        &config["alerting"]["alertmanagers"][0]["basic_auth"],
        "alertmanager-web",
    );
    // Targets without a login of their own get none.
    assert!(job("grafana").get("basic_auth").is_none());
}

#[test]
fn probes_check_the_port_and_never_carry_a_credential() {
    let plain = production(&[]);
    let c = production(&WITH_AUTH);
    for (workload, name) in [
        ("prometheus", "prometheus"),
        ("alertmanager", "alertmanager"),
    ] {
        let before = container(pod_spec(&plain, workload), name);
        let after = container(pod_spec(&c, workload), name);
        for (old, new) in [
            (&before.readiness_probe, &after.readiness_probe),
            (&before.liveness_probe, &after.liveness_probe),
        ] {
            let (old, new) = (old.clone().expect("a probe"), new.clone().expect("a probe"));
            assert!(
                old.http_get.is_some(),
                "{workload}: without auth, an HTTP probe"
            );
            assert!(
                new.http_get.is_none(),
                "{workload}: every HTTP path asks for the login"
            );
            let port = new.tcp_socket.as_ref().map(|t| t.port.clone());
            assert_eq!(
                port,
                old.http_get.map(|h| h.port),
                "{workload}: the same port"
            );
            // The same patience: a slow start is not a failure.
            assert_eq!(
                (new.initial_delay_seconds, new.failure_threshold),
                (old.initial_delay_seconds, old.failure_threshold)
            );
        }
    }
    // No probe anywhere sends a header (a password would be written into the pod spec).
    for o in c.manifest.objects() {
        for ct in o
            .pod_template()
            .iter()
            .flat_map(|t| t.spec.iter())
            .flat_map(|s| &s.containers)
        {
            for probe in [&ct.readiness_probe, &ct.liveness_probe, &ct.startup_probe]
                .into_iter()
                .flatten()
            {
                let headers = probe
                    .http_get
                    .as_ref()
                    .and_then(|h| h.http_headers.as_ref());
                assert!(
                    headers.is_none(),
                    "{}: {} probe sends headers",
                    o.id(),
                    ct.name
                );
            }
        }
    }
}

#[test]
fn alertmanager_rolls_on_a_config_change_instead_of_a_reloader_without_the_password() {
    let plain = production(&[]);
    let c = production(&WITH_AUTH);
    let names = |c: &Compilation| -> Vec<String> {
        pod_spec(c, "alertmanager")
            .containers
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    assert_eq!(names(&plain), ["alertmanager", "config-reloader"]);
    assert_eq!(names(&c), ["alertmanager"]);
    let annotations = |c: &Compilation| {
        c.manifest
            .objects()
            .filter(|o| o.name() == "alertmanager")
            .find_map(|o| o.pod_template())
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.annotations.clone())
            .unwrap_or_default()
    };
    let checksum = annotations(&c)
        .get("checksum/config")
        .cloned()
        .expect("a config checksum");
    let config = &common::config_map(&c, "alertmanager-config")["alertmanager.yml"];
    assert_eq!(checksum, monstack::k8s::pod::checksum(config));
    let changed = production(&[WITH_AUTH[0], WITH_AUTH[1], "alertmanager.group_wait=1m"]);
    assert_ne!(
        annotations(&changed).get("checksum/config"),
        Some(&checksum)
    );
    let spec = pod_spec(&c, "alertmanager");
    let am = container(spec, "alertmanager");
    assert!(
        am.args
            .iter()
            .flatten()
            .any(|a| a == "--web.config.file=/etc/alertmanager/web/web.yml")
    );
    assert_eq!(
        secret_mounted_at(spec, am, "/etc/alertmanager/web").as_deref(),
        Some("alertmanager-web")
    );
}

#[test]
fn grafana_logs_in_to_prometheus_with_the_password_from_its_secret() {
    let c = production(&WITH_AUTH);
    let datasources = yaml(&common::config_map(&c, "grafana-datasources")["datasources.yaml"]);
    let prometheus = datasources["datasources"]
        .as_sequence()
        .expect("datasources")
        .iter()
        .find(|d| d["uid"].as_str() == Some("prometheus"))
        .expect("the Prometheus datasource");
    assert_eq!(prometheus["basicAuth"].as_bool(), Some(true));
    assert_eq!(prometheus["basicAuthUser"].as_str(), Some("monstack"));
    let reference = prometheus["secureJsonData"]["basicAuthPassword"]
        .as_str()
        .expect("a password");
    // Grafana expands `$NAME` from its environment, which reads the Secret.
    let variable = reference
        .strip_prefix('$')
        .expect("an environment reference");
    let grafana = container(pod_spec(&c, "grafana"), "grafana");
    let env = grafana
        .env
        .iter()
        .flatten()
        .find(|e| e.name == variable)
        .unwrap_or_else(|| panic!("Grafana has no {variable}"));
    assert!(env.value.is_none());
    let from = env
        .value_from
        .as_ref()
        .and_then(|v| v.secret_key_ref.as_ref())
        .expect("a Secret");
    assert_eq!(
        (from.name.as_str(), from.key.as_str()),
        ("prometheus-web", "password")
    );
}

#[test]
fn a_program_with_its_own_login_gets_no_second_one_from_the_proxy() {
    let c = production(&WITH_AUTH);
    let policy = c
        .manifest
        .objects()
        .find_map(|o| match o {
            Object::Custom(p) if p.kind == "SecurityPolicy" => Some(p.spec.clone()),
            _ => None,
        })
        .expect("a SecurityPolicy");
    let targets: Vec<&str> = policy["targetRefs"]
        .as_array()
        .expect("targets")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(targets, ["jaeger"]);
    // Jaeger's Prometheus client has no basic auth: its Monitor tab is left off.
    let query = yaml(&common::config_map(&c, "jaeger-query")["config.yaml"]);
    let text = serde_yaml_ng::to_string(&query).expect("serializes");
    assert!(!text.contains("metric_backends"), "{text}");
    let plain = production(&[]);
    let query = &common::config_map(&plain, "jaeger-query")["config.yaml"];
    assert!(
        query.contains("metric_backends"),
        "the Monitor tab is on without the login"
    );
}

#[test]
fn no_hash_or_password_is_rendered_and_both_secrets_are_listed() {
    let c = production(&WITH_AUTH);
    for document in &c.documents {
        for word in ["basic_auth_users", "$2y$", "$2b$", "{SHA}", "password:"] {
            assert!(!document.contains(word), "`{word}` rendered");
        }
    }
    let mut args = vec!["secrets", "profiles/production.toml"];
    for set in WITH_AUTH {
        args.extend(["--set", set]);
    }
    let text = common::stdout(&common::monstack(&args));
    for secret in ["prometheus-web", "alertmanager-web"] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("create secret generic {secret} ")))
            .unwrap_or_else(|| panic!("{secret} is not listed:\n{text}"));
        assert!(
            line.contains("--from-literal=web.yml=") && line.contains("--from-literal=password="),
            "{line}"
        );
    }
}

/// Runs the printed command with stand-ins for `htpasswd` (a fixed bcrypt line) and `kubectl`
/// (writes its `web.yml` value to a file), then has promtool check the file.
#[test]
fn the_printed_command_makes_a_web_config_promtool_accepts() {
    let Some(promtool) = common::require_tool("promtool") else {
        return;
    };
    let text = common::stdout(&common::monstack(&[
        "secrets",
        "profiles/production.toml",
        "--set",
        WITH_AUTH[0],
    ]));
    let command = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("kubectl -n monitoring create secret generic prometheus-web "))
        .expect("the create command");
    let dir = tempfile::tempdir().expect("a temp dir");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    let stub = |name: &str, body: &str| {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("a stub");
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&path)
            .status()
            .expect("chmod");
    };
    // bcrypt of "test", as `htpasswd -nBC 10 ''` prints it (user name empty).
    stub(
        "htpasswd",
        r"printf ':$2y$10$ZkIpuWc6lmGh1wVnOyCv3OW0ZcFNbnDgA6ZnqXWwUeMJuSt1RDHlO\n\n'",
    );
    stub(
        "kubectl",
        r#"for a in "$@"; do case "$a" in --from-literal=web.yml=*) printf '%s\n' "${a#--from-literal=web.yml=}" > "$OUT";; esac; done"#,
    );
    let web = dir.path().join("web.yml");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("OUT", &web)
        .status()
        .expect("sh runs");
    assert!(status.success());
    let written = std::fs::read_to_string(&web).expect("the stub wrote web.yml");
    assert_eq!(
        yaml(&written)["basic_auth_users"]["monstack"].as_str(),
        Some("$2y$10$ZkIpuWc6lmGh1wVnOyCv3OW0ZcFNbnDgA6ZnqXWwUeMJuSt1RDHlO")
    );
    let check = std::process::Command::new(promtool)
        .args(["check", "web-config"])
        .arg(&web)
        .output()
        .expect("promtool runs");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Swaps every `kubernetes_sd_configs` (Debian's promtool has no Kubernetes discovery) for a
/// static target, as tests/promtool_config.rs does.
fn without_kubernetes_sd(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            if map.remove("kubernetes_sd_configs").is_some() {
                let targets: Value = serde_yaml_ng::from_str("[{targets: ['127.0.0.1:1']}]")
                    .expect("static targets");
                map.insert("static_configs".into(), targets);
            }
            map.iter_mut().for_each(|(_, v)| without_kubernetes_sd(v));
        }
        Value::Sequence(items) => items.iter_mut().for_each(without_kubernetes_sd),
        _ => {}
    }
}

#[test]
fn promtool_accepts_prometheus_yml_with_the_logins() {
    let Some(promtool) = common::require_tool("promtool") else {
        return;
    };
    let c = production(&WITH_AUTH);
    let mut config = yaml(&common::config_map(&c, "prometheus-config")["prometheus.yml"]);
    without_kubernetes_sd(&mut config);
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("prometheus.yml");
    std::fs::write(
        &path,
        serde_yaml_ng::to_string(&config).expect("serializes"),
    )
    .expect("write");
    let out = std::process::Command::new(promtool)
        .args(["check", "config", "--syntax-only"])
        .arg(&path)
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
