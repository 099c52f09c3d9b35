//! `[grafana]` settings: the seed's defaults and the checks keyed by profile path.

use super::*;
use crate::diag::Code;

fn settings(toml_text: &str) -> Grafana {
    toml::from_str(toml_text).expect("test settings parse")
}

fn codes(g: &Grafana) -> Vec<(String, Code)> {
    g.check(&Stack::default())
        .into_iter()
        .map(|p| (p.key, p.diagnostic.code))
        .collect()
}

#[test]
fn defaults_are_clean_and_follow_the_seed() {
    let g = Grafana::default();
    assert!(codes(&g).is_empty(), "{:?}", codes(&g));
    assert_eq!(g.storage.as_str(), "10Gi");
    assert_eq!(g.resources.requests.cpu.as_str(), "100m");
    assert_eq!(g.resources.requests.memory.as_str(), "256Mi");
    assert_eq!(g.dashboards.refresh.as_str(), "1m");
    assert_eq!(g.dashboards.max_data_points, 1000);
    assert!(!g.anonymous_access);
}

#[test]
fn bad_values_are_reported_at_their_keys() {
    let g = settings(
        "storage = \"0\"\n[admin]\npassword_key = \"../x\"\n\
         [dashboards]\nrefresh = \"1m30s\"\nmin_refresh = \"5m\"\nmax_data_points = 5\n\
         [resources]\nrequests = { cpu = \"1\", memory = \"1Gi\" }\nlimits = { cpu = \"500m\", memory = \"1Gi\" }\n",
    );
    let found = codes(&g);
    for expected in [
        ("grafana.storage", Code::StorageEmpty),
        ("grafana.admin.password_key", Code::InvalidSecretKey),
        ("grafana.dashboards.refresh", Code::InvalidGrafanaDuration),
        ("grafana.dashboards.refresh", Code::RefreshBelowMinimum),
        ("grafana.dashboards.max_data_points", Code::InvalidValue),
        ("grafana.resources.requests.cpu", Code::RequestAboveLimit),
    ] {
        assert!(
            found.contains(&(expected.0.into(), expected.1)),
            "{expected:?} not in {found:?}"
        );
    }
}

#[test]
fn single_unit_durations() {
    let ok = |s: &str| is_single_unit(&Duration::parse(s).unwrap(), "smhd");
    assert!(ok("30s") && ok("1m") && ok("12h") && ok("1d"));
    assert!(!ok("1h30m") && !ok("500ms") && !ok("1w") && !ok("0s"));
}
