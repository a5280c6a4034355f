//! From what a prompt names to the spec's entities: the person's words first, the catalogue
//! second.
//!
//! Every entity and field [`crate::extract`] found becomes part of the spec, with the label
//! the prompt used and the kind its words give. The catalogue ([`crate::catalog`]) is then
//! consulted only where the prompt leaves something open, and only when its app type really
//! fits: an app type is used when at least one named entity is one of its record kinds and
//! more named entities belong to it than to no known kind at all (so "readings" of blood
//! pressure never become books). Then it gives kinds to fields the words left open, a title
//! and a few fields to entities the prompt named without fields, and its main entity when
//! the prompt names none. Relations become `reference` fields. Notes say what came from the
//! words and what was assumed.
//!
//! Invariants: deterministic; identifiers are valid and unique; at most 8 entities and 16
//! fields each; the first field of every entity is a required, non-reference title.

use domain::spec::{EntitySpec, FieldKind, FieldSpec};

use crate::catalog::{self, AppType, Blueprint};
use crate::cues::best_app_type;
use crate::extract::{NEntity, NField, Named};
use crate::lang::Lang;
use crate::words::{capitalize, clean_text, to_snake, Prompt};

/// At most this many entities come from a prompt.
const MAX_ENTITIES: usize = 7;
/// At most this many fields an entity gets (the spec allows 16).
const MAX_FIELDS: usize = 14;

/// The entities of a spec, and what was done to get them.
pub(crate) struct Model {
    pub(crate) entities: Vec<EntitySpec>,
    /// "From your words: ..." and "Assumed: ..." notes, and the catalogue's.
    pub(crate) notes: Vec<String>,
    /// The app type used, if any.
    pub(crate) app_type: Option<&'static AppType>,
    /// Whether more than one cue pointed to it (else its name is not the app's).
    pub(crate) strong_type: bool,
    /// How sure the analysis is, before reflection.
    pub(crate) confidence: f32,
}

/// The catalogue blueprint a named entity is, if the app type (or, without one, the
/// blueprint's own name) says so.
fn blueprint_of(e: &NEntity, t: Option<&AppType>, lang: Lang) -> Option<&'static Blueprint> {
    // The entry made for fields no entity was named for is nobody's blueprint.
    if lang != Lang::En || e.head == lang.entry_label().0.to_lowercase() {
        return None;
    }
    let words = std::iter::once(&e.head).chain(e.modifiers.iter().rev());
    for w in words {
        if let Some(b) = catalog::blueprint_for_word(w) {
            let in_type = t.is_some_and(|t| t.entities.contains(&b.name));
            let by_name = b.name == w.as_str() && w == &e.head;
            if in_type || (b.extra && (by_name || (t.is_some() && w == &e.head))) {
                return Some(b);
            }
        }
    }
    None
}

/// Whether the app type fits what the prompt names (see the module header).
fn fits(t: &AppType, named: &Named) -> bool {
    if named.entities.is_empty() {
        return true;
    }
    let mut mapped = 0;
    let mut foreign = 0;
    for e in &named.entities {
        let words: Vec<&String> = std::iter::once(&e.head).chain(e.modifiers.iter()).collect();
        let known: Vec<&Blueprint> = words.iter().filter_map(|w| catalog::blueprint_for_word(w)).collect();
        if known.iter().any(|b| t.entities.contains(&b.name)) {
            mapped += 1;
        } else if catalog::blueprint_for_word(&e.head).is_none() {
            foreign += 1;
        }
    }
    mapped >= 1 && mapped > foreign
}

fn stems(lang: Lang, s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| lang.stem(&w.to_lowercase()))
        .collect()
}

/// Whether a blueprint field is the named field: the last word of each agrees by stem.
fn same_field(lang: Lang, named: &NField, bp: &FieldSpec) -> bool {
    let n = stems(lang, &named.label);
    let Some(last) = n.last() else { return false };
    let name = stems(Lang::En, &bp.name.replace('_', " "));
    let label = stems(Lang::En, &bp.label);
    name.last() == Some(last) || label.last() == Some(last) || (n.len() > 1 && n == name)
}

fn is_naming(lang: Lang, f: &NField) -> bool {
    let last = f.words.last().map_or("", String::as_str);
    matches!(
        lang.stem(last).as_str(),
        "name" | "titl" | "title" | "nom" | "titr" | "nombr" | "titul" | "titel"
    ) || matches!(last, "name" | "title" | "nom" | "titre" | "nombre" | "título" | "titel")
}

fn field(name: &str, label: &str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name: name.into(),
        label: clean_text(label, 40),
        kind,
        required: false,
        options: vec![],
        entity: None,
    }
}

/// The spec's entities for a prompt, and notes on where each came from.
pub(crate) fn model(p: &Prompt, named: &Named) -> Model {
    let lang = named.lang;
    let mut notes = Vec::new();
    let (kind, score) = if lang == Lang::En { best_app_type(p) } else { (None, 0) };
    let app_type = kind.filter(|t| fits(t, named));
    if let (Some(t), None) = (kind, app_type) {
        let names: Vec<String> = named.entities.iter().map(|e| e.plural.to_lowercase()).collect();
        notes.push(format!(
            "The words suggest {} {}, but the prompt names {}, so that catalogue was not used.",
            article(t.what),
            t.what,
            join_and(&names)
        ));
    }
    if app_type.is_none() && !named.entities.is_empty() {
        let keys: Vec<String> = named
            .entities
            .iter()
            .take(MAX_ENTITIES)
            .map(|e| format!("\u{2018}{}\u{2019}", to_snake(&e.head, "item")))
            .collect();
        notes.push(format!(
            "No known kind of app fits; inferred {} from the nouns in the prompt.",
            join_and(&keys)
        ));
    }
    let mut confidence: f32 = match app_type {
        Some(_) => (0.62 + 0.06 * score.min(5) as f32).min(0.93),
        None if !named.entities.is_empty() => 0.55,
        None => 0.3,
    };

    // Named entities, and the catalogue's main entity when the prompt names none of it.
    let mut sources: Vec<(Option<&NEntity>, Option<&'static Blueprint>)> = Vec::new();
    for e in named.entities.iter().take(MAX_ENTITIES) {
        let b = blueprint_of(e, app_type, lang);
        // Two named entities that are one blueprint: the second keeps its own shape.
        let b = b.filter(|b| !sources.iter().any(|(_, x)| x.is_some_and(|x| x.name == b.name)));
        sources.push((Some(e), b));
    }
    if let Some(t) = app_type {
        let named_fields = named.entities.iter().any(|e| !e.fields.is_empty());
        for (i, name) in t.entities.iter().enumerate() {
            let have = sources.iter().any(|(_, b)| b.is_some_and(|b| b.name == *name));
            if have || (i > 0 && named_fields) || sources.len() >= MAX_ENTITIES {
                continue;
            }
            if let Some(b) = catalog::blueprint(name) {
                let at = if i == 0 { 0 } else { sources.len() };
                sources.insert(at, (None, Some(b)));
                notes.push(format!(
                    "Assumed: {} ({} {} keeps them).",
                    b.plural.to_lowercase(),
                    article(t.what),
                    t.what
                ));
            }
        }
        let matched = crate::cues::matched_cues(p, t);
        notes.push(format!(
            "Recognised {} {} (matched {}); the catalogue fills in what the prompt leaves open.",
            article(t.what),
            t.what,
            quote_list(&matched)
        ));
    }

    // Identifiers first, so references can point at them.
    let mut idents: Vec<String> = Vec::new();
    for (e, b) in &sources {
        let want = match (e, b) {
            (_, Some(b)) => b.name.to_string(),
            (Some(e), None) => to_snake(&e.head, "item"),
            (None, None) => "item".into(),
        };
        let mut id = want.clone();
        let mut n = 2;
        while idents.contains(&id) {
            id = format!("{want}_{n}");
            n += 1;
        }
        idents.push(id);
    }

    let mut entities: Vec<EntitySpec> = Vec::new();
    for (i, (e, b)) in sources.iter().enumerate() {
        let ident = idents[i].clone();
        let spec = match e {
            None => match b {
                Some(b) => crate::cues::from_blueprint(b),
                None => continue,
            },
            Some(e) => {
                let mut assumed: Vec<String> = Vec::new();
                let s = entity_from_words(lang, e, *b, &ident, named, &sources, &idents, &mut assumed);
                let words: Vec<String> = e.fields.iter().map(|f| f.label.to_lowercase()).collect();
                if words.is_empty() {
                    notes.push(format!("From your words: {}.", s.label));
                } else {
                    notes.push(format!("From your words: {} with {}.", s.label, join_and(&words)));
                }
                if !assumed.is_empty() {
                    notes.push(format!("Assumed for {}: {}.", s.label, join_and(&assumed)));
                }
                s
            }
        };
        entities.push(EntitySpec { name: ident, ..spec });
    }
    for e in &entities {
        let refs: Vec<String> = e
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Reference)
            .filter_map(|f| f.entity.as_ref())
            .filter_map(|t| entities.iter().find(|x| &x.name == t))
            .map(|x| x.plural.to_lowercase())
            .collect();
        if !refs.is_empty() {
            notes.push(format!(
                "Each {} points to one of the {}.",
                e.label.to_lowercase(),
                join_and(&refs)
            ));
        }
    }
    if named.entities.is_empty() && app_type.is_none() {
        confidence = 0.3;
    }
    Model {
        entities,
        notes,
        app_type,
        strong_type: score >= 4,
        confidence,
    }
}

#[allow(clippy::too_many_arguments)]
fn entity_from_words(
    lang: Lang,
    e: &NEntity,
    b: Option<&'static Blueprint>,
    ident: &str,
    named: &Named,
    sources: &[(Option<&NEntity>, Option<&'static Blueprint>)],
    idents: &[String],
    assumed: &mut Vec<String>,
) -> EntitySpec {
    let bp_fields: Vec<FieldSpec> = b
        .map(|b| b.fields.iter().filter_map(|f| catalog::parse_field(f)).collect())
        .unwrap_or_default();
    // A gerund named from an app phrase ("shopping" list) reads better as the catalogue's.
    let (label, plural) = match b {
        Some(b) if e.head.ends_with("ing") && e.fields.is_empty() => (b.label.to_string(), b.plural.to_string()),
        _ => (clean_text(&e.label, 40), clean_text(&e.plural, 40)),
    };
    let mut fields: Vec<FieldSpec> = Vec::new();
    let mut used_bp: Vec<usize> = Vec::new();
    let mut refs_done: Vec<String> = Vec::new();
    for nf in &e.fields {
        // A field that names another entity is the reference to it.
        let target = e.refs.iter().find(|r| {
            let last = nf.words.last().map(|w| lang.stem(&lang.singular(w)));
            last.as_deref() == Some(r.as_str())
        });
        if let Some(key) = target {
            if let Some(t) = target_ident(named, sources, idents, key) {
                refs_done.push(key.clone());
                let mut f = field(&to_snake(&nf.label, "link"), &nf.label, FieldKind::Reference);
                f.entity = Some(t);
                push_unique(&mut fields, f);
                continue;
            }
        }
        let mut f = field(&to_snake(&nf.label, "field"), &nf.label, FieldKind::Text);
        match nf.kind {
            Some(k) => {
                f.kind = k;
                f.options = nf.options.clone();
            }
            None => {
                if let Some((i, bf)) = bp_fields.iter().enumerate().find(|(_, bf)| same_field(lang, nf, bf)) {
                    used_bp.push(i);
                    if bf.kind != FieldKind::Reference {
                        f.kind = bf.kind;
                        f.options = bf.options.clone();
                    }
                }
            }
        }
        if let Some((i, _)) = bp_fields.iter().enumerate().find(|(_, bf)| same_field(lang, nf, bf)) {
            if !used_bp.contains(&i) {
                used_bp.push(i);
            }
        }
        if f.kind == FieldKind::Select && f.options.len() < 2 {
            f.kind = FieldKind::Text;
            f.options.clear();
        }
        push_unique(&mut fields, f);
    }

    // The title: a naming field, else (for logs) a date, else a text field, else assumed.
    let naming = e.fields.iter().position(|f| is_naming(lang, f));
    let event = lang.is_event(&e.head);
    let title_at = naming
        .and_then(|i| {
            fields
                .iter()
                .position(|f| f.label == clean_text(&e.fields[i].label, 40))
        })
        .or_else(|| {
            // A log (an event, the app's own subject, or only measurements) is titled by
            // its date.
            let log = event
                || e.weak
                || fields
                    .iter()
                    .all(|f| matches!(f.kind, FieldKind::Number | FieldKind::Date | FieldKind::Rating));
            if log && !fields.is_empty() {
                fields.iter().position(|f| f.kind == FieldKind::Date)
            } else {
                None
            }
        });
    match title_at {
        Some(i) => {
            let mut t = fields.remove(i);
            if t.kind == FieldKind::Reference {
                t.kind = FieldKind::Text;
                t.entity = None;
            }
            t.required = true;
            fields.insert(0, t);
        }
        None => {
            let mut t = match (b, bp_fields.first()) {
                (Some(_), Some(bf)) if !used_bp.contains(&0) => {
                    used_bp.push(0);
                    bf.clone()
                }
                _ => {
                    if (event || e.weak) && !fields.is_empty() && !fields.iter().any(|f| f.kind == FieldKind::Date) {
                        field("date", lang.date_label(), FieldKind::Date)
                    } else if fields.is_empty() {
                        field("name", lang.name_label(), FieldKind::Text)
                    } else {
                        // "quotes with author and source": the quote itself is the title.
                        let head_label = clean_text(&capitalize(&lang.singular(&e.head)), 40);
                        field("name", &head_label, FieldKind::Text)
                    }
                }
            };
            t.required = true;
            if fields.iter().any(|f| f.name == t.name) {
                t.name = format!("{}_title", t.name);
            }
            assumed.push(format!("{} as the title", t.label.to_lowercase()));
            fields.insert(0, t);
        }
    }

    // References the words imply but no field named.
    for key in &e.refs {
        if refs_done.contains(key) {
            continue;
        }
        let Some(t) = target_ident(named, sources, idents, key) else {
            continue;
        };
        let Some(te) = named.entities.iter().find(|x| &x.key == key) else {
            continue;
        };
        let tl = clean_text(&te.label, 40);
        let mut f = field(&to_snake(&tl, &t), &tl, FieldKind::Reference);
        f.entity = Some(t);
        push_unique(&mut fields, f);
    }

    // The catalogue fills in when the prompt named few fields.
    if b.is_some() && e.fields.len() < 3 {
        let mut added = Vec::new();
        for (i, bf) in bp_fields.iter().enumerate() {
            if used_bp.contains(&i) || fields.len() >= 8 {
                continue;
            }
            if fields
                .iter()
                .any(|f| f.name == bf.name || f.label.eq_ignore_ascii_case(&bf.label))
            {
                continue;
            }
            added.push(bf.label.to_lowercase());
            let mut f = bf.clone();
            // The catalogue's "client" text field is a reference when the app has clients
            // (and is left out when the words already gave one).
            if f.kind == FieldKind::Text && f.name != ident && idents.contains(&f.name) {
                if fields.iter().any(|x| x.entity.as_deref() == Some(bf.name.as_str())) {
                    added.pop();
                    continue;
                }
                f.kind = FieldKind::Reference;
                f.entity = Some(f.name.clone());
                f.required = false;
            }
            fields.push(f);
        }
        if !added.is_empty() {
            assumed.push(join_and(&added));
        }
    }
    if !fields.iter().any(|f| f.kind == FieldKind::LongText) && fields.len() < MAX_FIELDS {
        let mut f = field("notes", lang.notes_label(), FieldKind::LongText);
        if fields.iter().any(|x| x.name == "notes") {
            f.name = "more_notes".into();
        }
        assumed.push(format!("{} field", f.label.to_lowercase()));
        fields.push(f);
    }
    fields.truncate(MAX_FIELDS);
    EntitySpec {
        name: ident.to_string(),
        label: if label.is_empty() { "Item".into() } else { label },
        plural: if plural.is_empty() { "Items".into() } else { plural },
        fields,
    }
}

fn target_ident(
    named: &Named,
    sources: &[(Option<&NEntity>, Option<&'static Blueprint>)],
    idents: &[String],
    key: &str,
) -> Option<String> {
    let _ = named;
    sources
        .iter()
        .position(|(e, _)| e.is_some_and(|e| e.key == key))
        .and_then(|i| idents.get(i).cloned())
}

fn push_unique(fields: &mut Vec<FieldSpec>, mut f: FieldSpec) {
    if f.name == "id" {
        f.name = "identifier".into();
    }
    if fields.iter().any(|x| x.name == f.name) {
        let base = f.name.clone();
        let mut n = 2;
        while fields.iter().any(|x| x.name == f.name) {
            f.name = format!("{base}_{n}");
            n += 1;
        }
    }
    if f.label.is_empty() {
        f.label = capitalize(&f.name.replace('_', " "));
    }
    fields.push(f);
}

/// "a" or "an" before `word`.
pub(crate) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

pub(crate) fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("\u{201c}{i}\u{201d}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
