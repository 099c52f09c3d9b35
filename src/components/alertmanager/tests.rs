//! Tests of the `[alertmanager]` checks, alertmanager.yml and the cluster flags.

use super::objects::go_duration;
use super::*;
use crate::diag::Code;
use crate::model::Duration;

fn settings(toml_text: &str) -> Alertmanager {
    toml::from_str(toml_text).expect("test settings parse")
}

fn codes(am: &Alertmanager) -> Vec<(String, Code)> {
    am.check(&Stack::default())
        .into_iter()
        .map(|p| (p.key, p.diagnostic.code))
        .collect()
}

#[test]
fn defaults_are_clean() {
    assert!(codes(&Alertmanager::default()).is_empty());
}

#[test]
fn bad_values_are_reported_at_their_keys() {
    let am = settings(
        "replicas = 0\nrepeat_interval = \"1m\"\ncritical_repeat_interval = \"200h\"\n\
         group_by = [\"alert-name\"]\nresources = { requests = { cpu = \"1\", memory = \"1Gi\" }, limits = { cpu = \"500m\", memory = \"1Gi\" } }\n",
    );
    let found = codes(&am);
    for expected in [
        ("alertmanager.replicas", Code::ReplicasOutOfRange),
        (
            "alertmanager.repeat_interval",
            Code::RepeatBelowGroupInterval,
        ),
        (
            "alertmanager.critical_repeat_interval",
            Code::RepeatAboveRetention,
        ),
        ("alertmanager.group_by", Code::InvalidLabelName),
        (
            "alertmanager.resources.requests.cpu",
            Code::RequestAboveLimit,
        ),
    ] {
        assert!(
            found.contains(&(expected.0.into(), expected.1)),
            "{expected:?} not in {found:?}"
        );
    }
}

#[test]
fn routes_must_name_configured_receivers() {
    let am = settings(
        "[receivers.slack]\nsecret = \"s\"\nkey = \"k\"\n[receivers.webhook]\nsecret = \"w\"\nkey = \"url\"\n\
         [routes]\ncritical = [\"pagerduty\", \"slack\"]\n",
    );
    let found = codes(&am);
    assert!(found.contains(&(
        "alertmanager.routes.critical".into(),
        Code::ReceiverNotConfigured
    )));
    assert!(found.contains(&(
        "alertmanager.receivers.webhook".into(),
        Code::ReceiverUnused
    )));
}

#[test]
fn group_by_everything_is_allowed_alone() {
    assert!(
        settings("group_by = [\"...\"]")
            .group_by_problem()
            .is_none()
    );
    assert!(
        settings("group_by = [\"...\", \"job\"]")
            .group_by_problem()
            .is_some()
    );
}

#[test]
fn retention_is_written_as_a_go_duration() {
    let d = |s: &str| go_duration(&Duration::parse(s).unwrap());
    assert_eq!(d("5d"), "120h");
    assert_eq!(d("90m"), "90m");
    assert_eq!(d("1m30s"), "90s");
}

#[test]
fn cluster_flags_only_with_several_replicas() {
    let single = settings("replicas = 1").args("monitoring");
    assert!(single.contains(&"--cluster.listen-address=".to_string()));
    assert!(!single.iter().any(|a| a.starts_with("--cluster.peer")));
    let triple = settings("replicas = 3").args("mon");
    let peers: Vec<_> = triple
        .iter()
        .filter(|a| a.starts_with("--cluster.peer="))
        .collect();
    assert_eq!(peers.len(), 3);
    assert_eq!(
        peers[2],
        "--cluster.peer=alertmanager-2.alertmanager-headless.mon.svc:9094"
    );
}

#[test]
fn severities_without_receivers_fall_back_to_the_root_route() {
    let am = settings(
        "[receivers.slack]\nsecret = \"s\"\nkey = \"k\"\n[routes]\nwarning = [\"slack\"]\n",
    );
    let config = am.config_file();
    assert_eq!(config.routes.len(), 1);
    assert_eq!(config.routes[0].matcher, "severity=\"warning\"");
    let names: Vec<_> = config.receivers.iter().map(|r| r.name).collect();
    assert_eq!(names, ["default", "warning"]);
    assert_eq!(
        config.receivers[1].slack_file.as_deref(),
        Some("/etc/alertmanager/secrets/slack/k")
    );
}

#[test]
fn a_dead_mans_switch_without_the_watchdog_is_warned_about() {
    let am = settings(
        "[receivers.watchdog]\nsecret = \"d\"\nkey = \"url\"\n[alerts.watchdog]\nenabled = false\n",
    );
    assert!(codes(&am).contains(&(
        "alertmanager.receivers.watchdog".into(),
        Code::ReceiverUnused
    )));
    assert!(am.config_file().watchdog.is_none());
    assert!(am.mounted_secrets().is_empty(), "its Secret is not mounted");
    let on = settings("[receivers.watchdog]\nsecret = \"d\"\nkey = \"url\"\n");
    let route = on.config_file().watchdog.expect("the Watchdog's route");
    assert_eq!(route.receiver, "watchdog");
    assert_eq!(
        route.url_file.as_deref(),
        Some("/etc/alertmanager/secrets/watchdog/url")
    );
}

#[test]
fn cluster_members_are_watched_only_with_several_replicas() {
    let names = |am: &Alertmanager| -> Vec<String> {
        am.rule_groups(&Stack::default())
            .iter()
            .flat_map(|g| g.alerts().map(|a| a.alert.clone()).collect::<Vec<_>>())
            .collect()
    };
    assert!(names(&settings("replicas = 2")).contains(&"AlertmanagerClusterMembersMissing".into()));
    assert!(
        !names(&settings("replicas = 1")).contains(&"AlertmanagerClusterMembersMissing".into())
    );
}
