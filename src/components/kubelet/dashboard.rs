//! The shared Infrastructure dashboard's container part: CPU, memory and network of pods
//! (cAdvisor) and pod and deployment status (kube-state-metrics). Node panels are added by
//! node-exporter.

use super::JOB as CADVISOR;
use crate::components::kube_state_metrics::{JOB as KUBE_STATE, pods_not_ready};
use crate::contrib::dashboards::{
    Colors, Dashboard, INFRASTRUCTURE, Kind, STAT, WIDE, panel, stacked, target, variable,
};

pub fn infrastructure() -> Dashboard {
    const N: &str = "namespace=~\"$namespace\"";
    const P: &str = "namespace=~\"$namespace\", pod=~\"$pod\"";
    let ksm = |metric: &str, extra: &str| format!("{metric}{{job=\"{}\", {extra}{N}}}", KUBE_STATE);
    let network = |metric: &str| {
        format!(
            "sum by (pod) (rate({metric}{{job=\"{}\", {P}}}[$__rate_interval]))",
            CADVISOR
        )
    };
    let cpu_rule = "namespace:container_cpu_usage_seconds:rate5m";
    let cadvisor: &[&str] = &[CADVISOR];
    let ksm_jobs: &[&str] = &[CADVISOR, KUBE_STATE];
    Dashboard {
        slug: INFRASTRUCTURE.slug,
        title: INFRASTRUCTURE.title,
        description: INFRASTRUCTURE.description,
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
                "Pods that should be running and are not ready (Ready condition false, or still Pending); finished pods are left out. The PodNotReady alert fires when one stays so.",
                vec![target(
                    format!("count({}) or vector(0)", pods_not_ready(N)),
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
