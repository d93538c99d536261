//! The bounded Argon2id pool: one OS thread per core, each with its own memory buffer, fed by
//! a bounded admission queue. At most workers + queue jobs are admitted at a time (waiting or
//! running); beyond that a job is refused at once with [`CoreError::Overloaded`], so the async
//! executor never blocks on hashing and no request waits without bound.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::hasher::{Argon2Worker, HashParams};
use crate::metrics::CoreMetrics;
use crate::CoreError;

type Job = Box<dyn FnOnce(&mut Argon2Worker) + Send>;

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
    tx: SyncSender<Job>,
    metrics: Arc<CoreMetrics>,
    workers: usize,
    capacity: usize,
    /// Jobs admitted and not finished (waiting or running), at most workers + capacity.
    admitted: Arc<AtomicUsize>,
}

/// One admitted job's place; given back when the job finishes or is dropped unrun.
struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashPool {
    /// Starts `workers` threads (0 = one per available core) behind a queue holding at most
    /// `queue_capacity` waiting jobs (0 = as many as there are workers: an admitted job then
    /// waits for at most about one job per worker before it starts).
    pub fn start(
        params: HashParams,
        workers: usize,
        queue_capacity: usize,
        thread_policy: HashThreadPolicy,
        metrics: Arc<CoreMetrics>,
    ) -> Result<Self, CoreError> {
        let workers = if workers == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            workers
        };
        let capacity = if queue_capacity == 0 {
            workers
        } else {
            queue_capacity
        };
        // Admission bounds the jobs in the system to workers + capacity, so the channel never
        // fills; counting places there instead of channel slots means a worker that has just
        // finished a job (and not yet taken the next) does not shrink the queue.
        let (tx, rx) = sync_channel::<Job>(workers + capacity);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers {
            let mut worker = Argon2Worker::with_metrics(params, Arc::clone(&metrics))?;
            let rx = Arc::clone(&rx);
            let metrics = Arc::clone(&metrics);
            std::thread::Builder::new()
                .name(format!("{HASH_THREAD_NAME_PREFIX}{i}"))
                .spawn(move || worker_loop(&rx, &mut worker, &metrics, thread_policy))
                .map_err(|e| CoreError::Internal(format!("cannot start hashing thread: {e}")))?;
        }
        Ok(HashPool {
            tx,
            metrics,
            workers,
            capacity,
            admitted: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Number of hashing threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Capacity of the admission queue.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// True when a job would be admitted now. A cheap early check for requests that will
    /// need hashing, so that under overload they are refused before any other work; the
    /// admission in [`HashPool::run`] still decides.
    pub fn has_room(&self) -> bool {
        self.admitted.load(Ordering::Acquire) < self.workers + self.capacity
    }

    /// Counts and returns an early refusal (see [`HashPool::has_room`]).
    pub fn refuse_early(&self) -> CoreError {
        self.refuse()
    }

    /// Takes a place for one job, or None when workers + capacity jobs are already admitted.
    fn admit(&self) -> Option<Admission> {
        let limit = self.workers + self.capacity;
        self.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()
            .map(|_| Admission(Arc::clone(&self.admitted)))
    }

    fn refuse(&self) -> CoreError {
        self.metrics.queue_refused.fetch_add(1, Ordering::Relaxed);
        CoreError::Overloaded {
            retry_after: Duration::from_secs(1),
        }
    }

    /// Runs `f` on a hashing thread and awaits its result. Refuses immediately with
    /// `Overloaded` when workers + queue jobs are already admitted.
    pub async fn run<R, F>(&self, f: F) -> Result<R, CoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Argon2Worker) -> R + Send + 'static,
    {
        let Some(place) = self.admit() else {
            return Err(self.refuse());
        };
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let metrics = Arc::clone(&self.metrics);
        let job: Job = Box::new(move |w| {
            let result = f(w);
            // Counted before answering, so the caller's next look at the metrics includes it.
            metrics.jobs_run.fetch_add(1, Ordering::Relaxed);
            // Free the place before answering, so the caller's next request finds it free.
            drop(place);
            // The receiver may be gone if the request was cancelled; nothing to do then.
            let _ = done_tx.send(result);
        });
        self.metrics.queue_depth.fetch_add(1, Ordering::Relaxed);
        match self.tx.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
                return Err(self.refuse());
            }
            Err(TrySendError::Disconnected(_)) => {
                self.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
                return Err(CoreError::Internal("hashing pool stopped".into()));
            }
        }
        done_rx
            .await
            .map_err(|_| CoreError::Internal("hashing job was dropped".into()))
    }
}

fn worker_loop(
    rx: &Mutex<Receiver<Job>>,
    worker: &mut Argon2Worker,
    metrics: &CoreMetrics,
    policy: HashThreadPolicy,
) {
    apply(policy);
    loop {
        let job = {
            let Ok(guard) = rx.lock() else { return };
            match guard.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
        metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        job(worker);
        metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
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
            1,
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
            let pool = HashPool::start(params(), 1, 1, policy, Arc::new(CoreMetrics::default()))?;
            assert_eq!(pool.run(|_| current_policy()).await?, Some(expected));
        }
        // The caller's own thread is not touched.
        assert_eq!(current_policy(), Some(SCHED_OTHER));
        Ok(())
    }

    #[tokio::test]
    async fn full_queue_refuses_immediately() -> Result<(), CoreError> {
        let metrics = Arc::new(CoreMetrics::default());
        let pool = HashPool::start(
            params(),
            1,
            1,
            HashThreadPolicy::Normal,
            Arc::clone(&metrics),
        )?;
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        // Occupy the only worker until released.
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
        // One job fits in the queue...
        let p = pool.clone();
        let queued = tokio::spawn(async move { p.run(|_| 1).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // ...the next is refused at once.
        let refused = pool.run(|_| 2).await;
        assert!(matches!(refused, Err(CoreError::Overloaded { .. })));
        assert_eq!(metrics.queue_refused.load(Ordering::Relaxed), 1);
        let _ = release_tx.send(());
        assert!(busy.await.is_ok());
        assert!(matches!(queued.await, Ok(Ok(1))));
        Ok(())
    }

    #[tokio::test]
    async fn finished_jobs_give_their_places_back() -> Result<(), CoreError> {
        let metrics = Arc::new(CoreMetrics::default());
        let pool = HashPool::start(
            params(),
            1,
            1,
            HashThreadPolicy::Normal,
            Arc::clone(&metrics),
        )?;
        for _ in 0..20 {
            pool.run(|_| ()).await?;
        }
        assert_eq!(pool.admitted.load(Ordering::Acquire), 0);
        // Both places (one running, one waiting) are available again at once.
        let (a, b) = tokio::join!(pool.run(|_| 1), pool.run(|_| 2));
        assert!(matches!((a, b), (Ok(1), Ok(2))));
        assert_eq!(metrics.queue_refused.load(Ordering::Relaxed), 0);
        assert_eq!(pool.admitted.load(Ordering::Acquire), 0);
        Ok(())
    }
}
