//! What every request passes before it reaches a handler (see [`Guard`]):
//!
//! - **Host**: a name this server answers to (`--public-url`'s host, localhost names, or an
//!   IP address); another name is refused 421, so a DNS-rebinding page gets nothing.
//! - **Origin**: a change (POST, PUT, PATCH, DELETE) and a `/ws` upgrade that carry an
//!   `Origin` must come from this server's own origin or an `--allowed-origin`;
//!   `Origin: null` (the sandboxed preview, a `data:` page) is refused 403. A change
//!   without `Origin` that a browser marks cross-site (`Sec-Fetch-Site`) is refused too.
//! - **JSON**: a change must be `Content-Type: application/json` (415 otherwise), which a
//!   cross-site form cannot send without a CORS preflight this server never grants.
//! - **NUL**: a query or JSON body holding a NUL character is a 400 (Postgres cannot store
//!   it), before any handler sees it.
//! - **Rates**: per address on every request, and per person once [`crate::auth`] knows
//!   them, through `governor`; over the limit is a 429 with `Retry-After`.
//! - **Headers**: `nosniff` and a referrer policy on everything; pages that set no CSP of
//!   their own (the dashboard sets one with a nonce) get a strict default with
//!   `frame-ancestors 'none'`.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use axum::{
    body::{to_bytes, Body},
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{
    clock::{Clock as _, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};
use orchestrator::Actor;

use crate::{auth::bearer, config::SecurityConfig, error::ApiError};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// The CSP of responses that set none: nothing inline, no framing.
const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// The request policy, made once at start-up from [`SecurityConfig`].
pub struct Guard {
    /// Host names (lowercase, without port) besides localhost names and IP addresses.
    hosts: Vec<String>,
    /// Origins (`scheme://host[:port]`) allowed to make changes; when empty, only the
    /// request's own host is.
    origins: Vec<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_person: DefaultKeyedRateLimiter<uuid::Uuid>,
}

/// `scheme://host[:port]` of a URL, lowercase, without a trailing slash or path.
pub fn origin_of(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) || authority.is_empty() {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    ))
}

/// The host part of `host[:port]` (IPv6 literals keep their brackets).
fn host_name(authority: &str) -> String {
    let a = authority.trim().to_ascii_lowercase();
    if a.starts_with('[') {
        return a.split(']').next().map(|h| format!("{h}]")).unwrap_or(a);
    }
    a.rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(a.clone(), |(h, _)| h.to_owned())
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl Guard {
    /// The policy for these settings.
    ///
    /// # Errors
    /// A `--public-url` or `--allowed-origin` that is not an http(s) URL.
    pub fn new(s: &SecurityConfig) -> Result<Self, String> {
        let mut origins = Vec::new();
        let mut hosts = Vec::new();
        for url in s
            .public_url
            .iter()
            .chain(&s.allowed_origin)
            .filter(|u| !u.trim().is_empty())
        {
            let o = origin_of(url)
                .ok_or_else(|| format!("{url:?} is not an http(s) URL such as https://forge.example.com"))?;
            hosts.push(host_name(o.split_once("://").map_or("", |(_, a)| a)));
            origins.push(o);
        }
        Ok(Self {
            hosts,
            origins,
            per_ip: RateLimiter::keyed(per_minute(s.rate_per_ip)),
            per_person: RateLimiter::keyed(per_minute(s.rate_per_person)),
        })
    }

    fn host_allowed(&self, authority: &str) -> bool {
        let h = host_name(authority);
        matches!(h.as_str(), "localhost" | "127.0.0.1" | "[::1]")
            || h.ends_with(".localhost")
            || h.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok()
            || self.hosts.contains(&h)
    }

    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let Some(o) = origin_of(origin) else {
            return false; // `null` and anything else that is not a URL
        };
        if self.origins.contains(&o) {
            return true;
        }
        // Without --public-url, the server's own origin is the request's host.
        self.origins.is_empty()
            && host.is_some_and(|h| {
                o.split_once("://")
                    .is_some_and(|(_, a)| a.eq_ignore_ascii_case(h.trim()))
            })
    }

    /// Forgets idle rate-limit keys.
    pub fn forget_idle(&self) {
        self.per_ip.retain_recent();
        self.per_person.retain_recent();
    }
}

fn too_many(what: &str, wait: Duration) -> Response {
    ApiError::Orchestrator(orchestrator::Error::limit(
        format!(
            "too many requests from {what}; try again in {} s",
            wait.as_secs().max(1)
        ),
        Some(wait),
    ))
    .into_response()
}

fn refuse(status: StatusCode, error: &str, message: &str) -> Response {
    ApiError::Status(status, error.to_owned(), message.to_owned()).into_response()
}

fn is_change(m: &Method) -> bool {
    matches!(*m, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

/// Whether JSON text holds a NUL: a raw 0 byte, or a `\u0000` escape (not itself escaped).
fn json_has_nul(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return true;
    }
    let mut i = 0;
    while i + 6 <= bytes.len() {
        if bytes[i] == b'\\' {
            if bytes[i + 1] == b'u' && bytes[i + 2..i + 6] == *b"0000" {
                return true;
            }
            i += 2; // skip the escaped character
        } else {
            i += 1;
        }
    }
    false
}

fn query_has_nul(query: &str) -> bool {
    query.contains('\0') || query.to_ascii_lowercase().contains("%00")
}

/// Middleware, outermost: host, origin, content type, NUL, the per-address rate, headers.
pub async fn check(State(guard): State<SharedGuard>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if !host.as_deref().is_some_and(|h| guard.host_allowed(h)) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "unknown_host",
            "this server does not answer to that host name; set --public-url to the address people use",
        );
    }
    if let Some(ip) = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    {
        if let Err(not_until) = guard.per_ip.check_key(&ip) {
            return too_many("your address", not_until.wait_time_from(DefaultClock::default().now()));
        }
    }
    let upgrade = req.headers().get(header::UPGRADE).is_some();
    let change = is_change(req.method());
    if change || upgrade {
        let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
        match origin {
            Some(o) if !guard.origin_allowed(o, host.as_deref()) => {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "cross_origin",
                    "requests from another site are refused; use the dashboard, or an API token without an Origin",
                );
            }
            Some(_) => {}
            None => {
                let site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok());
                if bearer(&req).is_none() && site.is_some_and(|s| s != "same-origin" && s != "none") {
                    return refuse(
                        StatusCode::FORBIDDEN,
                        "cross_origin",
                        "requests from another site are refused",
                    );
                }
            }
        }
    }
    if req.uri().query().is_some_and(query_has_nul) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the query holds a NUL character (%00), which cannot be stored",
        );
    }
    let req = if change {
        if !is_json(&req) {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send changes as JSON (Content-Type: application/json)",
            );
        }
        let (parts, body) = req.into_parts();
        let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
            Ok(b) => b,
            Err(_) => {
                return refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    &format!("the body may be at most {} KiB", MAX_BODY_BYTES / 1024),
                )
            }
        };
        if json_has_nul(&bytes) {
            return refuse(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the body holds a NUL character (\\u0000), which cannot be stored",
            );
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        h.entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(DEFAULT_CSP));
        h.entry(header::X_FRAME_OPTIONS)
            .or_insert(HeaderValue::from_static("DENY"));
    }
    res
}

/// Middleware, after [`crate::auth::identify`]: the per-person rate.
pub async fn per_person(State(guard): State<SharedGuard>, req: Request, next: Next) -> Response {
    if let Some(actor) = req.extensions().get::<Actor>() {
        if let Err(not_until) = guard.per_person.check_key(&actor.id().0) {
            return too_many("your account", not_until.wait_time_from(DefaultClock::default().now()));
        }
    }
    next.run(req).await
}

/// The guard as state.
pub type SharedGuard = Arc<Guard>;

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(public: Option<&str>) -> Guard {
        Guard::new(&SecurityConfig {
            public_url: public.map(str::to_owned),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn hosts_are_localhost_ip_or_the_public_name() {
        let g = guard(None);
        for h in [
            "localhost:3000",
            "127.0.0.1:3000",
            "[::1]:3000",
            "10.0.0.5",
            "app.localhost",
        ] {
            assert!(g.host_allowed(h), "{h}");
        }
        assert!(!g.host_allowed("evil.example:3000"));
        let g = guard(Some("https://Forge.Example.com/"));
        assert!(g.host_allowed("forge.example.com"));
        assert!(!g.host_allowed("forge.example.com.evil.net"));
    }

    #[test]
    fn origins_are_same_site_or_allowed() {
        let g = guard(None);
        assert!(g.origin_allowed("http://127.0.0.1:3000", Some("127.0.0.1:3000")));
        assert!(!g.origin_allowed("http://127.0.0.1:3001", Some("127.0.0.1:3000")));
        assert!(!g.origin_allowed("null", Some("127.0.0.1:3000")));
        assert!(!g.origin_allowed("https://evil.example", Some("127.0.0.1:3000")));
        let g = guard(Some("https://forge.example.com"));
        assert!(g.origin_allowed("https://forge.example.com", Some("forge.example.com")));
        assert!(!g.origin_allowed("http://forge.example.com", Some("forge.example.com")));
    }

    #[test]
    fn nul_is_found_in_json_and_queries() {
        assert!(json_has_nul(br#"{"prompt":"a\u0000b"}"#));
        assert!(json_has_nul(b"{\"p\":\"\0\"}"));
        assert!(!json_has_nul(br#"{"prompt":"a\\u0000b"}"#));
        assert!(!json_has_nul(br#"{"prompt":"\u00e9"}"#));
        assert!(query_has_nul("kind=%00"));
        assert!(!query_has_nul("kind=task."));
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(origin_of("HTTPS://A.b:8443/x/y").as_deref(), Some("https://a.b:8443"));
        assert_eq!(origin_of("ftp://a"), None);
        assert_eq!(origin_of("null"), None);
    }
}
