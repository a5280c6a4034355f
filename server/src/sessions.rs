//! Browser sessions: tower-sessions with its records in Postgres (`sessions`), so every
//! server process sees the same sessions and they survive restarts.
//!
//! Signing in puts the person's id in the session ([`USER_KEY`]) after rotating the
//! session id; signing out deletes the session; a password change ends the person's other
//! sessions. `crate::auth::identify` reads the id back on every request and calls
//! [`keep_alive`], which once a day moves the session's expiry 30 days on (so it ends after
//! 30 days unused, not 30 days after sign-in). Expired sessions are deleted by the
//! orchestrator's maintenance pass.
//!
//! Why our own store rather than `tower-sessions-sqlx-store`: that crate keeps each session
//! as an opaque MessagePack blob in a schema it migrates itself, so a person's sessions
//! cannot be found to end them at a password change, and a second migration system would
//! run at start-up. Ours is ~100 lines over the orchestrator's session calls, in the
//! schema's own `sessions` table with a `user_id` column.

use chrono::{DateTime, Utc};
use orchestrator::{Orchestrator, SessionRecord};
use tower_sessions::{
    cookie::{time::Duration, SameSite},
    session::{Id, Record},
    session_store::{self, SessionStore},
    Expiry, Session, SessionManagerLayer,
};

pub use app::api::USER_KEY;

/// How long a session lasts unused.
const IDLE: Duration = Duration::days(30);

/// The session key holding the day (counted from 1970) the session's expiry was last moved.
const RENEWED_KEY: &str = "renewed_day";

/// The store: sessions in Postgres.
#[derive(Clone)]
pub struct PgSessionStore {
    orchestrator: Orchestrator,
}

impl std::fmt::Debug for PgSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgSessionStore")
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// The record as the orchestrator stores it.
fn stored(r: &Record) -> Result<SessionRecord, session_store::Error> {
    Ok(SessionRecord {
        data: serde_json::to_value(&r.data).map_err(|e| session_store::Error::Encode(e.to_string()))?,
        expires_at: DateTime::<Utc>::from_timestamp(r.expiry_date.unix_timestamp(), 0)
            .ok_or_else(|| backend("session expiry out of range"))?,
    })
}

#[async_trait::async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            if self
                .orchestrator
                .session_create(&record.id.to_string(), &stored(record)?)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            // A 128-bit id collided: pick another.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.orchestrator
            .session_save(&record.id.to_string(), &stored(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(SessionRecord { data, expires_at }) =
            self.orchestrator.session_load(&id.to_string()).await.map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_value(data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = tower_sessions::cookie::time::OffsetDateTime::from_unix_timestamp(expires_at.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.orchestrator.session_delete(&id.to_string()).await.map_err(backend)
    }
}

/// The session layer: a `nf_session` cookie (HttpOnly, SameSite=Lax, `Secure` when
/// `secure`), 30 days of inactivity. A session is stored only once something is put in it,
/// that is at sign-in; anonymous page loads create none.
pub fn layer(orchestrator: Orchestrator, secure: bool) -> SessionManagerLayer<PgSessionStore> {
    SessionManagerLayer::new(PgSessionStore { orchestrator })
        .with_name("nf_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(IDLE))
}

/// Keeps a signed-in session in use alive. The layer's expiry is "30 days of inactivity",
/// but tower-sessions stores a session again only when it changed, so on its own the expiry
/// set at sign-in would stand however often the person came back. Noting the day changes
/// the session at most once a day; that save moves its expiry, and the cookie's, [`IDLE`]
/// on.
pub async fn keep_alive(session: &Session) {
    let today = chrono::Utc::now().timestamp().div_euclid(86_400);
    if session.get::<i64>(RENEWED_KEY).await.ok().flatten() != Some(today) {
        if let Err(e) = session.insert(RENEWED_KEY, today).await {
            tracing::warn!(error.message = %e, "cannot renew the session");
        }
    }
}
