//! Values with a format, parsed once at the profile boundary so later stages never re-check
//! strings: Kubernetes quantities, Prometheus-style durations, pinned images, DNS names.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Implements Deserialize (from a TOML string, or number where `from_number` allows) and
/// Serialize (as the original text) for a type with `parse(&str) -> Result<Self, String>`.
macro_rules! string_value {
    ($ty:ty, $expecting:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$ty, E> {
                        <$ty>::parse(s).map_err(E::custom)
                    }
                    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<$ty, E> {
                        <$ty>::from_number(n).map_err(E::custom)
                    }
                }
                d.deserialize_any(V)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "description": $expecting })
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A Kubernetes resource quantity (`250m`, `2Gi`, `1`), kept as written and as a number.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    text: String,
    value: f64,
}

impl Quantity {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (number, suffix) = split_number(s);
        let multiplier = match suffix {
            "" => Some(1.0),
            "m" => Some(1e-3),
            "k" => Some(1e3),
            "M" => Some(1e6),
            "G" => Some(1e9),
            "T" => Some(1e12),
            "P" => Some(1e15),
            "E" => Some(1e18),
            "Ki" => Some(1024f64),
            "Mi" => Some(1024f64.powi(2)),
            "Gi" => Some(1024f64.powi(3)),
            "Ti" => Some(1024f64.powi(4)),
            "Pi" => Some(1024f64.powi(5)),
            "Ei" => Some(1024f64.powi(6)),
            _ => None,
        };
        let value = number
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0);
        match (value, multiplier) {
            (Some(v), Some(m)) if !number.starts_with('+') => Ok(Quantity {
                text: s.to_string(),
                value: v * m,
            }),
            _ => Err(quantity_hint(s)),
        }
    }

    fn from_number(n: i64) -> Result<Self, String> {
        Self::parse(&n.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The quantity in base units (cores for CPU, bytes for memory and storage).
    pub fn value(&self) -> f64 {
        self.value
    }
}

string_value!(
    Quantity,
    "a Kubernetes quantity such as \"250m\", \"512Mi\" or \"50Gi\""
);

fn split_number(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .unwrap_or(s.len());
    s.split_at(end)
}

fn quantity_hint(s: &str) -> String {
    let (number, suffix) = split_number(s.trim());
    let binary = match suffix.to_ascii_uppercase().as_str() {
        "KB" | "K" => Some("Ki"),
        "MB" => Some("Mi"),
        "GB" => Some("Gi"),
        "TB" => Some("Ti"),
        _ => None,
    };
    match binary {
        Some(unit) if !number.is_empty() => format!(
            "`{s}` is not a Kubernetes quantity: did you mean `{number}{unit}`? (units are Ki, Mi, Gi, Ti for bytes, m for millicores)"
        ),
        _ => format!(
            "`{s}` is not a Kubernetes quantity: write a number with an optional unit, e.g. \"250m\", \"512Mi\", \"50Gi\""
        ),
    }
}

/// A duration in Prometheus notation (`15s`, `5m`, `1h30m`, `15d`), as written and in ms.
/// Compares by length of time (`"4h" > "5m"`), never by text.
#[derive(Debug, Clone)]
pub struct Duration {
    text: String,
    millis: u64,
}

impl Duration {
    pub fn parse(s: &str) -> Result<Self, String> {
        const UNITS: [(&str, u64); 8] = [
            ("y", 365 * 86_400_000),
            ("w", 7 * 86_400_000),
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("ms", 1),
            ("m", 60_000),
            ("s", 1000),
            ("", 0),
        ];
        let bad = || {
            format!(
                "`{s}` is not a duration: write a number and a unit (ms, s, m, h, d, w, y), e.g. \"15s\", \"5m\", \"15d\" or \"1h30m\""
            )
        };
        let mut rest = s;
        let mut millis: u64 = 0;
        let mut last_rank = 0;
        if rest.is_empty() {
            return Err(bad());
        }
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 {
                return Err(bad());
            }
            let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            let (rank, (unit, scale)) = UNITS
                .iter()
                .enumerate()
                .find(|(_, (u, _))| !u.is_empty() && rest.starts_with(u))
                .ok_or_else(bad)?;
            // Units must appear largest first, each at most once, as Prometheus requires.
            if rank < last_rank || (rank == last_rank && millis > 0) {
                return Err(bad());
            }
            last_rank = rank;
            millis = n
                .checked_mul(*scale)
                .and_then(|v| millis.checked_add(v))
                .ok_or_else(bad)?;
            rest = &rest[unit.len()..];
        }
        Ok(Duration {
            text: s.to_string(),
            millis,
        })
    }

    fn from_number(_: i64) -> Result<Self, String> {
        Err("a duration needs a unit: write e.g. \"15s\", \"5m\" or \"15d\" as a string".into())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn millis(&self) -> u64 {
        self.millis
    }

    pub fn seconds(&self) -> f64 {
        self.millis as f64 / 1000.0
    }
}

impl PartialEq for Duration {
    fn eq(&self, other: &Self) -> bool {
        self.millis == other.millis
    }
}

impl Eq for Duration {}

impl PartialOrd for Duration {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Duration {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.millis.cmp(&other.millis)
    }
}

string_value!(Duration, "a duration such as \"15s\", \"5m\" or \"15d\"");

/// A container image pinned to a tag or digest; `latest` and untagged images are refused so a
/// render today and a render next month deploy the same program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    text: String,
}

impl Image {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.contains(char::is_whitespace) {
            return Err(format!("`{s}` is not an image reference"));
        }
        if s.contains("@sha256:") {
            return Ok(Image { text: s.into() });
        }
        let last = s.rsplit('/').next().unwrap_or(s);
        match last.split_once(':') {
            Some((_, "latest")) => Err(format!(
                "image `{s}` uses the `latest` tag: pin a version (e.g. `{}:v1.2.3`) so every render deploys the same program",
                s.trim_end_matches(":latest")
            )),
            Some((_, tag)) if !tag.is_empty() => Ok(Image { text: s.into() }),
            _ => Err(format!(
                "image `{s}` has no tag: pin a version, e.g. `{s}:v1.2.3`"
            )),
        }
    }

    fn from_number(_: i64) -> Result<Self, String> {
        Err("an image is a string such as \"quay.io/prometheus/prometheus:v3.14.0\"".into())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

string_value!(
    Image,
    "an image reference with a pinned tag, e.g. \"quay.io/prometheus/prometheus:v3.14.0\""
);

/// A DNS-1123 label (namespaces, Secret and Service names).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DnsLabel {
    text: String,
}

impl DnsLabel {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(DnsLabel { text: s.into() })
        } else {
            Err(format!(
                "`{s}` is not a valid Kubernetes name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. `{}`)",
                suggest_label(s)
            ))
        }
    }

    fn from_number(_: i64) -> Result<Self, String> {
        Err("a name is a string".into())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

string_value!(DnsLabel, "a lowercase DNS label such as \"monitoring\"");

fn suggest_label(s: &str) -> String {
    let cleaned: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    if trimmed.is_empty() {
        "monitoring".into()
    } else {
        trimmed.chars().take(63).collect()
    }
}

/// A DNS-1123 subdomain used as a host name (`grafana.example.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostName {
    text: String,
}

impl HostName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 253
            && s.split('.').all(|label| DnsLabel::parse(label).is_ok());
        if ok {
            Ok(HostName { text: s.into() })
        } else {
            Err(format!(
                "`{s}` is not a valid host name: use lowercase labels of letters, digits and '-' separated by dots, e.g. `prometheus.example.com`"
            ))
        }
    }

    fn from_number(_: i64) -> Result<Self, String> {
        Err("a host name is a string".into())
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

string_value!(HostName, "a host name such as \"grafana.example.com\"");

/// A Prometheus label name, checked when the profile is read because it is written into PromQL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
pub struct LabelName(String);

impl TryFrom<String> for LabelName {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let mut chars = s.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "`{s}` is not a Prometheus label name: use letters, digits and '_', not starting with a digit (e.g. \"status\" or \"code\")"
            ));
        }
        if s.starts_with("__") {
            return Err(format!(
                "`{s}` is reserved: label names starting with \"__\" belong to Prometheus"
            ));
        }
        Ok(LabelName(s))
    }
}

impl LabelName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_to_base_units() {
        assert_eq!(Quantity::parse("250m").unwrap().value(), 0.25);
        assert_eq!(
            Quantity::parse("2Gi").unwrap().value(),
            2.0 * 1024f64.powi(3)
        );
        assert_eq!(Quantity::parse("1").unwrap().value(), 1.0);
    }

    #[test]
    fn gigabytes_suggest_gibibytes() {
        let err = Quantity::parse("50GB").unwrap_err();
        assert!(err.contains("did you mean `50Gi`?"), "{err}");
        assert!(Quantity::parse("lots").is_err());
        assert!(Quantity::parse("-1").is_err());
    }

    #[test]
    fn durations_follow_prometheus_notation() {
        assert_eq!(Duration::parse("15s").unwrap().millis(), 15_000);
        assert_eq!(Duration::parse("1h30m").unwrap().millis(), 5_400_000);
        assert_eq!(Duration::parse("15d").unwrap().millis(), 15 * 86_400_000);
        assert_eq!(Duration::parse("500ms").unwrap().millis(), 500);
        assert!(Duration::parse("4h").unwrap() > Duration::parse("5m").unwrap());
        assert_eq!(
            Duration::parse("60s").unwrap(),
            Duration::parse("1m").unwrap()
        );
        for bad in ["15 days", "", "5", "m5", "5m1h", "1.5h"] {
            assert!(Duration::parse(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn images_must_be_pinned() {
        assert!(Image::parse("quay.io/prometheus/prometheus:v3.14.0").is_ok());
        assert!(Image::parse("localhost:5000/prom@sha256:abc").is_ok());
        assert!(
            Image::parse("prom/prometheus:latest")
                .unwrap_err()
                .contains("latest")
        );
        assert!(
            Image::parse("localhost:5000/prom")
                .unwrap_err()
                .contains("no tag")
        );
    }

    #[test]
    fn label_names_follow_prometheus_rules() {
        assert!(LabelName::try_from("status".to_string()).is_ok());
        let err = LabelName::try_from("status code".to_string()).unwrap_err();
        assert!(err.contains("not a Prometheus label name"), "{err}");
        let err = LabelName::try_from("__name__".to_string()).unwrap_err();
        assert!(err.contains("reserved"), "{err}");
    }

    #[test]
    fn names_follow_dns_rules() {
        assert!(DnsLabel::parse("monitoring").is_ok());
        assert!(
            DnsLabel::parse("Monitoring_NS")
                .unwrap_err()
                .contains("monitoring-ns")
        );
        assert!(HostName::parse("grafana.example.com").is_ok());
        assert!(HostName::parse("grafana..example.com").is_err());
    }
}
