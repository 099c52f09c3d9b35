//! Who an alert reaches, read from the rendered alertmanager.yml (the route tree, the
//! receivers' integrations and the inhibit rule), so a runbook states what Alertmanager will
//! do with this profile, not what it was meant to do.

use serde_yaml_ng::Value;

use crate::k8s::Object;
use crate::pipeline::Compilation;

/// The rendered route tree, or nothing when the profile renders no Alertmanager.
pub struct Routing {
    config: Option<Value>,
}

impl Routing {
    pub fn read(c: &Compilation) -> Routing {
        // The ConfigMap holding alertmanager.yml, whatever the component names it: the file
        // with a route tree (Prometheus' rule file for the alertmanager component has the
        // same name).
        let config = c.manifest.objects().find_map(|o| match o {
            Object::ConfigMap(cm) => cm
                .data
                .as_ref()?
                .get("alertmanager.yml")
                .and_then(|text| serde_yaml_ng::from_str::<Value>(text).ok())
                .filter(|config| config.get("route").is_some()),
            _ => None,
        });
        Routing { config }
    }

    /// One Markdown paragraph: the receiver a `severity` alert is routed to, its
    /// integrations, how often it repeats, and whether a staged alert is muted or mutes.
    pub fn describe(&self, severity: &str, staged: bool) -> String {
        let Some(config) = &self.config else {
            return format!(
                "- {severity}: this profile renders no Alertmanager; the alert shows only on Prometheus' Alerts page.\n"
            );
        };
        let root = &config["route"];
        let matcher = format!("severity=\"{severity}\"");
        let route = root["routes"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|r| {
                r["matchers"]
                    .as_sequence()
                    .is_some_and(|m| m.iter().any(|m| m.as_str() == Some(matcher.as_str())))
            });
        let receiver = route
            .and_then(|r| r["receiver"].as_str())
            .or(root["receiver"].as_str())
            .unwrap_or("default");
        let repeat = route
            .and_then(|r| r["repeat_interval"].as_str())
            .or(root["repeat_interval"].as_str())
            .unwrap_or("4h");
        let integrations = self.integrations(receiver);
        let reaches = if integrations.is_empty() {
            format!(
                "no integration, so nobody is notified (name one in `alertmanager.routes.{severity}`)"
            )
        } else {
            integrations.join(" and ")
        };
        let mut text = format!(
            "- {severity}: routed to receiver `{receiver}`, which notifies {reaches}; repeated every {repeat} while it fires."
        );
        if staged {
            text.push_str(match severity {
                "warning" => " Muted while the critical stage of the same alert group fires for the same target.",
                _ => " While it fires, it mutes the warning stage of the same alert group for the same target.",
            });
        }
        text.push('\n');
        text
    }

    /// The integrations of a receiver, as people name them (`PagerDuty`, `Slack (#alerts)`).
    fn integrations(&self, receiver: &str) -> Vec<String> {
        let Some(config) = &self.config else {
            return Vec::new();
        };
        let Some(r) = config["receivers"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|r| r["name"].as_str() == Some(receiver))
        else {
            return Vec::new();
        };
        let Some(table) = r.as_mapping() else {
            return Vec::new();
        };
        table
            .iter()
            .filter_map(|(key, value)| {
                let kind = key.as_str()?.strip_suffix("_configs")?;
                Some(match kind {
                    "pagerduty" => "PagerDuty".to_string(),
                    "slack" => match value[0]["channel"].as_str() {
                        Some(channel) => format!("Slack ({channel})"),
                        None => "Slack".to_string(),
                    },
                    "webhook" => "a webhook".to_string(),
                    other => other.to_string(),
                })
            })
            .collect()
    }
}
