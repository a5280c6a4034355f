//! Retry timing as a pure function of the attempt number: the scheduler only asks "when
//! next?" and writes the answer to `tasks.run_at`. How many attempts a task gets is the
//! task's own `max_attempts` (set when the workflow is created), which the store checks when
//! it records a failure.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How often and how far apart a failing task is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RetryPolicy {
    /// Delay before the second attempt.
    pub base_delay_ms: u64,
    /// Upper bound on any delay.
    pub max_delay_ms: u64,
    /// Fraction of each delay that is randomised (0 = none, 1 = anywhere from 0 to the delay).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay_ms: 500,
            max_delay_ms: 60_000,
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (1-based): `base * 2^(attempt-1)`,
    /// capped at `max_delay_ms`, minus a random share of up to `jitter` of it. `unit` is a
    /// random number in `[0, 1)` supplied by the caller, which keeps this function pure.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(62);
        let raw = self.base_delay_ms.saturating_mul(1u64 << exp).min(self.max_delay_ms);
        let jitter = self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        Duration::from_millis((raw as f64 * (1.0 - jitter)).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_until_the_cap() {
        let p = RetryPolicy {
            base_delay_ms: 100,
            max_delay_ms: 1_000,
            jitter: 0.0,
        };
        let ms: Vec<_> = (1..=6).map(|a| p.delay(a, 0.5).as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn jitter_only_shortens_and_stays_within_its_share() {
        let p = RetryPolicy {
            base_delay_ms: 1_000,
            max_delay_ms: 10_000,
            jitter: 0.25,
        };
        assert_eq!(p.delay(1, 0.0).as_millis(), 1_000);
        assert_eq!(p.delay(1, 1.0).as_millis(), 750);
        assert_eq!(p.delay(1, 0.5).as_millis(), 875);
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(u32::MAX, 0.0), Duration::from_millis(p.max_delay_ms));
    }
}
