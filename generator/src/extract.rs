//! Reading what a prompt names: the record kinds (entities), their fields and the relations
//! between them, from the phrase structure of the person's words, before any catalogue is
//! consulted.
//!
//! The reader works on [`crate::words::Token`]s sentence by sentence:
//! - `HEAD: A, B and C` — a list after a colon; `X with A, B and C` (mit, avec, con) — a list
//!   of X's fields; `X (A, B, C)` — a parenthesised list names fields, or a select's options
//!   when X is a single property ("priority (low, medium, high)").
//! - Noun phrases are runs of content words; app words are stripped ("blood pressure log",
//!   "Weinsammlung", "wijncollectie", "suivi de mes dépenses"), what remains names the
//!   app's subject. Romance languages put the head noun first.
//! - A list item is an entity when it is a kind of record (the catalogue's, or a person, a
//!   container or an event in the prompt's language) or a leading plural of a colon list
//!   under an app phrase; otherwise it is a field of the entity the list belongs to.
//! - Relations: "invoices for clients", "Rechnungen an Kunden", a container in a list of
//!   fields ("tasks with projects"), a person modifying a noun ("volunteer shifts"), and an
//!   event listed after the things it involves ("tools, borrowers and loans").
//!
//! Invariants: pure and deterministic; the result only holds what the words name (the
//! catalogue fills in later, in `analyze`).

use domain::spec::FieldKind;

use crate::catalog;
use crate::lang::{kind_of, Lang};
use crate::theme;
use crate::words::{capitalize, Token};

/// What a prompt names.
pub(crate) struct Named {
    /// The prompt's language.
    pub(crate) lang: Lang,
    /// Entities in the order the prompt names them.
    pub(crate) entities: Vec<NEntity>,
    /// The words that name the app ("blood pressure log"), as written.
    pub(crate) app_phrase: Option<String>,
}

/// An entity the prompt names.
#[derive(Debug, Clone)]
pub(crate) struct NEntity {
    /// Lowercase singular head noun ("fill-up").
    pub(crate) head: String,
    /// Lowercase modifier words before it ("fuel"), for catalogue look-ups.
    pub(crate) modifiers: Vec<String>,
    /// Singular label as written ("Fuel fill-up").
    pub(crate) label: String,
    /// Plural label ("Fuel fill-ups").
    pub(crate) plural: String,
    /// Stem of the head: the identity used to merge mentions.
    pub(crate) key: String,
    /// Fields in the order named.
    pub(crate) fields: Vec<NField>,
    /// Keys of the entities it refers to.
    pub(crate) refs: Vec<String>,
    /// Named only as the app's subject ("habit" in "a habit tracker").
    pub(crate) weak: bool,
}

/// A field the prompt names.
#[derive(Debug, Clone)]
pub(crate) struct NField {
    /// Label as written, first letter upper-case ("Bottles left").
    pub(crate) label: String,
    /// Lowercase words.
    pub(crate) words: Vec<String>,
    /// The kind the words give, if they give one.
    pub(crate) kind: Option<FieldKind>,
    /// Options, for selects.
    pub(crate) options: Vec<String>,
}

/// Words that are about the app's behaviour or look, never data ("dark mode", "charts").
#[rustfmt::skip]
const NOISE: &[&str] = &[
    "dark", "light", "mode", "theme", "themes", "toggle", "search", "searchable", "chart", "charts", "graph",
    "graphs", "stats", "statistics", "analytics", "export", "import", "backup", "backups", "csv", "json", "streak",
    "streaks", "tag", "tags", "favorite", "favorites", "favourite", "favourites", "sort", "sorting", "filter",
    "filters", "alert", "alerts", "reminders", "notification", "notifications", "dashboard", "ui",
    "design", "layout", "responsive", "mobile", "offline", "sync", "login", "pipeline", "sales", "insights",
    "report", "reports", "colours", "colors", "font", "style", "look", "préféré", "préférés",
    "préférées", "favori", "favoris", "favorito", "favoritos", "favoritas", "lieblings", "diagramme", "suche",
];

/// Words that start a clause, not a noun phrase ("how I felt").
const CLAUSE: &[&str] = &[
    "how", "what", "who", "when", "which", "why", "wie", "was", "wer", "comment", "quoi", "cómo", "qué", "quién",
];

/// Words that introduce a board's columns ("with columns todo, doing and done").
const COLUMN_WORDS: &[&str] = &[
    "column",
    "columns",
    "lane",
    "lanes",
    "swimlanes",
    "spalte",
    "spalten",
    "colonne",
    "colonnes",
    "columna",
    "columnas",
    "coluna",
    "colunas",
    "kolom",
    "kolommen",
];

/// "of" in the languages read: "a log of sessions".
const OF_WORDS: &[&str] = &["of", "von", "de", "des", "du", "di", "van", "do", "da", "dos", "das"];

/// Words for a collection of records: "a log of X" names X.
const COLLECTION_WORDS: &[&str] = &[
    "log",
    "list",
    "history",
    "record",
    "records",
    "journal",
    "collection",
    "archive",
    "liste",
    "protokoll",
    "verlauf",
    "sammlung",
    "historique",
    "journal",
    "lista",
    "historial",
    "registro",
    "elenco",
    "lijst",
];

/// Words that introduce the app's name ("called Sprout"): the name is not data.
const NAMING: &[&str] = &[
    "called", "named", "titled", "namens", "appelée", "appelé", "nommée", "llamada", "llamado",
];

struct Reader<'a> {
    lang: Lang,
    entities: Vec<NEntity>,
    app_phrase: Option<String>,
    _p: std::marker::PhantomData<&'a ()>,
}

/// Reads what `tokens` name.
pub(crate) fn read(tokens: &[Token], lang: Lang) -> Named {
    let mut r = Reader {
        lang,
        entities: Vec::new(),
        app_phrase: None,
        _p: std::marker::PhantomData,
    };
    let tokens = drop_name(tokens);
    for sentence in tokens.split(|t| !t.word && matches!(t.lower.as_str(), "." | "!" | "?" | ";")) {
        r.sentence(sentence);
    }
    r.finish()
}

/// The tokens without the app's name ("called Shelf Life", "named \"Bread & Butter\"").
fn drop_name(tokens: &[Token]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t.word && NAMING.contains(&t.lower.as_str()) {
            i += 1;
            // A quoted name: up to the closing quote.
            if let Some(q) = tokens
                .get(i)
                .filter(|t| !t.word && matches!(t.lower.as_str(), "\"" | "\u{201c}" | "\u{ab}" | "'"))
            {
                let close = match q.lower.as_str() {
                    "\u{201c}" => "\u{201d}",
                    "\u{ab}" => "\u{bb}",
                    other => other,
                };
                i += 1;
                while i < tokens.len() && tokens[i].lower != close {
                    i += 1;
                }
                i += 1;
                continue;
            }
            // Otherwise up to punctuation or a small word.
            let mut n = 0;
            while i < tokens.len() && tokens[i].word && n < 5 {
                if matches!(
                    tokens[i].lower.as_str(),
                    "to" | "with" | "for" | "that" | "which" | "and" | "mit" | "für" | "avec" | "pour" | "con" | "para"
                ) {
                    break;
                }
                i += 1;
                n += 1;
            }
            continue;
        }
        out.push(t.clone());
        i += 1;
    }
    out
}

/// A noun phrase: word tokens in a row.
#[derive(Debug, Clone)]
struct Np {
    words: Vec<Token>,
    /// The preposition just before it, lowercase.
    prep: Option<String>,
    /// Index of the noun phrase the preposition ties it to.
    after: Option<usize>,
    /// A singular "my"/"a"/"mein"/"ma"/"mi" just before: a context, not a record kind.
    single_det: bool,
    /// Ends in a possessive ("car's").
    possessive: bool,
    /// The object of a verb of keeping ("track orders", "keep track of loans").
    kept: bool,
}

impl Reader<'_> {
    fn content(&self, t: &Token) -> bool {
        t.word
            && (!self.lang.is_function(&t.lower) || self.lang.is_app_word(&t.lower))
            && !self.lang.is_connector(&t.lower)
            && !self.lang.is_with(&t.lower)
            && !t.lower.chars().all(|c| c.is_ascii_digit())
            && !CLAUSE.contains(&t.lower.as_str())
    }

    /// Noun phrases of a token run, in order.
    fn phrases(&self, toks: &[Token]) -> Vec<Np> {
        let mut out: Vec<Np> = Vec::new();
        let mut cur: Vec<Token> = Vec::new();
        let mut prep: Option<String> = None;
        let mut single = false;
        let mut last_np_before_prep: Option<usize> = None;
        let mut kept = false;
        let flush = |out: &mut Vec<Np>,
                     cur: &mut Vec<Token>,
                     prep: &mut Option<String>,
                     single: &mut bool,
                     kept: &mut bool,
                     after: Option<usize>| {
            if !cur.is_empty() {
                let possessive = cur.last().is_some_and(|t| t.possessive);
                out.push(Np {
                    words: std::mem::take(cur),
                    prep: prep.take(),
                    after,
                    single_det: *single,
                    possessive,
                    kept: *kept,
                });
                *kept = false;
            }
            *single = false;
        };
        for t in toks {
            if self.content(t) {
                cur.push(t.clone());
                if t.possessive {
                    let after = if prep.is_some() { last_np_before_prep } else { None };
                    flush(&mut out, &mut cur, &mut prep, &mut single, &mut kept, after);
                }
                continue;
            }
            let after = if prep.is_some() { last_np_before_prep } else { None };
            flush(&mut out, &mut cur, &mut prep, &mut single, &mut kept, after);
            if t.word
                && matches!(
                    t.lower.as_str(),
                    "track"
                        | "manage"
                        | "log"
                        | "record"
                        | "organize"
                        | "organise"
                        | "collect"
                        | "catalog"
                        | "catalogue"
                )
            {
                kept = true;
            }
            if !t.word {
                if matches!(t.lower.as_str(), "," | "(" | ")" | ":" | "\n") {
                    prep = None;
                }
                continue;
            }
            if self.lang.is_relation_prep(&t.lower) || t.lower == "à" {
                prep = Some(t.lower.clone());
                last_np_before_prep = if out.is_empty() { None } else { Some(out.len() - 1) };
            }
            if matches!(
                t.lower.as_str(),
                "my" | "a"
                    | "an"
                    | "mein"
                    | "meine"
                    | "meinen"
                    | "meinem"
                    | "ein"
                    | "eine"
                    | "einen"
                    | "ma"
                    | "mon"
                    | "un"
                    | "une"
                    | "mi"
                    | "una"
                    | "unser"
                    | "unseren"
                    | "our"
                    | "le"
                    | "la"
                    | "the"
            ) {
                single = true;
            }
        }
        let after = if prep.is_some() { last_np_before_prep } else { None };
        flush(&mut out, &mut cur, &mut prep, &mut single, &mut kept, after);
        out
    }

    /// The words of a noun phrase without noise and app words; and whether app words were
    /// stripped (an app phrase).
    fn strip(&mut self, np: &Np, in_head: bool) -> (Vec<Token>, bool) {
        let mut words: Vec<Token> = np
            .words
            .iter()
            .filter(|t| !NOISE.contains(&t.lower.as_str()) && theme::named_colour(&t.lower).is_none())
            .cloned()
            .collect();
        let mut app = false;
        // English and German: app words at the end ("blood pressure log", "Weinsammlung").
        while let Some(last) = words.last() {
            if self.lang.is_app_word(&last.lower) && !self.lang.looks_plural(&last.lower) {
                app = true;
                if self.app_phrase.is_none() && in_head && words.len() > 1 {
                    self.app_phrase = Some(np.words.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" "));
                }
                words.pop();
                continue;
            }
            if let Some(suffix) = self.lang.app_suffix(&last.lower) {
                app = true;
                if self.app_phrase.is_none() && in_head {
                    self.app_phrase = Some(last.text.clone());
                }
                let cut = last.text.chars().count() - suffix.chars().count();
                let mut stem: String = last.text.chars().take(cut).collect();
                // The linking s of German compounds: "Trainings-tagebuch", "Urlaubs-planer".
                let lower = stem.to_lowercase();
                if lower.ends_with('s')
                    && ["ungs", "ings", "heits", "keits", "ions", "aubs", "alts", "ungs"]
                        .iter()
                        .any(|s| lower.ends_with(s))
                {
                    stem.pop();
                }
                let lower = stem.to_lowercase();
                let n = words.len();
                words[n - 1] = Token {
                    text: stem,
                    lower,
                    word: true,
                    possessive: false,
                };
                break;
            }
            break;
        }
        // Romance languages: app words first ("Suivi", "Registro", "Carnet").
        if self.lang.head_first() {
            while words.first().is_some_and(|t| self.lang.is_app_word(&t.lower)) {
                app = true;
                words.remove(0);
            }
        }
        // English verbs that are also app words, before their object: "log bird sightings".
        if self.lang == Lang::En
            && words.len() > 1
            && matches!(
                words[0].lower.as_str(),
                "log" | "list" | "schedule" | "plan" | "record" | "track" | "catalog" | "catalogue"
            )
        {
            words.remove(0);
        }
        (words, app)
    }

    /// The entity for a phrase's words (found by key, or added), its index.
    fn entity(&mut self, words: &[Token], weak: bool) -> Option<usize> {
        let romance = self.lang.head_first();
        let (head_tok, mods): (&Token, &[Token]) = if romance {
            let (h, rest) = words.split_first()?;
            (h, rest)
        } else {
            let (h, rest) = words.split_last()?;
            (h, rest)
        };
        if head_tok.lower.chars().count() < 2 {
            return None;
        }
        let head = self.lang.singular(&head_tok.lower);
        let key = self.key(&head);
        if let Some(i) = self.entities.iter().position(|e| e.key == key) {
            if !weak {
                self.entities[i].weak = false;
            }
            return Some(i);
        }
        let head_text = self.lang.singular(&head_tok.text);
        let (label, plural) = if romance {
            (capitalize(&head_text), capitalize(&self.lang.plural(&head_text)))
        } else {
            let m: Vec<&str> = mods.iter().map(|t| t.text.as_str()).collect();
            let join = |h: &str| {
                let mut all = m.clone();
                all.push(h);
                capitalize(&all.join(" "))
            };
            let plural_text = if self.lang.looks_plural(&head_tok.lower) {
                head_tok.text.clone()
            } else {
                self.lang.plural(&head_text)
            };
            (join(&head_text), join(&plural_text))
        };
        self.entities.push(NEntity {
            head,
            modifiers: mods.iter().map(|t| t.lower.clone()).collect(),
            label,
            plural,
            key,
            fields: Vec::new(),
            refs: Vec::new(),
            weak,
        });
        Some(self.entities.len() - 1)
    }

    /// The identity of a head noun: its stem, except that a gerund stays whole ("walking"
    /// is not "walks").
    fn key(&self, head: &str) -> String {
        if self.lang == Lang::En && head.ends_with("ing") {
            head.to_string()
        } else {
            self.lang.stem(head)
        }
    }

    fn relate(&mut self, from: usize, to: usize) {
        if from == to {
            return;
        }
        let key = self.entities[to].key.clone();
        if !self.entities[from].refs.contains(&key) && !self.entities[to].refs.contains(&self.entities[from].key) {
            self.entities[from].refs.push(key);
        }
    }

    /// "volunteer shift": the person and the rest as two entities, the rest referring to
    /// the person; the rest's index. `None` when no person modifies the phrase.
    fn person_split(&mut self, words: &[Token]) -> Option<usize> {
        if words.len() < 2 || self.lang.head_first() {
            return None;
        }
        let p = words[..words.len() - 1]
            .iter()
            .position(|t| self.lang.is_person(&t.lower))?;
        let person = self.entity(&words[p..p + 1], false);
        let rest = self.entity(&words[p + 1..], false)?;
        if let Some(b) = person {
            self.relate(rest, b);
        }
        Some(rest)
    }

    /// Entities a head part names; returns the owner of a list that follows.
    fn head(&mut self, toks: &[Token]) -> Option<usize> {
        let nps = self.phrases(toks);
        let mut idx: Vec<Option<usize>> = Vec::new();
        let mut plural_np: Vec<bool> = Vec::new();
        let mut app_only_prev = false;
        for np in &nps {
            let (words, app) = self.strip(np, true);
            if words.is_empty() {
                idx.push(None);
                plural_np.push(false);
                app_only_prev = app;
                continue;
            }
            let head_lower = if self.lang.head_first() {
                &words[0].lower
            } else {
                &words[words.len() - 1].lower
            };
            let plural = self.lang.looks_plural(head_lower);
            plural_np.push(plural);
            let subject_of_app = app || (app_only_prev && np.prep.as_deref().is_some_and(|p| p != "to"));
            app_only_prev = false;
            let mut at = None;
            if np.possessive {
                if plural && !np.single_det {
                    at = self.entity(&words, false);
                }
                idx.push(at);
                continue;
            }
            if subject_of_app || plural {
                // A person before a noun is its own entity: "volunteer shift", "customer orders".
                if let Some(rest) = self.person_split(&words) {
                    idx.push(Some(rest));
                    continue;
                }
                at = self.entity(&words, subject_of_app);
            }
            idx.push(at);
        }
        // Relations: "invoices for my clients".
        for (i, np) in nps.iter().enumerate() {
            if let (Some(to), Some(from_np)) = (idx[i], np.after) {
                if let Some(Some(from)) = idx.get(from_np) {
                    let strong = |i: usize, e: usize| !self.entities[e].weak || plural_np[i];
                    if strong(from_np, *from) && strong(i, to) {
                        self.relate(*from, to);
                    }
                }
            }
        }
        // The owner: what is kept ("track orders ..."), else the last entity named, unless
        // it is tied by a preposition to an earlier, explicit one ("invoices for my
        // clients:" lists invoice fields).
        if let Some(i) = (0..nps.len()).find(|i| nps[*i].kept && idx[*i].is_some()) {
            return idx[i];
        }
        let Some(last) = (0..nps.len()).rev().find(|i| idx[*i].is_some()) else {
            // "Each plant has: ...": a singular noun that is (or, before a list, becomes)
            // an entity.
            let np = nps.last()?;
            let (words, _) = self.strip(np, false);
            let head = if self.lang.head_first() {
                words.first()
            } else {
                words.last()
            }?;
            let key = self.key(&self.lang.singular(&head.lower));
            if let Some(e) = self.entities.iter().position(|e| e.key == key) {
                return Some(e);
            }
            let before_list = toks.last().is_some_and(|t| t.word && self.lang.is_with(&t.lower));
            return if before_list && !self.lang.is_attribute(&head.lower) {
                self.entity(&words, false)
            } else {
                None
            };
        };
        if let Some(from_np) = nps[last].after {
            if let Some(Some(from)) = idx.get(from_np) {
                if !self.entities[*from].weak || plural_np[from_np] {
                    return Some(*from);
                }
            }
        }
        idx[last]
    }

    fn sentence(&mut self, s: &[Token]) {
        if s.is_empty() {
            return;
        }
        let top = top_level(s);
        if let Some(c) = top
            .iter()
            .position(|i| !s[*i].word && s[*i].lower == ":")
            .map(|p| top[p])
        {
            // "Kanban mit den Spalten: Offen, …": the list is a board's columns.
            if let Some(col) = s[..c]
                .iter()
                .position(|t| t.word && COLUMN_WORDS.contains(&t.lower.as_str()))
            {
                let before: Vec<Token> = s[..col]
                    .iter()
                    .filter(|t| !(t.word && self.lang.is_with(&t.lower)))
                    .cloned()
                    .collect();
                self.head(&before);
                return;
            }
            let owner = self.head(&s[..c]);
            self.list(&s[c + 1..], owner, true);
            return;
        }
        if let Some(w) = top
            .iter()
            .copied()
            .find(|i| s[*i].word && self.lang.is_with(&s[*i].lower) && *i > 0)
        {
            let comma_before = w > 0 && !s[w - 1].word && s[w - 1].lower == ",";
            let before = self.entities.len();
            let owner = self.head(&s[..w]);
            let owner = if comma_before {
                // "..., with prices": the sentence's main entity.
                (before..self.entities.len())
                    .find(|i| !self.entities[*i].weak)
                    .or(owner)
            } else {
                owner
            };
            self.list(&s[w + 1..], owner, false);
            return;
        }
        self.head(s);
    }

    /// A list of items (after a colon, or after "with") belonging to `owner`.
    fn list(&mut self, toks: &[Token], owner: Option<usize>, colon: bool) {
        // "with columns todo, doing and done": a board's columns, not fields (the views
        // read them into the status select).
        let first_word = toks.iter().find(|t| t.word && !self.is_determiner(&t.lower));
        if first_word.is_some_and(|t| COLUMN_WORDS.contains(&t.lower.as_str())) {
            return;
        }
        let items = split_items(toks, self.lang);
        let mut current = owner;
        let mut leading = colon && owner.is_none_or(|o| self.entities[o].weak);
        for (n, item) in items.iter().enumerate() {
            self.item(item, &mut current, &mut leading, owner, n == 0);
        }
    }

    fn item(
        &mut self,
        item: &[Token],
        current: &mut Option<usize>,
        leading: &mut bool,
        owner: Option<usize>,
        first: bool,
    ) {
        // "a log of completed focus sessions", "a list of my plants": the records named after
        // "of" are the item (an entity), not a field called "log".
        if let Some(of) = item
            .iter()
            .take(4)
            .position(|t| t.word && OF_WORDS.contains(&t.lower.as_str()))
        {
            let before: Vec<&Token> = item[..of]
                .iter()
                .filter(|t| t.word && !self.is_determiner(&t.lower))
                .collect();
            if before.len() == 1 && COLLECTION_WORDS.contains(&before[0].lower.as_str()) && of + 1 < item.len() {
                let rest: Vec<Token> = item[of + 1..]
                    .iter()
                    .filter(|t| !(t.word && matches!(t.lower.as_str(), "completed" | "finished" | "past" | "done")))
                    .cloned()
                    .collect();
                if !rest.is_empty() {
                    return self.item(&rest, current, leading, owner, first);
                }
            }
        }
        let top = top_level(item);
        // "photos with camera settings (...)": a new entity and its first field.
        // ("by" introduces a list only after a verb: "organize ... by fabric, size".)
        if let Some(w) = top
            .iter()
            .copied()
            .find(|i| item[*i].word && self.lang.is_with(&item[*i].lower) && item[*i].lower != "by" && *i > 0)
        {
            let nps = self.phrases(&item[..w]);
            if let Some(np) = nps.last() {
                if np.possessive {
                    self.possessive_item(&item[..w], current);
                } else {
                    let (words, _) = self.strip(np, false);
                    if let Some(e) = self.entity(&words, false) {
                        if let Some(c) = *current {
                            if self.lang.is_container(&self.entities[e].head)
                                && c != e
                                && !self.lang.is_container(&self.entities[c].head)
                            {
                                self.relate(c, e);
                            }
                        }
                        *current = Some(e);
                    }
                }
            }
            *leading = false;
            let rest = &item[w + 1..];
            let mut l = false;
            self.item(rest, current, &mut l, owner, true);
            return;
        }
        // "X (A, B, C)".
        if let Some(open) = item.iter().position(|t| !t.word && t.lower == "(") {
            let close = item
                .iter()
                .rposition(|t| !t.word && t.lower == ")")
                .unwrap_or(item.len());
            let inner: &[Token] = item.get(open + 1..close.max(open + 1)).unwrap_or(&[]);
            let inner_items = split_items(inner, self.lang);
            let x: Vec<Token> = item[..open].iter().filter(|t| self.content(t)).cloned().collect();
            let x_plural = x.last().is_some_and(|t| self.lang.looks_plural(&t.lower));
            let short = inner_items.iter().all(|i| i.iter().filter(|t| t.word).count() <= 3);
            if !x.is_empty() && !x_plural && short && inner_items.len() >= 2 {
                // A select and its options.
                let options: Vec<String> = inner_items
                    .iter()
                    .map(|i| {
                        capitalize(
                            &i.iter()
                                .filter(|t| t.word)
                                .map(|t| t.text.as_str())
                                .collect::<Vec<_>>()
                                .join(" "),
                        )
                    })
                    .filter(|o| !o.is_empty())
                    .collect();
                self.add_field(*current, &x, Some((FieldKind::Select, options)));
                *leading = false;
                return;
            }
            let x_record = x.last().is_some_and(|t| self.is_record(&t.lower, *current));
            if !x.is_empty() && x_plural && (x_record || *leading) {
                if let Some(e) = self.entity(&x, false) {
                    *current = Some(e);
                }
            }
            *leading = false;
            for i in &inner_items {
                let mut l = false;
                self.item(i, current, &mut l, owner, false);
            }
            return;
        }
        if item.iter().any(|t| t.possessive) {
            self.possessive_item(item, current);
            return;
        }
        // A plain item.
        let words: Vec<Token> = {
            let mut w: Vec<Token> = item.iter().filter(|t| t.word).cloned().collect();
            while w.first().is_some_and(|t| self.is_determiner(&t.lower)) {
                w.remove(0);
            }
            // An item about the app's behaviour ("low stock alerts", "export to JSON") is
            // no field.
            if w.iter().any(|t| NOISE.contains(&t.lower.as_str())) {
                w.clear();
            }
            w.retain(|t| !NAMING.contains(&t.lower.as_str()));
            // "the book we discuss": the relative clause is not part of the name.
            if let Some(i) = w
                .iter()
                .skip(1)
                .position(|t| matches!(t.lower.as_str(), "we" | "i" | "you" | "they" | "he" | "she"))
            {
                w.truncate(i + 1);
            }
            // "whether it was paid back" -> "paid back".
            if w.first()
                .is_some_and(|t| matches!(t.lower.as_str(), "whether" | "if" | "ob" | "si"))
            {
                while w.first().is_some_and(|t| {
                    matches!(
                        t.lower.as_str(),
                        "whether"
                            | "if"
                            | "it"
                            | "its"
                            | "was"
                            | "is"
                            | "has"
                            | "been"
                            | "be"
                            | "are"
                            | "were"
                            | "ob"
                            | "si"
                            | "es"
                            | "est"
                    )
                }) {
                    w.remove(0);
                }
            }
            // "check them off each day": a clause, not a field.
            if w.iter()
                .any(|t| matches!(t.lower.as_str(), "them" | "it" | "us" | "him" | "her" | "something"))
            {
                w.clear();
            }
            while w.last().is_some_and(|t| {
                matches!(
                    t.lower.as_str(),
                    "a" | "an" | "the" | "my" | "our" | "also" | "and" | "etc"
                )
            }) {
                w.pop();
            }
            w
        };
        let noun_verb = |w: &str| {
            matches!(
                w,
                "track" | "record" | "note" | "list" | "log" | "plan" | "schedule" | "view" | "use" | "show" | "review"
            )
        };
        if words.is_empty()
            || CLAUSE.contains(&words[0].lower.as_str())
            || words.iter().all(|t| {
                theme::named_colour(&t.lower).is_some() || self.lang.is_function(&t.lower) && !noun_verb(&t.lower)
            }) && !words.iter().any(|t| self.lang.is_attribute(&t.lower))
        {
            return;
        }
        if words.len() > 6 {
            return;
        }
        // An item that names a list ("a shopping list", "a packing list"): an entity.
        let last = &words[words.len() - 1].lower;
        if words.len() >= 2 && self.lang.is_app_word(last) && !self.lang.looks_plural(last) {
            let np = Np {
                words: words.clone(),
                prep: None,
                after: None,
                single_det: false,
                possessive: false,
                kept: false,
            };
            let (w, _) = self.strip(&np, false);
            if let Some(e) = self.entity(&w, false) {
                if current.is_none() {
                    *current = Some(e);
                }
            }
            return;
        }
        // The noun before a preposition heads the item ("meals for each day").
        let split = words
            .iter()
            .position(|t| matches!(t.lower.as_str(), "for" | "für" | "pour" | "para") && !words.is_empty());
        let (main, tail): (&[Token], &[Token]) = match split {
            Some(i) if i > 0 => (&words[..i], &words[i + 1..]),
            _ => (&words[..], &[]),
        };
        let romance = self.lang.head_first();
        // "number of players", "time of day": the head is before "of".
        let of = main
            .iter()
            .position(|t| matches!(t.lower.as_str(), "of" | "per" | "pro" | "von"))
            .filter(|i| *i > 0);
        let head_tok = match of {
            _ if romance => &main[0],
            Some(i) => &main[i - 1],
            None => &main[main.len() - 1],
        };
        let head = self.lang.singular(&head_tok.lower);
        let key = self.key(&head);
        let plural = self.lang.looks_plural(&head_tok.lower);
        // The entity itself again ("bugs" in "a bug tracker with bugs, ...").
        if main.len() == 1 {
            if let Some(e) = self.entities.iter().position(|e| e.key == key) {
                let attribute_subject = self.entities[e].weak && self.lang.is_attribute(&head_tok.lower);
                if (Some(e) == *current || (Some(e) == owner && !self.entities[e].weak)) && !attribute_subject {
                    if !tail.is_empty() {
                        let t: Vec<Token> = tail.iter().filter(|t| self.content(t)).cloned().collect();
                        if !t.is_empty() {
                            self.add_field(Some(e), &t, None);
                        }
                    }
                    *current = Some(e);
                    self.entities[e].weak = false;
                    return;
                }
                if !self.entities[e].weak {
                    // Another entity: a reference to it, named in the singular.
                    if let Some(c) = *current {
                        let label = self.entities[e].label.clone();
                        let named = Token {
                            lower: label.to_lowercase(),
                            text: label,
                            word: true,
                            possessive: false,
                        };
                        self.add_field(Some(c), &[named], None);
                        self.relate(c, e);
                        *leading = false;
                        return;
                    }
                }
            }
        }
        // "monthly budgets": a plural that is a catalogue record kind by name is one,
        // though "budget" is also a property.
        let catalogue_kind = self.lang == Lang::En
            && plural
            && catalog::blueprint_for_word(&head).is_some_and(|b| b.extra && b.name == head);
        let attribute = (self.lang.is_attribute(&head_tok.lower) && !catalogue_kind)
            || self.lang.is_multi_attribute(&head_tok.lower);
        let record = !attribute && main.len() <= 3 && self.is_record(&head_tok.lower, *current);
        let container = record && self.lang.is_container(&head_tok.lower);
        let weak_current = current.is_none_or(|c| self.entities[c].weak);
        let as_entity = !attribute
            && tail.is_empty()
            && ((*leading && plural)
                || container
                || (record && (plural && (first || weak_current) || first && weak_current && !*leading)));
        if as_entity {
            if let Some(e) = self.entity(main, false) {
                if container && !*leading {
                    if let Some(c) = *current {
                        if c != e {
                            self.relate(c, e);
                            return;
                        }
                    }
                }
                if !container || current.is_none() || *leading {
                    *current = Some(e);
                }
            }
            return;
        }
        *leading = false;
        self.add_field(*current, &words, None);
    }

    /// "people's names": the possessor (plural) is an entity, the rest its field.
    fn possessive_item(&mut self, item: &[Token], current: &mut Option<usize>) {
        let Some(p) = item.iter().position(|t| t.possessive) else {
            return;
        };
        let owner_words: Vec<Token> = item[..=p].iter().filter(|t| self.content(t)).cloned().collect();
        let plural = owner_words
            .last()
            .is_some_and(|t| self.lang.looks_plural(&t.lower) || t.lower == "people");
        if plural {
            if let Some(e) = self.entity(&owner_words, false) {
                *current = Some(e);
            }
        }
        let rest: Vec<Token> = item[p + 1..].iter().filter(|t| t.word).cloned().collect();
        if !rest.is_empty() {
            self.add_field(*current, &rest, None);
        }
    }

    fn is_determiner(&self, w: &str) -> bool {
        matches!(
            w,
            "a" | "an"
                | "the"
                | "my"
                | "our"
                | "your"
                | "their"
                | "his"
                | "her"
                | "its"
                | "each"
                | "every"
                | "some"
                | "der"
                | "die"
                | "das"
                | "den"
                | "dem"
                | "des"
                | "ein"
                | "eine"
                | "einen"
                | "mein"
                | "meine"
                | "meinen"
                | "le"
                | "la"
                | "les"
                | "un"
                | "une"
                | "mes"
                | "ma"
                | "mon"
                | "el"
                | "los"
                | "las"
                | "una"
                | "mis"
                | "mi"
                | "also"
                | "and"
                | "then"
                | "de"
                | "du"
                | "of"
                | "to"
                | "for"
                | "with"
                | "by"
        )
    }

    /// Whether `w` names a kind of record (the catalogue's, or the language's people,
    /// containers and events), as opposed to a property of one.
    fn is_record(&self, w: &str, current: Option<usize>) -> bool {
        let single = self.lang.singular(w);
        if self.lang == Lang::En {
            if let Some(b) = catalog::blueprint_for_word(&single) {
                // A field the owner's blueprint already has ("recipes with ingredients").
                let has = current
                    .and_then(|c| catalog::blueprint_for_word(&self.entities[c].head))
                    .is_some_and(|ob| ob.fields.iter().any(|f| f.split('|').next() == Some(single.as_str())));
                if b.extra && !has {
                    return true;
                }
            }
        }
        self.lang.is_record_word(&single)
    }

    fn add_field(&mut self, owner: Option<usize>, words: &[Token], forced: Option<(FieldKind, Vec<String>)>) {
        let words: Vec<&Token> = words.iter().filter(|t| t.word).collect();
        if words.is_empty() {
            return;
        }
        let owner = match owner {
            Some(o) => o,
            None => {
                // Fields with no entity: an entry.
                let (l, _) = self.lang.entry_label();
                let tok = Token {
                    text: l.to_string(),
                    lower: l.to_lowercase(),
                    word: true,
                    possessive: false,
                };
                match self.entity(&[tok], false) {
                    Some(e) => {
                        self.entities[e].plural = self.lang.entry_label().1.to_string();
                        e
                    }
                    None => return,
                }
            }
        };
        let lower: Vec<String> = words.iter().map(|t| t.lower.clone()).collect();
        // "amount in ml" -> "Amount (ml)"; "yes/no" and "checkbox" leave the label.
        let mut shown: Vec<String> = words.iter().map(|t| t.text.clone()).collect();
        let entity_words: Vec<String> = std::iter::once(self.entities[owner].head.clone())
            .chain(self.entities[owner].modifiers.iter().cloned())
            .collect();
        let (kind, options) = match forced {
            Some((k, o)) => (Some(k), o),
            None => match kind_of(self.lang, &lower, &entity_words) {
                Some((k, o)) => (Some(k), o),
                None => (None, vec![]),
            },
        };
        if let Some(i) = lower.iter().position(|w| w == "in" || w == "en") {
            if i > 0 && i + 1 < lower.len() && lower.len() - i - 1 <= 2 && kind == Some(FieldKind::Number) {
                let unit = shown[i + 1..].join(" ");
                shown.truncate(i);
                shown.push(format!("({unit})"));
            }
        }
        shown.retain(|w| {
            let l = w.to_lowercase();
            !matches!(
                l.as_str(),
                "yes" | "no" | "checkbox" | "ja" | "nein" | "oui" | "non" | "sí" | "si"
            )
        });
        if shown.is_empty() {
            return;
        }
        // "with prices": each record has a price. Counts and lists stay plural ("litres",
        // "pieces", "ingredients").
        if self.lang == Lang::En && words.len() == 1 {
            let w = &lower[0];
            let single = self.lang.singular(w);
            if single != *w && !self.lang.is_multi_attribute(w) && self.lang.is_property(&single) {
                shown = vec![single.clone()];
            }
        }
        let label = capitalize(&join_words(&shown));
        let key: Vec<String> = lower.iter().map(|w| self.lang.stem(w)).collect();
        let e = &mut self.entities[owner];
        if e.fields
            .iter()
            .any(|f| f.words.iter().map(|w| self.lang.stem(w)).collect::<Vec<_>>() == key)
        {
            return;
        }
        e.fields.push(NField {
            label,
            words: lower,
            kind,
            options,
        });
    }

    fn finish(mut self) -> Named {
        // Weak entities (the app's subject) without fields go when others were named.
        let explicit = self.entities.iter().any(|e| !e.weak);
        if explicit {
            let keep: Vec<bool> = self.entities.iter().map(|e| !(e.weak && e.fields.is_empty())).collect();
            let gone: Vec<String> = self
                .entities
                .iter()
                .zip(&keep)
                .filter(|(_, k)| !**k)
                .map(|(e, _)| e.key.clone())
                .collect();
            let mut i = 0;
            self.entities.retain(|_| {
                i += 1;
                keep[i - 1]
            });
            for e in &mut self.entities {
                e.refs.retain(|r| !gone.contains(r));
            }
        }
        // Events refer to the things the prompt names with them, nearest first; other
        // records to the containers listed before them ("beds, and plants").
        let n = self.entities.len();
        for b in 0..n {
            let mut added = 0;
            let mut others: Vec<usize> = (0..n).filter(|a| *a != b).collect();
            others.sort_by_key(|a| (a.abs_diff(b), *a > b));
            for a in others {
                if added >= 2 {
                    break;
                }
                let (ha, hb) = (self.entities[a].head.clone(), self.entities[b].head.clone());
                let linked = self.entities[b].refs.contains(&self.entities[a].key)
                    || self.entities[a].refs.contains(&self.entities[b].key);
                if linked {
                    continue;
                }
                let event_b = self.lang.is_event(&hb) && !self.lang.is_event(&ha);
                let contained = a < b && self.lang.is_place(&ha) && !self.lang.is_container(&hb);
                if event_b || contained {
                    self.relate(b, a);
                    added += 1;
                }
            }
        }
        Named {
            lang: self.lang,
            entities: self.entities,
            app_phrase: self.app_phrase,
        }
    }
}

/// Words joined with spaces, except after an elision ("d'échéance") and between words of
/// scripts written without spaces ("名前", split into characters by UAX #29).
fn join_words(words: &[String]) -> String {
    let unspaced = |c: char| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{0e00}'..='\u{0e7f}');
    let mut out = String::new();
    for w in words {
        let joined = out.chars().last().is_some_and(unspaced) && w.chars().next().is_some_and(unspaced);
        if !out.is_empty() && !out.ends_with(['\'', '\u{2019}']) && !joined {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Indices of tokens outside parentheses.
fn top_level(toks: &[Token]) -> Vec<usize> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if !t.word && t.lower == "(" {
            depth += 1;
            continue;
        }
        if !t.word && t.lower == ")" {
            depth = depth.saturating_sub(1);
            continue;
        }
        if depth == 0 {
            out.push(i);
        }
    }
    out
}

/// Splits a list at top-level commas and connectors ("and", "und", "et", "y", "&").
fn split_items(toks: &[Token], lang: Lang) -> Vec<Vec<Token>> {
    let mut out: Vec<Vec<Token>> = Vec::new();
    let mut cur: Vec<Token> = Vec::new();
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        if !t.word && t.lower == "(" {
            depth += 1;
        }
        if !t.word && t.lower == ")" {
            depth = depth.saturating_sub(1);
        }
        let sep = depth == 0
            && ((!t.word && matches!(t.lower.as_str(), "," | "&" | "+" | ";" | "\n"))
                || (t.word
                    && lang.is_connector(&t.lower)
                    && !(t.lower == "no" || t.lower == "o" && i > 0 && toks[i - 1].lower == "/")));
        // "yes/no" stays one item.
        if sep {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        cur.push(t.clone());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
