//! The open-loop driver: requests arrive at a fixed rate whatever the server answers (as
//! independent users do), each on an idle keep-alive connection or a new one. Latency is timed
//! from the request's scheduled arrival, so a late generator or a full connection pool shows
//! up as latency instead of quietly lowering the offered load.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::client::{Conn, Endpoint, Req, Resp};
use super::driver::Phase;
use super::stats::Recorder;

/// Requests in flight at which further arrivals are counted as `client_overflow` instead of
/// sent: the generator's own bound (file descriptors, memory), far above what a server that
/// answers within its budget keeps open.
const MAX_IN_FLIGHT: usize = 8192;

/// What an open-loop run sends and how it reads the answers.
pub struct OpenLoad {
    /// The request of arrival `n`.
    pub request: Box<dyn Fn(u64) -> Req + Send + Sync>,
    /// The outcome kind of an answer (`ok` for the expected one).
    pub classify: fn(&Resp) -> &'static str,
    /// Arrivals per second.
    pub rate: f64,
}

/// Sends `load.rate` requests per second during `phase`, then waits for the last answers.
pub async fn run_open(endpoint: &Endpoint, load: OpenLoad, phase: Phase) -> Recorder {
    let idle: Arc<Mutex<Vec<Conn>>> = Arc::new(Mutex::new(Vec::new()));
    let request = Arc::new(load.request);
    let period = Duration::from_secs_f64(1.0 / load.rate.max(1e-3));
    let mut set = JoinSet::new();
    let mut rec = Recorder::with_capacity(4096);
    let mut n: u64 = 0;
    while let Some(scheduled) = arrival(phase.start, period, n) {
        if scheduled >= phase.deadline {
            break;
        }
        tokio::time::sleep_until(scheduled.into()).await;
        // Every arrival due by now leaves now (the timer is coarser than a high rate's period).
        let now = Instant::now();
        while let Some(at) = arrival(phase.start, period, n).filter(|at| *at <= now) {
            if at >= phase.deadline {
                break;
            }
            if set.len() >= MAX_IN_FLIGHT {
                rec.record(phase.start, at, Duration::ZERO, "client_overflow");
            } else {
                let req = request(n);
                let endpoint = endpoint.clone();
                let idle = Arc::clone(&idle);
                let classify = load.classify;
                set.spawn(async move { (at, one(&endpoint, &idle, &req, classify, at).await) });
            }
            n += 1;
        }
        while let Some(done) = set.try_join_next() {
            if let Ok((at, (latency, kind))) = done {
                rec.record(phase.start, at, latency, kind);
            }
        }
    }
    while let Some(done) = set.join_next().await {
        if let Ok((at, (latency, kind))) = done {
            rec.record(phase.start, at, latency, kind);
        }
    }
    rec
}

/// The scheduled time of arrival `n`.
fn arrival(start: Instant, period: Duration, n: u64) -> Option<Instant> {
    start.checked_add(period.checked_mul(u32::try_from(n).ok()?)?)
}

/// One exchange on an idle connection (or a new one); its latency counts from `at`, the
/// scheduled arrival.
async fn one(
    endpoint: &Endpoint,
    idle: &Mutex<Vec<Conn>>,
    req: &Req,
    classify: fn(&Resp) -> &'static str,
    at: Instant,
) -> (Duration, &'static str) {
    let since = || Instant::now().saturating_duration_since(at);
    let taken = idle.lock().ok().and_then(|mut v| v.pop());
    let mut conn = match taken {
        Some(c) => c,
        None => match Conn::open(endpoint).await {
            Ok(c) => c,
            Err(e) => return (since(), e.kind()),
        },
    };
    match conn.send(req).await {
        Ok(resp) => {
            let kind = classify(&resp);
            if !resp.close {
                if let Ok(mut v) = idle.lock() {
                    v.push(conn);
                }
            }
            (since(), kind)
        }
        Err(e) => (since(), e.kind()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_are_evenly_spaced() {
        let t0 = Instant::now();
        let p = Duration::from_millis(4);
        assert_eq!(arrival(t0, p, 0), Some(t0));
        assert_eq!(arrival(t0, p, 250), Some(t0 + Duration::from_secs(1)));
    }
}
