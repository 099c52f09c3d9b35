//! Kafka: message rate, under-replicated and offline partitions, produce and fetch request
//! rates of the Strimzi clusters.

use super::JOB;
use crate::contrib::dashboards::{Colors, Dashboard, Kind, STAT, WIDE, panel, target, variable};

pub fn kafka() -> Dashboard {
    const K: &str = "namespace=~\"$namespace\", strimzi_cluster=~\"$cluster\"";
    let rule = |name: &str| format!("namespace_strimzi_cluster:kafka_server_{name}{{{K}}}");
    let messages = rule("brokertopicmetrics_messagesin:rate5m");
    let by_topic = format!(
        "namespace_strimzi_cluster_topic:kafka_server_brokertopicmetrics_messagesin:rate5m{{{K}}}"
    );
    let under = rule("replicamanager_underreplicatedpartitions:sum");
    let offline = format!(
        "kafka_controller_kafkacontroller_offlinepartitionscount{{job=\"{}\", {K}}}",
        JOB
    );
    let produce = rule("brokertopicmetrics_totalproducerequests:rate5m");
    let fetch = rule("brokertopicmetrics_totalfetchrequests:rate5m");
    let messages_rule =
        "namespace_strimzi_cluster:kafka_server_brokertopicmetrics_messagesin:rate5m";
    let kafka: &[&str] = &[JOB];
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
