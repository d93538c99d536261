//! Counters the core keeps about its own work; the server exports them in Prometheus format.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Live counters, updated with relaxed atomics (they are statistics, not synchronisation).
#[derive(Debug, Default)]
pub struct CoreMetrics {
    /// Argon2id hashes computed (new passwords, rehashes).
    pub argon2_hash: AtomicU64,
    /// Argon2id verifications run (logins, current-password checks, dummy verifications).
    pub argon2_verify: AtomicU64,
    /// Verifications of imported legacy hashes (see `credential::legacy`).
    pub legacy_verify: AtomicU64,
    /// Jobs waiting in the admission queue.
    pub queue_depth: AtomicI64,
    /// Jobs running on a hashing thread.
    pub in_flight: AtomicI64,
    /// Requests refused at admission because their estimated wait exceeded the budget.
    pub refused_estimated_wait: AtomicU64,
    /// Admitted jobs dropped unrun because a worker took them after their deadline (the
    /// caller got the overload answer).
    pub refused_expired: AtomicU64,
    /// Admitted jobs dropped unrun because their caller had gone (nothing to answer).
    pub dropped_abandoned: AtomicU64,
    /// Time from admission to the start on a worker, of the jobs that ran.
    pub queue_wait: WaitHistogram,
    /// Jobs run to completion on a hashing thread (a login is one job, a password change
    /// one job: policy check, verification and hash together).
    pub jobs_run: AtomicU64,
    /// Mails the SMTP server accepted (this node's sender).
    pub mail_sent: AtomicU64,
    /// Mail delivery attempts that failed and will be retried.
    pub mail_retried: AtomicU64,
    /// Mails given up after their last attempt (dead letters).
    pub mail_dead: AtomicU64,
}

/// Upper bounds (seconds) of the queue-wait histogram's buckets, below `+Inf`.
pub const QUEUE_WAIT_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// A histogram of durations kept in relaxed atomics, so hashing threads record into it
/// without a lock and the core needs no metrics library; the server exports it.
#[derive(Debug, Default)]
pub struct WaitHistogram {
    /// Per-bucket counts (not cumulative); the last one is `+Inf`.
    buckets: [AtomicU64; QUEUE_WAIT_BUCKETS.len() + 1],
    sum_ns: AtomicU64,
    count: AtomicU64,
}

/// A consistent-enough copy of a [`WaitHistogram`] for export.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// Sum of the observations, seconds.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
    /// (upper bound, count in that bucket alone); the last bound is `f64::MAX` for `+Inf`.
    pub buckets: Vec<(f64, u64)>,
}

impl WaitHistogram {
    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = QUEUE_WAIT_BUCKETS
            .iter()
            .position(|&upper| secs <= upper)
            .unwrap_or(QUEUE_WAIT_BUCKETS.len());
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_ns.fetch_add(
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The current values.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let bounds = QUEUE_WAIT_BUCKETS.iter().copied().chain([f64::MAX]);
        HistogramSnapshot {
            sum: self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9,
            count: self.count.load(Ordering::Relaxed),
            buckets: bounds
                .zip(&self.buckets)
                .map(|(upper, n)| (upper, n.load(Ordering::Relaxed)))
                .collect(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_land_in_their_buckets() {
        let h = WaitHistogram::default();
        h.observe(Duration::ZERO);
        h.observe(Duration::from_millis(1));
        h.observe(Duration::from_millis(30));
        h.observe(Duration::from_secs(9));
        let s = h.snapshot();
        assert_eq!(s.count, 4);
        assert!((s.sum - 9.031).abs() < 1e-9);
        assert_eq!(s.buckets.len(), QUEUE_WAIT_BUCKETS.len() + 1);
        assert_eq!(s.buckets[0], (0.001, 2));
        assert_eq!(s.buckets[5], (0.05, 1));
        assert_eq!(s.buckets[12], (f64::MAX, 1));
        assert_eq!(s.buckets.iter().map(|b| b.1).sum::<u64>(), 4);
    }
}
