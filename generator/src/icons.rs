//! SVG artwork for generated apps: a small library of 24x24 stroke glyphs, one chosen per
//! page (by page kind, or by the listed entity's name), and the app's logo and favicon
//! (a gradient shape with the main entity's glyph). None of it holds the theme's colours:
//! icons are drawn in `currentColor` and the logo in the theme's custom properties, and the
//! app shows them inline (`js/art.js`, made by `assemble`), so the stylesheet colours them.
//!
//! Invariants: glyphs are static, trusted path data; the only spec-derived strings placed
//! in an SVG are colours (validated `#rrggbb`, re-serialised) and titles, which are
//! XML-escaped. Every file is a standalone SVG document with a `viewBox`, no scripts and
//! no external references.

use domain::spec::{AppSpec, PageKind, PageSpec};

use super::{fnv1a, xml_escape};

/// Glyphs: name and inner SVG markup on a 24x24 grid, drawn with the stroke.
const GLYPHS: &[(&str, &str)] = &[
    (
        "grid",
        r#"<rect x="3" y="3" width="7.5" height="7.5" rx="1.5"/><rect x="13.5" y="3" width="7.5" height="7.5" rx="1.5"/><rect x="3" y="13.5" width="7.5" height="7.5" rx="1.5"/><rect x="13.5" y="13.5" width="7.5" height="7.5" rx="1.5"/>"#,
    ),
    ("chart", r#"<path d="M4 20V10M10 20V4M16 20v-7M22 20H2"/>"#),
    (
        "sliders",
        r#"<path d="M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0"/><circle cx="16" cy="6" r="2"/><circle cx="10" cy="12" r="2"/><circle cx="18" cy="18" r="2"/>"#,
    ),
    (
        "info",
        r#"<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.5"/>"#,
    ),
    (
        "check-circle",
        r#"<circle cx="12" cy="12" r="9"/><path d="M8 12.5l3 3 5-6"/>"#,
    ),
    (
        "checklist",
        r#"<rect x="3" y="4" width="5" height="5" rx="1"/><path d="M11 6.5h10M11 17.5h10"/><path d="M3.5 17l2 2 3-4"/>"#,
    ),
    (
        "folder",
        r#"<path d="M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"/>"#,
    ),
    (
        "utensils",
        r#"<path d="M7 3v7M4.5 3v5a2.5 2.5 0 0 0 5 0V3M7 10v11M17 21V3c-2.5 1.5-3.5 4-3.5 7 0 2 1.5 3 3.5 3"/>"#,
    ),
    (
        "cart",
        r#"<path d="M3 4h2.5l2.2 10.5h10.6L20.5 8H7"/><circle cx="9.5" cy="19" r="1.5"/><circle cx="17" cy="19" r="1.5"/>"#,
    ),
    (
        "jar",
        r#"<path d="M8 3h8M7 6h10l1 3v10a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V9z"/><path d="M6 12h12"/>"#,
    ),
    (
        "wallet",
        r#"<path d="M4 7h15a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h11"/><path d="M16 13.5h2"/>"#,
    ),
    (
        "coins",
        r#"<ellipse cx="9" cy="7" rx="6" ry="3"/><path d="M3 7v4c0 1.7 2.7 3 6 3s6-1.3 6-3V7M9 14v3c0 1.7 2.7 3 6 3s6-1.3 6-3v-4c0-1.5-2-2.7-4.7-3"/>"#,
    ),
    (
        "box",
        r#"<path d="M3 7.5L12 3l9 4.5v9L12 21l-9-4.5z"/><path d="M3 7.5l9 4.5 9-4.5M12 12v9"/>"#,
    ),
    (
        "truck",
        r#"<path d="M2 6h11v10H2zM13 10h4l3 3v3h-7"/><circle cx="6" cy="18" r="2"/><circle cx="17" cy="18" r="2"/>"#,
    ),
    (
        "user",
        r#"<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7"/>"#,
    ),
    (
        "users",
        r#"<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c0-3.8 2.9-6 6.5-6s6.5 2.2 6.5 6"/><path d="M16 4.5a3.5 3.5 0 0 1 0 7M18 14.2c2.1.7 3.5 2.6 3.5 5.8"/>"#,
    ),
    (
        "building",
        r#"<path d="M4 21V4a1 1 0 0 1 1-1h9a1 1 0 0 1 1 1v17M15 9h4a1 1 0 0 1 1 1v11M2 21h20"/><path d="M8 7h3M8 11h3M8 15h3"/>"#,
    ),
    ("trend", r#"<path d="M3 17l6-6 4 4 8-8"/><path d="M15 7h6v6"/>"#),
    (
        "note",
        r#"<path d="M6 3h9l4 4v14H6z"/><path d="M14 3v5h5M9 12h6M9 16h6"/>"#,
    ),
    ("bookmark", r#"<path d="M6 3h12v18l-6-4.5L6 21z"/>"#),
    (
        "dumbbell",
        r#"<path d="M6.5 6.5v11M17.5 6.5v11M3.5 9v6M20.5 9v6M6.5 12h11"/>"#,
    ),
    ("activity", r#"<path d="M2 12h4l3-8 6 16 3-8h4"/>"#),
    (
        "book",
        r#"<path d="M4 4.5A1.5 1.5 0 0 1 5.5 3H20v15H5.5A1.5 1.5 0 0 0 4 19.5z"/><path d="M4 19.5A1.5 1.5 0 0 0 5.5 21H20v-3"/>"#,
    ),
    (
        "film",
        r#"<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M7 4v16M17 4v16M3 9h4M3 15h4M17 9h4M17 15h4"/>"#,
    ),
    (
        "tv",
        r#"<rect x="2.5" y="6" width="19" height="13" rx="2"/><path d="M8 2l4 4 4-4"/>"#,
    ),
    (
        "calendar",
        r#"<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4M16 3v4"/>"#,
    ),
    (
        "briefcase",
        r#"<rect x="3" y="7" width="18" height="13" rx="2"/><path d="M9 7V5a1 1 0 0 1 1-1h4a1 1 0 0 1 1 1v2M3 13h18"/>"#,
    ),
    (
        "leaf",
        r#"<path d="M5 19C5 10 10 4 20 4c0 10-6 15-15 15z"/><path d="M5 19l8-8"/>"#,
    ),
    (
        "plane",
        r#"<path d="M10.5 13.5L4 11l1.5-1.5 7 .5 4-4a2.1 2.1 0 0 1 3 3l-4 4 .5 7L14.5 21 12 14.5 8.5 18v2.5L7 22l-1-4-4-1 1.5-1.5H6z"/>"#,
    ),
    (
        "pin",
        r#"<path d="M12 21s-7-6.3-7-11.5a7 7 0 0 1 14 0C19 14.7 12 21 12 21z"/><circle cx="12" cy="9.5" r="2.5"/>"#,
    ),
    (
        "suitcase",
        r#"<rect x="4" y="7" width="16" height="13" rx="2"/><path d="M9 7V4h6v3M9 11v5M15 11v5"/>"#,
    ),
    (
        "cap",
        r#"<path d="M2 9l10-5 10 5-10 5z"/><path d="M6 11v5c3 2 9 2 12 0v-5M22 9v6"/>"#,
    ),
    (
        "clipboard",
        r#"<rect x="5" y="4" width="14" height="17" rx="2"/><path d="M9 4V3h6v1M9 11l2 2 4-4M9 17h6"/>"#,
    ),
    (
        "paw",
        r#"<circle cx="6" cy="10" r="2"/><circle cx="10" cy="5.5" r="2"/><circle cx="14" cy="5.5" r="2"/><circle cx="18" cy="10" r="2"/><path d="M8 17c0-3 2-5.5 4-5.5s4 2.5 4 5.5a2.5 2.5 0 0 1-4 2 2.5 2.5 0 0 1-4-2z"/>"#,
    ),
    ("pen", r#"<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="M13.5 6.5l4 4"/>"#),
    (
        "smile",
        r#"<circle cx="12" cy="12" r="9"/><path d="M8 14c1 1.5 2.4 2.2 4 2.2s3-.7 4-2.2M9 9.5v.5M15 9.5v.5"/>"#,
    ),
    (
        "cards",
        r#"<rect x="7" y="3" width="13" height="15" rx="2"/><path d="M4 7v12a2 2 0 0 0 2 2h10"/>"#,
    ),
    ("chat", r#"<path d="M4 5h16v11H9l-5 4z"/><path d="M8 9.5h8M8 12.5h5"/>"#),
    (
        "repeat",
        r#"<path d="M17 2l3 3-3 3"/><path d="M4 11V9a4 4 0 0 1 4-4h12M7 22l-3-3 3-3"/><path d="M20 13v2a4 4 0 0 1-4 4H4"/>"#,
    ),
    (
        "bug",
        r#"<rect x="7" y="7" width="10" height="13" rx="5"/><path d="M12 11v9M7 12H3M21 12h-4M7 17H4M20 17h-3M9 7a3 3 0 0 1 6 0M5 6l2.5 2.5M19 6l-2.5 2.5"/>"#,
    ),
    (
        "gift",
        r#"<rect x="3" y="8" width="18" height="4" rx="1"/><path d="M5 12v9h14v-9M12 8v13M12 8c-1.5-3-5-4-5-1.5C7 8 12 8 12 8zM12 8c1.5-3 5-4 5-1.5C17 8 12 8 12 8z"/>"#,
    ),
    ("glass", r#"<path d="M7 3h10l-1 7a4 4 0 0 1-8 0zM12 14v7M8 21h8"/>"#),
    (
        "gamepad",
        r#"<path d="M6 8h12a4 4 0 0 1 4 4v1a4 4 0 0 1-7 2.6L14 14h-4l-1 1.6A4 4 0 0 1 2 13v-1a4 4 0 0 1 4-4z"/><path d="M7 10.5v3M5.5 12h3M16 11v.5M18 13v.5"/>"#,
    ),
    (
        "disc",
        r#"<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="2.5"/><path d="M12 6.5a5.5 5.5 0 0 0-5.5 5.5"/>"#,
    ),
    (
        "store",
        r#"<path d="M3 9l2-5h14l2 5M4 9v11h16V9M3 9c0 1.7 1.3 3 3 3s3-1.3 3-3c0 1.7 1.3 3 3 3s3-1.3 3-3c0 1.7 1.3 3 3 3s3-1.3 3-3M10 20v-5h4v5"/>"#,
    ),
    (
        "music",
        r#"<path d="M9 18V5l11-2v13"/><circle cx="6.5" cy="18" r="2.5"/><circle cx="17.5" cy="16" r="2.5"/>"#,
    ),
    (
        "receipt",
        r#"<path d="M5 3h14v18l-2.5-1.5L14 21l-2-1.5L10 21l-2.5-1.5L5 21z"/><path d="M9 8h6M9 12h6M9 16h3"/>"#,
    ),
    (
        "target",
        r#"<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="5"/><circle cx="12" cy="12" r="1"/>"#,
    ),
    (
        "moon",
        r#"<path d="M20 14.5A8.5 8.5 0 0 1 9.5 4 8.5 8.5 0 1 0 20 14.5z"/>"#,
    ),
    (
        "pill",
        r#"<path d="M10.5 20.5a5 5 0 0 1-7-7l7-7a5 5 0 0 1 7 7z"/><path d="M7 10l7 7"/>"#,
    ),
    (
        "car",
        r#"<path d="M5 11l2-5h10l2 5M3 17v-4a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v4z"/><circle cx="7.5" cy="17.5" r="1.5"/><circle cx="16.5" cy="17.5" r="1.5"/>"#,
    ),
    (
        "wrench",
        r#"<path d="M14.5 6.5a4 4 0 0 0 5 5L21 10a5.5 5.5 0 0 1-7.5 3.5L6 21l-3-3 7.5-7.5A5.5 5.5 0 0 1 14 3l-1.5 1.5a4 4 0 0 0 2 2z"/>"#,
    ),
    (
        "bulb",
        r#"<path d="M9 18h6M10 21h4M12 3a6 6 0 0 0-3.5 10.9c.6.5 1 1.2 1 2.1h5c0-.9.4-1.6 1-2.1A6 6 0 0 0 12 3z"/>"#,
    ),
    ("clock", r#"<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>"#),
    (
        "star",
        r#"<path d="M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6l6.2-.9z"/>"#,
    ),
    (
        "tag",
        r#"<path d="M3 12V4a1 1 0 0 1 1-1h8l9 9-9 9z"/><circle cx="7.5" cy="7.5" r="1.5"/>"#,
    ),
    (
        "heart",
        r#"<path d="M12 20s-8-4.7-8-10.5A4.5 4.5 0 0 1 12 7a4.5 4.5 0 0 1 8 2.5C20 15.3 12 20 12 20z"/>"#,
    ),
    ("layers", r#"<path d="M12 3l9 5-9 5-9-5z"/><path d="M3 13l9 5 9-5"/>"#),
    (
        "kanban",
        r#"<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M9 4v16M15 4v16"/><path d="M5 8h2M11 8h2M11 12h2M17 8h2"/>"#,
    ),
    (
        "timer",
        r#"<circle cx="12" cy="13.5" r="7.5"/><path d="M12 13.5V10M10 3h4M12 3v3M18.5 6.5l1.5-1.5"/>"#,
    ),
    (
        "flame",
        r#"<path d="M12 3c1 4 5 5.5 5 10a5 5 0 0 1-10 0c0-2.5 1.5-4 2.5-5 .3 2 1.2 3 2.5 3.5C11 9 11.5 6 12 3z"/>"#,
    ),
];

/// Entity-name words and the glyph each gets.
#[rustfmt::skip]
const ENTITY_GLYPHS: &[(&str, &str)] = &[
    ("habit", "check-circle"), ("task", "checklist"), ("todo", "checklist"), ("project", "folder"),
    ("recipe", "utensils"), ("meal", "utensils"), ("restaurant", "utensils"), ("ingredient", "jar"),
    ("shopping", "cart"), ("grocery", "cart"), ("expense", "wallet"), ("budget", "coins"), ("income", "coins"),
    ("invoice", "receipt"), ("item", "box"), ("product", "box"), ("supplier", "truck"), ("contact", "user"),
    ("client", "user"), ("student", "user"), ("person", "user"), ("guest", "users"), ("member", "users"),
    ("company", "building"), ("deal", "trend"), ("note", "note"), ("bookmark", "bookmark"), ("link", "bookmark"),
    ("workout", "dumbbell"), ("exercise", "dumbbell"), ("run", "activity"), ("book", "book"), ("movie", "film"),
    ("film", "film"), ("show", "tv"), ("event", "calendar"), ("lesson", "calendar"), ("application", "briefcase"),
    ("interview", "briefcase"), ("job", "briefcase"), ("plant", "leaf"), ("care", "leaf"), ("trip", "plane"),
    ("activity", "pin"), ("place", "pin"), ("packing", "suitcase"), ("course", "cap"), ("assignment", "clipboard"),
    ("grade", "clipboard"), ("pet", "paw"), ("journal", "pen"), ("mood", "smile"), ("flashcard", "cards"),
    ("word", "chat"), ("subscription", "repeat"), ("ticket", "bug"), ("bug", "bug"), ("gift", "gift"),
    ("wine", "glass"), ("game", "gamepad"), ("record", "disc"), ("album", "disc"), ("shop", "store"),
    ("store", "store"), ("song", "music"), ("goal", "target"), ("sleep", "moon"), ("medication", "pill"),
    ("vehicle", "car"), ("car", "car"), ("service", "wrench"), ("idea", "bulb"), ("appointment", "clock"),
];

/// Glyphs for entities nothing above matches, picked by hash.
const FALLBACK_GLYPHS: &[&str] = &["star", "tag", "layers", "heart", "box", "folder", "bookmark", "target"];

fn glyph(name: &str) -> &'static str {
    GLYPHS.iter().find(|(n, _)| *n == name).map_or(GLYPHS[0].1, |(_, g)| *g)
}

/// The glyph name for an entity (by the words of its name).
pub(crate) fn entity_glyph(entity: &str) -> &'static str {
    for word in entity.split('_') {
        if let Some((_, g)) = ENTITY_GLYPHS.iter().find(|(w, _)| *w == word) {
            return g;
        }
    }
    FALLBACK_GLYPHS[(fnv1a(entity.as_bytes()) % FALLBACK_GLYPHS.len() as u64) as usize]
}

/// The glyph name for a page.
pub(crate) fn page_glyph(page: &PageSpec) -> &'static str {
    match page.kind {
        PageKind::Dashboard => "grid",
        PageKind::Settings => "sliders",
        PageKind::About => "info",
        PageKind::List => entity_glyph(page.entity.as_deref().unwrap_or("")),
        PageKind::Board => "kanban",
        PageKind::Calendar => "calendar",
        PageKind::Timer => "timer",
        PageKind::Study => "cards",
        PageKind::Chart => "trend",
        PageKind::Checklist => "checklist",
    }
}

/// An icon file: one glyph drawn in `currentColor`. The app inlines it (`js/art.js`), so the
/// stylesheet colours it: the art never needs redrawing when the theme's colours change.
pub(crate) fn icon_svg(_spec: &AppSpec, glyph_name: &str, title: &str) -> String {
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" "#,
            r#"stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" role="img" aria-label="{title}">"#,
            "<title>{title}</title>{glyph}</svg>\n"
        ),
        title = xml_escape(title),
        glyph = glyph(glyph_name),
    )
}

/// The logo: a gradient shape (picked by hash) with the main entity's glyph. Its colours
/// are the theme's custom properties (`--primary`, `--accent`, `--on-primary`) where the
/// app shows it inline, and a neutral slate where the file stands alone (the favicon, the
/// zip): the theme's colours live in the stylesheet only, so a new colour redraws nothing.
pub(crate) fn logo(spec: &AppSpec) -> String {
    let main = spec.entities.first().map_or("item", |e| e.name.as_str());
    let seed = fnv1a(format!("{}|{}", spec.name, main).as_bytes());
    let shape = match seed % 4 {
        0 => {
            r#"<rect x="2" y="2" width="60" height="60" rx="16" fill="url(#nf-logo-fill)" stroke="white" stroke-opacity="0.6" stroke-width="2"/>"#
        }
        1 => {
            r#"<circle cx="32" cy="32" r="30" fill="url(#nf-logo-fill)" stroke="white" stroke-opacity="0.6" stroke-width="2"/>"#
        }
        2 => {
            r#"<path d="M32 2l26 15v30L32 62 6 47V17z" fill="url(#nf-logo-fill)" stroke="white" stroke-opacity="0.6" stroke-width="2"/>"#
        }
        _ => {
            r#"<path d="M32 2c20 0 30 10 30 30S52 62 32 62 2 52 2 32 12 2 32 2z" fill="url(#nf-logo-fill)" stroke="white" stroke-opacity="0.6" stroke-width="2"/>"#
        }
    };
    let angle = ["0 0 1 1", "0 1 1 0", "1 0 0 1", "0 0 0 1"][((seed >> 8) % 4) as usize];
    let coords: Vec<&str> = angle.split(' ').collect();
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" role="img" aria-label="{title} logo">"#,
            "<title>{title}</title>",
            r#"<defs><linearGradient id="nf-logo-fill" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}">"#,
            r#"<stop offset="0" style="stop-color: var(--primary, {from})"/><stop offset="1" style="stop-color: var(--accent, {to})"/></linearGradient></defs>"#,
            "{shape}",
            r#"<g transform="translate(14 14) scale(1.5)" fill="none" style="stroke: var(--on-primary, #ffffff)" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">{glyph}</g>"#,
            "</svg>\n"
        ),
        title = xml_escape(&spec.name),
        x1 = coords.first().unwrap_or(&"0"),
        y1 = coords.get(1).unwrap_or(&"0"),
        x2 = coords.get(2).unwrap_or(&"1"),
        y2 = coords.get(3).unwrap_or(&"1"),
        from = NEUTRAL_FROM,
        to = NEUTRAL_TO,
        shape = shape,
        glyph = glyph(entity_glyph(main)),
    )
}

/// The logo's colours where no stylesheet colours it (a slate gradient).
const NEUTRAL_FROM: &str = "#475569";
const NEUTRAL_TO: &str = "#1e293b";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_name_used_exists() {
        for (_, g) in ENTITY_GLYPHS {
            assert!(GLYPHS.iter().any(|(n, _)| n == g), "{g}");
        }
        let pages = [
            "grid",
            "sliders",
            "info",
            "kanban",
            "calendar",
            "timer",
            "cards",
            "trend",
            "checklist",
        ];
        for g in FALLBACK_GLYPHS.iter().chain(pages.iter()) {
            assert!(GLYPHS.iter().any(|(n, _)| n == g), "{g}");
        }
    }
}
