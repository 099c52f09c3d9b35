//! End to end: the production profile's rendered prometheus.yml, rule files and
//! alertmanager.yml, run by Debian's real Prometheus and Alertmanager on loopback, scraping
//! synthetic targets that export the seed's metrics with the real exporters' label sets. The
//! test asserts that the expected alerts reach the expected receiver with the expected
//! severity, that warnings are muted by their critical twins, that notifications are grouped
//! as the route tree says, and that nothing else fires.
//!
//! What is changed, and only that:
//! - the profile: a test profile extends `profiles/production.toml` with shorter intervals and
//!   `for` durations, one Alertmanager (the test runs one) and a dead man's switch receiver;
//! - prometheus.yml: every `kubernetes_sd_configs` becomes a static loopback target carrying
//!   the `__meta_kubernetes_*` labels the job's relabelings read (Kubernetes would set them);
//!   two in-cluster paths that exist only in a pod follow, as they must outside a cluster: the
//!   Alertmanager targets (cluster DNS names) become the loopback Alertmanager, and the rule
//!   files' glob points at the temporary directory holding them;
//! - alertmanager.yml: only where notifications go: each `*_file` points at a temporary file
//!   holding a loopback sink URL (or a dummy PagerDuty key) and PagerDuty's `url` is the sink.
//!   Debian's Alertmanager 0.25 predates webhook `url_file` (0.26), so the dead man's switch's
//!   `url_file` becomes `url` with the sink's address.
//!
//! Prometheus runs with `--rules.alert.resend-delay=2s` (a flag of the run, not of the config):
//! it finds the Alertmanager a few seconds after it starts, and would resend an alert that
//! fired before (the Watchdog) only after a minute.
//!
//! Jobs whose targets are not modelled (node-exporter, cAdvisor, Dapr, Loki, Jaeger, ...) get
//! no target, so their alerts must stay silent too. (Prometheus logs that it cannot create the
//! kubelet job's client: its service-account CA file exists only in a pod. That job has no
//! target here either.) Every process is stopped by pid, and every
//! temporary file removed, when the test ends, also when an assertion fails.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use serde_yaml_ng::{Mapping, Value};
use tempfile::TempDir;

/// How long the whole pipeline may take to deliver every expected notification.
const DEADLINE: Duration = Duration::from_secs(100);
/// After everything expected arrived, how long to watch for anything unexpected.
const QUIET: Duration = Duration::from_secs(5);

/// The test profile: production, with intervals and `for` durations shortened. A warning stage
/// holds longer than its critical twin, as in production, so the critical one is already in
/// Alertmanager when the warning arrives. Without production's SLOs: the synthetic backend
/// fails every request, so their burn-rate alerts would page beside HighErrorRate; those
/// alerts are tested both ways with promtool in tests/slo.rs.
fn test_profile(production: &Path) -> String {
    format!(
        r#"extends = "{}"
slo = []

[prometheus]
scrape_interval = "1s"
scrape_timeout = "1s"
evaluation_interval = "1s"

[prometheus.alerts]
target_down = {{ for = "2s" }}

[alertmanager]
replicas = 1
group_wait = "1s"
group_interval = "1s"

[alertmanager.receivers]
watchdog = {{ secret = "dead-mans-switch", key = "url" }}

[applications.alerts]
elevated_error_rate = {{ for = "4s" }}
high_error_rate = {{ for = "2s" }}
elevated_latency = {{ for = "4s" }}
high_latency = {{ for = "2s" }}

[kafka.alerts]
elevated_consumer_lag = {{ for = "4s" }}
high_consumer_lag = {{ for = "2s" }}

[kube_state_metrics.alerts]
pod_not_ready = {{ for = "2s" }}
"#,
        production.display()
    )
}

// ---------------------------------------------------------------------------------------------
// Loopback HTTP: synthetic targets and the notification sink

/// A loopback HTTP server answering every request with `respond(path, body, elapsed)`.
struct Server {
    port: u16,
}

type Responder = dyn Fn(&str, &str, f64) -> String + Send + Sync;

impl Server {
    fn start(respond: Arc<Responder>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let port = listener.local_addr().expect("bound address").port();
        let started = Instant::now();
        // The thread ends with the test process; it holds no file or child process.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let respond = respond.clone();
                std::thread::spawn(move || serve(stream, &*respond, started));
            }
        });
        Server { port }
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn serve(mut stream: TcpStream, respond: &Responder, started: Instant) {
    let Some((path, body)) = read_request(&mut stream) else {
        return;
    };
    let text = respond(&path, &body, started.elapsed().as_secs_f64());
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

/// The request's path and body (read up to its Content-Length).
fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data);
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                let path = head.split_whitespace().nth(1)?.to_string();
                let body = String::from_utf8_lossy(&data[end + 4..end + 4 + length]).into_owned();
                return Some((path, body));
            }
        }
    }
}

/// A synthetic exporter: `metrics(elapsed seconds)` is its exposition text.
fn exporter(metrics: fn(f64) -> String) -> Server {
    Server::start(Arc::new(move |_, _, t| metrics(t)))
}

/// Every notification posted to the sink: (path, JSON body).
type Received = Arc<Mutex<Vec<(String, Json)>>>;

fn sink() -> (Server, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let server = Server::start(Arc::new(move |path, body, _| {
        let json = serde_json::from_str(body).unwrap_or(Json::String(body.to_string()));
        store
            .lock()
            .expect("sink lock")
            .push((path.to_string(), json));
        "ok".into()
    }));
    (server, received)
}

/// GET `path` from a loopback server (HTTP/1.0: no chunked answer), the body as JSON.
fn get_json(port: u16, path: &str) -> Option<Json> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let (_, body) = text.split_once("\r\n\r\n")?;
    serde_json::from_str(body).ok()
}

/// Whether GET `path` answers 200.
fn http_ok(port: u16, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let mut text = String::new();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_ok()
        && stream.read_to_string(&mut text).is_ok()
        && text.starts_with("HTTP/1.0 200") | text.starts_with("HTTP/1.1 200")
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The seed's metrics, as the real exporters label them

const BACKEND: &str = "todo-chatbot-backend";
const FRONTEND: &str = "todo-chatbot-frontend";

/// An application's request counter and latency histogram: `errors` of its requests answer
/// 500, and every request takes `seconds` (the bucket it falls in and above count it).
fn application(t: f64, errors: f64, seconds: f64) -> String {
    let per_second = 100.0;
    let route = r#"method="GET",route="/api/tasks""#;
    let mut text = String::from("# TYPE http_requests_total counter\n");
    text += &format!(
        "http_requests_total{{{route},status=\"200\"}} {}\n",
        per_second * (1.0 - errors) * t
    );
    text += &format!(
        "http_requests_total{{{route},status=\"500\"}} {}\n",
        per_second * errors * t
    );
    text += "# TYPE http_request_duration_seconds histogram\n";
    for le in ["0.5", "1", "2.5", "5", "+Inf"] {
        let bound: f64 = le.parse().unwrap_or(f64::INFINITY);
        let count = if seconds <= bound {
            per_second * t
        } else {
            0.0
        };
        text += &format!("http_request_duration_seconds_bucket{{{route},le=\"{le}\"}} {count}\n");
    }
    text += &format!(
        "http_request_duration_seconds_sum{{{route}}} {}\nhttp_request_duration_seconds_count{{{route}}} {}\n",
        per_second * seconds * t,
        per_second * t
    );
    text
}

/// The backend: 10% errors (past HighErrorRate's 5%) and 4s responses (past HighLatency's 2s).
fn backend(t: f64) -> String {
    application(t, 0.10, 4.0)
}

/// The frontend: 3% errors (past ElevatedErrorRate's 2% only) and fast responses.
fn frontend(t: f64) -> String {
    application(t, 0.03, 0.2)
}

/// kube-state-metrics: the backend pod ready, a worker pod running but not ready, and
/// cluster-scoped series (a node, a persistent volume) that carry no namespace of their own.
fn kube_state_metrics(_: f64) -> String {
    let mut text = String::from("# TYPE kube_pod_status_ready gauge\n");
    for (pod, uid, ready) in [
        ("todo-chatbot-backend-7d9f-abcde", "u-1", true),
        ("todo-chatbot-worker-5c8b-fghij", "u-2", false),
    ] {
        for (condition, value) in [("true", ready), ("false", !ready), ("unknown", false)] {
            text += &format!(
                "kube_pod_status_ready{{namespace=\"default\",pod=\"{pod}\",uid=\"{uid}\",condition=\"{condition}\"}} {}\n",
                u8::from(value)
            );
        }
        for phase in ["Pending", "Running", "Succeeded", "Failed", "Unknown"] {
            text += &format!(
                "kube_pod_status_phase{{namespace=\"default\",pod=\"{pod}\",uid=\"{uid}\",phase=\"{phase}\"}} {}\n",
                u8::from(phase == "Running")
            );
        }
    }
    text += "# TYPE kube_node_info gauge\n";
    text += "kube_node_info{node=\"node-a\",kernel_version=\"6.1.0-28-amd64\",os_image=\"Debian GNU/Linux 12 (bookworm)\",container_runtime_version=\"containerd://1.7.24\",kubelet_version=\"v1.33.1\",kubeproxy_version=\"deprecated\",provider_id=\"digitalocean://123\",pod_cidr=\"10.244.0.0/25\",system_uuid=\"3f1c\",internal_ip=\"10.114.0.2\"} 1\n";
    text += "# TYPE kube_persistentvolume_info gauge\n";
    text += "kube_persistentvolume_info{persistentvolume=\"pvc-0a1b\",storageclass=\"do-block-storage\",gce_persistent_disk_name=\"\",ebs_volume_id=\"\",azure_disk_name=\"\",fc_wwids=\"\",fc_lun=\"\",fc_target_wwns=\"\",iscsi_target_portal=\"\",iscsi_iqn=\"\",iscsi_lun=\"\",iscsi_initiator_name=\"\",nfs_server=\"\",nfs_path=\"\",csi_driver=\"dobs.csi.digitalocean.com\",csi_volume_handle=\"5e6f\",local_path=\"\",local_fs=\"\",host_path=\"\",host_path_type=\"\"} 1\n";
    text
}

/// Strimzi's Kafka Exporter: `orders-consumer` 24000 messages behind on `orders` (past the
/// critical 10000), `audit` 5 behind.
fn kafka_exporter(_: f64) -> String {
    let mut text = String::from("# TYPE kafka_consumergroup_lag gauge\n");
    for (group, partition, lag) in [
        ("orders-consumer", "0", 12_000),
        ("orders-consumer", "1", 12_000),
        ("audit", "0", 5),
    ] {
        text += &format!(
            "kafka_consumergroup_lag{{consumergroup=\"{group}\",partition=\"{partition}\",topic=\"orders\"}} {lag}\n"
        );
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Targets: what Kubernetes discovery would have found

/// The `__meta_kubernetes_*` labels of a pod of this stack, as pod discovery sets them.
fn stack_pod(app: &str, pod: &str, port: &str) -> BTreeMap<String, String> {
    meta(&[
        ("namespace", "monitoring"),
        ("pod_name", pod),
        ("pod_phase", "Running"),
        ("pod_ip", "127.0.0.1"),
        ("pod_label_app_kubernetes_io_name", app),
        ("pod_label_app_kubernetes_io_instance", "todo-chatbot"),
        ("pod_container_port_name", port),
    ])
}

fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (format!("__meta_kubernetes_{k}"), v.to_string()))
        .collect()
}

/// An annotated application pod in `default`, listening on `port`.
fn application_pod(app: &str, port: u16) -> BTreeMap<String, String> {
    meta(&[
        ("namespace", "default"),
        ("pod_name", &format!("{app}-7d9f-abcde")),
        ("pod_phase", "Running"),
        ("pod_ip", "127.0.0.1"),
        ("pod_container_name", "app"),
        ("pod_label_app_kubernetes_io_name", app),
        ("pod_annotation_prometheus_io_scrape", "true"),
        ("pod_annotation_prometheus_io_port", &port.to_string()),
    ])
}

/// Strimzi's Kafka Exporter pod (kind Kafka, port `tcp-prometheus`).
fn kafka_exporter_pod() -> BTreeMap<String, String> {
    meta(&[
        ("namespace", "kafka"),
        ("pod_name", "events-kafka-exporter-6b7c-klmno"),
        ("pod_phase", "Running"),
        ("pod_ip", "127.0.0.1"),
        ("pod_label_strimzi_io_kind", "Kafka"),
        ("pod_label_strimzi_io_cluster", "events"),
        ("pod_container_port_name", "tcp-prometheus"),
    ])
}

/// A static target group: the address and the discovery labels.
fn target(address: String, labels: BTreeMap<String, String>) -> Value {
    let mut group = Mapping::new();
    group.insert("targets".into(), Value::Sequence(vec![address.into()]));
    let labels: Mapping = labels
        .into_iter()
        .map(|(k, v)| (Value::String(k), Value::String(v)))
        .collect();
    group.insert("labels".into(), Value::Mapping(labels));
    Value::Mapping(group)
}

/// prometheus.yml with discovery swapped for `targets` (by job; other jobs find nothing), the
/// Alertmanager at `alertmanager` and the rule files in `rules_dir`.
fn prometheus_config(
    rendered: &str,
    targets: &BTreeMap<&str, Vec<Value>>,
    alertmanager: &str,
    rules_dir: &Path,
) -> String {
    let mut config: Value = serde_yaml_ng::from_str(rendered).expect("prometheus.yml parses");
    let jobs = config["scrape_configs"]
        .as_sequence_mut()
        .expect("scrape_configs");
    for job in jobs.iter_mut() {
        let name = job["job_name"].as_str().unwrap_or_default().to_string();
        let map = job.as_mapping_mut().expect("a job is a mapping");
        assert!(
            map.remove("kubernetes_sd_configs").is_some(),
            "job {name} has no Kubernetes discovery to swap"
        );
        let groups = targets.get(name.as_str()).cloned().unwrap_or_default();
        map.insert("static_configs".into(), Value::Sequence(groups));
    }
    for name in targets.keys() {
        assert!(
            rendered.contains(&format!("job_name: '{name}'")),
            "the test models job {name}, which production does not render"
        );
    }
    let alerting = &mut config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"];
    *alerting = Value::Sequence(vec![alertmanager.into()]);
    config["rule_files"] =
        Value::Sequence(vec![rules_dir.join("*.yml").display().to_string().into()]);
    serde_yaml_ng::to_string(&config).expect("prometheus.yml serializes")
}

/// alertmanager.yml with notifications going to `sink`: each `*_file` names a file in `dir`.
fn alertmanager_config(rendered: &str, sink: &str, dir: &Path) -> String {
    let mut config: Value = serde_yaml_ng::from_str(rendered).expect("alertmanager.yml parses");
    let write = |name: &str, content: String| {
        let path = dir.join(name);
        std::fs::write(&path, content).expect("write a receiver file");
        Value::String(path.display().to_string())
    };
    for receiver in config["receivers"].as_sequence_mut().expect("receivers") {
        let name = receiver["name"].as_str().unwrap_or_default().to_string();
        let map = receiver.as_mapping_mut().expect("a receiver is a mapping");
        for (kind, configs) in map.iter_mut() {
            let kind = kind.as_str().unwrap_or_default().to_string();
            for c in configs.as_sequence_mut().into_iter().flatten() {
                let c = c.as_mapping_mut().expect("an integration is a mapping");
                match kind.as_str() {
                    "pagerduty_configs" => {
                        c.insert(
                            "routing_key_file".into(),
                            write(&format!("{name}-routing-key"), "test-routing-key".into()),
                        );
                        c.insert("url".into(), format!("http://{sink}/pagerduty").into());
                    }
                    "slack_configs" => {
                        c.insert(
                            "api_url_file".into(),
                            write(&format!("{name}-slack-url"), format!("http://{sink}/slack")),
                        );
                    }
                    "webhook_configs" => {
                        // Alertmanager 0.25 has no url_file (0.26 added it).
                        assert!(c.remove("url_file").is_some(), "{name}: webhook url_file");
                        c.insert("url".into(), format!("http://{sink}/{name}").into());
                    }
                    other => panic!("receiver {name}: the test does not redirect {other}"),
                }
            }
        }
    }
    serde_yaml_ng::to_string(&config).expect("alertmanager.yml serializes")
}

// ---------------------------------------------------------------------------------------------
// Processes

/// The started programs, each stopped by its pid when the test ends, passes or fails.
struct Processes {
    children: Vec<(&'static str, Child)>,
    dir: TempDir,
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Processes {
    fn start(&mut self, name: &'static str, program: &Path, args: &[String]) {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log")))
            .expect("create a log file");
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        self.children.push((name, child));
    }

    /// A program that has exited, with the end of its log.
    fn exited(&mut self) -> Option<String> {
        let (name, status) = self
            .children
            .iter_mut()
            .find_map(|(name, child)| child.try_wait().ok().flatten().map(|s| (*name, s)))?;
        Some(format!("{name} exited ({status}):\n{}", self.log(name)))
    }

    fn log(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.dir.path().join(format!("{name}.log")))
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

// ---------------------------------------------------------------------------------------------
// What arrived

/// One notification as a receiver got it: where, which alert, severity, and its alerts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Notification {
    path: String,
    alertname: String,
    /// PagerDuty's payload severity; Slack's colour; the webhook's severity label.
    severity: String,
    /// The firing alerts' distinguishing labels, as the payload shows them.
    firing: usize,
    text: String,
}

fn notification(path: &str, body: &Json) -> Notification {
    let text = body.to_string();
    match path {
        "/pagerduty" => {
            let summary = body["payload"]["summary"].as_str().unwrap_or_default();
            Notification {
                path: path.into(),
                alertname: alertname_of(summary),
                severity: body["payload"]["severity"]
                    .as_str()
                    .unwrap_or_default()
                    .into(),
                firing: firing_of(summary),
                text,
            }
        }
        "/slack" => {
            let attachment = &body["attachments"][0];
            let title = attachment["title"].as_str().unwrap_or_default();
            Notification {
                path: path.into(),
                alertname: alertname_of(title),
                severity: attachment["color"].as_str().unwrap_or_default().into(),
                firing: firing_of(title),
                text,
            }
        }
        _ => Notification {
            path: path.into(),
            alertname: body["groupLabels"]["alertname"]
                .as_str()
                .unwrap_or_default()
                .into(),
            severity: body["commonLabels"]["severity"]
                .as_str()
                .unwrap_or_default()
                .into(),
            firing: body["alerts"].as_array().map_or(0, |a| a.len()),
            text,
        },
    }
}

/// `[FIRING:2] HighErrorRate: ...` -> `HighErrorRate`.
fn alertname_of(title: &str) -> String {
    title
        .split_once("] ")
        .map(|(_, rest)| rest.split(':').next().unwrap_or(rest).trim().to_string())
        .unwrap_or_default()
}

/// `[FIRING:2] ...` -> 2.
fn firing_of(title: &str) -> usize {
    title
        .strip_prefix("[FIRING:")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Firing alerts in Prometheus: (alertname, the label that tells them apart).
fn firing_alerts(prometheus: u16) -> BTreeSet<(String, String)> {
    let Some(json) = get_json(prometheus, "/api/v1/alerts") else {
        return BTreeSet::new();
    };
    // The label that names what an alert is about; an alert without any (the Watchdog) is "".
    let key = |labels: &Json| {
        ["service", "pod", "consumergroup", "job"]
            .iter()
            .find_map(|k| labels[k].as_str())
            .unwrap_or_default()
            .to_string()
    };
    json["data"]["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["state"] == "firing")
        .map(|a| {
            let labels = &a["labels"];
            let name = labels["alertname"].as_str().unwrap_or_default();
            (name.to_string(), key(labels))
        })
        .collect()
}

/// The labels of every series of `query` in Prometheus.
fn series_labels(prometheus: u16, query: &str) -> Vec<BTreeMap<String, String>> {
    let path = format!("/api/v1/query?query={}", url_encode(query));
    let Some(json) = get_json(prometheus, &path) else {
        return Vec::new();
    };
    json["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| serde_json::from_value(r["metric"].clone()).ok())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The test

/// The alerts that must fire in Prometheus, and nothing else: (alertname, service, pod,
/// consumer group or job).
fn expected_firing() -> BTreeSet<(String, String)> {
    [
        ("Watchdog", ""),
        ("HighErrorRate", BACKEND),
        ("ElevatedErrorRate", BACKEND),
        ("ElevatedErrorRate", FRONTEND),
        ("HighLatency", BACKEND),
        ("ElevatedLatency", BACKEND),
        ("HighKafkaConsumerLag", "orders-consumer"),
        ("ElevatedKafkaConsumerLag", "orders-consumer"),
        ("PodNotReady", "todo-chatbot-worker-5c8b-fghij"),
        ("MonitoringTargetDown", "grafana"),
    ]
    .into_iter()
    .map(|(a, k)| (a.to_string(), k.to_string()))
    .collect()
}

/// The notifications that must arrive, once each: (receiver path, alertname, severity as the
/// receiver shows it). Warnings muted by their critical twin (ElevatedErrorRate and
/// ElevatedLatency of the backend, ElevatedKafkaConsumerLag) must not arrive.
fn expected_notifications() -> BTreeSet<(String, String, String)> {
    [
        ("/pagerduty", "HighErrorRate", "critical"),
        ("/pagerduty", "HighLatency", "critical"),
        ("/pagerduty", "HighKafkaConsumerLag", "critical"),
        ("/slack", "ElevatedErrorRate", "warning"),
        ("/slack", "PodNotReady", "warning"),
        ("/slack", "MonitoringTargetDown", "warning"),
        ("/watchdog", "Watchdog", "none"),
    ]
    .into_iter()
    .map(|(p, a, s)| (p.to_string(), a.to_string(), s.to_string()))
    .collect()
}

#[test]
fn alerts_reach_the_right_receiver_once_with_warnings_muted_by_their_critical_twin() {
    let (Some(prometheus_bin), Some(alertmanager_bin)) = (
        common::require_tool("prometheus"),
        common::require_tool("prometheus-alertmanager"),
    ) else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("e2e.toml");
    std::fs::write(
        &profile,
        test_profile(&root.join("profiles/production.toml")),
    )
    .expect("write the test profile");
    let c = common::compile(&profile);

    // The synthetic targets and the sink.
    let (sink, received) = sink();
    let backend = exporter(backend);
    let frontend = exporter(frontend);
    let ksm = exporter(kube_state_metrics);
    let kafka = exporter(kafka_exporter);
    let (prometheus_port, alertmanager_port) = (free_port(), free_port());
    // Nothing listens here: the Grafana pod is down.
    let grafana_down = free_port();

    let mut targets: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    targets.insert(
        "prometheus",
        vec![target(
            format!("127.0.0.1:{prometheus_port}"),
            stack_pod("prometheus", "prometheus-0", "http"),
        )],
    );
    targets.insert(
        "alertmanager",
        vec![target(
            format!("127.0.0.1:{alertmanager_port}"),
            stack_pod("alertmanager", "alertmanager-0", "http"),
        )],
    );
    targets.insert(
        "kube-state-metrics",
        vec![target(
            ksm.address(),
            stack_pod(
                "kube-state-metrics",
                "kube-state-metrics-6f5d-pqrst",
                "http-metrics",
            ),
        )],
    );
    targets.insert(
        "grafana",
        vec![target(
            format!("127.0.0.1:{grafana_down}"),
            stack_pod("grafana", "grafana-0", "http"),
        )],
    );
    targets.insert(
        "kubernetes-pods",
        vec![
            target(backend.address(), application_pod(BACKEND, backend.port)),
            target(frontend.address(), application_pod(FRONTEND, frontend.port)),
        ],
    );
    targets.insert("kafka", vec![target(kafka.address(), kafka_exporter_pod())]);

    // The rendered files, changed only as the module doc says.
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).expect("rules dir");
    for (name, text) in common::config_map(&c, "prometheus-rules") {
        std::fs::write(rules_dir.join(name), text).expect("write a rule file");
    }
    let prometheus_yml = common::config_map(&c, "prometheus-config")
        .remove("prometheus.yml")
        .expect("prometheus.yml");
    let alertmanager_yml = common::config_map(&c, "alertmanager-config")
        .remove("alertmanager.yml")
        .expect("alertmanager.yml");
    let prometheus_file = dir.path().join("prometheus.yml");
    std::fs::write(
        &prometheus_file,
        prometheus_config(
            &prometheus_yml,
            &targets,
            &format!("127.0.0.1:{alertmanager_port}"),
            &rules_dir,
        ),
    )
    .expect("write prometheus.yml");
    let alertmanager_file = dir.path().join("alertmanager.yml");
    std::fs::write(
        &alertmanager_file,
        alertmanager_config(&alertmanager_yml, &sink.address(), dir.path()),
    )
    .expect("write alertmanager.yml");

    let mut processes = Processes {
        children: Vec::new(),
        dir: tempfile::tempdir().expect("temp dir"),
    };
    let data = |name: &str| processes.dir.path().join(name).display().to_string();
    let (am_data, prom_data) = (data("alertmanager-data"), data("prometheus-data"));
    processes.start(
        "alertmanager",
        &alertmanager_bin,
        &[
            format!("--config.file={}", alertmanager_file.display()),
            format!("--storage.path={am_data}"),
            format!("--web.listen-address=127.0.0.1:{alertmanager_port}"),
            "--cluster.listen-address=".into(),
        ],
    );
    // Alerts sent to an Alertmanager that is not listening yet would wait for a resend.
    let ready = Instant::now();
    while !http_ok(alertmanager_port, "/-/ready") {
        if let Some(exit) = processes.exited() {
            panic!("{exit}");
        }
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "Alertmanager is not ready after 30s:\n{}",
            processes.log("alertmanager")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    processes.start(
        "prometheus",
        &prometheus_bin,
        &[
            format!("--config.file={}", prometheus_file.display()),
            format!("--storage.tsdb.path={prom_data}"),
            format!("--web.listen-address=127.0.0.1:{prometheus_port}"),
            // Prometheus finds the Alertmanager a few seconds after it starts; an alert that
            // fired before (the Watchdog) is sent again after this delay (default 1m).
            "--rules.alert.resend-delay=2s".into(),
        ],
    );

    let expected = expected_notifications();
    let started = Instant::now();
    let arrived = |received: &Received| -> Vec<Notification> {
        received
            .lock()
            .expect("sink lock")
            .iter()
            .map(|(path, body)| notification(path, body))
            .collect()
    };
    let kinds = |seen: &[Notification]| -> BTreeSet<(String, String, String)> {
        seen.iter()
            .map(|n| (n.path.clone(), n.alertname.clone(), n.severity.clone()))
            .collect()
    };
    loop {
        if let Some(exit) = processes.exited() {
            panic!("{exit}");
        }
        let seen = arrived(&received);
        if expected.is_subset(&kinds(&seen)) {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "after {DEADLINE:?} these notifications have not arrived: {:#?}\nreceived: {:#?}\nfiring in Prometheus: {:#?}\nprometheus log:\n{}\nalertmanager log:\n{}",
            expected.difference(&kinds(&seen)).collect::<Vec<_>>(),
            kinds(&seen),
            firing_alerts(prometheus_port),
            processes.log("prometheus"),
            processes.log("alertmanager"),
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let delivered_after = started.elapsed();
    // Anything muted or meant to stay silent would arrive within a few group intervals.
    std::thread::sleep(QUIET);

    let seen = arrived(&received);
    let unexpected: Vec<&Notification> = seen
        .iter()
        .filter(|n| !expected.contains(&(n.path.clone(), n.alertname.clone(), n.severity.clone())))
        .collect();
    assert!(
        unexpected.is_empty(),
        "notifications that must not arrive (a warning its critical twin should mute, or an alert meant to stay silent), as (receiver, alert, severity): {:?}\nfirst payload: {}",
        unexpected
            .iter()
            .map(|n| (&n.path, &n.alertname, &n.severity))
            .collect::<Vec<_>>(),
        unexpected[0].text
    );
    assert_eq!(
        firing_alerts(prometheus_port),
        expected_firing(),
        "alerts firing in Prometheus (alert, what it is about)"
    );
    // Grouping: one notification per (alertname, namespace) group and receiver, each holding
    // only its own alerts; the frontend's ElevatedErrorRate arrives alone (the backend's is
    // muted), and PagerDuty's page carries the summary and the runbook link.
    for n in &seen {
        let firing = if n.path == "/watchdog" { 1 } else { n.firing };
        assert_eq!(firing, 1, "one alert per group: {n:#?}");
    }
    let same: Vec<_> = seen
        .iter()
        .filter(|n| n.alertname != "Watchdog")
        .map(|n| (&n.path, &n.alertname))
        .collect();
    let unique: BTreeSet<_> = same.iter().collect();
    assert_eq!(
        same.len(),
        unique.len(),
        "a group was notified twice: {seen:#?}"
    );
    let slack_errors = seen
        .iter()
        .find(|n| n.path == "/slack" && n.alertname == "ElevatedErrorRate")
        .expect("the frontend's ElevatedErrorRate on Slack");
    assert!(
        slack_errors.text.contains(FRONTEND) && !slack_errors.text.contains(BACKEND),
        "{slack_errors:#?}"
    );
    let page = seen
        .iter()
        .find(|n| n.path == "/pagerduty" && n.alertname == "HighErrorRate")
        .expect("the backend's HighErrorRate page");
    assert!(
        page.text
            .contains("runbooks.todo-chatbot.example.com/alerts/HighErrorRate")
            && page.text.contains(BACKEND),
        "{page:#?}"
    );

    // honor_labels: kube-state-metrics' cluster-scoped series carry no namespace or pod of
    // the exporter's own pod; namespaced ones keep theirs.
    for query in ["kube_node_info", "kube_persistentvolume_info"] {
        let series = series_labels(prometheus_port, query);
        assert!(!series.is_empty(), "{query} was not scraped");
        for labels in &series {
            assert!(
                !labels.contains_key("namespace") && !labels.contains_key("pod"),
                "{query} got the exporter pod's labels: {labels:?}"
            );
        }
    }
    let ready = series_labels(prometheus_port, "kube_pod_status_ready");
    assert!(
        !ready.is_empty()
            && ready
                .iter()
                .all(|l| l.get("namespace").map(String::as_str) == Some("default")),
        "{ready:?}"
    );
    eprintln!("every expected notification arrived after {delivered_after:?}");
}
