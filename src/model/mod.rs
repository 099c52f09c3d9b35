//! Stage 2: profile text → typed, defaulted settings. Each profile table is deserialized on its
//! own (so a mistake in one does not hide a mistake in another); unknown keys are rejected with a
//! suggestion; value checks that types cannot express run afterwards. No I/O, no Kubernetes.

pub mod alerts;
mod document;
pub mod endpoints;
pub mod placement;
pub mod pricing;
mod schema_check;
mod syntax;
pub mod units;

use serde::Deserialize;

use crate::diag::{Code, Diagnostic};
pub use document::Document;
pub(crate) use document::split_index;
pub use units::{
    ByteSize, DnsLabel, Duration, HostName, Image, LabelName, Quantity, SecretKeyName, SecretName,
    VolumeSize,
};

/// Settings shared by every component: the `[stack]` table.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Stack {
    /// Names this installation: `app.kubernetes.io/instance` and the `cluster` external label.
    pub name: DnsLabel,
    /// Namespace every component is deployed into (created by monstack).
    pub namespace: DnsLabel,
    /// StorageClass for every volume; unset or "" uses the cluster's default class.
    #[serde(deserialize_with = "empty_as_none")]
    pub storage_class: Option<DnsLabel>,
    /// Base of every alert's `runbook_url` annotation (`<base>/<AlertName>`).
    pub runbook_base_url: String,
    /// Namespaces whose application pods, Dapr sidecars and so on are monitored.
    pub app_namespaces: Vec<DnsLabel>,
    /// The label of the applications' `http_requests_total` holding the status code ("500",
    /// or "5xx" when the client library groups codes); `5..` counts as an error. Rules and
    /// dashboards both read it.
    pub http_status_label: LabelName,
    /// The label of `http_requests_total` holding the route (`route`, `handler`, `path`...).
    pub http_route_label: LabelName,
    /// The bucket boundaries (`le`, in seconds) of the applications'
    /// `http_request_duration_seconds` histogram: a latency SLO counts the requests under one
    /// of them. Default: the Go and Node.js client libraries' default buckets.
    pub http_request_duration_buckets: Buckets,
    /// Namespace of the node agents (node-exporter, the log agent): they need host access that
    /// the stack namespace's Pod Security level `restricted` forbids, so they run apart, in a
    /// namespace that enforces only what they need. Default: `<namespace>-agents`.
    #[serde(deserialize_with = "empty_as_none")]
    pub agents_namespace: Option<DnsLabel>,
    /// Render NetworkPolicies: every namespace of the stack denies ingress by default, and
    /// each component admits exactly the connections other components declare.
    pub network_policies: bool,
    /// The most nodes the cluster runs (the autoscaler's ceiling): every DaemonSet runs one
    /// pod per node, so quotas and cost count this many.
    pub nodes: NodeCount,
    /// Render a ResourceQuota and a LimitRange in every namespace of the stack, computed from
    /// the rendered pods' requests and limits (rolling-update surge included).
    pub resource_quotas: bool,
    /// Room the quotas leave above what the rendered pods need, in percent of it.
    pub quota_headroom_percent: Percent,
    /// Monthly prices for `monstack cost`; the defaults are DigitalOcean Kubernetes list
    /// prices (README "Cost").
    pub pricing: pricing::Pricing,
    /// Which nodes pods run on: a default for every pod and entries per component.
    pub placement: placement::Placement,
}

impl Default for Stack {
    fn default() -> Self {
        let label = |s: &str| DnsLabel::parse(s).expect("invariant: default names are valid");
        Stack {
            name: label("monitoring"),
            namespace: label("monitoring"),
            storage_class: None,
            runbook_base_url: "https://runbooks.example.com/alerts".into(),
            app_namespaces: vec![label("default")],
            http_status_label: LabelName::try_from("status".to_string())
                .expect("invariant: valid default"),
            http_route_label: LabelName::try_from("route".to_string())
                .expect("invariant: valid default"),
            http_request_duration_buckets: Buckets(DEFAULT_BUCKETS.to_vec()),
            agents_namespace: None,
            network_policies: true,
            nodes: NodeCount(3),
            resource_quotas: true,
            quota_headroom_percent: Percent(20),
            pricing: pricing::Pricing::default(),
            placement: placement::Placement::default(),
        }
    }
}

impl Stack {
    /// Where node agents run: `agents_namespace`, else `<namespace>-agents`.
    pub fn agents_namespace(&self) -> String {
        self.agents_namespace
            .as_ref()
            .map_or_else(|| format!("{}-agents", self.namespace), |n| n.to_string())
    }
}

/// A node count, 1 or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "u32")]
pub struct NodeCount(#[schemars(range(min = 1))] u32);

impl NodeCount {
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for NodeCount {
    type Error = &'static str;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        if n == 0 {
            Err("the cluster needs at least 1 node: set it to the most nodes the cluster runs")
        } else {
            Ok(NodeCount(n))
        }
    }
}

/// A whole percentage from 0 to 1000 (headroom above a computed amount).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "u32")]
pub struct Percent(#[schemars(range(max = 1000))] u32);

impl Percent {
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Percent {
    type Error = &'static str;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        if n > 1000 {
            Err("at most 1000 (percent): more headroom than that is no quota at all")
        } else {
            Ok(Percent(n))
        }
    }
}

/// The default buckets of the Prometheus client libraries for Go (`prometheus.DefBuckets`) and
/// Node.js (prom-client), in seconds.
const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A histogram's bucket boundaries in seconds: at least one, each above 0, strictly increasing
/// (`+Inf` is implied, as in the exposition format).
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "Vec<f64>")]
pub struct Buckets(Vec<f64>);

impl Buckets {
    pub fn seconds(&self) -> &[f64] {
        &self.0
    }

    /// Whether `seconds` is one of the boundaries.
    pub fn contains(&self, seconds: f64) -> bool {
        self.0.iter().any(|b| (b - seconds).abs() < 1e-9)
    }
}

impl TryFrom<Vec<f64>> for Buckets {
    type Error = &'static str;
    fn try_from(bounds: Vec<f64>) -> Result<Self, Self::Error> {
        let increasing = bounds.windows(2).all(|w| w[0] < w[1]);
        let positive = bounds.iter().all(|b| *b > 0.0 && b.is_finite());
        if bounds.is_empty() || !increasing || !positive {
            Err(
                "bucket boundaries are seconds above 0 in increasing order, e.g. [0.1, 0.25, 0.5, 1]",
            )
        } else {
            Ok(Buckets(bounds))
        }
    }
}

/// Reads "" as "not set", so a profile can unset what the profile it extends sets (TOML has
/// no null).
/// Use with `#[serde(default, deserialize_with = "crate::model::empty_as_none")]`.
pub fn empty_as_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let text = String::deserialize(d)?;
    if text.is_empty() {
        return Ok(None);
    }
    T::deserialize(serde::de::value::StrDeserializer::<D::Error>::new(&text)).map(Some)
}

/// A key of an existing Secret in the stack's namespace.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretKeyRef {
    /// Name of the Secret.
    pub secret: SecretName,
    /// Key inside the Secret.
    pub key: SecretKeyName,
}

/// `[<program>.web_auth]`: a Prometheus-style program's own basic auth (exporter-toolkit
/// `--web.config.file`), from a Secret you create with two keys: `web.yml` (the web config,
/// `basic_auth_users` with bcrypt hashes) and `password` (the plain password of `user`, which
/// the stack's own clients send). monstack never sees either value.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebAuth {
    /// `false` turns it off (e.g. in a profile that extends one that has it).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The Secret, in the stack's namespace.
    pub secret: SecretName,
    /// The user the stack's own clients (self-scrape, Grafana's datasource) log in as.
    #[serde(default = "web_auth_user")]
    pub user: DnsLabel,
}

fn yes() -> bool {
    true
}

fn web_auth_user() -> DnsLabel {
    DnsLabel::parse("monstack").expect("invariant: valid default")
}

impl WebAuth {
    /// The key holding the web config file.
    pub const WEB_CONFIG_KEY: &'static str = "web.yml";
    /// The key holding the clients' plain password.
    pub const PASSWORD_KEY: &'static str = "password";

    /// The credentials the stack's own clients send, when the auth is on.
    pub fn client(this: Option<&WebAuth>) -> Option<crate::contrib::BasicAuth> {
        this.filter(|w| w.enabled)
            .map(|w| crate::contrib::BasicAuth {
                username: w.user.to_string(),
                secret: w.secret.as_str().to_string(),
                key: WebAuth::PASSWORD_KEY.into(),
            })
    }

    /// The Secret the auth reads, when it is on: the web config the program reads and the
    /// password its clients send. `profile_key` is where the profile names it.
    pub fn secret_ref(
        this: Option<&WebAuth>,
        namespace: &str,
        profile_key: &str,
    ) -> Option<crate::contrib::SecretRef> {
        use crate::contrib::{SecretKey, SecretRef};
        let auth = this.filter(|w| w.enabled)?;
        Some(SecretRef {
            name: auth.secret.as_str().to_string(),
            namespace: namespace.to_string(),
            keys: vec![
                SecretKey::web_config(WebAuth::WEB_CONFIG_KEY, auth.user.as_str()),
                SecretKey::plain(
                    WebAuth::PASSWORD_KEY,
                    format!("password of {}, the same as hashed in web.yml", auth.user),
                ),
            ],
            profile_key: profile_key.into(),
            optional: false,
        })
    }
}

/// CPU and memory for one container.
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CpuMemory {
    pub cpu: Quantity,
    pub memory: ByteSize,
}

/// Requests and limits for one container. Both are required: every pod gets both.
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub requests: CpuMemory,
    pub limits: CpuMemory,
}

impl Resources {
    /// Builds resources from literal quantities (component defaults).
    pub fn new(requests: (&str, &str), limits: (&str, &str)) -> Self {
        let cpu = |s: &str| Quantity::parse(s).expect("invariant: default quantities are valid");
        let memory = |s: &str| ByteSize::parse(s).expect("invariant: default sizes are valid");
        Resources {
            requests: CpuMemory {
                cpu: cpu(requests.0),
                memory: memory(requests.1),
            },
            limits: CpuMemory {
                cpu: cpu(limits.0),
                memory: memory(limits.1),
            },
        }
    }

    /// (cpu, memory) of the requests and of the limits, as Kubernetes writes them.
    pub fn quantities(&self) -> ((&str, &str), (&str, &str)) {
        (
            (self.requests.cpu.as_str(), self.requests.memory.as_str()),
            (self.limits.cpu.as_str(), self.limits.memory.as_str()),
        )
    }

    /// Problems with requests above limits, keyed relative to `prefix` (`prometheus.resources`).
    pub fn check(&self, prefix: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        for (what, req, lim) in [
            ("cpu", &self.requests.cpu, &self.limits.cpu),
            ("memory", &*self.requests.memory, &*self.limits.memory),
        ] {
            if req.value() > lim.value() {
                problems.push(Problem::error(
                    format!("{prefix}.requests.{what}"),
                    Code::RequestAboveLimit,
                    format!("the {what} request ({req}) is above the {what} limit ({lim})"),
                    format!("lower requests.{what} to at most {lim}, or raise limits.{what}"),
                ));
            }
        }
        problems
    }
}

/// A value check's finding, keyed by the profile key path it is about.
#[derive(Debug, Clone)]
pub struct Problem {
    pub key: String,
    pub diagnostic: Diagnostic,
}

impl Problem {
    pub fn error(
        key: impl Into<String>,
        code: Code,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Problem {
            key: key.into(),
            diagnostic: Diagnostic::error(code, message).help(help),
        }
    }

    pub fn warning(
        key: impl Into<String>,
        code: Code,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Problem {
            key: key.into(),
            diagnostic: Diagnostic::warning(code, message).help(help),
        }
    }
}

/// Replica count with a sane range, so `replicas = 0` or `= 1000` is caught at render time.
pub fn check_replicas(key: &str, replicas: i32, max: i32) -> Option<Problem> {
    (!(1..=max).contains(&replicas)).then(|| {
        Problem::error(
            key,
            Code::ReplicasOutOfRange,
            format!("replicas = {replicas} is outside 1..={max}"),
            format!("set {key} between 1 and {max}; to remove the component set `enabled = false`"),
        )
    })
}

/// A profile table read into its type, or every problem that prevents it.
pub type Typed<T> = Result<T, Vec<Diagnostic>>;

/// Deserializes `[stack]`, reporting every problem in it.
pub fn resolve_stack(doc: &Document<'_>) -> Typed<Stack> {
    doc.section::<Stack>("stack")
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::profile::Source;

    fn source(text: &str) -> Vec<Source> {
        vec![Source {
            name: "test.toml".into(),
            text: text.into(),
        }]
    }

    #[test]
    fn unknown_key_names_its_path_and_suggests_the_right_one() {
        let src = source("[stack]\nnamespace = \"monitoring\"\nnamspace = \"x\"\n");
        let doc = Document::parse(&src).unwrap();
        let [err] = resolve_stack(&doc).unwrap_err().try_into().unwrap();
        assert_eq!(err.code, Code::UnknownKey);
        assert_eq!(err.key.as_deref(), Some("stack.namspace"));
        assert_eq!(err.help.as_deref(), Some("did you mean `namespace`?"));
        assert_eq!(err.at.as_ref().map(|a| a.line), Some(3));
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let src = source("[stack]\nname = \n");
        let failure = Document::parse(&src).err().unwrap();
        let at = failure.diagnostics[0].at.clone().unwrap();
        assert_eq!(at.line, 2);
        assert_eq!(failure.diagnostics[0].code, Code::TomlSyntax);
    }

    #[test]
    fn bad_value_is_located_at_the_value() {
        let src = source("[stack]\nnamespace = \"Monitoring\"\n");
        let doc = Document::parse(&src).unwrap();
        let [err] = resolve_stack(&doc).unwrap_err().try_into().unwrap();
        assert_eq!(err.key.as_deref(), Some("stack.namespace"));
        assert!(
            err.message.contains("not a valid Kubernetes name"),
            "{}",
            err.message
        );
        assert_eq!(err.at.unwrap().column, 13);
    }

    #[test]
    fn every_problem_of_one_table_is_reported() {
        let src = source(
            "[stack]\nnamspace = \"x\"\nname = \"Bad Name\"\napp_namespaces = [\"ok\", 7]\nhttp_status_label = \"status code\"\n",
        );
        let doc = Document::parse(&src).unwrap();
        let found: Vec<_> = resolve_stack(&doc)
            .unwrap_err()
            .into_iter()
            .map(|d| (d.code, d.key.unwrap(), d.at.unwrap().line))
            .collect();
        assert_eq!(
            found,
            [
                (Code::UnknownKey, "stack.namspace".to_string(), 2),
                (Code::InvalidValue, "stack.name".to_string(), 3),
                (Code::InvalidValue, "stack.app_namespaces".to_string(), 4),
                (Code::InvalidValue, "stack.http_status_label".to_string(), 5),
            ]
        );
    }

    #[test]
    fn requests_above_limits_are_reported_per_resource() {
        let r = Resources::new(("2", "1Gi"), ("1", "2Gi"));
        let problems = r.check("prometheus.resources");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].key, "prometheus.resources.requests.cpu");
    }
}
