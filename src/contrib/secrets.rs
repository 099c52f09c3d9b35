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
}

/// The form a program expects a value in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueFormat {
    /// The value itself (a password, a token, a URL).
    Plain,
    /// An htpasswd line `user:bcrypt-hash` (ingress basic auth).
    Htpasswd,
    /// A bare bcrypt hash (the `basic_auth_users` of a Prometheus-style `web.yml`).
    Bcrypt,
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
            ValueFormat::Htpasswd => format!("--from-literal={key}=\"$(htpasswd -nB '<user>')\""),
            ValueFormat::File => format!("--from-file={key}='<{} file>'", self.holds),
            ValueFormat::Bcrypt => {
                format!("--from-literal={key}=\"$(htpasswd -nBC 10 '' | cut -d: -f2)\"")
            }
        }
    }
}

/// A command that creates the Secret `namespace/name` with these keys, with placeholders
/// for the values. One line, so it can be copied whole.
pub fn create_command(namespace: &str, name: &str, keys: &[SecretKey]) -> String {
    let mut command = format!("kubectl -n {namespace} create secret generic {name}");
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
        let htpasswd = SecretKey::plain("auth", "htpasswd line").hashed(ValueFormat::Htpasswd);
        assert_eq!(
            htpasswd.from_literal(),
            r#"--from-literal=auth="$(htpasswd -nB '<user>')""#
        );
        let bcrypt = SecretKey::plain("hash", "password hash").hashed(ValueFormat::Bcrypt);
        assert_eq!(
            bcrypt.from_literal(),
            r#"--from-literal=hash="$(htpasswd -nBC 10 '' | cut -d: -f2)""#
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
