//! Time as the orchestrator sees it. Every time-based decision (is a task due, has a lease
//! expired, is a workflow past its deadline, is an agent's heartbeat stale) compares against
//! [`Clock::now`], passed to SQL as a parameter rather than read from Postgres's `now()`.
//! Production uses the system clock; tests use [`ManualClock`] to move time forward
//! deterministically (tokio's paused time cannot be used with real sockets: it jumps ahead
//! whenever the runtime waits on I/O).

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; starts at the system time of its creation.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self {
            now: Arc::new(Mutex::new(Utc::now())),
        }
    }
}

impl ManualClock {
    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `now + d` without overflow surprises.
pub(crate) fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
