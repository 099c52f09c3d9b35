//! Kafka: the Strimzi-managed clusters the applications publish to. Renders no pods: it
//! contributes the scrape job of the brokers' JMX exporter (and Strimzi's Kafka Exporter), the
//! Kafka recording rules, the KafkaOfflinePartitions alert, the consumer-lag alert in two stages
//! and the Kafka dashboard.
//!
//! Files: `mod.rs` settings, job and rules, `dashboard.rs` the dashboard.

mod dashboard;

use serde::Deserialize;

use super::{Component, Context};
use crate::contrib::rules::{AlertText, RuleGroup, Severity, alert_group, record};
use crate::contrib::scrape::{ScrapeJob, copy, keep, namespace_and_pod};
use crate::contrib::{Contributions, Rule};
use crate::k8s::Object;
use crate::model::alerts::{AlertDefaults, ConditionAlert, CountAlert, duration, stages_inverted};
use crate::model::{DnsLabel, Duration, Problem, Stack};

/// The scrape job of the Strimzi pods (`kafka_*`).
pub const JOB: &str = "kafka";

/// As named by Strimzi's example JMX exporter rules (kafka-metrics.yaml).
const METRICS: &[&str] = &[
    "kafka_server_brokertopicmetrics_messagesin_total",
    "kafka_server_brokertopicmetrics_totalproducerequests_total",
    "kafka_server_brokertopicmetrics_totalfetchrequests_total",
    "kafka_server_replicamanager_underreplicatedpartitions",
    "kafka_controller_kafkacontroller_offlinepartitionscount",
    "kafka_controller_kafkacontroller_activecontrollercount",
    // Strimzi's Kafka Exporter (its pod is of kind Kafka, port tcp-prometheus too).
    "kafka_consumergroup_lag",
];

/// `[kafka]`: the Strimzi Kafka clusters.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Kafka {
    /// Scrape Strimzi-managed Kafka pods (port `tcp-prometheus`; needs `metricsConfig` on the
    /// Kafka resource), with their rules, alert and dashboard.
    pub enabled: bool,
    /// Namespaces the Strimzi Kafka clusters run in.
    pub namespaces: Vec<DnsLabel>,
    pub alerts: Alerts,
}

/// `[kafka.alerts]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Critical: a Kafka cluster has partitions without a leader (default for 1m).
    pub offline_partitions: ConditionAlert<OfflinePartitions>,
    /// Warning: a consumer group is more than `above` messages behind on a topic (default
    /// 1000 for 10m; needs the Kafka Exporter); muted while HighKafkaConsumerLag fires for
    /// the same group and topic. Must be below high_consumer_lag's.
    pub elevated_consumer_lag: CountAlert<ElevatedConsumerLag>,
    /// Critical: a consumer group is more than `above` messages behind on a topic (default
    /// 10000 for 10m).
    pub high_consumer_lag: CountAlert<HighConsumerLag>,
}

#[derive(Debug, Clone)]
pub struct ElevatedConsumerLag;
impl AlertDefaults for ElevatedConsumerLag {
    fn for_duration() -> Duration {
        duration("10m")
    }
    fn above() -> u64 {
        1000
    }
}

#[derive(Debug, Clone)]
pub struct HighConsumerLag;
impl AlertDefaults for HighConsumerLag {
    fn for_duration() -> Duration {
        duration("10m")
    }
    fn above() -> u64 {
        10_000
    }
}

#[derive(Debug, Clone)]
pub struct OfflinePartitions;
impl AlertDefaults for OfflinePartitions {
    fn for_duration() -> Duration {
        duration("1m")
    }
}

impl Default for Kafka {
    fn default() -> Self {
        Kafka {
            enabled: true,
            namespaces: vec![DnsLabel::parse("kafka").expect("invariant: valid default")],
            alerts: Alerts::default(),
        }
    }
}

impl Component for Kafka {
    const NAME: &'static str = "kafka";
    const FILE: &'static str = "kafka";

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn check(&self, _stack: &Stack) -> Vec<Problem> {
        let (warning, critical) = (
            self.alerts.elevated_consumer_lag.above,
            self.alerts.high_consumer_lag.above,
        );
        stages_inverted(
            "kafka.alerts.elevated_consumer_lag.above",
            ("ElevatedKafkaConsumerLag", warning.to_string()),
            ("HighKafkaConsumerLag", critical.to_string()),
            warning < critical,
            "1000 and 10000",
        )
        .into_iter()
        .collect()
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        let alerts = alert_group(
            "kafka.alerts",
            [
                self.offline_partitions(stack),
                self.consumer_lag(stack, Severity::Warning),
                self.consumer_lag(stack, Severity::Critical),
            ],
        );
        let rule_groups = [recording()].into_iter().chain(alerts).collect();
        Contributions {
            scrape_jobs: vec![self.job()],
            rule_groups,
            dashboards: vec![dashboard::kafka()],
            ..Contributions::default()
        }
    }

    fn build(&self, _cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        Ok(Vec::new())
    }
}

impl Kafka {
    fn job(&self) -> ScrapeJob {
        let namespaces = self.namespaces.iter().map(|n| n.to_string()).collect();
        let mut job = ScrapeJob::pods(
            JOB,
            "Strimzi Kafka brokers, Connect and MirrorMaker 2 (JMX exporter, port tcp-prometheus).",
            namespaces,
        );
        job.relabel_configs = vec![
            keep(
                &["__meta_kubernetes_pod_label_strimzi_io_kind"],
                "Kafka|KafkaConnect|KafkaMirrorMaker2",
            ),
            keep(
                &["__meta_kubernetes_pod_container_port_name"],
                "tcp-prometheus",
            ),
            copy(
                "__meta_kubernetes_pod_label_strimzi_io_cluster",
                "strimzi_cluster",
            ),
            copy(
                "__meta_kubernetes_pod_label_strimzi_io_kind",
                "strimzi_kind",
            ),
        ];
        job.relabel_configs.extend(namespace_and_pod());
        job.with_metrics(METRICS)
    }

    fn offline_partitions(&self, stack: &Stack) -> Option<Rule> {
        let a = &self.alerts.offline_partitions;
        a.enabled.then(|| {
            AlertText {
                name: "KafkaOfflinePartitions",
                comment: "Partitions without a leader in any Strimzi cluster; only the active controller reports\nthem, so the sum per cluster is the cluster's count.",
                severity: Severity::Critical,
                summary: "Kafka cluster {{ $labels.namespace }}/{{ $labels.strimzi_cluster }} has offline partitions",
                description: "{{ $value }} partition(s) of Kafka cluster {{ $labels.namespace }}/{{ $labels.strimzi_cluster }} have no leader: producing to and consuming from them fails.".into(),
            }
            .rule(
                stack,
                format!("sum by (namespace, strimzi_cluster) (\n  kafka_controller_kafkacontroller_offlinepartitionscount{{job=\"{JOB}\"}}\n) > 0"),
                &a.for_duration,
            )
        })
    }
}

/// The stages of a consumer group falling behind on a topic.
const CONSUMER_LAG: &str = "KafkaConsumerLag";

impl Kafka {
    /// One stage of the consumer-lag alert: messages not yet consumed, summed over a topic's
    /// partitions, per cluster, consumer group and topic.
    fn consumer_lag(&self, stack: &Stack, severity: Severity) -> Option<Rule> {
        let (high, elevated) = (
            &self.alerts.high_consumer_lag,
            &self.alerts.elevated_consumer_lag,
        );
        let ((enabled, above, for_duration), name, adjective) = match severity {
            Severity::Critical => (
                (high.enabled, high.above, &high.for_duration),
                "HighKafkaConsumerLag",
                "far",
            ),
            _ => (
                (elevated.enabled, elevated.above, &elevated.for_duration),
                "ElevatedKafkaConsumerLag",
                "falling",
            ),
        };
        enabled.then(|| {
            AlertText {
                name,
                comment: "Messages of a topic a consumer group has not consumed yet (Strimzi's Kafka Exporter),\nsummed over the topic's partitions.",
                severity,
                summary: &format!("Consumer group {{{{ $labels.consumergroup }}}} is {adjective} behind on {{{{ $labels.topic }}}}"),
                description: format!(
                    "Consumer group {{{{ $labels.consumergroup }}}} of Kafka cluster {{{{ $labels.namespace }}}}/{{{{ $labels.strimzi_cluster }}}} is {{{{ $value }}}} messages behind on topic {{{{ $labels.topic }}}} (threshold {}): its consumers are slow, stuck or gone.",
                    above
                ),
            }
            .rule(
                stack,
                format!("sum by (namespace, strimzi_cluster, consumergroup, topic) (\n  kafka_consumergroup_lag{{job=\"{JOB}\"}}\n) > {above}"),
                for_duration,
            )
            .stage_of(CONSUMER_LAG)
        })
    }
}

/// Each broker reports a total without a `topic` label and one series per topic with it; the
/// selectors pick one kind so nothing is counted twice.
fn recording() -> RuleGroup {
    let rate = |by: &str, metric: &str, topic: &str| {
        format!("sum by ({by}) (\n  rate({metric}{{job=\"{JOB}\", topic{topic}\"\"}}[5m])\n)")
    };
    RuleGroup::new(
        "kafka.rules",
        Some(
            "Kafka, as named by Strimzi's example JMX exporter rules (kafka-metrics.yaml): the broker\nMBean kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec becomes the counter\nkafka_server_brokertopicmetrics_messagesin_total (the seed's\nkafka_server_broker_topic_messages_in_per_sec is not a name those rules produce). Each\nbroker reports a total without a `topic` label and one series per topic with it; the\nselectors pick one kind so nothing is counted twice.",
        ),
        vec![
            record(
                "namespace_strimzi_cluster:kafka_server_brokertopicmetrics_messagesin:rate5m",
                "Messages written per second to each Kafka cluster.",
                rate(
                    "namespace, strimzi_cluster",
                    "kafka_server_brokertopicmetrics_messagesin_total",
                    "=",
                ),
            ),
            record(
                "namespace_strimzi_cluster_topic:kafka_server_brokertopicmetrics_messagesin:rate5m",
                "...and to each topic.",
                rate(
                    "namespace, strimzi_cluster, topic",
                    "kafka_server_brokertopicmetrics_messagesin_total",
                    "!=",
                ),
            ),
            record(
                "namespace_strimzi_cluster:kafka_server_brokertopicmetrics_totalproducerequests:rate5m",
                "Produce and fetch requests per second (the seed's \"requests per second\").",
                rate(
                    "namespace, strimzi_cluster",
                    "kafka_server_brokertopicmetrics_totalproducerequests_total",
                    "=",
                ),
            ),
            record(
                "namespace_strimzi_cluster:kafka_server_brokertopicmetrics_totalfetchrequests:rate5m",
                "",
                rate(
                    "namespace, strimzi_cluster",
                    "kafka_server_brokertopicmetrics_totalfetchrequests_total",
                    "=",
                ),
            ),
            record(
                "namespace_strimzi_cluster:kafka_server_replicamanager_underreplicatedpartitions:sum",
                "Under-replicated partitions of each cluster (every broker counts those it leads).",
                format!(
                    "sum by (namespace, strimzi_cluster) (\n  kafka_server_replicamanager_underreplicatedpartitions{{job=\"{JOB}\"}}\n)"
                ),
            ),
        ],
    )
}
