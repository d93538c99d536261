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
    /// Password reset by e-mail.
    pub reset: ResetConfig,
    /// Which mails are queued.
    pub mail: MailPolicy,
    /// Users imported with legacy hashes (`passgate user import`).
    pub import: ImportConfig,
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
            reset: ResetConfig::default(),
            mail: MailPolicy::default(),
            import: ImportConfig::default(),
        }
    }
}

/// Password reset by e-mail (Net3 `ForgotPassword` / `ChangePasswordWithToken`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetConfig {
    /// How long a reset link stays valid (default 30 min).
    pub token_ttl: Duration,
    /// URL prefixes a client's `changePwdUrl` must start with; the link in the mail is that
    /// URL plus the token. Empty: every `changePwdUrl` is refused (the CLI's `reset-link`
    /// still works with an explicit URL).
    pub allowed_urls: Vec<String>,
    /// At most this many reset mails per user per hour (default 3); further requests get
    /// the same answer and send nothing.
    pub per_user_per_hour: u32,
    /// At most this many reset requests per client address per hour (default 20); further
    /// requests are refused as throttled.
    pub per_client_per_hour: u32,
}

impl Default for ResetConfig {
    fn default() -> Self {
        ResetConfig {
            token_ttl: Duration::from_secs(30 * 60),
            allowed_urls: Vec::new(),
            per_user_per_hour: 3,
            per_client_per_hour: 20,
        }
    }
}

/// Which mails the core queues in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailPolicy {
    /// Whether an SMTP server is configured. Without one, nothing is queued and
    /// `ForgotPassword` answers that reset by e-mail is not available.
    pub enabled: bool,
    /// The notification kinds to send (reset links are always sent when mail is enabled).
    pub notify: Vec<crate::outbox::MailKind>,
}

impl Default for MailPolicy {
    fn default() -> Self {
        MailPolicy {
            enabled: false,
            notify: crate::outbox::MailKind::ALL.to_vec(),
        }
    }
}

/// Users imported from another system with their legacy password hashes (docs/migration.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportConfig {
    /// Imported users must change their password at their first sign-in (the imported
    /// password was never checked against the policy). Applied when the users are imported.
    pub require_change: bool,
    /// A legacy hash whose password was set longer ago than this (`passwordChangedAt` of the
    /// import file, else the import time) no longer signs in: the user must reset the
    /// password. None: legacy hashes never expire.
    pub max_legacy_age: Option<Duration>,
}
