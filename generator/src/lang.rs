//! The languages a prompt can be read in (English, German, French, Spanish, Italian,
//! Portuguese, Dutch): cheap
//! detection from function-word counts, the Snowball stemmer of each (`rust-stemmers`),
//! singular and plural forms for labels, and the small per-language word lists the phrase
//! reader needs: function words, list connectors, "with" words, prepositions, app words
//! ("tracker", "Tagebuch", "suivi", "registro"), and the lexicon that gives a field its kind
//! from its words (litres -> number, due date -> date, status -> select with options).
//!
//! Words are compared by stem in the prompt's language, and in English too, since English
//! words turn up in every language ("Status", "Budget", "E-Mail"). Invariants: pure and
//! deterministic; every list is a plain slice, nothing is hashed.

use domain::spec::FieldKind;
use rust_stemmers::{Algorithm, Stemmer};

use crate::words::{pluralize, singularize};

/// A language a prompt is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    De,
    Fr,
    Es,
    It,
    Pt,
    Nl,
}

/// Function words that are (almost) only in one language, to tell them apart.
#[rustfmt::skip]
const MARKERS: &[(Lang, &[&str])] = &[
    (Lang::En, &["the", "and", "with", "for", "my", "of", "to", "a", "an", "i", "want", "app", "track", "each", "that", "keep", "list", "our", "your", "in", "log"]),
    (Lang::De, &["der", "die", "das", "und", "mit", "für", "ein", "eine", "meine", "meiner", "meinen", "mein", "ich", "von", "zu", "pro", "den", "dem", "des", "unser", "unseren", "möchte", "will", "nach", "oder", "zum", "zur", "im", "sowie"]),
    (Lang::Fr, &["le", "la", "les", "et", "avec", "pour", "des", "du", "de", "un", "une", "mes", "ma", "mon", "à", "je", "suivi", "gérer", "chez", "au", "aux", "ou", "par", "veux", "mon", "nos", "notre"]),
    (Lang::Es, &["el", "los", "las", "y", "con", "para", "del", "de", "un", "una", "mis", "mi", "que", "quiero", "registro", "por", "o", "nuestro", "nuestra", "al", "lista", "mis"]),
    (Lang::It, &["il", "lo", "gli", "di", "della", "delle", "dei", "degli", "dello", "per", "con", "e", "ed", "mie", "miei", "mio", "mia", "che", "voglio", "gestire", "un", "una", "nel", "nella", "sono", "registro"]),
    (Lang::Pt, &["o", "os", "as", "do", "da", "dos", "das", "com", "para", "de", "e", "meu", "minha", "meus", "minhas", "um", "uma", "quero", "controlar", "não", "no", "na", "em", "registro", "ou"]),
    (Lang::Nl, &["de", "het", "een", "en", "met", "voor", "van", "mijn", "onze", "ons", "ik", "wil", "bijhouden", "beheren", "of", "per", "bij", "naar", "mijn", "wat"]),
];

impl Lang {
    /// The language of lowercase `words`, by which language's function words occur most;
    /// English when nothing tells.
    pub(crate) fn detect(words: &[String]) -> Lang {
        let mut best = (Lang::En, 0usize);
        for (lang, markers) in MARKERS {
            let mut score = words.iter().filter(|w| markers.contains(&w.as_str())).count() * 2;
            score += words
                .iter()
                .filter(|w| {
                    w.chars().any(|c| match lang {
                        Lang::De => matches!(c, 'ä' | 'ö' | 'ü' | 'ß'),
                        Lang::Fr => matches!(c, 'è' | 'ê' | 'ç' | 'à' | 'â' | 'ô' | 'û' | 'î' | 'œ'),
                        Lang::Es => matches!(c, 'ñ' | 'á' | 'ó' | 'ú' | 'í' | '¿' | '¡'),
                        Lang::Pt => matches!(c, 'ã' | 'õ' | 'ç' | 'á' | 'ê' | 'ô'),
                        Lang::It => matches!(c, 'ò' | 'ù' | 'ì'),
                        Lang::En | Lang::Nl => false,
                    })
                })
                .count();
            if score > best.1 {
                best = (*lang, score);
            }
        }
        best.0
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Lang::En => Algorithm::English,
            Lang::De => Algorithm::German,
            Lang::Fr => Algorithm::French,
            Lang::Es => Algorithm::Spanish,
            Lang::It => Algorithm::Italian,
            Lang::Pt => Algorithm::Portuguese,
            Lang::Nl => Algorithm::Dutch,
        }
    }

    /// The Snowball stem of a lowercase word.
    pub(crate) fn stem(self, word: &str) -> String {
        Stemmer::create(self.algorithm()).stem(word).into_owned()
    }

    /// Whether noun phrases put their head first ("films préférés", "fecha de salida").
    pub(crate) fn head_first(self) -> bool {
        matches!(self, Lang::Fr | Lang::Es | Lang::It | Lang::Pt)
    }

    /// Whether `word` (lowercase) is a function word or a verb of asking in this language
    /// or in English: never part of a noun phrase.
    pub(crate) fn is_function(self, word: &str) -> bool {
        EN_FUNCTION.contains(&word) || self.list(FUNCTION).contains(&word)
    }

    /// "and", "or" and the like.
    pub(crate) fn is_connector(self, word: &str) -> bool {
        matches!(word, "and" | "or" | "plus" | "&") || self.list(CONNECTORS).contains(&word)
    }

    /// "with", "mit", "avec", "con", ...
    pub(crate) fn is_with(self, word: &str) -> bool {
        matches!(word, "with" | "including" | "containing" | "by") || self.list(WITH).contains(&word)
    }

    /// Prepositions that tie one noun to another ("invoices for clients").
    pub(crate) fn is_relation_prep(self, word: &str) -> bool {
        matches!(word, "for" | "of" | "from" | "per" | "in" | "by" | "at" | "to")
            || self.list(RELATION_PREPS).contains(&word)
    }

    /// Words for the app itself: "tracker", "log", "Tagebuch", "suivi", "registro".
    pub(crate) fn is_app_word(self, word: &str) -> bool {
        EN_APP_WORDS.contains(&word) || self.list(APP_WORDS).contains(&word)
    }

    /// The app word a German compound ends with ("Blutdrucktagebuch" -> "tagebuch").
    pub(crate) fn app_suffix(self, word: &str) -> Option<&'static str> {
        let suffixes = match self {
            Lang::De => DE_APP_SUFFIXES,
            Lang::Nl => NL_APP_SUFFIXES,
            _ => return None,
        };
        suffixes
            .iter()
            .find(|s| word.len() > s.len() + 2 && word.ends_with(*s))
            .copied()
    }

    fn list(self, table: &'static [(Lang, &'static [&'static str])]) -> &'static [&'static str] {
        table.iter().find(|(l, _)| *l == self).map_or(&[], |(_, w)| w)
    }

    /// Whether the lowercase word's stem (here or in English) is in `table`'s list for this
    /// language or for English.
    fn stem_in(self, word: &str, table: &'static [(Lang, &'static [&'static str])]) -> bool {
        let here = self.stem(word);
        let hit = |lang: Lang, stem: &str| {
            table
                .iter()
                .filter(|(l, _)| *l == lang)
                .any(|(_, list)| list.iter().any(|w| lang.stem(w) == stem))
        };
        (self != Lang::En && hit(self, &here)) || en_in(word, table)
    }

    /// A person ("volunteer", "Kunde", "élève"): its own entity when it modifies a noun.
    pub(crate) fn is_person(self, word: &str) -> bool {
        self.stem_in(word, PERSONS)
    }

    /// Something other records belong to ("album", "project", "Fach"), or a person.
    pub(crate) fn is_container(self, word: &str) -> bool {
        self.is_place(word) || self.is_person(word)
    }

    /// A container that is not a person ("album", "project", "Fach").
    pub(crate) fn is_place(self, word: &str) -> bool {
        self.stem_in(word, CONTAINERS)
    }

    /// Something that happens to or with other records ("loan", "walk", "Termin", "cita").
    pub(crate) fn is_event(self, word: &str) -> bool {
        self.stem_in(word, EVENTS)
    }

    /// A kind of record people keep lists of, besides the catalogue's (for other languages).
    pub(crate) fn is_record_word(self, word: &str) -> bool {
        self.is_container(word) || self.is_event(word) || self.stem_in(word, RECORDS) || EN_RECORDS.contains(&word)
    }

    /// An attribute that is a list in itself ("ingredients", "allergens"): always a field.
    pub(crate) fn is_multi_attribute(self, word: &str) -> bool {
        self.stem_in(word, MULTI_ATTRIBUTES)
    }

    /// A property that is one value per record ("price", "category", "status"), as
    /// opposed to a count ("pieces", "litres").
    pub(crate) fn is_property(self, word: &str) -> bool {
        self.stem_in(word, ATTRIBUTES)
            || [FieldKind::Select, FieldKind::Date, FieldKind::Url, FieldKind::Email]
                .iter()
                .any(|k| {
                    KIND_WORDS
                        .iter()
                        .any(|(kind, table)| kind == k && self.stem_in(word, table))
                })
    }

    /// A word that names a property, not a kind of record (date, price, status, author...).
    pub(crate) fn is_attribute(self, word: &str) -> bool {
        self.stem_in(word, ATTRIBUTES)
            || KIND_WORDS.iter().enumerate().any(|(i, (_, table))| {
                if i == PARTICIPLES {
                    exact_in(self, word, table)
                } else {
                    self.stem_in(word, table)
                }
            })
    }

    /// Singular of a lowercase noun in this language (good enough for labels).
    pub(crate) fn singular(self, w: &str) -> String {
        match self {
            Lang::En => singularize(w),
            Lang::De => de_singular(w),
            Lang::Fr => fr_singular(w),
            Lang::Es => es_singular(w),
            Lang::It => it_singular(w),
            Lang::Pt => pt_singular(w),
            Lang::Nl => nl_singular(w),
        }
    }

    /// Plural of a singular noun in this language.
    pub(crate) fn plural(self, w: &str) -> String {
        let lower = w.to_lowercase();
        match self {
            Lang::En => pluralize(w),
            Lang::De => {
                if lower.ends_with('e') || lower.ends_with("el") || lower.ends_with("er") {
                    if lower.ends_with('e') {
                        format!("{w}n")
                    } else {
                        w.to_string()
                    }
                } else if lower.ends_with("ung") || lower.ends_with("heit") || lower.ends_with("keit") {
                    format!("{w}en")
                } else {
                    format!("{w}e")
                }
            }
            Lang::Fr => {
                if lower.ends_with(['s', 'x', 'z']) {
                    w.to_string()
                } else if let Some(stem) = w.strip_suffix("al") {
                    format!("{stem}aux")
                } else if lower.ends_with("eau") {
                    format!("{w}x")
                } else {
                    format!("{w}s")
                }
            }
            Lang::Es => {
                if let Some(stem) = w.strip_suffix("ión") {
                    format!("{stem}iones")
                } else if let Some(stem) = w.strip_suffix('z') {
                    format!("{stem}ces")
                } else if lower.ends_with(['a', 'e', 'i', 'o', 'u', 'á', 'é', 'ó']) || lower.ends_with('s') {
                    if lower.ends_with('s') {
                        w.to_string()
                    } else {
                        format!("{w}s")
                    }
                } else {
                    format!("{w}es")
                }
            }
            Lang::It => {
                let chars = lower.chars().count();
                if chars < 3 || !lower.ends_with(['o', 'a', 'e']) {
                    w.to_string()
                } else if lower.ends_with('a') {
                    format!("{}e", &w[..w.len() - 1])
                } else {
                    format!("{}i", &w[..w.len() - 1])
                }
            }
            Lang::Pt => {
                if let Some(stem) = w.strip_suffix("ão") {
                    format!("{stem}ões")
                } else if lower.ends_with(['r', 'z', 's']) {
                    format!("{w}es")
                } else if let Some(stem) = w.strip_suffix('m') {
                    format!("{stem}ns")
                } else {
                    format!("{w}s")
                }
            }
            Lang::Nl => {
                if ["el", "er", "em", "je", "ie"].iter().any(|x| lower.ends_with(x))
                    || lower.ends_with(['a', 'o', 'u', 'i', 'y'])
                {
                    format!("{w}s")
                } else {
                    format!("{w}en")
                }
            }
        }
    }

    /// Whether the lowercase noun looks plural in this language.
    pub(crate) fn looks_plural(self, w: &str) -> bool {
        self.singular(w) != w
    }

    /// "Notes" in this language, for the notes field the generator assumes.
    pub(crate) fn notes_label(self) -> &'static str {
        match self {
            Lang::En => "Notes",
            Lang::De => "Notizen",
            Lang::Fr => "Notes",
            Lang::Es => "Notas",
            Lang::It => "Note",
            Lang::Pt => "Notas",
            Lang::Nl => "Notities",
        }
    }

    /// "Name" in this language, for an assumed title field.
    pub(crate) fn name_label(self) -> &'static str {
        match self {
            Lang::En => "Name",
            Lang::De => "Name",
            Lang::Fr => "Nom",
            Lang::Es => "Nombre",
            Lang::It | Lang::Pt => "Nome",
            Lang::Nl => "Naam",
        }
    }

    /// "Date" in this language, for an assumed date field.
    pub(crate) fn date_label(self) -> &'static str {
        match self {
            Lang::En => "Date",
            Lang::De => "Datum",
            Lang::Fr => "Date",
            Lang::Es => "Fecha",
            Lang::It | Lang::Pt => "Data",
            Lang::Nl => "Datum",
        }
    }

    /// "Entry" in this language: a record kind when the words name none.
    pub(crate) fn entry_label(self) -> (&'static str, &'static str) {
        match self {
            Lang::En => ("Entry", "Entries"),
            Lang::De => ("Eintrag", "Einträge"),
            Lang::Fr => ("Entrée", "Entrées"),
            Lang::Es => ("Registro", "Registros"),
            Lang::It => ("Voce", "Voci"),
            Lang::Pt => ("Registro", "Registros"),
            Lang::Nl => ("Item", "Items"),
        }
    }
}

fn de_singular(w: &str) -> String {
    #[rustfmt::skip]
    const IRREGULAR: &[(&str, &str)] = &[
        ("bücher", "buch"), ("fächer", "fach"), ("häuser", "haus"), ("länder", "land"), ("mitglieder", "mitglied"),
        ("kinder", "kind"), ("bilder", "bild"), ("lieder", "lied"), ("gläser", "glas"), ("projekten", "projekt"),
        ("sätze", "satz"), ("plätze", "platz"), ("gäste", "gast"), ("hefte", "heft"), ("räume", "raum"),
        ("bäume", "baum"), ("schüler", "schüler"), ("zimmer", "zimmer"), ("fahrzeuge", "fahrzeug"),
        ("tiere", "tier"), ("spiele", "spiel"), ("geräte", "gerät"), ("produkte", "produkt"), ("projekte", "projekt"),
        ("rezepte", "rezept"), ("konten", "konto"), ("themen", "thema"), ("kurse", "kurs"), ("weine", "wein"),
        ("termine", "termin"), ("filme", "film"), ("werkzeuge", "werkzeug"), ("artikel", "artikel"),
    ];
    let lower = w.to_lowercase();
    if let Some((_, s)) = IRREGULAR.iter().find(|(p, _)| *p == lower) {
        return keep_case(w, s);
    }
    for (suffix, with) in [
        ("ungen", "ung"),
        ("heiten", "heit"),
        ("keiten", "keit"),
        ("innen", "in"),
        ("ionen", "ion"),
    ] {
        if let Some(stem) = lower.strip_suffix(suffix) {
            return keep_case(w, &format!("{stem}{with}"));
        }
    }
    if lower.ends_with("en") && lower.chars().count() > 4 {
        return keep_case(w, &lower[..lower.len() - 1]);
    }
    if lower.ends_with('n') && lower.ends_with("ln") || lower.ends_with("rn") {
        return keep_case(w, &lower[..lower.len() - 1]);
    }
    if ["ne", "me", "ge"].iter().any(|s| lower.ends_with(s)) && lower.chars().count() > 4 {
        return keep_case(w, &lower[..lower.len() - 1]);
    }
    let vowel_s = lower.len() > 3 && ["as", "os", "is", "ys"].iter().any(|x| lower.ends_with(x));
    if lower.ends_with('s')
        && !lower.ends_with("ss")
        && (lower.chars().count() > 4 || vowel_s)
        && !lower.ends_with("us")
    {
        return keep_case(w, &lower[..lower.len() - 1]);
    }
    w.to_string()
}

/// `w` lowercase, unless it is the same in the plural (in `same`, or very short).
fn changes_in_plural(w: &str, same: &[&str]) -> Option<String> {
    let lower = w.to_lowercase();
    (!same.contains(&lower.as_str()) && lower.chars().count() > 3).then_some(lower)
}

fn fr_singular(w: &str) -> String {
    #[rustfmt::skip]
    const SAME: &[&str] = &[
        "cours", "rendez-vous", "temps", "prix", "fois", "pays", "repas", "poids", "mois", "corps", "choix", "bois",
        "avis", "souris", "tapis", "dos", "gaz", "nez", "jus", "bus", "virus", "campus", "frais", "progrès", "succès",
        "accès", "taux", "voix", "croix", "paix",
    ];
    let Some(lower) = changes_in_plural(w, SAME) else {
        return w.to_string();
    };
    if let Some(stem) = lower.strip_suffix("eaux") {
        return keep_case(w, &format!("{stem}eau"));
    }
    if let Some(stem) = lower.strip_suffix("aux") {
        return keep_case(w, &format!("{stem}al"));
    }
    if (lower.ends_with('s') && !lower.ends_with("ss")) || lower.ends_with('x') {
        return keep_case(w, &lower[..lower.len() - 1]);
    }
    w.to_string()
}

fn es_singular(w: &str) -> String {
    const SAME: &[&str] = &[
        "series",
        "lunes",
        "martes",
        "crisis",
        "análisis",
        "tesis",
        "virus",
        "mes",
        "tos",
    ];
    let Some(lower) = changes_in_plural(w, SAME) else {
        return w.to_string();
    };
    if let Some(stem) = lower.strip_suffix("iones") {
        return keep_case(w, &format!("{stem}ión"));
    }
    if let Some(stem) = lower.strip_suffix("ces") {
        return keep_case(w, &format!("{stem}z"));
    }
    if let Some(stem) = lower.strip_suffix("es") {
        if stem.ends_with(['l', 'n', 'r', 'd', 'j', 'y']) {
            return keep_case(w, stem);
        }
    }
    if lower.ends_with('s') && !lower.ends_with("ss") {
        return keep_case(w, &lower[..lower.len() - 1]);
    }
    w.to_string()
}

/// `w` with the first of `pairs`' plural endings it has replaced by the singular one.
fn swap_ending(w: &str, lower: &str, pairs: &[(&str, &str)]) -> Option<String> {
    pairs.iter().find_map(|(plural, single)| {
        lower
            .strip_suffix(plural)
            .map(|stem| keep_case(w, &format!("{stem}{single}")))
    })
}

fn it_singular(w: &str) -> String {
    const SAME: &[&str] = &[
        "serie", "specie", "città", "film", "sport", "bar", "caffè", "foto", "auto", "moto", "radio", "crisi",
        "analisi", "tesi",
    ];
    let Some(lower) = changes_in_plural(w, SAME) else {
        return w.to_string();
    };
    const ENDINGS: &[(&str, &str)] = &[
        ("chi", "co"),
        ("ghi", "go"),
        ("che", "ca"),
        ("ghe", "ga"),
        ("ioni", "ione"),
        ("i", "o"),
        ("e", "a"),
    ];
    swap_ending(w, &lower, ENDINGS).unwrap_or_else(|| w.to_string())
}

fn pt_singular(w: &str) -> String {
    const SAME: &[&str] = &["lápis", "ônibus", "vírus", "mês", "país", "gás", "três"];
    let Some(lower) = changes_in_plural(w, SAME) else {
        return w.to_string();
    };
    const ENDINGS: &[(&str, &str)] = &[
        ("ões", "ão"),
        ("ães", "ão"),
        ("ais", "al"),
        ("éis", "el"),
        ("óis", "ol"),
        ("ns", "m"),
        ("res", "r"),
        ("zes", "z"),
        ("ses", "s"),
    ];
    if let Some(s) = swap_ending(w, &lower, ENDINGS) {
        return s;
    }
    if lower.ends_with('s') {
        return keep_case(w, &lower[..lower.len() - 1]);
    }
    w.to_string()
}

fn nl_singular(w: &str) -> String {
    #[rustfmt::skip]
    const IRREGULAR: &[(&str, &str)] = &[
        ("leden", "lid"), ("kinderen", "kind"), ("taken", "taak"), ("dagen", "dag"), ("wegen", "weg"), ("schepen", "schip"),
        ("steden", "stad"), ("spellen", "spel"), ("boten", "boot"), ("klanten", "klant"), ("uitgaven", "uitgave"),
        ("namen", "naam"), ("jaren", "jaar"), ("uren", "uur"), ("regels", "regel"), ("vragen", "vraag"),
    ];
    const SAME: &[&str] = &["data", "media"];
    let Some(lower) = changes_in_plural(w, SAME) else {
        return w.to_string();
    };
    if let Some((_, s)) = IRREGULAR.iter().find(|(p, _)| *p == lower) {
        return keep_case(w, s);
    }
    if let Some(stem) = lower.strip_suffix("en") {
        // "wijnen" -> "wijn", "boeken" -> "boek", "projecten" -> "project".
        let chars: Vec<char> = stem.chars().collect();
        let n = chars.len();
        let undouble = n >= 2 && chars[n - 1] == chars[n - 2] && !"aeiou".contains(chars[n - 1]);
        let stem: String = if undouble {
            chars[..n - 1].iter().collect()
        } else {
            stem.to_string()
        };
        return keep_case(w, &stem);
    }
    if lower.ends_with('s') && !lower.ends_with("ss") {
        return keep_case(w, &lower[..lower.len() - 1]);
    }
    w.to_string()
}

/// `lower` with the first letter upper-case when `like` starts with one.
fn keep_case(like: &str, lower: &str) -> String {
    if like.chars().next().is_some_and(char::is_uppercase) {
        crate::words::capitalize(lower)
    } else {
        lower.to_string()
    }
}

/// English function words and verbs of asking: never part of a noun phrase.
#[rustfmt::skip]
const EN_FUNCTION: &[&str] = &[
    "a", "an", "the", "my", "our", "your", "his", "her", "their", "its", "this", "that", "these", "those", "some",
    "all", "any", "each", "every", "i", "we", "you", "me", "us", "it", "they", "them", "he", "she", "to", "of",
    "for", "in", "on", "at", "by", "from", "with", "without", "into", "about", "and", "or", "but", "so", "if",
    "when", "where", "which", "who", "whom", "whose", "what", "how", "why", "is", "are", "was", "were", "be",
    "been", "am", "do", "does", "did", "have", "has", "had", "can", "could", "should", "would", "will", "shall",
    "may", "might", "must", "want", "wants", "need", "needs", "like", "would", "please", "make", "build", "create",
    "keep", "track", "tracking", "manage", "managing", "organize", "organise", "collect", "save", "store", "log",
    "logging", "record", "note", "list", "see", "view", "add", "edit", "remove", "delete", "show", "help", "let",
    "lets", "get", "use", "using", "simple", "small", "little", "nice", "cute", "clean", "modern", "minimal",
    "beautiful", "basic", "quick", "easy", "personal", "daily", "weekly", "monthly", "yearly", "new", "also",
    "just", "only", "very", "really", "lot", "lots", "many", "much", "more", "most", "other", "own", "there",
    "here", "then", "than", "not", "no", "yes", "dont", "im", "ive", "id", "where", "while", "per", "via",
    "including", "containing", "plus", "etc", "e", "g", "eg", "ie", "sell", "sold", "buy", "bought", "lend",
    "borrow", "remember", "remind", "plan", "schedule", "know", "write", "go", "going", "try", "trying", "something",
    "things", "thing", "stuff", "everything", "anything", "way", "able", "one", "ones", "app", "apps",
];

#[rustfmt::skip]
const FUNCTION: &[(Lang, &[&str])] = &[
    (Lang::De, &[
        "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "mein", "meine",
        "meinen", "meinem", "meiner", "meines", "unser", "unsere", "unseren", "unserem", "unserer", "dein", "deine",
        "ihr", "ihre", "sein", "seine", "und", "oder", "mit", "für", "von", "vom", "zu", "zum", "zur", "im", "in",
        "an", "am", "auf", "aus", "bei", "nach", "pro", "je", "ich", "wir", "du", "sie", "es", "er", "man", "ist",
        "sind", "war", "hat", "haben", "möchte", "möchten", "will", "wollen", "soll", "kann", "können", "brauche",
        "verwalten", "sammeln", "speichern", "notieren", "erfassen", "planen", "sehen", "führen", "behalten",
        "eintragen", "app", "bitte", "einfach", "einfache", "einfaches", "kleine", "kleinen", "neue", "alle",
        "jede", "jeden", "jeder", "welche", "was", "wie", "wo", "wann", "auch", "nur", "sowie", "dass", "damit",
        "um", "über", "täglich", "tägliche", "wöchentlich", "monatlich", "lassen",
    ]),
    (Lang::Fr, &[
        "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "au", "aux", "mon", "ma", "mes", "notre",
        "nos", "ton", "ta", "tes", "son", "sa", "ses", "leur", "leurs", "et", "ou", "avec", "pour", "par", "dans",
        "sur", "chez", "à", "en", "je", "j", "nous", "vous", "il", "elle", "on", "qui", "que", "qu", "quoi", "est",
        "sont", "veux", "voudrais", "aimerais", "faut", "besoin", "gérer", "suivre", "noter", "garder", "enregistrer",
        "planifier", "organiser", "collectionner", "voir", "application", "appli", "app", "simple", "petit",
        "petite", "nouveau", "nouvelle", "tous", "toutes", "chaque", "aussi", "seulement", "se", "ce", "cette",
        "ces", "ne", "pas", "me", "te", "quotidien", "quotidienne", "hebdomadaire", "mensuel", "mensuelle",
    ]),
    (Lang::Es, &[
        "el", "la", "los", "las", "lo", "un", "una", "unos", "unas", "mi", "mis", "tu", "tus", "su", "sus",
        "nuestro", "nuestra", "nuestros", "nuestras", "y", "e", "o", "u", "con", "para", "por", "de", "del", "al",
        "en", "a", "yo", "nosotros", "que", "quien", "cual", "es", "son", "quiero", "quisiera", "necesito",
        "controlar", "guardar", "gestionar", "registrar", "llevar", "anotar", "organizar", "planificar", "ver",
        "he", "leído", "visto", "app", "aplicación", "simple", "sencilla", "pequeño", "pequeña", "nuevo", "nueva",
        "todos", "todas", "cada", "también", "solo", "se", "me", "te", "diario", "diaria", "semanal", "mensual",
    ]),
    (Lang::It, &[
        "il", "lo", "la", "i", "gli", "le", "l", "un", "uno", "una", "di", "del", "dello", "della", "dei", "degli",
        "delle", "dell", "a", "al", "alla", "ai", "agli", "alle", "all", "da", "dal", "dalla", "in", "nel", "nella",
        "nei", "nelle", "nell", "su", "sul", "sulla", "per", "con", "e", "ed", "o", "mio", "mia", "miei", "mie", "tuo",
        "tua", "nostro", "nostra", "nostri", "nostre", "che", "chi", "io", "noi", "voglio", "vorrei", "gestire",
        "tenere", "traccia", "registrare", "salvare", "organizzare", "vedere", "app", "applicazione", "semplice",
        "piccolo", "piccola", "nuovo", "nuova", "tutti", "tutte", "ogni", "anche", "solo", "mi", "ti", "si", "ho",
        "letti", "letto", "visti", "visto", "quotidiano", "settimanale", "mensile", "un'",
    ]),
    (Lang::Pt, &[
        "o", "a", "os", "as", "um", "uma", "uns", "umas", "de", "do", "da", "dos", "das", "em", "no", "na", "nos",
        "nas", "para", "por", "pelo", "pela", "com", "e", "ou", "meu", "minha", "meus", "minhas", "seu", "sua",
        "nosso", "nossa", "que", "eu", "nós", "quero", "queria", "preciso", "controlar", "gerenciar", "gerir",
        "registrar", "registar", "guardar", "organizar", "ver", "app", "aplicativo", "aplicação", "simples",
        "pequeno", "pequena", "novo", "nova", "todos", "todas", "cada", "também", "só", "me", "te", "se", "lidos",
        "lido", "diário", "semanal", "mensal",
    ]),
    (Lang::Nl, &[
        "de", "het", "een", "en", "of", "met", "voor", "van", "in", "op", "aan", "bij", "naar", "per", "uit", "mijn",
        "onze", "ons", "jouw", "je", "ik", "wij", "we", "die", "dat", "wat", "wil", "wil", "graag", "moet", "kan",
        "bijhouden", "beheren", "bewaren", "opslaan", "organiseren", "plannen", "zien", "app", "applicatie",
        "eenvoudig", "eenvoudige", "klein", "kleine", "nieuw", "nieuwe", "alle", "elke", "ook", "alleen", "dagelijks",
        "wekelijks", "maandelijks",
    ]),
];

#[rustfmt::skip]
const CONNECTORS: &[(Lang, &[&str])] = &[
    (Lang::De, &["und", "oder", "sowie"]),
    (Lang::Fr, &["et", "ou"]),
    (Lang::Es, &["y", "e", "o", "u"]),
    (Lang::It, &["e", "ed", "o"]),
    (Lang::Pt, &["e", "ou"]),
    (Lang::Nl, &["en", "of"]),
];

#[rustfmt::skip]
const WITH: &[(Lang, &[&str])] = &[
    (Lang::En, &["has", "have", "having"]),
    (Lang::De, &["mit", "inklusive"]),
    (Lang::Fr, &["avec", "comprenant"]),
    (Lang::Es, &["con", "incluyendo"]),
    (Lang::It, &["con"]),
    (Lang::Pt, &["com"]),
    (Lang::Nl, &["met"]),
];

#[rustfmt::skip]
const RELATION_PREPS: &[(Lang, &[&str])] = &[
    (Lang::De, &["für", "von", "an", "pro", "je", "zu", "im", "in"]),
    (Lang::Fr, &["pour", "de", "des", "du", "d", "par", "chez", "dans"]),
    (Lang::Es, &["para", "de", "del", "por", "en"]),
    (Lang::It, &["per", "di", "del", "della", "dei", "degli", "delle", "dello", "dell", "da", "in", "nel", "nella"]),
    (Lang::Pt, &["para", "de", "do", "da", "dos", "das", "por", "em", "no", "na"]),
    (Lang::Nl, &["voor", "van", "bij", "per", "in", "aan"]),
];

/// English words for the app itself.
#[rustfmt::skip]
const EN_APP_WORDS: &[&str] = &[
    "tracker", "log", "logbook", "app", "application", "planner", "scheduler", "manager", "management", "list",
    "journal", "diary", "book", "portfolio", "inventory", "reminder", "organizer", "organiser", "catalogue",
    "catalog", "collection", "database", "register", "schedule", "calendar", "tool", "system", "dashboard",
    "cellar", "chart", "board", "notebook", "overview", "program", "website", "site", "agenda", "roster",
    "directory", "library", "keeper", "hub", "crm", "watchlist", "wishlist", "checklist", "scrapbook", "archive",
    "business", "shop", "store",
];

#[rustfmt::skip]
const APP_WORDS: &[(Lang, &[&str])] = &[
    (Lang::De, &[
        "app", "liste", "tagebuch", "buch", "planer", "verwaltung", "sammlung", "tracker", "rechner", "kalender",
        "übersicht", "inventar", "register", "verzeichnis", "datenbank", "protokoll", "logbuch", "archiv", "manager",
        "anwendung", "werkstatt",
    ]),
    (Lang::Fr, &[
        "application", "appli", "app", "liste", "journal", "carnet", "suivi", "gestion", "planificateur", "agenda",
        "répertoire", "collection", "inventaire", "registre", "outil", "calendrier", "tableau", "cave", "gestionnaire",
        "catalogue", "boutique",
    ]),
    (Lang::Es, &[
        "app", "aplicación", "lista", "registro", "diario", "control", "seguimiento", "gestión", "planificador",
        "agenda", "colección", "inventario", "catálogo", "calendario", "herramienta", "gestor", "tienda",
    ]),
    (Lang::It, &[
        "app", "applicazione", "lista", "elenco", "registro", "diario", "gestione", "gestore", "agenda",
        "collezione", "inventario", "catalogo", "calendario", "tracker", "monitoraggio", "archivio", "rubrica",
    ]),
    (Lang::Pt, &[
        "app", "aplicativo", "aplicação", "lista", "registro", "registo", "diário", "controle", "controlo", "gestão",
        "agenda", "coleção", "inventário", "catálogo", "planejador", "planeador", "calendário", "acompanhamento",
    ]),
    (Lang::Nl, &[
        "app", "applicatie", "lijst", "logboek", "dagboek", "tracker", "planner", "overzicht", "beheer",
        "verzameling", "collectie", "inventaris", "register", "agenda", "boek", "administratie", "kalender",
    ]),
];

/// Dutch compounds end in an app word: "wijncollectie", "takenlijst".
#[rustfmt::skip]
const NL_APP_SUFFIXES: &[&str] = &[
    "administratie", "verzameling", "collectie", "logboek", "dagboek", "overzicht", "lijst", "planner", "tracker",
    "beheer", "boek", "app", "register", "inventaris", "kalender",
];

/// German compounds end in an app word: "Weinsammlung", "Trainingstagebuch".
#[rustfmt::skip]
const DE_APP_SUFFIXES: &[&str] = &[
    "tagebuch", "logbuch", "verwaltung", "sammlung", "liste", "planer", "rechner", "kalender", "übersicht",
    "protokoll", "tracker", "buch", "app", "manager", "verzeichnis", "datenbank", "archiv", "inventar",
];

#[rustfmt::skip]
const PERSONS: &[(Lang, &[&str])] = &[
    (Lang::En, &[
        "volunteer", "student", "client", "customer", "member", "employee", "patient", "player", "tenant", "guest",
        "staff", "teacher", "pupil", "athlete", "kid", "child", "worker", "driver", "contractor", "friend",
        "borrower", "lead", "vendor", "supplier", "person", "people", "contact", "applicant",
        "candidate", "participant", "attendee", "speaker", "coach", "trainee", "resident", "donor",
    ]),
    (Lang::De, &[
        "kunde", "mitglied", "schüler", "mitarbeiter", "patient", "spieler", "mieter", "gast", "lehrer", "kind",
        "freund", "lieferant", "helfer", "teilnehmer", "person", "kontakt", "bewerber",
    ]),
    (Lang::Fr, &[
        "client", "membre", "élève", "employé", "patient", "joueur", "locataire", "invité", "bénévole", "enfant",
        "ami", "fournisseur", "professeur", "participant", "contact", "personne", "étudiant",
    ]),
    (Lang::Es, &[
        "cliente", "socio", "alumno", "empleado", "paciente", "jugador", "inquilino", "invitado", "voluntario",
        "niño", "amigo", "proveedor", "profesor", "participante", "contacto", "persona", "estudiante", "miembro",
    ]),
    (Lang::It, &[
        "cliente", "socio", "membro", "studente", "alunno", "dipendente", "paziente", "giocatore", "inquilino",
        "ospite", "volontario", "bambino", "amico", "fornitore", "insegnante", "contatto", "persona",
    ]),
    (Lang::Pt, &[
        "cliente", "sócio", "membro", "aluno", "estudante", "funcionário", "paciente", "jogador", "inquilino",
        "convidado", "voluntário", "criança", "amigo", "fornecedor", "professor", "contato", "contacto", "pessoa",
    ]),
    (Lang::Nl, &[
        "klant", "lid", "leerling", "student", "medewerker", "patiënt", "speler", "huurder", "gast", "vrijwilliger",
        "kind", "vriend", "leverancier", "leraar", "docent", "contact", "persoon", "deelnemer",
    ]),
];

#[rustfmt::skip]
const CONTAINERS: &[(Lang, &[&str])] = &[
    (Lang::En, &[
        "album", "folder", "project", "collection", "playlist", "board", "shelf", "box", "room", "bed",
        "garden", "group", "team", "course", "subject", "account", "property", "building", "house", "hive",
        "trip", "event", "notebook", "deck", "campaign", "vehicle", "car", "pet", "dog", "horse", "tank", "aquarium",
        "location", "warehouse", "store", "branch", "department", "portfolio", "season", "league",
    ]),
    (Lang::De, &[
        "projekt", "album", "ordner", "kategorie", "fach", "kurs", "raum", "team", "gruppe", "beet", "haus",
        "fahrzeug", "auto", "reise", "veranstaltung", "konto", "tier", "hund",
    ]),
    (Lang::Fr, &[
        "projet", "album", "dossier", "catégorie", "cours", "matière", "salle", "équipe", "groupe", "maison",
        "voiture", "voyage", "événement", "compte", "animal", "chien",
    ]),
    (Lang::Es, &[
        "proyecto", "álbum", "carpeta", "categoría", "curso", "asignatura", "materia", "sala", "equipo", "grupo",
        "casa", "coche", "viaje", "evento", "cuenta", "mascota", "perro",
    ]),
    (Lang::It, &["progetto", "album", "cartella", "corso", "materia", "stanza", "squadra", "gruppo", "casa", "auto", "viaggio", "evento", "conto", "cane"]),
    (Lang::Pt, &["projeto", "projecto", "álbum", "pasta", "curso", "disciplina", "matéria", "sala", "equipe", "equipa", "grupo", "casa", "carro", "viagem", "evento", "conta", "cão", "cachorro"]),
    (Lang::Nl, &["project", "album", "map", "cursus", "vak", "kamer", "team", "groep", "huis", "auto", "reis", "evenement", "rekening", "hond"]),
];

#[rustfmt::skip]
const EVENTS: &[(Lang, &[&str])] = &[
    (Lang::En, &[
        "loan", "payment", "visit", "appointment", "booking", "reservation", "session", "shift", "meeting",
        "inspection", "walk", "order", "invoice", "entry", "reading", "measurement", "service", "repair",
        "treatment", "vaccination", "vaccine", "lesson", "match", "grade", "mark", "score", "exam", "test",
        "assignment", "homework", "transaction", "sale", "purchase", "delivery", "donation", "attendance",
        "fill-up", "ride", "run", "workout", "rental", "checkup", "check-up", "feeding", "dose", "harvest", "sighting",
        "catch", "game", "practice", "training", "performance", "review", "interview", "application", "shipment",
        "expense", "refill", "log",
    ]),
    (Lang::De, &[
        "termin", "zahlung", "besuch", "buchung", "sitzung", "schicht", "treffen", "messung", "rechnung",
        "bestellung", "note", "prüfung", "ausleihe", "einsatz", "training", "behandlung", "impfung", "reparatur",
        "ausgabe", "einnahme", "spiel", "fahrt",
    ]),
    (Lang::Fr, &[
        "rendez-vous", "paiement", "visite", "réservation", "séance", "réunion", "mesure", "facture", "commande",
        "note", "examen", "prêt", "entretien", "vaccin", "vaccination", "réparation", "dépense", "match", "trajet",
        "lecture",
    ]),
    (Lang::Es, &[
        "cita", "pago", "visita", "reserva", "sesión", "turno", "reunión", "medición", "lectura", "factura",
        "pedido", "nota", "examen", "préstamo", "vacuna", "reparación", "gasto", "partido", "entrenamiento",
    ]),
    (Lang::It, &["appuntamento", "pagamento", "visita", "prenotazione", "sessione", "turno", "riunione", "misurazione", "lettura", "fattura", "ordine", "esame", "prestito", "vaccino", "riparazione", "spesa", "partita", "allenamento"]),
    (Lang::Pt, &["consulta", "pagamento", "visita", "reserva", "sessão", "turno", "reunião", "medição", "leitura", "fatura", "factura", "pedido", "exame", "empréstimo", "vacina", "reparo", "despesa", "jogo", "treino"]),
    (Lang::Nl, &["afspraak", "betaling", "bezoek", "boeking", "reservering", "sessie", "dienst", "vergadering", "meting", "factuur", "bestelling", "cijfer", "examen", "lening", "vaccinatie", "reparatie", "uitgave", "wedstrijd", "training"]),
];

/// Generic English record nouns ("items", "products").
const EN_RECORDS: &[&str] = &["item", "product", "piece", "article", "thing", "entry", "object"];

/// Other kinds of record, in the languages the catalogue does not speak.
#[rustfmt::skip]
const RECORDS: &[(Lang, &[&str])] = &[
    (Lang::De, &[
        "aufgabe", "produkt", "buch", "film", "rezept", "pflanze", "wein", "werkzeug", "übung", "artikel", "gerät",
        "idee", "ziel", "gewohnheit", "notiz", "kontakt", "lied", "spiel", "serie",
    ]),
    (Lang::Fr, &[
        "tâche", "produit", "livre", "film", "recette", "plante", "vin", "outil", "exercice", "article", "appareil",
        "idée", "objectif", "habitude", "contact", "chanson", "jeu", "série",
    ]),
    (Lang::Es, &[
        "tarea", "producto", "libro", "película", "receta", "planta", "vino", "herramienta", "ejercicio", "artículo",
        "aparato", "idea", "objetivo", "hábito", "contacto", "canción", "juego", "serie",
    ]),
    (Lang::It, &["attività", "compito", "prodotto", "libro", "film", "ricetta", "pianta", "vino", "attrezzo", "esercizio", "articolo", "idea", "obiettivo", "abitudine", "canzone", "gioco"]),
    (Lang::Pt, &["tarefa", "produto", "livro", "filme", "receita", "planta", "vinho", "ferramenta", "exercício", "artigo", "ideia", "objetivo", "hábito", "música", "jogo"]),
    (Lang::Nl, &["taak", "product", "boek", "film", "recept", "plant", "wijn", "gereedschap", "oefening", "artikel", "idee", "doel", "gewoonte", "liedje", "spel"]),
];

#[rustfmt::skip]
const MULTI_ATTRIBUTES: &[(Lang, &[&str])] = &[
    (Lang::En, &[
        "ingredient", "allergen", "topping", "symptom", "trigger", "highlight", "comment", "skill", "keyword",
        "amenity", "step", "instruction", "side effect", "tag", "note", "setting", "spec", "feature",
    ]),
    (Lang::De, &["zutat", "allergen", "symptom", "schritt", "kommentar", "notiz"]),
    (Lang::Fr, &["ingrédient", "allergène", "symptôme", "étape", "commentaire"]),
    (Lang::Es, &["ingrediente", "alérgeno", "síntoma", "paso", "comentario", "vacuna"]),
    (Lang::It, &["ingrediente", "allergene", "sintomo", "passo", "commento"]),
    (Lang::Pt, &["ingrediente", "alérgeno", "sintoma", "passo", "comentário"]),
    (Lang::Nl, &["ingrediënt", "allergeen", "symptoom", "stap", "opmerking"]),
];

/// Words that name a property (besides the kind words below).
#[rustfmt::skip]
const ATTRIBUTES: &[(Lang, &[&str])] = &[
    (Lang::En, &[
        "name", "title", "author", "source", "company", "position", "location", "region", "genre", "director",
        "artist", "publisher", "condition", "species", "breed", "host", "room", "topic", "type", "category", "size",
        "model", "brand", "make", "unit", "side", "pace", "ratio", "bait", "variety", "garnish", "spirit", "glass",
        "address", "phone", "mood", "energy", "frequency", "dose", "dosage", "season", "country", "city",
        "destination", "gender", "translation", "sentence", "role", "level", "time", "day", "week", "month", "stage",
        "assignee", "severity", "description", "store", "origin", "format", "platform", "language", "temperament",
        "grind", "bean", "colour", "color", "shutter", "aperture", "iso", "meal", "class", "series", "owner",
        "issue", "rating", "stars", "notes", "value", "price", "cost", "amount",
    ]),
    (Lang::De, &[
        "name", "titel", "autor", "quelle", "firma", "standort", "region", "genre", "hersteller", "marke", "typ",
        "kategorie", "größe", "farbe", "ort", "lagerort", "ziel", "abreise", "rückkehr", "rebsorte", "uhrzeit",
        "telefonnummer", "telefon", "adresse", "priorität", "status", "notiz", "intervall", "gießintervall",
    ]),
    (Lang::Fr, &[
        "nom", "titre", "auteur", "source", "entreprise", "emplacement", "région", "genre", "fabricant", "marque",
        "type", "catégorie", "taille", "couleur", "lieu", "destination", "cépage", "heure", "téléphone", "adresse",
        "priorité", "statut", "réalisateur", "motif", "ordonnance", "hébergement", "ressenti", "arrosage",
        "fournisseur", "présence", "moyen", "numéro", "échéance",
    ]),
    (Lang::Es, &[
        "nombre", "título", "autor", "fuente", "empresa", "ubicación", "región", "género", "fabricante", "marca",
        "tipo", "categoría", "tamaño", "color", "lugar", "destino", "uva", "hora", "teléfono", "dirección",
        "prioridad", "estado", "director", "plataforma", "raza", "servicio", "método", "frecuencia", "número",
    ]),
    (Lang::It, &[
        "nome", "titolo", "autore", "fonte", "azienda", "posizione", "regione", "genere", "produttore", "marca",
        "tipo", "categoria", "taglia", "colore", "luogo", "destinazione", "vitigno", "ora", "telefono", "indirizzo",
        "priorità", "stato", "regista", "numero", "voto",
    ]),
    (Lang::Pt, &[
        "nome", "título", "autor", "fonte", "empresa", "local", "região", "gênero", "género", "fabricante", "marca",
        "tipo", "categoria", "tamanho", "cor", "lugar", "destino", "uva", "hora", "telefone", "endereço", "morada",
        "prioridade", "estado", "status", "diretor", "número", "forma", "nota",
    ]),
    (Lang::Nl, &[
        "naam", "titel", "auteur", "bron", "bedrijf", "locatie", "regio", "genre", "fabrikant", "merk", "type",
        "categorie", "maat", "kleur", "plaats", "bestemming", "druif", "tijd", "telefoon", "adres", "prioriteit",
        "status", "regisseur", "nummer",
    ]),
];

/// Words per language.
type WordTable = &'static [(Lang, &'static [&'static str])];

/// Words for a 1-5 star rating.
const RATING_WORDS: &[&str] = &[
    "rating",
    "ratings",
    "stars",
    "bewertung",
    "bewertungen",
    "sterne",
    "évaluation",
    "étoiles",
    "valoración",
    "estrellas",
];

/// Words for a value paid ("price paid" is a number, "fee paid" a yes/no).
#[rustfmt::skip]
const VALUE_WORDS: &[&str] = &[
    "price", "cost", "amount", "value", "sum", "total", "preis", "betrag", "summe", "kosten", "prix", "montant",
    "coût", "precio", "importe", "coste", "costo",
];

/// Positions in [`KIND_WORDS`].
const DATES: usize = 3;
const PARTICIPLES: usize = 6;

/// How a field's words decide its kind, checked in this order (the first that matches
/// wins): each entry lists words per language (compared by stem).
#[rustfmt::skip]
const KIND_WORDS: &[(FieldKind, WordTable)] = &[
    (FieldKind::Email, &[
        (Lang::En, &["email", "e-mail", "mail"]),
        (Lang::De, &["e-mail", "mail", "email"]),
        (Lang::Fr, &["e-mail", "courriel", "mail"]),
        (Lang::Es, &["correo", "e-mail", "email"]),
        (Lang::It, &["email", "e-mail", "posta"]),
        (Lang::Pt, &["email", "e-mail", "correio"]),
        (Lang::Nl, &["e-mail", "email", "mail"]),
    ]),
    (FieldKind::Url, &[
        (Lang::En, &["link", "url", "website", "homepage", "webpage"]),
        (Lang::De, &["link", "webseite", "website", "url"]),
        (Lang::Fr, &["lien", "url", "site"]),
        (Lang::Es, &["enlace", "url", "web"]),
        (Lang::It, &["link", "url", "sito"]),
        (Lang::Pt, &["link", "url", "site"]),
        (Lang::Nl, &["link", "url", "website"]),
    ]),
    (FieldKind::Color, &[
        (Lang::En, &["colour", "color"]),
        (Lang::De, &["farbe"]),
        (Lang::Fr, &["couleur"]),
        (Lang::Es, &["color"]),
        (Lang::It, &["colore"]),
        (Lang::Pt, &["cor"]),
        (Lang::Nl, &["kleur"]),
    ]),
    (FieldKind::Date, &[
        (Lang::En, &["date", "deadline", "due", "birthday", "anniversary", "dob"]),
        (Lang::De, &["datum", "frist", "geburtstag", "fälligkeit", "zuletzt"]),
        (Lang::Fr, &["date", "échéance", "anniversaire", "dernier", "dernière"]),
        (Lang::Es, &["fecha", "vencimiento", "cumpleaños", "último", "última"]),
        (Lang::It, &["data", "scadenza", "compleanno"]),
        (Lang::Pt, &["data", "vencimento", "aniversário", "prazo"]),
        (Lang::Nl, &["datum", "deadline", "verjaardag", "vervaldatum"]),
    ]),
    (FieldKind::Number, &[
        (Lang::En, &[
            "price", "cost", "amount", "total", "value", "fee", "salary", "budget", "rent", "income", "balance",
            "quantity", "qty", "stock", "count", "litre", "liter", "litres", "liters", "ml", "gallon", "km",
            "kilometer", "kilometre", "mile", "miles", "mileage", "odometer", "distance", "duration", "weight",
            "height", "length", "width", "depth", "temperature", "speed", "elevation", "altitude", "calorie",
            "calories", "kcal", "protein", "carbs", "fat", "glucose", "insulin", "systolic", "diastolic", "pulse",
            "bpm", "level", "percentage", "percent", "reps", "rep", "sets", "servings", "portions", "pages",
            "points", "score", "year", "vintage", "age", "hours", "minutes", "seconds", "volume", "capacity", "iso",
            "units", "kg", "lbs", "grams", "steps", "laps", "goal", "target", "frames", "bottles", "copies",
            "pieces", "rate", "waist", "hip", "chest", "bmi", "rpm", "watts", "wage", "tip", "deposit", "spent",
        ]),
        (Lang::De, &[
            "preis", "kosten", "betrag", "summe", "wert", "gehalt", "budget", "miete", "menge", "anzahl", "bestand",
            "liter", "kilometer", "kilometerstand", "distanz", "entfernung", "dauer", "gewicht", "gewichtung",
            "temperatur", "kalorien", "puls", "systolisch", "diastolisch", "wiederholungen", "sätze", "portionen",
            "seiten", "seitenzahl", "punkte", "jahr", "jahrgang", "alter", "stunden", "minuten", "stück", "zahl",
        ]),
        (Lang::Fr, &[
            "prix", "coût", "montant", "total", "valeur", "salaire", "budget", "loyer", "quantité", "stock", "nombre",
            "litre", "litres", "kilomètre", "kilométrage", "distance", "durée", "poids", "température", "calories",
            "année", "millésime", "âge", "pages", "portions", "taux", "pouls", "systolique", "diastolique",
            "répétitions", "séries", "points", "score", "heures", "minutes",
        ]),
        (Lang::Es, &[
            "precio", "coste", "costo", "importe", "total", "valor", "salario", "sueldo", "presupuesto", "alquiler",
            "cantidad", "stock", "litros", "kilómetros", "kilometraje", "distancia", "duración", "peso", "altura",
            "temperatura", "calorías", "año", "añada", "edad", "páginas", "porciones", "raciones", "series",
            "repeticiones", "pulso", "sistólica", "diastólica", "puntos", "puntuación", "horas", "minutos",
        ]),
        (Lang::It, &[
            "prezzo", "costo", "importo", "totale", "valore", "stipendio", "budget", "affitto", "quantità", "litri",
            "chilometri", "chilometraggio", "distanza", "durata", "peso", "temperatura", "calorie", "anno", "annata",
            "età", "pagine", "porzioni", "serie", "ripetizioni", "battito", "punti", "punteggio", "ore", "minuti",
        ]),
        (Lang::Pt, &[
            "preço", "custo", "valor", "total", "salário", "orçamento", "aluguel", "renda", "quantidade", "litros",
            "quilômetros", "quilometragem", "distância", "duração", "peso", "temperatura", "calorias", "ano", "safra",
            "idade", "páginas", "porções", "séries", "repetições", "pulso", "pontos", "pontuação", "horas", "minutos",
        ]),
        (Lang::Nl, &[
            "prijs", "kosten", "bedrag", "totaal", "waarde", "salaris", "budget", "huur", "hoeveelheid", "aantal",
            "liter", "kilometer", "kilometerstand", "afstand", "duur", "gewicht", "temperatuur", "calorieën", "jaar",
            "jaargang", "leeftijd", "pagina", "porties", "herhalingen", "sets", "hartslag", "punten", "score", "uren",
            "minuten",
        ]),
    ]),
    (FieldKind::Select, &[
        (Lang::En, &["status", "state", "stage", "priority", "severity", "rsvp"]),
        (Lang::De, &["status", "priorität", "zustand", "stufe"]),
        (Lang::Fr, &["statut", "état", "priorité", "étape"]),
        (Lang::Es, &["estado", "prioridad", "etapa"]),
        (Lang::It, &["stato", "priorità", "fase"]),
        (Lang::Pt, &["estado", "status", "prioridade", "etapa", "fase"]),
        (Lang::Nl, &["status", "prioriteit", "fase"]),
    ]),
    (FieldKind::Boolean, &[
        (Lang::En, &[
            "paid", "done", "shipped", "returned", "packed", "watched", "completed", "owned", "seen", "sent", "booked",
            "confirmed", "visited", "delivered", "active", "archived", "attended", "checked", "taken", "built",
            "finished", "signed", "approved", "published", "cancelled", "canceled", "repaid", "opened", "installed",
        ]),
        (Lang::De, &["bezahlt", "erledigt", "gesehen", "gelesen", "versendet", "gebucht", "aktiv", "zurückgegeben"]),
        (Lang::Fr, &["payé", "payée", "réglé", "fait", "terminé", "vu", "envoyé", "réservé", "rendu", "actif"]),
        (Lang::Es, &["pagado", "pagada", "hecho", "visto", "leído", "enviado", "entregado", "reservado", "devuelto", "activo"]),
        (Lang::It, &["pagato", "pagata", "fatto", "fatta", "visto", "letto", "inviato", "consegnato", "prenotato", "restituito", "attivo"]),
        (Lang::Pt, &["pago", "paga", "feito", "feita", "visto", "lido", "enviado", "entregue", "reservado", "devolvido", "ativo"]),
        (Lang::Nl, &["betaald", "gedaan", "gezien", "gelezen", "verzonden", "geleverd", "geboekt", "teruggebracht", "actief", "klaar"]),
    ]),
    (FieldKind::LongText, &[
        (Lang::En, &[
            "notes", "note", "description", "comments", "comment", "details", "remarks", "instructions", "thoughts",
            "review", "summary", "story", "journal", "gratitude",
        ]),
        (Lang::De, &["notiz", "notizen", "beschreibung", "bemerkung", "bemerkungen", "kommentar", "anleitung"]),
        (Lang::Fr, &["notes", "description", "commentaire", "commentaires", "remarques", "instructions"]),
        (Lang::Es, &["notas", "descripción", "comentarios", "observaciones", "instrucciones"]),
        (Lang::It, &["note", "descrizione", "commenti", "osservazioni", "istruzioni"]),
        (Lang::Pt, &["notas", "descrição", "comentários", "observações", "instruções"]),
        (Lang::Nl, &["notities", "notitie", "beschrijving", "opmerkingen", "instructies"]),
    ]),
];

/// The kind a field's lowercase words give it, with select options when the words decide
/// them, and a unit for numbers ("amount in ml"). `entity` is the owner's lowercase words
/// (status options depend on it). `None` when the words say nothing (a text field).
pub(crate) fn kind_of(lang: Lang, words: &[String], entity: &[String]) -> Option<(FieldKind, Vec<String>)> {
    let joined = format!(" {} ", words.join(" "));
    let has = |s: &str| joined.contains(&format!(" {s} "));
    // Explicit shapes first.
    if has("yes/no")
        || has("yes no")
        || has("y/n")
        || has("checkbox")
        || has("check box")
        || has("ja/nein")
        || has("oui/non")
        || has("sí/no")
        || has("si/no")
    {
        return Some((FieldKind::Boolean, vec![]));
    }
    if [
        "1 to 5",
        "1-5",
        "1 5",
        "out of 5",
        "von 1 bis 5",
        "de 1 à 5",
        "de 1 a 5",
        "1 bis 5",
    ]
    .iter()
    .any(|s| joined.contains(s))
    {
        return Some((FieldKind::Rating, vec![]));
    }
    // "X number" is a number unless it is an identifier ("phone number", "invoice number").
    let last = words.last().map_or("", String::as_str);
    if matches!(last, "number" | "no" | "nr" | "nummer" | "numéro" | "número") {
        let first = words.first().map_or("", String::as_str);
        let ident = [
            "phone",
            "telephone",
            "mobile",
            "invoice",
            "order",
            "account",
            "tracking",
            "serial",
            "reference",
            "license",
            "licence",
            "id",
            "policy",
            "passport",
            "house",
            "telefon",
            "rechnungs",
            "rechnung",
            "kunden",
        ];
        if words.len() == 1 || ident.contains(&first) || lang != Lang::En {
            return None;
        }
        return Some((FieldKind::Number, vec![]));
    }
    if has("number of")
        || has("how many")
        || has("nombre de")
        || has("número de")
        || has("anzahl")
        || has("numero di")
        || has("aantal")
    {
        return Some((FieldKind::Number, vec![]));
    }
    // A count of things left: "bottles left", "botellas restantes".
    if matches!(
        last,
        "left"
            | "remaining"
            | "restantes"
            | "restant"
            | "restants"
            | "übrig"
            | "rimaste"
            | "rimasti"
            | "restanti"
            | "resterend"
            | "over"
    ) && words.len() > 1
    {
        return Some((FieldKind::Number, vec![]));
    }
    // "last watered", "zuletzt gegossen", "último riego": a date.
    if matches!(
        words.first().map(String::as_str),
        Some(
            "last"
                | "next"
                | "zuletzt"
                | "letzte"
                | "letzter"
                | "último"
                | "última"
                | "dernier"
                | "dernière"
                | "ultimo"
                | "ultima"
                | "laatst"
                | "laatste"
        )
    ) && words.len() > 1
    {
        return Some((FieldKind::Date, vec![]));
    }
    // An activity's time ("cooking time", "Zubereitungszeit", "temps de préparation") is a
    // duration; a bare time ("start time", "Uhrzeit") is text.
    if words.len() >= 2
        && (matches!(last, "time") && words[words.len() - 2].ends_with("ing")
            || matches!(words[0].as_str(), "temps" | "tiempo" | "tempo") && words.len() >= 3)
    {
        return Some((FieldKind::Number, vec![]));
    }
    // Counted things: "glasses" of water, "cups", "slices" (the singular may be a property:
    // a cocktail's "glass").
    const COUNTED: &[&str] = &[
        "glasses",
        "cups",
        "bottles",
        "cans",
        "pints",
        "mugs",
        "shots",
        "slices",
        "pieces",
        "eggs",
        "packs",
        "boxes",
        "copies",
        "tickets",
        "seats",
        "visitors",
        "guests",
        "attendees",
        "people",
        "persons",
        "shares",
    ];
    if words.len() <= 2 && COUNTED.contains(&last) {
        return Some((FieldKind::Number, vec![]));
    }
    // How often: "times per day", "3 times a week".
    if words
        .iter()
        .any(|w| w == "times" || w == "mal" || w == "fois" || w == "veces")
    {
        return Some((FieldKind::Number, vec![]));
    }
    if words.iter().any(|w| RATING_WORDS.contains(&w.as_str())) {
        return Some((FieldKind::Rating, vec![]));
    }
    // "fee paid" is a yes/no; "price paid" and "date paid" are what and when.
    let first = words.first().map_or("", String::as_str);
    let by_whom = matches!(last, "by" | "to" | "with" | "for" | "von" | "par" | "por");
    if !words.is_empty()
        && !by_whom
        && (exact_in(lang, last, KIND_WORDS[PARTICIPLES].1)
            || words.len() <= 3 && exact_in(lang, first, KIND_WORDS[PARTICIPLES].1))
    {
        let date = words.iter().any(|w| word_in(lang, w, KIND_WORDS[DATES].1));
        let value = words.iter().any(|w| VALUE_WORDS.contains(&w.as_str()));
        if !date && !value {
            return Some((FieldKind::Boolean, vec![]));
        }
    }
    for w in words {
        if lang == Lang::De && w.ends_with("zeit") && w.len() > 6 && !w.ends_with("uhrzeit") {
            return Some((FieldKind::Number, vec![]));
        }
    }
    for (kind, table) in KIND_WORDS {
        let hit = if *kind == FieldKind::Boolean {
            // "booked by" names who booked, not whether.
            !by_whom && words.iter().any(|w| exact_in(lang, w, table))
        } else {
            words.iter().any(|w| word_in(lang, w, table))
        };
        if hit {
            let options = match kind {
                FieldKind::Select => select_options(lang, words, entity),
                _ => vec![],
            };
            // A boolean participle after a date word is a date ("date finished").
            return Some((*kind, options));
        }
    }
    None
}

/// Whether `w` is one of `table`'s English words, in the singular. English Snowball stems
/// merge too much for this ("booking" and "book", "rating" and "rate").
fn en_in(w: &str, table: &[(Lang, &[&str])]) -> bool {
    let single = singularize(w);
    table
        .iter()
        .filter(|(l, _)| *l == Lang::En)
        .any(|(_, list)| list.iter().any(|x| *x == w || *x == single || singularize(x) == single))
}

/// Whether `w` is exactly one of `table`'s words (participles: "booked" is not "books").
fn exact_in(lang: Lang, w: &str, table: &[(Lang, &[&str])]) -> bool {
    table
        .iter()
        .any(|(l, list)| (*l == lang || *l == Lang::En) && list.contains(&w))
}

/// Whether `w` is one of `table`'s words (by stem, here or in English), or a German
/// compound ending in one of them ("Kaufdatum", "Kilometerstand").
fn word_in(lang: Lang, w: &str, table: &[(Lang, &[&str])]) -> bool {
    let here = lang.stem(w);
    en_in(w, table)
        || (lang != Lang::En
            && table.iter().any(|(l, list)| {
                *l == lang
                    && list.iter().any(|x| {
                        l.stem(x) == here || (lang == Lang::De && x.chars().count() >= 4 && w.ends_with(x) && w != *x)
                    })
            }))
}

/// Options for a select field named by `words`, in the prompt's language.
fn select_options(lang: Lang, words: &[String], entity: &[String]) -> Vec<String> {
    let any = |list: &[&str]| {
        words
            .iter()
            .chain(entity.iter())
            .any(|w| list.iter().any(|x| w.starts_with(x)))
    };
    let opts: &[&str] = if words.iter().any(|w| w.starts_with("priorit")) {
        match lang {
            Lang::En => &["Low", "Medium", "High"],
            Lang::De => &["Niedrig", "Mittel", "Hoch"],
            Lang::Fr => &["Basse", "Moyenne", "Haute"],
            Lang::Es => &["Baja", "Media", "Alta"],
            Lang::It => &["Bassa", "Media", "Alta"],
            Lang::Pt => &["Baixa", "Média", "Alta"],
            Lang::Nl => &["Laag", "Gemiddeld", "Hoog"],
        }
    } else if words.iter().any(|w| w == "severity") {
        &["Low", "Medium", "High", "Critical"]
    } else if words.iter().any(|w| w == "rsvp") || any(&["guest", "invit", "gast", "gäste"]) {
        match lang {
            Lang::En => &["Invited", "Attending", "Maybe", "Declined"],
            Lang::De => &["Eingeladen", "Zugesagt", "Vielleicht", "Abgesagt"],
            Lang::Fr => &["Invité", "Présent", "Peut-être", "Absent"],
            Lang::Es => &["Invitado", "Asiste", "Quizás", "No asiste"],
            Lang::It => &["Invitato", "Presente", "Forse", "Assente"],
            Lang::Pt => &["Convidado", "Confirmado", "Talvez", "Recusou"],
            Lang::Nl => &["Uitgenodigd", "Komt", "Misschien", "Komt niet"],
        }
    } else if any(&["invoice", "rechnung", "factur", "bill", "fattur", "fatur", "factuur"]) {
        match lang {
            Lang::En => &["Draft", "Sent", "Paid", "Overdue"],
            Lang::De => &["Entwurf", "Gesendet", "Bezahlt", "Überfällig"],
            Lang::Fr => &["Brouillon", "Envoyée", "Payée", "En retard"],
            Lang::Es => &["Borrador", "Enviada", "Pagada", "Vencida"],
            Lang::It => &["Bozza", "Inviata", "Pagata", "Scaduta"],
            Lang::Pt => &["Rascunho", "Enviada", "Paga", "Vencida"],
            Lang::Nl => &["Concept", "Verzonden", "Betaald", "Te laat"],
        }
    } else if any(&["application", "bewerbung", "candidature", "solicitud"]) {
        &["Applied", "Interviewing", "Offer", "Rejected"]
    } else if any(&["lead", "deal"]) || words.iter().any(|w| w == "stage") {
        &["New", "Contacted", "Proposal", "Won", "Lost"]
    } else if any(&["order", "bestellung", "commande", "pedido", "ordine", "bestelling"]) {
        match lang {
            Lang::En => &["New", "Paid", "Shipped", "Delivered"],
            Lang::De => &["Neu", "Bezahlt", "Versendet", "Zugestellt"],
            Lang::Fr => &["Nouvelle", "Payée", "Expédiée", "Livrée"],
            Lang::Es => &["Nuevo", "Pagado", "Enviado", "Entregado"],
            Lang::It => &["Nuovo", "Pagato", "Spedito", "Consegnato"],
            Lang::Pt => &["Novo", "Pago", "Enviado", "Entregue"],
            Lang::Nl => &["Nieuw", "Betaald", "Verzonden", "Geleverd"],
        }
    } else {
        match lang {
            Lang::En => &["To do", "In progress", "Done"],
            Lang::De => &["Offen", "In Arbeit", "Erledigt"],
            Lang::Fr => &["À faire", "En cours", "Terminé"],
            Lang::Es => &["Pendiente", "En curso", "Hecho"],
            Lang::It => &["Da fare", "In corso", "Fatto"],
            Lang::Pt => &["A fazer", "Em andamento", "Feito"],
            Lang::Nl => &["Te doen", "Bezig", "Klaar"],
        }
    };
    opts.iter().map(|s| (*s).to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_lowercase).collect()
    }

    #[test]
    fn languages_are_told_apart() {
        assert_eq!(Lang::detect(&words("a wine cellar with vintage and region")), Lang::En);
        assert_eq!(
            Lang::detect(&words("Weine mit Jahrgang und Preis für meine Sammlung")),
            Lang::De
        );
        assert_eq!(
            Lang::detect(&words("Gérer ma cave à vin avec millésime et région")),
            Lang::Fr
        );
        assert_eq!(Lang::detect(&words("Colección de vinos con añada y región")), Lang::Es);
        assert_eq!(
            Lang::detect(&words("Collezione di vini con annata, regione e prezzo")),
            Lang::It
        );
        assert_eq!(
            Lang::detect(&words("Quero controlar as minhas despesas com data e valor")),
            Lang::Pt
        );
        assert_eq!(
            Lang::detect(&words("Een app voor mijn wijnen met jaargang en prijs")),
            Lang::Nl
        );
    }

    #[test]
    fn words_give_kinds() {
        let k = |lang, s: &str| kind_of(lang, &words(s), &[]).map(|(k, _)| k);
        assert_eq!(k(Lang::En, "litres"), Some(FieldKind::Number));
        assert_eq!(k(Lang::En, "due date"), Some(FieldKind::Date));
        assert_eq!(k(Lang::En, "bottles left"), Some(FieldKind::Number));
        assert_eq!(k(Lang::En, "times per day"), Some(FieldKind::Number));
        assert_eq!(k(Lang::En, "rsvp status"), Some(FieldKind::Select));
        assert_eq!(k(Lang::En, "phone number"), None);
        assert_eq!(k(Lang::En, "packed yes/no"), Some(FieldKind::Boolean));
        assert_eq!(k(Lang::De, "fälligkeitsdatum"), Some(FieldKind::Date));
        assert_eq!(k(Lang::De, "kilometerstand"), Some(FieldKind::Number));
        assert_eq!(k(Lang::De, "uhrzeit"), None);
        assert_eq!(k(Lang::Fr, "date de fin"), Some(FieldKind::Date));
        assert_eq!(k(Lang::Es, "botellas restantes"), Some(FieldKind::Number));
        let (_, opts) = kind_of(Lang::De, &words("status"), &words("rechnung")).unwrap_or((FieldKind::Text, vec![]));
        assert_eq!(opts, ["Entwurf", "Gesendet", "Bezahlt", "Überfällig"]);
    }

    #[test]
    fn singulars_per_language() {
        assert_eq!(Lang::De.singular("Übungen"), "Übung");
        assert_eq!(Lang::De.singular("Bücher"), "Buch");
        assert_eq!(Lang::De.singular("Kunden"), "Kunde");
        assert_eq!(Lang::Fr.singular("dépenses"), "dépense");
        assert_eq!(Lang::Fr.singular("cours"), "cours");
        assert_eq!(Lang::Es.singular("películas"), "película");
        assert_eq!(Lang::Es.singular("lecturas"), "lectura");
        assert_eq!(Lang::Es.plural("canción"), "canciones");
        assert_eq!(Lang::It.singular("spese"), "spesa");
        assert_eq!(Lang::It.singular("libri"), "libro");
        assert_eq!(Lang::Pt.singular("despesas"), "despesa");
        assert_eq!(Lang::Pt.singular("sessões"), "sessão");
        assert_eq!(Lang::Nl.singular("wijnen"), "wijn");
        assert_eq!(Lang::Nl.singular("projecten"), "project");
        assert_eq!(Lang::Nl.singular("leden"), "lid");
    }
}
