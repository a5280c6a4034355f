//! Prompt analysis, deterministic and offline: the draft spec, then the reflection pass on it.
//!
//! [`analyze`] reads a prompt with plain heuristics: it tokenises it, detects its language,
//! reads the entities, fields and relations its words name ([`super::extract`]), turns them
//! into the spec's entities with the catalogue filling in only what the words leave open
//! ([`super::model`]), picks up features ("dark mode", "charts", "export", ...), a name
//! ("called Sprout", else the words that name the app: "Blood Pressure Log"), colours ("in
//! green", else a hash of the prompt) and a font, lets `crate::views` add the views besides
//! the lists (board, calendar, timer, ...), and then runs [`reflect`] on its own
//! draft. [`reflect`] takes a spec from any source (a model's JSON included), repairs what
//! [`AppSpec::validate`] would reject and what contradicts the prompt, and says what it did.
//!
//! Invariants: the same prompt always gives the same [`Analysis`] (no randomness, no
//! clocks, no hash maps whose order leaks out); [`analyze`]'s spec always passes
//! `validate()`; [`reflect`]'s spec passes it for any input that has at least one entity
//! or a prompt (it invents a generic one otherwise). At most [`MAX_PROMPT_CHARS`] characters
//! of a prompt are read; strings from the prompt are never trusted to be markup-free, so
//! the file builders escape everything they embed.

use domain::spec::{Analysis, AppSpec, EntitySpec, Feature, PageKind, PageSpec, ThemeMode, ThemeSpec};

use crate::catalog::AppType;
use crate::cues::{
    explicit_name, feature_order, generic_entity, named_theme_colours, requested_features, unique_page_id, wants_dark,
    FONT_SYSTEM,
};
use crate::extract::{self, Named};
use crate::lang::Lang;
use crate::model::{self, article, join_and};
use crate::reflect::reflect_inner;
use crate::theme::{self, Rgb};
use crate::words::{capitalize, clean_text, title_case, to_kebab, Prompt, MAX_PROMPT_CHARS};

const FONT_HUMANIST: &str = "'Avenir Next', Avenir, 'Segoe UI', 'Helvetica Neue', Helvetica, Arial, sans-serif";
const FONT_ROUNDED: &str = "ui-rounded, 'SF Pro Rounded', 'Nunito', 'Varela Round', 'Segoe UI', system-ui, sans-serif";
const FONT_SERIF: &str = "'Iowan Old Style', 'Palatino Linotype', Palatino, Georgia, 'Times New Roman', serif";
const FONT_MONO: &str = "ui-monospace, 'SFMono-Regular', 'JetBrains Mono', Menlo, Consolas, monospace";

// ---------------------------------------------------------------------------------------
// analyze
// ---------------------------------------------------------------------------------------

/// Deterministic prompt analysis: the same prompt always gives the same [`Analysis`], and
/// its spec passes [`AppSpec::validate`].
pub fn analyze(prompt: &str) -> Analysis {
    let p = Prompt::new(prompt);
    let mut notes = Vec::new();
    if p.clipped {
        notes.push(format!(
            "The prompt is longer than {MAX_PROMPT_CHARS} characters; only the beginning was read."
        ));
    }

    let lang = Lang::detect(&p.words);
    let named = extract::read(&p.tokens, lang);
    let m = model::model(&p, &named);
    notes.extend(m.notes);
    let mut confidence = m.confidence;
    let mut entities = m.entities;
    if entities.is_empty() {
        notes.push("Could not tell what the app should keep track of; assumed a general list of items.".into());
        entities.push(generic_entity("item", "Item", "Items", &p, true));
    }
    let mut features: Vec<Feature> = Vec::new();
    if let Some(t) = m.app_type {
        features.extend(t.features.iter().copied());
        if !t.features.is_empty() {
            notes.push(format!(
                "Assumed the usual features of {} {}: {}.",
                article(t.what),
                t.what,
                feature_list(t.features)
            ));
        }
    }
    let name_hint = app_name(&p, &named, m.app_type.filter(|_| m.strong_type), &entities);
    let plurals: Vec<String> = entities.iter().map(|e| e.plural.to_lowercase()).collect();
    let mut summary = match m.app_type {
        Some(t) if lang == Lang::En && named.entities.iter().all(|e| e.fields.is_empty()) => t.summary.to_string(),
        _ => match lang {
            Lang::En => format!("Keep track of your {} in one place.", join_and(&plurals)),
            Lang::De => format!("Alle {} an einem Ort.", join_and_in(&plurals, "und")),
            Lang::Fr => format!("Tous vos {} au même endroit.", join_and_in(&plurals, "et")),
            Lang::Es => format!("Tus {} en un solo lugar.", join_and_in(&plurals, "y")),
            Lang::It => format!("{} in un unico posto.", capitalize(&join_and_in(&plurals, "e"))),
            Lang::Pt => format!("{} num só lugar.", capitalize(&join_and_in(&plurals, "e"))),
            Lang::Nl => format!("Al je {} op één plek.", join_and_in(&plurals, "en")),
        },
    };
    if entities.len() == 1 && entities[0].name == "item" && named.entities.is_empty() && m.app_type.is_none() {
        summary = "A simple place to keep a list of things, with notes and categories.".into();
        confidence = 0.3;
    }

    // Features the prompt asks for.
    for (feature, cue) in requested_features(&p) {
        if !features.contains(&feature) {
            features.push(feature);
        }
        notes.push(format!(
            "The prompt asks for {} (\u{201c}{}\u{201d}).",
            feature.as_str(),
            cue
        ));
    }
    features.sort_by_key(|f| feature_order(*f));
    features.dedup();

    // Name.
    let name = match explicit_name(&p.original) {
        Some(n) => {
            notes.push(format!("Named the app \u{201c}{n}\u{201d} as the prompt asks."));
            n
        }
        None => {
            let n = clean_text(&name_hint, 60);
            notes.push(format!("No name given; called it \u{201c}{n}\u{201d}."));
            n
        }
    };
    if summary.is_empty() {
        summary = format!("{name}: a small app that keeps your data on this device.");
    }

    let theme = theme_from_prompt(&p, &mut notes);
    let pages = default_pages(&entities, &features);
    let mut spec = AppSpec {
        name,
        summary: clean_text(&summary, 400),
        features,
        pages,
        entities,
        theme,
    };
    // Views besides the lists (board, calendar, timer, ...): crate::views.
    notes.extend(crate::views::choose(&p.original, &mut spec));

    let reflected = reflect_inner(&p, spec);
    notes.extend(reflected.notes);
    confidence = (confidence * reflected.factor).clamp(0.05, 0.99);
    Analysis {
        spec: reflected.spec,
        reflection: notes,
        confidence,
    }
}

fn feature_list(fs: &[Feature]) -> String {
    fs.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
}

/// "A, B and C" with the prompt language's "and".
fn join_and_in(items: &[String], and: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
    }
}

/// A name for the app when the prompt gives none: the words that name the app ("Blood
/// Pressure Log", "Haushaltsbuch"), else the catalogue's, else the main entity's plural
/// and the prompt's verb ("Bonsai Tree Manager").
fn app_name(p: &Prompt, named: &Named, t: Option<&AppType>, entities: &[EntitySpec]) -> String {
    const GENERIC: &[&str] = &[
        "app",
        "application",
        "appli",
        "aplicación",
        "website",
        "site",
        "tool",
        "system",
        "program",
        "anwendung",
        "business",
        "shop",
        "store",
        "tienda",
        "boutique",
    ];
    if let Some(phrase) = &named.app_phrase {
        let last = phrase.split_whitespace().last().unwrap_or("").to_lowercase();
        let words = phrase.split_whitespace().count();
        if !GENERIC.contains(&last.as_str()) && words <= 5 {
            return match named.lang {
                Lang::En => title_case(phrase),
                _ => capitalize(phrase),
            };
        }
    }
    if let Some(t) = t {
        return t.name.to_string();
    }
    match entities.first() {
        Some(e) if e.name != "item" || !named.entities.is_empty() => match named.lang {
            Lang::En => format!("{} {}", title_case(&e.label), verb_suffix(p)),
            _ => capitalize(&e.plural),
        },
        _ => "My Collection".into(),
    }
}

/// "Manager", "Tracker", ... from the prompt's verb.
fn verb_suffix(p: &Prompt) -> &'static str {
    for w in &p.words {
        match w.as_str() {
            "track" | "tracking" | "monitor" | "log" | "logging" => return "Tracker",
            "collect" | "collection" | "catalog" | "catalogue" | "archive" => return "Collection",
            "plan" | "planning" | "schedule" => return "Planner",
            "organize" | "organise" | "sort" => return "Organizer",
            "manage" | "managing" | "management" => return "Manager",
            _ => {}
        }
    }
    "Keeper"
}

/// Words that ask for round corners, square corners, or a kind of type.
const ROUNDED_WORDS: &[&str] = &["rounded", "soft", "friendly", "playful", "bubbly", "cute", "kids"];
#[rustfmt::skip]
const SHARP_WORDS: &[&str] =
    &["sharp", "square", "brutalist", "brutal", "boxy", "corporate", "enterprise", "serious"];
#[rustfmt::skip]
const SERIF_WORDS: &[&str] =
    &["elegant", "classic", "literary", "vintage", "editorial", "journal", "diary", "poetry", "book", "wine"];
#[rustfmt::skip]
const MONO_WORDS: &[&str] =
    &["terminal", "hacker", "retro", "developer", "code", "coding", "monospace", "bug", "issue"];
const PLAYFUL_WORDS: &[&str] = &["playful", "fun", "kids", "cute", "friendly", "pet", "plant"];

/// Theme colours, mode, radius and font from the prompt (or its hash).
fn theme_from_prompt(p: &Prompt, notes: &mut Vec<String>) -> ThemeSpec {
    let named = named_theme_colours(p);
    let (primary, accent) = match named.as_slice() {
        [] => {
            let (pr, ac) = theme::colours_from_hash(p.hash);
            notes.push(format!(
                "No colours named; derived primary {pr} and accent {ac} from the prompt."
            ));
            (pr, ac)
        }
        [(word, hex)] => {
            let accent = Rgb::parse(hex).map_or_else(|| "#10b981".to_string(), |c| theme::accent_for(c, p.hash));
            notes.push(format!("Primary colour {hex} from \u{201c}{word}\u{201d}."));
            ((*hex).to_string(), accent)
        }
        [(w1, h1), (w2, h2), ..] => {
            notes.push(format!(
                "Primary colour {h1} from \u{201c}{w1}\u{201d}, accent {h2} from \u{201c}{w2}\u{201d}."
            ));
            ((*h1).to_string(), (*h2).to_string())
        }
    };
    let mode = if wants_dark(p) {
        notes.push("Dark theme by default because the prompt says dark.".into());
        ThemeMode::Dark
    } else if p.mentions("system theme")
        || p.mentions("follow the system")
        || p.mentions("auto theme")
        || p.mentions("automatic theme")
    {
        ThemeMode::Auto
    } else {
        ThemeMode::Light
    };
    let radius = if ROUNDED_WORDS.iter().any(|w| p.mentions(w)) {
        20
    } else if SHARP_WORDS.iter().any(|w| p.mentions(w)) {
        4
    } else {
        [8u8, 10, 12, 14, 16, 18][((p.hash >> 36) % 6) as usize]
    };
    let font = if SERIF_WORDS.iter().any(|w| p.mentions(w)) {
        FONT_SERIF
    } else if MONO_WORDS.iter().any(|w| p.mentions(w)) {
        FONT_MONO
    } else if PLAYFUL_WORDS.iter().any(|w| p.mentions(w)) {
        FONT_ROUNDED
    } else {
        [FONT_SYSTEM, FONT_HUMANIST, FONT_ROUNDED, FONT_SYSTEM][((p.hash >> 44) % 4) as usize]
    };
    ThemeSpec {
        primary,
        accent,
        mode,
        radius,
        font: font.into(),
    }
}

/// Dashboard, a list page per entity, settings and about.
pub(crate) fn default_pages(entities: &[EntitySpec], features: &[Feature]) -> Vec<PageSpec> {
    let mut pages = vec![PageSpec {
        id: "dashboard".into(),
        title: if features.contains(&Feature::Stats) {
            "Dashboard".into()
        } else {
            "Overview".into()
        },
        kind: PageKind::Dashboard,
        entity: None,
        view: None,
    }];
    for e in entities {
        let id = unique_page_id(&pages, &to_kebab(&e.plural, &to_kebab(&e.name, "list")));
        pages.push(PageSpec {
            id,
            title: clean_text(&e.plural, 40),
            kind: PageKind::List,
            entity: Some(e.name.clone()),
            view: None,
        });
    }
    pages.push(PageSpec {
        id: unique_page_id(&pages, "settings"),
        title: "Settings".into(),
        kind: PageKind::Settings,
        entity: None,
        view: None,
    });
    pages.push(PageSpec {
        id: unique_page_id(&pages, "about"),
        title: "About".into(),
        kind: PageKind::About,
        entity: None,
        view: None,
    });
    pages
}
