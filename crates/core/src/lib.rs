//! passgate-core: the protocol-neutral heart of passgate.
//!
//! Every decision about a credential lives here once: parsing of domain values, Argon2id
//! hashing on a bounded pool, sessions, the password-change compare-and-swap, and audit.
//! Front ends (SOAP, REST, web, CLI) only translate their wire format to these calls and
//! map [`CoreError`] back to their own error channel.

pub mod audit;
pub mod clock;
pub mod credential;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod outbox;
pub mod service;
pub mod settings;
pub mod store;
/// Brute-force throttling rules (applied in `service/throttle/`).
pub use service::throttle::rules as throttle;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use error::CoreError;
pub use service::{Core, RequestContext};
pub use settings::CoreConfig;
