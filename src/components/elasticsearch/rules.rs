//! Elasticsearch alerts from the exporter: a red cluster (a primary shard unassigned) and a
//! data volume nearly full (Elasticsearch stops allocating at its high watermark, 90% used,
//! and makes indices read-only at 95%, after which Jaeger's writes fail).

use super::{Alerts, JOB};
use crate::contrib::Rule;
use crate::contrib::rules::{AlertText, RuleGroup, Severity, alert_group, percent};
use crate::model::Stack;

pub fn groups(a: &Alerts, stack: &Stack) -> Vec<RuleGroup> {
    let mut rules: Vec<Rule> = Vec::new();
    if a.cluster_red.enabled {
        rules.push(
            AlertText {
                name: "ElasticsearchClusterRed",
                comment: "",
                severity: Severity::Critical,
                summary: "Elasticsearch cluster {{ $labels.cluster }} is red",
                description: "A primary shard of the span store {{ $labels.cluster }} is unassigned: Jaeger cannot write or read the spans of that index. Check `GET _cluster/allocation/explain` in pod {{ $labels.pod }}.".into(),
            }
            .rule(
                stack,
                format!(
                    "max by (namespace, pod, cluster) (elasticsearch_cluster_health_status{{job=\"{JOB}\", color=\"red\"}}) == 1"
                ),
                &a.cluster_red.for_duration,
            ),
        );
    }
    if a.disk_almost_full.enabled {
        let r = a.disk_almost_full.ratio;
        rules.push(
            AlertText {
                name: "ElasticsearchDiskAlmostFull",
                comment: "",
                severity: Severity::Critical,
                summary: "Elasticsearch {{ $labels.pod }} has {{ $value | humanizePercentage }} of its data volume free",
                description: format!(
                    "The data volume of {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} has less than {} free: at 5% Elasticsearch makes indices read-only and spans are dropped. Shorten jaeger.retention or grow elasticsearch.storage.",
                    percent(r)
                ),
            }
            .rule(
                stack,
                format!(
                    "min by (namespace, pod) (elasticsearch_filesystem_data_available_bytes{{job=\"{JOB}\"}} / elasticsearch_filesystem_data_size_bytes{{job=\"{JOB}\"}}) < {r}"
                ),
                &a.disk_almost_full.for_duration,
            ),
        );
    }
    alert_group("elasticsearch.alerts", rules.into_iter().map(Some))
        .into_iter()
        .collect()
}
