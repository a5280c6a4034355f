//! [`ApiError`]: what every REST handler returns on failure, rendered as
//! `{"error": "<kind>", "message": "<for a person>", "request_id": "..."}` with the matching
//! status. 4xx carry the orchestrator's message; 5xx are logged here with their cause and say
//! nothing more (the request id finds the log line).
//! [`ApiJson`] is axum's `Json` with its rejections turned into the same shape. A 401 says
//! `WWW-Authenticate: Bearer`; a 429 says `Retry-After` (seconds) when the limit knows.

use axum::{
    extract::{rejection::JsonRejection, FromRequest},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use domain::{agent::FieldProblem, api::ErrorBody};

/// A REST failure.
#[derive(Debug)]
pub enum ApiError {
    /// An orchestrator error, mapped by kind.
    Orchestrator(orchestrator::Error),
    /// The body or a parameter could not be parsed.
    BadRequest(String),
    /// No route.
    NotFound(String),
    /// No (valid) credentials.
    Unauthorized(String),
    /// Any other refusal: status, kind and message.
    Status(StatusCode, String, String),
}

impl From<orchestrator::Error> for ApiError {
    fn from(e: orchestrator::Error) -> Self {
        ApiError::Orchestrator(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

fn body(status: StatusCode, error: &str, message: String, problems: Vec<FieldProblem>) -> Response {
    (
        status,
        Json(ErrorBody {
            error: error.into(),
            message,
            problems,
            request_id: crate::telemetry::request_id(),
        }),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use orchestrator::Error as E;
        match self {
            ApiError::BadRequest(m) => body(StatusCode::BAD_REQUEST, "bad_request", m, vec![]),
            ApiError::NotFound(m) => body(StatusCode::NOT_FOUND, "not_found", m, vec![]),
            ApiError::Unauthorized(m) => {
                let mut res = body(StatusCode::UNAUTHORIZED, "unauthorized", m, vec![]);
                res.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer"),
                );
                res
            }
            ApiError::Status(status, kind, m) => body(status, &kind, m, vec![]),
            ApiError::Orchestrator(e) => match e {
                E::BadRequest(m) => body(StatusCode::BAD_REQUEST, "bad_request", m, vec![]),
                E::Validation(v) => {
                    let message = v.to_string();
                    body(StatusCode::UNPROCESSABLE_ENTITY, "validation", message, v.problems)
                }
                e @ E::NotFound { .. } => body(StatusCode::NOT_FOUND, "not_found", e.to_string(), vec![]),
                E::Conflict(m) => body(StatusCode::CONFLICT, "conflict", m, vec![]),
                E::Unauthorized(m) => ApiError::Unauthorized(m).into_response(),
                E::Forbidden(m) => body(StatusCode::FORBIDDEN, "forbidden", m, vec![]),
                E::LimitExceeded { message, retry_after } => {
                    let mut res = body(StatusCode::TOO_MANY_REQUESTS, "limit_exceeded", message, vec![]);
                    if let Some(wait) = retry_after {
                        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                        res.headers_mut().insert(
                            axum::http::header::RETRY_AFTER,
                            axum::http::HeaderValue::from(secs.max(1)),
                        );
                    }
                    res
                }
                e if e.is_unavailable() => {
                    tracing::warn!(error.message = %e, "request failed: database unavailable");
                    body(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "the database is unavailable right now; try again in a moment".into(),
                        vec![],
                    )
                }
                e => {
                    tracing::error!(error.cause_chain = ?e, error.message = %e, "request failed");
                    body(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "something went wrong on the server; the details are in its log".into(),
                        vec![],
                    )
                }
            },
        }
    }
}

/// `Json<T>` whose rejections are [`ApiError::BadRequest`]s with axum's explanation.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}
