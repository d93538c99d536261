//! The bounded Argon2id pool: one OS thread per core, each with its own memory buffer, fed by
//! a queue whose admission is decided by waiting time (see [`super::admission`]): a job is
//! admitted when its estimated wait is within the budget, refused at once with
//! [`CoreError::Overloaded`] otherwise, and dropped unrun when its caller has gone or a
//! worker takes it after its deadline. The async executor never blocks on hashing and no
//! request waits beyond the budget for a worker.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::admission::{Stamp, SystemTicker, Ticker, WaitBudget};
use super::hasher::{Argon2Worker, HashParams};
use crate::metrics::CoreMetrics;
use crate::CoreError;

/// The hashing threads are named this prefix and their index (`argon2-0`, `argon2-1`, ...), so
/// `top -H`, `perf` and the benchmark (which sums their CPU time) can tell them apart.
pub const HASH_THREAD_NAME_PREFIX: &str = "argon2-";

/// How the operating system schedules the hashing threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashThreadPolicy {
    /// Linux `SCHED_BATCH`: the kernel treats the threads as CPU-bound and lets threads
    /// woken by the network (cheap requests, refusals, health checks) run before them, while
    /// their share of the CPU against other processes stays that of a normal thread.
    /// Elsewhere the same as `Normal`.
    #[default]
    Batch,
    /// The operating system's default policy.
    Normal,
}

/// Applies `policy` to the calling thread; a refusal by the OS is logged, not fatal.
fn apply(policy: HashThreadPolicy) {
    #[cfg(target_os = "linux")]
    if policy == HashThreadPolicy::Batch {
        use thread_priority::{
            set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
            ThreadPriority, ThreadSchedulePolicy,
        };
        if let Err(e) = set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Min,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
        ) {
            tracing::warn!(error = ?e, "cannot give the hashing thread SCHED_BATCH; it keeps the default policy");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = policy;
}

/// Handle to the hashing workers. Cloning shares the same pool.
#[derive(Clone)]
pub struct HashPool {
    tx: Sender<Job>,
    metrics: Arc<CoreMetrics>,
    workers: usize,
    budget: Arc<WaitBudget>,
    ticker: Arc<dyn Ticker>,
}

/// One admitted job's place (its operations); given back when the job finishes or is dropped
/// unrun.
struct Place(Arc<WaitBudget>, u32);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.release(self.1);
    }
}

/// A job in the queue: when it was admitted, its place, and the work with its answer channel.
struct Job {
    stamp: Stamp,
    place: Place,
    work: Box<dyn Work>,
}

/// The type-erased work of a job (the closure and the channel its caller awaits).
trait Work: Send {
    /// True when the caller stopped waiting (its request was cancelled or timed out).
    fn abandoned(&self) -> bool;
    /// Runs the work, calls `before_answer` with the worker, then answers the caller.
    fn run(
        self: Box<Self>,
        worker: &mut Argon2Worker,
        before_answer: &mut dyn FnMut(&Argon2Worker),
    );
    /// Answers the caller with `err` without running the work.
    fn refuse(self: Box<Self>, err: CoreError);
}

struct Pending<F, R> {
    f: F,
    done: tokio::sync::oneshot::Sender<Result<R, CoreError>>,
}

impl<F, R> Work for Pending<F, R>
where
    F: FnOnce(&mut Argon2Worker) -> R + Send,
    R: Send,
{
    fn abandoned(&self) -> bool {
        self.done.is_closed()
    }

    fn run(
        self: Box<Self>,
        worker: &mut Argon2Worker,
        before_answer: &mut dyn FnMut(&Argon2Worker),
    ) {
        let Pending { f, done } = *self;
        // A panicking job (a bug, e.g. in the strength estimator on some input) must not take
        // its hashing thread down with it: the pool would lose capacity for good and the
        // caller would only see its answer channel dropped. The worker's buffer is scratch
        // memory, rewritten by the next job, so it is safe to keep using after an unwind.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(worker)));
        before_answer(worker);
        let answer = result.map_err(|_| {
            tracing::error!("a hashing-pool job panicked; the request fails, the worker goes on");
            CoreError::Internal("a hashing job failed".into())
        });
        // The receiver may be gone if the request was cancelled meanwhile; nothing to do then.
        let _ = done.send(answer);
    }

    fn refuse(self: Box<Self>, err: CoreError) {
        let _ = self.done.send(Err(err));
    }
}

impl HashPool {
    /// Starts `workers` threads (0 = one per available core) admitting jobs whose estimated
    /// wait is within `max_wait`.
    pub fn start(
        params: HashParams,
        workers: usize,
        max_wait: Duration,
        thread_policy: HashThreadPolicy,
        metrics: Arc<CoreMetrics>,
    ) -> Result<Self, CoreError> {
        Self::start_with_ticker(
            params,
            workers,
            max_wait,
            thread_policy,
            metrics,
            Arc::new(SystemTicker),
        )
    }

    /// [`HashPool::start`] with the clock of the admission rule given (tests move it by hand).
    pub fn start_with_ticker(
        params: HashParams,
        workers: usize,
        max_wait: Duration,
        thread_policy: HashThreadPolicy,
        metrics: Arc<CoreMetrics>,
        ticker: Arc<dyn Ticker>,
    ) -> Result<Self, CoreError> {
        let workers = if workers == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            workers
        };
        let budget = Arc::new(WaitBudget::new(workers, max_wait));
        // Unbounded channel: admission by estimated wait bounds what is in it.
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers {
            let mut worker = Argon2Worker::with_metrics(params, Arc::clone(&metrics))?;
            let shared = Shared {
                rx: Arc::clone(&rx),
                metrics: Arc::clone(&metrics),
                budget: Arc::clone(&budget),
                ticker: Arc::clone(&ticker),
            };
            std::thread::Builder::new()
                .name(format!("{HASH_THREAD_NAME_PREFIX}{i}"))
                .spawn(move || worker_loop(&shared, &mut worker, thread_policy))
                .map_err(|e| CoreError::Internal(format!("cannot start hashing thread: {e}")))?;
        }
        Ok(HashPool {
            tx,
            metrics,
            workers,
            budget,
            ticker,
        })
    }

    /// Number of hashing threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The waiting budget of a job.
    pub fn max_wait(&self) -> Duration {
        self.budget.max_wait()
    }

    /// The wait a job admitted now would face before a worker starts it.
    pub fn estimated_wait(&self) -> Duration {
        self.budget.estimated_wait()
    }

    /// The recent mean duration of one job on a worker.
    pub fn mean_cost(&self) -> Duration {
        self.budget.mean_cost()
    }

    /// Jobs admitted and not finished (waiting or running).
    pub fn admitted(&self) -> usize {
        self.budget.admitted()
    }

    /// Sets the mean job cost from a calibration measurement (the startup hash).
    pub fn seed_cost(&self, cost: Duration) {
        self.budget.seed_cost(cost);
    }

    /// True while the node should tell load balancers it is not ready: the estimated wait
    /// went over the budget and has not yet come back under half of it.
    pub fn shedding(&self) -> bool {
        self.budget.shedding()
    }

    /// True when a job would be admitted now. A cheap early check for requests that will
    /// need hashing, so that under overload they are refused before any other work; the
    /// admission in [`HashPool::run`] still decides.
    pub fn would_admit(&self) -> bool {
        self.budget.would_admit()
    }

    /// Counts and returns an early refusal (see [`HashPool::would_admit`]).
    pub fn refuse_early(&self) -> CoreError {
        self.refuse(self.budget.retry_after())
    }

    fn refuse(&self, retry_after: Duration) -> CoreError {
        self.metrics
            .refused_estimated_wait
            .fetch_add(1, Ordering::Relaxed);
        CoreError::Overloaded { retry_after }
    }

    /// Runs `f`, a job of one Argon2id operation (or of none), on a hashing thread; see
    /// [`HashPool::run_ops`].
    pub async fn run<R, F>(&self, f: F) -> Result<R, CoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Argon2Worker) -> R + Send + 'static,
    {
        self.run_ops(1, f).await
    }

    /// Runs `f` on a hashing thread and awaits its result; `ops` is the number of Argon2id
    /// operations it will run at most (a change: verify, the reuse checks, hash), which the
    /// admission rule weighs it by. Refuses immediately with `Overloaded` when the job's
    /// estimated wait exceeds the budget, and answers `Overloaded` when a worker took it only
    /// after its deadline (it then never ran).
    pub async fn run_ops<R, F>(&self, ops: u32, f: F) -> Result<R, CoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Argon2Worker) -> R + Send + 'static,
    {
        let stamp = self
            .budget
            .try_admit(self.ticker.now(), ops)
            .map_err(|retry_after| self.refuse(retry_after))?;
        let (done, done_rx) = tokio::sync::oneshot::channel();
        let job = Job {
            place: Place(Arc::clone(&self.budget), stamp.ops),
            stamp,
            work: Box::new(Pending { f, done }),
        };
        self.metrics.queue_depth.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(job).is_err() {
            self.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
            return Err(CoreError::Internal("hashing pool stopped".into()));
        }
        done_rx
            .await
            .map_err(|_| CoreError::Internal("hashing job was dropped".into()))?
    }
}

/// What every hashing thread shares.
struct Shared {
    rx: Arc<Mutex<Receiver<Job>>>,
    metrics: Arc<CoreMetrics>,
    budget: Arc<WaitBudget>,
    ticker: Arc<dyn Ticker>,
}

fn worker_loop(shared: &Shared, worker: &mut Argon2Worker, policy: HashThreadPolicy) {
    apply(policy);
    let Shared {
        rx,
        metrics,
        budget,
        ticker,
    } = shared;
    loop {
        let job = {
            let Ok(guard) = rx.lock() else { return };
            match guard.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
        let Job { stamp, place, work } = job;
        let now = ticker.now();
        if work.abandoned() {
            metrics.dropped_abandoned.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if budget.expired(&stamp, now) {
            metrics.refused_expired.fetch_add(1, Ordering::Relaxed);
            drop(place);
            work.refuse(CoreError::Overloaded {
                retry_after: budget.retry_after(),
            });
            continue;
        }
        metrics
            .queue_wait
            .observe(now.saturating_duration_since(stamp.admitted_at));
        metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        let mut place = Some(place);
        let ops_before = worker.operations();
        let ops_of = |w: &Argon2Worker| w.operations().saturating_sub(ops_before);
        work.run(worker, &mut |w| {
            // Counted and measured before answering, so the caller's next look at the
            // metrics and its next admission include this job.
            metrics.jobs_run.fetch_add(1, Ordering::Relaxed);
            budget.record_cost(ticker.now().saturating_duration_since(now), ops_of(w));
            // Free the place before answering, so the caller's next request finds it free.
            place.take();
        });
        metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::super::admission::ManualTicker;
    use super::*;

    fn params() -> HashParams {
        HashParams {
            m_kib: 64,
            t: 1,
            p: 1,
        }
    }

    #[tokio::test]
    async fn runs_jobs_on_worker_threads() -> Result<(), CoreError> {
        let metrics = Arc::new(CoreMetrics::default());
        let pool = HashPool::start(
            params(),
            1,
            Duration::from_secs(1),
            HashThreadPolicy::Normal,
            Arc::clone(&metrics),
        )?;
        let phc = pool.run(|w| w.hash("pw")).await??;
        assert!(pool.run(move |w| w.verify("pw", &phc)).await??);
        Ok(())
    }

    /// The scheduling policy of the calling thread, from `/proc/thread-self/stat` (field 41).
    #[cfg(target_os = "linux")]
    fn current_policy() -> Option<u32> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        let after_name = &stat[stat.rfind(')')? + 1..];
        after_name.split_whitespace().nth(41 - 3)?.parse().ok()
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_get_the_configured_policy() -> Result<(), CoreError> {
        const SCHED_OTHER: u32 = 0;
        const SCHED_BATCH: u32 = 3;
        for (policy, expected) in [
            (HashThreadPolicy::Batch, SCHED_BATCH),
            (HashThreadPolicy::Normal, SCHED_OTHER),
        ] {
            let pool = HashPool::start(
                params(),
                1,
                Duration::from_secs(1),
                policy,
                Arc::new(CoreMetrics::default()),
            )?;
            assert_eq!(pool.run(|_| current_policy()).await?, Some(expected));
        }
        // The caller's own thread is not touched.
        assert_eq!(current_policy(), Some(SCHED_OTHER));
        Ok(())
    }

    /// A pool of one worker on a hand-moved clock, with a known mean job cost.
    fn manual_pool(
        max_wait: Duration,
        cost: Duration,
    ) -> Result<(HashPool, Arc<ManualTicker>, Arc<CoreMetrics>), CoreError> {
        let metrics = Arc::new(CoreMetrics::default());
        let ticker = Arc::new(ManualTicker::new());
        let pool = HashPool::start_with_ticker(
            params(),
            1,
            max_wait,
            HashThreadPolicy::Normal,
            Arc::clone(&metrics),
            Arc::clone(&ticker) as Arc<dyn Ticker>,
        )?;
        pool.seed_cost(cost);
        Ok((pool, ticker, metrics))
    }

    /// Occupies the only worker until the returned sender is used or dropped.
    async fn occupy(
        pool: &HashPool,
    ) -> Result<
        (
            std::sync::mpsc::Sender<()>,
            tokio::task::JoinHandle<Result<(), CoreError>>,
        ),
        CoreError,
    > {
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let p = pool.clone();
        let busy = tokio::spawn(async move {
            p.run(move |_| {
                let _ = started_tx.send(());
                let _ = release_rx.recv();
            })
            .await
        });
        started_rx
            .await
            .map_err(|_| CoreError::Internal("no start".into()))?;
        Ok((release_tx, busy))
    }

    /// Waits (bounded) until `n` jobs are admitted.
    async fn admitted(pool: &HashPool, n: usize) -> Result<(), CoreError> {
        for _ in 0..500 {
            if pool.admitted() == n {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(CoreError::Internal(format!("never {n} admitted")))
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_worker_goes_on() -> Result<(), CoreError> {
        let (pool, _ticker, _metrics) =
            manual_pool(Duration::from_secs(1), Duration::from_millis(1))?;
        let failed = pool.run(|_| -> u32 { panic!("a bug in a job") }).await;
        assert!(matches!(failed, Err(CoreError::Internal(_))), "{failed:?}");
        // The pool's only worker is still there (without it this would never answer).
        let next = tokio::time::timeout(Duration::from_secs(10), pool.run(|_| 7))
            .await
            .map_err(|_| CoreError::Internal("the worker died with the job".into()))?;
        assert_eq!(next?, 7);
        Ok(())
    }

    #[tokio::test]
    async fn refuses_at_once_beyond_the_budget() -> Result<(), CoreError> {
        // One job fits behind the running one (40 ms ≤ 50 ms), a second would wait 80 ms.
        let (pool, _ticker, metrics) =
            manual_pool(Duration::from_millis(50), Duration::from_millis(40))?;
        let (release, busy) = occupy(&pool).await?;
        let p = pool.clone();
        let queued = tokio::spawn(async move { p.run(|_| 1).await });
        admitted(&pool, 2).await?;
        assert!(!pool.would_admit());
        let refused = pool.run(|_| 2).await;
        assert!(
            matches!(refused, Err(CoreError::Overloaded { retry_after }) if retry_after == Duration::from_secs(1)),
            "{refused:?}"
        );
        assert_eq!(metrics.refused_estimated_wait.load(Ordering::Relaxed), 1);
        let _ = release.send(());
        assert!(matches!(busy.await, Ok(Ok(()))));
        assert!(matches!(queued.await, Ok(Ok(1))));
        assert_eq!(metrics.queue_wait.snapshot().count, 2);
        Ok(())
    }

    #[tokio::test]
    async fn a_job_taken_after_its_deadline_is_refused_unrun() -> Result<(), CoreError> {
        let (pool, ticker, metrics) =
            manual_pool(Duration::from_millis(50), Duration::from_millis(10))?;
        let (release, busy) = occupy(&pool).await?;
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let p = pool.clone();
        let late =
            tokio::spawn(async move { p.run(move |_| flag.store(true, Ordering::SeqCst)).await });
        admitted(&pool, 2).await?;
        // Past the budget (50 ms) and the grace (one job, at least 10 ms).
        ticker.advance(Duration::from_millis(61));
        let _ = release.send(());
        assert!(matches!(busy.await, Ok(Ok(()))));
        assert!(
            matches!(late.await, Ok(Err(CoreError::Overloaded { .. }))),
            "the late job got no overload answer"
        );
        assert!(!ran.load(Ordering::SeqCst), "the late job ran");
        assert_eq!(metrics.refused_expired.load(Ordering::Relaxed), 1);
        assert_eq!(pool.admitted(), 0);
        // The next job runs as usual.
        assert_eq!(pool.run(|_| 3).await?, 3);
        Ok(())
    }

    #[tokio::test]
    async fn a_job_whose_caller_left_is_dropped_unrun() -> Result<(), CoreError> {
        let (pool, _ticker, metrics) =
            manual_pool(Duration::from_secs(1), Duration::from_millis(10))?;
        let (release, busy) = occupy(&pool).await?;
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let p = pool.clone();
        let gone =
            tokio::spawn(async move { p.run(move |_| flag.store(true, Ordering::SeqCst)).await });
        admitted(&pool, 2).await?;
        gone.abort();
        let _ = gone.await;
        let _ = release.send(());
        assert!(matches!(busy.await, Ok(Ok(()))));
        // Jobs are taken in order: once this one ran, the abandoned one was looked at.
        assert_eq!(pool.run(|_| 4).await?, 4);
        assert!(!ran.load(Ordering::SeqCst), "the abandoned job ran");
        assert_eq!(metrics.dropped_abandoned.load(Ordering::Relaxed), 1);
        assert_eq!(pool.admitted(), 0);
        Ok(())
    }

    #[tokio::test]
    async fn finished_jobs_give_their_places_back() -> Result<(), CoreError> {
        let metrics = Arc::new(CoreMetrics::default());
        let pool = HashPool::start(
            params(),
            1,
            Duration::from_secs(1),
            HashThreadPolicy::Normal,
            Arc::clone(&metrics),
        )?;
        for _ in 0..20 {
            pool.run(|_| ()).await?;
        }
        assert_eq!(pool.admitted(), 0);
        // Jobs without an Argon2id operation say nothing of its cost; one with two does.
        assert_eq!(pool.mean_cost(), Duration::ZERO);
        pool.run_ops(2, |w| w.hash("a").and_then(|_| w.hash("b")))
            .await??;
        assert!(pool.mean_cost() > Duration::ZERO);
        assert_eq!(pool.admitted(), 0);
        let (a, b) = tokio::join!(pool.run(|_| 1), pool.run(|_| 2));
        assert!(matches!((a, b), (Ok(1), Ok(2))));
        assert_eq!(metrics.refused_estimated_wait.load(Ordering::Relaxed), 0);
        assert_eq!(pool.admitted(), 0);
        Ok(())
    }
}
