//! Who is calling. [`identify`] runs on every request: an `Authorization: Bearer` token, or
//! else the browser session, becomes an [`Actor`] in the request's extensions (a bad or
//! revoked token is refused at once, never treated as anonymous). [`Caller`] is the
//! extractor every REST handler takes: no actor, a 401. Server functions read the same
//! extension (`app::api`). [`gate_pages`] sends a signed-out browser to sign in (or to
//! set-up on a fresh install) instead of rendering a page.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{header, request::Parts, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use domain::ids::UserId;
use orchestrator::{Actor, Client, Credential, Orchestrator};
use tower_sessions::Session;

use crate::{
    error::ApiError,
    sessions::{self, USER_KEY},
};

/// The caller of a REST handler; a request without one is answered 401.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Actor>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError::Unauthorized("sign in, or send an API token (Authorization: Bearer …)".into()))
    }
}

/// The client's address and user agent.
pub fn client_of(req: &Request) -> Client {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let ua = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    Client::new(addr, ua)
}

/// The bearer token of a request, if it sends one.
pub fn bearer(req: &Request) -> Option<&str> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Middleware: resolves the caller (token, else session) into an [`Actor`] extension.
pub async fn identify(
    State(orchestrator): State<Orchestrator>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    // The compiled site and the preview need nobody: skip the session and token lookups.
    let path = req.uri().path();
    if path.starts_with("/pkg/") || path.starts_with("/preview/") || path == "/healthz" && bearer(&req).is_none() {
        return next.run(req).await;
    }
    let client = client_of(&req);
    if let Some(token) = bearer(&req).map(str::to_owned) {
        match orchestrator.authenticate_token(&token, client).await {
            Ok(Some(actor)) => {
                req.extensions_mut().insert(actor);
            }
            Ok(None) => {
                return ApiError::Unauthorized("this API token is unknown or revoked".into()).into_response();
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
        return next.run(req).await;
    }
    let id = match session.get::<String>(USER_KEY).await {
        Ok(id) => id.and_then(|s| s.parse::<uuid::Uuid>().ok()).map(UserId),
        Err(e) => {
            tracing::warn!(error.message = %e, "cannot read the session");
            None
        }
    };
    if let Some(id) = id {
        match orchestrator.person(id).await {
            Ok(Some(person)) => {
                sessions::keep_alive(&session).await;
                req.extensions_mut().insert(Actor {
                    person,
                    client,
                    credential: Credential::Session,
                });
            }
            // The account is gone or disabled: forget it.
            Ok(None) => {
                let _ = session.flush().await;
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    next.run(req).await
}

/// Paths a signed-out browser may load: the sign-in pages, static files, the preview
/// (authorised by its link), health, and the API and `/metrics` (which answer 401 themselves).
fn public_path(path: &str) -> bool {
    matches!(
        path,
        "/sign-in" | "/setup" | "/sign-up" | "/healthz" | "/metrics" | "/favicon.ico" | "/favicon.svg"
    ) || ["/api/", "/pkg/", "/preview/", "/ws", "/assets/"]
        .iter()
        .any(|p| path.starts_with(p))
        || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

/// Middleware: a page load without a signed-in person goes to `/sign-in?next=…`, or to
/// `/setup` while nobody can sign in yet; `/setup` itself goes to `/sign-in` once set up.
pub async fn gate_pages(State(orchestrator): State<Orchestrator>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    let signed_in = req.extensions().get::<Actor>().is_some();
    if path == "/setup" {
        return match orchestrator.setup_needed().await {
            Ok(true) => next.run(req).await,
            Ok(false) => Redirect::to(if signed_in { "/" } else { "/sign-in" }).into_response(),
            Err(e) => ApiError::from(e).into_response(),
        };
    }
    if signed_in || public_path(&path) {
        return next.run(req).await;
    }
    match orchestrator.setup_needed().await {
        Ok(true) => Redirect::to("/setup").into_response(),
        Ok(false) => {
            let wanted = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let next_param: String = url_escape(wanted);
            (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/sign-in?next={next_param}"))],
            )
                .into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sign_in_pages_assets_and_the_api_are_public() {
        for p in [
            "/sign-in",
            "/setup",
            "/api/nexus-forge/builds",
            "/pkg/nexus-forge.wasm",
            "/preview/x/y/",
            "/ws",
            "/healthz",
        ] {
            assert!(public_path(p), "{p}");
        }
        for p in ["/", "/builds", "/builds/abc", "/agents", "/admin", "/account"] {
            assert!(!public_path(p), "{p}");
        }
    }

    #[test]
    fn next_is_escaped() {
        assert_eq!(url_escape("/builds?x=1&y=2"), "/builds%3Fx%3D1%26y%3D2");
    }
}
