//! Reading a prompt: clipping, tokenising into lowercase words, singular and plural forms,
//! and the identifier and text helpers every other module uses on prompt words.
//!
//! Invariants: deterministic; [`Prompt::new`] reads at most [`MAX_PROMPT_CHARS`]
//! characters; [`to_snake`] and [`to_kebab`] always return a valid identifier.

use crate::fnv1a;

/// Prompts are read up to this many characters (the limit every door enforces); the rest
/// is ignored (and noted).
pub use domain::limits::MAX_PROMPT_CHARS;

/// A prompt, clipped and tokenised.
pub(crate) struct Prompt {
    /// The original text, clipped to [`MAX_PROMPT_CHARS`].
    pub(crate) original: String,
    /// Lowercase words (letters, digits, inner hyphens).
    pub(crate) words: Vec<String>,
    /// ` w1 w2 ... ` for phrase matching.
    pub(crate) joined: String,
    /// The same with every word singularised.
    pub(crate) joined_singular: String,
    /// Singular forms.
    pub(crate) singular: Vec<String>,
    /// Whether the prompt was longer than the limit.
    pub(crate) clipped: bool,
    /// FNV-1a of the normalised words: the seed of every hash-derived choice.
    pub(crate) hash: u64,
}

impl Prompt {
    pub(crate) fn new(raw: &str) -> Prompt {
        let clipped = raw.chars().count() > MAX_PROMPT_CHARS;
        let original: String = raw.chars().take(MAX_PROMPT_CHARS).collect();
        let mut words = Vec::new();
        let mut cur = String::new();
        for c in original.chars() {
            if c.is_alphanumeric() || c == '-' || c == '\'' || c == '\u{2019}' {
                if c != '\'' && c != '\u{2019}' {
                    cur.extend(c.to_lowercase());
                }
            } else if !cur.is_empty() {
                push_word(&mut words, &mut cur);
            }
        }
        if !cur.is_empty() {
            push_word(&mut words, &mut cur);
        }
        let singular: Vec<String> = words.iter().map(|w| singularize(w)).collect();
        let joined = format!(" {} ", words.join(" "));
        let joined_singular = format!(" {} ", singular.join(" "));
        let hash = fnv1a(words.join(" ").as_bytes());
        Prompt {
            original,
            words,
            joined,
            joined_singular,
            singular,
            clipped,
            hash,
        }
    }

    /// Whether `phrase` (lowercase words) occurs, plural or singular, and is not negated.
    pub(crate) fn mentions(&self, phrase: &str) -> bool {
        self.find(phrase).is_some()
    }

    /// The word index where `phrase` occurs un-negated.
    pub(crate) fn find(&self, phrase: &str) -> Option<usize> {
        let needle = format!(" {} ", phrase.trim());
        for hay in [&self.joined, &self.joined_singular] {
            let mut from = 0;
            while let Some(pos) = hay.get(from..).and_then(|h| h.find(&needle)) {
                let at = from + pos;
                let index = hay
                    .get(..at + 1)
                    .map_or(0, |h| h.matches(' ').count().saturating_sub(1));
                if !self.negated(index) {
                    return Some(index);
                }
                from = at + 1;
            }
        }
        None
    }

    /// Whether the word at `index` follows "no", "not", "without" or "don't" closely.
    pub(crate) fn negated(&self, index: usize) -> bool {
        let start = index.saturating_sub(3);
        self.words.get(start..index).is_some_and(|w| {
            w.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "no" | "not" | "without" | "dont" | "never" | "skip" | "doesnt"
                )
            })
        })
    }

    pub(crate) fn word(&self, i: usize) -> &str {
        self.words.get(i).map_or("", String::as_str)
    }
}

fn push_word(words: &mut Vec<String>, cur: &mut String) {
    let w = cur.trim_matches('-').to_string();
    if !w.is_empty() {
        words.push(w);
    }
    cur.clear();
}

/// English singular of a lowercase word, good enough for prompt nouns.
pub(crate) fn singularize(w: &str) -> String {
    #[rustfmt::skip]
    const SAME: &[&str] = &[
        "series", "species", "news", "sheep", "fish", "deer", "data", "media", "diabetes", "glasses", "clothes",
        "analytics", "statistics", "physics", "maths", "mathematics", "tennis", "chess", "means", "lens", "canvas",
        "bus", "gas", "plus", "status", "campus", "bonus", "virus", "focus", "corpus", "cactus", "this", "is", "has",
        "was", "its", "always", "perhaps", "across", "yes", "us", "does", "less", "unless", "process", "business",
        "fitness", "wellness", "progress", "address", "success", "class", "glass", "grass", "boss", "loss", "dress",
        "chess", "miss", "kiss", "ss",
    ];
    #[rustfmt::skip]
    const IRREGULAR: &[(&str, &str)] = &[
        ("people", "person"), ("children", "child"), ("men", "man"), ("women", "woman"), ("mice", "mouse"),
        ("geese", "goose"), ("teeth", "tooth"), ("feet", "foot"), ("movies", "movie"), ("cookies", "cookie"),
        ("pies", "pie"), ("ties", "tie"), ("calories", "calorie"), ("zombies", "zombie"), ("selfies", "selfie"),
        ("smoothies", "smoothie"), ("rookies", "rookie"), ("shoes", "shoe"), ("toes", "toe"), ("knives", "knife"),
        ("wives", "wife"), ("lives", "life"), ("leaves", "leaf"), ("shelves", "shelf"), ("wolves", "wolf"),
        ("halves", "half"), ("loaves", "loaf"), ("recipes", "recipe"), ("analyses", "analysis"), ("crises", "crisis"),
        ("theses", "thesis"), ("indices", "index"), ("vertices", "vertex"), ("cacti", "cactus"), ("fungi", "fungus"),
        ("databases", "database"), ("courses", "course"), ("horses", "horse"), ("houses", "house"),
        ("purchases", "purchase"), ("expenses", "expense"), ("licenses", "license"), ("nurses", "nurse"),
        ("responses", "response"), ("vases", "vase"), ("phases", "phase"), ("cases", "case"), ("bases", "base"),
        ("uses", "use"), ("causes", "cause"), ("releases", "release"), ("exercises", "exercise"), ("verses", "verse"),
        ("universes", "universe"), ("promises", "promise"), ("franchises", "franchise"), ("noises", "noise"),
        ("cruises", "cruise"), ("businesses", "business"), ("addresses", "address"), ("glasses", "glasses"),
        ("wishes", "wish"), ("dishes", "dish"), ("boxes", "box"), ("taxes", "tax"), ("matches", "match"),
        ("watches", "watch"), ("heroes", "hero"), ("potatoes", "potato"), ("tomatoes", "tomato"), ("echoes", "echo"),
        ("lies", "lie"), ("dies", "die"), ("goodies", "goodie"), ("hoodies", "hoodie"), ("aunties", "auntie"),
        ("species", "species"), ("bookies", "bookie"),
    ];
    if let Some((_, s)) = IRREGULAR.iter().find(|(p, _)| *p == w) {
        return (*s).to_string();
    }
    if w.len() <= 3
        || SAME.contains(&w)
        || w.ends_with("ss")
        || w.ends_with("us")
        || w.ends_with("is")
        || w.ends_with("ous")
    {
        return w.to_string();
    }
    if let Some(stem) = w.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["ches", "shes", "xes", "zes", "sses"] {
        if let Some(stem) = w.strip_suffix(suffix) {
            return format!("{stem}{}", &suffix[..suffix.len() - 2]);
        }
    }
    if let Some(stem) = w.strip_suffix('s') {
        if !stem.ends_with('s') && !stem.ends_with('\'') {
            return stem.to_string();
        }
    }
    w.to_string()
}

/// English plural of a singular noun.
pub(crate) fn pluralize(w: &str) -> String {
    let lower = w.to_lowercase();
    if lower.ends_with('y')
        && !lower.ends_with("ay")
        && !lower.ends_with("ey")
        && !lower.ends_with("oy")
        && !lower.ends_with("uy")
    {
        return format!("{}ies", &w[..w.len() - 1]);
    }
    if ["s", "x", "z", "ch", "sh"].iter().any(|s| lower.ends_with(s)) {
        return format!("{w}es");
    }
    format!("{w}s")
}

/// `Title Case` of a word sequence.
pub(crate) fn title_case(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// First letter upper-case.
pub(crate) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Printable text on one line, whitespace collapsed, at most `max` characters (an ellipsis
/// marks a cut).
pub(crate) fn clean_text(s: &str, max: usize) -> String {
    let collapsed = s
        .chars()
        .map(|c| if c.is_control() || c.is_whitespace() { ' ' } else { c })
        .collect::<String>();
    let collapsed = collapsed.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max {
        return collapsed;
    }
    let mut out: String = collapsed.chars().take(max.saturating_sub(1)).collect();
    out = out.trim_end().to_string();
    out.push('\u{2026}');
    out
}

/// A valid snake_case identifier from `s` (ASCII letters and digits kept), or `fallback`.
pub(crate) fn to_snake(s: &str, fallback: &str) -> String {
    ident(s, '_', fallback)
}

/// A valid kebab-case identifier from `s`, or `fallback`.
pub(crate) fn to_kebab(s: &str, fallback: &str) -> String {
    ident(s, '-', fallback)
}

fn ident(s: &str, sep: char, fallback: &str) -> String {
    let mut out = String::new();
    let mut pending = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if pending && !out.is_empty() {
                out.push(sep);
            }
            pending = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending = true;
        }
    }
    while out.starts_with(|c: char| c.is_ascii_digit()) {
        out.remove(0);
    }
    let out = out.trim_start_matches(sep).to_string();
    let mut out: String = out.chars().take(40).collect();
    while out.ends_with(sep) {
        out.pop();
    }
    if out.is_empty() {
        fallback.to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_and_plural_forms() {
        for (p, s) in [
            ("records", "record"),
            ("shops", "shop"),
            ("movies", "movie"),
            ("categories", "category"),
            ("boxes", "box"),
            ("series", "series"),
            ("glasses", "glasses"),
            ("status", "status"),
            ("people", "person"),
            ("recipes", "recipe"),
        ] {
            assert_eq!(singularize(p), s, "{p}");
        }
        assert_eq!(pluralize("category"), "categories");
        assert_eq!(pluralize("box"), "boxes");
        assert_eq!(pluralize("day"), "days");
    }

    #[test]
    fn identifiers_are_always_valid() {
        assert_eq!(to_snake("Vinyl Records!", "x"), "vinyl_records");
        assert_eq!(to_snake("123", "x"), "x");
        assert_eq!(to_snake("  __Über-Cool__ ", "x"), "ber_cool");
        assert_eq!(to_kebab("Shopping list", "x"), "shopping-list");
        assert!(to_snake(&"a".repeat(100), "x").len() <= 40);
    }
}
