//! Service level objectives: the profile's `[[slo]]` entries, each an objective (99.9% of a
//! service's requests good over 30 days) over an SLI that is either a ratio of two counters
//! (good events over all events) or the share of requests faster than a latency threshold
//! (a bucket of the applications' `http_request_duration_seconds` histogram). Renders no pods:
//! it contributes the SLI recording rules, the multi-window multi-burn-rate alerts of the SRE
//! workbook (the table Sloth and Pyrra use), the error-budget rules and the SLOs dashboard.
//!
//! Files: `mod.rs` the entries and their checks, `burn.rs` the burn-rate table, `rules.rs` the
//! rules and alerts, `dashboard.rs` the dashboard.

mod burn;
mod dashboard;
mod rules;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

use super::{Component, Context};
use crate::contrib::Contributions;
use crate::diag::Code;
use crate::k8s::Object;
use crate::model::alerts::duration;
use crate::model::{DnsLabel, Duration, Problem, Stack};

/// `[[slo]]`: the stack's service level objectives, one table each (none by default). A
/// profile that extends another replaces the whole list, as it does any array.
#[derive(Debug, Clone, Default, schemars::JsonSchema)]
#[schemars(transparent)]
pub struct Slos(Vec<Slo>);

/// One `[[slo]]` entry.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// Names the SLO (lowercase letters, digits and `-`, unique): the `slo` label of its
    /// series, and its alert `<Name>BudgetBurn` (`backend-availability` →
    /// `BackendAvailabilityBudgetBurn`).
    pub name: DnsLabel,
    /// The service it is about: the `service` label of its series (the applications' pods'
    /// `app.kubernetes.io/name`, e.g. `todo-chatbot-backend`).
    pub service: DnsLabel,
    /// The share of good events to reach, in percent, strictly between 0 and 100 (`99.9`).
    pub objective: f64,
    /// The period the objective holds over and the error budget is counted in; at least the
    /// longest alert window (3d). Prometheus must keep that much data (`retention.time`).
    #[serde(default = "thirty_days")]
    pub window: Duration,
    /// Ratio SLI: a PromQL selector of the counter of good events, e.g.
    /// `http_requests_total{service="todo-chatbot-backend", status!~"5.."}`. Needs `total`.
    pub good: Option<String>,
    /// Ratio SLI: a PromQL selector of the counter of all events, e.g.
    /// `http_requests_total{service="todo-chatbot-backend"}`. Needs `good`.
    pub total: Option<String>,
    /// Latency SLI (instead of `good`/`total`): requests of `service` answered within this
    /// time are good. Must be a bucket boundary of `stack.http_request_duration_buckets`.
    pub latency: Option<Duration>,
}

fn thirty_days() -> Duration {
    duration("30d")
}

/// What counts as a good event.
#[derive(Debug, Clone, Copy)]
pub enum Sli<'a> {
    /// Good events over all events, two counters.
    Ratio { good: &'a str, total: &'a str },
    /// Requests of the service answered within the threshold.
    Latency(&'a Duration),
}

impl Slo {
    /// The SLI, when exactly one form is given.
    pub fn sli(&self) -> Option<Sli<'_>> {
        match (&self.good, &self.total, &self.latency) {
            (Some(good), Some(total), None) => Some(Sli::Ratio { good, total }),
            (None, None, Some(latency)) => Some(Sli::Latency(latency)),
            _ => None,
        }
    }

    /// The share of events allowed to be bad: 99.9 → 0.001 (rounded, so `1 - 0.999` prints
    /// as people write it).
    pub fn error_budget(&self) -> f64 {
        tidy((100.0 - self.objective) / 100.0)
    }

    /// `BackendAvailabilityBudgetBurn` for `backend-availability`.
    pub fn alert_name(&self) -> String {
        let pascal: String = self
            .name
            .as_str()
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect();
        format!("{pascal}BudgetBurn")
    }
}

/// A number rounded to 10 decimals, so float noise never reaches a rule file.
pub fn tidy(x: f64) -> f64 {
    (x * 1e10).round() / 1e10
}

impl<'de> Deserialize<'de> for Slos {
    /// A list of tables; an absent `slo` (which the profile reader hands over as an empty
    /// table) is no SLO.
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = Slos;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of `[[slo]]` tables")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Slos, A::Error> {
                let mut slos = Vec::new();
                while let Some(slo) = seq.next_element()? {
                    slos.push(slo);
                }
                Ok(Slos(slos))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Slos, A::Error> {
                match map.next_key::<String>()? {
                    None => Ok(Slos::default()),
                    Some(_) => Err(de::Error::custom(
                        "`slo` is a list: write each SLO under its own `[[slo]]` header (two brackets)",
                    )),
                }
            }
        }
        d.deserialize_any(List)
    }
}

impl Component for Slos {
    const NAME: &'static str = "slo";
    const FILE: &'static str = "slo";

    fn enabled(&self) -> bool {
        !self.0.is_empty()
    }

    fn check(&self, stack: &Stack) -> Vec<Problem> {
        let mut problems: Vec<Problem> = self
            .0
            .iter()
            .enumerate()
            .flat_map(|(i, slo)| check_one(slo, &format!("slo[{i}]"), stack))
            .collect();
        problems.extend(duplicate_names(&self.0));
        problems
    }

    fn contribute(&self, stack: &Stack) -> Contributions {
        let slos: Vec<(usize, &Slo, Sli<'_>)> = self
            .0
            .iter()
            .enumerate()
            .filter_map(|(i, slo)| Some((i, slo, slo.sli()?)))
            .collect();
        Contributions {
            rule_groups: slos
                .iter()
                .flat_map(|(i, slo, sli)| rules::groups(slo, *sli, &format!("slo[{i}]"), stack))
                .collect(),
            dashboards: vec![dashboard::slos()],
            ..Contributions::default()
        }
    }

    fn build(&self, _cx: &Context<'_>) -> anyhow::Result<Vec<Object>> {
        Ok(Vec::new())
    }
}

/// The value checks of one entry; `key` is its path (`slo[0]`).
fn check_one(slo: &Slo, key: &str, stack: &Stack) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !(slo.objective > 0.0 && slo.objective < 100.0) {
        problems.push(Problem::error(
            format!("{key}.objective"),
            Code::SloObjectiveOutOfRange,
            format!(
                "objective {} is not a percentage strictly between 0 and 100",
                slo.objective
            ),
            "write the share of good events in percent, e.g. `objective = 99.9`",
        ));
    }
    problems.extend(unreachable_rows(slo, key));
    let longest = burn::longest_window();
    if slo.window < longest {
        problems.push(Problem::error(
            format!("{key}.window"),
            Code::SloWindowTooShort,
            format!(
                "window {} is shorter than {longest}, the longest burn-rate alert window",
                slo.window
            ),
            format!("use a window of at least {longest}; SLOs are usually counted over 28d or 30d"),
        ));
    }
    match slo.sli() {
        None => problems.push(sli_incomplete(slo, key)),
        Some(Sli::Ratio { good, total }) => {
            problems.extend(selector_problem(good, &format!("{key}.good")));
            problems.extend(selector_problem(total, &format!("{key}.total")));
        }
        Some(Sli::Latency(threshold)) => {
            problems.extend(not_a_bucket(threshold, &format!("{key}.latency"), stack));
        }
    }
    problems
}

/// A row whose threshold (factor × budget) is 100% or more can never fire: not even every
/// event failing passes it. Usual for objectives below about 93%, and for `0.999` written
/// where `99.9` was meant.
fn unreachable_rows(slo: &Slo, key: &str) -> Option<Problem> {
    if !(slo.objective > 0.0 && slo.objective < 100.0) {
        return None;
    }
    let budget = slo.error_budget();
    let rows: Vec<String> = burn::table()
        .iter()
        .filter(|w| w.factor(&slo.window) * budget >= 1.0)
        .map(|w| format!("{} over {}", w.kind(), w.long))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let help = if slo.objective < 1.0 {
        format!(
            "the objective is a percentage: did you mean `objective = {}`?",
            tidy(slo.objective * 100.0)
        )
    } else {
        "raise the objective, or accept that these burn rates are never alerted on".to_string()
    };
    Some(Problem::warning(
        format!("{key}.objective"),
        Code::SloBurnRateUnreachable,
        format!(
            "with an objective of {}% the error budget is {}, so its burn-rate rule{} ({}) would need more than every event to fail and can never fire",
            slo.objective,
            crate::contrib::rules::percent(budget),
            if rows.len() == 1 { "" } else { "s" },
            rows.join(", ")
        ),
        help,
    ))
}

fn sli_incomplete(slo: &Slo, key: &str) -> Problem {
    let message = match (&slo.good, &slo.total, &slo.latency) {
        (None, None, None) => "the SLO has no SLI".to_string(),
        (_, _, Some(_)) => "the SLO has both a latency and a ratio SLI".to_string(),
        (Some(_), None, None) => "the ratio SLI has `good` but no `total`".to_string(),
        _ => "the ratio SLI has `total` but no `good`".to_string(),
    };
    Problem::error(
        key.to_string(),
        Code::SloSliIncomplete,
        format!("{message} (slo `{}`)", slo.name),
        "give either `good` and `total` (PromQL selectors of two counters) or `latency` (a bucket boundary of the request-duration histogram)",
    )
}

/// A ratio SLI's selector must be one PromQL series selector (its rate is taken over each
/// window), such as `http_requests_total{service="x"}`.
fn selector_problem(text: &str, key: &str) -> Option<Problem> {
    use promql_parser::parser::Expr;
    let why = match crate::promql::parse(text) {
        Err(err) => format!("`{text}` is not PromQL: {}", err.trim()),
        Ok(Expr::VectorSelector(vs)) if vs.offset.is_none() && vs.at.is_none() => return None,
        Ok(_) => format!("`{text}` is not a plain series selector"),
    };
    Some(Problem::error(
        key.to_string(),
        Code::SloSelectorInvalid,
        why,
        "write the selector of a counter, without rate() or a range: e.g. `http_requests_total{service=\"todo-chatbot-backend\"}`",
    ))
}

fn not_a_bucket(threshold: &Duration, key: &str, stack: &Stack) -> Option<Problem> {
    let buckets = &stack.http_request_duration_buckets;
    if buckets.contains(threshold.seconds()) {
        return None;
    }
    let listed: Vec<String> = buckets.seconds().iter().map(|b| format!("{b}s")).collect();
    Some(Problem::error(
        key.to_string(),
        Code::SloLatencyNotABucket,
        format!(
            "latency {threshold} ({}s) is not a bucket boundary of http_request_duration_seconds, so no series counts the requests faster than it",
            threshold.seconds()
        ),
        format!(
            "use one of the boundaries ({}), or declare the applications' buckets in `stack.http_request_duration_buckets`",
            listed.join(", ")
        ),
    ))
}

/// Each name after the first use is refused: it labels the series and names the alert.
fn duplicate_names(slos: &[Slo]) -> Vec<Problem> {
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, slo) in slos.iter().enumerate() {
        let name = slo.name.as_str();
        match first.get(name) {
            Some(&at) => problems.push(Problem::error(
                format!("slo[{i}].name"),
                Code::SloDuplicateName,
                format!("slo `{name}` is defined twice (first as slo[{at}])"),
                "give every [[slo]] its own name: it labels the SLO's series and names its alert",
            )),
            None => {
                first.insert(name, i);
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests;
