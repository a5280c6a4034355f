//! What a prompt asks for besides its things: the app type its words suggest (the
//! catalogue's cues), the features it asks for (and the ones it refuses: "no dark mode"),
//! whether it wants a dark look, the name it gives ("called Sprout"), the colours it names
//! for the look, the nouns that look like record kinds, and the catalogue's blueprints as
//! entities. `analyze`, `model` and `reflect` all read prompts through these, so none of
//! them has to import another.
//!
//! Invariants: pure and deterministic.

use domain::spec::{EntitySpec, Feature, FieldKind, FieldSpec, PageSpec};

use crate::catalog::{self, AppType, Blueprint, APP_TYPES};
use crate::theme;
use crate::words::{clean_text, pluralize, title_case, to_snake, Prompt};

pub(crate) const FONT_SYSTEM: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

/// Words that make a feature explicit in a prompt, phrase by phrase.
#[rustfmt::skip]
const FEATURE_CUES: &[(Feature, &[&str])] = &[
    (Feature::DarkMode, &[
        "dark mode", "dark-mode", "dark theme", "night mode", "light mode", "light and dark", "light dark", "dark light",
        "theme toggle", "theme switch", "dark ui",
    ]),
    (Feature::Search, &["search", "searchable", "searching", "find", "filter", "filtering", "look up", "lookup"]),
    (Feature::Stats, &[
        "chart", "charts", "graph", "graphs", "stats", "statistics", "analytics", "insights", "dashboard", "report",
        "reports", "visualize", "visualise", "trends", "progress",
    ]),
    (Feature::ExportImport, &["export", "import", "backup", "back up", "csv", "json", "download my data"]),
    (Feature::Streaks, &["streak", "streaks", "check in", "check-in", "check-ins", "checkin", "consecutive", "every day"]),
    (Feature::Tags, &["tag", "tags", "tagging", "tagged", "label", "labels", "hashtag", "hashtags"]),
    (Feature::Favorites, &["favorite", "favorites", "favourite", "favourites", "starred", "pin", "pinned", "heart"]),
    (Feature::Sorting, &["sort", "sorting", "sortable", "sorted", "order by", "reorder", "ranking", "rank"]),
];

/// Words that never name an entity.
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "allow", "allows", "also", "am", "an", "and", "any", "app",
    "application", "apps", "are", "as", "at", "be", "beautiful", "because", "been", "before", "being", "best",
    "better", "between", "both", "build", "but", "buy", "by", "can", "clean", "collect", "could", "create", "cute",
    "daily", "dark", "day", "days", "design", "did", "do", "does", "doing", "done", "dont", "each", "easy", "else",
    "every", "everything", "few", "for", "from", "fun", "get", "give", "go", "good", "great", "had", "has", "have",
    "having", "he", "help", "helps", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its",
    "just", "keep", "kind", "let", "lets", "light", "like", "little", "log", "look", "lot", "lots", "love", "make",
    "manage", "management", "manager", "many", "me", "mine", "minimal", "mode", "modern", "month", "months", "more",
    "most", "much", "must", "my", "need", "needs", "new", "nice", "no", "not", "now", "of", "off", "on", "once",
    "one", "only", "or", "organize", "organise", "other", "our", "out", "over", "own", "page", "pages", "people",
    "personal", "plan", "please", "pretty", "put", "really", "see", "she", "should", "show", "simple", "site",
    "small", "so", "some", "something", "stuff", "such", "super", "system", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "thing", "things", "this", "those", "through", "time", "times", "to", "too",
    "tool", "tools", "track", "tracker", "tracking", "ui", "up", "us", "use", "used", "using", "very", "want",
    "wants", "was", "way", "ways", "we", "web", "website", "week", "weeks", "well", "were", "what", "when", "where",
    "which", "while", "who", "why", "will", "with", "within", "without", "would", "year", "years", "yes", "you",
    "your", "yours", "view", "views", "list", "lists", "save", "add", "edit", "delete", "remove", "update", "write",
    "mobile", "phone", "responsive", "layout", "theme", "themes", "color", "colors", "colour", "colours", "style",
    "feature", "features", "option", "options", "ability", "able", "set", "sets", "user", "users", "data", "info",
    "information", "detail", "details", "entry", "entries", "item", "items", "number", "numbers", "total", "totals",
    "button", "buttons", "screen", "screens", "form", "forms", "field", "fields", "status", "today", "tomorrow",
    "yesterday", "morning", "evening", "night", "hour", "hours", "minute", "minutes", "lightweight", "fast", "quick",
    "offline", "online", "buying", "bought", "sell", "sold", "find", "want", "wanted", "lot", "stuff",
];

/// Words before a singular noun that mark it as something the app manages.
#[rustfmt::skip]
const DETERMINERS: &[&str] = &[
    "my", "our", "the", "a", "an", "of", "some", "all", "each", "every", "these", "those", "your", "his", "her",
    "their", "with", "and", "plus", "for", "manage", "track", "log", "catalog", "catalogue", "organize", "organise",
    "collect", "list",
];

pub(crate) fn feature_order(f: Feature) -> usize {
    const ORDER: [Feature; 8] = [
        Feature::DarkMode,
        Feature::Search,
        Feature::Stats,
        Feature::ExportImport,
        Feature::Streaks,
        Feature::Tags,
        Feature::Favorites,
        Feature::Sorting,
    ];
    ORDER.iter().position(|x| *x == f).unwrap_or(ORDER.len())
}

/// The best-scoring app type and its score.
pub(crate) fn best_app_type(p: &Prompt) -> (Option<&'static AppType>, usize) {
    let mut best: Option<(&'static AppType, usize)> = None;
    for t in APP_TYPES {
        let score = score_type(p, t);
        if score >= 2 && best.is_none_or(|(_, s)| score > s) {
            best = Some((t, score));
        }
    }
    match best {
        Some((t, s)) => (Some(t), s),
        None => (None, 0),
    }
}

fn score_type(p: &Prompt, t: &AppType) -> usize {
    let phrases = t.phrases.iter().filter(|ph| p.mentions(ph)).count();
    let keywords = t
        .keywords
        .iter()
        .filter(|k| p.singular.iter().any(|w| w == *k) || p.words.iter().any(|w| w == *k))
        .count();
    phrases * 4 + keywords * 2
}

pub(crate) fn matched_cues(p: &Prompt, t: &AppType) -> Vec<String> {
    let mut out: Vec<String> = t
        .phrases
        .iter()
        .filter(|ph| p.mentions(ph))
        .map(|s| (*s).to_string())
        .collect();
    out.extend(
        t.keywords
            .iter()
            .filter(|k| p.singular.iter().any(|w| w == *k) || p.words.iter().any(|w| w == *k))
            .map(|s| (*s).to_string()),
    );
    out.truncate(4);
    out
}

fn is_feature_word(w: &str) -> bool {
    FEATURE_CUES.iter().any(|(_, cues)| cues.contains(&w)) || theme::named_colour(w).is_some()
}

/// A noun the prompt names: its singular and plural.
pub(crate) struct Noun {
    pub(crate) singular: String,
    pub(crate) plural: String,
}

/// Nouns in a prompt that look like things to manage, in order of appearance.
pub(crate) fn noun_candidates(p: &Prompt) -> Vec<Noun> {
    let mut out: Vec<Noun> = Vec::new();
    let n = p.words.len();
    for i in 0..n {
        let w = p.word(i);
        let s = p.singular.get(i).map_or("", String::as_str);
        if !noun_like(w) || !noun_like(s) || p.negated(i) {
            continue;
        }
        let plural_form = w != s;
        let known = catalog::blueprint_for_word(s).is_some();
        let after_det = i > 0 && DETERMINERS.contains(&p.word(i - 1));
        if !(plural_form || (after_det && (known || next_is_boundary(p, i)))) {
            continue;
        }
        // A noun followed by another noun is a modifier ("vinyl records"): skip it.
        if i + 1 < n && noun_like(p.word(i + 1)) && !plural_form {
            continue;
        }
        if out.iter().any(|x| x.singular == s) {
            continue;
        }
        out.push(Noun {
            singular: s.to_string(),
            plural: if plural_form { w.to_string() } else { pluralize(s) },
        });
    }
    out
}

fn next_is_boundary(p: &Prompt, i: usize) -> bool {
    let next = p.word(i + 1);
    next.is_empty() || STOPWORDS.contains(&next)
}

fn noun_like(w: &str) -> bool {
    w.len() >= 3
        && w.len() <= 30
        && w.chars().all(|c| c.is_alphabetic() || c == '-')
        && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !STOPWORDS.contains(&w)
        && !is_feature_word(w)
        && !ATTRIBUTE_CUES.iter().any(|(cues, _)| cues.contains(&w))
        && !w.ends_with("ing")
        && !w.ends_with("ly")
}

/// The blueprint as an entity.
pub(crate) fn from_blueprint(b: &Blueprint) -> EntitySpec {
    EntitySpec {
        name: b.name.into(),
        label: b.label.into(),
        plural: b.plural.into(),
        fields: b.fields.iter().filter_map(|f| catalog::parse_field(f)).collect(),
    }
}

/// An entity for a noun the catalog does not know: a name, whatever attributes the prompt
/// mentions (for the main entity), and notes.
pub(crate) fn generic_entity(singular: &str, label: &str, plural: &str, p: &Prompt, main: bool) -> EntitySpec {
    let name = to_snake(singular, "item");
    let mut fields = vec![FieldSpec::name_field()];
    if main {
        for (cues, field) in ATTRIBUTE_CUES {
            if cues.iter().any(|c| p.mentions(c)) {
                if let Some(f) = catalog::parse_field(field) {
                    if !fields.iter().any(|x| x.name == f.name) {
                        fields.push(f);
                    }
                }
            }
        }
    }
    if fields.len() < 3 {
        if let Some(f) = catalog::parse_field("category|Category|select|General/Personal/Work/Other") {
            if !fields.iter().any(|x| x.name == f.name) {
                fields.push(f);
            }
        }
    }
    fields.push(FieldSpec {
        name: "notes".into(),
        label: "Notes".into(),
        kind: FieldKind::LongText,
        required: false,
        options: vec![],
        entity: None,
    });
    EntitySpec {
        name,
        label: clean_text(label, 40),
        plural: clean_text(plural, 40),
        fields,
    }
}

/// Features the prompt explicitly asks for, with the words that asked.
pub(crate) fn requested_features(p: &Prompt) -> Vec<(Feature, String)> {
    let mut out = Vec::new();
    for (feature, cues) in FEATURE_CUES {
        if let Some(cue) = cues.iter().find(|c| p.mentions(c)) {
            out.push((*feature, (*cue).to_string()));
        }
    }
    // "A dark ..." without "mode" still means a dark theme with a switch.
    if !out.iter().any(|(f, _)| *f == Feature::DarkMode) && wants_dark(p) {
        out.push((Feature::DarkMode, "dark".into()));
    }
    out
}

/// Whether the prompt asks for a dark look by default ("dark mode", "dark theme", "a dark
/// app"), as opposed to a switch ("light and dark modes") or a dark thing ("dark chocolate",
/// "dark green").
pub(crate) fn wants_dark(p: &Prompt) -> bool {
    if p.mentions("night mode") {
        return true;
    }
    p.words.iter().enumerate().any(|(i, w)| {
        if w != "dark" || p.negated(i) {
            return false;
        }
        let prev = if i > 0 { p.word(i - 1) } else { "" };
        let prev2 = if i > 1 { p.word(i - 2) } else { "" };
        let next = p.word(i + 1);
        let both = prev == "light"
            || (matches!(prev, "and" | "or") && prev2 == "light")
            || (matches!(next, "and" | "or") && p.word(i + 2) == "light")
            || next == "light";
        let thing = theme::named_colour(next).is_some()
            || (noun_like(next)
                && !matches!(
                    next,
                    "mode"
                        | "theme"
                        | "ui"
                        | "look"
                        | "background"
                        | "design"
                        | "interface"
                        | "version"
                        | "palette"
                        | "scheme"
                        | "colors"
                        | "colours"
                ));
        !both && !thing
    })
}

/// A name the prompt gives: "called X", "named X", "titled X", "name it X".
pub(crate) fn explicit_name(original: &str) -> Option<String> {
    let lower = original.to_lowercase();
    // Lowercasing can change byte lengths for a few scripts; only use positions when it
    // did not.
    if lower.len() != original.len() {
        return None;
    }
    for cue in [
        "called ",
        "named ",
        "titled ",
        "name it ",
        "call it ",
        "app name: ",
        "name: ",
    ] {
        let mut from = 0;
        while let Some(pos) = lower.get(from..).and_then(|l| l.find(cue)) {
            let at = from + pos;
            let start = at + cue.len();
            from = start;
            // Only whole words: "renamed " does not count.
            if at > 0 && lower[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric()) {
                continue;
            }
            let rest = original.get(start..).unwrap_or("").trim_start();
            if let Some(name) = name_at(rest) {
                return Some(name);
            }
        }
    }
    None
}

fn name_at(rest: &str) -> Option<String> {
    let mut chars = rest.chars();
    let first = chars.next()?;
    let close = match first {
        '"' => Some('"'),
        '\'' => Some('\''),
        '\u{201c}' => Some('\u{201d}'),
        '\u{2018}' => Some('\u{2019}'),
        '\u{ab}' => Some('\u{bb}'),
        '`' => Some('`'),
        _ => None,
    };
    let raw = match close {
        Some(c) => {
            let inner = &rest[first.len_utf8()..];
            let end = inner.find(c)?;
            inner[..end].to_string()
        }
        None => {
            const STOP: &[&str] = &[
                "that", "which", "with", "for", "to", "where", "who", "so", "using", "in", "on", "because", "i", "and",
                "but",
            ];
            let mut words = Vec::new();
            for w in rest.split_whitespace() {
                let bare: String = w
                    .chars()
                    .filter(|c| !matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')'))
                    .collect();
                if words.len() >= 5 || STOP.contains(&bare.to_lowercase().as_str()) {
                    break;
                }
                let ends = w.ends_with(['.', ',', ';', ':', '!', '?', '(', ')']);
                let piece = w
                    .split(['(', ')'])
                    .next()
                    .unwrap_or("")
                    .trim_end_matches(['.', ',', ';', ':', '!', '?']);
                if !piece.is_empty() {
                    words.push(piece.to_string());
                }
                if ends || w.contains(['(', ')']) {
                    break;
                }
            }
            words.join(" ")
        }
    };
    let name = clean_text(&raw, 40);
    let name = name
        .trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace())
        .to_string();
    if name.is_empty() || !name.chars().any(char::is_alphanumeric) {
        return None;
    }
    if name.chars().all(|c| !c.is_uppercase()) {
        Some(title_case(&name))
    } else {
        Some(name)
    }
}

/// Colour words used about the app's look: "in green", "purple theme", "blue and gold".
pub(crate) fn named_theme_colours(p: &Prompt) -> Vec<(String, &'static str)> {
    #[rustfmt::skip]
    const BEFORE: &[&str] = &[
        "in", "with", "using", "use", "mostly", "all", "pastel", "soft", "deep", "bright", "neon", "dark", "light",
        "warm", "cool", "muted", "vibrant",
    ];
    #[rustfmt::skip]
    const AFTER: &[&str] = &[
        "theme", "themed", "color", "colour", "colors", "colours", "accent", "accents", "palette", "scheme", "tones",
        "tone", "design", "style", "ui", "look", "vibe", "vibes", "buttons", "header", "background", "shades",
        "highlights", "primary",
    ];
    let n = p.words.len();
    let colour = |i: usize| theme::named_colour(p.word(i));
    // Directly about the look: "purple theme", "in green", "neon pink".
    let mut lookish: Vec<bool> = (0..n)
        .map(|i| {
            if colour(i).is_none() || p.negated(i) {
                return false;
            }
            let prev = if i > 0 { p.word(i - 1) } else { "" };
            let next = p.word(i + 1);
            AFTER.contains(&next)
                || (BEFORE.contains(&prev) && (next.is_empty() || !noun_like(next) || AFTER.contains(&next)))
        })
        .collect();
    // Chained to such a colour: "purple and gold theme", "in blue and white".
    for _ in 0..3 {
        for i in 0..n {
            if lookish[i] || colour(i).is_none() || p.negated(i) {
                continue;
            }
            let joined_next = matches!(p.word(i + 1), "and" | "or" | "with") && i + 2 < n && lookish[i + 2];
            let joined_prev = i >= 2 && matches!(p.word(i - 1), "and" | "or" | "with") && lookish[i - 2];
            if joined_next || joined_prev {
                lookish[i] = true;
            }
        }
    }
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for i in (0..n).filter(|i| lookish[*i]) {
        let w = p.word(i);
        if let Some(hex) = colour(i) {
            if !out.iter().any(|(x, _)| x == w) {
                out.push((w.to_string(), hex));
            }
        }
    }
    out
}

pub(crate) fn unique_page_id(pages: &[PageSpec], want: &str) -> String {
    let base: String = want.chars().take(36).collect();
    let base = base.trim_end_matches('-').to_string();
    if !pages.iter().any(|p| p.id == base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !pages.iter().any(|p| p.id == *id))
        .unwrap_or(base)
}

/// Attribute words in a generic prompt and the field each suggests.
#[rustfmt::skip]
const ATTRIBUTE_CUES: &[(&[&str], &str)] = &[
    (&["price", "prices", "cost", "costs", "paid", "value", "worth"], "price|Price|number"),
    (&["quantity", "quantities", "how many", "amount", "count"], "quantity|Quantity|number"),
    (&["date", "dates", "deadline", "deadlines", "due", "when i"], "date|Date|date"),
    (&["rating", "ratings", "rate", "stars", "score", "scores", "review", "reviews"], "rating|Rating|rating"),
    (&["link", "links", "url", "urls", "website", "websites"], "link|Link|url"),
    (&["email", "emails", "e-mail"], "email|Email|email"),
    (&["phone", "phone number"], "phone|Phone|text"),
    (&["location", "locations", "address", "addresses"], "location|Location|text"),
    (&["status", "progress", "state"], "status|Status|select|Not started/In progress/Done"),
    (&["category", "categories", "type", "types", "genre", "genres"], "category|Category|select|General/Personal/Work/Other"),
    (&["done", "completed", "owned", "finished"], "done|Done|boolean"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_called_and_named() {
        assert_eq!(
            explicit_name("a habit app called Sprout with streaks").as_deref(),
            Some("Sprout")
        );
        assert_eq!(
            explicit_name("an app named \"Bread & Butter\" for recipes").as_deref(),
            Some("Bread & Butter")
        );
        assert_eq!(
            explicit_name("a todo list called get it done, with tags").as_deref(),
            Some("Get It Done")
        );
        assert_eq!(explicit_name("a renamed thing"), None);
    }

    #[test]
    fn colour_words_only_count_when_about_the_look() {
        let p = Prompt::new("a wine cellar for red and white wines");
        assert!(named_theme_colours(&p).is_empty());
        let p = Prompt::new("a plant care app in green");
        assert_eq!(named_theme_colours(&p).first().map(|(w, _)| w.as_str()), Some("green"));
        let p = Prompt::new("todo list with a purple and gold theme");
        let words: Vec<_> = named_theme_colours(&p).into_iter().map(|(w, _)| w).collect();
        assert_eq!(words, ["purple", "gold"]);
    }

    #[test]
    fn negation_is_respected() {
        let p = Prompt::new("a notes app, no dark mode please");
        assert!(!requested_features(&p).iter().any(|(f, _)| *f == Feature::DarkMode));
        assert!(!wants_dark(&p));
    }
}
