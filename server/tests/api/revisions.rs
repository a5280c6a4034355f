//! Revisions: a completed build changed by a sentence (`POST /api/nexus-forge/build/{id}/
//! iterate`) becomes the app's next revision, which reruns only the tasks whose inputs the
//! change touched and carries the rest over with their files; `…/diff` shows what changed.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::builds::{start, wait_done};
use crate::helpers::{person, spawn_app, TestApp};

async fn body(res: reqwest::Response) -> Value {
    res.json().await.expect("a JSON body")
}

async fn iterate(app: &TestApp, id: &str, prompt: &str) -> String {
    let res = app
        .post_json(
            &format!("/api/nexus-forge/build/{id}/iterate"),
            &json!({ "prompt": prompt }),
        )
        .await;
    let status = res.status();
    let b = body(res).await;
    assert_eq!(status, 202, "{b}");
    assert_eq!(b["status"], "queued");
    b["build_id"].as_str().unwrap().to_owned()
}

fn keys(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

/// Keys of the tasks that did work (not carried over).
fn ran(build: &Value) -> Vec<String> {
    build["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["output"]["reused"] != true)
        .map(|t| t["key"].as_str().unwrap().to_owned())
        .collect()
}

fn entity<'a>(build: &'a Value, name: &str) -> &'a Value {
    build["spec"]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no entity {name}: {}", build["spec"]))
}

async fn file(app: &TestApp, build: &Value, path: &str) -> String {
    let preview = build["preview_url"].as_str().unwrap();
    let res = app.get(&format!("{preview}{path}")).await;
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_field_reruns_its_entity_and_carries_the_rest_over(pool: PgPool) {
    let app = spawn_app(pool).await;
    let first = start(&app, "a recipe book with ingredients, favourites and a shopping list").await;
    let a = wait_done(&app, &first).await;
    assert_eq!(a["status"], "completed", "{a}");
    assert_eq!(a["revision"]["number"], 1);
    assert!(a["revision"]["parent_id"].is_null());
    assert!(
        !entity(&a, "recipe")["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "source"),
        "the recipe must not have the field yet for this test to mean anything"
    );

    let second = iterate(&app, &first, "add a source field to recipes").await;
    let b = wait_done(&app, &second).await;
    assert_eq!(b["status"], "completed", "{b}");
    let rev = &b["revision"];
    assert_eq!(rev["number"], 2);
    assert_eq!(rev["parent_id"], first.as_str());
    assert_eq!(rev["root_id"], first.as_str());
    assert_eq!(b["prompt"], "add a source field to recipes");
    let fields = entity(&b, "recipe")["fields"].as_array().unwrap();
    assert!(
        fields.iter().any(|f| f["name"] == "source" && f["label"] == "Source"),
        "{fields:?}"
    );
    assert!(
        keys(&rev["changes"])
            .iter()
            .any(|c| c == "Recipes: added the field Source (text)."),
        "{}",
        rev["changes"]
    );

    // The recipe module and the shell (whose config lists the fields) ran again; the
    // stylesheet, the art and the other entities' modules were carried over.
    let reused = keys(&rev["reused"]);
    let rerun = keys(&rev["rerun"]);
    for k in ["entity-recipe", "shell", "check", "assemble", "package"] {
        assert!(rerun.contains(&k.to_owned()), "{k} must run again: {rerun:?}");
    }
    for k in ["design", "assets"] {
        assert!(reused.contains(&k.to_owned()), "{k} must be reused: {reused:?}");
    }
    let others: Vec<String> = b["spec"]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] != "recipe")
        .map(|e| format!("entity-{}", e["name"].as_str().unwrap().replace('_', "-")))
        .collect();
    assert!(!others.is_empty(), "{}", b["spec"]);
    for k in &others {
        assert!(reused.contains(k), "{k} must be reused: {reused:?}");
    }
    // The graph says so too, and fewer tasks did work than in the first build.
    let marked: Vec<String> = b["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["output"]["reused"] == true)
        .map(|t| t["key"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = reused.clone();
    sorted.sort();
    let mut marked_sorted = marked;
    marked_sorted.sort();
    assert_eq!(marked_sorted, sorted);
    assert!(ran(&b).len() < ran(&a).len(), "{:?} vs {:?}", ran(&b), ran(&a));
    assert!(b["tasks"].as_array().unwrap().iter().any(|t| t["key"] == "revise"));

    // The app: every file is there, the carried-over ones byte for byte.
    let files = |v: &Value| -> Vec<(String, String)> {
        v["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_owned(),
                    f["sha256"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(
        fa.iter().map(|f| &f.0).collect::<Vec<_>>(),
        fb.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let same = |p: &str| fa.iter().find(|f| f.0 == p) == fb.iter().find(|f| f.0 == p);
    assert!(same("css/styles.css") && same("assets/logo.svg"));
    assert!(!same("js/entities/recipe.js") && !same("js/config.js"));
    let module = file(&app, &b, "js/entities/recipe.js").await;
    assert!(module.contains("\"source\""), "{module}");
    assert!(!file(&app, &a, "js/entities/recipe.js").await.contains("\"source\""));

    // The diff: the two changed files, as unified diffs.
    let d = body(app.get(&format!("/api/nexus-forge/build/{second}/diff")).await).await;
    assert_eq!(d["parent_id"], first.as_str());
    let changed: Vec<&str> = d["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        changed.contains(&"js/entities/recipe.js") && changed.contains(&"js/config.js"),
        "{changed:?}"
    );
    assert!(!changed.contains(&"css/styles.css"), "{changed:?}");
    let recipe = d["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "js/entities/recipe.js")
        .unwrap();
    assert_eq!(recipe["change"], "changed");
    assert!(recipe["added"].as_u64().unwrap() >= 1);
    let unified = recipe["unified"].as_str().unwrap();
    assert!(
        unified.starts_with("--- a/js/entities/recipe.js\n+++ b/js/entities/recipe.js\n"),
        "{unified}"
    );
    assert!(
        unified.lines().any(|l| l.starts_with('+') && l.contains("source")),
        "{unified}"
    );
    assert_eq!(d["unchanged"].as_u64().unwrap() as usize + changed.len(), fb.len());
    let none = body(app.get(&format!("/api/nexus-forge/build/{first}/diff")).await).await;
    assert!(none["parent_id"].is_null() && none["files"].as_array().unwrap().is_empty());

    // Both builds list the app's revisions; the list of builds shows the number.
    let a = body(app.get(&format!("/api/nexus-forge/build/{first}")).await).await;
    for v in [&a, &b] {
        let numbers: Vec<(i64, String)> = v["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["number"].as_i64().unwrap(),
                    r["build_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(numbers, [(1, first.clone()), (2, second.clone())]);
    }
    let list = body(app.get("/api/nexus-forge/builds").await).await;
    assert_eq!(list["builds"][0]["build_id"], second.as_str());
    assert_eq!(list["builds"][0]["revision"], 2);
    assert_eq!(list["builds"][1]["revision"], 1);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_colour_reruns_the_design_only_and_revisions_branch(pool: PgPool) {
    let app = spawn_app(pool).await;
    let first = start(&app, "a habit tracker with streaks, in blue").await;
    let a = wait_done(&app, &first).await;
    assert_eq!(a["status"], "completed", "{a}");
    let second = iterate(&app, &first, "make it green").await;
    let b = wait_done(&app, &second).await;
    assert_eq!(b["status"], "completed", "{b}");
    assert_ne!(b["spec"]["theme"]["primary"], a["spec"]["theme"]["primary"]);
    assert_eq!(b["spec"]["entities"], a["spec"]["entities"]);
    assert_eq!(b["spec"]["pages"], a["spec"]["pages"]);
    let generation = |v: &Value| -> Vec<String> {
        keys(&v["revision"]["rerun"])
            .into_iter()
            .filter(|k| !matches!(k.as_str(), "check" | "assemble" | "verify" | "package"))
            .collect()
    };
    // The stylesheet holds the colours, and only it: the logo and icons are coloured by it
    // (shown inline), so the art, the shell and every entity module are carried over.
    assert_eq!(generation(&b), ["design"], "{}", b["revision"]);
    assert_eq!(
        file(&app, &b, "assets/logo.svg").await,
        file(&app, &a, "assets/logo.svg").await,
        "the logo is carried over byte for byte"
    );
    let css = file(&app, &b, "css/styles.css").await;
    let primary = b["spec"]["theme"]["primary"].as_str().unwrap();
    assert!(css.contains(primary), "{primary} in the stylesheet");

    // A dark theme: the stylesheet, and the shell for the light/dark switch it brings.
    let third = iterate(&app, &second, "use a dark theme").await;
    let c = wait_done(&app, &third).await;
    assert_eq!(c["status"], "completed", "{c}");
    assert_eq!(c["spec"]["theme"]["mode"], "dark");
    assert!(c["spec"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "dark_mode"));
    assert_eq!(generation(&c), ["design", "shell"], "{}", c["revision"]);
    assert_eq!(c["revision"]["number"], 3);

    // Changing the first revision again branches: revision 4, made from 1.
    let fourth = iterate(&app, &first, "add a page for reminders").await;
    let d = wait_done(&app, &fourth).await;
    assert_eq!(d["status"], "completed", "{d}");
    assert_eq!(d["revision"]["number"], 4);
    assert_eq!(d["revision"]["parent_id"], first.as_str());
    assert_eq!(d["revision"]["root_id"], first.as_str());
    assert!(
        d["spec"]["pages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["kind"] == "list" && p["entity"] == "reminder"),
        "{}",
        d["spec"]["pages"]
    );
    assert_eq!(d["spec"]["theme"], a["spec"]["theme"], "made from revision 1, not 3");
    assert_eq!(d["revisions"].as_array().unwrap().len(), 4);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn iterating_refuses_what_it_cannot_do_with_a_message(pool: PgPool) {
    let config = crate::helpers::Config {
        offline_delay_ms: 300,
        ..crate::helpers::test_config(String::new())
    };
    let stranger = person(&pool, "stranger", false).await;
    let app = crate::helpers::spawn_app_with(config, pool).await;
    let id = start(&app, "a reading list with books and authors").await;
    let url = format!("/api/nexus-forge/build/{id}/iterate");
    // Still running: a conflict.
    let res = app.post_json(&url, &json!({ "prompt": "make it green" })).await;
    assert_eq!(res.status(), 409);
    let why = body(res).await;
    assert!(
        why["message"].as_str().unwrap().contains("only a completed build"),
        "{why}"
    );
    let done = wait_done(&app, &id).await;
    assert_eq!(done["status"], "completed");

    for (req, status, needle) in [
        (json!({ "prompt": "  " }), 400, "must not be empty"),
        (json!({}), 400, "must not be empty"),
        (json!({ "prompt": 7 }), 400, ""),
        (
            json!({ "prompt": "make it green", "config": { "provider": "claude" } }),
            400,
            "not configured",
        ),
        (json!({ "prompt": "hmm, not sure yet" }), 422, "nothing in"),
    ] {
        let res = app.post_json(&url, &req).await;
        assert_eq!(res.status(), status, "{req}");
        let b = body(res).await;
        assert!(b["message"].as_str().unwrap().contains(needle), "{req}: {b}");
    }
    let missing = uuid::Uuid::new_v4();
    let res = app
        .post_json(
            &format!("/api/nexus-forge/build/{missing}/iterate"),
            &json!({ "prompt": "make it green" }),
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        app.get(&format!("/api/nexus-forge/build/{missing}/diff"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.post_json("/api/nexus-forge/build/nope/iterate", &json!({ "prompt": "x" }))
            .await
            .status(),
        400
    );
    // Someone else's build is not there for them.
    let theirs = TestApp::client_for(&stranger);
    let res = theirs
        .post(app.url(&url))
        .json(&json!({ "prompt": "make it green" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = theirs
        .get(app.url(&format!("/api/nexus-forge/build/{id}/diff")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Nothing was made by any of it.
    let list = body(app.get("/api/nexus-forge/builds").await).await;
    assert_eq!(list["builds"].as_array().unwrap().len(), 1);
    app.stop().await;
}
