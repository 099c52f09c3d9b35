//! `[prometheus.scrape]` and the source alerts of `[prometheus.alerts]` moved when the sources
//! outside the stack became components that contribute their own jobs and alerts (the table
//! now holds only Prometheus' own alerts). A profile that still uses them gets one located
//! error per key that says where it went.

use super::Prometheus;
use crate::diag::Code;
use crate::model::Problem;

/// (old key under `prometheus.`, new key).
const MOVED: &[(&str, &str)] = &[
    ("scrape.application_pods", "applications.enabled"),
    ("scrape.kubelet_cadvisor", "kubelet.enabled"),
    ("scrape.kubelet_verify_tls", "kubelet.verify_tls"),
    ("scrape.dapr", "dapr.enabled"),
    ("scrape.kafka.enabled", "kafka.enabled"),
    ("scrape.kafka.namespaces", "kafka.namespaces"),
    (
        "alerts.high_error_rate",
        "applications.alerts.high_error_rate",
    ),
    ("alerts.high_latency", "applications.alerts.high_latency"),
    ("alerts.high_cpu_usage", "kubelet.alerts.high_cpu_usage"),
    (
        "alerts.high_memory_usage",
        "kubelet.alerts.high_memory_usage",
    ),
    (
        "alerts.pod_not_ready",
        "kube_state_metrics.alerts.pod_not_ready",
    ),
    ("alerts.dapr_sidecar_down", "dapr.alerts.sidecar_down"),
    (
        "alerts.kafka_offline_partitions",
        "kafka.alerts.offline_partitions",
    ),
];

/// One problem per key set under the moved tables.
pub fn problems(p: &Prometheus) -> Vec<Problem> {
    let mut keys = Vec::new();
    if let Some(value) = &p.scrape {
        leaf_keys("scrape", value, &mut keys);
    }
    for (key, value) in &p.alerts.rest {
        leaf_keys(&format!("alerts.{key}"), value, &mut keys);
    }
    keys.iter().map(|key| problem(key)).collect()
}

/// Dotted paths of the values under `value`, stopping at a key that moved as a whole.
fn leaf_keys(path: &str, value: &toml::Value, out: &mut Vec<String>) {
    match value.as_table() {
        Some(table) if !MOVED.iter().any(|(old, _)| *old == path) => {
            for (k, v) in table {
                leaf_keys(&format!("{path}.{k}"), v, out);
            }
        }
        _ => out.push(path.to_string()),
    }
}

/// The keys `[prometheus.alerts]` has now (Prometheus' own alerts).
const ALERTS: &[&str] = &[
    "rule_failures",
    "notifications_failing",
    "notifications_dropped",
    "config_reload_failed",
    "tsdb_failures",
    "target_down",
];

/// A near miss of one of Prometheus' own alerts is named; anything else was a source's key.
fn unknown_help(key: &str) -> String {
    let alert = key
        .strip_prefix("alerts.")
        .map(|rest| rest.split('.').next().unwrap_or(rest));
    match alert.and_then(|a| crate::diag::did_you_mean(a, ALERTS.iter().copied())) {
        Some(near) => format!("did you mean `prometheus.alerts.{near}`?"),
        None => "scrape sources and their alerts are set in [applications], [kubelet], [dapr], [kafka] and [kube_state_metrics]; [prometheus.alerts] holds Prometheus' own alerts".into(),
    }
}

fn problem(key: &str) -> Problem {
    let old = format!("prometheus.{key}");
    let target = MOVED
        .iter()
        .find(|(moved, _)| key == *moved || key.starts_with(&format!("{moved}.")))
        .map(|(moved, new)| format!("{new}{}", &key[moved.len()..]));
    match target {
        Some(new) => Problem::error(
            old.clone(),
            Code::MovedKey,
            format!("`{old}` moved to `{new}`"),
            format!(
                "write it as `{new}` (the source's own table now holds its scrape job and alerts)"
            ),
        ),
        None => Problem::error(
            old.clone(),
            Code::UnknownKey,
            format!("unknown key `{old}`"),
            unknown_help(key),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prometheus(toml_text: &str) -> Prometheus {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn every_old_key_names_its_new_place() {
        let p = prometheus(
            "[scrape]\ndapr = false\n[scrape.kafka]\nnamespaces = [\"k\"]\n[alerts.high_error_rate]\nratio = 0.1\nfor = \"3m\"\n[alerts.pod_not_ready]\nenabled = false\n",
        );
        let found: Vec<(String, String)> = problems(&p)
            .into_iter()
            .map(|p| (p.key, p.diagnostic.message))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "prometheus.scrape.dapr".to_string(),
                    "`prometheus.scrape.dapr` moved to `dapr.enabled`".to_string()
                ),
                (
                    "prometheus.scrape.kafka.namespaces".to_string(),
                    "`prometheus.scrape.kafka.namespaces` moved to `kafka.namespaces`".to_string()
                ),
                (
                    "prometheus.alerts.high_error_rate".to_string(),
                    "`prometheus.alerts.high_error_rate` moved to `applications.alerts.high_error_rate`".to_string()
                ),
                (
                    "prometheus.alerts.pod_not_ready".to_string(),
                    "`prometheus.alerts.pod_not_ready` moved to `kube_state_metrics.alerts.pod_not_ready`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_near_miss_of_an_own_alert_is_named() {
        let p = prometheus("[alerts.rule_failure]\nfor = \"1m\"\n");
        let found = problems(&p);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].diagnostic.help.as_deref(),
            Some("did you mean `prometheus.alerts.rule_failures`?")
        );
    }

    /// Every own alert is listed, so a near miss of it is named.
    #[test]
    fn the_own_alerts_are_the_settings_keys() {
        let schema = schemars::schema_for!(super::super::alerts::Alerts);
        let properties = schema
            .as_value()
            .get("properties")
            .and_then(|p| p.as_object())
            .expect("properties");
        let mut listed: Vec<&str> = properties.keys().map(String::as_str).collect();
        let mut own = ALERTS.to_vec();
        listed.sort_unstable();
        own.sort_unstable();
        assert_eq!(listed, own);
    }

    #[test]
    fn a_key_that_never_existed_is_unknown() {
        let p = prometheus("[alerts]\nhttp_status_label = \"code\"\n");
        let found = problems(&p);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].diagnostic.code.name(), "unknown-key");
        assert_eq!(found[0].key, "prometheus.alerts.http_status_label");
    }
}
