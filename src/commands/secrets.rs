//! `monstack secrets`: the Secrets the rendered stack reads, read from the components'
//! contributions (`contrib::SecretRef`), each with a command that creates it. Only names,
//! keys and placeholders are printed: monstack never knows a value.

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::ChecklistArgs;
use crate::contrib::secrets::create_command;
use crate::contrib::{Collected, SecretKey, SecretRef, ValueFormat};

pub fn run(args: &ChecklistArgs) -> anyhow::Result<ExitCode> {
    let c = match super::compile_checklist(args)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let list = SecretList {
        secrets: secrets(&c.collected),
    };
    super::print_list(args.format, &list, || text(&list.secrets))
}

/// The `--format json` document.
#[derive(Debug, Serialize)]
struct SecretList {
    secrets: Vec<Secret>,
}

/// One Secret to create, however many components read it.
#[derive(Debug, Serialize)]
struct Secret {
    namespace: String,
    name: String,
    /// True only when every reader starts without it.
    optional: bool,
    keys: Vec<SecretKey>,
    read_by: Vec<Reader>,
    /// A command that creates it, with a placeholder for each value.
    create: String,
}

#[derive(Debug, Serialize)]
struct Reader {
    component: &'static str,
    /// The profile key that names the Secret.
    profile_key: String,
}

/// Every Secret once, in the order components first name them: two components (or two
/// settings) naming the same Secret share one `kubectl create`, with the keys of both.
fn secrets(collected: &Collected) -> Vec<Secret> {
    let mut out: Vec<Secret> = Vec::new();
    for (component, s) in collected.secrets() {
        let reader = Reader {
            component,
            profile_key: s.profile_key.clone(),
        };
        match out
            .iter_mut()
            .find(|g| g.namespace == s.namespace && g.name == s.name)
        {
            Some(listed) => listed.add(s, reader),
            None => {
                let mut listed = Secret::new(s);
                listed.add(s, reader);
                out.push(listed);
            }
        }
    }
    for s in &mut out {
        s.create = create_command(&s.namespace, &s.name, &s.keys);
    }
    out
}

impl Secret {
    /// Not read yet: no keys, no readers, and optional until a reader needs it.
    fn new(s: &SecretRef) -> Secret {
        Secret {
            namespace: s.namespace.clone(),
            name: s.name.clone(),
            optional: true,
            keys: Vec::new(),
            read_by: Vec::new(),
            create: String::new(),
        }
    }

    fn add(&mut self, s: &SecretRef, reader: Reader) {
        self.optional &= s.optional;
        for key in &s.keys {
            if !self.keys.iter().any(|k| k.key == key.key) {
                self.keys.push(key.clone());
            }
        }
        self.read_by.push(reader);
    }
}

fn text(secrets: &[Secret]) -> String {
    if secrets.is_empty() {
        return "The stack reads no Secrets.\n".into();
    }
    let mut out = format!(
        "{} Secret{} to create before `kubectl apply` (monstack never renders Secrets):\n",
        secrets.len(),
        if secrets.len() == 1 { "" } else { "s" }
    );
    for s in secrets {
        out.push('\n');
        out.push_str(&secret_text(s));
    }
    out.push_str(
        "\nReplace each '<...>' with the value. A value typed on the command line stays in the\n\
         shell history; `--from-file=KEY=PATH` reads it from a file instead.\n",
    );
    if secrets.iter().flat_map(|s| &s.keys).any(|k| {
        !matches!(
            k.format,
            ValueFormat::Plain | ValueFormat::PemFile | ValueFormat::File
        )
    }) {
        out.push_str(
            "htpasswd (Debian/Ubuntu: apache2-utils) asks for the password and prints its hash.\n",
        );
    }
    out
}

/// ```text
/// Secret monitoring/grafana-admin (required)
///   read by  grafana (grafana.admin.secret)
///   keys     admin-user      admin user name
///            admin-password  admin password
///   create with:
///     kubectl -n monitoring create secret generic grafana-admin --from-literal=...
/// ```
fn secret_text(s: &Secret) -> String {
    let need = if s.optional { "optional" } else { "required" };
    let mut out = format!("Secret {}/{} ({need})\n", s.namespace, s.name);
    let readers: Vec<String> = s
        .read_by
        .iter()
        .map(|r| format!("{} ({})", r.component, r.profile_key))
        .collect();
    out.push_str(&format!("  read by  {}\n", readers.join(", ")));
    let width = s.keys.iter().map(|k| k.key.len()).max().unwrap_or(0);
    for (i, key) in s.keys.iter().enumerate() {
        let label = if i == 0 { "keys" } else { "" };
        let format = match key.format {
            ValueFormat::Plain => "",
            ValueFormat::HtpasswdSha => " ({SHA} hashes, for Envoy Gateway)",
            ValueFormat::HtpasswdApr1 => " (apr1 hashes, for ingress-nginx)",
            ValueFormat::PemFile => "",
            ValueFormat::WebConfig => " (exporter-toolkit web.yml)",
            ValueFormat::Bcrypt => " (a bcrypt hash)",
            ValueFormat::File => " (a PEM file)",
        };
        out.push_str(&format!(
            "  {label:<8} {:<width$}  {}{format}\n",
            key.key, key.holds
        ));
    }
    // On a line of its own, so it can be copied whole.
    out.push_str(&format!("  create with:\n    {}\n", s.create));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contrib::Contributions;

    fn secret_ref(name: &str, profile_key: &str, keys: &[&str], optional: bool) -> SecretRef {
        SecretRef {
            name: name.into(),
            namespace: "monitoring".into(),
            keys: keys.iter().map(|k| SecretKey::plain(*k, *k)).collect(),
            profile_key: profile_key.into(),
            optional,
        }
    }

    #[test]
    fn a_secret_named_twice_is_listed_once_with_every_key_and_reader() {
        let collected = Collected {
            by_component: vec![
                (
                    "a",
                    Contributions {
                        secrets: vec![secret_ref("shared", "a.secret", &["user"], true)],
                        ..Contributions::default()
                    },
                ),
                (
                    "b",
                    Contributions {
                        secrets: vec![
                            secret_ref("shared", "b.secret", &["user", "token"], false),
                            secret_ref("own", "b.other", &["key"], true),
                        ],
                        ..Contributions::default()
                    },
                ),
            ],
        };
        let listed = secrets(&collected);
        let names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["shared", "own"]);
        let shared = &listed[0];
        let keys: Vec<&str> = shared.keys.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(keys, ["user", "token"]);
        let readers: Vec<&str> = shared.read_by.iter().map(|r| r.component).collect();
        assert_eq!(readers, ["a", "b"]);
        assert!(!shared.optional, "b needs it");
        assert!(listed[1].optional);
        assert_eq!(
            shared.create,
            "kubectl -n monitoring create secret generic shared \
             --from-literal=user='<user>' --from-literal=token='<token>'"
        );
    }

    #[test]
    fn a_hashed_key_says_its_format_and_where_htpasswd_comes_from() {
        let mut web = secret_ref("web-auth", "web.auth.secret", &[], false);
        web.keys = vec![SecretKey::plain("users", "password hash").hashed(ValueFormat::Bcrypt)];
        let collected = Collected {
            by_component: vec![(
                "web",
                Contributions {
                    secrets: vec![web],
                    ..Contributions::default()
                },
            )],
        };
        let text = text(&secrets(&collected));
        assert!(
            text.contains("  keys     users  password hash (a bcrypt hash)\n"),
            "{text}"
        );
        assert!(
            text.contains("--from-literal=users=\"$(htpasswd "),
            "{text}"
        );
        assert!(
            text.contains("htpasswd (Debian/Ubuntu: apache2-utils)"),
            "{text}"
        );
    }
}
