//! Alert settings as profiles write them: `{ enabled, ratio | p95, for }`, each key optional
//! with the alert's own default (also when a table sets only some of its keys). A component
//! declares one marker type per alert with its defaults, e.g.
//! `pub high_error_rate: RatioAlert<HighErrorRate>`.

use crate::diag::Code;
use std::marker::PhantomData;

use serde::Deserialize;

use super::{Duration, Problem};

/// The defaults of one alert.
pub trait AlertDefaults {
    /// How long the condition must hold before the alert fires.
    fn for_duration() -> Duration;
    /// The share above which a ratio alert fires.
    fn ratio() -> f64 {
        0.5
    }
    /// The latency above which a latency alert fires.
    fn p95() -> Duration {
        duration("1s")
    }
    /// The count above which a count alert fires.
    fn above() -> u64 {
        1000
    }
}

pub fn duration(text: &str) -> Duration {
    Duration::parse(text).expect("invariant: default durations are valid")
}

fn yes() -> bool {
    true
}

/// An alert on a share of a whole (5xx of all requests, usage of a limit) held for a while.
#[derive(Debug, Clone, schemars::JsonSchema)]
#[serde(deny_unknown_fields, bound = "")]
#[schemars(bound = "D: AlertDefaults")]
pub struct RatioAlert<D: AlertDefaults> {
    /// `false` leaves the alert out of the rule file.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Fires above this share, strictly between 0 and 1 (0.05 = 5%).
    #[serde(default = "D::ratio")]
    pub ratio: f64,
    /// ...once it has held this long.
    #[serde(rename = "for", default = "D::for_duration")]
    pub for_duration: Duration,
    #[serde(skip)]
    #[schemars(skip)]
    defaults: PhantomData<fn() -> D>,
}

/// An alert on a condition without a threshold (a target down, a partition offline).
#[derive(Debug, Clone, schemars::JsonSchema)]
#[serde(deny_unknown_fields, bound = "")]
#[schemars(bound = "D: AlertDefaults")]
pub struct ConditionAlert<D: AlertDefaults> {
    /// `false` leaves the alert out of the rule file.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Fires once the condition has held this long.
    #[serde(rename = "for", default = "D::for_duration")]
    pub for_duration: Duration,
    #[serde(skip)]
    #[schemars(skip)]
    defaults: PhantomData<fn() -> D>,
}

/// An alert on the 95th percentile of a latency.
#[derive(Debug, Clone, schemars::JsonSchema)]
#[serde(deny_unknown_fields, bound = "")]
#[schemars(bound = "D: AlertDefaults")]
pub struct LatencyAlert<D: AlertDefaults> {
    /// `false` leaves the alert out of the rule file.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Fires when the p95 latency is above this. It can only fire if the histogram has a
    /// bucket boundary above it.
    #[serde(default = "D::p95")]
    pub p95: Duration,
    /// ...once it has held this long.
    #[serde(rename = "for", default = "D::for_duration")]
    pub for_duration: Duration,
    #[serde(skip)]
    #[schemars(skip)]
    defaults: PhantomData<fn() -> D>,
}

/// An alert on a count (messages a consumer group is behind) above a limit, held for a while.
#[derive(Debug, Clone, schemars::JsonSchema)]
#[serde(deny_unknown_fields, bound = "")]
#[schemars(bound = "D: AlertDefaults")]
pub struct CountAlert<D: AlertDefaults> {
    /// `false` leaves the alert out of the rule file.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Fires when the count is above this.
    #[serde(default = "D::above")]
    pub above: u64,
    /// ...once it has held this long.
    #[serde(rename = "for", default = "D::for_duration")]
    pub for_duration: Duration,
    #[serde(skip)]
    #[schemars(skip)]
    defaults: PhantomData<fn() -> D>,
}

impl<D: AlertDefaults> Default for CountAlert<D> {
    fn default() -> Self {
        CountAlert {
            enabled: true,
            above: D::above(),
            for_duration: D::for_duration(),
            defaults: PhantomData,
        }
    }
}

/// Alert tables deserialize from a table only: serde's derived struct visitor would also take
/// a list, filling fields by position (`for_x = []` would silently mean all defaults), which
/// the schema check refuses. Each public type is read through a mirror of its fields.
mod table {
    use std::marker::PhantomData;

    use serde::Deserialize;
    use serde::de::{Deserializer, MapAccess, Visitor, value::MapAccessDeserializer};

    use super::{AlertDefaults, Duration, yes};

    /// Deserializes `T` from a map and nothing else.
    pub(super) fn only<'de, T: Deserialize<'de>, De: Deserializer<'de>>(
        d: De,
    ) -> Result<T, De::Error> {
        struct Table<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Table<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Table(PhantomData))
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, bound = "")]
    pub(super) struct Ratio<D: AlertDefaults> {
        #[serde(default = "yes")]
        pub(super) enabled: bool,
        #[serde(default = "D::ratio")]
        pub(super) ratio: f64,
        #[serde(rename = "for", default = "D::for_duration")]
        pub(super) for_duration: Duration,
        #[serde(skip)]
        pub(super) defaults: PhantomData<fn() -> D>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, bound = "")]
    pub(super) struct Condition<D: AlertDefaults> {
        #[serde(default = "yes")]
        pub(super) enabled: bool,
        #[serde(rename = "for", default = "D::for_duration")]
        pub(super) for_duration: Duration,
        #[serde(skip)]
        pub(super) defaults: PhantomData<fn() -> D>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, bound = "")]
    pub(super) struct Latency<D: AlertDefaults> {
        #[serde(default = "yes")]
        pub(super) enabled: bool,
        #[serde(default = "D::p95")]
        pub(super) p95: Duration,
        #[serde(rename = "for", default = "D::for_duration")]
        pub(super) for_duration: Duration,
        #[serde(skip)]
        pub(super) defaults: PhantomData<fn() -> D>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, bound = "")]
    pub(super) struct Count<D: AlertDefaults> {
        #[serde(default = "yes")]
        pub(super) enabled: bool,
        #[serde(default = "D::above")]
        pub(super) above: u64,
        #[serde(rename = "for", default = "D::for_duration")]
        pub(super) for_duration: Duration,
        #[serde(skip)]
        pub(super) defaults: PhantomData<fn() -> D>,
    }
}

impl<'de, D: AlertDefaults> Deserialize<'de> for RatioAlert<D> {
    fn deserialize<De: serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        let t: table::Ratio<D> = table::only(d)?;
        Ok(RatioAlert {
            enabled: t.enabled,
            ratio: t.ratio,
            for_duration: t.for_duration,
            defaults: t.defaults,
        })
    }
}

impl<'de, D: AlertDefaults> Deserialize<'de> for ConditionAlert<D> {
    fn deserialize<De: serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        let t: table::Condition<D> = table::only(d)?;
        Ok(ConditionAlert {
            enabled: t.enabled,
            for_duration: t.for_duration,
            defaults: t.defaults,
        })
    }
}

impl<'de, D: AlertDefaults> Deserialize<'de> for LatencyAlert<D> {
    fn deserialize<De: serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        let t: table::Latency<D> = table::only(d)?;
        Ok(LatencyAlert {
            enabled: t.enabled,
            p95: t.p95,
            for_duration: t.for_duration,
            defaults: t.defaults,
        })
    }
}

impl<'de, D: AlertDefaults> Deserialize<'de> for CountAlert<D> {
    fn deserialize<De: serde::Deserializer<'de>>(d: De) -> Result<Self, De::Error> {
        let t: table::Count<D> = table::only(d)?;
        Ok(CountAlert {
            enabled: t.enabled,
            above: t.above,
            for_duration: t.for_duration,
            defaults: t.defaults,
        })
    }
}

impl<D: AlertDefaults> Default for RatioAlert<D> {
    fn default() -> Self {
        RatioAlert {
            enabled: true,
            ratio: D::ratio(),
            for_duration: D::for_duration(),
            defaults: PhantomData,
        }
    }
}

impl<D: AlertDefaults> Default for ConditionAlert<D> {
    fn default() -> Self {
        ConditionAlert {
            enabled: true,
            for_duration: D::for_duration(),
            defaults: PhantomData,
        }
    }
}

impl<D: AlertDefaults> Default for LatencyAlert<D> {
    fn default() -> Self {
        LatencyAlert {
            enabled: true,
            p95: D::p95(),
            for_duration: D::for_duration(),
            defaults: PhantomData,
        }
    }
}

impl<D: AlertDefaults> RatioAlert<D> {
    /// A share must lie strictly between 0 and 1: at 0 the alert always fires, at 1 never.
    /// `key` is the alert's table, e.g. `applications.alerts.high_error_rate`.
    pub fn check(&self, key: &str) -> Option<Problem> {
        let ratio = self.ratio;
        (!(ratio > 0.0 && ratio < 1.0)).then(|| {
            Problem::error(
                format!("{key}.ratio"),
                Code::RatioOutOfRange,
                format!("{key}.ratio = {ratio} is not a share between 0 and 1"),
                "write the threshold as a fraction, e.g. 0.05 for 5% or 0.9 for 90%",
            )
        })
    }
}

impl<D: AlertDefaults> LatencyAlert<D> {
    pub fn check(&self, key: &str) -> Option<Problem> {
        (self.p95.millis() == 0).then(|| {
            Problem::error(
                format!("{key}.p95"),
                Code::InvalidValue,
                format!("{key}.p95 = \"0s\" would fire for every request"),
                "set the latency above which the alert fires, e.g. p95 = \"2s\"",
            )
        })
    }
}

/// The warning stage of a two-stage alert must fire before its critical stage: `warning` and
/// `critical` are the thresholds as written, `earlier` says whether the warning's is crossed
/// first (below the critical one for rising values, above it for falling ones).
pub fn stages_inverted(
    key: &str,
    (warning_name, warning): (&str, String),
    (critical_name, critical): (&str, String),
    earlier: bool,
    example: &str,
) -> Option<Problem> {
    (!earlier).then(|| {
        Problem::error(
            key.to_string(),
            Code::AlertStagesInverted,
            format!(
                "the warning stage {warning_name} ({warning}) fires only after the critical stage {critical_name} ({critical})"
            ),
            format!("the warning threshold must be crossed first (e.g. {example})"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Example;
    impl AlertDefaults for Example {
        fn for_duration() -> Duration {
            duration("5m")
        }
        fn ratio() -> f64 {
            0.05
        }
    }

    #[derive(Debug, Deserialize)]
    struct Table {
        #[serde(default)]
        a: RatioAlert<Example>,
    }

    #[test]
    fn a_partial_table_keeps_the_alerts_own_defaults() {
        let t: Table = toml::from_str("[a]\nfor = \"15m\"\n").unwrap();
        assert_eq!(t.a.ratio, 0.05);
        assert_eq!(t.a.for_duration.as_str(), "15m");
        assert!(t.a.enabled);
        let t: Table = toml::from_str("").unwrap();
        assert_eq!(t.a.for_duration.as_str(), "5m");
    }

    #[test]
    fn a_list_is_not_an_alert_table() {
        let err = toml::from_str::<Table>("a = []\n").unwrap_err();
        assert!(err.message().contains("a table"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<Table>("[a]\np99 = 1\n").unwrap_err();
        assert!(err.message().contains("unknown field `p99`"), "{err}");
    }

    #[test]
    fn ratios_outside_zero_and_one_are_reported_by_key() {
        let t: Table = toml::from_str("[a]\nratio = 5.0\n").unwrap();
        let p = t.a.check("x.alerts.a").unwrap();
        assert_eq!(p.key, "x.alerts.a.ratio");
        let t: Table = toml::from_str("[a]\nratio = nan\n").unwrap();
        assert!(t.a.check("x").is_some());
    }
}
