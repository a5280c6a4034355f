//! The views analyze() picks for prompts in English, German, French and Spanish
//! (`view_cases.json`): each case's views are there, its `not` views are not, the spec
//! passes validate() and comes back unchanged from reflect().

use domain::spec::{AppSpec, PageKind, PageSpec};
use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    lang: String,
    prompt: String,
    views: Vec<String>,
    #[serde(default)]
    not: Vec<String>,
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    minutes: Option<u16>,
}

fn cases() -> Vec<Case> {
    let text = include_str!("view_cases.json");
    serde_json::from_str::<Cases>(text).expect("view_cases.json").cases
}

fn view<'a>(spec: &'a AppSpec, kind: &str) -> Option<&'a PageSpec> {
    spec.pages.iter().find(|p| p.kind.as_str() == kind)
}

/// What is wrong with the views analyze() gave `case`, one line each.
fn problems(case: &Case) -> Vec<String> {
    let a = generator::analyze(&case.prompt);
    let spec = &a.spec;
    let mut out = Vec::new();
    for kind in &case.views {
        match view(spec, kind) {
            None => out.push(format!("no {kind} page")),
            Some(page) => {
                if !a.reflection.iter().any(|n| n.to_lowercase().contains("because")) {
                    out.push(format!("no note says why the {kind} was chosen"));
                }
                if !spec
                    .pages
                    .iter()
                    .any(|p| p.kind == PageKind::List && p.entity == page.entity)
                {
                    out.push(format!("the {kind}'s entity has no list page"));
                }
            }
        }
    }
    for kind in &case.not {
        if view(spec, kind).is_some() {
            out.push(format!("an unwanted {kind} page"));
        }
    }
    if case.views.is_empty() && case.not.is_empty() {
        out.push("a case must expect or forbid something".into());
    }
    if !case.columns.is_empty() {
        let board = view(spec, "board");
        let options = board
            .and_then(|p| {
                let e = spec.entity(p.entity.as_deref()?)?;
                let f = p.view.as_ref()?.column_field.as_deref()?;
                e.fields.iter().find(|x| x.name == f).map(|x| x.options.clone())
            })
            .unwrap_or_default();
        if options != case.columns {
            out.push(format!("board columns {options:?}, not {:?}", case.columns));
        }
    }
    if let Some(mode) = &case.mode {
        let got = spec
            .pages
            .iter()
            .filter_map(|p| p.view.as_ref())
            .flat_map(|v| {
                [
                    v.study.map(|m| m.as_str()),
                    v.timer.map(|m| m.as_str()),
                    v.chart.map(|m| m.as_str()),
                ]
            })
            .flatten()
            .collect::<Vec<_>>();
        if !got.contains(&mode.as_str()) {
            out.push(format!("modes {got:?}, not {mode}"));
        }
    }
    if let Some(m) = case.minutes {
        let got = view(spec, "timer").and_then(|p| p.view.as_ref()?.minutes);
        if got != Some(m) {
            out.push(format!("timer minutes {got:?}, not {m}"));
        }
    }
    let invalid = spec.validate();
    if !invalid.is_empty() {
        out.push(format!("invalid spec: {invalid:?}"));
    }
    let again = generator::reflect(&case.prompt, spec.clone());
    if again.spec != *spec {
        out.push(format!("reflect changed it: {:?}", again.reflection));
    }
    out
}

#[test]
fn prompts_get_the_views_they_ask_for_and_no_others() {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let p = problems(case);
        if !p.is_empty() {
            failures.push(format!("[{}] {}: {}", case.lang, case.prompt, p.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_corpus_covers_every_view_in_every_language() {
    let cases = cases();
    for kind in ["board", "calendar", "timer", "study", "chart", "checklist"] {
        for lang in ["en", "de", "fr", "es"] {
            assert!(
                cases
                    .iter()
                    .any(|c| c.lang == lang && c.views.iter().any(|v| v == kind)),
                "no {lang} case asks for a {kind}"
            );
        }
        assert!(
            cases.iter().any(|c| c.not.iter().any(|v| v == kind)),
            "no case forbids a {kind}"
        );
    }
    assert!(cases.iter().filter(|c| !c.views.is_empty()).count() >= 24);
}
