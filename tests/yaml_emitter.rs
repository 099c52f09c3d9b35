//! `emit::yaml` writes what serde_yaml_ng (libyaml) writes, byte for byte, and what it writes
//! parses back to the same value: on every object of every shipped profile, and on every short
//! string over an alphabet of YAML's troublemakers. (Debug builds also compare every document
//! monstack writes, config files included, inside `emit::yaml::to_string`.)

mod common;

use std::collections::BTreeMap;

use monstack::emit::yaml::fast_to_string;

/// Characters that change how YAML reads a scalar: indicators, blanks, breaks, quotes, digits
/// and letters of special words, escapes, non-ASCII and non-printable characters.
const ALPHABET: &[char] = &[
    'a', 'n', 'y', '0', '1', '7', '.', '+', '-', ':', '#', ' ', '\n', '\t', '\'', '"', '\\', '!',
    '&', '*', '?', '|', '>', '%', '@', '`', '[', '{', ',', '~', 'é', '\u{a0}', '\u{85}', '\u{1b}',
    '\0', '\r',
];

fn assert_same_and_round_trips<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let expected = serde_yaml_ng::to_string(value).unwrap();
    let ours =
        fast_to_string(value).unwrap_or_else(|_| panic!("the fast writer gave up on {value:?}"));
    assert_eq!(ours, expected, "for {value:?}");
    let back: T = serde_yaml_ng::from_str(&ours).unwrap();
    assert_eq!(&back, value, "round trip of {ours:?}");
}

#[test]
fn every_rendered_object_is_written_by_the_fast_path_exactly_as_libyaml_writes_it() {
    let mut objects = 0;
    for profile in common::shipped_profiles() {
        let c = common::compile(&profile);
        for part in &c.manifest.parts {
            for object in &part.objects {
                let expected = serde_yaml_ng::to_string(object).unwrap();
                let ours = fast_to_string(object)
                    .unwrap_or_else(|_| panic!("fast path gave up on {}", object.id()));
                assert_eq!(ours, expected, "{} in {}", object.id(), profile.display());
                objects += 1;
            }
        }
    }
    assert!(objects > 100, "only {objects} objects checked");
}

/// Every string of up to three characters from `ALPHABET` as a value, a key and a sequence
/// item; the fast path may give up only on the documented case (`|+` blocks).
#[test]
fn every_short_hostile_string_is_written_as_libyaml_writes_it_and_reads_back() {
    let mut strings = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..3 {
        let longer: Vec<String> = last
            .iter()
            .flat_map(|s| ALPHABET.iter().map(move |c| format!("{s}{c}")))
            .collect();
        strings.extend(longer.iter().cloned());
        last = longer;
    }
    let mut gave_up = 0;
    for s in &strings {
        let keep_trailing_newlines = s.ends_with("\n\n") || s == "\n";
        let map: BTreeMap<String, String> = [("k".to_string(), s.clone())].into();
        let seq = vec![vec![s.clone()]];
        if keep_trailing_newlines {
            // A `|+` block: the fast path gives up unless the value is double-quoted anyway.
            match fast_to_string(&map) {
                Ok(text) => assert_eq!(text, serde_yaml_ng::to_string(&map).unwrap()),
                Err(_) => gave_up += 1,
            }
            continue;
        }
        assert_same_and_round_trips(&map);
        assert_same_and_round_trips(&seq);
        if !s.contains(['\n', '\r', '\u{85}']) {
            let as_key: BTreeMap<String, u8> = [(s.clone(), 1)].into();
            assert_same_and_round_trips(&as_key);
        }
    }
    assert!(
        strings.len() > 45_000 && gave_up < 100,
        "{gave_up} of {}",
        strings.len()
    );
}

#[test]
fn long_and_multi_line_config_text_is_written_as_libyaml_writes_it() {
    let text: String = (0..200)
        .map(|i| format!("{}line {i}: {{\"k\": [1, 2]}}  # c\n", " ".repeat(i % 7)))
        .collect();
    let map: BTreeMap<String, String> = [
        ("config.yaml".to_string(), text.clone()),
        ("trailing space".to_string(), format!("{text}x \n")),
        ("no newline".to_string(), text.trim_end().to_string()),
    ]
    .into();
    assert_same_and_round_trips(&map);
}
