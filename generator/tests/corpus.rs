//! The prompt corpus (`tests/corpus.json`): how much of what people name ends up in the app.
//!
//! For every prompt, `generator::analyze` must give a valid spec, the same twice, that its
//! own reflection leaves unchanged; the test then counts the
//! named entities and fields that the spec has, and fails when recall is under 95 %, when a
//! spec holds an entity the corpus marks as absent (another domain's), or when fewer than
//! 80 % of the relations the words imply became reference fields.
//!
//! Matching: words are split at Unicode word boundaries (and `_`), lowercased and stemmed
//! with the Snowball stemmer of the prompt's language. An expected entity (any of its
//! `|`-separated alternatives) is found when some spec entity's name, label or plural holds
//! every stem of it. An expected field is found when some field's name or label holds
//! every stem, with the stated kind when one is given; it is looked for in the entity that
//! matched (in every entity for `*`, or when the entity itself is missing).
//!
//! Run: `cargo test -p generator --test corpus -- --nocapture` prints the misses of each
//! prompt and the totals.

use domain::spec::{AppSpec, EntitySpec, FieldKind};
use rust_stemmers::{Algorithm, Stemmer};
use serde_json::Value;
use unicode_segmentation::UnicodeSegmentation;

fn stemmer(lang: &str) -> Stemmer {
    Stemmer::create(match lang {
        "de" => Algorithm::German,
        "fr" => Algorithm::French,
        "es" => Algorithm::Spanish,
        "it" => Algorithm::Italian,
        "pt" => Algorithm::Portuguese,
        "nl" => Algorithm::Dutch,
        _ => Algorithm::English,
    })
}

fn stems(st: &Stemmer, s: &str) -> Vec<String> {
    s.replace('_', " ")
        .unicode_words()
        .map(|w| st.stem(&w.to_lowercase()).into_owned())
        .collect()
}

fn holds(st: &Stemmer, have: &[&str], want: &str) -> bool {
    let have: Vec<String> = have.iter().flat_map(|h| stems(st, h)).collect();
    let want = stems(st, want);
    !want.is_empty() && want.iter().all(|w| have.contains(w))
}

fn find_entity<'a>(st: &Stemmer, spec: &'a AppSpec, key: &str) -> Option<&'a EntitySpec> {
    key.split('|').find_map(|alt| {
        spec.entities
            .iter()
            .find(|e| holds(st, &[&e.name, &e.label, &e.plural], alt))
    })
}

fn has_field(st: &Stemmer, entities: &[&EntitySpec], want: &str) -> bool {
    let (words, kind) = match want.rsplit_once(':') {
        Some((w, k)) => (w, Some(k)),
        None => (want, None),
    };
    entities.iter().any(|e| {
        e.fields
            .iter()
            .any(|f| holds(st, &[&f.name, &f.label], words) && kind.is_none_or(|k| f.kind.as_str() == k))
    })
}

#[test]
fn corpus_recall_of_named_entities_and_fields() {
    let raw = include_str!("corpus.json");
    let corpus: Value = serde_json::from_str(raw).expect("corpus.json parses");
    let prompts = corpus["prompts"].as_array().expect("prompts");
    let (mut ent_total, mut ent_found, mut field_total, mut field_found) = (0, 0, 0, 0);
    let (mut rel_total, mut rel_found) = (0, 0);
    let mut complete = 0;
    let mut intruders = Vec::new();
    let mut langs = std::collections::BTreeMap::new();
    for item in prompts {
        let lang = item["lang"].as_str().unwrap_or("en");
        let prompt = item["prompt"].as_str().unwrap_or_default();
        *langs.entry(lang.to_string()).or_insert(0) += 1;
        let st = stemmer(lang);
        let a = generator::analyze(prompt);
        assert_eq!(a.spec.validate(), Vec::<String>::new(), "{prompt}");
        assert_eq!(generator::analyze(prompt), a, "{prompt}: not deterministic");
        let again = generator::reflect(prompt, a.spec.clone());
        assert_eq!(
            again.spec, a.spec,
            "{prompt}: reflection changed the spec: {:#?}",
            again.reflection
        );
        let spec = &a.spec;
        let all: Vec<&EntitySpec> = spec.entities.iter().collect();
        let mut misses = Vec::new();
        for (key, fields) in item["entities"].as_object().expect("entities") {
            let found = if key == "*" {
                None
            } else {
                ent_total += 1;
                let e = find_entity(&st, spec, key);
                if e.is_some() {
                    ent_found += 1;
                } else {
                    misses.push(format!("entity {key}"));
                }
                e
            };
            let scope: Vec<&EntitySpec> = match found {
                Some(e) => vec![e],
                None => all.clone(),
            };
            for f in fields.as_array().expect("fields") {
                let f = f.as_str().unwrap_or_default();
                field_total += 1;
                if has_field(&st, &scope, f) {
                    field_found += 1;
                } else {
                    misses.push(format!("field {key}.{f}"));
                }
            }
        }
        for absent in item["absent"].as_array().into_iter().flatten() {
            let absent = absent.as_str().unwrap_or_default();
            if let Some(e) = find_entity(&st, spec, absent) {
                intruders.push(format!("{prompt:?}: has {:?} ({absent})", e.name));
            }
        }
        for rel in item["relations"].as_array().into_iter().flatten() {
            rel_total += 1;
            let (from, to) = (rel[0].as_str().unwrap_or_default(), rel[1].as_str().unwrap_or_default());
            let ok = match (find_entity(&st, spec, from), find_entity(&st, spec, to)) {
                (Some(f), Some(t)) => f
                    .fields
                    .iter()
                    .any(|x| x.kind == FieldKind::Reference && x.entity.as_deref() == Some(t.name.as_str())),
                _ => false,
            };
            if ok {
                rel_found += 1;
            } else {
                misses.push(format!("relation {from} -> {to}"));
            }
        }
        if misses.iter().all(|m| m.starts_with("relation")) {
            complete += 1;
        } else {
            let model: Vec<String> = spec
                .entities
                .iter()
                .map(|e| {
                    let fs: Vec<String> = e
                        .fields
                        .iter()
                        .map(|f| format!("{}:{}", f.label, f.kind.as_str()))
                        .collect();
                    format!("{} [{}]", e.label, fs.join(", "))
                })
                .collect();
            println!(
                "MISS {prompt:?}\n  missing: {}\n  got: {}",
                misses.join("; "),
                model.join(" | ")
            );
        }
    }
    let pct = |a: usize, b: usize| if b == 0 { 100.0 } else { 100.0 * a as f64 / b as f64 };
    let recall = pct(ent_found + field_found, ent_total + field_total);
    println!(
        "corpus: {} prompts {:?}; entities {ent_found}/{ent_total} ({:.1} %), fields {field_found}/{field_total} ({:.1} %), overall {:.1} %; {complete} prompts complete; relations {rel_found}/{rel_total} ({:.1} %)",
        prompts.len(),
        langs,
        pct(ent_found, ent_total),
        pct(field_found, field_total),
        recall,
        pct(rel_found, rel_total)
    );
    assert!(
        prompts.len() >= 100 && langs.len() >= 4,
        "the corpus needs 100 prompts in 4 languages"
    );
    assert!(intruders.is_empty(), "entities from another domain: {intruders:#?}");
    assert!(recall >= 95.0, "recall {recall:.1} % is under 95 %");
    assert!(pct(rel_found, rel_total) >= 80.0, "relations {rel_found}/{rel_total}");
}
