//! The bad-input sweep's cases and runner, shared by the test (`sweep.rs`) and the load
//! suite (`benches/load.rs`, which includes this file by path): every route in the OpenAPI
//! document (the REST API and the server functions), with odd ids in its path, odd query
//! strings and malformed bodies (broken and wrong-typed JSON, NUL bytes, invalid UTF-8, huge
//! and deeply nested bodies, numbers out of range).

use serde_json::{Map, Value};

/// What goes where a path parameter is.
const IDS: [&str; 12] = [
    "x",
    "0",
    "-1",
    "%00",
    "%FF%FE",
    "..",
    "%2e%2e%2fetc%2fpasswd",
    "00000000-0000-0000-0000-000000000000",
    "6f1c9a52-3e1f-4a8e-9d43-8b7e2f0c1d55",
    "%F0%9F%92%A9",
    "1e400",
    "a-very-long-id-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

/// Query strings sent with every read.
fn queries() -> Vec<String> {
    let mut q: Vec<String> = [
        "",
        "?limit=abc",
        "?limit=-1",
        "?limit=18446744073709551616",
        "?since=abc&until=-9223372036854775809",
        "?cursor=%FF%FE",
        "?cursor=not-a-cursor",
        "?build_id=%00&workflow_id=x&task_id=..",
        "?kind=%00&exclude_kind=a.b.c.d&agent=%F0%9F%92%A9",
        "?query[limit]=x&query[since]=-5&id=%00",
        "?window=1e400&bucket=0",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    q.push(format!("?{}", "a=1&".repeat(2_000)));
    q
}

/// Bodies sent with every change, as `application/json`.
fn bodies() -> Vec<Vec<u8>> {
    let mut b: Vec<Vec<u8>> = [
        "",
        "{",
        "null",
        "[]",
        "123",
        "\"text\"",
        "{}",
        r#"{"prompt": 5, "id": [], "name": {}, "topics": "x", "limit": "many", "config": "x"}"#,
        r#"{"prompt": "\u0000", "id": "\u0000", "name": "\u0000", "username": "\u0000", "password": "\u0000"}"#,
        r#"{"id": "99999999999999999999999", "limit": 1e308, "since": -9223372036854775809}"#,
        r#"{"prompt": "a todo app", "config": {"max_tokens": -1, "max_seconds": 1e20, "provider": "\u0000"}}"#,
        r#"{"name": "x", "capabilities": ["flying"], "max_concurrency": -3, "kind": "nope"}"#,
        r#"{"tasks": [{"id": "a", "dependencies": ["a"]}], "prompt": {"nested": true}}"#,
        r#"{"username": "'; drop table users; --", "password": "", "token": "%00"}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    b.push(b"{\"prompt\": \"\xff\xfe\xfd\", \"name\": \"\xc3\x28\"}".to_vec());
    b.push(format!("{{\"prompt\": \"{}\"}}", "x".repeat(3 * 1024 * 1024)).into_bytes());
    b.push("[".repeat(100_000).into_bytes());
    b.push(format!("{{\"id\": \"{}\"}}", "\\u0000".repeat(1_000)).into_bytes());
    b
}

/// Every URL for a path template: each `{param}` (or `{*rest}`) replaced by each odd id.
fn urls(template: &str) -> Vec<String> {
    if !template.contains('{') {
        return vec![template.to_owned()];
    }
    IDS.iter()
        .map(|id| {
            let mut out = String::new();
            let mut rest = template;
            while let Some(start) = rest.find('{') {
                let end = rest[start..].find('}').map_or(rest.len(), |e| start + e + 1);
                out.push_str(&rest[..start]);
                out.push_str(id);
                rest = &rest[end..];
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// Sends every case to the server at `base` (`http://host:port`) as the person `auth`
/// (`Bearer …`) from `origin`, for the routes of an OpenAPI document's `paths`. Returns how
/// many requests were sent and a line for each answered with a 5xx (or not answered).
pub(crate) async fn run(
    client: &reqwest::Client,
    base: &str,
    auth: &str,
    origin: &str,
    paths: &Map<String, Value>,
) -> (usize, Vec<String>) {
    let (queries, bodies) = (queries(), bodies());
    let mut cases = 0usize;
    let mut failures = Vec::new();
    for (template, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            let method: reqwest::Method = method.to_uppercase().parse().expect("a method");
            for url in urls(template) {
                let requests: Vec<reqwest::RequestBuilder> = if method == reqwest::Method::GET {
                    queries.iter().map(|q| client.get(format!("{base}{url}{q}"))).collect()
                } else {
                    bodies
                        .iter()
                        .map(|b| {
                            client
                                .request(method.clone(), format!("{base}{url}"))
                                .header("content-type", "application/json")
                                .body(b.clone())
                        })
                        .chain(std::iter::once(
                            client
                                .request(method.clone(), format!("{base}{url}"))
                                .header("content-type", "text/plain")
                                .body("prompt=a todo app"),
                        ))
                        .collect()
                };
                for req in requests {
                    let res = req.header("authorization", auth).header("origin", origin).send().await;
                    cases += 1;
                    match res {
                        Ok(res) if res.status().is_server_error() => {
                            let status = res.status();
                            let text = res.text().await.unwrap_or_default();
                            failures.push(format!("{method} {url}: {status} {}", &text[..text.len().min(200)]));
                        }
                        Ok(_) => {}
                        // A connection the server closed on an oversized body is not a 5xx.
                        Err(e) if e.is_request() || e.is_body() => {}
                        Err(e) => failures.push(format!("{method} {url}: {e}")),
                    }
                }
            }
        }
    }
    (cases, failures)
}
