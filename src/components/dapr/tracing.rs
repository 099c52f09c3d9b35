//! Dapr tracing: a `Configuration` (dapr.io/v1alpha1) in each application namespace, named in
//! the profile (the seed's `todo-chatbot-config`), which application pods select with the
//! annotation `dapr.io/config`. Its spans go to the collector Service another component
//! offers (`ServiceKind::OtlpGrpc`, `OtlpHttp` or `Zipkin`), never to a typed host name.
//!
//! Facts from dapr/dapr@v1.18.3 (pkg/apis/configuration/v1alpha1/types.go,
//! pkg/runtime/runtime.go, pkg/config/configuration.go): `samplingRate` is a string ("1" is
//! every trace; unset is 1e-4); the OTel exporter is silently not registered when `protocol`
//! is empty, so it is always written; `isSecure` defaults to true, so it is written false
//! (plain gRPC/HTTP inside the cluster); `endpointAddress` is `host:port` without a scheme.
//! Dapr's docs call Zipkin-for-Jaeger deprecated in favour of OTLP, so `otel` is the default.

use serde::{Deserialize, Serialize};

use crate::contrib::{Capability, Collected, Need, Prerequisite, ServiceKind};
use crate::diag::Code;
use crate::k8s::meta::App;
use crate::k8s::object::CustomObject;
use crate::model::{DnsLabel, Problem, Stack};

/// `[dapr.tracing]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Tracing {
    /// Render the tracing `Configuration` in every application namespace (needs Dapr's CRDs
    /// and control plane in the cluster; set false on clusters without Dapr).
    pub enabled: bool,
    /// Its name: application pods refer to it with `dapr.io/config: "<name>"`.
    pub config_name: DnsLabel,
    /// Share of traces sampled, 0 to 1 (1 = every request, the seed's value).
    pub sampling_rate: f64,
    /// `otel` (OTLP, the default) or `zipkin` (the seed's, deprecated for Jaeger by Dapr).
    pub exporter: Exporter,
    /// OTLP over `grpc` (port 4317, the default) or `http` (4318); `otel` only.
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Exporter {
    Otel,
    Zipkin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Grpc,
    Http,
}

impl Default for Tracing {
    fn default() -> Self {
        Tracing {
            enabled: true,
            config_name: DnsLabel::parse("todo-chatbot-config").expect("invariant: valid default"),
            sampling_rate: 1.0,
            exporter: Exporter::Otel,
            protocol: Protocol::Grpc,
        }
    }
}

/// `spec` of a Dapr `Configuration`, as far as tracing goes (TracingSpec in types.go).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigurationSpec {
    pub tracing: TracingSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TracingSpec {
    pub sampling_rate: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otel: Option<OtelSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zipkin: Option<ZipkinSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OtelSpec {
    pub protocol: &'static str,
    pub endpoint_address: String,
    pub is_secure: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZipkinSpec {
    pub endpoint_address: String,
}

impl Tracing {
    /// The receiver kind the chosen exporter sends to.
    pub fn receiver(&self) -> ServiceKind {
        match (self.exporter, self.protocol) {
            (Exporter::Zipkin, _) => ServiceKind::Zipkin,
            (Exporter::Otel, Protocol::Grpc) => ServiceKind::OtlpGrpc,
            (Exporter::Otel, Protocol::Http) => ServiceKind::OtlpHttp,
        }
    }

    pub fn check(&self) -> Option<Problem> {
        let r = self.sampling_rate;
        (!(0.0..=1.0).contains(&r)).then(|| {
            Problem::error(
                "dapr.tracing.sampling_rate",
                Code::SamplingRateOutOfRange,
                format!("sampling_rate = {r} is not between 0 and 1"),
                "write the share of traces to keep: 1 for every request, 0.1 for one in ten",
            )
        })
    }

    pub fn need(&self) -> Need {
        Need {
            capability: Capability::Service(self.receiver()),
            key: "dapr.tracing.enabled".into(),
            why: "the Dapr sidecars send their spans to it".into(),
        }
    }

    pub fn prerequisites() -> Vec<Prerequisite> {
        vec![
            Prerequisite {
                kind: "CustomResourceDefinition".into(),
                name: "configurations.dapr.io".into(),
                why: "the tracing Configuration is a Dapr custom resource".into(),
            },
            Prerequisite {
                kind: "controller".into(),
                name: "Dapr control plane (dapr-sidecar-injector, dapr-operator)".into(),
                why: "it injects the daprd sidecars that read the Configuration".into(),
            },
        ]
    }

    /// The spec, with the endpoint of the offered receiver.
    pub fn spec(&self, collected: &Collected) -> anyhow::Result<ConfigurationSpec> {
        let offer = collected.offer(self.receiver()).ok_or_else(|| {
            anyhow::anyhow!("no trace receiver is offered (the need is checked before build)")
        })?;
        let address = &offer.service;
        let (otel, zipkin) = match self.exporter {
            Exporter::Otel => (
                Some(OtelSpec {
                    protocol: match self.protocol {
                        Protocol::Grpc => "grpc",
                        Protocol::Http => "http",
                    },
                    endpoint_address: address.host_port(),
                    is_secure: false,
                }),
                None,
            ),
            Exporter::Zipkin => (
                None,
                Some(ZipkinSpec {
                    endpoint_address: format!("{}/api/v2/spans", address.http_url()),
                }),
            ),
        };
        Ok(ConfigurationSpec {
            tracing: TracingSpec {
                sampling_rate: self.sampling_rate.to_string(),
                otel,
                zipkin,
            },
        })
    }

    /// One `Configuration` per application namespace.
    pub fn objects(
        &self,
        stack: &Stack,
        collected: &Collected,
    ) -> anyhow::Result<Vec<CustomObject>> {
        let spec = serde_json::to_value(self.spec(collected)?)?;
        Ok(stack
            .app_namespaces
            .iter()
            .map(|ns| {
                let app = App {
                    name: "dapr",
                    component: "tracing-config",
                    instance: stack.name.as_str(),
                    namespace: ns.as_str(),
                };
                CustomObject {
                    api_version: "dapr.io/v1alpha1".into(),
                    kind: "Configuration".into(),
                    metadata: app.meta(self.config_name.as_str()),
                    spec: spec.clone(),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::k8s::Object;
    use crate::pipeline::{Compilation, compile_path};

    fn compile(profile: &str, sets: &[&str]) -> Compilation {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(profile);
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        compile_path(Some(&path), &sets)
            .expect("no internal error")
            .unwrap_or_else(|f| panic!("{profile} {sets:?} does not compile:\n{f}"))
    }

    /// The Service `name`'s DNS name and the number of its port `port_name`, as built.
    fn built_address(c: &Compilation, name: &str, port_name: &str) -> (String, i32) {
        c.manifest
            .objects()
            .find_map(|o| match o {
                Object::Service(s) if o.name() == name => {
                    let port = s
                        .spec
                        .as_ref()?
                        .ports
                        .as_ref()?
                        .iter()
                        .find(|p| p.name.as_deref() == Some(port_name))?;
                    Some((format!("{name}.{}.svc", o.namespace()?), port.port))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no Service {name} with port {port_name}"))
    }

    fn configurations(c: &Compilation) -> Vec<(String, serde_json::Value)> {
        c.manifest
            .objects()
            .filter_map(|o| match o {
                Object::Custom(cr) if cr.kind == "Configuration" => {
                    assert_eq!(cr.api_version, "dapr.io/v1alpha1");
                    Some((o.namespace()?.to_string(), cr.spec.clone()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn otel_endpoint_is_the_built_collector_service() {
        let c = compile("profiles/production.toml", &[]);
        let (host, port) = built_address(&c, "jaeger-collector", "otlp-grpc");
        let configs = configurations(&c);
        assert_eq!(configs.len(), c.stack.app_namespaces.len());
        for (ns, spec) in configs {
            assert!(c.stack.app_namespaces.iter().any(|a| a.as_str() == ns));
            let otel = &spec["tracing"]["otel"];
            assert_eq!(otel["endpointAddress"], format!("{host}:{port}"));
            // Both written explicitly: an empty protocol silently disables the exporter and
            // an absent isSecure means TLS.
            assert_eq!(otel["protocol"], "grpc");
            assert_eq!(otel["isSecure"], false);
            assert_eq!(spec["tracing"]["samplingRate"], "1");
            assert!(spec["tracing"].get("zipkin").is_none());
        }
    }

    #[test]
    fn zipkin_and_otlp_http_point_at_their_built_ports() {
        let c = compile(
            "profiles/production.toml",
            &[
                "dapr.tracing.exporter=\"zipkin\"",
                "dapr.tracing.sampling_rate=0.25",
            ],
        );
        let (host, port) = built_address(&c, "jaeger-collector", "zipkin");
        let (_, spec) = &configurations(&c)[0];
        assert_eq!(
            spec["tracing"]["zipkin"]["endpointAddress"],
            format!("http://{host}:{port}/api/v2/spans")
        );
        assert_eq!(spec["tracing"]["samplingRate"], "0.25");
        let c = compile(
            "profiles/production.toml",
            &["dapr.tracing.protocol=\"http\""],
        );
        let (host, port) = built_address(&c, "jaeger-collector", "otlp-http");
        let (_, spec) = &configurations(&c)[0];
        assert_eq!(
            spec["tracing"]["otel"]["endpointAddress"],
            format!("{host}:{port}")
        );
        assert_eq!(spec["tracing"]["otel"]["protocol"], "http");
    }

    #[test]
    fn tracing_off_renders_no_configuration_and_no_collector_is_refused() {
        let c = compile("profiles/production.toml", &["dapr.tracing.enabled=false"]);
        assert!(configurations(&c).is_empty());
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/production.toml");
        let failure = compile_path(Some(&path), &["jaeger.enabled=false".to_string()])
            .expect("no internal error")
            .expect_err("Dapr tracing without a collector is refused");
        let d = &failure.diagnostics[0];
        assert_eq!(d.code, crate::diag::Code::UnmetNeed);
        assert_eq!(d.key.as_deref(), Some("dapr.tracing.enabled"));
        assert!(
            d.help
                .as_deref()
                .unwrap_or_default()
                .contains("jaeger.enabled = true"),
            "{d:?}"
        );
    }

    #[test]
    fn sampling_rate_outside_zero_and_one_is_refused() {
        let t: super::Tracing = toml::from_str("sampling_rate = 1.5").unwrap();
        let p = t.check().expect("refused");
        assert_eq!(p.key, "dapr.tracing.sampling_rate");
        assert_eq!(p.diagnostic.code, crate::diag::Code::SamplingRateOutOfRange);
        let t: super::Tracing = toml::from_str("sampling_rate = 0.0").unwrap();
        assert!(t.check().is_none());
    }
}
