//! The orchestrator's error type. Callers map it to HTTP or server-function errors: the
//! client-facing variants carry a message for a person, [`Error::Database`] and
//! [`Error::Internal`] are logged and hidden.

use domain::agent::ValidationErrors;

/// Result with the orchestrator's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything an orchestrator call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is malformed (empty prompt, bad parameter); a 400.
    #[error("{0}")]
    BadRequest(String),
    /// The request is well formed but its fields are not acceptable; a 422.
    #[error("{0}")]
    Validation(#[from] ValidationErrors),
    /// The thing does not exist (or is not the caller's); a 404.
    #[error("{what} {id} was not found")]
    NotFound {
        /// What kind of thing: `workflow`, `build`, `agent`, ...
        what: &'static str,
        /// The id that was asked for.
        id: String,
    },
    /// The request clashes with the current state (duplicate name, already running); a 409.
    #[error("{0}")]
    Conflict(String),
    /// No (valid) credentials: not signed in, a revoked token, a wrong password; a 401.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed (an admin-only call); a 403.
    #[error("{0}")]
    Forbidden(String),
    /// A budget or rate limit was hit; a 429, with when to try again if known.
    #[error("{message}")]
    LimitExceeded {
        /// For a person.
        message: String,
        /// When another try may succeed.
        retry_after: Option<std::time::Duration>,
    },
    /// Postgres failed or is unreachable; a 503 or 500, details logged only.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Anything else that is our fault; a 500, details logged only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// Shorthand for [`Error::LimitExceeded`].
    pub fn limit(message: impl Into<String>, retry_after: Option<std::time::Duration>) -> Self {
        Self::LimitExceeded {
            message: message.into(),
            retry_after,
        }
    }

    /// Whether the cause is on the client's side (4xx) rather than ours (5xx).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Database(_) | Self::Internal(_))
    }

    /// Whether Postgres could not be reached at all (as opposed to a failing query).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Database(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed)
        )
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(format!("json: {e}"))
    }
}

/// Maps a unique-constraint violation on `constraint` to another error (typically a 409).
pub(crate) trait OnConstraint<T> {
    fn on_constraint(self, constraint: &str, f: impl FnOnce() -> Error) -> Result<T>;
}

impl<T> OnConstraint<T> for std::result::Result<T, sqlx::Error> {
    fn on_constraint(self, constraint: &str, f: impl FnOnce() -> Error) -> Result<T> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.constraint() == Some(constraint) => f(),
            _ => Error::Database(e),
        })
    }
}
