//! The audit trail of the API: every mutating request under `/api/` (REST and server
//! functions alike) is recorded in `audit_logs` with who made it, what it was, the target
//! from the path, how it ended and where it came from. The entry is written before the
//! response goes out, so an acknowledged mutation is never missing from the trail.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{header::USER_AGENT, Method},
    middleware::Next,
    response::Response,
};
use domain::ids::LOCAL_USER_ID;
use orchestrator::AuditEntry;

use crate::state::AppState;

/// What a matched route does, and what its `{id}` names.
fn action_for(matched: &str) -> (&'static str, Option<&'static str>) {
    match matched {
        "/api/orchestrator/agents/register" => ("agent.register", Some("agent")),
        "/api/orchestrator/tasks/decompose" => ("workflow.decompose", Some("workflow")),
        "/api/orchestrator/workflows/{id}/execute" => ("workflow.execute", Some("workflow")),
        "/api/orchestrator/workflows/{id}/cancel" => ("workflow.cancel", Some("workflow")),
        "/api/nexus-forge/build" => ("build.create", Some("build")),
        "/api/nexus-forge/build/{id}/cancel" => ("build.cancel", Some("build")),
        _ => ("api.request", None),
    }
}

/// A server function's name from its path (`/api/start_build12345` -> `start_build`).
fn server_fn_name(path: &str) -> Option<String> {
    let last = path.strip_prefix("/api/")?;
    if last.contains('/') {
        return None;
    }
    let name = last.trim_end_matches(|c: char| c.is_ascii_digit());
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')).then(|| name.to_owned())
}

/// The value of the `{id}` segment of `matched` in `path`.
fn path_id(matched: &str, path: &str) -> Option<String> {
    let at = matched.split('/').position(|s| s == "{id}")?;
    path.split('/').nth(at).map(str::to_owned)
}

/// Middleware: records mutating `/api/` requests.
pub async fn record_mutations(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mutating = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let path = req.uri().path().to_owned();
    if !mutating || !path.starts_with("/api/") {
        return next.run(req).await;
    }
    let matched = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let user_agent = req
        .headers()
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect());
    let method = req.method().to_string();

    let response = next.run(req).await;

    let (action, target_type, target_id) = match matched.as_deref().map(action_for) {
        Some((action, target)) if action != "api.request" => (
            action.to_owned(),
            target.map(str::to_owned),
            matched.as_deref().and_then(|m| path_id(m, &path)),
        ),
        _ => match server_fn_name(&path) {
            Some(name) => (format!("dashboard.{name}"), None, None),
            None => ("api.request".to_owned(), None, None),
        },
    };
    let status = response.status();
    let entry = AuditEntry {
        actor_id: Some(LOCAL_USER_ID),
        action,
        target_type,
        target_id,
        success: status.as_u16() < 400,
        status_code: Some(status.as_u16()),
        client_addr: peer,
        user_agent,
        details: serde_json::json!({ "method": method, "path": path, "forwarded_for": forwarded }),
    };
    if let Err(e) = state.orchestrator.audit(&entry).await {
        tracing::warn!(error.message = %e, action = %entry.action, "could not write the audit entry");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_function_paths_name_the_function() {
        assert_eq!(server_fn_name("/api/start_build17394").as_deref(), Some("start_build"));
        assert_eq!(server_fn_name("/api/orchestrator/agents/register"), None);
    }

    #[test]
    fn the_id_comes_from_the_matching_segment() {
        assert_eq!(
            path_id(
                "/api/orchestrator/workflows/{id}/cancel",
                "/api/orchestrator/workflows/abc/cancel"
            )
            .as_deref(),
            Some("abc")
        );
        assert_eq!(path_id("/api/nexus-forge/build", "/api/nexus-forge/build"), None);
    }
}
