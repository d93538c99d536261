//! Brute-force throttling rules: keys, limits and delays, pure arithmetic tested on its own
//! (applied by the parent module). Public as `passgate_core::throttle`.

use std::time::Duration;

use crate::clock::Timestamp;

/// Throttling limits (all configurable).
#[derive(Debug, Clone, Copy)]
pub struct ThrottleConfig {
    /// Consecutive failures on one account before attempts are delayed (default 5).
    pub account_threshold: u32,
    /// First delay once the threshold is reached (default 30 s); doubles with each further
    /// failure.
    pub account_base_delay: Duration,
    /// Longest delay (default 1 h). Failures never lock an account permanently.
    pub account_max_delay: Duration,
    /// Failures from one client address allowed within the window (default 100).
    pub address_limit: u32,
    /// The address window (default 10 min).
    pub address_window: Duration,
    /// How long an address is blocked once over the limit (default 10 min).
    pub address_block: Duration,
    /// How long a refused (throttled) attempt waits before it is answered (default 1 s,
    /// never longer than the block has left; zero answers at once). The wait holds no
    /// database connection and no hashing place, only the client's connection: a client
    /// that retries at once, as brute-force tools do, then sends one attempt per connection
    /// per second instead of thousands, and stops taking CPU from everyone else.
    pub refusal_delay: Duration,
    /// How long a failed verification (wrong password, unknown user, locked account, wrong
    /// current password) waits before it is answered (default 100 ms; zero answers at once).
    /// Like the refusal delay it holds no hashing place: it only slows a client that guesses
    /// in a closed loop, so that its guesses take a small share of the hashing pool until
    /// the throttle blocks it. The same for every kind of failure, so it tells none apart.
    pub failure_delay: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            account_threshold: 5,
            account_base_delay: Duration::from_secs(30),
            account_max_delay: Duration::from_secs(3600),
            address_limit: 100,
            address_window: Duration::from_secs(600),
            address_block: Duration::from_secs(600),
            refusal_delay: Duration::from_secs(1),
            failure_delay: Duration::from_millis(100),
        }
    }
}

/// The counter key of a login name (case-folded, so `Alice` and `alice` share one).
pub fn account_key(login: &str) -> String {
    format!("acct:{}", login.trim().to_lowercase())
}

/// The counter key of a client address.
pub fn address_key(addr: &str) -> String {
    format!("addr:{addr}")
}

impl ThrottleConfig {
    /// The block an account gets after its `failures`-th consecutive failure, if any:
    /// base × 2^(failures − threshold), capped.
    pub fn account_delay(&self, failures: u32) -> Option<Duration> {
        if failures < self.account_threshold {
            return None;
        }
        let doublings = (failures - self.account_threshold).min(20);
        let delay = self
            .account_base_delay
            .saturating_mul(1u32 << doublings)
            .min(self.account_max_delay);
        Some(delay)
    }

    /// The next state of an address counter after one more failure at `now`:
    /// (failures, window start, blocked until).
    pub fn address_after_failure(
        &self,
        failures: u32,
        window_start: Timestamp,
        now: Timestamp,
    ) -> (u32, Timestamp, Option<Timestamp>) {
        let (failures, start) = if window_start.until(now) >= self.address_window {
            (1, now)
        } else {
            (failures.saturating_add(1), window_start)
        };
        let blocked = (failures > self.address_limit).then(|| now.plus(self.address_block));
        (failures, start, blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_delay_doubles_and_caps() {
        let c = ThrottleConfig::default();
        assert_eq!(c.account_delay(4), None);
        assert_eq!(c.account_delay(5), Some(Duration::from_secs(30)));
        assert_eq!(c.account_delay(6), Some(Duration::from_secs(60)));
        assert_eq!(c.account_delay(7), Some(Duration::from_secs(120)));
        assert_eq!(c.account_delay(12), Some(Duration::from_secs(3600)));
        assert_eq!(c.account_delay(u32::MAX), Some(Duration::from_secs(3600)));
    }

    #[test]
    fn address_window_and_limit() {
        let c = ThrottleConfig::default();
        let t0 = Timestamp(0);
        let (n, start, blocked) = c.address_after_failure(99, t0, Timestamp(1000));
        assert_eq!((n, start, blocked), (100, t0, None));
        let (n, _, blocked) = c.address_after_failure(100, t0, Timestamp(2000));
        assert_eq!(n, 101);
        assert_eq!(blocked, Some(Timestamp(2000 + 600_000)));
        // A new window starts after 10 minutes.
        let (n, start, blocked) = c.address_after_failure(100, t0, Timestamp(600_000));
        assert_eq!((n, start, blocked), (1, Timestamp(600_000), None));
    }
}
