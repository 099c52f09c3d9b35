//! Node recording rules (CPU and memory utilisation per node) and the node alerts: a
//! filesystem that is filling up (warning, with a linear prediction) and one that is almost
//! full (critical), and memory pressure. Filesystems exclude the pseudo and read-only ones.

use super::{Alerts, JOB};
use crate::contrib::Rule;
use crate::contrib::rules::{AlertText, RuleGroup, Severity, alert_group, percent, record};
use crate::model::Stack;

/// Real filesystems of the node: not tmpfs, container layers or squashfs snaps.
fn fs(metric: &str) -> String {
    format!("{metric}{{job=\"{JOB}\", fstype!~\"tmpfs|overlay|squashfs|nsfs\", mountpoint!=\"\"}}")
}

fn free_ratio() -> String {
    format!(
        "{} / {}",
        fs("node_filesystem_avail_bytes"),
        fs("node_filesystem_size_bytes")
    )
}

pub fn groups(alerts: &Alerts, stack: &Stack) -> Vec<RuleGroup> {
    let alerts = alert_group(
        "node.alerts",
        [
            filling_up(alerts, stack),
            almost_full(alerts, stack),
            memory_pressure(alerts, stack),
        ],
    );
    [recording()].into_iter().chain(alerts).collect()
}

fn recording() -> RuleGroup {
    RuleGroup::new(
        "node.rules",
        Some(
            "Per node (instance = node name): the share of CPU time not idle and of memory in use.",
        ),
        vec![
            record(
                "instance:node_cpu_utilisation:rate5m",
                "",
                format!(
                    "1 - avg by (instance) (\n  rate(node_cpu_seconds_total{{job=\"{JOB}\", mode=\"idle\"}}[5m])\n)"
                ),
            ),
            record(
                "instance:node_memory_utilisation:ratio",
                "MemAvailable counts reclaimable caches as free, unlike MemFree.",
                format!(
                    "1 - (\n  node_memory_MemAvailable_bytes{{job=\"{JOB}\"}}\n  / node_memory_MemTotal_bytes{{job=\"{JOB}\"}}\n)"
                ),
            ),
        ],
    )
}

/// The stages of a filesystem running out of space: FillingUp warns, AlmostFull pages and
/// mutes the warning for the same filesystem.
const FILESYSTEM_SPACE: &str = "NodeFilesystemSpace";

fn filling_up(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.filesystem_filling_up;
    a.enabled.then(|| {
        AlertText {
            name: "NodeFilesystemFillingUp",
            comment: "Little space left and the last 6 hours' trend empties the filesystem within a day.",
            severity: Severity::Warning,
            summary: "Filesystem {{ $labels.mountpoint }} on node {{ $labels.node }} is filling up",
            description: format!("Only {{{{ $value | humanizePercentage }}}} of {{{{ $labels.mountpoint }}}} ({{{{ $labels.device }}}}) on node {{{{ $labels.node }}}} is free (threshold {}), and at the current rate it is full within 24 hours.", percent(a.ratio)),
        }
        .rule(
            stack,
            format!(
                "(\n  {} < {}\nand\n  predict_linear({}[6h], 24 * 3600) < 0\nand\n  {} == 0\n)",
                free_ratio(),
                a.ratio,
                fs("node_filesystem_avail_bytes"),
                fs("node_filesystem_readonly"),
            ),
            &a.for_duration,
        )
        .stage_of(FILESYSTEM_SPACE)
    })
}

fn almost_full(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.filesystem_almost_full;
    a.enabled.then(|| {
        AlertText {
            name: "NodeFilesystemAlmostFull",
            comment: "Whatever the trend: below this, writes start failing soon.",
            severity: Severity::Critical,
            summary: "Filesystem {{ $labels.mountpoint }} on node {{ $labels.node }} is almost full",
            description: format!("Only {{{{ $value | humanizePercentage }}}} of {{{{ $labels.mountpoint }}}} ({{{{ $labels.device }}}}) on node {{{{ $labels.node }}}} is free (threshold {}); pods on this node fail to write and the kubelet starts evicting them.", percent(a.ratio)),
        }
        .rule(
            stack,
            format!(
                "(\n  {} < {}\nand\n  {} == 0\n)",
                free_ratio(),
                a.ratio,
                fs("node_filesystem_readonly"),
            ),
            &a.for_duration,
        )
        .stage_of(FILESYSTEM_SPACE)
    })
}

fn memory_pressure(alerts: &Alerts, stack: &Stack) -> Option<Rule> {
    let a = &alerts.memory_pressure;
    a.enabled.then(|| {
        AlertText {
            name: "NodeMemoryPressure",
            comment: "",
            severity: Severity::Warning,
            summary: "Node {{ $labels.instance }} is running out of memory",
            description: format!("Node {{{{ $labels.instance }}}} uses {{{{ $value | humanizePercentage }}}} of its memory (threshold {}); the kubelet evicts pods and the kernel kills processes when it runs out.", percent(a.ratio)),
        }
        .rule(
            stack,
            format!("instance:node_memory_utilisation:ratio > {}", a.ratio),
            &a.for_duration,
        )
    })
}
