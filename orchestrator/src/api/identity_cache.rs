//! Who a request is, remembered for a moment. Every request names its caller by an API token
//! or a session cookie, and finding out who that is costs one or two Postgres round trips
//! (the token's digest, or the session record and then the person). Under load that is most
//! of a request's cost, so each answer is kept for [`IDENTITY_FRESH`]:
//!
//! - on this process, anything that changes the answer (a token revoked, a session saved or
//!   deleted, a password changed, which ends other sessions) clears the entries at once, so
//!   a revoked token is refused on the very next request;
//! - another process sharing the database learns of such a change when its entry expires,
//!   that is within [`IDENTITY_FRESH`].
//!
//! Only found identities are kept (a wrong token costs its query every time, so guessing
//! cannot fill the memory), and at most [`MAX_ENTRIES`] of each kind; past that the table
//! is emptied and refills from the requests that follow.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

/// How long an identity is believed without asking Postgres again.
pub const IDENTITY_FRESH: Duration = Duration::from_secs(1);
/// Most entries one table keeps.
pub(crate) const MAX_ENTRIES: usize = 10_000;

/// The three tables: API token digests, people by id, session records by session id.
#[derive(Default)]
pub(crate) struct Identities {
    pub(crate) tokens: Fresh<[u8; 32], (domain::auth::Person, uuid::Uuid)>,
    pub(crate) people: Fresh<domain::ids::UserId, domain::auth::Person>,
    pub(crate) sessions: Fresh<String, super::SessionRecord>,
}

impl Identities {
    /// Forgets every answer: something that changes who may act happened here.
    pub(crate) fn clear(&self) {
        self.tokens.clear();
        self.people.clear();
        self.sessions.clear();
    }
}

/// A small table of answers, each good for [`IDENTITY_FRESH`].
pub(crate) struct Fresh<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
    ttl: Duration,
}

impl<K: Eq + Hash, V: Clone> Default for Fresh<K, V> {
    fn default() -> Self {
        Self::new(IDENTITY_FRESH)
    }
}

impl<K: Eq + Hash, V: Clone> Fresh<K, V> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, V)>> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters (every operation is one insert, remove or clear), so a poisoned lock is used.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The value for `key` if it was stored less than the freshness ago.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let mut table = self.table();
        match table.get(key) {
            Some((at, v)) if at.elapsed() < self.ttl => Some(v.clone()),
            Some(_) => {
                table.remove(key);
                None
            }
            None => None,
        }
    }

    pub(crate) fn put(&self, key: K, value: V) {
        let mut table = self.table();
        if table.len() >= MAX_ENTRIES && !table.contains_key(&key) {
            table.clear();
        }
        table.insert(key, (Instant::now(), value));
    }

    pub(crate) fn forget(&self, key: &K) {
        self.table().remove(key);
    }

    pub(crate) fn clear(&self) {
        self.table().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_kept_while_fresh_and_dropped_after() {
        let t: Fresh<u8, &str> = Fresh::new(Duration::from_millis(50));
        t.put(1, "one");
        assert_eq!(t.get(&1), Some("one"));
        assert_eq!(t.get(&2), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(t.get(&1), None, "a stale answer is asked again");
        t.put(1, "uno");
        t.forget(&1);
        assert_eq!(t.get(&1), None);
        t.put(2, "two");
        t.clear();
        assert_eq!(t.get(&2), None);
    }

    #[test]
    fn a_full_table_is_emptied_rather_than_grown() {
        let t: Fresh<usize, usize> = Fresh::new(Duration::from_secs(60));
        for i in 0..MAX_ENTRIES {
            t.put(i, i);
        }
        assert_eq!(t.get(&0), Some(0));
        t.put(MAX_ENTRIES, MAX_ENTRIES);
        assert_eq!(t.get(&0), None, "the table was emptied");
        assert_eq!(t.get(&MAX_ENTRIES), Some(MAX_ENTRIES));
        assert!(t.table().len() <= MAX_ENTRIES);
    }
}
