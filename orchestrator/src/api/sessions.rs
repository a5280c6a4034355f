//! Browser session records, for the server's session store (`server/src/sessions.rs`):
//! opaque data with an expiry, keyed by the session id. Expired ones are deleted by the
//! maintenance pass. Loads are kept for a second (`identity_cache`); saving or deleting a
//! session here forgets it at once.

use chrono::{DateTime, Utc};

use crate::{store, Orchestrator, Result};

/// A stored session: its data and when it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// The session's key/value data.
    pub data: serde_json::Value,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
}

impl Orchestrator {
    /// Stores a new session under `id`; `false` when the id is taken.
    ///
    /// # Errors
    /// Database errors.
    pub async fn session_create(&self, id: &str, record: &SessionRecord) -> Result<bool> {
        store::sessions::insert_new(self.pool(), id, &record.data, record.expires_at).await
    }

    /// Stores a session under `id`, replacing what was there.
    ///
    /// # Errors
    /// Database errors.
    pub async fn session_save(&self, id: &str, record: &SessionRecord) -> Result<()> {
        store::sessions::save(self.pool(), id, &record.data, record.expires_at).await?;
        // After the write: a load racing it cannot leave the old record behind.
        self.inner.identities.sessions.forget(&id.to_owned());
        Ok(())
    }

    /// The session `id`, unless it is missing or expired.
    ///
    /// # Errors
    /// Database errors.
    pub async fn session_load(&self, id: &str) -> Result<Option<SessionRecord>> {
        let id = id.to_owned();
        if let Some(record) = self.inner.identities.sessions.get(&id) {
            if record.expires_at > self.now() {
                return Ok(Some(record));
            }
        }
        let record = store::sessions::load(self.pool(), &id)
            .await?
            .map(|(data, expires_at)| SessionRecord { data, expires_at });
        if let Some(r) = &record {
            self.inner.identities.sessions.put(id, r.clone());
        }
        Ok(record)
    }

    /// Deletes the session `id` (nothing when it is not there).
    ///
    /// # Errors
    /// Database errors.
    pub async fn session_delete(&self, id: &str) -> Result<()> {
        self.inner.identities.sessions.forget(&id.to_owned());
        store::sessions::delete(self.pool(), id).await
    }
}
