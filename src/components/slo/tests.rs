//! The `[[slo]]` checks, on entries read as a profile writes them.

use super::*;
use crate::diag::Code;

fn slos(toml_text: &str) -> Slos {
    #[derive(Deserialize)]
    struct Profile {
        slo: Slos,
    }
    toml::from_str::<Profile>(toml_text)
        .expect("valid [[slo]] tables")
        .slo
}

fn codes(toml_text: &str) -> Vec<(String, Code)> {
    slos(toml_text)
        .check(&Stack::default())
        .into_iter()
        .map(|p| (p.key, p.diagnostic.code))
        .collect()
}

const RATIO: &str = r#"
[[slo]]
name = "backend-availability"
service = "todo-chatbot-backend"
objective = 99.9
good = 'http_requests_total{service="todo-chatbot-backend", status!~"5.."}'
total = 'http_requests_total{service="todo-chatbot-backend"}'
"#;

#[test]
fn a_ratio_and_a_latency_slo_pass() {
    let text = format!(
        "{RATIO}\n[[slo]]\nname = \"backend-latency\"\nservice = \"todo-chatbot-backend\"\nobjective = 99\nlatency = \"500ms\"\n"
    );
    assert_eq!(codes(&text), []);
    let s = slos(&text);
    assert_eq!(s.0[0].window.to_string(), "30d");
    assert_eq!(s.0[0].error_budget(), 0.001);
    assert_eq!(s.0[1].alert_name(), "BackendLatencyBudgetBurn");
}

#[test]
fn each_mistake_is_reported_at_its_key() {
    let text = r#"
[[slo]]
name = "a"
service = "a"
objective = 100
window = "2d"
latency = "300ms"

[[slo]]
name = "a"
service = "a"
objective = 99
good = "sum(x)"
total = "x{"

[[slo]]
name = "c"
service = "c"
objective = 99
total = "x"
"#;
    assert_eq!(
        codes(text),
        [
            ("slo[0].objective".to_string(), Code::SloObjectiveOutOfRange),
            ("slo[0].window".to_string(), Code::SloWindowTooShort),
            ("slo[0].latency".to_string(), Code::SloLatencyNotABucket),
            ("slo[1].good".to_string(), Code::SloSelectorInvalid),
            ("slo[1].total".to_string(), Code::SloSelectorInvalid),
            ("slo[2]".to_string(), Code::SloSliIncomplete),
            ("slo[1].name".to_string(), Code::SloDuplicateName),
        ]
    );
}

#[test]
fn whole_second_thresholds_match_both_spellings_of_le() {
    let text = "[[slo]]\nname = \"l\"\nservice = \"api\"\nobjective = 99\nlatency = \"1s\"\n";
    let s = slos(text);
    let slo = &s.0[0];
    let [group, window] = rules::groups(slo, slo.sli().expect("sli"), "slo[0]", &Stack::default());
    let (_, expr) = group.names().next().expect("a rule");
    assert_eq!(window.interval.as_deref(), Some("5m"));
    assert!(expr.contains(r#"le=~"1|1\\.0""#), "{expr}");
}

#[test]
fn an_absent_list_is_no_slo_and_a_single_table_is_refused() {
    let empty: Slos = toml::from_str("").expect("an empty table");
    assert!(!empty.enabled());
    let err = toml::from_str::<Slos>("name = \"x\"").expect_err("a table is not a list");
    assert!(err.to_string().contains("[[slo]]"), "{err}");
}

#[test]
fn a_fraction_for_a_percentage_is_caught_by_the_unreachable_pages() {
    let text = "[[slo]]\nname = \"a\"\nservice = \"a\"\nobjective = 0.999\nlatency = \"500ms\"\n";
    let problems = slos(text).check(&Stack::default());
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(p.diagnostic.code, Code::SloBurnRateUnreachable);
    assert_eq!(p.diagnostic.severity, crate::diag::Severity::Warning);
    assert!(
        p.diagnostic
            .help
            .as_deref()
            .unwrap_or_default()
            .contains("objective = 99.9"),
        "{p:?}"
    );
    // 90%: a 10% budget; only the 1h page (14.4 × 10%) is out of reach.
    let text = text.replace("0.999", "90");
    let problems = slos(&text).check(&Stack::default());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .diagnostic
            .message
            .contains("rule (page over 1h)"),
        "{problems:?}"
    );
}
