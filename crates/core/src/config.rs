//! Settings the core needs, already typed and validated by the binary's configuration layer.

use std::time::Duration;

use crate::credential::{HashParams, HashThreadPolicy, PolicyConfig};
use crate::throttle::ThrottleConfig;

/// Core settings with production defaults.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Argon2id parameters for new hashes.
    pub hash: HashParams,
    /// Hashing threads (0 = one per core).
    pub hash_workers: usize,
    /// Longest estimated wait for a hashing thread at which a job is still admitted
    /// (default 1 s); beyond it the request is refused at once.
    pub hash_max_wait: Duration,
    /// How the operating system schedules the hashing threads.
    pub hash_thread_policy: HashThreadPolicy,
    /// Sliding session lifetime: a session unused this long expires (default 6 h).
    pub session_idle: Duration,
    /// Absolute session lifetime, however active (default 7 days).
    pub session_absolute: Duration,
    /// How stale `last_seen_at` may get before a use writes it again (bounds write load;
    /// the sliding expiry is exact to within this interval).
    pub session_touch_interval: Duration,
    /// Password policy rules.
    pub policy: PolicyConfig,
    /// Brute-force throttling limits.
    pub throttle: ThrottleConfig,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            hash: HashParams::default(),
            hash_workers: 0,
            hash_max_wait: crate::credential::admission::DEFAULT_MAX_WAIT,
            hash_thread_policy: HashThreadPolicy::default(),
            session_idle: Duration::from_secs(6 * 3600),
            session_absolute: Duration::from_secs(7 * 24 * 3600),
            session_touch_interval: Duration::from_secs(60),
            policy: PolicyConfig::default(),
            throttle: ThrottleConfig::default(),
        }
    }
}
