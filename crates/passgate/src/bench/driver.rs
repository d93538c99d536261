//! The closed-loop driver: each worker owns one keep-alive connection and sends its next
//! request as soon as the previous answer is read, until the phase deadline.

use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::client::{Conn, Endpoint, Req, Resp};
use super::stats::Recorder;

/// One worker's request logic.
pub trait Flow: Send + 'static {
    /// The next request to send.
    fn next(&mut self) -> Req;
    /// Classifies an answer (`ok` means the outcome the scenario expects) and updates the
    /// worker's state.
    fn answer(&mut self, resp: &Resp) -> &'static str;
    /// The exchange failed without an answer (timeout, broken connection): whatever the
    /// request was meant to change may or may not have happened.
    fn failed(&mut self) {}
}

/// A measured phase: samples are timed from `start`, and no request starts after
/// `deadline`.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    /// Start of the phase.
    pub start: Instant,
    /// No request starts after this.
    pub deadline: Instant,
}

impl Phase {
    /// A phase starting now and lasting `length`.
    pub fn starting_now(length: Duration) -> Self {
        let start = Instant::now();
        Phase {
            start,
            deadline: start + length,
        }
    }

    /// Its nominal length.
    pub fn length(&self) -> Duration {
        self.deadline.saturating_duration_since(self.start)
    }
}

/// A worker ready to run: its flow and, optionally, a connection it already opened (for
/// instance to log in during setup).
pub struct Worker<F> {
    /// Request logic and state.
    pub flow: F,
    /// Open connection to reuse, if any.
    pub conn: Option<Conn>,
}

/// Runs `worker` until `phase.deadline`; returns its samples and the worker (so a later
/// phase can continue with the same state and connection).
pub async fn drive<F: Flow>(
    endpoint: Endpoint,
    mut worker: Worker<F>,
    phase: Phase,
) -> (Recorder, Worker<F>) {
    // Capacity for a typical cheap-path run without reallocating in the loop.
    let mut rec = Recorder::with_capacity(4096);
    while Instant::now() < phase.deadline {
        let conn = match worker.conn.as_mut() {
            Some(c) => c,
            None => {
                let t0 = Instant::now();
                match Conn::open(&endpoint).await {
                    Ok(c) => worker.conn.insert(c),
                    Err(e) => {
                        rec.record(phase.start, t0, t0.elapsed(), e.kind());
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                }
            }
        };
        let req = worker.flow.next();
        let t0 = Instant::now();
        let result = conn.send(&req).await;
        let latency = t0.elapsed();
        let kind = match result {
            Ok(resp) => {
                if resp.close {
                    worker.conn = None;
                }
                worker.flow.answer(&resp)
            }
            Err(e) => {
                worker.conn = None;
                worker.flow.failed();
                e.kind()
            }
        };
        rec.record(phase.start, t0, latency, kind);
    }
    (rec, worker)
}

/// Runs every worker in `workers` concurrently for `phase`; returns the merged samples and
/// the workers.
pub async fn run_all<F: Flow>(
    endpoint: &Endpoint,
    workers: Vec<Worker<F>>,
    phase: Phase,
) -> (Recorder, Vec<Worker<F>>) {
    let mut set = JoinSet::new();
    for (i, w) in workers.into_iter().enumerate() {
        let endpoint = endpoint.clone();
        set.spawn(async move { (i, drive(endpoint, w, phase).await) });
    }
    let mut merged = Recorder::default();
    let mut back = Vec::with_capacity(set.len());
    while let Some(joined) = set.join_next().await {
        if let Ok((i, (rec, w))) = joined {
            merged.merge(rec);
            back.push((i, w));
        }
    }
    back.sort_by_key(|(i, _)| *i);
    (merged, back.into_iter().map(|(_, w)| w).collect())
}
