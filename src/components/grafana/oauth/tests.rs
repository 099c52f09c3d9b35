//! OAuth settings: the role path, the environment and the consistency checks.

use super::*;
use crate::diag::Code;

fn oauth(toml_text: &str) -> OAuth {
    toml::from_str(toml_text).expect("test settings parse")
}

const BASE: &str =
    "client_id = \"grafana\"\nclient_secret = { secret = \"sso\", key = \"client-secret\" }\n";

fn codes(o: &OAuth, has_host: bool) -> Vec<(String, Code)> {
    o.problems(has_host)
        .into_iter()
        .map(|p| (p.key, p.diagnostic.code))
        .collect()
}

fn secret(name: &str, s: &SecretKeyRef) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(format!("<{}/{}>", s.secret, s.key)),
        ..EnvVar::default()
    }
}

fn env_map(o: &OAuth) -> Vec<(String, String)> {
    o.env(secret)
        .into_iter()
        .map(|e| (e.name, e.value.unwrap_or_default()))
        .collect()
}

#[test]
fn groups_become_a_role_path_without_a_fallback() {
    let o = oauth(&format!(
        "provider = \"gitlab\"\n{BASE}[roles]\nadmin = [\"platform\"]\neditor = [\"dev\", \"qa\"]\n"
    ));
    assert_eq!(
        o.role_attribute_path().unwrap(),
        "(contains(groups[*], 'platform')) && 'Admin' || \
         (contains(groups[*], 'dev') || contains(groups[*], 'qa')) && 'Editor'"
    );
    assert!(codes(&o, true).is_empty(), "{:?}", codes(&o, true));
}

#[test]
fn the_client_secret_is_a_reference_and_google_gets_the_groups_scope() {
    let o = oauth(&format!(
        "provider = \"google\"\n{BASE}allowed_groups = [\"staff@example.com\"]\n"
    ));
    let env = env_map(&o);
    assert!(env.contains(&(
        "GF_AUTH_GOOGLE_CLIENT_SECRET".into(),
        "<sso/client-secret>".into()
    )));
    let scopes = env
        .iter()
        .find(|(k, _)| k == "GF_AUTH_GOOGLE_SCOPES")
        .unwrap();
    assert!(scopes.1.ends_with(GOOGLE_GROUPS_SCOPE), "{scopes:?}");
    assert!(env.contains(&("GF_AUTH_GOOGLE_USE_PKCE".into(), "true".into())));
}

#[test]
fn inconsistent_settings_are_reported_at_their_keys() {
    let o = oauth(&format!(
        "provider = \"generic\"\n{BASE}token_url = \"http://idp/token\"\nallowed_organizations = [\"acme\"]\n\
         strict_roles = true\n"
    ));
    let found = codes(&o, false);
    for expected in [
        ("grafana.oauth", Code::OauthWithoutHost),
        ("grafana.oauth.auth_url", Code::OauthUrlMissing),
        ("grafana.oauth.token_url", Code::OauthUrlInsecure),
        (
            "grafana.oauth.allowed_organizations",
            Code::OauthSettingUnused,
        ),
        ("grafana.oauth.strict_roles", Code::OauthNobodyAllowed),
    ] {
        assert!(
            found.contains(&(expected.0.into(), expected.1)),
            "{expected:?} not in {found:?}"
        );
    }
    let github = oauth(&format!(
        "provider = \"github\"\n{BASE}[roles]\nadmin = [\"platform\"]\n"
    ));
    assert!(
        codes(&github, true)
            .contains(&("grafana.oauth.roles.admin".into(), Code::InvalidGroupName))
    );
    let quoted = oauth(&format!(
        "provider = \"gitlab\"\n{BASE}[roles]\neditor = [\"it's\"]\n"
    ));
    assert!(
        codes(&quoted, true)
            .contains(&("grafana.oauth.roles.editor".into(), Code::InvalidGroupName))
    );
}
