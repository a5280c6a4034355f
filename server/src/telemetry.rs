//! Logs and request ids.
//!
//! Logs go to stderr through `tracing`, filtered by `--log`, as text for a terminal or, with
//! `--log-format json` (`NF_LOG_FORMAT=json`), one JSON object per line for a log collector,
//! with the span fields (`request_id`, `method`, `uri`; `task`, `build`, `agent`, `kind` for
//! a task's lines) on every event.
//!
//! Every request gets an id ([`request_ids`]): the caller's `x-request-id` when it is a
//! short token (at most 64 of `A-Z a-z 0-9 - _ .`), else a fresh UUID. It is in the response's
//! `x-request-id` header, in the request's log span, and in every REST error body
//! ([`request_id`]), so a person can quote it and an operator can find the log line.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber; a bad filter falls back to `info` with a warning.
pub fn init(filter: &str, format: LogFormat) {
    let (filter, bad) = match EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new("info"), Some(e)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    if let Some(e) = bad {
        tracing::warn!("ignoring the log filter: {e}");
    }
}

/// The header that carries a request's id, both ways.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being handled, when called inside one.
pub fn request_id() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Whether a caller's id is safe to keep (it ends up in logs and headers).
fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Gives the request its id (the caller's, if acceptable), makes it [`request_id`] while the
/// request is handled, and returns it in the response header.
pub async fn request_ids(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert(REQUEST_ID.clone(), value.clone());
    let mut response = CURRENT.scope(id, next.run(req)).await;
    response.headers_mut().insert(REQUEST_ID.clone(), value);
    response
}

/// The log span of a request: its id, method and path (never the query, which may carry a
/// cursor or a name).
pub fn request_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", request_id = %id, method = %req.method(), uri = %req.uri().path())
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(acceptable("abc-123_X.y"));
        assert!(acceptable(&"a".repeat(64)));
        assert!(!acceptable(&"a".repeat(65)));
        assert!(!acceptable(""));
        assert!(!acceptable("a b"));
        assert!(!acceptable("a\"b"));
        assert!(!acceptable("ä"));
    }
}
