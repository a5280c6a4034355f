//! A page rendered for a person is sent again, as rendered, to the same person asking again
//! within [`PAGE_FRESH`], if nothing happened meanwhile. Rendering a dashboard page costs its
//! database reads and the Leptos render, about a millisecond of CPU; a person (or a wall
//! display, or a script) reloading it many times a second needs it rendered only once.
//!
//! A stored page is used only when all of these hold:
//! - the same person (its actor's id) asks for the same URL, with `GET`;
//! - it is younger than [`PAGE_FRESH`];
//! - the event bus's watermark has not moved since it was rendered: any change to a build,
//!   workflow, task or agent is an event, so a page never hides a change the bus has seen;
//! - the person has sent nothing but `GET`, `HEAD` and `OPTIONS` since: their own writes
//!   forget their pages at once, so "I just did it and it is not there" cannot happen.
//!
//! Only complete `200 text/html` answers that set no cookie are kept, at most
//! [`MAX_PAGES`] (past that the table is emptied). API answers, the bundle, previews and
//! `/ws` never pass through here. One consequence: each render's CSP nonce is reused for
//! the copies sent to the same person within that tenth of a second, never across people.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use domain::ids::{EventId, UserId};
use orchestrator::Actor;

use crate::{error::ApiError, state::AppState, telemetry::REQUEST_ID};

/// How long a rendered page is reused.
pub const PAGE_FRESH: Duration = Duration::from_millis(100);
/// Most pages kept.
const MAX_PAGES: usize = 1_000;
/// Largest page kept (a bigger one is sent, not kept).
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

struct Page {
    at: Instant,
    watermark: EventId,
    headers: HeaderMap,
    body: Bytes,
}

/// The pages, by person and URL.
#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<(UserId, String), Page>>,
}

impl PageCache {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<(UserId, String), Page>> {
        self.pages.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &(UserId, String), watermark: EventId) -> Option<Response> {
        let table = self.table();
        let page = table.get(key)?;
        if page.at.elapsed() >= PAGE_FRESH || page.watermark != watermark {
            return None;
        }
        let mut res = Response::new(Body::from(page.body.clone()));
        *res.headers_mut() = page.headers.clone();
        Some(res)
    }

    fn put(&self, key: (UserId, String), page: Page) {
        let mut table = self.table();
        if table.len() >= MAX_PAGES && !table.contains_key(&key) {
            table.retain(|_, p| p.at.elapsed() < PAGE_FRESH);
            if table.len() >= MAX_PAGES {
                table.clear();
            }
        }
        table.insert(key, page);
    }

    fn forget_person(&self, person: UserId) {
        self.table().retain(|(who, _), _| *who != person);
    }
}

/// Whether `path` is a dashboard page (rather than the API, a file, a preview or `/ws`).
fn is_page(path: &str) -> bool {
    !["/api/", "/pkg/", "/preview/", "/assets/"]
        .iter()
        .any(|p| path.starts_with(p))
        && !matches!(path, "/ws" | "/metrics" | "/healthz")
        && !path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

/// Middleware, inside the sign-in gate: see the module's header.
pub async fn pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(person) = req.extensions().get::<Actor>().map(Actor::id) else {
        return next.run(req).await;
    };
    let cache = &state.pages;
    if req.method() != Method::GET {
        if !matches!(*req.method(), Method::HEAD | Method::OPTIONS) {
            cache.forget_person(person);
        }
        return next.run(req).await;
    }
    if !is_page(req.uri().path()) || req.headers().contains_key(header::RANGE) {
        return next.run(req).await;
    }
    let key = (person, req.uri().to_string());
    let watermark = state.orchestrator.bus().watermark();
    if let Some(hit) = cache.get(&key, watermark) {
        return hit;
    }
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if res.status() != StatusCode::OK || !html || res.headers().contains_key(header::SET_COOKIE) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let body = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error.message = %e, "a page could not be read whole");
            return ApiError::Status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal".into(),
                "the page could not be rendered".into(),
            )
            .into_response();
        }
    };
    let mut headers = parts.headers.clone();
    headers.remove(&REQUEST_ID);
    cache.put(
        key,
        Page {
            at: Instant::now(),
            watermark,
            headers,
            body: body.clone(),
        },
    );
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_dashboard_routes_not_files_api_or_previews() {
        for p in [
            "/",
            "/builds",
            "/builds/6f1c9a52-3e1f-4a8e-9d43-8b7e2f0c1d55",
            "/metrics/x",
            "/account",
        ] {
            assert!(is_page(p), "{p}");
        }
        for p in [
            "/api/orchestrator/status",
            "/pkg/nexus-forge.js",
            "/preview/a/b/",
            "/ws",
            "/metrics",
            "/healthz",
            "/favicon.svg",
        ] {
            assert!(!is_page(p), "{p}");
        }
    }

    fn page(at: Instant, watermark: i64) -> Page {
        Page {
            at,
            watermark: EventId(watermark),
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"<h1>x</h1>"),
        }
    }

    #[test]
    fn a_page_is_reused_only_while_fresh_unchanged_and_for_the_same_person() {
        let cache = PageCache::default();
        let (ann, bob) = (UserId(uuid::Uuid::from_u128(1)), UserId(uuid::Uuid::from_u128(2)));
        cache.put((ann, "/".into()), page(Instant::now(), 7));
        assert!(cache.get(&(ann, "/".into()), EventId(7)).is_some());
        assert!(
            cache.get(&(bob, "/".into()), EventId(7)).is_none(),
            "never another person's page"
        );
        assert!(cache.get(&(ann, "/builds".into()), EventId(7)).is_none());
        assert!(
            cache.get(&(ann, "/".into()), EventId(8)).is_none(),
            "an event since: render again"
        );
        cache.forget_person(ann);
        assert!(
            cache.get(&(ann, "/".into()), EventId(7)).is_none(),
            "their own write forgets it"
        );
        cache.put((ann, "/".into()), page(Instant::now() - PAGE_FRESH, 7));
        assert!(cache.get(&(ann, "/".into()), EventId(7)).is_none(), "too old");
    }
}
