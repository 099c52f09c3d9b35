//! The seed's four dashboards: Overview, Application Performance, Kafka and Infrastructure.
//!
//! Queries read the recording rules of `templates/prometheus/recording.yml.j2` where one
//! exists (cheap, and the same numbers the alerts see) and raw series otherwise, always
//! selecting the raw ones by scrape job. Every query filters on the dashboard's variables.
//! The seed's "database queries" have no metric in its tables: the panels show the Dapr state
//! store operations the sidecars report (`dapr_component_state_*`), the database traffic the
//! stack can see without changes to the application.

use super::{Colors, Dashboard, Kind, Panel, Target, Variable, job};

const STAT: (u32, u32) = (6, 4);
const WIDE: (u32, u32) = (12, 8);

fn target(expr: impl Into<String>, legend: impl Into<String>) -> Target {
    Target {
        expr: expr.into(),
        legend: legend.into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn panel(
    kind: Kind,
    (width, height): (u32, u32),
    title: &'static str,
    unit: &'static str,
    needs: &'static [&'static str],
    colors: Colors,
    description: &'static str,
    targets: Vec<Target>,
) -> Panel {
    Panel {
        title,
        description,
        kind,
        unit,
        width,
        height,
        targets,
        needs,
        colors,
        stacked: false,
    }
}

fn stacked(p: Panel) -> Panel {
    Panel { stacked: true, ..p }
}

fn variable(name: &'static str, label: &'static str, query: String) -> Variable {
    Variable { name, label, query }
}

/// Every dashboard, with the application's route and status-code labels.
pub fn all(route: &str, status: &str) -> Vec<Dashboard> {
    vec![
        overview(),
        application(route, status),
        kafka(),
        infrastructure(),
    ]
}

/// The application dashboards' variables: namespace, then the services in it.
fn service_variables() -> Vec<Variable> {
    let rule = "namespace_service:http_requests:rate5m";
    vec![
        variable(
            "namespace",
            "Namespace",
            format!("label_values({rule}, namespace)"),
        ),
        variable(
            "service",
            "Service",
            format!("label_values({rule}{{namespace=~\"$namespace\"}}, service)"),
        ),
    ]
}

const SERVICE: &str = "namespace=~\"$namespace\", service=~\"$service\"";

/// A raw series of the application pods, filtered by the variables.
fn app(metric: &str) -> String {
    format!("{metric}{{job=\"{}\", {SERVICE}}}", job::APP)
}

fn overview() -> Dashboard {
    let rate = format!("namespace_service:http_requests:rate5m{{{SERVICE}}}");
    let errors = format!("namespace_service:http_requests_errors:rate5m{{{SERVICE}}}");
    let buckets =
        format!("namespace_service_le:http_request_duration_seconds_bucket:rate5m{{{SERVICE}}}");
    let quantile = |q: &str| format!("histogram_quantile({q}, sum by (le) ({buckets}))");
    let apps: &[&str] = &[job::APP];
    Dashboard {
        slug: "overview",
        title: "Overview",
        description: "Requests, errors, latency and active users of the application's services.",
        variables: service_variables(),
        needs: apps,
        panels: vec![
            panel(
                Kind::Stat,
                STAT,
                "Requests per second",
                "reqps",
                apps,
                Colors::Palette,
                "HTTP requests per second of the selected services (recording rule namespace_service:http_requests:rate5m).",
                vec![target(format!("sum({rate})"), "requests/s")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Error ratio",
                "percentunit",
                apps,
                Colors::Thresholds(0.01, 0.05),
                "Share of requests answered with a 5xx status over the last 5 minutes; the HighErrorRate alert fires at 5% by default.",
                vec![target(
                    format!("(sum({errors}) or vector(0)) / sum({rate})"),
                    "errors",
                )],
            ),
            panel(
                Kind::Stat,
                STAT,
                "p95 latency",
                "s",
                apps,
                Colors::Thresholds(1.0, 2.0),
                "95th percentile of request duration across the selected services, from the request-duration histogram.",
                vec![target(quantile("0.95"), "p95")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Active users",
                "short",
                apps,
                Colors::Palette,
                "Sessions the services report as active now (user_sessions_active).",
                vec![target(
                    format!("sum({})", app("user_sessions_active")),
                    "sessions",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Request rate",
                "reqps",
                apps,
                Colors::Palette,
                "HTTP requests per second of each service.",
                vec![target(format!("sum by (service) ({rate})"), "{{service}}")],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Error rate",
                "percentunit",
                apps,
                Colors::Palette,
                "Share of each service's requests answered with a 5xx status (recording rule namespace_service:http_requests_errors:ratio_rate5m).",
                vec![target(
                    format!("namespace_service:http_requests_errors:ratio_rate5m{{{SERVICE}}}"),
                    "{{service}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Latency (p50 / p95 / p99)",
                "s",
                apps,
                Colors::Quantiles,
                "Median, 95th and 99th percentile of request duration across the selected services. Quantiles are interpolated inside the histogram's buckets.",
                vec![
                    target(quantile("0.5"), "p50"),
                    target(quantile("0.95"), "p95"),
                    target(quantile("0.99"), "p99"),
                ],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Active users",
                "short",
                apps,
                Colors::Palette,
                "Active sessions reported by each service (user_sessions_active).",
                vec![target(
                    format!("sum by (service) ({})", app("user_sessions_active")),
                    "{{service}}",
                )],
            ),
        ],
    }
}

fn application(route: &str, status: &str) -> Dashboard {
    let requests = format!("rate({}[$__rate_interval])", app("http_requests_total"));
    let by_route_latency = format!(
        "histogram_quantile(0.95, sum by (le, {route}) (rate({}[$__rate_interval])))",
        app("http_request_duration_seconds_bucket")
    );
    let per_second = |metric: &str| format!("sum(rate({}[$__rate_interval]))", app(metric));
    let dapr = format!("job=\"{}\", namespace=~\"$namespace\"", job::DAPR);
    let apps: &[&str] = &[job::APP];
    let dapr_sidecars: &[&str] = &[job::APP, job::DAPR];
    Dashboard {
        slug: "application",
        title: "Application Performance",
        description: "How requests spread over routes and status codes, throughput, and database traffic.",
        variables: service_variables(),
        needs: apps,
        panels: vec![
            stacked(panel(
                Kind::Timeseries,
                WIDE,
                "Requests by route",
                "reqps",
                apps,
                Colors::Palette,
                "Requests per second of each route of the selected services (http_requests_total).",
                vec![target(
                    format!("sum by ({route}) ({requests})"),
                    format!("{{{{{route}}}}}"),
                )],
            )),
            stacked(panel(
                Kind::Timeseries,
                WIDE,
                "Requests by status",
                "reqps",
                apps,
                Colors::StatusClasses,
                "Requests per second by response status: 2xx green, 3xx blue, 4xx orange, 5xx red.",
                vec![target(
                    format!("sum by ({status}) ({requests})"),
                    format!("{{{{{status}}}}}"),
                )],
            )),
            panel(
                Kind::Timeseries,
                WIDE,
                "Throughput by service",
                "reqps",
                apps,
                Colors::Palette,
                "Requests per second each service handles (recording rule namespace_service:http_requests:rate5m).",
                vec![target(
                    format!(
                        "sum by (service) (namespace_service:http_requests:rate5m{{{SERVICE}}})"
                    ),
                    "{{service}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Tasks and chat messages",
                "ops",
                apps,
                Colors::Palette,
                "Business throughput: tasks created and completed, chat messages, per second.",
                vec![
                    target(per_second("todo_tasks_created_total"), "tasks created"),
                    target(per_second("todo_tasks_completed_total"), "tasks completed"),
                    target(per_second("chat_messages_total"), "chat messages"),
                ],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "p95 latency by service",
                "s",
                apps,
                Colors::Palette,
                "95th percentile of each service's request duration (recording rule namespace_service:http_request_duration_seconds:p95_5m); the HighLatency alert watches it.",
                vec![target(
                    format!("namespace_service:http_request_duration_seconds:p95_5m{{{SERVICE}}}"),
                    "{{service}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "p95 latency by route",
                "s",
                apps,
                Colors::Palette,
                "95th percentile of request duration per route, to find the slow ones.",
                vec![target(by_route_latency, format!("{{{{{route}}}}}"))],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Database queries (Dapr state store)",
                "ops",
                dapr_sidecars,
                Colors::Palette,
                "State store operations per second through the Dapr sidecars, by app, component and operation (dapr_component_state_count). Queries the application sends to a database directly are not visible here.",
                vec![target(
                    format!(
                        "sum by (app_id, component, operation) (rate(dapr_component_state_count{{{dapr}}}[$__rate_interval]))"
                    ),
                    "{{app_id}} {{component}} {{operation}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Database query latency p95 (Dapr state store)",
                "ms",
                dapr_sidecars,
                Colors::Palette,
                "95th percentile of state store operation latency through the Dapr sidecars (dapr_component_state_latencies).",
                vec![target(
                    format!(
                        "histogram_quantile(0.95, sum by (le, app_id, component) (rate(dapr_component_state_latencies_bucket{{{dapr}}}[$__rate_interval])))"
                    ),
                    "{{app_id}} {{component}}",
                )],
            ),
        ],
    }
}

fn kafka() -> Dashboard {
    const K: &str = "namespace=~\"$namespace\", strimzi_cluster=~\"$cluster\"";
    let rule = |name: &str| format!("namespace_strimzi_cluster:kafka_server_{name}{{{K}}}");
    let messages = rule("brokertopicmetrics_messagesin:rate5m");
    let by_topic = format!(
        "namespace_strimzi_cluster_topic:kafka_server_brokertopicmetrics_messagesin:rate5m{{{K}}}"
    );
    let under = rule("replicamanager_underreplicatedpartitions:sum");
    let offline = format!(
        "kafka_controller_kafkacontroller_offlinepartitionscount{{job=\"{}\", {K}}}",
        job::KAFKA
    );
    let produce = rule("brokertopicmetrics_totalproducerequests:rate5m");
    let fetch = rule("brokertopicmetrics_totalfetchrequests:rate5m");
    let messages_rule =
        "namespace_strimzi_cluster:kafka_server_brokertopicmetrics_messagesin:rate5m";
    let kafka: &[&str] = &[job::KAFKA];
    Dashboard {
        slug: "kafka",
        title: "Kafka",
        description: "Message and request rates and partition health of the Strimzi Kafka clusters.",
        variables: vec![
            variable(
                "namespace",
                "Namespace",
                format!("label_values({messages_rule}, namespace)"),
            ),
            variable(
                "cluster",
                "Cluster",
                format!(
                    "label_values({messages_rule}{{namespace=~\"$namespace\"}}, strimzi_cluster)"
                ),
            ),
        ],
        needs: kafka,
        panels: vec![
            panel(
                Kind::Stat,
                STAT,
                "Messages in per second",
                "cps",
                kafka,
                Colors::Palette,
                "Messages written per second to the selected clusters (MessagesInPerSec of every broker).",
                vec![target(format!("sum({messages})"), "messages/s")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Under-replicated partitions",
                "short",
                kafka,
                Colors::Thresholds(1.0, 5.0),
                "Partitions with fewer in-sync replicas than configured; above 0 a broker is behind or down.",
                vec![target(format!("sum({under})"), "partitions")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Offline partitions",
                "short",
                kafka,
                Colors::Thresholds(1.0, 1.0),
                "Partitions without a leader, reported by the active controller; any is an outage (KafkaOfflinePartitions alert).",
                vec![target(format!("sum({offline})"), "partitions")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Requests per second",
                "reqps",
                kafka,
                Colors::Palette,
                "Produce and fetch requests per second the brokers serve.",
                vec![target(
                    format!("sum({produce}) + sum({fetch})"),
                    "requests/s",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Message rate by topic",
                "cps",
                kafka,
                Colors::Palette,
                "Messages written per second to each topic.",
                vec![target(format!("sum by (topic) ({by_topic})"), "{{topic}}")],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Request rate",
                "reqps",
                kafka,
                Colors::Palette,
                "Produce and fetch requests per second of each cluster.",
                vec![
                    target(
                        format!("sum by (strimzi_cluster) ({produce})"),
                        "{{strimzi_cluster}} produce",
                    ),
                    target(
                        format!("sum by (strimzi_cluster) ({fetch})"),
                        "{{strimzi_cluster}} fetch",
                    ),
                ],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Under-replicated partitions",
                "short",
                kafka,
                Colors::Palette,
                "Under-replicated partitions of each cluster over time.",
                vec![target(
                    format!("sum by (strimzi_cluster) ({under})"),
                    "{{strimzi_cluster}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Offline partitions",
                "short",
                kafka,
                Colors::Palette,
                "Partitions without a leader in each cluster over time.",
                vec![target(
                    format!("sum by (strimzi_cluster) ({offline})"),
                    "{{strimzi_cluster}}",
                )],
            ),
        ],
    }
}

fn infrastructure() -> Dashboard {
    const N: &str = "namespace=~\"$namespace\"";
    const P: &str = "namespace=~\"$namespace\", pod=~\"$pod\"";
    let ksm =
        |metric: &str, extra: &str| format!("{metric}{{job=\"{}\", {extra}{N}}}", job::KUBE_STATE);
    let network = |metric: &str| {
        format!(
            "sum by (pod) (rate({metric}{{job=\"{}\", {P}}}[$__rate_interval]))",
            job::CADVISOR
        )
    };
    let cpu_rule = "namespace:container_cpu_usage_seconds:rate5m";
    let cadvisor: &[&str] = &[job::CADVISOR];
    let ksm_jobs: &[&str] = &[job::CADVISOR, job::KUBE_STATE];
    Dashboard {
        slug: "infrastructure",
        title: "Infrastructure",
        description: "CPU, memory, network and pod status of the cluster's workloads.",
        variables: vec![
            variable(
                "namespace",
                "Namespace",
                format!("label_values({cpu_rule}, namespace)"),
            ),
            variable(
                "pod",
                "Pod",
                format!(
                    "label_values(namespace_pod_container:container_cpu_usage_seconds:rate5m{{{N}}}, pod)"
                ),
            ),
        ],
        needs: cadvisor,
        panels: vec![
            panel(
                Kind::Stat,
                STAT,
                "CPU used (cores)",
                "short",
                cadvisor,
                Colors::Palette,
                "CPU cores the containers of the selected namespaces use (cAdvisor, recording rule namespace:container_cpu_usage_seconds:rate5m).",
                vec![target(format!("sum({cpu_rule}{{{N}}})"), "cores")],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Memory used",
                "bytes",
                cadvisor,
                Colors::Palette,
                "Working-set memory of the containers of the selected namespaces (recording rule namespace:container_memory_working_set_bytes:sum).",
                vec![target(
                    format!("sum(namespace:container_memory_working_set_bytes:sum{{{N}}})"),
                    "memory",
                )],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Pods running",
                "short",
                ksm_jobs,
                Colors::Palette,
                "Pods in phase Running (kube-state-metrics kube_pod_status_phase).",
                vec![target(
                    format!(
                        "sum({})",
                        ksm("kube_pod_status_phase", "phase=\"Running\", ")
                    ),
                    "pods",
                )],
            ),
            panel(
                Kind::Stat,
                STAT,
                "Pods not ready",
                "short",
                ksm_jobs,
                Colors::Thresholds(1.0, 3.0),
                "Pods whose Ready condition is false (kube_pod_status_ready); the PodNotReady alert fires when one stays so.",
                vec![target(
                    format!(
                        "sum({}) or vector(0)",
                        ksm("kube_pod_status_ready", "condition=\"false\", ")
                    ),
                    "pods",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "CPU by pod",
                "short",
                cadvisor,
                Colors::Palette,
                "CPU cores each selected pod uses (recording rule namespace_pod_container:container_cpu_usage_seconds:rate5m).",
                vec![target(
                    format!(
                        "sum by (pod) (namespace_pod_container:container_cpu_usage_seconds:rate5m{{{P}}})"
                    ),
                    "{{pod}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Memory by pod",
                "bytes",
                cadvisor,
                Colors::Palette,
                "Working-set memory of each selected pod (recording rule namespace_pod_container:container_memory_working_set_bytes:max).",
                vec![target(
                    format!(
                        "sum by (pod) (namespace_pod_container:container_memory_working_set_bytes:max{{{P}}})"
                    ),
                    "{{pod}}",
                )],
            ),
            stacked(panel(
                Kind::Timeseries,
                WIDE,
                "Pods by phase",
                "short",
                ksm_jobs,
                Colors::Palette,
                "Pods of the selected namespaces in each phase (Pending, Running, Succeeded, Failed, Unknown).",
                vec![target(
                    format!("sum by (phase) ({})", ksm("kube_pod_status_phase", "")),
                    "{{phase}}",
                )],
            )),
            panel(
                Kind::Timeseries,
                WIDE,
                "Deployment replicas",
                "short",
                ksm_jobs,
                Colors::Palette,
                "Ready replicas of each deployment against the replicas it asks for (kube_deployment_status_replicas_ready, kube_deployment_spec_replicas).",
                vec![
                    target(
                        format!(
                            "sum by (deployment) ({})",
                            ksm("kube_deployment_status_replicas_ready", "")
                        ),
                        "{{deployment}} ready",
                    ),
                    target(
                        format!(
                            "sum by (deployment) ({})",
                            ksm("kube_deployment_spec_replicas", "")
                        ),
                        "{{deployment}} desired",
                    ),
                ],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Network received",
                "Bps",
                cadvisor,
                Colors::Palette,
                "Bytes per second each selected pod receives (container_network_receive_bytes_total).",
                vec![target(
                    network("container_network_receive_bytes_total"),
                    "{{pod}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Network transmitted",
                "Bps",
                cadvisor,
                Colors::Palette,
                "Bytes per second each selected pod sends (container_network_transmit_bytes_total).",
                vec![target(
                    network("container_network_transmit_bytes_total"),
                    "{{pod}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "CPU by namespace",
                "short",
                cadvisor,
                Colors::Palette,
                "CPU cores used per namespace.",
                vec![target(
                    format!("sum by (namespace) ({cpu_rule}{{{N}}})"),
                    "{{namespace}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Memory by namespace",
                "bytes",
                cadvisor,
                Colors::Palette,
                "Working-set memory per namespace.",
                vec![target(
                    format!(
                        "sum by (namespace) (namespace:container_memory_working_set_bytes:sum{{{N}}})"
                    ),
                    "{{namespace}}",
                )],
            ),
        ],
    }
}
