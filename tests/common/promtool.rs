//! The file format of `promtool test rules` (Prometheus' unit tests for rules), shared by the
//! tests that write such files.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Serialize)]
pub struct TestFile {
    pub rule_files: Vec<String>,
    pub evaluation_interval: String,
    pub tests: Vec<TestGroup>,
}

#[derive(Serialize)]
pub struct TestGroup {
    pub name: String,
    pub interval: String,
    pub input_series: Vec<Series>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alert_rule_test: Vec<AlertTest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub promql_expr_test: Vec<ExprTest>,
}

#[derive(Serialize)]
pub struct Series {
    pub series: String,
    pub values: String,
}

#[derive(Serialize)]
pub struct AlertTest {
    pub eval_time: String,
    pub alertname: String,
    pub exp_alerts: Vec<ExpAlert>,
}

#[derive(Serialize)]
pub struct ExpAlert {
    pub exp_labels: BTreeMap<String, String>,
    pub exp_annotations: BTreeMap<String, String>,
}

#[derive(Serialize)]
pub struct ExprTest {
    pub expr: String,
    pub eval_time: String,
    pub exp_samples: Vec<Sample>,
}

#[derive(Serialize)]
pub struct Sample {
    pub labels: String,
    pub value: f64,
}
