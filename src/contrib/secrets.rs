//! The Secrets a component reads: monstack never renders one, so each component states which
//! Secret it expects, in which namespace, with which keys and in what format, and the
//! `secrets` command turns that into the `kubectl create secret` the user runs first.
//!
//! Vocabulary only: no Kubernetes objects, no I/O, never a value.

use serde::Serialize;

/// A Secret the user creates and the profile names; monstack only refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub name: String,
    /// The namespace of the pods that read it (a Secret is only readable in its own).
    pub namespace: String,
    /// The keys read, each with what it holds.
    pub keys: Vec<SecretKey>,
    /// The profile key that names the Secret.
    pub profile_key: String,
    /// Whether the workload starts without it.
    pub optional: bool,
}

/// One data key of a Secret and what its value must be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretKey {
    pub key: String,
    /// What the value is, as a short noun phrase ("admin password"); it is also the
    /// placeholder in the example command.
    pub holds: String,
    pub format: ValueFormat,
    /// The user a `WebConfig` value lets in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// The form a program expects a value in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueFormat {
    /// The value itself (a password, a token, a URL).
    Plain,
    /// htpasswd lines `user:{SHA}hash` (Envoy Gateway's basic auth accepts only these).
    HtpasswdSha,
    /// htpasswd lines `user:$apr1$...` (ingress-nginx's auth-file; apr1 works on every libc).
    HtpasswdApr1,
    /// A PEM file (a certificate chain or its key), read from disk.
    PemFile,
    /// A bare bcrypt hash (the `basic_auth_users` of a Prometheus-style `web.yml`).
    Bcrypt,
    /// A whole Prometheus-style `web.yml` letting one user in with a bcrypt hash.
    WebConfig,
    /// The contents of a file (a PEM certificate or key), read with `--from-file`.
    File,
}

impl SecretKey {
    /// A key whose value is used as it is.
    pub fn plain(key: impl Into<String>, holds: impl Into<String>) -> SecretKey {
        SecretKey {
            key: key.into(),
            holds: holds.into(),
            format: ValueFormat::Plain,
            user: None,
        }
    }

    /// A Prometheus-style `web.yml` (exporter-toolkit web config) that lets `user` in.
    pub fn web_config(key: impl Into<String>, user: impl Into<String>) -> SecretKey {
        SecretKey {
            key: key.into(),
            holds: "web config with the bcrypt hash of the password".into(),
            format: ValueFormat::WebConfig,
            user: Some(user.into()),
        }
    }

    /// The same key, holding a hashed value instead.
    pub fn hashed(self, format: ValueFormat) -> SecretKey {
        SecretKey { format, ..self }
    }

    /// The `kubectl create secret generic` argument for this key, with a placeholder where
    /// the value goes. Hashed values come from `htpasswd`, which prompts for the password, so
    /// the password itself never appears on the command line. (No backslashes: the README's
    /// examples are compared with path separators normalized.)
    pub fn from_literal(&self) -> String {
        let key = &self.key;
        match self.format {
            ValueFormat::Plain => format!("--from-literal={key}='<{}>'", self.holds),
            ValueFormat::HtpasswdSha => {
                format!("--from-literal={key}=\"$(htpasswd -ns '<user>')\"")
            }
            ValueFormat::HtpasswdApr1 => {
                format!("--from-literal={key}=\"$(htpasswd -nm '<user>')\"")
            }
            ValueFormat::WebConfig => {
                let user = self.user.as_deref().unwrap_or("<user>");
                format!(
                    "--from-literal={key}=\"basic_auth_users: {{{user}: '$(htpasswd -nBC 10 '' | cut -d: -f2)'}}\""
                )
            }
            ValueFormat::PemFile => format!("--{}='<{}>'", tls_flag(key), self.holds),
            ValueFormat::File => format!("--from-file={key}='<{} file>'", self.holds),
            ValueFormat::Bcrypt => {
                format!("--from-literal={key}=\"$(htpasswd -nBC 10 '' | cut -d: -f2)\"")
            }
        }
    }
}

/// `kubectl create secret tls`'s flag for a key of a `kubernetes.io/tls` Secret.
fn tls_flag(key: &str) -> &'static str {
    if key == "tls.key" { "key" } else { "cert" }
}

/// A command that creates the Secret `namespace/name` with these keys, with placeholders
/// for the values. One line, so it can be copied whole. PEM files make a
/// `kubernetes.io/tls` Secret (`create secret tls`), which gateways and ingresses require.
pub fn create_command(namespace: &str, name: &str, keys: &[SecretKey]) -> String {
    let kind = if keys.iter().any(|k| k.format == ValueFormat::PemFile) {
        "tls"
    } else {
        "generic"
    };
    let mut command = format!("kubectl -n {namespace} create secret {kind} {name}");
    for key in keys {
        command.push(' ');
        command.push_str(&key.from_literal());
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys_get_a_quoted_placeholder() {
        let keys = [
            SecretKey::plain("user", "user name"),
            SecretKey::plain("password", "password"),
        ];
        assert_eq!(
            create_command("monitoring", "web-auth", &keys),
            "kubectl -n monitoring create secret generic web-auth \
             --from-literal=user='<user name>' --from-literal=password='<password>'"
        );
    }

    #[test]
    fn hashed_keys_are_produced_by_htpasswd_which_prompts_for_the_password() {
        let envoy =
            SecretKey::plain(".htpasswd", "htpasswd lines").hashed(ValueFormat::HtpasswdSha);
        assert_eq!(
            envoy.from_literal(),
            r#"--from-literal=.htpasswd="$(htpasswd -ns '<user>')""#
        );
        let nginx = SecretKey::plain("auth", "htpasswd lines").hashed(ValueFormat::HtpasswdApr1);
        assert_eq!(
            nginx.from_literal(),
            r#"--from-literal=auth="$(htpasswd -nm '<user>')""#
        );
        let bcrypt = SecretKey::plain("hash", "password hash").hashed(ValueFormat::Bcrypt);
        assert_eq!(
            bcrypt.from_literal(),
            r#"--from-literal=hash="$(htpasswd -nBC 10 '' | cut -d: -f2)""#
        );
    }

    #[test]
    fn a_web_config_is_one_line_of_yaml_with_the_users_bcrypt_hash() {
        let key = SecretKey::web_config("web.yml", "monstack");
        assert_eq!(
            key.from_literal(),
            r#"--from-literal=web.yml="basic_auth_users: {monstack: '$(htpasswd -nBC 10 '' | cut -d: -f2)'}""#
        );
    }

    #[test]
    fn pem_files_make_a_tls_secret() {
        let keys = [
            SecretKey::plain("tls.crt", "certificate chain PEM file").hashed(ValueFormat::PemFile),
            SecretKey::plain("tls.key", "private key PEM file").hashed(ValueFormat::PemFile),
        ];
        assert_eq!(
            create_command("monitoring", "monitoring-tls", &keys),
            "kubectl -n monitoring create secret tls monitoring-tls \
             --cert='<certificate chain PEM file>' --key='<private key PEM file>'"
        );
    }

    #[test]
    fn file_keys_are_read_from_a_placeholder_path() {
        let cert = SecretKey::plain("tls.crt", "node certificate").hashed(ValueFormat::File);
        assert_eq!(
            cert.from_literal(),
            "--from-file=tls.crt='<node certificate file>'"
        );
    }
}
