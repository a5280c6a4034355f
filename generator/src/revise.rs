//! Revising a finished app: a change request ("add a notes field to recipes", "make it
//! green", "add a page for suppliers", "remove the tags field", "call it Larder") applied to
//! its spec with the same word-level reading as [`crate::analyze`], then the reflection pass
//! over the result with the request as its prompt (colours, dark mode, features and views
//! come from there, exactly as for a first build).
//!
//! Each clause of the request is read on its own ("add notes to recipes and make it green"
//! is two): a rename, a removal (of a field, an entity, a view page or a feature), fields
//! added to an entity it names, or a new entity. What the clauses do not cover is left to
//! reflection. [`describe_changes`] then says what differs between the two specs, whoever
//! made the new one (this module or a model), and that list is the revision's record.
//!
//! Invariants: pure and deterministic; idempotent for what it adds (a field or entity that
//! is already there is not added twice, so it can referee a model's revision); the result
//! passes `validate()` whenever the input did; the first (title) field of an entity and an
//! app's last entity are never removed.

use domain::spec::{AppSpec, EntitySpec, FieldKind, FieldSpec, PageKind, ThemeMode};

use crate::cues::{explicit_name, requested_features};
use crate::lang::{kind_of, Lang};
use crate::reflect::reflect_inner;
use crate::words::{capitalize, clean_text, singularize, to_snake, Prompt, Token};
use crate::Analysis;

/// Words that start a clause of their own when they follow "and" or a comma.
const VERBS: &[&str] = &[
    "add", "make", "remove", "delete", "drop", "rename", "call", "change", "use", "switch", "show", "give", "put",
    "include", "track", "turn", "set", "let", "get", "hide", "store", "record", "create", "paint", "colour", "color",
];

/// Filler before the verb: "please also", "can you", "I want to", "let's".
const FILLER: &[&str] = &[
    "please", "pls", "can", "could", "would", "you", "i", "id", "we", "want", "wanna", "like", "to", "also", "now",
    "then", "and", "lets", "let", "us", "need", "just", "kindly", "maybe", "should", "go", "ahead",
];

/// Words for a field in a clause ("a notes field", "a price column").
const FIELD_WORDS: &[&str] = &[
    "field",
    "fields",
    "column",
    "columns",
    "property",
    "properties",
    "attribute",
    "attributes",
    "input",
    "inputs",
];

/// Words for a page ("a page for suppliers", "a suppliers tab").
const PAGE_WORDS: &[&str] = &[
    "page", "pages", "section", "sections", "tab", "tabs", "screen", "screens", "list", "lists", "view", "views",
    "area",
];

/// Words that name a view (the reflection pass adds or keeps those pages).
const VIEW_WORDS: &[&str] = &[
    "calendar",
    "calendars",
    "board",
    "boards",
    "kanban",
    "chart",
    "charts",
    "graph",
    "graphs",
    "timer",
    "timers",
    "pomodoro",
    "checklist",
    "checklists",
    "flashcard",
    "flashcards",
    "quiz",
    "quizzes",
    "study",
    "agenda",
    "schedule",
    "pipeline",
    "stopwatch",
];

/// Words that end a phrase without meaning anything ("too", "as well").
const TRAILING: &[&str] = &["too", "also", "as", "well", "please", "again", "instead", "now", "here"];

/// Articles and determiners dropped from the front of a phrase.
const DETERMINERS: &[&str] = &[
    "a", "an", "the", "my", "our", "some", "each", "every", "all", "any", "their", "its", "new", "another", "extra",
    "separate",
];

/// The revised spec for `change` applied to `spec`, what changed (one line each, from
/// [`describe_changes`], then anything in the request nothing covers), and a confidence:
/// lower when the request changed nothing.
pub fn revise(change: &str, spec: AppSpec) -> Analysis {
    let before = spec.clone();
    let mut spec = spec;
    let p = Prompt::new(change);
    let lang = Lang::detect(&p.words);
    // What reflection reads: the clauses that do not rename or remove (so "remove search"
    // does not add search back, and "call it Green Leaf" does not turn the app green).
    let mut for_reflection: Vec<String> = Vec::new();
    for clause in clauses(&p.tokens) {
        let words: Vec<&Token> = clause.iter().filter(|t| t.word).collect();
        let start = words
            .iter()
            .position(|t| !FILLER.contains(&t.lower.as_str()))
            .unwrap_or(words.len());
        let words = &words[start..];
        let text = join(words);
        if apply_rename(&clause, words, &mut spec) || apply_removal(words, &mut spec) {
            continue;
        }
        if !apply_fields(&clause, words, lang, &mut spec) {
            apply_entity(&clause, words, &mut spec);
            apply_colour(words, &mut spec);
        }
        apply_light(words, &mut spec);
        for_reflection.push(text);
    }
    let reflected = reflect_inner(&Prompt::new(&for_reflection.join(". ")), spec);
    let spec = reflected.spec;
    let mut notes = describe_changes(&before, &spec);
    let changed = !notes.is_empty();
    if !changed {
        notes.push(format!(
            "Nothing in \u{201c}{}\u{201d} changed the app.",
            clean_text(change, 120)
        ));
    }
    notes.extend(
        reflected
            .notes
            .into_iter()
            .filter(|n| n.starts_with("The prompt mentions") || n.starts_with("Still wrong")),
    );
    let confidence = if changed {
        (0.9 * reflected.factor.max(0.5)).clamp(0.05, 0.95)
    } else {
        0.2
    };
    Analysis {
        spec,
        reflection: notes,
        confidence,
    }
}

/// The request's clauses: sentences, and within them parts that start with a verb after
/// "and", "then" or a comma ("add notes to recipes and make it green").
fn clauses(tokens: &[Token]) -> Vec<Vec<Token>> {
    let mut out: Vec<Vec<Token>> = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        let next_word = tokens[i + 1..].iter().find(|t| t.word).map(|t| t.lower.as_str());
        let next_is_verb = next_word.is_some_and(|w| VERBS.contains(&w) || w == "also" || w == "then");
        match t.lower.as_str() {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ => {}
        }
        let ends = !t.word && depth == 0 && matches!(t.lower.as_str(), "." | ";" | "!" | "?" | "\n");
        let joiner = depth == 0 && (t.lower == "and" || t.lower == "then" || t.lower == ",");
        let splits = joiner && next_is_verb;
        // "add notes to recipes and a page for suppliers": the part naming a page is a
        // clause of its own, with the verb it shares.
        let page_part = joiner
            && !next_is_verb
            && current.iter().find(|t| t.word).is_some_and(|v| v.lower == "add")
            && tokens[i + 1..]
                .iter()
                .take_while(|t| {
                    !(t.lower == "and" || t.lower == "," || matches!(t.lower.as_str(), "." | ";" | "!" | "?" | "\n"))
                })
                .any(|t| PAGE_WORDS.contains(&t.lower.as_str()));
        if ends || splits || page_part {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            if page_part {
                current.push(Token {
                    text: "add".into(),
                    lower: "add".into(),
                    word: true,
                    possessive: false,
                });
            }
            continue;
        }
        current.push(t.clone());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn join(words: &[&Token]) -> String {
    words.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// The clause's text from the token `from` to `to`, punctuation included ("suppliers with a
/// name, a phone and an email").
fn text_from(clause: &[Token], from: &Token, to: &Token) -> String {
    let start = clause.iter().position(|t| std::ptr::eq(t, from)).unwrap_or(0);
    let end = clause
        .iter()
        .position(|t| std::ptr::eq(t, to))
        .map_or(clause.len(), |i| i + 1);
    let mut out = String::new();
    for t in clause.get(start..end.max(start)).unwrap_or_default() {
        if !out.is_empty() && (t.word || matches!(t.lower.as_str(), "(" | "&")) {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

fn lowers<'a>(words: &[&'a Token]) -> Vec<&'a str> {
    words.iter().map(|t| t.lower.as_str()).collect()
}

/// `words` without leading determiners and trailing fillers.
fn trim_phrase<'a, 'b>(mut words: &'b [&'a Token]) -> &'b [&'a Token] {
    while let Some((first, rest)) = words.split_first() {
        if DETERMINERS.contains(&first.lower.as_str()) {
            words = rest;
        } else {
            break;
        }
    }
    while let Some((last, rest)) = words.split_last() {
        if TRAILING.contains(&last.lower.as_str()) {
            words = rest;
        } else {
            break;
        }
    }
    words
}

/// Whether `phrase` (lowercase words) names `e`: its name, label or plural, singular or
/// plural, as the whole phrase or its last word.
fn names_entity(e: &EntitySpec, phrase: &[&str]) -> bool {
    if phrase.is_empty() {
        return false;
    }
    let whole = singularize(&phrase.join(" "));
    let last = singularize(phrase[phrase.len() - 1]);
    let candidates = [
        e.name.replace('_', " "),
        e.label.to_lowercase(),
        singularize(&e.plural.to_lowercase()),
        singularize(&e.label.to_lowercase()),
    ];
    candidates.iter().any(|c| {
        let c = singularize(c);
        c == whole || (phrase.len() == 1 && c.split(' ').next_back() == Some(last.as_str()))
    })
}

fn entity_named(spec: &AppSpec, phrase: &[&str]) -> Option<usize> {
    spec.entities.iter().position(|e| names_entity(e, phrase))
}

/// Whether `phrase` names the field `f` (by name or label, singular or plural).
fn names_field(f: &FieldSpec, phrase: &[&str]) -> bool {
    if phrase.is_empty() {
        return false;
    }
    let want = singularize(&phrase.join(" "));
    let want_snake = to_snake(&want, "");
    [f.name.replace('_', " "), f.label.to_lowercase()]
        .iter()
        .any(|c| singularize(c) == want || to_snake(&singularize(c), "") == want_snake)
}

/// "call it X", "rename it to X", "rename the app X": a new name.
fn apply_rename(clause: &[Token], words: &[&Token], spec: &mut AppSpec) -> bool {
    let l = lowers(words);
    let text: String = clause.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
    let name = if l.first() == Some(&"rename") {
        let at = l.iter().position(|w| *w == "to" || *w == "as").map_or_else(
            || {
                // "rename the app Larder": after "app"/"it".
                l.iter()
                    .position(|w| matches!(*w, "app" | "it" | "application"))
                    .map_or(1, |i| i + 1)
            },
            |i| i + 1,
        );
        let rest = join(&words[at.min(words.len())..]);
        Some(rest)
    } else if matches!(l.first(), Some(&"call") | Some(&"name"))
        && l.get(1).is_some_and(|w| matches!(*w, "it" | "the" | "this"))
    {
        explicit_name(&text).or_else(|| {
            let at = l
                .iter()
                .position(|w| matches!(*w, "it" | "app" | "application"))
                .map_or(2, |i| i + 1);
            Some(join(&words[at.min(words.len())..]))
        })
    } else {
        None
    };
    let Some(name) = name else { return false };
    let name = clean_text(
        name.trim_matches(|c: char| c == '"' || c == '\'' || c == '\u{201c}' || c == '\u{201d}'),
        60,
    );
    if name.is_empty() {
        return false;
    }
    spec.name = name;
    true
}

/// "remove the tags field", "drop suppliers", "delete the calendar", "remove search",
/// "get rid of the notes on recipes". Returns whether the clause was a removal.
fn apply_removal(words: &[&Token], spec: &mut AppSpec) -> bool {
    let l = lowers(words);
    let skip = match l.as_slice() {
        ["remove" | "delete" | "drop" | "hide" | "lose" | "ditch", ..] => 1,
        ["get", "rid", "of", ..] => 3,
        ["take", "out", ..] | ["take", "away", ..] => 2,
        ["no", "more", ..] | ["no", "longer", ..] => 2,
        _ => return false,
    };
    let rest = trim_phrase(&words[skip..]);
    let rl = lowers(rest);
    // "X from E" / "X on E": the entity the field belongs to.
    let (target, owner) = match rl.iter().position(|w| matches!(*w, "from" | "on" | "of" | "in")) {
        Some(i) => {
            let owner_words = lowers(trim_phrase(&rest[i + 1..]));
            (&rest[..i], entity_named(spec, &owner_words))
        }
        None => (rest, None),
    };
    let mut tl = lowers(trim_phrase(target));
    let said_field = tl.last().is_some_and(|w| FIELD_WORDS.contains(w));
    let said_page = tl.last().is_some_and(|w| PAGE_WORDS.contains(w));
    if said_field || said_page {
        tl.pop();
    }
    if tl.is_empty() {
        return true;
    }
    // A view page ("the calendar", "the board view"), unless the words say field.
    let view_kind = tl.iter().find_map(|w| view_kind(w));
    if let Some(kind) = view_kind {
        if !said_field && spec.pages.iter().any(|p| p.kind == kind) {
            spec.pages.retain(|p| p.kind != kind);
            return true;
        }
    }
    // An entity, with its pages and the references to it (unless the words say field or
    // name the entity the field is on).
    if !said_field && owner.is_none() && spec.entities.len() > 1 {
        if let Some(i) = entity_named(spec, &tl) {
            let gone = spec.entities.remove(i).name;
            spec.pages.retain(|p| p.entity.as_deref() != Some(gone.as_str()));
            for e in &mut spec.entities {
                e.fields.retain(|f| f.entity.as_deref() != Some(gone.as_str()));
            }
            drop_dangling_views(spec);
            return true;
        }
    }
    // A field (of the named entity, or of any).
    if !said_page {
        let owners: Vec<usize> = match owner {
            Some(i) => vec![i],
            None => (0..spec.entities.len()).collect(),
        };
        let mut removed = false;
        for i in owners {
            let e = &mut spec.entities[i];
            if let Some(at) = e.fields.iter().position(|f| names_field(f, &tl)) {
                if at > 0 {
                    e.fields.remove(at);
                    removed = true;
                }
            }
        }
        if removed {
            drop_dangling_views(spec);
            return true;
        }
    }
    // A feature ("search", "dark mode", "the tags").
    let phrase = tl.join(" ");
    let features: Vec<_> = requested_features(&Prompt::new(&phrase))
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    if !features.is_empty() {
        spec.features.retain(|f| !features.contains(f));
        if features.contains(&domain::spec::Feature::DarkMode) && spec.theme.mode == ThemeMode::Dark {
            spec.theme.mode = ThemeMode::Light;
        }
        return true;
    }
    true
}

/// View pages whose entity is gone, or whose settings name a field that is gone, are left
/// to the reflection pass: it re-fits or drops them. Here only a page whose entity is gone.
fn drop_dangling_views(spec: &mut AppSpec) {
    let names: Vec<String> = spec.entities.iter().map(|e| e.name.clone()).collect();
    spec.pages
        .retain(|p| p.entity.as_ref().is_none_or(|e| names.contains(e)));
}

fn view_kind(word: &str) -> Option<PageKind> {
    Some(match word {
        "calendar" | "calendars" | "agenda" | "schedule" => PageKind::Calendar,
        "board" | "boards" | "kanban" | "pipeline" => PageKind::Board,
        "chart" | "charts" | "graph" | "graphs" => PageKind::Chart,
        "timer" | "timers" | "pomodoro" | "stopwatch" => PageKind::Timer,
        "checklist" | "checklists" => PageKind::Checklist,
        "flashcard" | "flashcards" | "quiz" | "quizzes" | "study" => PageKind::Study,
        _ => return None,
    })
}

/// Fields added to an entity the clause names: "add a notes field to recipes", "add
/// difficulty (easy, medium, hard) and cooking time to recipes", "give books a rating",
/// "recipes should also have a source". Returns whether it read the clause as that.
fn apply_fields(clause: &[Token], words: &[&Token], lang: Lang, spec: &mut AppSpec) -> bool {
    let l = lowers(words);
    if l.is_empty() {
        return false;
    }
    // (the field phrase, the entity's index)
    let found: Option<(Vec<&Token>, usize)> = if matches!(
        l[0],
        "add" | "include" | "put" | "track" | "store" | "record" | "capture" | "attach"
    ) {
        // "add X to E": the last "to/on/for/in/into" followed by an entity.
        let mut hit = None;
        for (i, w) in l.iter().enumerate().skip(1) {
            if matches!(*w, "to" | "on" | "for" | "in" | "into" | "of") {
                let end = words[i + 1..]
                    .iter()
                    .position(|t| matches!(t.lower.as_str(), "and" | "with" | "then" | "too" | "as"))
                    .map_or(words.len(), |j| i + 1 + j);
                let owner = lowers(trim_phrase(&words[i + 1..end]));
                if let Some(e) = entity_named(spec, &owner) {
                    hit = Some((words[1..i].to_vec(), e));
                }
            }
        }
        hit.or_else(|| {
            // "add a notes field" / "add a due date": the main entity, when the clause says
            // it is a field, or (an app of one entity, the verb "add") the words read as a
            // property rather than a kind of record.
            let phrase = trim_phrase(&words[1..]);
            let pl = lowers(phrase);
            let said = pl.last().is_some_and(|w| FIELD_WORDS.contains(w));
            let property = l[0] == "add" && spec.entities.len() == 1 && reads_as_property(lang, &pl);
            ((said || property) && !spec.entities.is_empty() && entity_named(spec, &pl).is_none())
                .then(|| (words[1..].to_vec(), 0))
        })
    } else if l[0] == "give" {
        // "give recipes a source": the entity right after the verb.
        (2..=l.len().min(4)).rev().find_map(|n| {
            let owner = lowers(trim_phrase(&words[1..n]));
            entity_named(spec, &owner).map(|e| (words[n..].to_vec(), e))
        })
    } else {
        // "recipes should have a source", "each book needs a rating".
        l.iter()
            .position(|w| {
                matches!(
                    *w,
                    "have" | "has" | "get" | "gets" | "need" | "needs" | "include" | "includes" | "with"
                )
            })
            .filter(|&i| i > 0)
            .and_then(|i| {
                let owner: Vec<&Token> = words[..i]
                    .iter()
                    .copied()
                    .filter(|t| {
                        !matches!(
                            t.lower.as_str(),
                            "should"
                                | "must"
                                | "could"
                                | "can"
                                | "will"
                                | "also"
                                | "to"
                                | "would"
                                | "each"
                                | "every"
                                | "all"
                        )
                    })
                    .collect();
                entity_named(spec, &lowers(trim_phrase(&owner))).map(|e| (words[i + 1..].to_vec(), e))
            })
    };
    let Some((phrase, index)) = found else { return false };
    let phrase = trim_phrase(&phrase);
    let pl = lowers(phrase);
    // "add a calendar to tasks" is a view, for the reflection pass.
    if pl.iter().any(|w| VIEW_WORDS.contains(w) || PAGE_WORDS.contains(w)) {
        return false;
    }
    let options = parenthesised(clause);
    let entity_words: Vec<String> = spec.entities[index]
        .label
        .to_lowercase()
        .split(' ')
        .map(str::to_owned)
        .collect();
    let mut added = false;
    for item in split_items(phrase) {
        let mut item = trim_phrase(&item).to_vec();
        while item.last().is_some_and(|t| FIELD_WORDS.contains(&t.lower.as_str())) {
            item.pop();
        }
        // "a field for notes", "a field called notes".
        if item.first().is_some_and(|t| FIELD_WORDS.contains(&t.lower.as_str())) {
            let skip = item
                .iter()
                .position(|t| matches!(t.lower.as_str(), "for" | "called" | "named"))
                .map_or(1, |i| i + 1);
            item.drain(..skip.min(item.len()));
        }
        let item = trim_phrase(&item);
        if item.is_empty() || item.len() > 5 {
            continue;
        }
        let lw: Vec<String> = item.iter().map(|t| t.lower.clone()).collect();
        let label = capitalize(&join(item));
        let name = to_snake(&label, "field");
        let e = &mut spec.entities[index];
        if e.fields.iter().any(|f| f.name == name || names_field(f, &lowers(item))) || e.fields.len() >= 24 {
            continue;
        }
        let (mut kind, mut opts) = kind_of(lang, &lw, &entity_words).unwrap_or((FieldKind::Text, Vec::new()));
        if !options.is_empty() && matches!(kind, FieldKind::Text | FieldKind::Select) {
            kind = FieldKind::Select;
            opts = options.clone();
        }
        if kind == FieldKind::Select && opts.len() < 2 {
            kind = FieldKind::Text;
            opts.clear();
        }
        if kind != FieldKind::Select {
            opts.clear();
        }
        e.fields.push(FieldSpec {
            name,
            label: clean_text(&label, 40),
            kind,
            required: false,
            options: opts,
            entity: None,
        });
        added = true;
    }
    added || !phrase.is_empty()
}

/// Whether a short phrase reads as a property of a record ("a due date", "notes", "a
/// rating") rather than a kind of record ("suppliers", "a page for suppliers", "authors
/// with a name").
fn reads_as_property(lang: Lang, words: &[&str]) -> bool {
    let Some(last) = words.last() else { return false };
    if words.len() > 3
        || words
            .iter()
            .any(|w| PAGE_WORDS.contains(w) || VIEW_WORDS.contains(w) || matches!(*w, "with" | "for" | "of"))
    {
        return false;
    }
    let single = singularize(last);
    if crate::catalog::blueprint_for_word(&single).is_some()
        || lang.is_person(&single)
        || lang.is_container(&single)
        || lang.is_event(&single)
        || lang.is_record_word(&single)
    {
        return false;
    }
    let owned: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    kind_of(lang, &owned, &[]).is_some()
        || lang.is_property(last)
        || lang.is_attribute(last)
        || !lang.looks_plural(last)
}

/// Items of a field phrase: split at commas, "and", "&" and "/" outside parentheses; the
/// parenthesised part is dropped (it holds options).
fn split_items<'a>(phrase: &[&'a Token]) -> Vec<Vec<&'a Token>> {
    let mut out = vec![Vec::new()];
    for t in phrase {
        if matches!(t.lower.as_str(), "and" | "plus" | "or") {
            out.push(Vec::new());
        } else if let Some(last) = out.last_mut() {
            last.push(*t);
        }
    }
    out.retain(|i| !i.is_empty());
    out
}

/// Options in parentheses in a clause: "(easy, medium, hard)".
fn parenthesised(clause: &[Token]) -> Vec<String> {
    let Some(open) = clause.iter().position(|t| t.lower == "(") else {
        return Vec::new();
    };
    let close = clause[open..]
        .iter()
        .position(|t| t.lower == ")")
        .map_or(clause.len(), |i| open + i);
    let mut out: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for t in &clause[open + 1..close] {
        if t.word && !matches!(t.lower.as_str(), "and" | "or") {
            current.push(&t.text);
        } else if !current.is_empty() {
            out.push(capitalize(&current.join(" ")));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(capitalize(&current.join(" ")));
    }
    out.dedup();
    out.into_iter().take(12).collect()
}

/// A new kind of record: "add a page for suppliers", "add suppliers with name, phone and
/// email", "also track suppliers", "add a suppliers tab". Read with [`crate::analyze`] on
/// the phrase, so it gets the catalogue's fields when the catalogue knows the thing.
fn apply_entity(clause: &[Token], words: &[&Token], spec: &mut AppSpec) {
    let l = lowers(words);
    let skip = match l.as_slice() {
        ["add" | "track" | "manage" | "include" | "create" | "store" | "record", ..] => 1,
        ["keep", "track", "of", ..] => 3,
        ["i", "want", ..] | ["we", "need", ..] => 2,
        _ => return,
    };
    let mut phrase: Vec<&Token> = trim_phrase(&words[skip..]).to_vec();
    // "a page for suppliers", "a page to track suppliers", "a suppliers page".
    if let Some(i) = phrase.iter().position(|t| PAGE_WORDS.contains(&t.lower.as_str())) {
        if i == 0 {
            let skip = phrase[1..]
                .iter()
                .position(|t| {
                    !matches!(
                        t.lower.as_str(),
                        "for"
                            | "of"
                            | "with"
                            | "to"
                            | "track"
                            | "manage"
                            | "list"
                            | "keep"
                            | "about"
                            | "listing"
                            | "showing"
                            | "my"
                            | "the"
                            | "all"
                    )
                })
                .map_or(phrase.len(), |j| j + 1);
            phrase.drain(..skip);
        } else {
            phrase.remove(i);
        }
    }
    let phrase = trim_phrase(&phrase);
    let pl = lowers(phrase);
    if pl.is_empty()
        || pl.iter().any(|w| VIEW_WORDS.contains(w))
        || entity_named(spec, &pl).is_some()
        || spec.entities.len() >= 8
        || !requested_features(&Prompt::new(&pl.join(" "))).is_empty() && pl.len() <= 2
    {
        return;
    }
    let head_end = pl
        .iter()
        .position(|w| matches!(*w, "with" | "and" | "that" | "which" | "who" | "for" | "including"))
        .unwrap_or(pl.len());
    if head_end == 0 || head_end > 4 {
        return;
    }
    let text = text_from(clause, phrase[0], phrase[phrase.len() - 1]);
    let analysis = crate::analyze(&format!("an app to keep track of {text}"));
    let head = singularize(pl[head_end - 1]);
    // The analysis's entity for the head noun; a generic one named by it when the analysis
    // read the words as something else ("reminders" is a feature word to it).
    let mut entity = match analysis
        .spec
        .entities
        .iter()
        .find(|e| names_entity(e, &[head.as_str()]))
    {
        Some(e) => e.clone(),
        None => {
            let plural = crate::words::pluralize(&head);
            let label = phrase[..head_end]
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let mut label_singular: Vec<&str> = label.split(' ').collect();
            let last_singular = singularize(label_singular.pop().unwrap_or(""));
            let singular_label = capitalize([label_singular.join(" "), last_singular].join(" ").trim());
            let plural_label = capitalize(&label);
            let plural_label = if singularize(&plural_label.to_lowercase()) == plural_label.to_lowercase() {
                capitalize(&plural)
            } else {
                plural_label
            };
            crate::cues::generic_entity(&head, &singular_label, &plural_label, &Prompt::new(&text), true)
        }
    };
    if spec.entities.iter().any(|e| e.name == entity.name) {
        return;
    }
    // References only to entities this app has.
    for f in &mut entity.fields {
        if f.kind == FieldKind::Reference
            && !f
                .entity
                .as_ref()
                .is_some_and(|t| spec.entities.iter().any(|e| &e.name == t))
        {
            f.kind = FieldKind::Text;
            f.entity = None;
        }
    }
    spec.entities.push(entity);
    // Its list page comes from the reflection pass (after the last list page).
}

/// "make it green", "change the colour to teal", "use purple with an orange accent": the
/// first colour named becomes the primary, a second (or one followed by "accent") the accent.
fn apply_colour(words: &[&Token], spec: &mut AppSpec) {
    let l = lowers(words);
    let about_look = matches!(
        l.first(),
        Some(&("make" | "turn" | "change" | "paint" | "colour" | "color" | "use" | "switch" | "set" | "go"))
    ) || l.iter().any(|w| {
        matches!(
            *w,
            "theme" | "colour" | "color" | "colours" | "colors" | "accent" | "palette" | "primary" | "scheme"
        )
    });
    if !about_look {
        return;
    }
    let mut primary_set = false;
    for (i, w) in l.iter().enumerate() {
        let Some(hex) = crate::theme::named_colour(w) else {
            continue;
        };
        let accent = matches!(l.get(i + 1), Some(&("accent" | "accents" | "highlights")));
        if accent || primary_set {
            spec.theme.accent = hex.to_owned();
            break;
        }
        spec.theme.primary = hex.to_owned();
        primary_set = true;
    }
}

/// "make it light", "use a light theme", "switch to light mode": the app starts light.
fn apply_light(words: &[&Token], spec: &mut AppSpec) {
    let l = lowers(words);
    let light = l.iter().enumerate().any(|(i, w)| {
        *w == "light"
            && !matches!(l.get(i + 1), Some(&"and") | Some(&"or"))
            && !matches!(i.checked_sub(1).and_then(|j| l.get(j)), Some(&"and") | Some(&"or"))
            && crate::theme::named_colour(l.get(i + 1).copied().unwrap_or("")).is_none()
    });
    if light && spec.theme.mode == ThemeMode::Dark {
        spec.theme.mode = ThemeMode::Light;
    }
}

/// What differs between two specs of one app, one sentence each: the name, the theme, the
/// features, entities and their fields (added, removed, changed kind), and pages.
pub fn describe_changes(old: &AppSpec, new: &AppSpec) -> Vec<String> {
    let mut out = Vec::new();
    if old.name != new.name {
        out.push(format!(
            "Renamed the app from \u{201c}{}\u{201d} to \u{201c}{}\u{201d}.",
            old.name, new.name
        ));
    }
    if old.summary != new.summary {
        out.push("Rewrote the summary.".into());
    }
    let (ot, nt) = (&old.theme, &new.theme);
    if ot.primary != nt.primary {
        out.push(format!(
            "The primary colour is now {} (was {}).",
            nt.primary, ot.primary
        ));
    }
    if ot.accent != nt.accent {
        out.push(format!("The accent colour is now {} (was {}).", nt.accent, ot.accent));
    }
    if ot.mode != nt.mode {
        out.push(format!(
            "The theme now starts {} (was {}).",
            nt.mode.as_str(),
            ot.mode.as_str()
        ));
    }
    if ot.radius != nt.radius {
        out.push(format!(
            "The corner radius is now {} px (was {}).",
            nt.radius, ot.radius
        ));
    }
    if ot.font != nt.font {
        out.push("Changed the font.".into());
    }
    for f in &new.features {
        if !old.features.contains(f) {
            out.push(format!("Added the feature {}.", f.as_str()));
        }
    }
    for f in &old.features {
        if !new.features.contains(f) {
            out.push(format!("Removed the feature {}.", f.as_str()));
        }
    }
    for e in &new.entities {
        match old.entities.iter().find(|o| o.name == e.name) {
            None => out.push(format!(
                "Added {} ({}).",
                e.plural,
                e.fields.iter().map(|f| f.label.as_str()).collect::<Vec<_>>().join(", ")
            )),
            Some(o) => {
                for f in &e.fields {
                    match o.fields.iter().find(|x| x.name == f.name) {
                        None => out.push(format!(
                            "{}: added the field {} ({}).",
                            e.plural,
                            f.label,
                            kind_words(f)
                        )),
                        Some(x) if x != f => out.push(format!(
                            "{}: the field {} is now {} (was {}).",
                            e.plural,
                            f.label,
                            kind_words(f),
                            kind_words(x)
                        )),
                        Some(_) => {}
                    }
                }
                for f in &o.fields {
                    if !e.fields.iter().any(|x| x.name == f.name) {
                        out.push(format!("{}: removed the field {}.", e.plural, f.label));
                    }
                }
                if o.label != e.label || o.plural != e.plural {
                    out.push(format!("{} are now called {}.", o.plural, e.plural));
                }
            }
        }
    }
    for o in &old.entities {
        if !new.entities.iter().any(|e| e.name == o.name) {
            out.push(format!("Removed {}.", o.plural));
        }
    }
    for p in &new.pages {
        match old.pages.iter().find(|o| o.id == p.id) {
            None => out.push(format!(
                "Added the page \u{201c}{}\u{201d} ({}).",
                p.title,
                p.kind.as_str()
            )),
            Some(o) if o != p => out.push(format!("Changed the page \u{201c}{}\u{201d}.", p.title)),
            Some(_) => {}
        }
    }
    for o in &old.pages {
        if !new.pages.iter().any(|p| p.id == o.id) {
            out.push(format!("Removed the page \u{201c}{}\u{201d}.", o.title));
        }
    }
    out
}

/// "select: Easy, Hard", "long text", "reference to authors".
fn kind_words(f: &FieldSpec) -> String {
    let kind = f.kind.as_str().replace('_', " ");
    if f.kind == FieldKind::Select && !f.options.is_empty() {
        format!("{kind}: {}", f.options.join(", "))
    } else if let Some(t) = &f.entity {
        format!("{kind} to {t}")
    } else {
        kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze;
    use domain::spec::Feature;

    fn app(prompt: &str) -> AppSpec {
        analyze(prompt).spec
    }

    fn entity<'a>(spec: &'a AppSpec, name: &str) -> &'a EntitySpec {
        spec.entity(name)
            .unwrap_or_else(|| panic!("no entity {name} in {:?}", spec.entities))
    }

    fn field<'a>(e: &'a EntitySpec, label: &str) -> Option<&'a FieldSpec> {
        e.fields.iter().find(|f| f.label.eq_ignore_ascii_case(label))
    }

    const RECIPES: &str = "a recipe book with ingredients and cooking times";

    #[test]
    fn a_field_named_for_an_entity_is_added_to_it_and_nothing_else_changes() {
        let before = app(RECIPES);
        for change in [
            "add a source field to recipes",
            "Add source to the recipes",
            "recipes should also have a source",
            "give recipes a source",
            "please add a field called source to each recipe",
        ] {
            let after = revise(change, before.clone());
            let recipe = entity(&after.spec, "recipe");
            assert!(field(recipe, "source").is_some(), "{change}: {:?}", recipe.fields);
            assert_eq!(
                recipe.fields.len(),
                entity(&before, "recipe").fields.len() + 1,
                "{change}"
            );
            assert_eq!(after.spec.theme, before.theme, "{change}");
            assert_eq!(after.spec.pages.len(), before.pages.len(), "{change}");
            assert!(
                after.spec.validate().is_empty(),
                "{change}: {:?}",
                after.spec.validate()
            );
            assert!(
                after.reflection.iter().any(|n| n.contains("added the field Source")),
                "{change}: {:?}",
                after.reflection
            );
            assert!(after.confidence > 0.5, "{change}: {}", after.confidence);
        }
    }

    #[test]
    fn added_fields_get_kinds_and_options_from_their_words() {
        let before = app(RECIPES);
        let after = revise(
            "add difficulty (easy, medium, hard), a rating and a date cooked to recipes",
            before,
        )
        .spec;
        let recipe = entity(&after, "recipe");
        let difficulty = field(recipe, "difficulty").expect("difficulty");
        assert_eq!(difficulty.kind, FieldKind::Select);
        assert_eq!(difficulty.options, ["Easy", "Medium", "Hard"]);
        assert_eq!(field(recipe, "rating").expect("rating").kind, FieldKind::Rating);
        assert_eq!(field(recipe, "date cooked").expect("date cooked").kind, FieldKind::Date);
        let notes = revise("add a notes field to recipes", app(RECIPES)).spec;
        assert_eq!(
            field(entity(&notes, "recipe"), "notes").expect("notes").kind,
            FieldKind::LongText
        );
    }

    #[test]
    fn a_colour_changes_only_the_theme() {
        let before = app(RECIPES);
        let after = revise("make it green", before.clone());
        assert_ne!(after.spec.theme.primary, before.theme.primary);
        let mut same = after.spec.clone();
        same.theme.primary = before.theme.primary.clone();
        assert_eq!(same, before, "only the primary colour may change");
        assert!(
            after.reflection[0].starts_with("The primary colour is now"),
            "{:?}",
            after.reflection
        );
    }

    #[test]
    fn a_page_for_a_new_thing_adds_an_entity_with_its_list_page() {
        let before = app(RECIPES);
        let after = revise("add a page for suppliers", before.clone()).spec;
        let supplier = entity(&after, "supplier");
        assert!(supplier.fields.len() >= 2, "{:?}", supplier.fields);
        assert!(after
            .pages
            .iter()
            .any(|p| p.kind == PageKind::List && p.entity.as_deref() == Some("supplier")));
        assert_eq!(after.entities.len(), before.entities.len() + 1);
        for e in &before.entities {
            assert_eq!(entity(&after, &e.name), e, "the other entities stay as they were");
        }
        let reminders = revise("add a page for reminders", before.clone()).spec;
        let reminder = entity(&reminders, "reminder");
        assert_eq!(
            (reminder.label.as_str(), reminder.plural.as_str()),
            ("Reminder", "Reminders")
        );
        let again = revise("track suppliers with a name, a phone and an email too", before).spec;
        let supplier = entity(&again, "supplier");
        for f in ["phone", "email"] {
            assert!(
                supplier.fields.iter().any(|x| x.name == f),
                "{f}: {:?}",
                supplier.fields
            );
        }
        assert!(again.validate().is_empty());
    }

    #[test]
    fn removals_take_out_a_field_an_entity_a_view_or_a_feature() {
        let before = app("a todo app with projects, priorities, due dates, tags and a calendar");
        let task = before.entities[0].clone();
        let second = task.fields[1].clone();
        let after = revise(
            &format!("remove the {} field", second.label.to_lowercase()),
            before.clone(),
        )
        .spec;
        assert!(
            !after.entities[0].fields.iter().any(|f| f.name == second.name),
            "{:?}",
            after.entities[0].fields
        );
        assert!(after.validate().is_empty(), "{:?}", after.validate());

        assert!(
            before.pages.iter().any(|p| p.kind == PageKind::Calendar),
            "{:?}",
            before.pages
        );
        let no_calendar = revise("delete the calendar", before.clone()).spec;
        assert!(!no_calendar.pages.iter().any(|p| p.kind == PageKind::Calendar));
        assert_eq!(no_calendar.entities, before.entities);

        assert!(before.features.contains(&Feature::Tags), "{:?}", before.features);
        let no_tags = revise("remove tags", before.clone()).spec;
        assert!(!no_tags.features.contains(&Feature::Tags), "{:?}", no_tags.features);

        if before.entities.len() > 1 {
            let gone = before.entities[1].clone();
            let fewer = revise(&format!("get rid of {}", gone.plural.to_lowercase()), before.clone()).spec;
            assert!(fewer.entity(&gone.name).is_none(), "{:?}", fewer.entities);
            assert!(fewer.validate().is_empty(), "{:?}", fewer.validate());
            assert!(fewer
                .entities
                .iter()
                .flat_map(|e| &e.fields)
                .all(|f| f.entity.as_deref() != Some(gone.name.as_str())));
        }
    }

    #[test]
    fn the_title_field_and_the_last_entity_stay() {
        let before = app("a habit tracker");
        let title = before.entities[0].fields[0].label.to_lowercase();
        let after = revise(&format!("remove the {title} field"), before.clone()).spec;
        assert_eq!(after.entities[0].fields[0], before.entities[0].fields[0]);
        let after = revise(
            &format!("remove {}", before.entities[0].plural.to_lowercase()),
            before.clone(),
        )
        .spec;
        assert_eq!(after.entities.len(), 1);
    }

    #[test]
    fn a_rename_keeps_the_words_as_the_name_and_does_not_recolour() {
        let before = app(RECIPES);
        for (change, name) in [
            ("call it Green Kitchen", "Green Kitchen"),
            ("rename the app to Larder", "Larder"),
            ("rename it \"Sunday Roast\"", "Sunday Roast"),
        ] {
            let after = revise(change, before.clone()).spec;
            assert_eq!(after.name, name, "{change}");
            assert_eq!(after.theme, before.theme, "{change}");
        }
    }

    #[test]
    fn several_clauses_each_apply() {
        let before = app(RECIPES);
        let after = revise(
            "add a source field to recipes and make it dark. Also add search",
            before,
        )
        .spec;
        assert!(field(entity(&after, "recipe"), "source").is_some());
        assert_eq!(after.theme.mode, ThemeMode::Dark);
        assert!(after.features.contains(&Feature::Search));
        let light = revise("switch to light mode", after).spec;
        assert_eq!(light.theme.mode, ThemeMode::Light);
    }

    #[test]
    fn a_request_that_changes_nothing_says_so() {
        let before = app(RECIPES);
        let after = revise("hmm, not sure yet", before.clone());
        assert_eq!(after.spec, before);
        assert!(after.reflection[0].starts_with("Nothing in"), "{:?}", after.reflection);
        assert!(after.confidence < 0.5);
    }

    #[test]
    fn revising_twice_with_the_same_request_adds_nothing_more() {
        for prompt in crate::SAMPLE_PROMPTS {
            let before = app(prompt);
            for change in [
                "add a notes field to the first list",
                "add a supplier field",
                "add a page for suppliers",
                "make it purple and dark",
                "add a calendar",
            ] {
                let once = revise(change, before.clone()).spec;
                assert!(once.validate().is_empty(), "{prompt} / {change}: {:?}", once.validate());
                let twice = revise(change, once.clone()).spec;
                assert_eq!(twice, once, "{prompt} / {change}");
            }
        }
    }

    #[test]
    fn changes_are_described_in_both_directions() {
        let before = app(RECIPES);
        let after = revise("add a source field to recipes and a page for suppliers", before.clone()).spec;
        let there = describe_changes(&before, &after);
        let back = describe_changes(&after, &before);
        assert!(there.iter().any(|n| n.starts_with("Added Suppliers")), "{there:?}");
        assert!(back.iter().any(|n| n == "Removed Suppliers."), "{back:?}");
        assert!(back.iter().any(|n| n.contains("removed the field Source")), "{back:?}");
        assert!(describe_changes(&before, &before).is_empty());
    }
}
