//! The file builders: one function per kind of build task, each turning an [`AppSpec`] into
//! finished files of the generated app.
//!
//! | task      | function           | files                                              |
//! |-----------|--------------------|----------------------------------------------------|
//! | entity    | [`entity_module`]  | `js/entities/<entity>.js`                          |
//! | design    | [`stylesheet`]     | `css/styles.css`                                   |
//! | assets    | [`logo_svg`], [`icons`] | `assets/logo.svg`, `assets/favicon.svg`, `assets/icons/<page>.svg` |
//! | shell     | [`app_shell`]      | `js/store.js`, `js/config.js`, `js/app.js`          |
//! | assembly  | [`art_js`], [`index_html`] | `js/art.js`, `index.html`                  |
//!
//! Invariants: paths are relative and lowercase; every reference between files is relative
//! (the app is served under `/preview/<build>/` and from a zip); every spec string placed in
//! HTML is HTML-escaped, in SVG XML-escaped, in JS JSON-encoded with `<`, `>`, `&`, U+2028
//! and U+2029 escaped, and in CSS or JS comments stripped to a safe alphabet. Spec values
//! that CSS needs raw (colours, radius, font) are re-validated here, so a spec that skipped
//! [`AppSpec::validate`] still cannot inject CSS.

use domain::spec::{AppSpec, EntitySpec, Feature, FieldKind, FieldSpec, PageKind, ThemeMode};
use serde_json::{json, Map, Value};

use super::icons as art;
use super::theme::{self, HeaderStyle, Rgb};
use super::{comment_safe, fnv1a, html_escape, js_json, GeneratedFile};
use crate::paths::{content_type_for, entity_module_path, safe_path};
use crate::words::{to_kebab, to_snake};

const STORE_JS: &str = include_str!("assets/store.js");
const APP_JS: &str = include_str!("assets/app.js");
const STYLES_CSS: &str = include_str!("assets/styles.css");
const DEFAULT_FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

fn file(path: String, content: String) -> GeneratedFile {
    let content_type = content_type_for(&path).to_string();
    GeneratedFile {
        path,
        content_type,
        content,
    }
}

/// How the app is laid out; derived from a hash of the app's name so different apps look
/// different while the same app always looks the same, revision after revision.
struct Layout {
    nav: &'static str,
    cards: &'static str,
    header: HeaderStyle,
}

fn layout(spec: &AppSpec) -> Layout {
    // Seeded by the name alone: a revision that adds a field, an entity or a colour keeps
    // its app's layout (and its shell and stylesheet stay reusable).
    let seed = fnv1a(spec.name.as_bytes());
    let nav = if spec.pages.len() > 6 || seed & 1 == 0 {
        "sidebar"
    } else {
        "top"
    };
    let cards = if (seed >> 1) & 1 == 0 { "grid" } else { "rows" };
    let header = [HeaderStyle::Plain, HeaderStyle::Solid, HeaderStyle::Gradient][((seed >> 2) % 3) as usize];
    Layout { nav, cards, header }
}

/// The storage namespace: the app's name plus a hash of its data model, so two apps (or
/// two incompatible versions of one) never read each other's records.
fn namespace(spec: &AppSpec) -> String {
    let model: Vec<String> = spec
        .entities
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e.name,
                e.fields
                    .iter()
                    .map(|f| format!("{}={}", f.name, f.kind.as_str()))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect();
    let slug = to_kebab(&spec.name, "app");
    let slug: String = slug.chars().take(24).collect();
    format!(
        "{}-{:06x}",
        slug.trim_end_matches('-'),
        fnv1a(model.join(";").as_bytes()) & 0xff_ffff
    )
}

/// The icon path of a page.
fn page_icon_path(page_id: &str) -> String {
    format!("assets/icons/{}.svg", to_kebab(page_id, "page"))
}

/// The icon of an entity: its first list page's icon.
fn entity_icon(spec: &AppSpec, entity: &str) -> String {
    spec.pages
        .iter()
        .find(|p| p.kind == PageKind::List && p.entity.as_deref() == Some(entity))
        .map_or_else(|| page_icon_path(entity), |p| page_icon_path(&p.id))
}

/// Which entities count check-in streaks: the main (first) one, when the app has streaks.
fn has_streaks(spec: &AppSpec, entity: &str) -> bool {
    spec.has(Feature::Streaks) && spec.entities.first().is_some_and(|e| e.name == entity)
}

/// Unit shown after a number, from the field's name.
fn unit_for(field: &FieldSpec) -> Option<&'static str> {
    if field.kind != FieldKind::Number {
        return None;
    }
    let n = field.name.as_str();
    Some(if n.ends_with("minutes") || n == "minutes" {
        "min"
    } else if n.ends_with("_km") {
        "km"
    } else if n.ends_with("_kg") {
        "kg"
    } else if n == "hours" || n.ends_with("_hours") || n.starts_with("hours_") {
        "h"
    } else if n == "calories" {
        "kcal"
    } else if n.ends_with("_days") {
        "days"
    } else {
        return None;
    })
}

fn field_json(f: &FieldSpec) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(f.name));
    m.insert("label".into(), json!(f.label));
    m.insert("kind".into(), json!(f.kind.as_str()));
    m.insert("required".into(), json!(f.required && f.kind != FieldKind::Boolean));
    if f.kind == FieldKind::Select {
        m.insert("options".into(), json!(f.options));
    }
    if let (FieldKind::Reference, Some(target)) = (f.kind, &f.entity) {
        m.insert("entity".into(), json!(target));
    }
    if let Some(u) = unit_for(f) {
        m.insert("unit".into(), json!(u));
    }
    Value::Object(m)
}

fn entity_or_fallback(spec: &AppSpec, entity: &str) -> EntitySpec {
    spec.entity(entity).cloned().unwrap_or_else(|| {
        let name = to_snake(entity, "item");
        EntitySpec {
            label: "Item".into(),
            plural: "Items".into(),
            fields: vec![FieldSpec::name_field()],
            name,
        }
    })
}

/// The module of one entity (`js/entities/<entity>.js`): a call to
/// `NexusApp.registerEntity` with the entity's fields and its card, badge and validation
/// hooks (see the contract in [`super`]). An entity the spec does not have gets a minimal
/// module with a single required name field.
pub fn entity_module(spec: &AppSpec, entity: &str) -> GeneratedFile {
    let e = entity_or_fallback(spec, entity);
    let fields: Vec<Value> = e.fields.iter().map(field_json).collect();
    let rest = e.fields.get(1..).unwrap_or(&[]);

    // Subtitle: "by <author>" and the first choice, or a date.
    let mut sub_fields: Vec<&FieldSpec> = Vec::new();
    if let Some(by) = rest
        .iter()
        .find(|f| f.kind == FieldKind::Text && matches!(f.name.as_str(), "author" | "artist"))
    {
        sub_fields.push(by);
    }
    if let Some(sel) = rest.iter().find(|f| f.kind == FieldKind::Select) {
        sub_fields.push(sel);
    } else if let Some(t) = rest
        .iter()
        .find(|f| f.kind == FieldKind::Text && !sub_fields.iter().any(|s| s.name == f.name))
    {
        sub_fields.push(t);
    }
    let card_fields: Vec<&str> = rest
        .iter()
        .filter(|f| !sub_fields.iter().any(|s| s.name == f.name))
        .map(|f| f.name.as_str())
        .collect();

    let mut js = String::new();
    js.push_str(&format!(
        "/*\n * {} ({}): entity module of {}, generated by Nexus Forge.\n * Contract: see the header of js/app.js (NexusApp.registerEntity).\n */\n",
        comment_safe(&e.label),
        comment_safe(&e.name),
        comment_safe(&spec.name)
    ));
    js.push_str("(function () {\n  \"use strict\";\n\n");
    js.push_str("  function filled(x) {\n    return x !== undefined && x !== null && x !== \"\";\n  }\n\n");
    js.push_str("  function num(x) {\n    return typeof x === \"number\" && isFinite(x) ? x : null;\n  }\n\n");
    js.push_str("  NexusApp.registerEntity({\n");
    js.push_str(&format!("    name: {},\n", js_json(&json!(e.name))));
    js.push_str(&format!("    label: {},\n", js_json(&json!(e.label))));
    js.push_str(&format!("    plural: {},\n", js_json(&json!(e.plural))));
    js.push_str(&format!("    icon: {},\n", js_json(&json!(entity_icon(spec, &e.name)))));
    js.push_str(&format!("    streaks: {},\n", has_streaks(spec, &e.name)));
    js.push_str("    fields: [\n");
    for (i, f) in fields.iter().enumerate() {
        js.push_str(&format!(
            "      {}{}\n",
            js_json(f),
            if i + 1 < fields.len() { "," } else { "" }
        ));
    }
    js.push_str("    ],\n");
    js.push_str(&format!("    cardFields: {},\n", js_json(&json!(card_fields))));

    // subtitle
    js.push_str("    subtitle: function (v) {\n      var parts = [];\n");
    for f in &sub_fields {
        let key = js_json(&json!(f.name));
        if matches!(f.name.as_str(), "author" | "artist") {
            js.push_str(&format!(
                "      if (filled(v[{key}])) {{\n        parts.push(\"by \" + v[{key}]);\n      }}\n"
            ));
        } else {
            js.push_str(&format!(
                "      if (filled(v[{key}])) {{\n        parts.push(String(v[{key}]));\n      }}\n"
            ));
        }
    }
    js.push_str("      return parts.join(\" \\u00b7 \");\n    },\n");

    // badges
    let badges = badge_code(&e);
    if !badges.is_empty() {
        js.push_str("    badges: function (v) {\n      var out = [];\n");
        js.push_str(&badges);
        js.push_str("      return out;\n    },\n");
    }

    // validate
    js.push_str("    validate: function (v) {\n      var errors = {};\n");
    js.push_str(&validation_code(&e));
    js.push_str("      return errors;\n    }\n");
    js.push_str("  });\n})();\n");
    file(entity_module_path(&e.name), js)
}

fn field<'a>(e: &'a EntitySpec, name: &str, kind: FieldKind) -> Option<&'a FieldSpec> {
    e.fields.iter().find(|f| f.name == name && f.kind == kind)
}

fn badge_code(e: &EntitySpec) -> String {
    let mut js = String::new();
    // Due dates.
    for f in e.fields.iter().filter(|f| f.kind == FieldKind::Date) {
        let n = f.name.as_str();
        let due = n.contains("due")
            || n.contains("deadline")
            || n.starts_with("next_")
            || n.contains("refill")
            || n == "target_date"
            || n == "close_date"
            || n.contains("expires");
        if !due {
            continue;
        }
        let key = js_json(&json!(f.name));
        let label = js_json(&json!(f.label));
        js.push_str(&format!(
            concat!(
                "      if (filled(v[{key}])) {{\n",
                "        var d = NexusApp.daysUntil(v[{key}]);\n",
                "        if (d !== null && d < 0) {{\n          out.push({label} + \": overdue\");\n",
                "        }} else if (d === 0) {{\n          out.push({label} + \": today\");\n",
                "        }} else if (d !== null && d <= 7) {{\n          out.push({label} + \" in \" + d + (d === 1 ? \" day\" : \" days\"));\n        }}\n",
                "      }}\n"
            ),
            key = key,
            label = label
        ));
        break;
    }
    if let (Some(q), Some(r)) = (
        field(e, "quantity", FieldKind::Number),
        field(e, "reorder_level", FieldKind::Number),
    ) {
        js.push_str(&format!(
            "      if (num(v[{q}]) !== null && num(v[{r}]) !== null && v[{q}] <= v[{r}]) {{\n        out.push(\"Low stock\");\n      }}\n",
            q = js_json(&json!(q.name)),
            r = js_json(&json!(r.name))
        ));
    }
    if let (Some(last), Some(every)) = (
        field(e, "last_watered", FieldKind::Date),
        field(e, "water_every_days", FieldKind::Number),
    ) {
        js.push_str(&format!(
            concat!(
                "      if (filled(v[{last}]) && num(v[{every}]) !== null) {{\n",
                "        var since = NexusApp.daysUntil(v[{last}]);\n",
                "        if (since !== null && -since >= v[{every}]) {{\n          out.push(\"Needs water\");\n        }}\n",
                "      }}\n"
            ),
            last = js_json(&json!(last.name)),
            every = js_json(&json!(every.name))
        ));
    }
    if let (Some(s), Some(m)) = (
        field(e, "score", FieldKind::Number),
        field(e, "max_score", FieldKind::Number),
    ) {
        js.push_str(&format!(
            "      if (num(v[{s}]) !== null && num(v[{m}]) !== null && v[{m}] > 0) {{\n        out.push(Math.round((v[{s}] / v[{m}]) * 100) + \"%\");\n      }}\n",
            s = js_json(&json!(s.name)),
            m = js_json(&json!(m.name))
        ));
    }
    if let Some(p) = e
        .fields
        .iter()
        .find(|f| f.kind == FieldKind::Number && f.name == "progress")
    {
        js.push_str(&format!(
            "      if (num(v[{p}]) !== null) {{\n        out.push(v[{p}] >= 100 ? \"Complete\" : v[{p}] + \"% done\");\n      }}\n",
            p = js_json(&json!(p.name))
        ));
    }
    js
}

fn validation_code(e: &EntitySpec) -> String {
    let mut js = String::new();
    for f in e.fields.iter().filter(|f| f.kind == FieldKind::Number) {
        let key = js_json(&json!(f.name));
        let n = f.name.as_str();
        let label = &f.label;
        if n == "year" || n == "vintage" {
            let msg = js_json(&json!(format!("{label} should be a year like 1999.")));
            js.push_str(&format!(
                "      if (num(v[{key}]) !== null && (v[{key}] < 1000 || v[{key}] > 2200 || Math.round(v[{key}]) !== v[{key}])) {{\n        errors[{key}] = {msg};\n      }}\n"
            ));
        } else if n.contains("progress") || label.contains('%') || n.contains("percent") {
            let msg = js_json(&json!(format!("{label} must be between 0 and 100.")));
            js.push_str(&format!("      if (num(v[{key}]) !== null && (v[{key}] < 0 || v[{key}] > 100)) {{\n        errors[{key}] = {msg};\n      }}\n"));
        } else if n == "hours" {
            let msg = js_json(&json!(format!("{label} must be between 0 and 24.")));
            js.push_str(&format!("      if (num(v[{key}]) !== null && (v[{key}] < 0 || v[{key}] > 24)) {{\n        errors[{key}] = {msg};\n      }}\n"));
        } else if !["balance", "change", "temp", "delta", "diff", "offset"]
            .iter()
            .any(|w| n.contains(w))
        {
            let msg = js_json(&json!(format!("{label} cannot be negative.")));
            js.push_str(&format!(
                "      if (num(v[{key}]) !== null && v[{key}] < 0) {{\n        errors[{key}] = {msg};\n      }}\n"
            ));
        }
    }
    if let (Some(s), Some(m)) = (
        field(e, "score", FieldKind::Number),
        field(e, "max_score", FieldKind::Number),
    ) {
        let msg = js_json(&json!(format!(
            "{} cannot be more than {}.",
            s.label,
            m.label.to_lowercase()
        )));
        js.push_str(&format!(
            "      if (num(v[{s}]) !== null && num(v[{m}]) !== null && v[{s}] > v[{m}]) {{\n        errors[{s}] = {msg};\n      }}\n",
            s = js_json(&json!(s.name)),
            m = js_json(&json!(m.name))
        ));
    }
    // Date ranges: start/end, issued/due.
    let dates: Vec<&FieldSpec> = e.fields.iter().filter(|f| f.kind == FieldKind::Date).collect();
    let pairs = [
        ("start_date", "end_date"),
        ("issued_on", "due_date"),
        ("start_date", "refill_on"),
    ];
    for (a, b) in pairs {
        if let (Some(fa), Some(fb)) = (dates.iter().find(|f| f.name == a), dates.iter().find(|f| f.name == b)) {
            let msg = js_json(&json!(format!(
                "{} must be on or after {}.",
                fb.label,
                fa.label.to_lowercase()
            )));
            js.push_str(&format!(
                "      if (filled(v[{fa}]) && filled(v[{fb}]) && v[{fb}] < v[{fa}]) {{\n        errors[{fb}] = {msg};\n      }}\n",
                fa = js_json(&json!(fa.name)),
                fb = js_json(&json!(fb.name))
            ));
        }
    }
    js
}

/// `css/styles.css`: the theme's custom properties (light and dark) followed by the layout
/// and components.
pub fn stylesheet(spec: &AppSpec) -> GeneratedFile {
    let (theme, components) = stylesheet_parts(spec);
    stylesheet_from(&theme, components)
}

/// `css/styles.css` from its two parts (see [`stylesheet_parts`]): a theme block, ours or a
/// model's, followed by the component rules.
pub fn stylesheet_from(theme: &str, components: &str) -> GeneratedFile {
    file("css/styles.css".into(), format!("{theme}\n{components}"))
}

/// The two parts of `css/styles.css`: the theme block (a comment, the custom properties for
/// light and dark, the system-mode rule) that depends on the spec, and the fixed layout and
/// component rules that only use those properties. A model restyling an app rewrites the
/// first part only, which keeps its prompt and its answer small.
pub fn stylesheet_parts(spec: &AppSpec) -> (String, &'static str) {
    let primary = Rgb::parse(&spec.theme.primary).map_or_else(|| "#4f46e5".to_string(), Rgb::hex);
    let accent = Rgb::parse(&spec.theme.accent).map_or_else(|| "#10b981".to_string(), Rgb::hex);
    let font = safe_font(&spec.theme.font);
    let l = layout(spec);
    let mut css = format!(
        "/* {}: styles generated by Nexus Forge. Theme: primary {primary}, accent {accent}, default {} mode. */\n\n",
        comment_safe(&spec.name),
        spec.theme.mode.as_str()
    );
    css.push_str(&theme::css_variables(
        &primary,
        &accent,
        spec.theme.radius.min(24),
        &font,
        l.header,
    ));
    if spec.theme.mode == ThemeMode::Auto {
        css.push_str("\n/* Until the script runs, follow the system. */\n@media (prefers-color-scheme: dark) {\n  html:not([data-theme]) {\n    color-scheme: dark;\n  }\n}\n");
    }
    (css, STYLES_CSS)
}

/// A font stack safe to paste into CSS: the spec's when it is plain, the system's otherwise.
fn safe_font(font: &str) -> String {
    let ok = !font.trim().is_empty()
        && font.len() <= 200
        && font
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | ',' | '-' | '\'' | '"' | '_' | '.'))
        && font.matches('\'').count().is_multiple_of(2)
        && font.matches('"').count().is_multiple_of(2);
    if ok {
        font.trim().to_string()
    } else {
        DEFAULT_FONT.to_string()
    }
}

/// `assets/logo.svg`: a gradient shape in the theme's colours with the main entity's glyph.
pub fn logo_svg(spec: &AppSpec) -> GeneratedFile {
    file("assets/logo.svg".into(), art::logo(spec))
}

/// `assets/favicon.svg` (the logo) and one `assets/icons/<page>.svg` per page.
pub fn icons(spec: &AppSpec) -> Vec<GeneratedFile> {
    let mut out = vec![file("assets/favicon.svg".into(), art::logo(spec))];
    for page in &spec.pages {
        let path = page_icon_path(&page.id);
        if out.iter().any(|f| f.path == path) {
            continue;
        }
        out.push(file(path, art::icon_svg(spec, art::page_glyph(page), &page.title)));
    }
    out
}

/// The shell: `js/store.js` (storage with an in-memory fallback), `js/config.js` (the spec
/// as `window.NEXUS_CONFIG`, each view page with its view settings) and `js/app.js` (router,
/// pages, forms, dashboard, settings, about, the board, calendar, timer, study, chart and
/// checklist views; it defines `NexusApp` for the entity modules).
pub fn app_shell(spec: &AppSpec) -> Vec<GeneratedFile> {
    vec![
        file("js/store.js".into(), STORE_JS.to_string()),
        config_js(spec),
        file("js/app.js".into(), APP_JS.to_string()),
    ]
}

fn config_js(spec: &AppSpec) -> GeneratedFile {
    let l = layout(spec);
    let pages: Vec<Value> = spec
        .pages
        .iter()
        .map(|p| {
            let mut m = Map::new();
            m.insert("id".into(), json!(p.id));
            m.insert("title".into(), json!(p.title));
            m.insert("kind".into(), json!(p.kind.as_str()));
            if let Some(e) = &p.entity {
                m.insert("entity".into(), json!(e));
            }
            if let Some(v) = p.view.as_ref().filter(|_| p.kind.is_view()) {
                m.insert("view".into(), serde_json::to_value(v).unwrap_or_else(|_| json!({})));
            }
            m.insert("icon".into(), json!(page_icon_path(&p.id)));
            Value::Object(m)
        })
        .collect();
    let entities: Vec<Value> = spec
        .entities
        .iter()
        .map(|e| {
            json!({
                "name": e.name,
                "label": e.label,
                "plural": e.plural,
                "icon": entity_icon(spec, &e.name),
                "streaks": has_streaks(spec, &e.name),
                "fields": e.fields.iter().map(field_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let config = json!({
        "name": spec.name,
        "summary": spec.summary,
        "namespace": namespace(spec),
        "features": spec.features.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        // The colours live in the stylesheet only, so a new colour changes one file.
        "theme": { "mode": spec.theme.mode.as_str() },
        "layout": { "nav": l.nav, "cards": l.cards },
        "pages": pages,
        "entities": entities,
        "generator": "nexus-forge-offline/1",
    });
    let js = format!(
        "/* {}: configuration generated by Nexus Forge; read by js/app.js. */\nwindow.NEXUS_CONFIG = {};\n",
        comment_safe(&spec.name),
        js_json(&config)
    );
    file("js/config.js".into(), js)
}

/// Where a script goes in the loading order: storage, config, shell, entity modules in the
/// spec's order, then anything else by path.
fn script_rank(spec: &AppSpec, path: &str) -> (usize, String) {
    match path {
        "js/store.js" => (0, String::new()),
        "js/config.js" => (1, String::new()),
        ART_PATH => (1, "art".into()),
        "js/app.js" => (2, String::new()),
        _ => {
            let pos = spec.entities.iter().position(|e| entity_module_path(&e.name) == path);
            match pos {
                Some(i) => (3, format!("{i:04}")),
                None => (4, path.to_string()),
            }
        }
    }
}

/// `index.html`, linking every stylesheet and script in `files` (relative paths, scripts
/// in a working order: storage, config, shell, entity modules, others) and the favicon.
pub fn index_html(spec: &AppSpec, files: &[GeneratedFile]) -> GeneratedFile {
    let mut css: Vec<&str> = files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.ends_with(".css") && safe_path(p))
        .collect();
    css.sort_by_key(|p| (*p != "css/styles.css", p.to_string()));
    css.dedup();
    let mut js: Vec<&str> = files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.ends_with(".js") && safe_path(p))
        .collect();
    js.sort_by_key(|p| script_rank(spec, p));
    js.dedup();
    let favicon = if files.iter().any(|f| f.path == "assets/favicon.svg") {
        "<link rel=\"icon\" href=\"assets/favicon.svg\" type=\"image/svg+xml\">".to_string()
    } else {
        "<link rel=\"icon\" href=\"data:,\">".to_string()
    };
    let name = html_escape(&spec.name);
    let theme = if spec.theme.mode == ThemeMode::Dark {
        "dark"
    } else {
        "light"
    };
    let theme_attr = if spec.theme.mode == ThemeMode::Auto {
        String::new()
    } else {
        format!(" data-theme=\"{theme}\"")
    };
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n");
    html.push_str(&format!("<html lang=\"en\"{theme_attr}>\n"));
    html.push_str(
        "<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    );
    html.push_str(&format!("<title>{name}</title>\n"));
    html.push_str(&format!(
        "<meta name=\"description\" content=\"{}\">\n",
        html_escape(&spec.summary)
    ));
    html.push_str(&format!(
        "<meta name=\"theme-color\" content=\"{}\">\n",
        Rgb::parse(&spec.theme.primary).map_or_else(|| "#4f46e5".to_string(), Rgb::hex)
    ));
    html.push_str("<meta name=\"generator\" content=\"Nexus Forge\">\n");
    html.push_str(&favicon);
    html.push('\n');
    for c in &css {
        html.push_str(&format!("<link rel=\"stylesheet\" href=\"{}\">\n", html_escape(c)));
    }
    html.push_str("</head>\n<body>\n");
    html.push_str(&format!(
        "<div id=\"app\" class=\"app-root\"><p class=\"boot\">Loading {name}\u{2026}</p></div>\n"
    ));
    html.push_str(&format!(
        "<noscript><p class=\"boot\">{name} needs JavaScript to run.</p></noscript>\n"
    ));
    for s in &js {
        html.push_str(&format!("<script src=\"{}\"></script>\n", html_escape(s)));
    }
    html.push_str("</body>\n</html>\n");
    file("index.html".into(), html)
}

/// Where [`art_js`] puts the app's art.
pub const ART_PATH: &str = "js/art.js";

/// `js/art.js`: the app's SVG art (`assets/**/*.svg` but the favicon) as
/// `window.NEXUS_ART = { path: markup }`, so the shell can show it inline, where the
/// stylesheet colours it (icons in `currentColor`, the logo in the theme's custom
/// properties). A file that does not pass the SVG checks, or whose ids another file already
/// uses, is left out and shown as an `<img>` instead. `None` when there is no art.
pub fn art_js(files: &[GeneratedFile]) -> Option<GeneratedFile> {
    let mut inline = serde_json::Map::new();
    let mut ids: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut svgs: Vec<&GeneratedFile> = files
        .iter()
        .filter(|f| f.path.starts_with("assets/") && f.path.ends_with(".svg") && f.path != "assets/favicon.svg")
        .collect();
    svgs.sort_by(|a, b| a.path.cmp(&b.path));
    for f in svgs {
        if !safe_path(&f.path) || super::check_file(f).is_err() {
            continue;
        }
        let Some(start) = f.content.find("<svg") else { continue };
        let markup = f.content[start..].trim();
        let own = svg_ids(markup);
        if own.iter().any(|id| ids.contains(id)) {
            continue;
        }
        ids.extend(own);
        inline.insert(f.path.clone(), Value::String(markup.to_owned()));
    }
    if inline.is_empty() {
        return None;
    }
    let json = serde_json::to_string(&Value::Object(inline)).ok()?;
    Some(file(
        ART_PATH.into(),
        format!(
            "/* The app's art, shown inline so the stylesheet colours it (made when the app is assembled). */\nwindow.NEXUS_ART = {json};\n"
        ),
    ))
}

/// The values of the `id` attributes in an SVG's markup.
fn svg_ids(markup: &str) -> Vec<String> {
    roxmltree::Document::parse(markup)
        .map(|d| {
            d.descendants()
                .filter_map(|n| n.attribute("id"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Every file of the app: the stylesheet, logo, icons, shell, one module per entity, then
/// what assembly makes: `js/art.js` and `index.html` last.
pub fn generate_all(spec: &AppSpec) -> Vec<GeneratedFile> {
    let mut files = vec![stylesheet(spec), logo_svg(spec)];
    files.extend(icons(spec));
    files.extend(app_shell(spec));
    for e in &spec.entities {
        files.push(entity_module(spec, &e.name));
    }
    if let Some(art) = art_js(&files) {
        files.push(art);
    }
    let index = index_html(spec, &files);
    files.push(index);
    files
}
