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
//! One render at a time per page: a request that finds the same page (person, URL and
//! watermark) being rendered waits for that render instead of starting its own, so the
//! copies asked for while it renders cost nothing. Without this, every request that arrives
//! in the few milliseconds after a copy expires renders again, and under 50 connections
//! those renders queue behind each other (p99 34 ms at c=50, measured 2026-12-02). When the
//! render ends without a page to keep (an error, a cookie, the request given up), the
//! waiting requests render for themselves.
//!
//! Only complete `200 text/html` answers that set no cookie are kept, at most
//! [`MAX_PAGES`] (past that the table is emptied). API answers, the bundle, previews and
//! `/ws` never pass through here. One consequence: each render's CSP nonce is reused for
//! the copies sent to the same person within that tenth of a second, never across people.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
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
use tokio::sync::watch;

use crate::{error::ApiError, state::AppState, telemetry::REQUEST_ID};

/// How long a rendered page is reused.
pub const PAGE_FRESH: Duration = Duration::from_millis(100);
/// Most pages kept.
const MAX_PAGES: usize = 1_000;
/// Largest page kept (a bigger one is sent, not kept).
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
struct Page {
    at: Instant,
    watermark: EventId,
    headers: HeaderMap,
    body: Bytes,
}

impl Page {
    fn response(&self) -> Response {
        let mut res = Response::new(Body::from(self.body.clone()));
        *res.headers_mut() = self.headers.clone();
        res
    }
}

type Key = (UserId, String);

/// A render under way: the watermark it started at, and where its page will appear (its
/// channel also tells it from a later render of the same key).
struct Rendering {
    watermark: EventId,
    page: watch::Receiver<Option<Page>>,
}

#[derive(Default)]
struct Tables {
    pages: HashMap<Key, Page>,
    rendering: HashMap<Key, Rendering>,
}

/// The pages, by person and URL, and the renders under way.
#[derive(Default)]
pub struct PageCache {
    tables: Mutex<Tables>,
}

/// What a request for a page does.
enum Lookup {
    /// Send this copy.
    Hit(Response),
    /// Wait for the render under way.
    Wait(watch::Receiver<Option<Page>>),
    /// Render it, and hand the page to whoever waits.
    Render(Renderer),
}

/// The one render of a page; dropping it unfinished lets the waiting requests go.
struct Renderer {
    cache: Arc<PageCache>,
    key: Key,
    page: watch::Sender<Option<Page>>,
}

impl Renderer {
    fn finish(self, page: Page) {
        self.cache.put(self.key.clone(), page.clone());
        self.page.send_replace(Some(page));
    }
}

impl Drop for Renderer {
    fn drop(&mut self) {
        let mut t = self.cache.table();
        let mine = self.page.subscribe();
        if t.rendering.get(&self.key).is_some_and(|r| r.page.same_channel(&mine)) {
            t.rendering.remove(&self.key);
        }
    }
}

impl PageCache {
    fn table(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fresh(t: &Tables, key: &Key, watermark: EventId) -> Option<Response> {
        let page = t.pages.get(key)?;
        (page.at.elapsed() < PAGE_FRESH && page.watermark == watermark).then(|| page.response())
    }

    #[cfg(test)]
    fn get(&self, key: &Key, watermark: EventId) -> Option<Response> {
        Self::fresh(&self.table(), key, watermark)
    }

    fn lookup(self: &Arc<Self>, key: Key, watermark: EventId) -> Lookup {
        let mut t = self.table();
        if let Some(hit) = Self::fresh(&t, &key, watermark) {
            return Lookup::Hit(hit);
        }
        if let Some(r) = t.rendering.get(&key).filter(|r| r.watermark == watermark) {
            return Lookup::Wait(r.page.clone());
        }
        let (tx, rx) = watch::channel(None);
        t.rendering.insert(key.clone(), Rendering { watermark, page: rx });
        Lookup::Render(Renderer {
            cache: self.clone(),
            key,
            page: tx,
        })
    }

    fn put(&self, key: Key, page: Page) {
        let mut t = self.table();
        if t.pages.len() >= MAX_PAGES && !t.pages.contains_key(&key) {
            t.pages.retain(|_, p| p.at.elapsed() < PAGE_FRESH);
            if t.pages.len() >= MAX_PAGES {
                t.pages.clear();
            }
        }
        t.pages.insert(key, page);
    }

    fn forget_person(&self, person: UserId) {
        let mut t = self.table();
        t.pages.retain(|(who, _), _| *who != person);
        // A render that started before the write may show the page without it.
        t.rendering.retain(|(who, _), _| *who != person);
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

/// Waits for another request's render of the page; `None` when it ended without one.
async fn wait(mut page: watch::Receiver<Option<Page>>) -> Option<Response> {
    loop {
        if let Some(p) = page.borrow_and_update().as_ref() {
            return Some(p.response());
        }
        page.changed().await.ok()?;
    }
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
    let watermark = state.orchestrator.bus().watermark();
    let key = (person, req.uri().to_string());
    let renderer = match cache.lookup(key.clone(), watermark) {
        Lookup::Hit(hit) => return hit,
        Lookup::Wait(page) => match wait(page).await {
            Some(res) => return res,
            None => None,
        },
        Lookup::Render(r) => Some(r),
    };
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
    let page = Page {
        at: Instant::now(),
        watermark,
        headers,
        body: body.clone(),
    };
    match renderer {
        Some(r) => r.finish(page),
        None => cache.put(key, page),
    }
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

    fn rendering(l: Lookup) -> Renderer {
        match l {
            Lookup::Render(r) => r,
            _ => panic!("expected to be asked to render"),
        }
    }

    fn waiting(l: Lookup) -> watch::Receiver<Option<Page>> {
        match l {
            Lookup::Wait(w) => w,
            _ => panic!("expected to wait for the render under way"),
        }
    }

    #[tokio::test]
    async fn a_page_being_rendered_is_awaited_not_rendered_again() {
        let cache = Arc::new(PageCache::default());
        let ann = UserId(uuid::Uuid::from_u128(1));
        let first = rendering(cache.lookup((ann, "/".into()), EventId(7)));
        let second = waiting(cache.lookup((ann, "/".into()), EventId(7)));
        let third = waiting(cache.lookup((ann, "/".into()), EventId(7)));
        // Another URL, another person or a newer watermark is a render of its own.
        let _other = rendering(cache.lookup((ann, "/builds".into()), EventId(7)));
        let _bob = rendering(cache.lookup((UserId(uuid::Uuid::from_u128(2)), "/".into()), EventId(7)));
        let _newer = rendering(cache.lookup((ann, "/".into()), EventId(8)));

        let waiter = tokio::spawn(wait(second));
        first.finish(page(Instant::now(), 7));
        let res = waiter.await.unwrap().expect("the render's page");
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"<h1>x</h1>");
        assert!(wait(third).await.is_some(), "a waiter that looks late still gets it");
        assert!(matches!(cache.lookup((ann, "/".into()), EventId(7)), Lookup::Hit(_)));
    }

    #[tokio::test]
    async fn a_render_given_up_lets_its_waiters_render_and_the_next_request_renders() {
        let cache = Arc::new(PageCache::default());
        let ann = UserId(uuid::Uuid::from_u128(1));
        let first = rendering(cache.lookup((ann, "/".into()), EventId(7)));
        let second = waiting(cache.lookup((ann, "/".into()), EventId(7)));
        drop(first);
        assert!(wait(second).await.is_none());
        let again = rendering(cache.lookup((ann, "/".into()), EventId(7)));

        // The person's own write forgets the render under way too: it may predate the write.
        cache.forget_person(ann);
        let after_write = rendering(cache.lookup((ann, "/".into()), EventId(7)));
        drop(again); // the older render ending does not forget the newer one
        let _ = waiting(cache.lookup((ann, "/".into()), EventId(7)));
        drop(after_write);
    }
}
