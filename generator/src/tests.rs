//! End-to-end tests of the generator: analysis, reflection, generation and the checks.

use std::collections::BTreeSet;

use domain::spec::{EntitySpec, Feature, FieldKind, FieldSpec, PageKind, PageSpec, ThemeMode, ThemeSpec};

use super::*;

fn field(name: &str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name: name.into(),
        label: name.into(),
        kind,
        required: false,
        options: vec![],
        entity: None,
    }
}

fn file(path: &str, content: &str) -> GeneratedFile {
    GeneratedFile {
        path: path.into(),
        content_type: content_type_for(path).into(),
        content: content.into(),
    }
}

fn problems(f: &GeneratedFile) -> Vec<String> {
    check_file(f).err().unwrap_or_default()
}

#[test]
fn analysis_is_deterministic() {
    for prompt in SAMPLE_PROMPTS {
        assert_eq!(analyze(prompt), analyze(prompt), "{prompt}");
        assert_eq!(
            generate_all(&analyze(prompt).spec),
            generate_all(&analyze(prompt).spec),
            "{prompt}"
        );
    }
}

#[test]
fn sample_prompts_give_valid_and_different_specs() {
    assert!(SAMPLE_PROMPTS.len() >= 12);
    let mut names = BTreeSet::new();
    let mut colours = BTreeSet::new();
    let mut models = BTreeSet::new();
    for prompt in SAMPLE_PROMPTS {
        let a = analyze(prompt);
        assert_eq!(a.spec.validate(), Vec::<String>::new(), "{prompt}: {:#?}", a.spec);
        assert!((0.0..=1.0).contains(&a.confidence), "{prompt}");
        assert!(!a.reflection.is_empty(), "{prompt}");
        names.insert(a.spec.name.clone());
        colours.insert(a.spec.theme.primary.clone());
        models.insert(
            a.spec
                .entities
                .iter()
                .map(|e| e.name.clone())
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    let n = SAMPLE_PROMPTS.len();
    assert_eq!(names.len(), n, "{names:?}");
    assert!(colours.len() >= n - 1, "{colours:?}");
    assert!(models.len() >= n - 2, "{models:?}");
}

#[test]
fn features_and_looks_are_detected() {
    let habit = analyze("a habit tracker with streaks and dark mode").spec;
    assert_eq!(habit.name, "Habit Tracker");
    assert!(habit.has(Feature::DarkMode) && habit.has(Feature::Streaks));
    assert_eq!(habit.theme.mode, ThemeMode::Dark);
    assert_eq!(habit.entities[0].name, "habit");

    let movies = analyze("a movie watchlist with ratings, search and a dark and light mode toggle").spec;
    assert!(movies.has(Feature::Search) && movies.has(Feature::DarkMode));
    assert_eq!(movies.theme.mode, ThemeMode::Light, "a toggle is not a dark default");

    let todo = analyze("A todo app with projects, priorities, due dates, tags and sorting").spec;
    assert!(todo.has(Feature::Tags) && todo.has(Feature::Sorting));
    assert!(todo.entity("task").is_some() && todo.entity("project").is_some());

    let expenses = analyze("an expense tracker with categories, monthly budgets, charts and export to JSON").spec;
    assert!(expenses.has(Feature::Stats) && expenses.has(Feature::ExportImport));
    assert!(expenses.entity("budget").is_some());

    let recipes = analyze("a recipe book with ingredients, favourites and a shopping list, in orange").spec;
    assert!(recipes.has(Feature::Favorites));
    assert!(recipes.entity("shopping_item").is_some());
    assert_eq!(recipes.theme.primary, "#ea580c");

    let workouts = analyze("a workout log with exercises, statistics and a purple theme").spec;
    assert_eq!(workouts.theme.primary, "#9333ea");
    assert!(workouts.has(Feature::Stats));

    let shelf =
        analyze("reading list app called Shelf Life to track books I want to read, with ratings and favorites").spec;
    assert_eq!(shelf.name, "Shelf Life");

    let none = analyze("a notes app, no dark mode please").spec;
    assert!(!none.has(Feature::DarkMode));
    assert_eq!(none.theme.mode, ThemeMode::Light);
}

#[test]
fn unknown_apps_get_entities_from_their_nouns() {
    let vinyl = analyze("an app to manage my vinyl records and the shops I buy them from");
    let names: Vec<&str> = vinyl.spec.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["record", "shop"]);

    let bonsai = analyze("an app to manage my bonsai trees and the nurseries I buy them from, with prices");
    let names: Vec<&str> = bonsai.spec.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["tree", "nursery"], "{:#?}", bonsai.reflection);
    assert_eq!(bonsai.spec.name, "Bonsai Tree Manager");
    assert!(bonsai.spec.entities[0]
        .fields
        .iter()
        .any(|f| f.name == "price" && f.kind == FieldKind::Number));
    assert!(
        bonsai
            .reflection
            .iter()
            .any(|n| n.contains("inferred") && n.contains("tree") && n.contains("nursery")),
        "{:#?}",
        bonsai.reflection
    );
    assert!(bonsai.confidence < analyze("a habit tracker").confidence);
    assert_eq!(bonsai.spec.validate(), Vec::<String>::new());
}

#[test]
fn odd_prompts_still_give_valid_apps() {
    let long = "track my books and my friends who borrow them ".repeat(600);
    assert!(long.len() > MAX_PROMPT_CHARS);
    for prompt in [
        "",
        "   \n\t ",
        "?!?",
        "日本語のアプリ",
        long.as_str(),
        "<script>alert(1)</script>",
        "called",
        "a app called \"\"",
    ] {
        let a = analyze(prompt);
        assert_eq!(a.spec.validate(), Vec::<String>::new(), "{prompt:?}");
        for f in generate_all(&a.spec) {
            assert_eq!(problems(&f), Vec::<String>::new(), "{prompt:?} {}", f.path);
        }
    }
    assert!(analyze(&long)
        .reflection
        .iter()
        .any(|n| n.contains("only the beginning")));
}

#[test]
fn hostile_strings_are_escaped_everywhere() {
    let prompt = SAMPLE_PROMPTS
        .iter()
        .find(|p| p.contains("<script>"))
        .copied()
        .unwrap_or_default();
    let a = analyze(prompt);
    assert!(a.spec.name.contains("<script>"), "{}", a.spec.name);
    let files = generate_all(&a.spec);
    let index = files
        .iter()
        .find(|f| f.path == "index.html")
        .map(|f| f.content.clone())
        .unwrap_or_default();
    assert!(!index.contains("<script>alert"), "{index}");
    assert!(index.contains("&lt;script&gt;alert"));
    for f in &files {
        assert!(!f.content.contains("<script>alert"), "{}", f.path);
        assert_eq!(problems(f), Vec::<String>::new(), "{}", f.path);
    }

    // A spec with hostile strings everywhere a model could put them.
    let evil = "</script><script>alert(1)</script> */ \u{2028} ' \" & <!--";
    let mut spec = a.spec.clone();
    spec.name = "Evil </script>".into();
    spec.summary = evil.into();
    spec.theme.font = "x; } body { color: hotpink".into();
    spec.entities[0].label = evil.chars().take(40).collect();
    spec.entities[0].fields.push(FieldSpec {
        name: "mood".into(),
        label: "*/ alert(1) /*".into(),
        kind: FieldKind::Select,
        required: true,
        options: vec!["</script>".into(), "\"); alert(1); (\"".into()],
        entity: None,
    });
    spec.pages[0].title = "<img src=x onerror=alert(1)>".into();
    for f in generate_all(&spec) {
        assert_eq!(problems(&f), Vec::<String>::new(), "{}", f.path);
        assert!(!f.content.contains("</script><script>"), "{}", f.path);
        assert!(!f.content.contains("<img src=x"), "{}", f.path);
        if f.path.ends_with(".css") {
            assert!(!f.content.contains("hotpink"), "font injected into CSS");
        }
    }
    let module = entity_module(&spec, &spec.entities[0].name);
    assert_eq!(check_entity_module(&spec, &spec.entities[0].name, &module), Ok(()));
}

#[test]
fn every_generated_file_of_every_sample_passes_the_checks() {
    for prompt in SAMPLE_PROMPTS {
        let spec = analyze(prompt).spec;
        let files = generate_all(&spec);
        assert_eq!(files.last().map(|f| f.path.as_str()), Some("index.html"), "{prompt}");
        let mut paths = BTreeSet::new();
        for f in &files {
            assert!(safe_path(&f.path), "{prompt}: {}", f.path);
            assert!(paths.insert(f.path.clone()), "{prompt}: {} twice", f.path);
            assert_eq!(problems(f), Vec::<String>::new(), "{prompt}: {}", f.path);
            assert_eq!(f.content_type, content_type_for(&f.path));
            for bad in ["src=\"/", "href=\"/", "url(/", "url(\"/", "url('/"] {
                assert!(!f.content.contains(bad), "{prompt}: {} contains {bad}", f.path);
            }
            // The only absolute URLs: XML namespaces, and a bare scheme the shell prefixes
            // to addresses typed without one.
            for (i, _) in f.content.match_indices("http") {
                let rest = &f.content[i..];
                let absolute = rest.starts_with("http://") || rest.starts_with("https://");
                let ok = !absolute || rest.starts_with("http://www.w3.org/") || rest.starts_with("https://\"");
                assert!(
                    ok,
                    "{prompt}: {} has an absolute URL: {}",
                    f.path,
                    rest.chars().take(40).collect::<String>()
                );
            }
        }
        for e in &spec.entities {
            let module = files.iter().find(|f| f.path == entity_module_path(&e.name));
            let module = module.cloned().unwrap_or_else(|| file("missing.js", ""));
            assert_eq!(
                check_entity_module(&spec, &e.name, &module),
                Ok(()),
                "{prompt}: {}",
                e.name
            );
        }
        for page in &spec.pages {
            assert!(
                paths.contains(&format!("assets/icons/{}.svg", page.id)),
                "{prompt}: icon of {}",
                page.id
            );
        }
        let index = files.last().map(|f| f.content.clone()).unwrap_or_default();
        for f in files
            .iter()
            .filter(|f| f.path.ends_with(".js") || f.path.ends_with(".css"))
        {
            assert!(
                index.contains(&format!("\"{}\"", f.path)),
                "{prompt}: index.html misses {}",
                f.path
            );
        }
        assert!(index.contains("rel=\"icon\" href=\"assets/favicon.svg\""));
        let order: Vec<usize> = ["js/store.js", "js/config.js", "js/app.js", "js/entities/"]
            .iter()
            .filter_map(|s| index.find(s))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{prompt}: script order");
    }
}

#[test]
fn index_html_links_whatever_files_it_is_given() {
    let spec = analyze("a habit tracker").spec;
    let files = vec![
        file("js/extra.js", "var x = 1;"),
        file("js/app.js", ""),
        file("css/more.css", "a{}"),
        file("css/styles.css", ""),
        file("js/store.js", ""),
    ];
    let html = index_html(&spec, &files).content;
    let pos = |s: &str| html.find(s).unwrap_or(usize::MAX);
    assert!(pos("js/store.js") < pos("js/app.js") && pos("js/app.js") < pos("js/extra.js"));
    assert!(pos("css/styles.css") < pos("css/more.css"));
    assert!(html.contains("href=\"data:,\""), "no favicon file: an empty data: icon");
}

#[test]
fn broken_javascript_is_rejected_with_a_position() {
    let p = problems(&file("js/app.js", "function a() {\n  return 1;\n"));
    assert!(
        p.iter()
            .any(|m| m.contains("js/app.js") && m.contains("line ") && m.contains("syntax error")),
        "{p:?}"
    );
    let p = problems(&file("js/app.js", "let a = 1;\nlet a = 2;\n"));
    assert!(p.iter().any(|m| m.contains("line 2")), "{p:?}");
    let p = problems(&file("js/app.js", "import x from './x.js';\n"));
    assert!(!p.is_empty(), "ES modules are not classic scripts: {p:?}");
    let p = problems(&file("js/app.js", "fetch('data.json').then(function () {});\n"));
    assert!(p.iter().any(|m| m.contains("`fetch`")), "{p:?}");
    let p = problems(&file(
        "js/app.js",
        "var img = new Image(); img.src = \"https://evil.example/x.png\";\n",
    ));
    assert!(p.iter().any(|m| m.contains("absolute URL")), "{p:?}");
    assert_eq!(
        problems(&file("js/ok.js", "(function () { var fetch = 1; return fetch; })();\n")),
        Vec::<String>::new()
    );
}

#[test]
fn broken_css_is_rejected_with_a_position() {
    let p = problems(&file("css/styles.css", "a { color: red;\n\nb { color: blue; }\n"));
    assert!(
        p.iter().any(|m| m.contains("never closed") && m.contains("line 1")),
        "{p:?}"
    );
    let p = problems(&file("css/styles.css", "a { color red; }\n"));
    assert!(p.iter().any(|m| m.contains("expected `:`")), "{p:?}");
    let p = problems(&file("css/styles.css", "a { color: ; }\n"));
    assert!(p.iter().any(|m| m.contains("has no value")), "{p:?}");
    let p = problems(&file("css/styles.css", "a { color: red; } }\n"));
    assert!(p.iter().any(|m| m.contains("unexpected `}`")), "{p:?}");
    let p = problems(&file(
        "css/styles.css",
        "a { background: url(/img/x.png); }\n.b { background: url(https://cdn.example/x.png) }\n",
    ));
    assert_eq!(p.len(), 2, "{p:?}");
    let p = problems(&file("css/styles.css", "a { content: \"oops\n}\n"));
    assert!(p.iter().any(|m| m.contains("string")), "{p:?}");
    let ok = ":root { --x: 1px; }\n@media (max-width: 600px) { .a, .b > c:hover { margin: 0 auto !important; } }\n@keyframes spin { from { transform: rotate(0deg); } to { transform: rotate(360deg); } }\n.card { &:hover { color: red; } }\n";
    assert_eq!(problems(&file("css/ok.css", ok)), Vec::<String>::new());
}

#[test]
fn broken_html_is_rejected_with_a_position() {
    let good = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>x</title></head>\n<body><p>Hi<p>there<ul><li>a<li>b</ul></body>\n</html>\n";
    assert_eq!(problems(&file("index.html", good)), Vec::<String>::new());
    let p = problems(&file(
        "index.html",
        "<!DOCTYPE html>\n<html><head><title>x</title></head>\n<body><div><span>x</div>\n</body></html>\n",
    ));
    assert!(p.iter().any(|m| m.contains("<span>") && m.contains("line 3")), "{p:?}");
    let p = problems(&file(
        "index.html",
        "<!DOCTYPE html>\n<html><head><title>x</title></head><body><main>\n</body></html>\n",
    ));
    assert!(p.iter().any(|m| m.contains("<main>")), "{p:?}");
    let p = problems(&file("index.html", "<html><head><title>x</title><script src=\"/js/app.js\"></script><link rel=\"stylesheet\" href=\"https://cdn.example/a.css\"></head><body></body></html>"));
    assert!(p.iter().any(|m| m.contains("DOCTYPE")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("must be relative")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("another site")), "{p:?}");
    let p = problems(&file("index.html", "<!DOCTYPE html><html><head><title>x</title></head><body><script>var = ;</script><div id=a></div><div id=a></div><img src=\"x.png\" onerror=\"alert(1)\"></body></html>"));
    assert!(p.iter().any(|m| m.contains("inside the <script>")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("used twice")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("onerror")), "{p:?}");
    let p = problems(&file(
        "index.html",
        "<!DOCTYPE html><html><body><div class=\"a></div></body></html>",
    ));
    assert!(p.iter().any(|m| m.contains("<head>")), "{p:?}");
    assert!(
        p.iter().any(|m| m.contains("eof-in-tag") || m.contains("never closed")),
        "{p:?}"
    );
}

#[test]
fn broken_svg_and_json_are_rejected() {
    let p = problems(&file(
        "assets/logo.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><g></svg>",
    ));
    assert!(
        p.iter().any(|m| m.contains("not well-formed") && m.contains("1:")),
        "{p:?}"
    );
    let p = problems(&file("assets/logo.svg", "<svg viewBox=\"0 0 1 1\"/>"));
    assert!(p.iter().any(|m| m.contains("xmlns")), "{p:?}");
    let p = problems(&file("assets/x.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><script>alert(1)</script><image href=\"https://x.example/a.png\"/></svg>"));
    assert_eq!(p.len(), 2, "{p:?}");
    let p = problems(&file("data/seed.json", "{\"a\": [1, 2,]}"));
    assert!(p.iter().any(|m| m.contains("line 1")), "{p:?}");
    assert_eq!(
        problems(&file("data/seed.json", "{\"a\": [1, 2]}")),
        Vec::<String>::new()
    );
}

#[test]
fn unsafe_paths_are_rejected() {
    for bad in [
        "/index.html",
        "../x.js",
        "js/../x.js",
        "JS/app.js",
        "js//app.js",
        "js/app",
        ".env",
        "js/a b.js",
        "js/",
        "",
    ] {
        assert!(!safe_path(bad), "{bad:?}");
        assert!(check_file(&file(bad, "")).is_err(), "{bad:?}");
    }
    for good in [
        "index.html",
        "js/entities/habit.js",
        "assets/icons/shopping-list.svg",
        "css/styles.css",
    ] {
        assert!(safe_path(good), "{good}");
    }
}

#[test]
fn entity_modules_are_held_to_the_contract() {
    let spec = analyze("a habit tracker with streaks").spec;
    let good = entity_module(&spec, "habit");
    assert_eq!(good.path, "js/entities/habit.js");
    assert_eq!(check_entity_module(&spec, "habit", &good), Ok(()));

    let renamed = GeneratedFile {
        content: good.content.replacen("name: \"habit\"", "name: \"chore\"", 1),
        ..good.clone()
    };
    let p = check_entity_module(&spec, "habit", &renamed).err().unwrap_or_default();
    assert!(p.iter().any(|m| m.contains("registers \"chore\"")), "{p:?}");

    let minimal = "NexusApp.registerEntity({ name: \"habit\", label: \"Habit\", plural: \"Habits\", fields: [{ name: \"name\", kind: \"text\" }] });\n";
    let p = check_entity_module(&spec, "habit", &file("js/entities/habit.js", minimal))
        .err()
        .unwrap_or_default();
    assert!(
        p.iter().any(|m| m.contains("\"frequency\"") && m.contains("missing")),
        "{p:?}"
    );

    // Storage, the page and timers belong to the shell.
    for (sneak, wants) in [
        (
            "localStorage.setItem(\"x\", \"y\"); document.title = \"x\";",
            &["`localStorage`", "`document`"][..],
        ),
        ("setInterval(function () {}, 1000);", &["`setInterval`"]),
    ] {
        let sneaky = good
            .content
            .replace("var errors = {};", &format!("var errors = {{}}; {sneak}"));
        let p = check_entity_module(&spec, "habit", &file("js/entities/habit.js", &sneaky))
            .err()
            .unwrap_or_default();
        for want in wants {
            assert!(p.iter().any(|m| m.contains(want)), "{want}: {p:?}");
        }
    }

    let twice = format!("{}\n{}", good.content, good.content);
    assert!(check_entity_module(&spec, "habit", &file("js/entities/habit.js", &twice)).is_err());
    assert!(check_entity_module(&spec, "habit", &file("js/entities/other.js", &good.content)).is_err());
    assert!(check_entity_module(&spec, "ghost", &good).is_err());
    let none = check_entity_module(&spec, "habit", &file("js/entities/habit.js", "var x = 1;\n"))
        .err()
        .unwrap_or_default();
    assert!(none.iter().any(|m| m.contains("never calls")), "{none:?}");
}

#[test]
fn reflect_adds_what_the_prompt_asked_for() {
    let prompt = "a habit tracker with dark mode and charts";
    let mut spec = analyze("a habit tracker").spec;
    spec.features
        .retain(|f| *f != Feature::DarkMode && *f != Feature::Stats);
    spec.theme.mode = ThemeMode::Light;
    let r = reflect(prompt, spec);
    assert!(r.spec.has(Feature::DarkMode) && r.spec.has(Feature::Stats));
    assert_eq!(r.spec.theme.mode, ThemeMode::Dark);
    assert!(
        r.reflection.iter().any(|n| n.contains("dark_mode")),
        "{:?}",
        r.reflection
    );
    assert!(r.confidence < 0.9);
    assert_eq!(r.spec.validate(), Vec::<String>::new());
}

#[test]
fn reflect_repairs_a_broken_spec() {
    let spec = AppSpec {
        name: "  ".into(),
        summary: "".into(),
        features: vec![Feature::Search, Feature::Search],
        pages: vec![
            PageSpec {
                id: "Home Page".into(),
                title: "".into(),
                kind: PageKind::Dashboard,
                entity: None,
                view: None,
            },
            PageSpec {
                id: "ghosts".into(),
                title: "Ghosts".into(),
                kind: PageKind::List,
                entity: Some("ghost".into()),
                view: None,
            },
        ],
        entities: vec![
            EntitySpec {
                name: "Vinyl Record".into(),
                label: "Record".into(),
                plural: "".into(),
                fields: vec![
                    field("title", FieldKind::Text),
                    field("title", FieldKind::Text),
                    field("id", FieldKind::Number),
                    FieldSpec {
                        options: vec!["Only".into()],
                        ..field("grade", FieldKind::Select)
                    },
                    FieldSpec {
                        options: vec!["x".into()],
                        ..field("price", FieldKind::Number)
                    },
                ],
            },
            EntitySpec {
                name: "shop".into(),
                label: "Shop".into(),
                plural: "Shops".into(),
                fields: vec![],
            },
        ],
        theme: ThemeSpec {
            primary: "purple".into(),
            accent: "#ABCDEF".into(),
            mode: ThemeMode::Light,
            radius: 99,
            font: "x; }".into(),
        },
    };
    let r = reflect("my vinyl records and shops", spec);
    assert_eq!(r.spec.validate(), Vec::<String>::new(), "{:#?}", r.reflection);
    let rec = r
        .spec
        .entity("vinyl_record")
        .cloned()
        .unwrap_or_else(|| panic!("renamed entity: {:#?}", r.spec.entities));
    let names: Vec<&str> = rec.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["title", "identifier", "grade", "price"]);
    assert_eq!(rec.fields[2].kind, FieldKind::Text);
    assert!(rec.fields[3].options.is_empty());
    assert!(r.spec.pages.iter().any(|p| p.entity.as_deref() == Some("vinyl_record")));
    assert!(r.spec.pages.iter().any(|p| p.entity.as_deref() == Some("shop")));
    assert!(!r.spec.pages.iter().any(|p| p.id == "ghosts"));
    assert_eq!(r.spec.theme.accent, "#abcdef");
    assert_eq!(r.spec.theme.radius, 24);
    assert!(
        r.reflection.iter().any(|n| n.contains("duplicate field")),
        "{:#?}",
        r.reflection
    );
    assert!(r.confidence < 0.6, "{}", r.confidence);
    assert_eq!(
        reflect(
            "anything",
            AppSpec {
                entities: vec![],
                pages: vec![],
                ..r.spec.clone()
            }
        )
        .spec
        .validate(),
        Vec::<String>::new()
    );
}

#[test]
fn analysis_passes_its_own_reflection() {
    for prompt in SAMPLE_PROMPTS {
        let a = analyze(prompt);
        let again = reflect(prompt, a.spec.clone());
        assert_eq!(
            again.spec, a.spec,
            "{prompt}: reflection changed analyze's spec: {:#?}",
            again.reflection
        );
    }
}

/// The entity whose label, plural or name contains `word` (lowercase).
fn entity_like<'a>(spec: &'a AppSpec, word: &str) -> Option<&'a EntitySpec> {
    spec.entities.iter().find(|e| {
        e.label.to_lowercase().contains(word) || e.plural.to_lowercase().contains(word) || e.name.contains(word)
    })
}

/// Whether `e` has a field whose label contains `word` (lowercase), of `kind` if given.
fn has_field_like(e: &EntitySpec, word: &str, kind: Option<FieldKind>) -> bool {
    e.fields
        .iter()
        .any(|f| f.label.to_lowercase().contains(word) && kind.is_none_or(|k| f.kind == k))
}

#[test]
fn the_person_s_words_win_over_the_catalogue() {
    use FieldKind::{Number, Select};
    // The examples of issue 10: (prompt, entity, fields, entities that must not appear).
    #[allow(clippy::type_complexity)]
    let cases: &[(&str, &str, &[(&str, Option<FieldKind>)], &[&str])] = &[
        (
            "Keep track of my car's fuel fill-ups: date, litres, price and odometer",
            "fill-up",
            &[
                ("date", Some(FieldKind::Date)),
                ("litres", Some(Number)),
                ("price", Some(Number)),
                ("odometer", Some(Number)),
            ],
            &["service", "vehicle"],
        ),
        (
            "collect my favourite quotes with author and source",
            "quote",
            &[("author", None), ("source", None)],
            &["book"],
        ),
        (
            "photography portfolio: albums and photos with camera settings (ISO, aperture, shutter)",
            "photo",
            &[("iso", Some(Number)), ("aperture", None), ("shutter", None)],
            &["record"],
        ),
        (
            "a medication reminder: medicine name, dose, times per day",
            "medication",
            &[("name", None), ("dose", None), ("times per day", Some(Number))],
            &["pet", "care"],
        ),
        ("a volunteer shift scheduler for a food bank", "shift", &[], &[]),
        (
            "a wine cellar inventory with vintage, region, grape and bottles left",
            "wine",
            &[
                ("vintage", Some(Number)),
                ("region", None),
                ("grape", None),
                ("bottles left", Some(Number)),
            ],
            &[],
        ),
        (
            "a blood pressure log for my readings: systolic, diastolic, pulse",
            "reading",
            &[
                ("systolic", Some(Number)),
                ("diastolic", Some(Number)),
                ("pulse", Some(Number)),
            ],
            &["book"],
        ),
        (
            "wedding planner with guests (name, RSVP status, table number, dietary needs) and vendors",
            "guest",
            &[
                ("rsvp status", Some(Select)),
                ("table number", Some(Number)),
                ("dietary needs", None),
            ],
            &[],
        ),
    ];
    for (prompt, entity, fields, absent) in cases {
        let a = analyze(prompt);
        assert_eq!(a.spec.validate(), Vec::<String>::new(), "{prompt}");
        let e = entity_like(&a.spec, entity).unwrap_or_else(|| panic!("{prompt}: no {entity}: {:#?}", a.spec.entities));
        for (field, kind) in *fields {
            assert!(
                has_field_like(e, field, *kind),
                "{prompt}: {entity}.{field} {kind:?}: {:#?}",
                e.fields
            );
        }
        for gone in *absent {
            assert!(
                !a.spec
                    .entities
                    .iter()
                    .any(|x| x.name.contains(gone) || x.label.to_lowercase().contains(gone)),
                "{prompt}: {gone} should not be there: {:#?}",
                a.spec.entities
            );
        }
        assert!(
            a.reflection.iter().any(|n| n.starts_with("From your words")),
            "{prompt}: {:#?}",
            a.reflection
        );
    }
    let v = analyze("a volunteer shift scheduler for a food bank").spec;
    assert!(entity_like(&v, "volunteer").is_some(), "{:#?}", v.entities);
    let guests =
        analyze("wedding planner with guests (name, RSVP status, table number, dietary needs) and vendors").spec;
    assert!(entity_like(&guests, "vendor").is_some());
}

#[test]
fn other_languages_keep_their_words() {
    let de = analyze("Blutdrucktagebuch: Messungen mit systolisch, diastolisch, Puls und Uhrzeit").spec;
    let m = entity_like(&de, "messung").unwrap_or_else(|| panic!("{:#?}", de.entities));
    assert_eq!(m.label, "Messung");
    assert!(has_field_like(m, "puls", Some(FieldKind::Number)));
    assert!(
        has_field_like(m, "notizen", Some(FieldKind::LongText)),
        "assumed notes in German"
    );
    let fr = analyze("Suivi des factures de mes clients : numéro, montant, date d'échéance et statut").spec;
    let f = entity_like(&fr, "facture").unwrap_or_else(|| panic!("{:#?}", fr.entities));
    assert!(
        has_field_like(f, "date d'échéance", Some(FieldKind::Date)),
        "{:#?}",
        f.fields
    );
    let statut = f.fields.iter().find(|x| x.label == "Statut").map(|x| x.options.clone());
    assert_eq!(
        statut.unwrap_or_default(),
        ["Brouillon", "Envoyée", "Payée", "En retard"]
    );
    let es = analyze("Colección de vinos con añada, región, uva y botellas restantes").spec;
    let v = entity_like(&es, "vino").unwrap_or_else(|| panic!("{:#?}", es.entities));
    assert!(has_field_like(v, "botellas restantes", Some(FieldKind::Number)));
    assert!(
        v.fields.iter().any(|f| f.name == "anada"),
        "identifiers fold accents: {:#?}",
        v.fields
    );
}

#[test]
fn implied_relations_become_reference_fields() {
    for (prompt, from, to) in [
        (
            "photography portfolio: albums and photos with camera settings (ISO, aperture, shutter)",
            "photo",
            "album",
        ),
        (
            "track invoices for my clients: invoice number, amount, due date and status",
            "invoice",
            "client",
        ),
        (
            "a tool lending library: tools, borrowers and loans with due date",
            "loan",
            "borrower",
        ),
        (
            "Eine App für Rechnungen an Kunden mit Betrag und Status",
            "rechnung",
            "kunde",
        ),
    ] {
        let spec = analyze(prompt).spec;
        let f = entity_like(&spec, from).unwrap_or_else(|| panic!("{prompt}: {:#?}", spec.entities));
        let t = entity_like(&spec, to).unwrap_or_else(|| panic!("{prompt}: {:#?}", spec.entities));
        assert!(
            f.fields
                .iter()
                .any(|x| x.kind == FieldKind::Reference && x.entity.as_deref() == Some(t.name.as_str()) && !x.required),
            "{prompt}: {:#?}",
            f.fields
        );
        assert_ne!(
            f.fields[0].kind,
            FieldKind::Reference,
            "{prompt}: a reference is never the title"
        );
        let files = generate_all(&spec);
        let module = files.iter().find(|x| x.path == entity_module_path(&f.name)).cloned();
        let module = module.unwrap_or_else(|| file("missing.js", ""));
        assert!(module.content.contains("\"kind\":\"reference\""), "{}", module.content);
        assert_eq!(check_entity_module(&spec, &f.name, &module), Ok(()));
        let config = files
            .iter()
            .find(|x| x.path == "js/config.js")
            .map(|x| x.content.clone());
        assert!(config
            .unwrap_or_default()
            .contains(&format!("\"entity\":\"{}\"", t.name)));
    }
}

#[test]
fn references_are_checked_and_repaired() {
    let mut spec = analyze("photography portfolio: albums and photos").spec;
    let photo = spec.entities.iter().position(|e| e.name == "photo").unwrap_or(0);
    let module = entity_module(&spec, "photo");
    // A module that points the reference elsewhere is rejected.
    let wrong = GeneratedFile {
        content: module.content.replace("\"entity\":\"album\"", "\"entity\":\"photo\""),
        ..module.clone()
    };
    let p = check_entity_module(&spec, "photo", &wrong).err().unwrap_or_default();
    assert!(p.iter().any(|m| m.contains("must have entity \"album\"")), "{p:?}");
    // One that leaves the target out is fine: the shell takes it from the config.
    let bare = GeneratedFile {
        content: module.content.replace(",\"entity\":\"album\"", ""),
        ..module
    };
    assert_eq!(check_entity_module(&spec, "photo", &bare), Ok(()));

    // A model's spec whose reference points nowhere, or by label: reflection repairs it.
    spec.entities[photo].fields.push(FieldSpec {
        entity: Some("Albums".into()),
        ..field("in_album", FieldKind::Reference)
    });
    spec.entities[photo].fields.push(FieldSpec {
        entity: Some("ghost".into()),
        ..field("haunts", FieldKind::Reference)
    });
    spec.entities[photo].fields.push(FieldSpec {
        entity: Some("album".into()),
        ..field("caption", FieldKind::Text)
    });
    assert!(!spec.validate().is_empty());
    let r = reflect("photography portfolio: albums and photos", spec);
    assert_eq!(r.spec.validate(), Vec::<String>::new(), "{:#?}", r.reflection);
    let fields = &r.spec.entities[photo].fields;
    let get = |n: &str| fields.iter().find(|f| f.name == n).cloned();
    assert_eq!(get("in_album").and_then(|f| f.entity), Some("album".into()));
    assert_eq!(get("haunts").map(|f| f.kind), Some(FieldKind::Text));
    assert_eq!(get("caption").and_then(|f| f.entity), None);
}
