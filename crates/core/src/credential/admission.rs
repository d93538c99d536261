//! Admission by waiting time: a hashing job is admitted when the wait it would face before a
//! worker starts it, estimated from the Argon2id operations of the jobs ahead of it and the
//! recent mean cost of one operation, is within the budget; otherwise it is refused at once.
//! A fixed queue depth counts jobs, not what users wait: eight people changing passwords at
//! once is load, not overload. Jobs are weighed by the operations they declare (a login 1, a
//! change 2 + the remembered hashes it checks), because a change costs several logins.
//!
//! The rule is plain arithmetic over `Instant`s handed in by the caller, so it is unit-tested
//! with an injected [`Ticker`] and no sleeping.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Weight of the newest job's duration in the running mean cost (an exponentially weighted
/// moving average): 1/8 follows a change of machine speed within a few dozen jobs while one
/// slow or cheap job moves the estimate little.
const COST_WEIGHT_SHIFT: u32 = 3;

/// Longest `Retry-After` suggested, however long the backlog: a client should come back and
/// ask again rather than be told to stay away for minutes.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Default waiting budget: an interactive login or password change tolerates about a second
/// before it feels broken (see docs/operations.md).
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(1);

/// Monotonic time for the admission rule; injected so tests can move time by hand.
pub trait Ticker: Send + Sync {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemTicker;

impl Ticker for SystemTicker {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A hand-moved clock for tests of the admission rule.
#[derive(Debug)]
pub struct ManualTicker(Mutex<Instant>);

impl ManualTicker {
    /// A clock standing at the current instant until advanced.
    pub fn new() -> Self {
        ManualTicker(Mutex::new(Instant::now()))
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += d;
        }
    }
}

impl Default for ManualTicker {
    fn default() -> Self {
        Self::new()
    }
}

impl Ticker for ManualTicker {
    fn now(&self) -> Instant {
        self.0.lock().map_or_else(|_| Instant::now(), |t| *t)
    }
}

/// The wait of a job that finds `jobs` jobs of `ops` Argon2id operations in all admitted
/// (waiting or running) on `workers` workers, each operation taking `op_cost`: nothing while
/// a worker is free, else the time the workers need to finish enough work for one to be free
/// for it: all the work ahead less what the other `workers - 1` workers will still be busy
/// with when one frees (an average job each), shared by the workers. With one operation per
/// job this is `(jobs - workers + 1) / workers` jobs.
pub fn wait_estimate(jobs: usize, ops: u64, workers: usize, op_cost: Duration) -> Duration {
    let workers = workers.max(1);
    if jobs < workers || jobs == 0 {
        return Duration::ZERO;
    }
    let numerator = u128::from(nanos(op_cost))
        * u128::from(ops)
        * u128::try_from(jobs - workers + 1).unwrap_or(u128::MAX);
    let denominator = u128::try_from(jobs)
        .unwrap_or(u128::MAX)
        .saturating_mul(u128::try_from(workers).unwrap_or(u128::MAX));
    let ns = numerator.checked_div(denominator).unwrap_or(u128::MAX);
    Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
}

/// When a refused client should come back: once the backlog beyond the budget has drained,
/// in whole seconds (what `Retry-After` carries), at least 1 and at most [`MAX_RETRY_AFTER`].
pub fn retry_after(estimated_wait: Duration, max_wait: Duration) -> Duration {
    let excess = estimated_wait.saturating_sub(max_wait);
    let secs = excess.as_secs() + u64::from(excess.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1)).min(MAX_RETRY_AFTER)
}

/// Readiness with hysteresis: a node that is shedding load (`was_shedding`) stays so until
/// the estimated wait is back under half the budget, so a load balancer does not see it flap
/// at the edge; a node that is not starts shedding when the estimate exceeds the budget.
pub fn shedding(was_shedding: bool, estimated_wait: Duration, max_wait: Duration) -> bool {
    if was_shedding {
        estimated_wait > max_wait / 2
    } else {
        estimated_wait > max_wait
    }
}

/// When an admitted job was admitted, its weight, and by when a worker must start it.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    /// Admission time.
    pub admitted_at: Instant,
    /// The Argon2id operations it was admitted for (at least 1; given back on release).
    pub ops: u32,
    /// Latest start: the budget plus this job's own expected duration (the estimate is right
    /// to about one job) and at least [`MIN_GRACE`]; a job taken later is dropped unrun. None for a job that
    /// found a worker free: it queued behind nobody, so a late start is the scheduler's
    /// doing and dropping it would only waste the wait.
    pub deadline: Option<Instant>,
}

/// Least grace past the budget before an admitted job expires: a loaded machine can take a
/// few milliseconds to wake a hashing thread, and that is not queueing.
pub const MIN_GRACE: Duration = Duration::from_millis(10);

/// The shared admission state of one pool: jobs and operations admitted, the running mean
/// cost of one operation, the budget, and the readiness flag.
#[derive(Debug)]
pub struct WaitBudget {
    workers: usize,
    max_wait: Duration,
    /// Jobs (low 32 bits) and their operations (high 32 bits) admitted and not finished or
    /// dropped: one word, so admission reads and updates both at once without a lock.
    admitted: AtomicU64,
    /// Running mean of one Argon2id operation's measured duration, nanoseconds (0 until the
    /// first measurement).
    mean_cost_ns: AtomicU64,
    shedding: AtomicBool,
}

const JOB_MASK: u64 = 0xFFFF_FFFF;

fn unpack(word: u64) -> (usize, u64) {
    (
        usize::try_from(word & JOB_MASK).unwrap_or(usize::MAX),
        word >> 32,
    )
}

impl WaitBudget {
    /// A budget of `max_wait` for `workers` workers, with no cost measured yet.
    pub fn new(workers: usize, max_wait: Duration) -> Self {
        WaitBudget {
            workers: workers.max(1),
            max_wait,
            admitted: AtomicU64::new(0),
            mean_cost_ns: AtomicU64::new(0),
            shedding: AtomicBool::new(false),
        }
    }

    /// The budget.
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The current mean cost of one Argon2id operation.
    pub fn mean_cost(&self) -> Duration {
        Duration::from_nanos(self.mean_cost_ns.load(Ordering::Relaxed))
    }

    /// Jobs admitted and not yet finished or dropped.
    pub fn admitted(&self) -> usize {
        unpack(self.admitted.load(Ordering::Acquire)).0
    }

    /// Argon2id operations of the jobs admitted and not yet finished or dropped.
    pub fn admitted_ops(&self) -> u64 {
        unpack(self.admitted.load(Ordering::Acquire)).1
    }

    /// Sets the mean cost of one operation outright (the startup calibration hash seeds it).
    pub fn seed_cost(&self, cost: Duration) {
        self.mean_cost_ns.store(nanos(cost), Ordering::Relaxed);
    }

    /// Folds a job that ran `ops` Argon2id operations in `took` into the mean cost of one
    /// operation (the first one sets it). A job that ran none (a policy check alone) says
    /// nothing about the cost of an operation and is left out.
    pub fn record_cost(&self, took: Duration, ops: u64) {
        if ops == 0 {
            return;
        }
        let sample = nanos(took) / ops;
        let _ = self
            .mean_cost_ns
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(if old == 0 {
                    sample
                } else {
                    let delta = (i128::from(sample) - i128::from(old)) >> COST_WEIGHT_SHIFT;
                    u64::try_from(i128::from(old) + delta).unwrap_or(old)
                })
            });
    }

    /// The wait a job admitted now would face.
    pub fn estimated_wait(&self) -> Duration {
        let (jobs, ops) = unpack(self.admitted.load(Ordering::Acquire));
        wait_estimate(jobs, ops, self.workers, self.mean_cost())
    }

    /// True when a job would be admitted now (a cheap early check; [`WaitBudget::try_admit`]
    /// still decides).
    pub fn would_admit(&self) -> bool {
        self.estimated_wait() <= self.max_wait
    }

    /// Admits one job of `ops` Argon2id operations (0 counts as 1: a job without any still
    /// holds a worker) at `now` when its estimated wait is within the budget, returning its
    /// stamp; otherwise refuses it with the `Retry-After` the backlog suggests.
    pub fn try_admit(&self, now: Instant, ops: u32) -> Result<Stamp, Duration> {
        let ops = ops.max(1);
        let cost = self.mean_cost();
        let mut wait = Duration::ZERO;
        let admitted = self
            .admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                let (jobs, queued) = unpack(word);
                wait = wait_estimate(jobs, queued, self.workers, cost);
                let room = u64::from(ops) << 32 | 1;
                (wait <= self.max_wait && (word & JOB_MASK) < JOB_MASK)
                    .then(|| word.checked_add(room))
                    .flatten()
            });
        match admitted {
            Ok(_) => Ok(Stamp {
                admitted_at: now,
                ops,
                deadline: (!wait.is_zero())
                    .then(|| now + self.max_wait + cost.saturating_mul(ops).max(MIN_GRACE)),
            }),
            Err(_) => Err(retry_after(wait, self.max_wait)),
        }
    }

    /// Gives back the place of a job of `ops` operations (as admitted) that finished or was
    /// dropped.
    pub fn release(&self, ops: u32) {
        let room = u64::from(ops.max(1)) << 32 | 1;
        let _ = self
            .admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                word.checked_sub(room)
            });
    }

    /// True when a job stamped `stamp` and taken by a worker at `now` has already waited
    /// beyond the budget and its one job of grace (it is then dropped without hashing).
    pub fn expired(&self, stamp: &Stamp, now: Instant) -> bool {
        stamp.deadline.is_some_and(|deadline| now > deadline)
    }

    /// The `Retry-After` for a refusal now.
    pub fn retry_after(&self) -> Duration {
        retry_after(self.estimated_wait(), self.max_wait)
    }

    /// Whether the node should tell load balancers it is not ready (see [`shedding`]).
    pub fn shedding(&self) -> bool {
        let was = self.shedding.load(Ordering::Relaxed);
        let now = shedding(was, self.estimated_wait(), self.max_wait);
        if now != was {
            self.shedding.store(now, Ordering::Relaxed);
        }
        now
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn no_wait_while_a_worker_is_free() {
        assert_eq!(wait_estimate(0, 0, 2, 20 * MS), Duration::ZERO);
        assert_eq!(wait_estimate(1, 1, 2, 20 * MS), Duration::ZERO);
        // Both busy: the next job waits for one of them (half a job on average per worker).
        assert_eq!(wait_estimate(2, 2, 2, 20 * MS), 10 * MS);
        assert_eq!(wait_estimate(9, 9, 2, 20 * MS), 80 * MS);
        assert_eq!(
            wait_estimate(5, 5, 0, 20 * MS),
            100 * MS,
            "0 workers counts as 1"
        );
    }

    #[test]
    fn admits_within_the_budget_and_refuses_beyond() {
        let t = ManualTicker::new();
        let b = WaitBudget::new(2, Duration::from_secs(1));
        b.seed_cost(100 * MS);
        // (n - 2 + 1) / 2 × 100 ms ≤ 1 s for n ≤ 21: 22 jobs fit, the 23rd does not.
        for i in 0..22 {
            assert!(b.try_admit(t.now(), 1).is_ok(), "job {i} refused");
        }
        assert_eq!(b.estimated_wait(), Duration::from_millis(1050));
        assert!(!b.would_admit());
        assert_eq!(b.try_admit(t.now(), 1).err(), Some(Duration::from_secs(1)));
        assert_eq!(b.admitted(), 22);
        // One finishes: there is room for one again.
        b.release(1);
        assert!(b.try_admit(t.now(), 1).is_ok());
        assert!(b.try_admit(t.now(), 1).is_err());
    }

    #[test]
    fn eight_changes_at_once_are_load_not_overload() {
        let t = ManualTicker::new();
        let b = WaitBudget::new(2, DEFAULT_MAX_WAIT);
        // The machine: 10 ms per hash; a change with 5 remembered hashes is 7.
        b.seed_cost(10 * MS);
        for _ in 0..8 {
            assert!(b.try_admit(t.now(), 7).is_ok());
        }
        // The eighth waits for 6 of the 7 changes ahead on 2 workers: 6 × 70 ms / 2.
        assert_eq!(
            wait_estimate(b.admitted() - 1, b.admitted_ops() - 7, 2, b.mean_cost()),
            210 * MS
        );
    }

    #[test]
    fn jobs_weigh_their_argon2_operations() {
        let t = ManualTicker::new();
        let b = WaitBudget::new(2, DEFAULT_MAX_WAIT);
        b.seed_cost(20 * MS);
        // Two workers busy with a 7-operation change each, two logins queued: the work is 16
        // operations; when one worker frees, the other still has an average job (4) left.
        assert_eq!(wait_estimate(4, 16, 2, 20 * MS), 120 * MS);
        for ops in [7, 7, 1, 1] {
            assert!(b.try_admit(t.now(), ops).is_ok());
        }
        assert_eq!((b.admitted(), b.admitted_ops()), (4, 16));
        assert_eq!(b.estimated_wait(), 120 * MS);
        // Changes fill the budget seven times faster than logins: at 20 ms per operation, 16
        // changes fill one second where 102 logins would.
        let c = WaitBudget::new(2, DEFAULT_MAX_WAIT);
        c.seed_cost(20 * MS);
        let admitted = (0..40).filter(|_| c.try_admit(t.now(), 7).is_ok()).count();
        assert_eq!(admitted, 16);
        assert!(c.estimated_wait() > DEFAULT_MAX_WAIT);
        // Releases give back what was taken; a job of 0 operations holds one.
        c.release(7);
        assert_eq!((c.admitted(), c.admitted_ops()), (15, 105));
        let z = WaitBudget::new(1, DEFAULT_MAX_WAIT);
        assert!(z.try_admit(t.now(), 0).is_ok_and(|s| s.ops == 1));
        z.release(0);
        assert_eq!((z.admitted(), z.admitted_ops()), (0, 0));
    }

    #[test]
    fn the_cost_is_per_operation_and_jobs_without_one_do_not_count() {
        let b = WaitBudget::new(2, DEFAULT_MAX_WAIT);
        b.record_cost(70 * MS, 7);
        assert_eq!(b.mean_cost(), 10 * MS);
        b.record_cost(MS, 0);
        assert_eq!(b.mean_cost(), 10 * MS);
    }

    #[test]
    fn a_job_taken_after_its_deadline_is_expired() -> Result<(), Duration> {
        let t = ManualTicker::new();
        let b = WaitBudget::new(1, 50 * MS);
        b.seed_cost(20 * MS);
        // The first finds the worker free: it never expires.
        let free = b.try_admit(t.now(), 1)?;
        assert!(free.deadline.is_none());
        let stamp = b.try_admit(t.now(), 1)?;
        // The budget and one mean job of grace.
        assert_eq!(stamp.deadline, Some(stamp.admitted_at + 70 * MS));
        t.advance(70 * MS);
        assert!(
            !b.expired(&stamp, t.now()),
            "exactly on the deadline still runs"
        );
        t.advance(MS);
        assert!(b.expired(&stamp, t.now()));
        t.advance(Duration::from_secs(60));
        assert!(!b.expired(&free, t.now()));
        // A cheap mean job still gets the least grace.
        b.seed_cost(MS);
        let cheap = b.try_admit(t.now(), 1)?;
        assert_eq!(
            cheap.deadline,
            Some(cheap.admitted_at + 50 * MS + MIN_GRACE)
        );
        Ok(())
    }

    #[test]
    fn retry_after_follows_the_backlog() {
        let second = Duration::from_secs(1);
        assert_eq!(retry_after(second + MS, second), second);
        assert_eq!(retry_after(Duration::from_millis(3500), second), 3 * second);
        assert_eq!(retry_after(Duration::from_secs(4), second), 3 * second);
        assert_eq!(
            retry_after(Duration::from_secs(600), second),
            MAX_RETRY_AFTER
        );
        // Admitted under a fast mean cost, then the machine slows down: the backlog now
        // needs (40 - 2 + 1) / 2 × 200 ms = 3.9 s, 2.9 s beyond the budget.
        let t = ManualTicker::new();
        let b = WaitBudget::new(2, second);
        b.seed_cost(MS);
        for _ in 0..40 {
            assert!(b.try_admit(t.now(), 1).is_ok());
        }
        b.seed_cost(200 * MS);
        assert_eq!(b.try_admit(t.now(), 1).err(), Some(3 * second));
        assert_eq!(b.retry_after(), 3 * second);
    }

    #[test]
    fn the_mean_cost_follows_measured_jobs() {
        let b = WaitBudget::new(2, DEFAULT_MAX_WAIT);
        assert_eq!(b.mean_cost(), Duration::ZERO);
        b.record_cost(16 * MS, 1);
        assert_eq!(b.mean_cost(), 16 * MS);
        b.record_cost(24 * MS, 1);
        assert_eq!(b.mean_cost(), 17 * MS);
        for _ in 0..200 {
            b.record_cost(40 * MS, 1);
        }
        assert!(b.mean_cost() > 39 * MS && b.mean_cost() <= 40 * MS);
        b.release(1);
        assert_eq!(b.admitted(), 0, "a stray release does not wrap around");
    }

    #[test]
    fn readiness_has_hysteresis() {
        let budget = Duration::from_secs(1);
        assert!(!shedding(false, budget, budget));
        assert!(shedding(false, budget + MS, budget));
        // Once shedding, it stays so until the wait is under half the budget.
        assert!(shedding(true, budget - MS, budget));
        assert!(shedding(true, budget / 2 + MS, budget));
        assert!(!shedding(true, budget / 2, budget));
        let t = ManualTicker::new();
        let b = WaitBudget::new(1, budget);
        b.seed_cost(100 * MS);
        for _ in 0..10 {
            assert!(b.try_admit(t.now(), 1).is_ok());
        }
        assert!(!b.shedding(), "10 × 100 ms is within the budget");
        b.seed_cost(110 * MS);
        assert!(b.shedding(), "10 × 110 ms is not");
        for _ in 0..5 {
            b.release(1);
        }
        assert!(b.shedding(), "5 × 110 ms: still above half the budget");
        b.release(1);
        assert!(!b.shedding(), "4 × 110 ms: under half the budget");
    }
}
