//! The Nodes row of the shared Infrastructure dashboard.

use super::JOB;
use crate::contrib::dashboards::{
    Colors, INFRASTRUCTURE, Kind, PanelSet, WIDE, panel, target, variable,
};

pub fn nodes() -> PanelSet {
    const NODE: &str = "instance=~\"$node\"";
    let jobs: &[&str] = &[JOB];
    let network = |metric: &str| {
        format!(
            "sum by (instance) (rate({metric}{{job=\"{JOB}\", {NODE}, device!=\"lo\"}}[$__rate_interval]))"
        )
    };
    PanelSet {
        dashboard: INFRASTRUCTURE,
        row: "Nodes",
        variables: vec![variable(
            "node",
            "Node",
            format!("label_values(node_uname_info{{job=\"{JOB}\"}}, instance)"),
        )],
        needs: jobs,
        panels: vec![
            panel(
                Kind::Timeseries,
                WIDE,
                "CPU utilisation by node",
                "percentunit",
                jobs,
                Colors::Palette,
                "Share of each node's CPU time that is not idle (recording rule instance:node_cpu_utilisation:rate5m).",
                vec![target(
                    format!("instance:node_cpu_utilisation:rate5m{{{NODE}}}"),
                    "{{instance}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Memory utilisation by node",
                "percentunit",
                jobs,
                Colors::Palette,
                "Share of each node's memory in use, caches not counted (recording rule instance:node_memory_utilisation:ratio); NodeMemoryPressure fires above its threshold.",
                vec![target(
                    format!("instance:node_memory_utilisation:ratio{{{NODE}}}"),
                    "{{instance}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Filesystem space free",
                "percentunit",
                jobs,
                Colors::Palette,
                "Free share of each node's filesystems (node_filesystem_avail_bytes / node_filesystem_size_bytes); the filesystem alerts fire below their thresholds.",
                vec![target(
                    format!(
                        "node_filesystem_avail_bytes{{job=\"{JOB}\", {NODE}, fstype!~\"tmpfs|overlay|squashfs|nsfs\"}} / node_filesystem_size_bytes{{job=\"{JOB}\", {NODE}, fstype!~\"tmpfs|overlay|squashfs|nsfs\"}}"
                    ),
                    "{{instance}} {{mountpoint}}",
                )],
            ),
            panel(
                Kind::Timeseries,
                WIDE,
                "Network traffic by node",
                "Bps",
                jobs,
                Colors::Palette,
                "Bytes per second each node receives and sends, loopback excluded (node_network_*_bytes_total).",
                vec![
                    target(
                        network("node_network_receive_bytes_total"),
                        "{{instance}} in",
                    ),
                    target(
                        network("node_network_transmit_bytes_total"),
                        "{{instance}} out",
                    ),
                ],
            ),
        ],
    }
}
