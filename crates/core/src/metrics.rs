//! Counters the core keeps about its own work; the server exports them in Prometheus format.

use std::sync::atomic::{AtomicI64, AtomicU64};

/// Live counters, updated with relaxed atomics (they are statistics, not synchronisation).
#[derive(Debug, Default)]
pub struct CoreMetrics {
    /// Argon2id hashes computed (new passwords, rehashes).
    pub argon2_hash: AtomicU64,
    /// Argon2id verifications run (logins, current-password checks, dummy verifications).
    pub argon2_verify: AtomicU64,
    /// Jobs waiting in the admission queue.
    pub queue_depth: AtomicI64,
    /// Jobs running on a hashing thread.
    pub in_flight: AtomicI64,
    /// Jobs refused because the queue was full.
    pub queue_refused: AtomicU64,
}
