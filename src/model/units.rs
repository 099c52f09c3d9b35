//! Values with a format, parsed once at the profile boundary so later stages never re-check
//! strings: Kubernetes quantities, Prometheus-style durations, pinned images, DNS names.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diag::Code;

/// Implements Deserialize (from a TOML string, or number where `from_number` allows),
/// Serialize (as the original text) and JsonSchema (a string of the named `format`, which the
/// schema check looks up in `FORMATS`) for a type with `parse(&str) -> Result<Self, String>`.
macro_rules! string_value {
    ($ty:ty, $format:literal, $expecting:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$ty, E> {
                        <$ty>::parse(s).map_err(|e| E::custom(Refusal::from(e).message))
                    }
                    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<$ty, E> {
                        <$ty>::from_number(n).map_err(|e| E::custom(Refusal::from(e).message))
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
                schemars::json_schema!({
                    "type": "string",
                    "format": $format,
                    "description": $expecting
                })
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
    "quantity",
    "a Kubernetes quantity such as \"250m\", \"512Mi\" or \"50Gi\""
);

/// Byte units of Kubernetes quantities, decimal and binary.
const BYTE_UNITS: &[&str] = &[
    "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
];

/// An amount of bytes (memory, a volume, a retention size) as a Kubernetes quantity with a
/// unit. A bare number is refused: Kubernetes reads `50` as 50 bytes, which is never what a
/// profile means (and made Prometheus' size limit 0MB, which means "no limit").
#[derive(Debug, Clone, PartialEq)]
pub struct ByteSize(Quantity);

impl ByteSize {
    pub fn parse(s: &str) -> Result<Self, Refusal> {
        let quantity = Quantity::parse(s)?;
        let (number, unit) = split_number(s);
        if unit.is_empty() {
            return Err(without_unit(number, "Mi"));
        }
        if unit == "m" {
            return Err(Refusal {
                code: Code::SizeWithoutUnit,
                message: format!(
                    "`{s}` is thousandths of a byte: `m` means milli, not mega or mebi"
                ),
                help: Some(format!("write mebibytes as Mi, e.g. \"{number}Mi\"")),
                hidden: false,
            });
        }
        debug_assert!(BYTE_UNITS.contains(&unit));
        Ok(ByteSize(quantity))
    }

    fn from_number(n: i64) -> Result<Self, Refusal> {
        Err(without_unit(&n.to_string(), "Mi"))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// The size of a persistent volume: a `ByteSize` of at least `VolumeSize::MIN`.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSize(ByteSize);

impl VolumeSize {
    /// Cloud block storage (DigitalOcean, EBS, Persistent Disk, Azure Disk) provisions at
    /// least 1 GiB, so a smaller request buys nothing and usually means a wrong unit.
    pub const MIN: &str = "1Gi";

    pub fn parse(s: &str) -> Result<Self, Refusal> {
        let size = ByteSize::parse(s).map_err(|r| match r.code {
            Code::SizeWithoutUnit if split_number(s).1.is_empty() => {
                without_unit(split_number(s).0, "Gi")
            }
            _ => r,
        })?;
        let min = Quantity::parse(Self::MIN).expect("invariant: MIN is a quantity");
        if size.value() < min.value() {
            return Err(Refusal {
                code: Code::VolumeTooSmall,
                message: format!(
                    "a volume of `{s}` is below the {} minimum: cloud block storage provisions at least {}, and the data needs room",
                    Self::MIN,
                    Self::MIN
                ),
                help: Some(format!(
                    "request at least \"{}\" (sizes are Ki, Mi, Gi, Ti)",
                    Self::MIN
                )),
                hidden: false,
            });
        }
        Ok(VolumeSize(size))
    }

    fn from_number(n: i64) -> Result<Self, Refusal> {
        Err(without_unit(&n.to_string(), "Gi"))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A bare number where a size with a unit belongs; `unit` is the likely one for the key.
fn without_unit(number: &str, unit: &str) -> Refusal {
    Refusal {
        code: Code::SizeWithoutUnit,
        message: format!("`{number}` has no unit, so Kubernetes would read it as {number} bytes"),
        help: Some(format!(
            "write the size as a string with a unit, e.g. \"{number}{unit}\" (units are Ki, Mi, Gi, Ti)"
        )),
        hidden: false,
    }
}

impl std::ops::Deref for ByteSize {
    type Target = Quantity;

    fn deref(&self) -> &Quantity {
        &self.0
    }
}

impl std::ops::Deref for VolumeSize {
    type Target = Quantity;

    fn deref(&self) -> &Quantity {
        &self.0
    }
}

string_value!(
    ByteSize,
    "byte-size",
    "an amount of bytes with a unit, such as \"512Mi\" or \"2Gi\""
);
string_value!(
    VolumeSize,
    "volume-size",
    "a volume size of at least 1Gi, such as \"10Gi\""
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

string_value!(
    Duration,
    "duration",
    "a duration such as \"15s\", \"5m\" or \"15d\""
);

/// A container image pinned to a tag (`repo:tag`) or, stronger, to a digest
/// (`repo:tag@sha256:<64 hex>`, the tag then only documents which version the digest is);
/// `latest` and untagged images are refused so a render today and a render next month deploy
/// the same program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    text: String,
}

impl Image {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.contains(char::is_whitespace) {
            return Err(format!("`{s}` is not an image reference"));
        }
        if let Some((name, digest)) = s.split_once('@') {
            check_digest(s, digest)?;
            return match Image::parse(name) {
                Ok(_) => Ok(Image { text: s.into() }),
                // A digest alone pins the image; only a `latest` tag beside it contradicts it.
                Err(_)
                    if !name.is_empty() && !name.ends_with(":latest") && !name.ends_with(':') =>
                {
                    Ok(Image { text: s.into() })
                }
                Err(e) => Err(e),
            };
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

/// The part after `@` of an image reference: `sha256:` and 64 lowercase hex digits.
fn check_digest(image: &str, digest: &str) -> Result<(), String> {
    let hex = digest.strip_prefix("sha256:").ok_or_else(|| {
        format!(
            "image `{image}`: the digest `{digest}` must start with `sha256:` (write `repo:tag@sha256:<64 hex digits>`)"
        )
    })?;
    let well_formed = hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "image `{image}`: `sha256:{hex}` is not a digest: it needs exactly 64 lowercase hex digits ({} given); copy it from `docker buildx imagetools inspect` or `crane digest`",
            hex.len()
        ))
    }
}

string_value!(
    Image,
    "image",
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

string_value!(
    DnsLabel,
    "dns-label",
    "a lowercase DNS label such as \"monitoring\""
);

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

/// The name of a Secret the user creates (`alertmanager-slack`): a DNS label, and never a
/// credential. A URL, a password or a token pasted here instead of a name is refused without
/// being repeated, since following a suggestion built from it would write it into the
/// manifests, and showing it would put it into logs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretName(DnsLabel);

impl SecretName {
    pub fn parse(s: &str) -> Result<Self, Refusal> {
        if looks_like_credential(s) {
            return Err(credential_refused(
                "the name of a Secret",
                "write the Secret's name here, e.g. \"alertmanager-slack\"",
            ));
        }
        DnsLabel::parse(s).map(SecretName).map_err(|_| Refusal {
            code: Code::InvalidValue,
            message: "not a valid Secret name (the value is not shown, in case it is a credential)".into(),
            help: Some(
                "name the Secret with at most 63 lowercase letters, digits and '-', e.g. \"alertmanager-slack\""
                    .into(),
            ),
            hidden: true,
        })
    }

    fn from_number(_: i64) -> Result<Self, Refusal> {
        Err(Refusal::from(
            "a Secret name is a string, e.g. \"alertmanager-slack\"".to_string(),
        ))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

string_value!(
    SecretName,
    "secret-name",
    "the name of an existing Secret in the stack's namespace, such as \"alertmanager-slack\""
);

/// The name of a key inside a Secret (`webhook-url`), as `kubectl create secret` accepts it;
/// refused without being repeated when it looks like the credential itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyName(String);

impl SecretKeyName {
    pub fn parse(s: &str) -> Result<Self, Refusal> {
        if looks_like_credential(s) {
            return Err(credential_refused(
                "the name of a key in a Secret",
                "write the key's name here, e.g. \"webhook-url\"",
            ));
        }
        let valid = !s.is_empty()
            && s.len() <= 253
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            && s != "."
            && !s.starts_with("..");
        if !valid {
            return Err(Refusal {
                code: Code::InvalidSecretKey,
                message: "not a valid Secret key (the value is not shown, in case it is a credential)".into(),
                help: Some(
                    "use letters, digits, '-', '_' and '.', as `kubectl create secret` does (e.g. \"webhook-url\")"
                        .into(),
                ),
                hidden: true,
            });
        }
        Ok(SecretKeyName(s.to_string()))
    }

    fn from_number(_: i64) -> Result<Self, Refusal> {
        Err(Refusal::from(
            "a Secret key is a string, e.g. \"webhook-url\"".to_string(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&SecretKeyName> for String {
    fn from(key: &SecretKeyName) -> String {
        key.0.clone()
    }
}

impl std::ops::Deref for SecretKeyName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

string_value!(
    SecretKeyName,
    "secret-key",
    "the name of a key in a Secret, such as \"webhook-url\""
);

/// Token prefixes of common services (Slack, GitHub, GitLab, OpenAI-style keys, AWS, JWTs).
const TOKEN_PREFIXES: &[&str] = &[
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "ghp_",
    "gho_",
    "ghs_",
    "github_pat_",
    "glpat-",
    "sk-",
    "AKIA",
    "eyJ",
];

/// Whether a value given as a name is more likely a credential or a URL: it has a scheme,
/// whitespace or punctuation no name has, a known token prefix, or looks random (long, with
/// letters and digits mixed, and no word separators or mixed case).
fn looks_like_credential(s: &str) -> bool {
    let punctuation = |c: char| "@:/+=?&%$!#*^~|\\<>{}[]'\"`,;()".contains(c);
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let letters = s.chars().filter(char::is_ascii_alphabetic).count();
    let separated = s.contains(['-', '.', '_']);
    let mixed_case =
        s.chars().any(|c| c.is_ascii_lowercase()) && s.chars().any(|c| c.is_ascii_uppercase());
    let random = s.len() >= 20 && digits >= 4 && letters >= 4 && (mixed_case || !separated);
    s.contains("://")
        || s.chars().any(|c| c.is_whitespace() || punctuation(c))
        || TOKEN_PREFIXES.iter().any(|p| s.starts_with(p))
        || random
}

fn credential_refused(what: &str, fix: &str) -> Refusal {
    Refusal {
        code: Code::SecretValueInProfile,
        message: format!(
            "this looks like a credential or a URL, but the key takes {what}; the value is not shown"
        ),
        help: Some(format!(
            "put the value into a Secret in the stack's namespace (kubectl -n <namespace> create secret generic <name> --from-literal=<key>=...), then {fix}"
        )),
        hidden: true,
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

string_value!(
    HostName,
    "host-name",
    "a host name such as \"grafana.example.com\""
);

/// A Prometheus label name, checked when the profile is read because it is written into PromQL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LabelName(String);

impl schemars::JsonSchema for LabelName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LabelName".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "label-name",
            "description": "A Prometheus label name: letters, digits and '_', not starting with a digit."
        })
    }
}

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

/// A TOML value a format is read from.
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    Str(&'a str),
    Int(i64),
}

/// Why a value of a format was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
    /// The value may be a credential: the diagnostic must not show it.
    pub hidden: bool,
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Refusal {
            code: Code::InvalidValue,
            message,
            help: None,
            hidden: false,
        }
    }
}

type FormatCheck = fn(Scalar<'_>) -> Result<(), Refusal>;

/// Reads a scalar the way a type's Deserialize does: strings through `parse`, integers
/// through `from_number`, anything else is the wrong type (`None`).
macro_rules! format_check {
    ($ty:ty) => {
        |value| match value {
            Scalar::Str(s) => <$ty>::parse(s).map(drop).map_err(Refusal::from),
            Scalar::Int(n) => <$ty>::from_number(n).map(drop).map_err(Refusal::from),
        }
    };
}

/// Every `format` the profile schema uses, with the check its type's Deserialize makes, so the
/// schema check reports each bad value of a table with the message reading it would give.
const FORMATS: &[(&str, FormatCheck)] = &[
    ("quantity", format_check!(Quantity)),
    ("byte-size", format_check!(ByteSize)),
    ("volume-size", format_check!(VolumeSize)),
    ("duration", format_check!(Duration)),
    ("image", format_check!(Image)),
    ("dns-label", format_check!(DnsLabel)),
    ("host-name", format_check!(HostName)),
    ("secret-name", format_check!(SecretName)),
    ("secret-key", format_check!(SecretKeyName)),
    ("label-name", |value| match value {
        Scalar::Str(s) => LabelName::try_from(s.to_string())
            .map(drop)
            .map_err(Refusal::from),
        Scalar::Int(_) => Err(Refusal::from("a label name is a string".to_string())),
    }),
];

/// Checks `value` against the schema format `format`; `None` for a format monstack does not
/// define (such as schemars' `int32`).
pub fn check_format(format: &str, value: Scalar<'_>) -> Option<Result<(), Refusal>> {
    FORMATS
        .iter()
        .find(|(name, _)| *name == format)
        .map(|(_, check)| check(value))
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
    fn sizes_need_a_byte_unit_and_volumes_a_minimum() {
        assert_eq!(
            ByteSize::parse("512Mi").unwrap().value(),
            512.0 * 1024.0 * 1024.0
        );
        assert!(ByteSize::parse("1G").is_ok());
        for bare in ["50", "0", "2000m"] {
            let refusal = ByteSize::parse(bare).unwrap_err();
            assert_eq!(refusal.code, Code::SizeWithoutUnit, "{bare}");
        }
        assert_eq!(
            ByteSize::from_number(50).unwrap_err().code,
            Code::SizeWithoutUnit
        );
        assert!(
            ByteSize::parse("50GB")
                .unwrap_err()
                .message
                .contains("50Gi")
        );

        assert!(VolumeSize::parse("1Gi").is_ok());
        let small = VolumeSize::parse("1023Mi").unwrap_err();
        assert_eq!(small.code, Code::VolumeTooSmall);
        let bare = VolumeSize::parse("50").unwrap_err();
        assert_eq!(
            bare.help.as_deref().map(|h| h.contains("\"50Gi\"")),
            Some(true)
        );
    }

    #[test]
    fn secret_names_refuse_credentials_without_repeating_them() {
        for name in [
            "alertmanager-slack",
            "grafana-admin",
            "team-a-pagerduty-2024",
        ] {
            assert!(SecretName::parse(name).is_ok(), "{name}");
        }
        for key in ["webhook-url", "admin.password", "ROUTING_KEY"] {
            assert!(SecretKeyName::parse(key).is_ok(), "{key}");
        }
        for pasted in [
            "https://hooks.slack.com/services/T0000/B0000/XXXX",
            "correct horse battery staple",
            "xoxb-1234567890-abcdefghijkl",
            "d41d8cd98f00b204e9800998ecf8427e",
            "AbCdEfGh1234IjKlMnOp5678",
            "p@ssw0rd!",
        ] {
            for refusal in [
                SecretName::parse(pasted).unwrap_err(),
                SecretKeyName::parse(pasted).unwrap_err(),
            ] {
                assert_eq!(refusal.code, Code::SecretValueInProfile, "{pasted}");
                assert!(refusal.hidden);
                let shown = format!("{} {:?}", refusal.message, refusal.help);
                assert!(!shown.contains(pasted), "{shown}");
            }
        }
        let bad_name = SecretName::parse("Alertmanager_Slack").unwrap_err();
        assert_eq!((bad_name.code, bad_name.hidden), (Code::InvalidValue, true));
        assert!(!bad_name.message.contains("Alertmanager_Slack"));
        let bad_key = SecretKeyName::parse("..x").unwrap_err();
        assert_eq!(
            (bad_key.code, bad_key.hidden),
            (Code::InvalidSecretKey, true)
        );
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
        let digest = "0123456789abcdef".repeat(4);
        assert!(Image::parse(&format!("localhost:5000/prom:v3.14.0@sha256:{digest}")).is_ok());
        assert!(Image::parse(&format!("localhost:5000/prom@sha256:{digest}")).is_ok());
        for bad in [
            "prom:v1@sha256:abc".to_string(),
            format!("prom:v1@sha256:{}", digest.to_uppercase()),
            format!("prom:v1@sha512:{digest}"),
            format!("prom:v1@sha256:{digest}0"),
            format!("prom:latest@sha256:{digest}"),
            format!("@sha256:{digest}"),
        ] {
            assert!(Image::parse(&bad).is_err(), "{bad} must be refused");
        }
        assert!(
            Image::parse("prom:v1@sha256:abc")
                .unwrap_err()
                .contains("64 lowercase hex digits (3 given)")
        );
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
