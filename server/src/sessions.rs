//! Browser sessions: tower-sessions with its records in Postgres (`sessions`), so every
//! server process sees the same sessions and they survive restarts.
//!
//! Until accounts exist, a browser that loads a page gets a session holding the local
//! user's id ([`USER_KEY`]); server functions read the person from it
//! (`app::api::ssr::me`). Sign-in will only have to put another id there. API clients
//! without a cookie get no session (only page loads create one). Expired sessions are
//! deleted by the orchestrator's maintenance pass.

use axum::{
    extract::Request,
    http::{header::ACCEPT, Method},
    middleware::Next,
    response::Response,
};
use chrono::{DateTime, Utc};
use domain::ids::LOCAL_USER_ID;
use orchestrator::{Orchestrator, SessionRecord};
use tower_sessions::{
    cookie::{time::Duration, SameSite},
    session::{Id, Record},
    session_store::{self, SessionStore},
    Expiry, Session, SessionManagerLayer,
};

/// The session key that holds the signed-in person's id.
pub const USER_KEY: &str = "user_id";

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

/// The session layer: a `nf_session` cookie (HttpOnly, SameSite=Lax), 30 days of
/// inactivity.
pub fn layer(orchestrator: Orchestrator) -> SessionManagerLayer<PgSessionStore> {
    SessionManagerLayer::new(PgSessionStore { orchestrator })
        .with_name("nf_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(Duration::days(30)))
}

/// Middleware: a page load (GET accepting HTML) without a person in its session gets the
/// local user. Failures are logged; the page is served either way.
pub async fn ensure_person(session: Session, req: Request, next: Next) -> Response {
    let page_load = req.method() == Method::GET
        && req
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    if page_load {
        match session.get::<String>(USER_KEY).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                if let Err(e) = session.insert(USER_KEY, LOCAL_USER_ID.to_string()).await {
                    tracing::warn!(error.message = %e, "cannot start a session");
                }
            }
            Err(e) => tracing::warn!(error.message = %e, "cannot read the session"),
        }
    }
    next.run(req).await
}
