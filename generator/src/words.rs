//! Reading a prompt: clipping, tokenising (Unicode word boundaries via
//! `unicode-segmentation`, with hyphenated compounds, elisions, possessives, line breaks and
//! list bullets handled),
//! English singular and plural forms, and the identifier and text helpers every other
//! module uses on prompt words.
//!
//! Invariants: deterministic; [`Prompt::new`] reads at most [`MAX_PROMPT_CHARS`]
//! characters; [`to_snake`] and [`to_kebab`] always return a valid identifier.

use unicode_segmentation::UnicodeSegmentation;

use crate::fnv1a;

/// Prompts are read up to this many characters (the limit every door enforces); the rest
/// is ignored (and noted).
pub use domain::limits::MAX_PROMPT_CHARS;

/// One token of a prompt: a word (letters and digits, inner hyphens kept: "fill-ups") or a
/// punctuation mark that shapes a phrase (`:`, `,`, `(`, `)`, `/`, `&`, `;`, `.`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// The text as written (a word without its possessive `'s` or elided `d'`).
    pub(crate) text: String,
    /// Lowercase.
    pub(crate) lower: String,
    /// Whether it is a word (else punctuation).
    pub(crate) word: bool,
    /// A possessive ("car's", "kids'").
    pub(crate) possessive: bool,
}

/// Tokens without list markers: a bullet ("-", "*", "•") or a number ("1.", "2)") that
/// starts a line.
pub(crate) fn drop_bullets(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let line_start = out.last().is_none_or(|t| t.lower == "\n");
        let t = &tokens[i];
        if line_start && !t.word && matches!(t.lower.as_str(), "-" | "*" | "\u{2022}" | "\u{2013}" | "+") {
            i += 1;
            continue;
        }
        if line_start
            && t.word
            && t.lower.chars().all(|c| c.is_ascii_digit())
            && tokens
                .get(i + 1)
                .is_some_and(|n| !n.word && matches!(n.lower.as_str(), "." | ")"))
        {
            i += 2;
            continue;
        }
        out.push(t.clone());
        i += 1;
    }
    out
}

/// A prompt, clipped and tokenised.
pub(crate) struct Prompt {
    /// The original text, clipped to [`MAX_PROMPT_CHARS`].
    pub(crate) original: String,
    /// Words and punctuation in order (Unicode word boundaries, UAX #29).
    pub(crate) tokens: Vec<Token>,
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
        let tokens = drop_bullets(tokenize(&original));
        let words: Vec<String> = tokens.iter().filter(|t| t.word).map(|t| t.lower.clone()).collect();
        let singular: Vec<String> = words.iter().map(|w| singularize(w)).collect();
        let joined = format!(" {} ", words.join(" "));
        let joined_singular = format!(" {} ", singular.join(" "));
        let hash = fnv1a(words.join(" ").as_bytes());
        Prompt {
            original,
            tokens,
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

/// Splits `text` at Unicode word boundaries into words and punctuation, joining hyphenated
/// compounds ("fill-ups", "e-mail"), splitting elisions ("d'échéance" -> "d'", "échéance")
/// and possessives ("car's" -> "car", marked), and dropping other apostrophes ("don't" ->
/// "dont").
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    // (segment, whether whitespace came before it)
    let mut segs: Vec<(&str, bool)> = Vec::new();
    let mut space = false;
    for seg in text.split_word_bounds() {
        if seg.chars().all(char::is_whitespace) {
            space = true;
            // A line break separates list items ("- date\n- litres").
            if seg.contains('\n') {
                segs.push(("\n", true));
            }
            continue;
        }
        segs.push((seg, space));
        space = false;
    }
    let is_word = |s: &str| s.chars().next().is_some_and(char::is_alphanumeric);
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < segs.len() {
        let (seg, _) = segs[i];
        if !is_word(seg) {
            if seg == "\n" {
                out.push(Token {
                    text: "\n".into(),
                    lower: "\n".into(),
                    word: false,
                    possessive: false,
                });
                i += 1;
                continue;
            }
            for c in seg.chars() {
                if c.is_whitespace() {
                    continue;
                }
                if matches!(c, '\'' | '\u{2019}') && out.last().is_some_and(|t| t.word) {
                    // "kids' chores": a plural possessive.
                    if let Some(last) = out.last_mut() {
                        last.possessive = true;
                    }
                    continue;
                }
                out.push(Token {
                    text: c.to_string(),
                    lower: c.to_string(),
                    word: false,
                    possessive: false,
                });
            }
            i += 1;
            continue;
        }
        // Join "fill" "-" "ups" (no spaces) into one word.
        let mut text = seg.to_string();
        while i + 2 < segs.len() && segs[i + 1].0 == "-" && !segs[i + 1].1 && !segs[i + 2].1 && is_word(segs[i + 2].0) {
            text.push('-');
            text.push_str(segs[i + 2].0);
            i += 2;
        }
        i += 1;
        push_word_token(&mut out, &text);
    }
    out
}

fn push_word_token(out: &mut Vec<Token>, text: &str) {
    let apos = |c: char| c == '\'' || c == '\u{2019}';
    let mut text = text.to_string();
    let mut possessive = false;
    if let Some(pos) = text.find(apos) {
        let head = &text[..pos];
        let tail: String = text[pos..].chars().skip(1).collect();
        let head_lower = head.to_lowercase();
        if matches!(
            head_lower.as_str(),
            "l" | "d"
                | "j"
                | "qu"
                | "n"
                | "s"
                | "m"
                | "t"
                | "c"
                | "un"
                | "dell"
                | "dall"
                | "nell"
                | "all"
                | "sull"
                | "quell"
        ) && !tail.is_empty()
        {
            // Elision: French "d'échéance" is "de" + "échéance", Italian "un'app" is "un" +
            // "app", "dell'auto" is "dell" + "auto".
            let full = match head_lower.as_str() {
                "l" => "le",
                "d" => "de",
                "j" => "je",
                "qu" => "que",
                "n" => "ne",
                "s" => "se",
                "m" => "me",
                "t" => "te",
                "c" => "ce",
                other => other,
            };
            out.push(Token {
                text: format!("{head}'"),
                lower: full.to_string(),
                word: true,
                possessive: false,
            });
            text = tail;
        } else if tail.eq_ignore_ascii_case("s")
            && head.chars().count() > 1
            && !matches!(
                head_lower.as_str(),
                "it" | "that" | "what" | "he" | "she" | "there" | "here" | "who" | "let" | "where" | "how"
            )
        {
            text = head.to_string();
            possessive = true;
        } else {
            text = text.chars().filter(|c| !apos(*c)).collect();
        }
    }
    let text = text.trim_matches('-').to_string();
    if text.is_empty() {
        return;
    }
    out.push(Token {
        lower: text.to_lowercase(),
        text,
        word: true,
        possessive,
    });
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

/// A lowercase Latin letter or digit as ASCII ("é" -> "e", "ü" -> "ue", "ß" -> "ss"), or
/// "" for anything else (a separator in identifiers).
fn fold_latin(c: char) -> &'static str {
    const ASCII: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
    if c.is_ascii_lowercase() || c.is_ascii_digit() {
        let i = ASCII.find(c).unwrap_or(0);
        return &ASCII[i..i + 1];
    }
    match c {
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' => "a",
        'ä' | 'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ø' | 'ō' => "o",
        'ö' | 'œ' => "oe",
        'ù' | 'ú' | 'û' | 'ū' => "u",
        'ü' => "ue",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'ł' => "l",
        'š' | 'ś' => "s",
        'ž' | 'ź' | 'ż' => "z",
        _ => "",
    }
}

/// A valid snake_case identifier from `s` (Latin letters folded to ASCII, digits kept), or
/// `fallback`.
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
    for c in s.chars().flat_map(char::to_lowercase) {
        let folded = fold_latin(c);
        if folded.is_empty() {
            pending = true;
            continue;
        }
        if pending && !out.is_empty() {
            out.push(sep);
        }
        pending = false;
        out.push_str(folded);
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
    fn tokens_keep_compounds_and_split_elisions() {
        let words = |s: &str| tokenize(s).into_iter().map(|t| t.lower).collect::<Vec<_>>();
        assert_eq!(
            words("my car's fuel fill-ups: date, litres"),
            ["my", "car", "fuel", "fill-ups", ":", "date", ",", "litres"]
        );
        assert!(tokenize("my car's fuel")
            .iter()
            .any(|t| t.lower == "car" && t.possessive));
        assert_eq!(
            words("date d'échéance (ISO)"),
            ["date", "de", "échéance", "(", "iso", ")"]
        );
        assert_eq!(words("don't"), ["dont"]);
    }

    #[test]
    fn identifiers_are_always_valid() {
        assert_eq!(to_snake("Vinyl Records!", "x"), "vinyl_records");
        assert_eq!(to_snake("123", "x"), "x");
        assert_eq!(to_snake("  __Über-Cool__ ", "x"), "ueber_cool");
        assert_eq!(to_snake("Fälligkeitsdatum", "x"), "faelligkeitsdatum");
        assert_eq!(to_snake("date d'échéance", "x"), "date_d_echeance");
        assert_eq!(to_kebab("Shopping list", "x"), "shopping-list");
        assert!(to_snake(&"a".repeat(100), "x").len() <= 40);
    }
}
