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
    /// Jobs run to completion on a hashing thread (a login is one job, a password change
    /// one job: policy check, verification and hash together).
    pub jobs_run: AtomicU64,
}

/// Attached by a front end to each response (as an HTTP response extension) so the server's
/// metrics layer can count requests by front end, operation and outcome without knowing any
/// protocol.
#[derive(Debug, Clone)]
pub struct OperationLabel {
    /// `soap`, `rest`, `web`.
    pub front_end: &'static str,
    /// Operation name (only names from a fixed table, so label cardinality stays bounded).
    pub operation: &'static str,
    /// `ok`, `false`, `exception`, `client_error`, `server_error`, `overloaded`, ...
    pub outcome: &'static str,
}

/// Client details the server puts on each request (as an HTTP request extension) after
/// applying its trusted-proxy rules; front ends copy them into the `RequestContext`.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Client address.
    pub addr: Option<String>,
    /// User agent, truncated to 200 characters.
    pub user_agent: Option<String>,
}
