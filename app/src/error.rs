//! The error every server function returns. It crosses the network as JSON, so the
//! dashboard can tell a validation failure (show it next to the field) from a missing thing
//! (a 404 page) from the server being unwell (a retry hint).

use domain::agent::FieldProblem;
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// A server function's failure, as the dashboard sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The input is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Fields are not acceptable; one problem per field.
    #[error("{message}")]
    Validation {
        /// Summary.
        message: String,
        /// Per-field problems.
        problems: Vec<FieldProblem>,
    },
    /// Not signed in (or the sign-in failed).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed (admins only).
    #[error("{0}")]
    Forbidden(String),
    /// Not there (or not yours).
    #[error("{0}")]
    NotFound(String),
    /// Clashes with the current state.
    #[error("{0}")]
    Conflict(String),
    /// A budget or rate limit was hit; try again after `retry_after_secs`.
    #[error("{message}")]
    LimitExceeded {
        /// For a person.
        message: String,
        /// When to try again, when known.
        retry_after_secs: Option<u64>,
    },
    /// The database cannot be reached right now.
    #[error("the database is unavailable right now; try again in a moment")]
    Unavailable,
    /// Something failed on the server; details are in its log.
    #[error("something went wrong on the server; the details are in its log")]
    Internal,
    /// The request did not get through (network, encoding).
    #[error("cannot reach the server: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server: the request's arguments do not decode. The caller's fault: 400.
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                let e = AppError::BadRequest(format!("the arguments are not valid: {m}"));
                #[cfg(feature = "ssr")]
                let e = e.answered();
                e
            }
            // On the server, what is deserialized is the request (a JSON body that does not
            // decode into the arguments): also the caller's fault, and a 400. In the browser
            // it is an answer that does not decode, which is a transport failure.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(m) => {
                AppError::BadRequest(format!("the arguments are not valid: {m}")).answered()
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<orchestrator::Error> for AppError {
    fn from(e: orchestrator::Error) -> Self {
        Self::from_orchestrator(e).answered()
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Sets this error's status on the server function's response (the status a REST client
    /// would get for the same input) and returns it. Every error a server function makes
    /// itself goes through here; without it the response would be a 500.
    pub fn answered(self) -> Self {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status());
            if let AppError::LimitExceeded {
                retry_after_secs: Some(secs),
                ..
            } = &self
            {
                response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(*secs));
            }
        }
        self
    }

    /// The HTTP status that goes with this error.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::BadRequest(_) => S::BAD_REQUEST,
            AppError::Validation { .. } => S::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized(_) => S::UNAUTHORIZED,
            AppError::Forbidden(_) => S::FORBIDDEN,
            AppError::NotFound(_) => S::NOT_FOUND,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::LimitExceeded { .. } => S::TOO_MANY_REQUESTS,
            AppError::Unavailable => S::SERVICE_UNAVAILABLE,
            AppError::Internal | AppError::Transport(_) => S::INTERNAL_SERVER_ERROR,
        }
    }

    fn from_orchestrator(e: orchestrator::Error) -> Self {
        use orchestrator::Error as E;
        match e {
            E::BadRequest(m) => AppError::BadRequest(m),
            E::LimitExceeded { message, retry_after } => AppError::LimitExceeded {
                message,
                retry_after_secs: retry_after.map(|w| (w.as_secs() + u64::from(w.subsec_nanos() > 0)).max(1)),
            },
            E::Unauthorized(m) => AppError::Unauthorized(m),
            E::Forbidden(m) => AppError::Forbidden(m),
            E::Validation(v) => AppError::Validation {
                message: v.to_string(),
                problems: v.problems,
            },
            E::NotFound { .. } => AppError::NotFound(e.to_string()),
            E::Conflict(m) => AppError::Conflict(m),
            e if e.is_unavailable() => {
                tracing::warn!(error.message = %e, "server function: database unavailable");
                AppError::Unavailable
            }
            e => {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "server function failed");
                AppError::Internal
            }
        }
    }
}
