//! Arbitrary profile text never panics monstack: it compiles or reports diagnostics. Mutations
//! of the shipped profiles (deleted, repeated and swapped lines, TOML punctuation and odd
//! values spliced in) are generated from a fixed seed, so a failure reproduces exactly.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use monstack::pipeline;
use monstack::profile::Source;

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SPLICES: &[&str] = &[
    "=",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ",",
    "\"",
    "'",
    "\n",
    "#",
    ".",
    "0",
    "-1",
    "1e999",
    "nan",
    "inf",
    "true",
    "\"\"",
    "[]",
    "{}",
    "\"latest\"",
    "\"0s\"",
    "\"50GB\"",
    "\"-5Gi\"",
    "99999999999999999999",
    "\"a:latest\"",
    "\u{1F600}",
    "\\u0000",
    "replicas = 0",
    "[prometheus.alerts.high_error_rate]",
    "extends = \"self.toml\"",
    "[stack]\nname = \"\"",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..=rng.below(3) {
        let i = rng.below(lines.len());
        match rng.below(5) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let line = lines[i].clone();
                lines.insert(rng.below(lines.len()), line);
            }
            2 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            3 => {
                let splice = SPLICES[rng.below(SPLICES.len())];
                let line = &mut lines[i];
                let mut at = rng.below(line.len() + 1);
                while !line.is_char_boundary(at) {
                    at -= 1;
                }
                line.insert_str(at, splice);
            }
            _ => {
                // Replace a value with a splice.
                if let Some((key, _)) = lines[i].split_once('=') {
                    let key = key.to_string();
                    lines[i] = format!("{key}= {}", SPLICES[rng.below(SPLICES.len())]);
                }
            }
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
    }
    lines.join("\n")
}

#[test]
fn mutated_profiles_never_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let parent = std::fs::read_to_string(root.join("production.toml")).unwrap();
    let mut rng = Rng(0x6d6f_6e73_7461_636b);
    let (mut valid, mut invalid) = (0, 0);
    for round in 0..400 {
        let text = mutate(&parent, &mut rng);
        // Half the rounds mutate a child on top of the intact parent, as `extends` would.
        let sources = if round % 2 == 0 {
            vec![Source {
                name: "mutated.toml".into(),
                text: text.clone(),
            }]
        } else {
            vec![
                Source {
                    name: "production.toml".into(),
                    text: parent.clone(),
                },
                Source {
                    name: "mutated.toml".into(),
                    text: text.clone(),
                },
            ]
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| pipeline::compile(&sources)));
        match outcome {
            Ok(Ok(Ok(_))) => valid += 1,
            Ok(Ok(Err(failure))) => {
                assert!(
                    !failure.diagnostics.is_empty(),
                    "a failure without a diagnostic:\n{text}"
                );
                // Every diagnostic renders, with or without colour.
                let _ = failure.render(true);
                invalid += 1;
            }
            Ok(Err(internal)) => {
                panic!("internal error on round {round}: {internal:#}\n--- profile ---\n{text}")
            }
            Err(_) => panic!("panic on round {round}\n--- profile ---\n{text}"),
        }
    }
    // The mutations must exercise both outcomes, or the test proves little.
    assert!(
        valid > 20 && invalid > 100,
        "valid {valid}, invalid {invalid}"
    );
}

/// A profile of one enormous line (a pasted binary, a minified blob) gets a short report:
/// the quoted line and quoted values are cut, in the human and the JSON format alike.
#[test]
fn a_huge_single_line_profile_gets_a_short_report() {
    let dir = tempfile::tempdir().unwrap();
    let blob = "a".repeat(10_000_000);
    // A syntax error at the end of the line, a value quoted in a message, and a value
    // quoted by serde's own message (shorter: each 10 MB case costs seconds in a debug build).
    let cases = [
        ("unterminated", format!("x = \"{blob}")),
        ("long-value", format!("[prometheus]\nimage = \"{blob}\"\n")),
        (
            "long-number",
            format!("[prometheus]\nreplicas = \"{}\"\n", &blob[..1_000_000]),
        ),
    ];
    for (name, text) in cases {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        let path = path.to_str().unwrap();
        let human = common::monstack(&["validate", path]);
        let json = common::monstack(&["validate", "--format", "json", path]);
        assert_eq!(
            (human.status.code(), json.status.code()),
            (Some(1), Some(1))
        );
        let stderr = common::stderr(&human);
        assert!(stderr.contains("error["), "{name}: {stderr}");
        assert!(
            stderr.len() < 2000,
            "{name}: {} bytes of diagnostics",
            stderr.len()
        );
        assert!(
            json.stdout.len() < 4000,
            "{name}: {} bytes of JSON",
            json.stdout.len()
        );
    }
}
