//! Every diagnostic code in one enum: stable kebab-case names that users grep for, that
//! `monstack explain CODE` looks up and that docs/diagnostics.md lists (generated from this
//! table; a test keeps it current). Each code has a one-line description and an example.
//! A code's name never changes once released: scripts and CI annotations match on it.

use std::fmt;

/// The stage that reports a code, which tells the user what to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Reading the profile: files, TOML, keys, types and value formats.
    Profile,
    /// Value checks of one component's settings that types cannot express.
    Settings,
    /// Checks of the rendered objects against each other; they find mistakes in monstack
    /// itself (a component that renders inconsistent objects), not in the profile.
    Output,
    /// Comparing the render with the previous one (`validate --previous`): changes that
    /// `kubectl apply` cannot make on a running stack.
    Upgrade,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Profile,
        Stage::Settings,
        Stage::Output,
        Stage::Upgrade,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Stage::Profile => "Reading the profile",
            Stage::Settings => "Settings that do not fit together",
            Stage::Output => "Checks of the rendered objects",
            Stage::Upgrade => "Upgrading a running stack",
        }
    }

    pub fn intro(self) -> &'static str {
        match self {
            Stage::Profile => {
                "The profile's files, TOML syntax, keys, types and value formats. Fix the marked value."
            }
            Stage::Settings => {
                "A component's settings are each valid but make no sense together, or not for a production stack."
            }
            Stage::Output => {
                "monstack checks the objects it rendered before writing them. These codes point at a \
                 mistake in monstack (a component renders objects that do not fit together), not in \
                 the profile: please report them with the profile that caused them."
            }
            Stage::Upgrade => {
                "`monstack validate --previous DIR` compares the render with the one applied before. \
                 These warnings name changes `kubectl apply` refuses or leaves behind, and the \
                 commands to use instead (README: Upgrade a running stack)."
            }
        }
    }
}

/// How to see a code happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Example {
    /// A whole profile that reports the code (`monstack validate my-stack.toml`); a test
    /// compiles every one of them.
    Profile(&'static str),
    /// A `monstack validate` command line that reports the code; tested like a profile.
    Command(&'static str),
    /// What such a message says, for checks no profile can trigger.
    Message(&'static str),
}

macro_rules! codes {
    ($(
        #[doc = $description:literal]
        $variant:ident = $name:literal, $stage:ident, $example:expr;
    )+) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $description] $variant,)+
        }

        impl Code {
            /// Every code, in the order of the reference.
            pub const ALL: &[Code] = &[$(Code::$variant,)+];

            /// The kebab-case name shown as `error[name]` and in JSON output.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)+
                }
            }

            /// One line: what the code means.
            pub fn description(self) -> &'static str {
                match self {
                    $(Code::$variant => $description.trim(),)+
                }
            }

            pub fn stage(self) -> Stage {
                match self {
                    $(Code::$variant => Stage::$stage,)+
                }
            }

            pub fn example(self) -> Example {
                use Example::*;
                match self {
                    $(Code::$variant => $example,)+
                }
            }
        }
    };
}

codes! {
    /// The profile file cannot be read: it does not exist, is a directory or is not UTF-8 text.
    ProfileUnreadable = "profile-unreadable", Profile,
        Command("monstack validate no-such-profile.toml");
    /// The profile has only comments, so the built-in defaults are rendered (a warning).
    ProfileSetsNothing = "profile-sets-nothing", Profile,
        Profile("# my stack: to be written\n");
    /// The profile named by `extends` does not exist (the path is relative to the extending profile).
    ExtendsMissing = "extends-missing", Profile,
        Profile("extends = \"no-such-parent.toml\"\n");
    /// A chain of `extends` comes back to a profile already in it.
    ExtendsCycle = "extends-cycle", Profile,
        Profile("extends = \"my-stack.toml\"\n");
    /// The profile is not valid TOML.
    TomlSyntax = "toml-syntax", Profile,
        Profile("[prometheus]\nreplicas = \n");
    /// A key or table is defined twice in one file.
    DuplicateKey = "duplicate-key", Profile,
        Profile("[prometheus]\nreplicas = 2\nreplicas = 3\n");
    /// A `--set` argument is not of the form KEY=VALUE.
    BadOverride = "bad-override", Profile,
        Command("monstack validate --set prometheus.replicas");
    /// A table or key that monstack does not know, usually a typo; the help names the closest known key.
    UnknownKey = "unknown-key", Profile,
        Profile("[prometheus]\nscrape_intervall = \"30s\"\n");
    /// A key that moved to another table when its source became a component of its own; the message names its new place.
    MovedKey = "moved-key", Profile,
        Profile("[prometheus.scrape]\ndapr = false\n");
    /// A key that has no default is missing from its table.
    MissingKey = "missing-key", Profile,
        Profile("[alertmanager.receivers.pagerduty]\nsecret = \"alertmanager-pagerduty\"\n");
    /// A value has the wrong TOML type, e.g. a quoted number or an unquoted word.
    WrongType = "wrong-type", Profile,
        Profile("[prometheus]\nreplicas = \"2\"\n");
    /// A whole number is outside what its key can hold; the message gives the range.
    NumberOutOfRange = "number-out-of-range", Profile,
        Profile("[prometheus]\nreplicas = 99999999999999999999\n");
    /// A memory or storage size is a bare number, which Kubernetes reads as bytes.
    SizeWithoutUnit = "size-without-unit", Profile,
        Profile("[prometheus]\nstorage = 50\n");
    /// A volume is smaller than the 1Gi that cloud block storage provisions at least.
    VolumeTooSmall = "volume-too-small", Profile,
        Profile("[alertmanager]\nstorage = \"50Ki\"\n");
    /// A credential or URL is written where the name of a Secret or of a key in one belongs; it is never shown.
    SecretValueInProfile = "secret-value-in-profile", Profile,
        Profile("[alertmanager.receivers]\nslack = { secret = \"https://hooks.slack.com/services/T000/B000/XXXX\", key = \"webhook-url\" }\n");
    /// A Secret key is not a valid key of a Kubernetes Secret (the value is not shown).
    InvalidSecretKey = "invalid-secret-key", Profile,
        Profile("[grafana.admin]\npassword_key = \"..password\"\n");
    /// A value has the right type but not an accepted form or value, e.g. a size in GB instead of Gi.
    InvalidValue = "invalid-value", Profile,
        Profile("[prometheus]\nstorage = \"50GB\"\n");

    /// A container requests more CPU or memory than its limit allows.
    RequestAboveLimit = "request-above-limit", Settings,
        Profile("[prometheus.resources]\nrequests = { cpu = \"2\", memory = \"512Mi\" }\nlimits = { cpu = \"1\", memory = \"2Gi\" }\n");
    /// A replica count is below 1 or above the component's sane maximum.
    ReplicasOutOfRange = "replicas-out-of-range", Settings,
        Profile("[prometheus]\nreplicas = 0\n");
    /// A store's volume cannot hold its retention at the expected load (capacity model; a warning): Prometheus deletes by size early, Loki and Elasticsearch stop writing.
    RetentionExceedsStorage = "retention-exceeds-storage", Settings,
        Profile("[prometheus]\nstorage = \"10Gi\"\nexpected_series = 1000000\n");
    /// A store's volume is more than 4 times what its retention needs at the expected load, and more than 10 GiB too large (capacity model; a warning).
    VolumeOversized = "volume-oversized", Settings,
        Profile("[elasticsearch]\nstorage = \"500Gi\"\n");
    /// A dashboard panel's query would scan more samples over the dashboard's time range than `prometheus.query.max_panel_samples` (a rough estimate from `expected_series`; a warning): read a recording rule instead.
    HeavyPanelQuery = "heavy-panel-query", Settings,
        Command("monstack validate --set prometheus.query.max_panel_samples=1000000");
    /// A store with volumes of data (Prometheus, Loki, Elasticsearch) is placed on nodes marked `spot` (a warning).
    StoreOnSpot = "store-on-spot", Settings,
        Profile("[stack.placement.components.prometheus]\nnode_selector = { \"doks.digitalocean.com/node-pool\" = \"spot\" }\nspot = true\n");
    /// `scrape_timeout` is longer than `scrape_interval`, which Prometheus refuses.
    TimeoutAboveInterval = "timeout-above-interval", Settings,
        Profile("[prometheus]\nscrape_interval = \"10s\"\nscrape_timeout = \"30s\"\n");
    /// `prometheus.retention.size` is larger than the volume it lives on.
    RetentionAboveStorage = "retention-above-storage", Settings,
        Profile("[prometheus]\nstorage = \"10Gi\"\n\n[prometheus.retention]\nsize = \"20Gi\"\n");
    /// An alert threshold written as a share is not between 0 and 1.
    RatioOutOfRange = "ratio-out-of-range", Settings,
        Profile("[applications.alerts]\nhigh_error_rate = { ratio = 5 }\n");
    /// Several kube-state-metrics replicas each export every object, duplicating every series (a warning).
    DuplicatedSeries = "duplicated-series", Settings,
        Profile("[kube_state_metrics]\nreplicas = 2\n");
    /// kube-state-metrics is enabled but exports no resource.
    NoExportedResources = "no-exported-resources", Settings,
        Profile("[kube_state_metrics]\nexported_resources = []\n");
    /// A component needs something no enabled component provides (Grafana needs a metrics datasource); the help names the component that would.
    UnmetNeed = "unmet-need", Settings,
        Profile("[prometheus]\nenabled = false\n");
    /// The critical stage of a two-stage alert would fire before its warning stage.
    AlertStagesInverted = "alert-stages-inverted", Settings,
        Profile("[node_exporter.alerts]\nfilesystem_almost_full = { ratio = 0.2 }\n");
    /// kube-state-metrics does not export a resource the stack's alerts read.
    AlertDataMissing = "alert-data-missing", Settings,
        Profile("[kube_state_metrics]\nexported_resources = [\"nodes\"]\n");
    /// Exporting Secrets or ConfigMaps lets kube-state-metrics read every value in the cluster (a warning).
    ReadsSecretValues = "reads-secret-values", Settings,
        Profile("[kube_state_metrics]\nexported_resources = [\"pods\", \"deployments\", \"statefulsets\", \"daemonsets\", \"nodes\", \"secrets\"]\n");
    /// Labels are allow-listed for a resource that kube-state-metrics does not export.
    AllowlistNotExported = "allowlist-not-exported", Settings,
        Profile("[kube_state_metrics.metric_labels_allowlist]\ningresses = [\"app\"]\n");
    /// `*` in the label allowlist exports every label of every object (a warning).
    AllLabelsExported = "all-labels-exported", Settings,
        Profile("[kube_state_metrics.metric_labels_allowlist]\npods = [\"*\"]\n");
    /// An entry of the label allowlist is not a Kubernetes label key.
    InvalidLabelKey = "invalid-label-key", Settings,
        Profile("[kube_state_metrics.metric_labels_allowlist]\npods = [\"app name\"]\n");
    /// A name used as a Prometheus label name is not one.
    InvalidLabelName = "invalid-label-name", Settings,
        Profile("[alertmanager]\ngroup_by = [\"alert name\"]\n");
    /// An Alertmanager interval is zero.
    IntervalZero = "interval-zero", Settings,
        Profile("[alertmanager]\ngroup_interval = \"0s\"\n");
    /// A repeat interval is shorter than `group_interval`, so it cannot take effect.
    RepeatBelowGroupInterval = "repeat-below-group-interval", Settings,
        Profile("[alertmanager]\ngroup_interval = \"10m\"\nrepeat_interval = \"5m\"\n");
    /// A repeat interval is longer than Alertmanager's retention, so notifications would repeat early.
    RepeatAboveRetention = "repeat-above-retention", Settings,
        Profile("[alertmanager]\nretention = \"24h\"\nrepeat_interval = \"48h\"\n");
    /// A route sends to an integration that has no receiver configured.
    ReceiverNotConfigured = "receiver-not-configured", Settings,
        Profile("[alertmanager.routes]\ncritical = [\"pagerduty\"]\n");
    /// A receiver is configured but no route sends to it (a warning).
    ReceiverUnused = "receiver-unused", Settings,
        Profile("[alertmanager.receivers]\nwebhook = { secret = \"alertmanager-webhook\", key = \"url\" }\n");
    /// A duration is not in the form Grafana's time picker reads (one number, one unit).
    InvalidGrafanaDuration = "invalid-grafana-duration", Settings,
        Profile("[grafana.dashboards]\nrefresh = \"1m30s\"\n");
    /// The dashboards' refresh is faster than their minimum refresh, so Grafana ignores it.
    RefreshBelowMinimum = "refresh-below-minimum", Settings,
        Profile("[grafana.dashboards]\nrefresh = \"10s\"\nmin_refresh = \"30s\"\n");
    /// Grafana single sign-on is configured but Grafana has no public host to return to.
    OauthWithoutHost = "oauth-without-host", Settings,
        Profile("[grafana.oauth]\nprovider = \"github\"\nclient_id = \"my-client\"\nclient_secret = { secret = \"grafana-oauth\", key = \"client-secret\" }\n");
    /// An endpoint URL is set for an OAuth provider whose endpoints are fixed.
    OauthUrlNotAllowed = "oauth-url-not-allowed", Settings,
        Profile("[grafana]\nhost = \"grafana.example.com\"\n\n[grafana.oauth]\nprovider = \"google\"\nclient_id = \"my-client\"\nclient_secret = { secret = \"grafana-oauth\", key = \"client-secret\" }\nauth_url = \"https://accounts.google.com/o/oauth2/v2/auth\"\n");
    /// The generic OAuth provider is missing an endpoint URL.
    OauthUrlMissing = "oauth-url-missing", Settings,
        Profile("[grafana]\nhost = \"grafana.example.com\"\n\n[grafana.oauth]\nprovider = \"generic\"\nclient_id = \"my-client\"\nclient_secret = { secret = \"grafana-oauth\", key = \"client-secret\" }\n");
    /// An OAuth endpoint is not an https:// URL.
    OauthUrlInsecure = "oauth-url-insecure", Settings,
        Profile("[grafana]\nhost = \"grafana.example.com\"\n\n[grafana.oauth]\nprovider = \"generic\"\nclient_id = \"my-client\"\nclient_secret = { secret = \"grafana-oauth\", key = \"client-secret\" }\nauth_url = \"http://sso.example.com/auth\"\ntoken_url = \"https://sso.example.com/token\"\n");
    /// An OAuth setting does not apply to the chosen provider.
    OauthSettingUnused = "oauth-setting-unused", Settings,
        Profile("[grafana]\nhost = \"grafana.example.com\"\n\n[grafana.oauth]\nprovider = \"github\"\nclient_id = \"my-client\"\nclient_secret = { secret = \"grafana-oauth\", key = \"client-secret\" }\nallowed_groups = [\"sre\"]\n");
    /// A group or team name cannot be used as the provider and Grafana read it.
    InvalidGroupName = "invalid-group-name", Settings,
        Profile("[grafana]\nhost = \"grafana.example.com\"\n\n[grafana.oauth]\nprovider = \"github\"\nclient_id = \"my-client\"\nclient_secret = { secret = \"grafana-oauth\", key = \"client-secret\" }\nroles = { admin = [\"sre\"] }\n");
    /// `strict_roles` is on but no group maps to a role, so every login is refused.
    OauthNobodyAllowed = "oauth-nobody-allowed", Settings,
        Profile("[grafana]\nhost = \"grafana.example.com\"\n\n[grafana.oauth]\nprovider = \"github\"\nclient_id = \"my-client\"\nclient_secret = { secret = \"grafana-oauth\", key = \"client-secret\" }\nstrict_roles = true\n");
    /// Google is asked for groups without the scope that returns them.
    OauthGroupsScopeMissing = "oauth-groups-scope-missing", Settings,
        Profile("[grafana]\nhost = \"grafana.example.com\"\n\n[grafana.oauth]\nprovider = \"google\"\nclient_id = \"my-client\"\nclient_secret = { secret = \"grafana-oauth\", key = \"client-secret\" }\nscopes = [\"openid\", \"email\"]\nallowed_groups = [\"sre@example.com\"]\n");
    /// The Elasticsearch heap is more than half its memory limit, leaving too little for Lucene's file cache and the JVM.
    HeapAboveHalfLimit = "heap-above-half-limit", Settings,
        Profile("[elasticsearch]\nheap = \"1536Mi\"\n");
    /// A trace sampling rate is not between 0 and 1.
    SamplingRateOutOfRange = "sampling-rate-out-of-range", Settings,
        Profile("[dapr.tracing]\nsampling_rate = 2.0\n");
    /// Jaeger's query lookback is shorter than the span retention, so kept traces cannot be found.
    LookbackBelowRetention = "lookback-below-retention", Settings,
        Profile("[jaeger]\nretention = \"7d\"\nquery_lookback = \"72h\"\n");

    /// More than one Loki replica on filesystem storage: each would keep its own logs.
    FilesystemReplicas = "filesystem-replicas", Settings,
        Profile("[loki]\nreplicas = 2\n");
    /// Loki's replication factor is above its replica count (or below 1), so every write fails.
    ReplicationAboveReplicas = "replication-above-replicas", Settings,
        Profile("[loki]\nreplication_factor = 3\n");
    /// Two Loki replicas: a write needs both, so pushes fail while one restarts (a warning).
    NoWriteQuorum = "no-write-quorum", Settings,
        Profile("[loki]\nreplicas = 2\n\n[loki.storage]\ntype = \"s3\"\nbucket = \"logs\"\nendpoint = \"fra1.digitaloceanspaces.com\"\nregion = \"fra1\"\ncredentials_secret = \"loki-s3\"\n");
    /// Object storage is chosen without its bucket, endpoint or credentials Secret.
    ObjectStorageIncomplete = "object-storage-incomplete", Settings,
        Profile("[loki.storage]\ntype = \"s3\"\n");
    /// Log retention is not a whole number of days, which the compactor cannot apply.
    RetentionNotWholeDays = "retention-not-whole-days", Settings,
        Profile("[loki]\nretention = \"36h\"\n");
    /// Thanos keeps raw samples in the bucket for less time than Prometheus keeps them on its own volume.
    RetentionBelowLocal = "retention-below-local", Settings,
        Profile("[thanos]\nenabled = true\nlocal_retention = \"7d\"\n\n[thanos.storage]\nbucket = \"metrics\"\nendpoint = \"fra1.digitaloceanspaces.com\"\ncredentials_secret = \"thanos-s3\"\n\n[thanos.retention]\nraw = \"3d\"\n");
    /// Thanos' per-resolution retentions are out of order (raw ≤ 5m ≤ 1h) or below the Compactor's minimum (raw 40h, 5m 10d).
    DownsamplingRetentionOrder = "downsampling-retention-order", Settings,
        Profile("[thanos]\nenabled = true\n\n[thanos.storage]\nbucket = \"metrics\"\nendpoint = \"fra1.digitaloceanspaces.com\"\ncredentials_secret = \"thanos-s3\"\n\n[thanos.retention]\ndownsampled_5m = \"400d\"\ndownsampled_1h = \"90d\"\n");
    /// An even number of master-eligible Elasticsearch nodes tolerates no more failures than one node fewer (a warning).
    EvenMasterNodes = "even-master-nodes", Settings,
        Profile("[elasticsearch]\nnodes = 2\n");
    /// Elasticsearch index replicas are at least the node count, so some stay unassigned and the cluster stays yellow.
    IndexReplicasAboveNodes = "index-replicas-above-nodes", Settings,
        Profile("[elasticsearch]\nnodes = 2\nindex_replicas = 2\n");
    /// A multi-node Elasticsearch cluster with security on has no transport TLS certificates.
    TransportTlsMissing = "transport-tls-missing", Settings,
        Profile("[elasticsearch]\nnodes = 3\npassword = { secret = \"elasticsearch-credentials\", key = \"password\" }\n");

    /// ingress-nginx is chosen to expose the UIs; it was retired in March 2026 and gets no security fixes (a warning).
    IngressNginxEndOfLife = "ingress-nginx-end-of-life", Settings,
        Profile("[access]\nmode = \"ingress-nginx\"\n\n[access.tls]\ncluster_issuer = \"letsencrypt\"\n\n[prometheus]\nhost = \"prometheus.example.com\"\n\n[alertmanager]\nhost = \"alertmanager.example.com\"\n\n[grafana]\nhost = \"grafana.example.com\"\n\n[jaeger]\nhost = \"jaeger.example.com\"\n");
    /// TLS is on for the exposed UIs but names no certificate source (cert-manager issuer or existing Secret).
    TlsSourceMissing = "tls-source-missing", Settings,
        Profile("[access]\nmode = \"gateway\"\n");
    /// TLS names more than one certificate source.
    TlsSourceAmbiguous = "tls-source-ambiguous", Settings,
        Profile("[access]\nmode = \"gateway\"\n\n[access.tls]\ncluster_issuer = \"letsencrypt\"\nsecret = \"monitoring-tls\"\n");
    /// The exposed UIs are served over plain HTTP, so logins cross the network readable (a warning).
    AccessWithoutTls = "access-without-tls", Settings,
        Profile("[access]\nmode = \"gateway\"\n\n[access.tls]\nenabled = false\n\n[prometheus]\nhost = \"prometheus.example.com\"\n\n[alertmanager]\nhost = \"alertmanager.example.com\"\n\n[grafana]\nhost = \"grafana.example.com\"\n\n[jaeger]\nhost = \"jaeger.example.com\"\n");
    /// TLS settings are given for an existing Gateway, whose own listeners terminate TLS (a warning).
    TlsOnExistingGateway = "tls-on-existing-gateway", Settings,
        Profile("[access]\nmode = \"gateway\"\n\n[access.gateway]\ncreate = false\n\n[access.tls]\ncluster_issuer = \"letsencrypt\"\n\n[prometheus]\nhost = \"prometheus.example.com\"\n\n[alertmanager]\nhost = \"alertmanager.example.com\"\n\n[grafana]\nhost = \"grafana.example.com\"\n\n[jaeger]\nhost = \"jaeger.example.com\"\n");
    /// A UI is exposed (its `expose` is on and `[access]` routes UIs) but has no host to be reached at.
    ExposedWithoutHost = "exposed-without-host", Settings,
        Profile("[access]\nmode = \"gateway\"\n\n[access.tls]\ncluster_issuer = \"letsencrypt\"\n");

    /// An SLO's objective is not a percentage strictly between 0 and 100.
    SloObjectiveOutOfRange = "slo-objective-out-of-range", Settings,
        Profile("[[slo]]\nname = \"api\"\nservice = \"api\"\nobjective = 100\nlatency = \"500ms\"\n");
    /// An SLO's window is shorter than its longest burn-rate alert window (3d).
    SloWindowTooShort = "slo-window-too-short", Settings,
        Profile("[[slo]]\nname = \"api\"\nservice = \"api\"\nobjective = 99.9\nwindow = \"1d\"\nlatency = \"500ms\"\n");
    /// An SLO has no SLI, both kinds, or only one of `good` and `total`.
    SloSliIncomplete = "slo-sli-incomplete", Settings,
        Profile("[[slo]]\nname = \"api\"\nservice = \"api\"\nobjective = 99.9\ngood = 'http_requests_total{service=\"api\", status!~\"5..\"}'\n");
    /// An SLO's `good` or `total` is not one PromQL series selector.
    SloSelectorInvalid = "slo-selector-invalid", Settings,
        Profile("[[slo]]\nname = \"api\"\nservice = \"api\"\nobjective = 99.9\ngood = 'rate(http_requests_total{status!~\"5..\"}[5m])'\ntotal = 'http_requests_total'\n");
    /// A latency SLO's threshold is not a bucket boundary of the request-duration histogram, so no series counts the requests under it.
    SloLatencyNotABucket = "slo-latency-not-a-bucket", Settings,
        Profile("[[slo]]\nname = \"api\"\nservice = \"api\"\nobjective = 99\nlatency = \"300ms\"\n");
    /// An SLO's error budget is so large that a burn-rate alert would need more than every event to fail, so it never fires (a warning; often `0.999` written for `99.9`).
    SloBurnRateUnreachable = "slo-burn-rate-unreachable", Settings,
        Profile("[[slo]]\nname = \"api\"\nservice = \"api\"\nobjective = 0.999\nlatency = \"500ms\"\n");
    /// Two SLOs have the same name, which labels their series and names their alert.
    SloDuplicateName = "slo-duplicate-name", Settings,
        Profile("[[slo]]\nname = \"api\"\nservice = \"api\"\nobjective = 99\nlatency = \"500ms\"\n\n[[slo]]\nname = \"api\"\nservice = \"api\"\nobjective = 99.9\nlatency = \"1s\"\n");

    /// Two components render the same object (kind, namespace and name).
    DuplicateObject = "duplicate-object", Output,
        Message("Service/monitoring/prometheus is rendered twice");
    /// A namespaced object has no namespace.
    MissingNamespace = "missing-namespace", Output,
        Message("ConfigMap/prometheus-config has no namespace");
    /// A Service, PodDisruptionBudget or NetworkPolicy selects no rendered pod.
    SelectorMatchesNothing = "selector-matches-nothing", Output,
        Message("Service/monitoring/prometheus selects {\"app.kubernetes.io/name\": \"prometheus\"}, which no rendered pod carries");
    /// A Service port targets a port no selected container declares.
    TargetPortMissing = "target-port-missing", Output,
        Message("Service/monitoring/prometheus port http targets \"web\"/TCP, which no selected container declares");
    /// A container mounts a volume its pod does not define.
    VolumeMissing = "volume-missing", Output,
        Message("container prometheus mounts volume rules, which the pod does not define");
    /// A pod's volume refers to a ConfigMap that is not rendered.
    ConfigMapMissing = "config-map-missing", Output,
        Message("volume config refers to ConfigMap prometheus-config, which is not rendered");
    /// A pod or binding refers to a ServiceAccount that is not rendered.
    ServiceAccountMissing = "service-account-missing", Output,
        Message("pod uses ServiceAccount prometheus, which is not rendered");
    /// A binding refers to a Role or ClusterRole that is not rendered.
    RoleMissing = "role-missing", Output,
        Message("ClusterRoleBinding/prometheus binds ClusterRole prometheus, which is not rendered");
    /// A pod reads a Secret that no profile setting names, so nobody is told to create it.
    SecretUndeclared = "secret-undeclared", Output,
        Message("pod reads Secret grafana-admin, which no profile setting names");
    /// An address a component offers to others has no rendered Service port behind it.
    AddressUnresolved = "address-unresolved", Output,
        Message("component alertmanager offers alertmanager.monitoring.svc:9093 (port http), but no rendered Service has that port");
    /// An Ingress routes to a Service or port that is not rendered.
    BackendMissing = "backend-missing", Output,
        Message("Ingress/monitoring/grafana routes to Service grafana port \"http\", which is not rendered");
    /// A provisioned dashboard file is not one JSON object.
    DashboardInvalid = "dashboard-invalid", Output,
        Message("overview.json is not valid JSON: expected value at line 1 column 1");
    /// A dashboard has no uid, or shares it with another dashboard.
    DashboardUid = "dashboard-uid", Output,
        Message("dashboard `Overview` (overview.json) reuses uid `monstack-overview`");
    /// A dashboard has no title, or shares it with another dashboard of its folder.
    DashboardTitle = "dashboard-title", Output,
        Message("dashboard `Overview` (overview.json): another dashboard has the same title");
    /// A dashboard is written for a schema version the pinned Grafana does not read.
    DashboardSchemaVersion = "dashboard-schema-version", Output,
        Message("dashboard `Overview` (overview.json) has schemaVersion 16, outside 36..=41");
    /// A panel, query or variable names a datasource that is not provisioned.
    DashboardDatasourceUnknown = "dashboard-datasource-unknown", Output,
        Message("dashboard `Overview` (overview.json), panel 1 `Requests` uses datasource \"loki\", which is not a provisioned datasource");
    /// A panel has no numeric id, or shares it with another panel.
    DashboardPanelId = "dashboard-panel-id", Output,
        Message("dashboard `Overview` (overview.json), panel 2 `Latency`: another panel has the same id");
    /// A panel has a type that Grafana does not ship.
    DashboardPanelType = "dashboard-panel-type", Output,
        Message("dashboard `Overview` (overview.json), panel 1 `Requests` has type `graph2`, which Grafana does not ship");
    /// A panel has no description.
    DashboardPanelDescription = "dashboard-panel-description", Output,
        Message("dashboard `Overview` (overview.json), panel 1 `Requests` has no description");
    /// Two panels share grid cells.
    DashboardPanelsOverlap = "dashboard-panels-overlap", Output,
        Message("dashboard `Overview` (overview.json), panel 2 `Errors` overlaps panel 1 `Requests`");
    /// A panel's position is outside Grafana's 24-column grid.
    DashboardGrid = "dashboard-grid", Output,
        Message("dashboard `Overview` (overview.json), panel 2 `Latency` has gridPos {\"x\":20,\"w\":8}, outside the 24-column grid");
    /// A panel's queries have an empty or repeated refId.
    DashboardTarget = "dashboard-target", Output,
        Message("dashboard `Overview` (overview.json), panel 1 `Requests`, query B: refId is empty or repeated");
    /// A dashboard variable is defined twice or has no name.
    DashboardVariable = "dashboard-variable", Output,
        Message("dashboard `Overview` (overview.json), variable `namespace` is defined twice or has no name");
    /// A query uses a dashboard variable that the dashboard does not define.
    DashboardVariableUndefined = "dashboard-variable-undefined", Output,
        Message("dashboard `Overview` (overview.json), panel 1 `Requests` uses $service, which the dashboard does not define");
    /// A PromQL expression of a rule or panel does not parse.
    PromqlInvalid = "promql-invalid", Output,
        Message("rule `HighErrorRate`: `sum(rate(http_requests_total[5m])` does not parse: unclosed left parenthesis");
    /// A panel queries a metric that no scraped job produces and no rule records.
    MetricNotProduced = "metric-not-produced", Output,
        Message("dashboard `Kafka` (kafka.json), panel 1 `Lag`: kafka_consumergroup_lag is produced by job kafka-exporter, which is not scraped");
    /// A field the API server does not let `kubectl apply` change on a running object (a StatefulSet's volume claims, a selector); a warning.
    ImmutableFieldChanged = "immutable-field-changed", Upgrade,
        Message("StatefulSet monitoring/prometheus: spec.volumeClaimTemplates cannot change in place; `kubectl apply` is refused for it");
    /// An object of the previous render that this one no longer contains: `kubectl apply -f` leaves it running; a warning.
    ObjectNoLongerRendered = "object-no-longer-rendered", Upgrade,
        Message("PodDisruptionBudget monitoring/prometheus is no longer rendered; `kubectl apply -f` leaves it in the cluster");
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::str::FromStr for Code {
    type Err = String;

    /// Looks a code up by name; the error suggests the closest name.
    fn from_str(name: &str) -> Result<Code, String> {
        let name = name.trim().to_ascii_lowercase();
        if let Some(code) = Code::ALL.iter().find(|c| c.name() == name) {
            return Ok(*code);
        }
        let names = Code::ALL.iter().map(|c| c.name());
        Err(match super::did_you_mean(&name, names) {
            Some(best) => format!("unknown diagnostic code `{name}`: did you mean `{best}`?"),
            None => {
                format!("unknown diagnostic code `{name}`: `monstack explain` lists every code")
            }
        })
    }
}

/// How `monstack explain CODE` shows one code.
pub fn explain(code: Code) -> String {
    let mut out = format!(
        "{} ({})\n\n{}\n\n",
        code.name(),
        code.stage().title().to_lowercase(),
        code.description()
    );
    let indent = |text: &str| {
        text.lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    match code.example() {
        Example::Profile(text) => {
            out.push_str(&format!("Example, {PROFILE_EXAMPLE}:\n\n{}", indent(text)));
        }
        Example::Command(command) => out.push_str(&format!("Example:\n\n{}", indent(command))),
        Example::Message(message) => {
            out.push_str(&format!("Example message:\n\n{}", indent(message)))
        }
    }
    out
}

/// Where a profile example lives, as the example-running test reads it.
const PROFILE_EXAMPLE: &str = "my-stack.toml checked with `monstack validate my-stack.toml`";

/// docs/diagnostics.md: every code, grouped by stage, with its description and example.
pub fn reference() -> String {
    let mut out = String::from(
        "<!-- Generated from src/diag/code.rs by `monstack explain > docs/diagnostics.md`; do not edit. -->\n\
         # Diagnostic codes\n\n\
         Every problem monstack reports carries a stable code, shown as `error[code]` or\n\
         `warning[code]` and as `code` in `monstack validate --format json`. Warnings become\n\
         errors with `--strict`. `monstack explain CODE` prints one entry of this page.\n",
    );
    for stage in Stage::ALL {
        out.push_str(&format!("\n## {}\n\n{}\n", stage.title(), stage.intro()));
        for code in Code::ALL.iter().filter(|c| c.stage() == stage) {
            out.push_str(&format!(
                "\n### `{}`\n\n{}\n\n",
                code.name(),
                code.description()
            ));
            match code.example() {
                Example::Profile(text) => {
                    out.push_str(&format!(
                        "Example, {PROFILE_EXAMPLE}:\n\n```toml\n{text}```\n"
                    ));
                }
                Example::Command(command) => {
                    out.push_str(&format!("Example:\n\n```sh\n{command}\n```\n"))
                }
                Example::Message(message) => {
                    out.push_str(&format!("Example message:\n\n> {message}\n"))
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let name = code.name();
            assert!(seen.insert(name), "{name} is used twice");
            assert!(
                name.split('-').all(|w| !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
                "{name} is not kebab-case"
            );
            assert_eq!(name.parse::<Code>(), Ok(*code));
        }
    }

    #[test]
    fn every_code_is_documented_on_one_line() {
        for code in Code::ALL {
            let d = code.description();
            assert!(!d.is_empty() && !d.contains('\n'), "{code}: {d:?}");
            assert!(
                d.ends_with('.') || d.ends_with(')'),
                "{code}: end the sentence: {d:?}"
            );
            let example = match code.example() {
                Example::Profile(t) | Example::Command(t) | Example::Message(t) => t,
            };
            assert!(!example.trim().is_empty(), "{code}");
        }
    }

    #[test]
    fn an_unknown_code_suggests_the_closest() {
        let err = "unknown-keys".parse::<Code>().unwrap_err();
        assert!(err.contains("did you mean `unknown-key`?"), "{err}");
        let err = "colour".parse::<Code>().unwrap_err();
        assert!(err.contains("monstack explain"), "{err}");
    }

    #[test]
    fn explain_shows_description_and_example() {
        let text = explain(Code::UnknownKey);
        assert!(
            text.starts_with("unknown-key (reading the profile)\n"),
            "{text}"
        );
        assert!(text.contains(Code::UnknownKey.description()), "{text}");
        assert!(text.contains("    scrape_intervall = \"30s\""), "{text}");
    }
}
