//! Rate limits and ceilings the orchestrator enforces for every door: builds per person
//! per hour and at once, sign-in attempts per address, and the server's ceilings on what a
//! build may ask for (tokens, model calls, seconds). Rates use `governor` (GCRA, in-process, per
//! key); "at once" is counted in Postgres, so it holds across server processes. A refusal
//! is [`Error::LimitExceeded`] with when to try again (the doors send it as `Retry-After`).

use std::{num::NonZeroU32, time::Duration};

use governor::{
    clock::{Clock as _, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};

use crate::{Error, Result};

/// What the limits are; every one has a flag on the server.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// Builds one person may start per hour.
    pub builds_per_hour: u32,
    /// Builds one person may have queued or running at once.
    pub max_concurrent_builds: i64,
    /// Sign-in attempts one address may make per minute.
    pub logins_per_minute: u32,
    /// The most tokens a build's budget may be (`config.max_tokens`), and the default.
    pub max_build_tokens: u64,
    /// The most model calls a build may make (`config.max_llm_calls`).
    pub max_build_llm_calls: u32,
    /// The longest wall-clock budget a build may have (`config.max_seconds`), and the
    /// default; after it, model tasks use the offline generator.
    pub build_max_secs: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            builds_per_hour: 60,
            max_concurrent_builds: 4,
            logins_per_minute: 10,
            max_build_tokens: 2_000_000,
            max_build_llm_calls: 500,
            build_max_secs: crate::pipeline::model::DEFAULT_MAX_SECONDS,
        }
    }
}

/// The live limiters of one process.
pub(crate) struct Limiters {
    pub(crate) settings: LimitSettings,
    builds: DefaultKeyedRateLimiter<uuid::Uuid>,
    logins: DefaultKeyedRateLimiter<String>,
}

fn quota(n: u32, per: Duration) -> Quota {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(per / n.get())
        .unwrap_or_else(|| Quota::per_second(n))
        .allow_burst(n)
}

impl Limiters {
    pub(crate) fn new(settings: LimitSettings) -> Self {
        Self {
            builds: RateLimiter::keyed(quota(settings.builds_per_hour, Duration::from_secs(3600))),
            logins: RateLimiter::keyed(quota(settings.logins_per_minute, Duration::from_secs(60))),
            settings,
        }
    }

    /// Counts a build start for `person`.
    pub(crate) fn build_started(&self, person: uuid::Uuid) -> Result<()> {
        self.builds.check_key(&person).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::limit(
                format!(
                    "you may start {} builds an hour; try again in {} s",
                    self.settings.builds_per_hour,
                    wait.as_secs().max(1)
                ),
                Some(wait),
            )
        })
    }

    /// Counts a sign-in attempt from `addr`.
    pub(crate) fn login_attempt(&self, addr: &str) -> Result<()> {
        self.logins.check_key(&addr.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::limit(
                format!(
                    "too many sign-in attempts from your address; try again in {} s",
                    wait.as_secs().max(1)
                ),
                Some(wait),
            )
        })
    }

    /// Forgets keys that are back to full capacity (the maintenance pass calls this).
    pub(crate) fn forget_idle(&self) {
        self.builds.retain_recent();
        self.logins.retain_recent();
    }
}

/// How long an account must wait after `failures` failed sign-ins in a row: nothing for
/// the first four, then 5 s doubling to at most 15 minutes.
pub fn login_backoff(failures: i32) -> Duration {
    if failures < 5 {
        Duration::ZERO
    } else {
        let exp = u32::try_from(failures - 5).unwrap_or(u32::MAX).min(10);
        Duration::from_secs(5u64 << exp).min(Duration::from_secs(15 * 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_sign_ins_back_off_exponentially_up_to_a_ceiling() {
        assert_eq!(login_backoff(0), Duration::ZERO);
        assert_eq!(login_backoff(4), Duration::ZERO);
        assert_eq!(login_backoff(5), Duration::from_secs(5));
        assert_eq!(login_backoff(7), Duration::from_secs(20));
        assert_eq!(login_backoff(100), Duration::from_secs(900));
    }

    #[test]
    fn the_build_rate_trips_after_the_quota_and_says_when() {
        let l = Limiters::new(LimitSettings {
            builds_per_hour: 3,
            ..Default::default()
        });
        let me = uuid::Uuid::from_u128(7);
        for _ in 0..3 {
            l.build_started(me).unwrap();
        }
        match l.build_started(me) {
            Err(Error::LimitExceeded {
                retry_after: Some(w), ..
            }) => {
                assert!(w > Duration::from_secs(60) && w <= Duration::from_secs(1200), "{w:?}")
            }
            other => panic!("{other:?}"),
        }
        // Someone else is not affected.
        l.build_started(uuid::Uuid::from_u128(8)).unwrap();
    }
}
