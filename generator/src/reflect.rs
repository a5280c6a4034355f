//! The reflection pass: checks a spec from any source (the offline analysis or a model's
//! JSON) against its prompt, repairs what [`AppSpec::validate`] would reject (reference
//! fields included: a target renamed or named by its label is followed, one that is no
//! entity makes the field text; view pages through `crate::views::repair`) and what
//! contradicts the prompt, and says what it did, with a confidence.
//!
//! Invariant: [`reflect`]'s spec passes `validate()` for any input that has at least one
//! entity or a prompt (it invents a generic one otherwise).

use std::collections::BTreeSet;

use domain::spec::{Analysis, AppSpec, EntitySpec, FieldKind, FieldSpec, PageKind, PageSpec, ThemeMode};

use crate::catalog;
use crate::cues::{
    best_app_type, explicit_name, feature_order, from_blueprint, generic_entity, named_theme_colours, noun_candidates,
    requested_features, unique_page_id, wants_dark, FONT_SYSTEM,
};
use crate::theme::{self, Rgb};
use crate::words::{capitalize, clean_text, pluralize, singularize, to_kebab, to_snake, Prompt};

/// The reflection pass on its own: checks `spec` (from any source) against `prompt`, fixes
/// what it can (structure [`AppSpec::validate`] would reject, features and a dark theme the
/// prompt asks for, duplicate fields, missing list pages, view pages that do not fit their
/// entity and views the prompt asks for), and returns the fixed spec, one
/// note per check that found something, and a confidence in `0..=1`.
pub fn reflect(prompt: &str, spec: AppSpec) -> Analysis {
    let p = Prompt::new(prompt);
    let r = reflect_inner(&p, spec);
    let confidence = (0.9 * r.factor).clamp(0.05, 0.95);
    Analysis {
        spec: r.spec,
        reflection: r.notes,
        confidence,
    }
}

pub(crate) struct Reflected {
    pub(crate) spec: AppSpec,
    pub(crate) notes: Vec<String>,
    /// Multiplier for the caller's confidence: 1 when nothing needed fixing.
    pub(crate) factor: f32,
}

pub(crate) fn reflect_inner(p: &Prompt, mut spec: AppSpec) -> Reflected {
    let mut notes = Vec::new();
    let mut fixes = 0usize;
    let mut fix = |notes: &mut Vec<String>, note: String| {
        notes.push(note);
        fixes += 1;
    };

    // Name and summary.
    let name = clean_text(&spec.name, 60);
    if name.is_empty() {
        let n = explicit_name(&p.original).unwrap_or_else(|| "My App".into());
        fix(
            &mut notes,
            format!("The spec had no name; called it \u{201c}{n}\u{201d}."),
        );
        spec.name = n;
    } else if name != spec.name {
        fix(
            &mut notes,
            "Tidied the app name (one line, at most 60 characters).".into(),
        );
        spec.name = name;
    }
    let summary = clean_text(&spec.summary, 400);
    if summary.is_empty() {
        fix(&mut notes, "The spec had no summary; wrote one.".into());
        spec.summary = format!("{}: keep your data in one place.", spec.name);
    } else if summary != spec.summary {
        fix(
            &mut notes,
            "Tidied the summary (one line, at most 400 characters).".into(),
        );
        spec.summary = summary;
    }

    // Entities and their fields.
    let mut renamed: Vec<(String, String)> = Vec::new();
    let mut entities: Vec<EntitySpec> = Vec::new();
    for (i, mut e) in std::mem::take(&mut spec.entities).into_iter().enumerate() {
        let new_name = to_snake(&e.name, &format!("entity_{}", i + 1));
        if new_name != e.name {
            fix(
                &mut notes,
                format!("Renamed entity {:?} to {:?} (lowercase snake_case).", e.name, new_name),
            );
            renamed.push((e.name.clone(), new_name.clone()));
            e.name = new_name;
        }
        if entities.iter().any(|x| x.name == e.name) {
            fix(&mut notes, format!("Dropped a second entity called {:?}.", e.name));
            continue;
        }
        if entities.len() >= 8 {
            fix(&mut notes, format!("Dropped entity {:?}: at most 8 entities.", e.name));
            continue;
        }
        repair_entity(&mut e, &mut |n| fix(&mut notes, n));
        entities.push(e);
    }
    if entities.is_empty() {
        let nouns = noun_candidates(p);
        let e = match nouns.first() {
            Some(n) => match catalog::blueprint_for_word(&n.singular) {
                Some(b) => from_blueprint(b),
                None => generic_entity(&n.singular, &capitalize(&n.singular), &capitalize(&n.plural), p, true),
            },
            None => generic_entity("item", "Item", "Items", p, true),
        };
        fix(
            &mut notes,
            format!("The spec had no entities; added {:?} from the prompt.", e.name),
        );
        entities.push(e);
    }
    repair_references(&mut entities, &renamed, &mut |n| fix(&mut notes, n));
    spec.entities = entities;

    // Pages.
    let mut pages: Vec<PageSpec> = Vec::new();
    for (i, mut page) in std::mem::take(&mut spec.pages).into_iter().enumerate() {
        if let Some(ent) = &page.entity {
            if let Some((_, to)) = renamed.iter().find(|(from, _)| from == ent) {
                page.entity = Some(to.clone());
            }
        }
        if page.kind == PageKind::List {
            let known = page
                .entity
                .as_ref()
                .is_some_and(|e| spec.entities.iter().any(|x| &x.name == e));
            if !known {
                // A list page without a (known) entity: match its id or title to one.
                let guess = spec.entities.iter().find(|x| {
                    let id = to_kebab(&page.id, "");
                    id == to_kebab(&x.plural, "-")
                        || id == to_kebab(&x.name, "-")
                        || clean_text(&page.title, 40).eq_ignore_ascii_case(&x.plural)
                });
                match guess {
                    Some(x) if page.entity.is_none() => {
                        fix(
                            &mut notes,
                            format!("List page {:?} named no entity; it now lists {:?}.", page.id, x.name),
                        );
                        page.entity = Some(x.name.clone());
                    }
                    _ => {
                        fix(
                            &mut notes,
                            format!(
                                "Dropped list page {:?}: it lists {:?}, which is not an entity.",
                                page.id,
                                page.entity.as_deref().unwrap_or("nothing")
                            ),
                        );
                        continue;
                    }
                }
            }
        } else if page.entity.is_some() && !page.kind.is_view() {
            page.entity = None;
        }
        let id = to_kebab(&page.id, &format!("page-{}", i + 1));
        let id = unique_page_id(&pages, &id);
        if id != page.id {
            fix(
                &mut notes,
                format!("Page id {:?} became {:?} (unique, lowercase kebab-case).", page.id, id),
            );
            page.id = id;
        }
        let title = clean_text(&page.title, 40);
        if title.is_empty() {
            let t = match page.kind {
                PageKind::Dashboard => "Dashboard".to_string(),
                PageKind::Settings => "Settings".to_string(),
                PageKind::About => "About".to_string(),
                PageKind::List => page
                    .entity
                    .as_ref()
                    .and_then(|e| spec.entities.iter().find(|x| &x.name == e))
                    .map_or_else(|| "List".to_string(), |x| x.plural.clone()),
                view => crate::views::kind_title(view).to_string(),
            };
            fix(
                &mut notes,
                format!("Page {:?} had no title; called it \u{201c}{t}\u{201d}.", page.id),
            );
            page.title = t;
        } else {
            page.title = title;
        }
        pages.push(page);
    }
    for e in &spec.entities {
        if !pages
            .iter()
            .any(|pg| pg.kind == PageKind::List && pg.entity.as_deref() == Some(&e.name))
        {
            let id = unique_page_id(&pages, &to_kebab(&e.plural, &to_kebab(&e.name, "list")));
            fix(
                &mut notes,
                format!("Added a list page for {:?}, which had none.", e.name),
            );
            // Keep settings and about last.
            let at = pages
                .iter()
                .position(|pg| matches!(pg.kind, PageKind::Settings | PageKind::About))
                .unwrap_or(pages.len());
            pages.insert(
                at,
                PageSpec {
                    id,
                    title: clean_text(&e.plural, 40),
                    kind: PageKind::List,
                    entity: Some(e.name.clone()),
                    view: None,
                },
            );
        }
    }
    // View pages against their entities, and the views the prompt asks for: crate::views.
    crate::views::repair(&p.original, &mut spec.entities, &mut pages, &mut |n| fix(&mut notes, n));
    while pages.len() > 12 {
        let drop = pages
            .iter()
            .rposition(|pg| pg.kind != PageKind::List)
            .or_else(|| {
                // More list pages than 12: drop a second page for an already listed entity.
                pages
                    .iter()
                    .enumerate()
                    .rposition(|(i, pg)| pages[..i].iter().any(|q| q.entity == pg.entity))
            })
            .unwrap_or(pages.len() - 1);
        let gone = pages.remove(drop);
        fix(&mut notes, format!("Dropped page {:?}: at most 12 pages.", gone.id));
    }
    spec.pages = pages;

    // Features: no duplicates.
    let mut seen = BTreeSet::new();
    let before = spec.features.len();
    spec.features.retain(|f| seen.insert(feature_order(*f)));
    if spec.features.len() != before {
        fix(&mut notes, "Removed repeated features.".into());
    }

    // Theme.
    if Rgb::parse(&spec.theme.primary).is_none() || Rgb::parse(&spec.theme.accent).is_none() {
        let (pr, ac) = theme::colours_from_hash(p.hash);
        let primary = Rgb::parse(&spec.theme.primary).map_or(pr, |c| c.hex());
        let accent = Rgb::parse(&spec.theme.accent).map_or(ac, |c| c.hex());
        fix(
            &mut notes,
            format!("Theme colours must be #rrggbb; using {primary} and {accent}."),
        );
        spec.theme.primary = primary;
        spec.theme.accent = accent;
    } else {
        spec.theme.primary = spec.theme.primary.to_ascii_lowercase();
        spec.theme.accent = spec.theme.accent.to_ascii_lowercase();
    }
    if spec.theme.radius > 24 {
        fix(
            &mut notes,
            format!("Corner radius {} is too round; using 24.", spec.theme.radius),
        );
        spec.theme.radius = 24;
    }
    let font = clean_text(&spec.theme.font, 200);
    if font.is_empty() || font.contains([';', '{', '}', '<', '>', '\\', '@']) || font.contains("url(") {
        fix(
            &mut notes,
            "The font must be a plain CSS font stack; using the system font.".into(),
        );
        spec.theme.font = FONT_SYSTEM.into();
    } else {
        spec.theme.font = font;
    }

    // Against the prompt.
    for (feature, cue) in requested_features(p) {
        if !spec.features.contains(&feature) {
            fix(
                &mut notes,
                format!(
                    "Added {}: the prompt asks for it (\u{201c}{cue}\u{201d}).",
                    feature.as_str()
                ),
            );
            spec.features.push(feature);
        }
    }
    spec.features.sort_by_key(|f| feature_order(*f));
    if wants_dark(p) && spec.theme.mode != ThemeMode::Dark {
        fix(&mut notes, "The prompt says dark, so the theme now starts dark.".into());
        spec.theme.mode = ThemeMode::Dark;
    }
    if let Some((word, hex)) = named_theme_colours(p).first() {
        if let (Some(want), Some(have)) = (Rgb::parse(hex), Rgb::parse(&spec.theme.primary)) {
            let (wh, ws, _) = want.hsl();
            let (hh, hs, _) = have.hsl();
            let dist = (wh - hh).abs().min(360.0 - (wh - hh).abs());
            if ws > 0.2 && (dist > 45.0 || hs < 0.15) {
                fix(
                    &mut notes,
                    format!("The prompt asks for {word}; the primary colour is now {hex}."),
                );
                spec.theme.primary = (*hex).to_string();
            }
        }
    }
    let mut uncovered = 0usize;
    let kind_words: Vec<&str> = match best_app_type(p).0 {
        Some(t) => t
            .keywords
            .iter()
            .copied()
            .chain(t.phrases.iter().flat_map(|ph| ph.split(' ')))
            .collect(),
        None => Vec::new(),
    };
    for n in noun_candidates(p).iter().take(6) {
        if !kind_words.contains(&n.singular.as_str())
            && !covers(&spec, &n.singular)
            && !crate::views::covers(&spec, &n.singular)
        {
            uncovered += 1;
            notes.push(format!(
                "The prompt mentions \u{201c}{}\u{201d}, which no entity or field covers.",
                n.plural
            ));
        }
    }

    let problems = spec.validate();
    for problem in &problems {
        notes.push(format!("Still wrong after reflection: {problem}."));
    }
    if fixes == 0 && uncovered == 0 && problems.is_empty() {
        notes.push(format!(
            "Reflection: the spec is consistent with the prompt ({} entities, {} pages, {} features).",
            spec.entities.len(),
            spec.pages.len(),
            spec.features.len()
        ));
    }
    let mut factor = 1.0 - 0.04 * fixes.min(10) as f32 - 0.07 * uncovered.min(3) as f32;
    if !problems.is_empty() {
        factor = factor.min(0.2);
    }
    Reflected {
        spec,
        notes,
        factor: factor.max(0.1),
    }
}

/// Whether some entity or field of `spec` is about `noun` (singular).
fn covers(spec: &AppSpec, noun: &str) -> bool {
    let hit = |s: &str| {
        let s = s.to_lowercase();
        s.split(|c: char| !c.is_alphanumeric() && c != '-')
            .any(|w| w == noun || singularize(w) == noun)
    };
    spec.entities.iter().any(|e| {
        hit(&e.name)
            || hit(&e.label)
            || hit(&e.plural)
            || e.fields
                .iter()
                .any(|f| hit(&f.name) || hit(&f.label) || f.options.iter().any(|o| hit(o)))
            || catalog::blueprint_for_word(noun).is_some_and(|b| b.name == e.name)
    }) || hit(&spec.name)
}

/// Reference fields point to an entity of the spec (following renames, or matching the
/// target's label or plural); one that cannot becomes text. Other kinds name no entity.
fn repair_references(entities: &mut [EntitySpec], renamed: &[(String, String)], fix: &mut dyn FnMut(String)) {
    let targets: Vec<(String, String, String)> = entities
        .iter()
        .map(|e| (e.name.clone(), e.label.to_lowercase(), e.plural.to_lowercase()))
        .collect();
    for e in entities.iter_mut() {
        for (i, f) in e.fields.iter_mut().enumerate() {
            if f.kind != FieldKind::Reference {
                if f.entity.take().is_some() {
                    fix(format!(
                        "Field {:?} of {:?} is not a reference; dropped its entity.",
                        f.name, e.name
                    ));
                }
                continue;
            }
            let want = f.entity.clone().unwrap_or_else(|| f.name.clone());
            let want = renamed
                .iter()
                .find(|(from, _)| *from == want)
                .map_or(want, |(_, to)| to.clone());
            let lower = want.to_lowercase();
            let found = targets.iter().find(|(n, _, _)| *n == want).or_else(|| {
                targets
                    .iter()
                    .find(|(n, l, p)| *n == to_snake(&lower, "") || *l == lower || *p == lower)
            });
            match found {
                Some((n, _, _)) if i > 0 => {
                    if f.entity.as_deref() != Some(n.as_str()) {
                        fix(format!("Reference {:?} of {:?} now points to {n:?}.", f.name, e.name));
                        f.entity = Some(n.clone());
                    }
                }
                _ => {
                    fix(if i == 0 {
                        format!(
                            "Reference {:?} of {:?} is the title, which must be text; it is now text.",
                            f.name, e.name
                        )
                    } else {
                        format!(
                            "Reference {:?} of {:?} points to no entity of the app; it is now text.",
                            f.name, e.name
                        )
                    });
                    f.kind = FieldKind::Text;
                    f.entity = None;
                }
            }
        }
    }
}

fn repair_entity(e: &mut EntitySpec, fix: &mut dyn FnMut(String)) {
    let label = clean_text(&e.label, 40);
    if label.is_empty() {
        e.label = capitalize(&e.name.replace('_', " "));
        fix(format!(
            "Entity {:?} had no label; using \u{201c}{}\u{201d}.",
            e.name, e.label
        ));
    } else {
        e.label = label;
    }
    let plural = clean_text(&e.plural, 40);
    if plural.is_empty() {
        e.plural = clean_text(&pluralize(&e.label), 40);
        fix(format!(
            "Entity {:?} had no plural; using \u{201c}{}\u{201d}.",
            e.name, e.plural
        ));
    } else {
        e.plural = plural;
    }
    let mut fields: Vec<FieldSpec> = Vec::new();
    for (i, mut f) in std::mem::take(&mut e.fields).into_iter().enumerate() {
        let mut name = to_snake(&f.name, &format!("field_{}", i + 1));
        if name == "id" {
            name = "identifier".into();
        }
        if name != f.name {
            fix(format!(
                "Field {:?} of {:?} became {:?} (lowercase snake_case, not `id`).",
                f.name, e.name, name
            ));
            f.name = name;
        }
        if fields.iter().any(|x| x.name == f.name) {
            fix(format!("Dropped duplicate field {:?} of {:?}.", f.name, e.name));
            continue;
        }
        if fields.len() >= 16 {
            fix(format!(
                "Dropped field {:?} of {:?}: at most 16 fields.",
                f.name, e.name
            ));
            continue;
        }
        let label = clean_text(&f.label, 40);
        f.label = if label.is_empty() {
            capitalize(&f.name.replace('_', " "))
        } else {
            label
        };
        if f.kind == FieldKind::Select {
            let mut opts: Vec<String> = Vec::new();
            for o in &f.options {
                let o = clean_text(o, 40);
                if !o.is_empty() && !opts.contains(&o) && opts.len() < 20 {
                    opts.push(o);
                }
            }
            if opts.len() != f.options.len() {
                fix(format!(
                    "Cleaned the options of {:?}.{:?} (no blanks or repeats, at most 20).",
                    e.name, f.name
                ));
            }
            f.options = opts;
            if f.options.len() < 2 {
                fix(format!(
                    "Select field {:?} of {:?} had fewer than 2 options; it is now free text.",
                    f.name, e.name
                ));
                f.kind = FieldKind::Text;
                f.options.clear();
            }
        } else if !f.options.is_empty() {
            fix(format!(
                "Field {:?} of {:?} had options but is not a select; dropped them.",
                f.name, e.name
            ));
            f.options.clear();
        }
        fields.push(f);
    }
    if fields.is_empty() {
        fix(format!("Entity {:?} had no fields; added a name.", e.name));
        fields.push(FieldSpec::name_field());
    }
    e.fields = fields;
}
