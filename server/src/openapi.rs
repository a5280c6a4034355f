//! The OpenAPI 3.1 document of the REST API (`GET /api/openapi.json`) and a page that shows it
//! (`GET /api/reference`, linked from the dashboard's footer).
//!
//! The schemas are generated from the very types the handlers take and return (`domain`'s
//! DTOs and the routes' query types, through `schemars`, whose JSON Schema 2020-12 is
//! OpenAPI 3.1's dialect), so they cannot drift from the code. What a route is for, its
//! parameters and statuses are written here, next to each other, once per route; the tests
//! compare this list with the router's routes, so a route cannot be added without it.
//! Server functions are listed from Leptos' registry with their stable paths
//! (`/api/fn/<name>`), so none is missing either.

use axum::{
    http::header,
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use domain::api::{
    BuildDiff, BuildView, BuildsPage, DecomposeRequest, DecomposeResponse, ErrorBody, EventQuery, EventsPage,
    ExecuteRequest, Health, IterateRequest, OrchestratorStatus, RegisterAgentResponse, StartBuildRequest,
    StartBuildResponse, WorkflowView,
};
use schemars::{generate::SchemaSettings, JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::{
    routes::{builds::ListQuery as BuildListQuery, orchestrator},
    state::AppState,
};

/// `/api/openapi.json` and `/api/reference`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/reference", get(reference))
}

/// One operation, before it is written out.
struct Op {
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    /// Parameters (path and query), already as OpenAPI objects.
    params: Vec<Value>,
    /// The JSON body's schema.
    body: Option<Value>,
    /// The success status, what it means, and its content (media type, schema).
    ok: (u16, &'static str, Option<(&'static str, Value)>),
    /// Whether it needs a signed-in person (bearer token or session).
    signed_in: bool,
}

/// Collects schemas under `#/components/schemas`.
struct Schemas(SchemaGenerator);

impl Schemas {
    fn new() -> Self {
        Self(
            SchemaSettings::draft2020_12()
                .with(|s| s.definitions_path = "/components/schemas".into())
                .into_generator(),
        )
    }

    /// A reference to `T`'s schema.
    fn of<T: JsonSchema>(&mut self) -> Value {
        self.0.subschema_for::<T>().to_value()
    }

    /// `T`'s fields as query parameters (its properties, each optional unless required).
    fn query<T: JsonSchema>(&mut self) -> Vec<Value> {
        let schema = self.0.root_schema_for::<T>().to_value();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        schema["properties"]
            .as_object()
            .map(|props| {
                props
                    .iter()
                    .map(|(name, p)| {
                        let mut p = p.clone();
                        let description = p.as_object_mut().and_then(|o| o.remove("description"));
                        json!({
                            "name": name,
                            "in": "query",
                            "required": required.contains(&name.as_str()),
                            "description": description.unwrap_or(Value::Null),
                            "schema": p,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn path_param(name: &str, description: &str, uuid: bool) -> Value {
    let schema = if uuid {
        json!({ "type": "string", "format": "uuid" })
    } else {
        json!({ "type": "string" })
    };
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": schema })
}

const JSON: &str = "application/json";

/// Every REST operation. `document` writes them out; the tests compare them with the router.
fn operations(s: &mut Schemas) -> Vec<Op> {
    let build_id = || path_param("id", "A build id.", true);
    let workflow_id = || path_param("id", "A workflow id.", true);
    let preview = || {
        vec![
            path_param("id", "A build id.", true),
            path_param("cap", "The signed part of the link `preview_url` gives.", false),
        ]
    };
    vec![
        Op {
            method: "post",
            path: "/api/nexus-forge/build",
            tag: "builds",
            summary: "Start a build from a prompt",
            params: vec![],
            body: Some(s.of::<StartBuildRequest>()),
            ok: (202, "Accepted: queued", Some((JSON, s.of::<StartBuildResponse>()))),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/nexus-forge/build/{id}",
            tag: "builds",
            summary: "A build with its spec, tasks, files and preview link",
            params: vec![build_id()],
            body: None,
            ok: (200, "The build", Some((JSON, s.of::<BuildView>()))),
            signed_in: true,
        },
        Op {
            method: "post",
            path: "/api/nexus-forge/build/{id}/cancel",
            tag: "builds",
            summary: "Cancel a build",
            params: vec![build_id()],
            body: None,
            ok: (202, "Cancelling", Some((JSON, s.of::<BuildView>()))),
            signed_in: true,
        },
        Op {
            method: "post",
            path: "/api/nexus-forge/build/{id}/iterate",
            tag: "builds",
            summary: "Change a completed build: a new revision of the same app, rerunning only what the change touches",
            params: vec![build_id()],
            body: Some(s.of::<IterateRequest>()),
            ok: (
                202,
                "Accepted: the revision is queued",
                Some((JSON, s.of::<StartBuildResponse>())),
            ),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/nexus-forge/build/{id}/diff",
            tag: "builds",
            summary: "The files a revision changed, as unified diffs against its parent",
            params: vec![build_id()],
            body: None,
            ok: (200, "The diff", Some((JSON, s.of::<BuildDiff>()))),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/nexus-forge/build/{id}/download",
            tag: "builds",
            summary: "The generated app as a zip",
            params: vec![build_id()],
            body: None,
            ok: (
                200,
                "The zip",
                Some((
                    "application/zip",
                    json!({ "type": "string", "contentMediaType": "application/zip" }),
                )),
            ),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/nexus-forge/build/{id}/screenshots/{name}",
            tag: "builds",
            summary: "A page of the app as the browser check saw it (names in the build's verify.screenshots)",
            params: vec![
                build_id(),
                path_param("name", "The screenshot, e.g. `phone.png`", false),
            ],
            body: None,
            ok: (
                200,
                "The PNG",
                Some((
                    "image/png",
                    json!({ "type": "string", "contentMediaType": "image/png" }),
                )),
            ),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/nexus-forge/builds",
            tag: "builds",
            summary: "Your builds, newest first",
            params: s.query::<BuildListQuery>(),
            body: None,
            ok: (200, "A page of builds", Some((JSON, s.of::<BuildsPage>()))),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/preview/{id}/{cap}",
            tag: "preview",
            summary: "The live preview (redirects to the folder)",
            params: preview(),
            body: None,
            ok: (308, "To `/preview/{id}/{cap}/`", None),
            signed_in: false,
        },
        Op {
            method: "get",
            path: "/preview/{id}/{cap}/",
            tag: "preview",
            summary: "The live preview's index.html, sandboxed",
            params: preview(),
            body: None,
            ok: (200, "The page", Some(("text/html", json!({ "type": "string" })))),
            signed_in: false,
        },
        Op {
            method: "get",
            path: "/preview/{id}/{cap}/{path}",
            tag: "preview",
            summary: "A file of the live preview, sandboxed",
            params: {
                let mut p = preview();
                p.push(path_param("path", "The file's path in the app.", false));
                p
            },
            body: None,
            ok: (
                200,
                "The file",
                Some(("application/octet-stream", json!({ "type": "string" }))),
            ),
            signed_in: false,
        },
        Op {
            method: "get",
            path: "/api/orchestrator/status",
            tag: "orchestrator",
            summary: "Agents, workflows and tasks by state, queue, throughput (admins)",
            params: vec![],
            body: None,
            ok: (200, "The status", Some((JSON, s.of::<OrchestratorStatus>()))),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/orchestrator/agents",
            tag: "agents",
            summary: "Registered agents with their live state",
            params: vec![],
            body: None,
            ok: (200, "The agents", Some((JSON, s.of::<orchestrator::Agents>()))),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/orchestrator/providers",
            tag: "agents",
            summary: "The model providers' health: reachable, models, context size (asks each server)",
            params: vec![],
            body: None,
            ok: (200, "The providers", Some((JSON, s.of::<domain::api::ProvidersView>()))),
            signed_in: true,
        },
        Op {
            method: "post",
            path: "/api/orchestrator/agents/register",
            tag: "agents",
            summary: "Register (or update) an agent (admins)",
            params: vec![],
            body: Some(s.of::<domain::agent::RegisterAgentRequest>()),
            ok: (201, "Registered", Some((JSON, s.of::<RegisterAgentResponse>()))),
            signed_in: true,
        },
        Op {
            method: "delete",
            path: "/api/orchestrator/agents/{name}",
            tag: "agents",
            summary: "Remove an agent (admins)",
            params: vec![path_param("name", "The agent's name.", false)],
            body: None,
            ok: (204, "Removed", None),
            signed_in: true,
        },
        Op {
            method: "post",
            path: "/api/orchestrator/tasks/decompose",
            tag: "workflows",
            summary: "Plan a description as a validated task DAG (a workflow, not started)",
            params: vec![],
            body: Some(s.of::<DecomposeRequest>()),
            ok: (201, "Planned", Some((JSON, s.of::<DecomposeResponse>()))),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/orchestrator/workflows",
            tag: "workflows",
            summary: "Your workflows, newest first",
            params: s.query::<orchestrator::ListQuery>(),
            body: None,
            ok: (
                200,
                "A page of workflows",
                Some((JSON, s.of::<orchestrator::Workflows>())),
            ),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/orchestrator/workflows/{id}",
            tag: "workflows",
            summary: "A workflow with its tasks",
            params: vec![workflow_id()],
            body: None,
            ok: (200, "The workflow", Some((JSON, s.of::<WorkflowView>()))),
            signed_in: true,
        },
        Op {
            method: "post",
            path: "/api/orchestrator/workflows/{id}/execute",
            tag: "workflows",
            summary: "Run a planned workflow (the body is optional)",
            params: vec![workflow_id()],
            body: Some(s.of::<ExecuteRequest>()),
            ok: (202, "Running", Some((JSON, s.of::<WorkflowView>()))),
            signed_in: true,
        },
        Op {
            method: "post",
            path: "/api/orchestrator/workflows/{id}/cancel",
            tag: "workflows",
            summary: "Cancel a workflow",
            params: vec![workflow_id()],
            body: None,
            ok: (202, "Cancelling", Some((JSON, s.of::<WorkflowView>()))),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/coordination/events",
            tag: "events",
            summary: "Coordination events you may see, oldest first",
            params: s.query::<EventQuery>(),
            body: None,
            ok: (200, "A page of events", Some((JSON, s.of::<EventsPage>()))),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/healthz",
            tag: "operations",
            summary: "Whether the server and its database answer (503 when the database does not)",
            params: vec![],
            body: None,
            ok: (200, "Healthy", Some((JSON, s.of::<Health>()))),
            signed_in: false,
        },
        Op {
            method: "get",
            path: "/metrics",
            tag: "operations",
            summary: "Prometheus metrics (admins; open on --metrics-listen)",
            params: vec![],
            body: None,
            ok: (
                200,
                "Prometheus text format",
                Some(("text/plain", json!({ "type": "string" }))),
            ),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/ws",
            tag: "live",
            summary: "The live feed: a WebSocket (see the README's protocol); resumes from `last_event_id`",
            params: vec![],
            body: None,
            ok: (101, "Switching to the WebSocket protocol", None),
            signed_in: true,
        },
        Op {
            method: "get",
            path: "/api/openapi.json",
            tag: "operations",
            summary: "This document",
            params: vec![],
            body: None,
            ok: (200, "OpenAPI 3.1", Some((JSON, json!({ "type": "object" })))),
            signed_in: false,
        },
        Op {
            method: "get",
            path: "/api/reference",
            tag: "operations",
            summary: "This document as a page",
            params: vec![],
            body: None,
            ok: (200, "HTML", Some(("text/html", json!({ "type": "string" })))),
            signed_in: false,
        },
    ]
}

/// The `(method, path)` of every documented REST operation, for the route-coverage test.
pub fn documented_routes() -> Vec<(&'static str, &'static str)> {
    operations(&mut Schemas::new())
        .into_iter()
        .map(|op| (op.method, op.path))
        .collect()
}

/// The document, made once: the routes, the types and the registered server functions do not
/// change while the process runs.
fn cached() -> &'static Value {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOC.get_or_init(document)
}

/// The whole document.
pub fn document() -> Value {
    let mut s = Schemas::new();
    let error = s.of::<ErrorBody>();
    let mut paths = Map::new();
    for op in operations(&mut s) {
        let mut responses = Map::new();
        let mut ok = json!({ "description": op.ok.1 });
        if let Some((media, schema)) = op.ok.2 {
            ok["content"] = json!({ media: { "schema": schema } });
        }
        responses.insert(op.ok.0.to_string(), ok);
        responses.insert(
            "default".into(),
            json!({
                "description": "An error: 4xx for what the request got wrong (its message says what), 5xx for the server's trouble",
                "content": { JSON: { "schema": error.clone() } },
            }),
        );
        let mut operation = json!({
            "tags": [op.tag],
            "summary": op.summary,
            "operationId": operation_id(op.method, op.path),
            "responses": responses,
        });
        if !op.params.is_empty() {
            operation["parameters"] = Value::Array(op.params);
        }
        if let Some(body) = op.body {
            operation["requestBody"] = json!({
                "required": op.method != "post" || !op.path.ends_with("/execute"),
                "content": { JSON: { "schema": body } },
            });
        }
        if !op.signed_in {
            operation["security"] = json!([]);
        }
        paths
            .entry(op.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is an object")
            .insert(op.method.into(), operation);
    }
    for (path, method) in server_functions() {
        let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
        let m = method.to_lowercase();
        let mut operation = json!({
            "tags": ["server functions"],
            "summary": format!("The dashboard's server function `{name}`"),
            "description": "Called by the dashboard. Arguments go as JSON (POST) or as a query string (GET); the answer is JSON. Reads are GET, changes are POST with a JSON body.",
            "operationId": format!("fn_{name}"),
            "responses": {
                "200": { "description": "The function's result", "content": { JSON: { "schema": {} } } },
                "default": { "description": "An error", "content": { JSON: { "schema": {} } } },
            },
        });
        if m == "post" {
            operation["requestBody"] = json!({ "content": { JSON: { "schema": { "type": "object" } } } });
        }
        paths
            .entry(path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is an object")
            .insert(m, operation);
    }
    let schemas = s.0.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Nexus Forge",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Type the app you want; a team of AI agents builds it. Every change is a JSON request from a signed-in person (a bearer token from the Account page, or the dashboard's session) and, from a browser, from this server's own origin.",
            "license": { "name": "MIT", "identifier": "MIT" },
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }, { "session": [] }],
        "tags": [
            { "name": "builds", "description": "Prompt to app" },
            { "name": "preview", "description": "The generated app, sandboxed; authorised by its signed link" },
            { "name": "agents" },
            { "name": "workflows" },
            { "name": "events" },
            { "name": "orchestrator" },
            { "name": "live" },
            { "name": "operations" },
            { "name": "server functions", "description": "The dashboard's calls, at stable paths" },
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API token (`nf_…`) from the Account page, or `nexus-forge admin create-token`." },
                "session": { "type": "apiKey", "in": "cookie", "name": "nf_session", "description": "The dashboard's session, after signing in." },
            },
        },
    })
}

/// `post_api_nexus-forge_build_{id}` → `post_api_nexus_forge_build_id`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_owned();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        id.push('_');
        id.extend(part.chars().filter(|c| !matches!(c, '{' | '}')).map(|c| {
            if c.is_ascii_alphanumeric() {
                c
            } else {
                '_'
            }
        }));
    }
    if path.ends_with('/') {
        id.push_str("_index");
    }
    id
}

/// The registered server functions, sorted: `(path, method)`.
pub fn server_functions() -> Vec<(String, String)> {
    let mut fns: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), method.as_str().to_owned()))
        .collect();
    fns.sort();
    fns
}

/// `/api/openapi.json`: serialised once, like the document itself.
async fn openapi_json() -> Response {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let text = TEXT.get_or_init(|| cached().to_string());
    ([(header::CONTENT_TYPE, JSON)], text.as_str()).into_response()
}

/// `/api/reference`: the page, made once.
async fn reference() -> Response {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let page = PAGE.get_or_init(|| reference_page(cached()));
    ([(header::CACHE_CONTROL, "no-cache")], Html(page.as_str())).into_response()
}

/// The document as a page: every operation with its parameters, body and answer, and every
/// schema, without any script (the dashboard's CSP applies).
fn reference_page(doc: &Value) -> String {
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>Nexus Forge API reference</title><link rel=\"icon\" type=\"image/svg+xml\" href=\"/favicon.svg\"><link rel=\"stylesheet\" href=\"/pkg/nexus-forge.css\"></head>\
         <body class=\"api-reference\"><main class=\"page\"><h1>Nexus Forge API</h1>\
         <p>The REST API and the dashboard's server functions. The machine-readable document is \
         <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1). <a href=\"/\">Back to the dashboard</a></p>",
    );
    let empty = Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    html.push_str("<section><h2>Operations</h2>");
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap_or(&empty) {
            html.push_str(&format!(
                "<details class=\"op\" id=\"{}\"><summary><code class=\"method\">{}</code> <code>{}</code> — {}</summary>",
                esc(op["operationId"].as_str().unwrap_or("")),
                esc(&method.to_uppercase()),
                esc(path),
                esc(op["summary"].as_str().unwrap_or("")),
            ));
            if let Some(d) = op["description"].as_str() {
                html.push_str(&format!("<p>{}</p>", esc(d)));
            }
            if let Some(params) = op["parameters"].as_array() {
                html.push_str("<table><thead><tr><th>parameter</th><th>in</th><th>what</th></tr></thead><tbody>");
                for p in params {
                    html.push_str(&format!(
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                        esc(p["name"].as_str().unwrap_or("")),
                        esc(p["in"].as_str().unwrap_or("")),
                        esc(p["description"].as_str().unwrap_or("")),
                    ));
                }
                html.push_str("</tbody></table>");
            }
            if let Some(body) = op["requestBody"]["content"][JSON]["schema"].as_object() {
                html.push_str(&format!("<p>Body: {}</p>", schema_link(&Value::Object(body.clone()))));
            }
            for (status, r) in op["responses"].as_object().unwrap_or(&empty) {
                let schema = r["content"]
                    .as_object()
                    .and_then(|c| c.values().next())
                    .map(|m| &m["schema"]);
                html.push_str(&format!(
                    "<p><code>{}</code> {} {}</p>",
                    esc(status),
                    esc(r["description"].as_str().unwrap_or("")),
                    schema.map(schema_link).unwrap_or_default(),
                ));
            }
            html.push_str("</details>");
        }
    }
    html.push_str("</section><section><h2>Schemas</h2>");
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap_or(&empty) {
        html.push_str(&format!(
            "<details class=\"schema\" id=\"schema-{}\"><summary><code>{}</code></summary><pre>{}</pre></details>",
            esc(name),
            esc(name),
            esc(&serde_json::to_string_pretty(schema).unwrap_or_default()),
        ));
    }
    html.push_str("</section></main></body></html>");
    html
}

/// A link to the schema a `$ref` names, or the schema's type.
fn schema_link(schema: &Value) -> String {
    match schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        Some(name) => format!("<a href=\"#schema-{0}\"><code>{0}</code></a>", esc(name)),
        None => schema["type"]
            .as_str()
            .map(|t| format!("<code>{}</code>", esc(t)))
            .unwrap_or_default(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_resolves_and_ids_are_unique() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for r in text.split("\"$ref\":\"").skip(1) {
            let target = &r[..r.find('"').unwrap()];
            let name = target
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("a reference outside the components: {target}"));
            assert!(schemas.contains_key(name), "{name} is referenced but not defined");
        }
        let mut ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .map(|op| op["operationId"].as_str().unwrap())
            .collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "operation ids repeat");
        assert!(schemas.contains_key("BuildView") && schemas.contains_key("ErrorBody"));
    }

    #[test]
    fn a_page_query_becomes_optional_parameters() {
        let params = Schemas::new().query::<EventQuery>();
        let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"since") && names.contains(&"build_id") && names.contains(&"agent"));
        assert!(params.iter().all(|p| p["required"] == false && p["in"] == "query"));
    }

    #[test]
    fn operation_ids_are_plain() {
        assert_eq!(
            operation_id("post", "/api/nexus-forge/build/{id}/cancel"),
            "post_api_nexus_forge_build_id_cancel"
        );
        assert_eq!(operation_id("get", "/preview/{id}/{cap}/"), "get_preview_id_cap_index");
    }
}
