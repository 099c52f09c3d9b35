//! prometheus.yml: global settings, where alerts go, and one scrape job per contributed
//! `contrib::ScrapeJob`, in registry order. Prometheus types no job of its own here: its
//! own target is a contribution like any other.

use serde::Serialize;

use super::extend::{Extensions, POD_NAME_ENV};
use super::{Prometheus, RULES_DIR, SECRETS_DIR};
use crate::contrib::{BasicAuth, Collected, ScrapeJob};
use crate::model::Stack;

/// The template's view of prometheus.yml.
#[derive(Debug, Serialize)]
pub struct ConfigFile<'a> {
    pub cluster: String,
    /// External labels set to the pod's name (`${POD_NAME}`), dropped from alerts.
    pub replica_labels: Vec<String>,
    pub pod_name_env: &'static str,
    pub scrape_interval: String,
    pub scrape_timeout: String,
    pub evaluation_interval: String,
    pub rules_glob: String,
    pub alertmanagers: Vec<String>,
    /// The Alertmanagers' login, when they ask for one.
    pub alertmanagers_auth: Option<Login>,
    pub jobs: Vec<Job<'a>>,
}

/// A scrape job and the login its targets ask for.
#[derive(Debug, Serialize)]
pub struct Job<'a> {
    #[serde(flatten)]
    pub job: &'a ScrapeJob,
    pub basic_auth: Option<Login>,
}

/// `basic_auth` with the password read from the mounted Secret, never written here.
#[derive(Debug, Serialize)]
pub struct Login {
    pub username: String,
    pub password_file: String,
}

impl Login {
    fn of(auth: &BasicAuth) -> Login {
        Login {
            username: auth.username.clone(),
            password_file: format!("{SECRETS_DIR}/{}/{}", auth.secret, auth.key),
        }
    }
}

pub fn config_file<'a>(
    p: &Prometheus,
    stack: &Stack,
    collected: &'a Collected,
    extensions: &Extensions,
) -> ConfigFile<'a> {
    ConfigFile {
        cluster: stack.name.to_string(),
        replica_labels: extensions.replica_labels.clone(),
        pod_name_env: POD_NAME_ENV,
        scrape_interval: p.scrape_interval.to_string(),
        scrape_timeout: p.scrape_timeout.to_string(),
        evaluation_interval: p.evaluation_interval.to_string(),
        rules_glob: format!("{RULES_DIR}/*.yml"),
        alertmanagers: collected
            .alert_receiver()
            .map(|r| r.targets.clone())
            .unwrap_or_default(),
        alertmanagers_auth: collected
            .alert_receiver()
            .and_then(|r| r.basic_auth.as_ref())
            .map(Login::of),
        jobs: collected
            .scrape_jobs()
            .map(|job| Job {
                job,
                basic_auth: job.basic_auth.as_ref().map(Login::of),
            })
            .collect(),
    }
}
