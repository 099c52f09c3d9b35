//! Single sign-on: `[grafana.oauth]` becomes Grafana's `GF_AUTH_<PROVIDER>_*` settings. The
//! client secret is read from an existing Secret (`secretKeyRef`), and the provider's groups
//! map to Grafana roles through a `role_attribute_path` that monstack writes, so users list
//! group names instead of writing JMESPath.
//!
//! Grafana evaluates `role_attribute_path` first against the provider's user data and, when
//! that gives no role, against `{"groups": [...]}` (the groups it fetched). The path written
//! here therefore has no `|| 'Viewer'` fallback: a fallback would answer on the first pass and
//! the groups would never be looked at. Users in no listed group get Grafana's default role
//! (Viewer), or are refused with `strict_roles`.

use crate::diag::Code;
use k8s_openapi::api::core::v1::EnvVar;
use serde::Deserialize;

use super::SecretKeyRef;
use crate::model::Problem;

/// Google's groups come from the Cloud Identity API, which this scope unlocks.
const GOOGLE_GROUPS_SCOPE: &str = "https://www.googleapis.com/auth/cloud-identity.groups.readonly";

/// `[grafana.oauth]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuth {
    /// Configure the provider at all; `false` turns off SSO inherited from a parent profile.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `generic` (any OpenID Connect provider: Keycloak, Dex, Okta...), `github`, `google` or
    /// `gitlab`.
    pub provider: Provider,
    /// Label of the login button (generic only), e.g. "Keycloak".
    #[serde(default)]
    pub name: Option<String>,
    /// The OAuth application's client id (public, not a secret).
    pub client_id: String,
    /// The existing Secret and key holding the client secret.
    pub client_secret: SecretKeyRef,
    /// Scopes to request; empty uses Grafana's defaults for the provider (Google gets the
    /// Cloud Identity groups scope added when groups are used).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Authorization endpoint: required for `generic`, for self-hosted GitLab or GitHub
    /// Enterprise; not allowed for `google`.
    #[serde(default)]
    pub auth_url: Option<String>,
    /// Token endpoint (same rules as `auth_url`).
    #[serde(default)]
    pub token_url: Option<String>,
    /// User-info endpoint (same rules as `auth_url`, optional for `generic` when the ID token
    /// carries the user's email).
    #[serde(default)]
    pub api_url: Option<String>,
    /// `generic`: JMESPath to the user's groups in the ID token or user info (e.g. `groups`).
    #[serde(default)]
    pub groups_attribute_path: Option<String>,
    /// Only members of these groups may log in (`generic`, `gitlab`, `google`).
    #[serde(default)]
    pub allowed_groups: Vec<String>,
    /// `github` only: only members of these organizations may log in.
    #[serde(default)]
    pub allowed_organizations: Vec<String>,
    /// Which of the provider's groups get which Grafana role. GitHub groups are teams written
    /// `@org/team-slug`, Google groups are group email addresses, GitLab groups are paths.
    #[serde(default)]
    pub roles: RoleGroups,
    /// Refuse users who are in none of the role groups (else they become Viewers).
    #[serde(default)]
    pub strict_roles: bool,
    /// Bind each authorization code to its login with PKCE (not for `github`, whose OAuth
    /// apps Grafana does not use PKCE with). Turn off only for a provider that rejects it.
    #[serde(default = "yes")]
    pub use_pkce: bool,
}

fn yes() -> bool {
    true
}

/// The OAuth providers monstack configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Any OAuth2 / OpenID Connect provider (`[auth.generic_oauth]`).
    Generic,
    /// GitHub or GitHub Enterprise (`[auth.github]`).
    Github,
    /// Google Workspace (`[auth.google]`).
    Google,
    /// GitLab.com or self-managed GitLab (`[auth.gitlab]`).
    Gitlab,
}

/// `[grafana.oauth.roles]`: group names per Grafana role; the first matching role wins.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RoleGroups {
    /// Members of any of these groups are Admins of the organization.
    pub admin: Vec<String>,
    /// ...Editors.
    pub editor: Vec<String>,
    /// ...Viewers (only needed with `strict_roles`; everyone else is a Viewer anyway).
    pub viewer: Vec<String>,
}

impl Provider {
    fn section(self) -> &'static str {
        match self {
            Provider::Generic => "GENERIC_OAUTH",
            Provider::Github => "GITHUB",
            Provider::Google => "GOOGLE",
            Provider::Gitlab => "GITLAB",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Provider::Generic => "generic",
            Provider::Github => "github",
            Provider::Google => "google",
            Provider::Gitlab => "gitlab",
        }
    }
}

impl RoleGroups {
    fn by_role(&self) -> [(&'static str, &[String]); 3] {
        [
            ("Admin", &self.admin),
            ("Editor", &self.editor),
            ("Viewer", &self.viewer),
        ]
    }

    fn all(&self) -> impl Iterator<Item = &String> {
        self.admin.iter().chain(&self.editor).chain(&self.viewer)
    }

    fn is_empty(&self) -> bool {
        self.all().next().is_none()
    }
}

const KEY: &str = "grafana.oauth";

impl OAuth {
    /// `contains(groups[*], 'ops') && 'Admin' || contains(groups[*], 'dev') && 'Editor'`, or
    /// nothing when no role groups are listed.
    pub fn role_attribute_path(&self) -> Option<String> {
        let clauses: Vec<String> = self
            .roles
            .by_role()
            .into_iter()
            .filter(|(_, groups)| !groups.is_empty())
            .map(|(role, groups)| {
                let any: Vec<String> = groups
                    .iter()
                    .map(|g| format!("contains(groups[*], '{g}')"))
                    .collect();
                format!("({}) && '{role}'", any.join(" || "))
            })
            .collect();
        (!clauses.is_empty()).then(|| clauses.join(" || "))
    }

    fn uses_groups(&self) -> bool {
        !self.roles.is_empty() || !self.allowed_groups.is_empty()
    }

    fn scopes(&self) -> Vec<String> {
        if self.scopes.is_empty() && self.provider == Provider::Google && self.uses_groups() {
            return ["openid", "email", "profile", GOOGLE_GROUPS_SCOPE]
                .map(String::from)
                .to_vec();
        }
        self.scopes.clone()
    }

    /// The environment of the Grafana container; the client secret by reference only.
    pub fn env(&self, secret_env: impl Fn(&str, &SecretKeyRef) -> EnvVar) -> Vec<EnvVar> {
        let prefix = format!("GF_AUTH_{}_", self.provider.section());
        let var = |name: &str, value: String| EnvVar {
            name: format!("{prefix}{name}"),
            value: Some(value),
            ..EnvVar::default()
        };
        let mut env = vec![var("ENABLED", "true".into())];
        if let Some(name) = &self.name {
            env.push(var("NAME", name.clone()));
        }
        env.push(var("CLIENT_ID", self.client_id.clone()));
        env.push(secret_env(
            &format!("{prefix}CLIENT_SECRET"),
            &self.client_secret,
        ));
        let scopes = self.scopes();
        if !scopes.is_empty() {
            env.push(var("SCOPES", scopes.join(" ")));
        }
        let urls = [
            ("AUTH_URL", &self.auth_url),
            ("TOKEN_URL", &self.token_url),
            ("API_URL", &self.api_url),
        ];
        for (name, url) in urls {
            if let Some(url) = url {
                env.push(var(name, url.clone()));
            }
        }
        if let Some(path) = &self.groups_attribute_path {
            env.push(var("GROUPS_ATTRIBUTE_PATH", path.clone()));
        }
        if !self.allowed_groups.is_empty() {
            env.push(var("ALLOWED_GROUPS", self.allowed_groups.join(" ")));
        }
        if !self.allowed_organizations.is_empty() {
            env.push(var(
                "ALLOWED_ORGANIZATIONS",
                self.allowed_organizations.join(" "),
            ));
        }
        if let Some(path) = self.role_attribute_path() {
            env.push(var("ROLE_ATTRIBUTE_PATH", path));
        }
        env.push(var("ROLE_ATTRIBUTE_STRICT", self.strict_roles.to_string()));
        if self.provider != Provider::Github {
            env.push(var("USE_PKCE", self.use_pkce.to_string()));
        }
        env
    }

    /// Everything Grafana would reject at login time, reported at render time.
    pub fn problems(&self, has_host: bool) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut error = |key: &str, code: Code, message: String, help: &str| {
            out.push(Problem::error(format!("{KEY}{key}"), code, message, help));
        };
        if !has_host {
            error(
                "",
                Code::OauthWithoutHost,
                "OAuth needs grafana.host: the provider redirects back to https://<host>/login/<provider>".into(),
                "set grafana.host to the name users open Grafana at",
            );
        }
        if self.client_id.trim().is_empty() {
            error(
                ".client_id",
                Code::InvalidValue,
                "client_id is empty".into(),
                "copy the client id of the OAuth application",
            );
        }
        let provider = self.provider.name();
        let urls = [
            (".auth_url", &self.auth_url),
            (".token_url", &self.token_url),
            (".api_url", &self.api_url),
        ];
        for (key, url) in urls {
            match (self.provider, url) {
                (Provider::Google, Some(_)) => error(
                    key,
                    Code::OauthUrlNotAllowed,
                    format!(
                        "{provider} has fixed endpoints; Grafana refuses a custom {}",
                        &key[1..]
                    ),
                    "remove it",
                ),
                (Provider::Generic, None) if key != ".api_url" => error(
                    key,
                    Code::OauthUrlMissing,
                    format!("the generic provider needs {}", &key[1..]),
                    "copy it from your provider's OpenID configuration (/.well-known/openid-configuration)",
                ),
                (_, Some(url)) if !url.starts_with("https://") => error(
                    key,
                    Code::OauthUrlInsecure,
                    format!("`{url}` is not an https:// URL"),
                    "OAuth endpoints carry codes and tokens: use https",
                ),
                _ => {}
            }
        }
        if self.name.is_some() && self.provider != Provider::Generic {
            error(
                ".name",
                Code::OauthSettingUnused,
                format!("{provider} has its own login button label"),
                "remove name",
            );
        }
        if self.groups_attribute_path.is_some() && self.provider != Provider::Generic {
            error(
                ".groups_attribute_path",
                Code::OauthSettingUnused,
                format!("{provider} reads groups itself"),
                "remove groups_attribute_path",
            );
        }
        if !self.allowed_organizations.is_empty() && self.provider != Provider::Github {
            error(
                ".allowed_organizations",
                Code::OauthSettingUnused,
                "allowed_organizations is GitHub's".into(),
                "use allowed_groups",
            );
        }
        if !self.allowed_groups.is_empty() && self.provider == Provider::Github {
            error(
                ".allowed_groups",
                Code::OauthSettingUnused,
                "GitHub limits logins by organization".into(),
                "use allowed_organizations",
            );
        }
        for (list, names) in [
            (".allowed_groups", &self.allowed_groups),
            (".allowed_organizations", &self.allowed_organizations),
        ] {
            if let Some(bad) = names
                .iter()
                .find(|n| n.is_empty() || n.contains([' ', ',']))
            {
                error(
                    list,
                    Code::InvalidGroupName,
                    format!("`{bad}` has a space or comma, which Grafana reads as a separator"),
                    "list one group per entry, without spaces",
                );
            }
        }
        for (role, groups) in self.roles.by_role() {
            let key = format!(".roles.{}", role.to_lowercase());
            if let Some(bad) = groups
                .iter()
                .find(|g| g.is_empty() || g.contains(['\'', '\\']))
            {
                error(
                    &key,
                    Code::InvalidGroupName,
                    format!("`{bad}` cannot be written into a JMESPath string"),
                    "remove quotes and backslashes from the group name",
                );
            }
            if self.provider == Provider::Github
                && let Some(bad) = groups
                    .iter()
                    .find(|g| !(g.starts_with('@') && g.contains('/')))
            {
                error(
                    &key,
                    Code::InvalidGroupName,
                    format!("`{bad}` is not a GitHub team"),
                    "GitHub groups are teams written `@org/team-slug`",
                );
            }
        }
        if self.strict_roles && self.roles.is_empty() {
            error(
                ".strict_roles",
                Code::OauthNobodyAllowed,
                "strict_roles without role groups refuses every user".into(),
                "list groups under [grafana.oauth.roles] or drop strict_roles",
            );
        }
        if self.provider == Provider::Google
            && self.uses_groups()
            && !self.scopes.is_empty()
            && !self.scopes.iter().any(|s| s == GOOGLE_GROUPS_SCOPE)
        {
            error(
                ".scopes",
                Code::OauthGroupsScopeMissing,
                format!("Google returns no groups without the scope {GOOGLE_GROUPS_SCOPE}"),
                "add it to scopes, or leave scopes empty to get it by default",
            );
        }
        out
    }
}

#[cfg(test)]
mod tests;
