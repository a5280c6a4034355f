//! Nexus Forge's app generator, a crate of its own because it is pure (no I/O, no async,
//! depends on `domain` only): deterministic, network-free functions that turn a prompt into
//! an [`AppSpec`] and an [`AppSpec`] into a working, self-contained static web app (HTML, CSS, JS, SVG; no CDN, no external requests). It is the default provider when
//! no LLM is configured, and the fallback and referee when one is.
//!
//! # Pieces
//! - `words`: reading a prompt (Unicode word tokens, singular/plural, identifiers); `lang`:
//!   its language (English, German, French, Spanish, Italian, Portuguese, Dutch), Snowball
//!   stems and the word lists that give fields their kinds.
//! - [`analyze`] (module `analyze`): prompt -> spec. The person's words win: `extract` reads
//!   the entities, fields and relations the prompt names from its phrase structure, and
//!   `model` turns them into the spec's entities, consulting the app types and blueprints
//!   in `catalog` only for what the prompt leaves open. `tests/corpus.json` measures it.
//!   `cues` reads what a prompt asks for besides its things (app-type cues, features, dark
//!   mode, a name, colours) for `analyze`, `model` and `reflect` alike, so the three lean
//!   on it rather than on each other.
//! - [`reflect`] (module `reflect`): the reflection pass that checks any spec against its
//!   prompt and repairs it.
//! - [`revise`] (module `revise`): a change request ("add a notes field to recipes", "make
//!   it green") applied to a finished app's spec, clause by clause, then the reflection
//!   pass; [`describe_changes`] says what differs between two specs of one app.
//! - `views`: which views besides the lists (board, calendar, timer, study, chart,
//!   checklist) a prompt and its fields call for, and their configuration; analysis and
//!   reflection both go through it.
//! - The file builders (module `files`), one per kind of build task, so the pipeline can
//!   run them as separate tasks and swap any one file for a model's:
//!   [`entity_module`] (one per entity), [`stylesheet`] (design), [`logo_svg`] and
//!   [`icons`] (assets), [`app_shell`] (shell), [`art_js`] and [`index_html`] (assembly),
//!   and [`generate_all`] for everything, `index.html` last.
//! - [`check_file`] and [`check_entity_module`] (module `check`, one submodule per
//!   language): real-parser checks that decide whether a generated file (ours or a
//!   model's) is accepted.
//! - `paths`: the path rule for generated files, entity module paths, content types.
//! - `theme` and `icons`: colours, contrast, fonts, and the SVG art.
//!
//! # The generated app
//! ```text
//! index.html               plain <script src> tags, relative paths, favicon link
//! css/styles.css           theme custom properties (light + dark) and the layout
//! assets/logo.svg          assets/favicon.svg   assets/icons/<page-id>.svg
//! js/store.js              NexusStore: localStorage with an in-memory fallback
//! js/config.js             window.NEXUS_CONFIG: the spec (name, pages, entities, theme, layout)
//! js/art.js                window.NEXUS_ART: the SVG art inline, coloured by the stylesheet
//! js/app.js                NexusApp: router, list/dashboard/settings/about pages, forms,
//!                          and the views: board, calendar, timer, study, chart, checklist
//! js/entities/<name>.js    one module per entity (the contract below)
//! ```
//! Scripts load in that order as classic scripts (no ES modules: the preview is sandboxed
//! with an opaque origin, where module scripts and `localStorage` fail). `app.js` defines
//! `NexusApp` and starts on `DOMContentLoaded`, after every entity module has registered.
//!
//! # The entity module contract
//! An entity module is a classic script that calls `NexusApp.registerEntity` exactly once,
//! at the top level or inside an IIFE, with an object literal:
//! ```js
//! NexusApp.registerEntity({
//!   name: "habit",                 // required: the spec's entity name, a string literal
//!   label: "Habit",                // required: string literal, singular
//!   plural: "Habits",              // required: string literal
//!   fields: [                      // required: every spec field, in spec order, no others;
//!     { name: "name", label: "Habit", kind: "text", required: true },   // first = title
//!     { name: "frequency", label: "Frequency", kind: "select", options: ["Daily", "Weekly"] },
//!     { name: "partner", label: "Partner", kind: "reference", entity: "friend" }
//!   ],                             // each an object literal with string-literal name and kind;
//!                                  // a reference's `entity` (the target entity) may be left out,
//!                                  // but when given must be the spec's;
//!                                  // optional per field: placeholder, help, unit
//!   icon: "assets/icons/habits.svg",           // optional
//!   streaks: true,                             // optional: daily check-ins and a streak
//!   cardFields: ["frequency"],                 // optional: fields shown on cards
//!   subtitle: function (values, record) {},    // optional: plain text under the title
//!   badges: function (values, record) {},      // optional: array of short plain strings
//!   validate: function (values, record) {}     // optional: { field: "message" } for errors
//! });
//! ```
//! `values` maps field names to values (`""` when empty; numbers for number and rating,
//! booleans for boolean, `"YYYY-MM-DD"` for dates, the target record's id for references).
//! The shell renders a reference as a `<select>` of the target's records (by title) in the
//! form and as the target's title on cards, or "Deleted <label>" once that record is gone. Hooks return plain text (the shell
//! renders with `textContent` only) and must not throw (the shell catches and ignores).
//! Helpers a module may call: `NexusApp.daysUntil(day)`, `NexusApp.formatDate(day)`,
//! `NexusApp.today()`. A module must not touch storage (`localStorage`, ...), the DOM
//! (`document`, `innerHTML`, ...), timers (`setTimeout`, `setInterval`) or the network
//! (`fetch`, ...). [`check_entity_module`]
//! enforces all of this with a real JS parser. When a module is missing or broken at run
//! time, the shell falls back to the entity as `js/config.js` describes it.
//!
//! # Markup the browser tests rely on
//! `data-testid="nav-{page_id}"` on nav links, `new-{entity}` on the create button,
//! `form-{entity}` on the form (inputs `name="{field}"`; ratings are radios `value="1".."5"`;
//! each field's wrapper has `data-field` and `data-kind`), `save` on the submit button,
//! `record` on each record (its title visible in an `h3`), `edit` and `delete` inside each
//! record, `confirm-delete` on the inline confirmation's button, `search` on the search box,
//! `theme-toggle` on the theme switch (`aria-pressed`, and `data-theme` on `<html>`).
//!
//! A view page (its `<section>` has `data-testid="view-{kind}"`) shows its entity's records
//! from the same store as the list page. Its add form is `view-form` (inputs and wrappers
//! as in the list form) with `view-save`. Board: `board`; `board-column` per column
//! (`data-column` = the option, `""` for records without one) with `column-count`;
//! `board-card` per card (`data-id`; focusable, ArrowLeft/ArrowRight move it, and so do
//! `move-left`/`move-right`; cards can be dragged to a column); `board-add` per column.
//! Calendar: `calendar` (the grid); `cal-day` per day (`data-day="YYYY-MM-DD"`, roving
//! focus with the arrow keys, Enter or a click selects it) holding a `cal-item` per record;
//! `cal-title`, `cal-prev`, `cal-next`, `cal-today`, `cal-month`, `cal-week`; the selected
//! day's heading `cal-selected`, its records `cal-record` and its `view-form`. Timer:
//! `timer-display`, `timer-status`, `timer-label`, `timer-minutes`, `timer-seconds`,
//! `timer-start` (start, pause, resume), `timer-finish` (save now), `timer-reset`;
//! `timer-log` with a `timer-entry` per record. Study: `study-start`, `study-progress`,
//! `study-front`; flashcards `study-flip`, `study-back`, `study-right`, `study-wrong`; quiz
//! `study-choice` per answer (or `study-input` and `study-check`); `study-next`,
//! `study-score`, `study-repeat` (the missed ones again), `study-restart`, `study-add`.
//! Chart: `chart` (the figure), `chart-point` per point or bar, `chart-range` per range
//! (`data-range` 30, 90, 365 or all). Checklist: `checklist`, `checklist-item` per record
//! (`data-id`) with `checklist-toggle`, `move-up`, `move-down`; `checklist-clear`.
//!
//! # Invariants
//! - Deterministic: no clocks, randomness or hash-map order reach the output.
//! - Every path is relative, lowercase `[a-z0-9_.-/]`, without `..` or a leading slash.
//! - Every spec string is escaped for where it lands: HTML-escaped in HTML, XML-escaped in
//!   SVG, JSON-encoded (with `<`, `>`, `&`, U+2028, U+2029 escaped) in JS, stripped to a safe
//!   alphabet in comments; CSS only receives re-validated colours, numbers and font stacks.
//!
//! # Dependencies
//! `oxc_parser`, `oxc_allocator`, `oxc_ast`, `oxc_span`, `oxc_semantic`, `oxc_diagnostics`
//! (one maintained JS toolchain: parse, early errors, scope analysis for the contract and
//! network checks); `cssparser` (the CSS tokenizer and block structure Servo uses, small);
//! `html5gum` (a WHATWG-conformant HTML tokenizer with spans, no dependencies); `roxmltree`
//! (small XML parser for SVG). JSON goes through `serde_json`, already a dependency.

mod analyze;
mod catalog;
mod check;
mod cues;
mod extract;
mod files;
mod icons;
mod lang;
mod model;
mod paths;
mod reflect;
mod revise;
mod theme;
mod views;
mod words;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use analyze::analyze;
pub use check::{check_entity_module, check_file, MAX_FILE_BYTES};
pub use files::{
    app_shell, art_js, entity_module, generate_all, icons, index_html, logo_svg, stylesheet, stylesheet_from,
    stylesheet_parts, ART_PATH,
};
pub use paths::{content_type_for, entity_module_path, safe_path};
pub use reflect::reflect;
pub use revise::{describe_changes, revise};
pub use words::MAX_PROMPT_CHARS;

pub use domain::spec::{Analysis, AppSpec};

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedFile {
    /// Relative path inside the app (`js/entities/habit.js`): lowercase `[a-z0-9_.-/]`,
    /// no leading slash, no `..`.
    pub path: String,
    /// The `Content-Type` to serve it with (`text/javascript; charset=utf-8`).
    pub content_type: String,
    /// The file's text.
    pub content: String,
}

/// Prompts covering the app types and the awkward cases; the unit tests and the browser
/// tests run every one of them end to end.
pub const SAMPLE_PROMPTS: &[&str] = &[
    "a habit tracker with streaks and dark mode",
    "A todo app with projects, priorities, due dates, tags and sorting",
    "a recipe book with ingredients, favourites and a shopping list, in orange",
    "an expense tracker with categories, monthly budgets, charts and export to JSON",
    "inventory management for my small shop with suppliers and low stock alerts, searchable",
    "a simple CRM for a freelancer: contacts, companies and deals with a sales pipeline",
    "a workout log with exercises, statistics and a purple theme",
    "reading list app called Shelf Life to track books I want to read, with ratings and favorites",
    "a plant care app to remember when to water my houseplants, with streaks, in green",
    "a trip planner for my summer vacation with an itinerary and a packing list",
    "an app to manage my vinyl records and the shops I buy them from",
    "a pet care app for my dog and cat with vet visits and vaccinations, dark theme",
    "job applications tracker with interviews, sorting and backup/import",
    "a movie watchlist with ratings, search and a dark and light mode toggle",
    "student grades tracker for my courses and assignments with charts",
    "a notes app called <script>alert(\"x\")</script> & \"friends\" with tags",
];

/// FNV-1a: a stable 64-bit hash (the seed of every hash-derived choice, so output never
/// depends on the Rust version or the process).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `s` escaped for HTML text and double- or single-quoted attribute values.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// `s` escaped for XML text and attribute values (SVG).
pub(crate) fn xml_escape(s: &str) -> String {
    // Control characters other than tab and newline are not allowed in XML 1.0 at all.
    html_escape(s)
}

/// A JSON value as a JS expression that is safe anywhere in a script: `</script>`, `<!--`,
/// `&` and the JS line terminators U+2028/U+2029 are escaped (they can only occur inside
/// strings, where the escapes mean the same characters).
pub(crate) fn js_json(value: &serde_json::Value) -> String {
    let raw = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `s` reduced to characters that are safe inside a JS or CSS comment on one line: ASCII
/// letters, digits, spaces and a little punctuation (no `*`, `/`, `<` or line breaks).
pub(crate) fn comment_safe(s: &str) -> String {
    let kept: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    ' ' | '-' | '_' | '.' | ',' | '!' | '?' | '\'' | '&' | '(' | ')' | ':'
                )
            {
                c
            } else {
                ' '
            }
        })
        .collect();
    let collapsed = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        "app".into()
    } else {
        collapsed.chars().take(60).collect()
    }
}
