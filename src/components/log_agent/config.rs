//! config.alloy: the log pipeline as typed blocks, printed by `alloy.rs`. Component and
//! argument names are from grafana/alloy docs/sources/reference/components at v1.18.1
//! (discovery.kubernetes, discovery.relabel, loki.source.file with `file_match`,
//! local.file_match, loki.process stages cri/docker/json/labels/drop/match/sampling,
//! loki.write).

use super::LogAgent;
use super::alloy::{Block, Value, file, str};

/// Where the kubelet writes pod logs: `<namespace>_<pod>_<uid>/<container>/<n>.log`.
pub const POD_LOGS: &str = "/var/log/pods";
pub const DOCKER_LOGS: &str = "/var/lib/docker/containers";

/// Pod metadata → stream labels. The seed's LogQL examples select on these.
pub const POD_LABELS: &[(&str, &str)] = &[
    ("__meta_kubernetes_namespace", "namespace"),
    ("__meta_kubernetes_pod_name", "pod"),
    ("__meta_kubernetes_pod_container_name", "container"),
    (
        "__meta_kubernetes_pod_label_app_kubernetes_io_name",
        "app_kubernetes_io_name",
    ),
    ("__meta_kubernetes_pod_node_name", "node"),
];

fn rule(source: &str, target: &str) -> Block {
    Block::new("rule", None)
        .attr("source_labels", Value::List(vec![str(source)]))
        .attr("target_label", str(target))
}

/// Only this node's pods: every agent tails its own node, never the whole cluster.
fn discovery() -> Block {
    Block::new("discovery.kubernetes", Some("pods"))
        .attr("role", str("pod"))
        .block(Block::new("selectors", None).attr("role", str("pod")).attr(
            "field",
            Value::Expr(r#""spec.nodeName=" + sys.env("HOSTNAME")"#),
        ))
}

fn relabel() -> Block {
    let mut b = Block::new("discovery.relabel", Some("pods"))
        .attr("targets", Value::Expr("discovery.kubernetes.pods.targets"));
    for (source, target) in POD_LABELS {
        b = b.block(rule(source, target));
    }
    b.block(
        Block::new("rule", None)
            .attr(
                "source_labels",
                Value::List(vec![
                    str("__meta_kubernetes_pod_uid"),
                    str("__meta_kubernetes_pod_container_name"),
                ]),
            )
            .attr("separator", str("/"))
            .attr("replacement", str(format!("{POD_LOGS}/*$1/*.log")))
            .attr("target_label", str("__path__")),
    )
}

fn source(label: &str, targets: Value, process: &str) -> Block {
    Block::new("loki.source.file", Some(label))
        .attr("targets", targets)
        .block(Block::new("file_match", None).attr("enabled", Value::Bool(true)))
        .attr(
            "forward_to",
            Value::List(vec![Value::Reference(format!(
                "loki.process.{process}.receiver"
            ))]),
        )
}

impl LogAgent {
    /// The stages after the format stage: JSON fields to labels, then drops and sampling.
    fn stages(&self, mut b: Block) -> Block {
        if !self.json_labels.is_empty() {
            let fields: Vec<(String, Value)> = self
                .json_labels
                .iter()
                .map(|l| (l.clone(), str(l.clone())))
                .collect();
            b = b.block(Block::new("stage.json", None).attr("expressions", Value::Object(fields)));
            b = b.block(
                Block::new("stage.labels", None).attr(
                    "values",
                    Value::Object(
                        self.json_labels
                            .iter()
                            .map(|l| (l.clone(), str("")))
                            .collect(),
                    ),
                ),
            );
        }
        for level in &self.drop_levels {
            if !self.json_labels.iter().any(|l| l == "level") {
                b = b.block(Block::new("stage.json", None).attr(
                    "expressions",
                    Value::Object(vec![("level".into(), str("level"))]),
                ));
            }
            b = b.block(
                Block::new("stage.drop", None)
                    .attr("source", str("level"))
                    .attr("value", str(level.clone()))
                    .attr("drop_counter_reason", str(format!("level_{level}"))),
            );
        }
        for s in &self.sample {
            b = b.block(
                Block::new("stage.match", None)
                    .attr(
                        "selector",
                        str(format!("{{namespace=\"{}\"}}", s.namespace)),
                    )
                    .block(
                        Block::new("stage.sampling", None)
                            .attr("rate", Value::Float(s.rate))
                            .attr("drop_counter_reason", str("sampling")),
                    ),
            );
        }
        b.attr(
            "forward_to",
            Value::List(vec![Value::Expr("loki.write.default.receiver")]),
        )
    }

    /// The whole config.alloy, pushing to `push_url`.
    pub fn config(&self, push_url: &str) -> String {
        let mut blocks = vec![
            discovery(),
            relabel(),
            source("pods", Value::Expr("discovery.relabel.pods.output"), "pods"),
            self.stages(
                Block::new("loki.process", Some("pods")).block(Block::new("stage.cri", None)),
            ),
        ];
        if self.docker_logs {
            blocks.push(source(
                "docker",
                Value::List(vec![Value::Object(vec![
                    (
                        "__path__".into(),
                        str(format!("{DOCKER_LOGS}/*/*-json.log")),
                    ),
                    ("job".into(), str("docker")),
                ])]),
                "docker",
            ));
            blocks.push(self.stages(
                Block::new("loki.process", Some("docker")).block(Block::new("stage.docker", None)),
            ));
        }
        blocks.push(
            Block::new("loki.write", Some("default"))
                .block(Block::new("endpoint", None).attr("url", str(push_url))),
        );
        file(
            &["Generated by monstack from [log_agent]; do not edit."],
            &blocks,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The label names in a LogQL stream selector `{a="x", b=~"y"}`: a structural check, as
    /// there is no maintained LogQL parser for Rust.
    fn selector_labels(query: &str) -> Vec<String> {
        let inner = query
            .split_once('{')
            .and_then(|(_, rest)| rest.split_once('}'))
            .map(|(inner, _)| inner)
            .expect("a stream selector");
        inner
            .split(',')
            .map(|m| {
                m.split(['=', '!'])
                    .next()
                    .expect("a matcher")
                    .trim()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_seeds_logql_examples_select_on_labels_the_agent_assigns() {
        let agent = LogAgent::default();
        let mut labels: Vec<&str> = POD_LABELS.iter().map(|(_, l)| *l).collect();
        labels.extend(agent.json_labels.iter().map(String::as_str));
        // monitoring-stack.md, "Loki Log Queries".
        for query in [
            r#"{namespace="default"} | json | level="error""#,
            r#"{app_kubernetes_io_name="todo-chatbot-frontend"} |= "ERROR""#,
            r#"{app_kubernetes_io_name="todo-chatbot-backend"} | json | duration > 1s"#,
            r#"{namespace="kafka"} |= "ERROR""#,
        ] {
            for label in selector_labels(query) {
                assert!(labels.contains(&label.as_str()), "{query}: {label}");
            }
        }
        let text = agent.config("http://loki.monitoring.svc:3100/loki/api/v1/push");
        for (source, label) in POD_LABELS {
            assert!(
                text.contains(&format!(
                    "source_labels = [\"{source}\"]\n    target_label = \"{label}\""
                )),
                "{label} not assigned:\n{text}"
            );
        }
    }

    #[test]
    fn pipeline_parses_cri_then_json_then_drops_and_samples() {
        let agent = LogAgent {
            drop_levels: vec!["debug".into()],
            sample: vec![super::super::Sample {
                namespace: crate::model::DnsLabel::parse("kafka").unwrap(),
                rate: 0.1,
            }],
            docker_logs: true,
            ..LogAgent::default()
        };
        let text = agent.config("http://loki.monitoring.svc:3100/loki/api/v1/push");
        let process = text
            .split("loki.process \"pods\" {")
            .nth(1)
            .and_then(|rest| rest.split("\n}\n").next())
            .unwrap();
        let order: Vec<usize> = [
            "stage.cri",
            "stage.json",
            "stage.labels",
            "stage.drop",
            "stage.match",
            "forward_to",
        ]
        .iter()
        .map(|s| {
            process
                .find(s)
                .unwrap_or_else(|| panic!("{s} missing:\n{process}"))
        })
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{process}");
        assert!(process.contains("selector = \"{namespace=\\\"kafka\\\"}\""));
        assert!(process.contains("rate = 0.1"));
        assert!(text.contains("stage.docker {}"));
        assert!(text.contains("\"/var/lib/docker/containers/*/*-json.log\""));
        assert!(text.contains(
            "endpoint {\n    url = \"http://loki.monitoring.svc:3100/loki/api/v1/push\"\n  }"
        ));
        assert!(text.contains(r#"field = "spec.nodeName=" + sys.env("HOSTNAME")"#));
        // Braces balance: every block the printer opens, it closes.
        assert_eq!(text.matches('{').count(), text.matches('}').count());
    }
}
