//! The table of open connections: each one's phase (waiting for a request head, running a
//! request, idle between requests) and since when. The timeouts, the eviction at the cap
//! and graceful shutdown all decide from it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// What a connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for (the rest of) a request head: from the accept, or from the first byte
    /// of the next request on a kept-alive connection.
    Head,
    /// A request was handed to the application and its body is still arriving.
    Body,
    /// A request was handed to the application with its whole body; its response is not
    /// written yet.
    Busy,
    /// Kept alive between requests, nothing received since the last response.
    Idle,
    /// Chosen to be closed (timeout, eviction or shutdown); never leaves this phase.
    Closing,
}

impl Phase {
    fn from_u8(v: u8) -> Phase {
        match v {
            0 => Phase::Head,
            1 => Phase::Body,
            2 => Phase::Busy,
            3 => Phase::Idle,
            _ => Phase::Closing,
        }
    }

    fn as_u8(self) -> u8 {
        match self {
            Phase::Head => 0,
            Phase::Body => 1,
            Phase::Busy => 2,
            Phase::Idle => 3,
            Phase::Closing => 4,
        }
    }

    /// Head and Idle connections hold no request: they may be closed without losing one.
    fn is_waiting(self) -> bool {
        matches!(self, Phase::Head | Phase::Idle)
    }
}

/// One connection's shared state: written by its I/O and service wrappers, read by its
/// watchdog task and by the accept loop.
#[derive(Debug)]
pub(crate) struct Conn {
    epoch: Instant,
    phase: AtomicU8,
    /// Milliseconds from `epoch` to the start of the current phase.
    since_ms: AtomicU64,
    /// Requests whose response was handed back.
    finished: AtomicU64,
    /// Wakes the watchdog when the phase changes.
    pub(crate) wake: Notify,
}

impl Conn {
    fn new(epoch: Instant) -> Self {
        let conn = Conn {
            epoch,
            phase: AtomicU8::new(Phase::Head.as_u8()),
            since_ms: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            wake: Notify::new(),
        };
        conn.stamp();
        conn
    }

    fn stamp(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(ms, Ordering::Release);
    }

    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Acquire))
    }

    fn since(&self) -> Instant {
        self.epoch + Duration::from_millis(self.since_ms.load(Ordering::Acquire))
    }

    /// Moves `from` → `to` (stamping the time) if the phase is still `from`, and wakes the
    /// watchdog unless the move only removes a deadline (to `Body` or `Busy`).
    fn transition(&self, from: Phase, to: Phase) -> bool {
        let moved = self
            .phase
            .compare_exchange(
                from.as_u8(),
                to.as_u8(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok();
        if moved {
            self.stamp();
            if !matches!(to, Phase::Body | Phase::Busy) {
                self.wake.notify_one();
            }
        }
        moved
    }

    /// Bytes arrived: an idle connection starts waiting for a request head.
    pub(crate) fn bytes_arrived(&self) {
        if self.phase() == Phase::Idle {
            self.transition(Phase::Idle, Phase::Head);
        }
    }

    /// A request head was parsed and handed to the application.
    /// With `body_pending` when its body has yet to arrive.
    pub(crate) fn request_started(&self, body_pending: bool) {
        let to = if body_pending {
            Phase::Body
        } else {
            Phase::Busy
        };
        self.transition(Phase::Head, to);
    }

    /// The request's body has arrived (or was given up).
    pub(crate) fn body_finished(&self) {
        self.transition(Phase::Body, Phase::Busy);
    }

    /// The response was handed back to the connection (perhaps before the whole body was
    /// read): it is idle until the next byte.
    pub(crate) fn request_finished(&self) {
        self.finished.fetch_add(1, Ordering::Relaxed);
        if !self.transition(Phase::Busy, Phase::Idle) {
            self.transition(Phase::Body, Phase::Idle);
        }
    }

    /// Whether any response was handed back on this connection (one may still be
    /// buffered for writing).
    pub(crate) fn has_answered(&self) -> bool {
        self.finished.load(Ordering::Relaxed) > 0
    }

    /// Marks a waiting (head or idle) connection for closing; false when it runs a request
    /// or is already closing.
    pub(crate) fn try_close(&self) -> bool {
        let phase = self.phase();
        phase.is_waiting() && self.transition(phase, Phase::Closing)
    }

    /// Marks a connection whose request body is still arriving for closing.
    fn try_close_body(&self) -> bool {
        self.transition(Phase::Body, Phase::Closing)
    }

    /// When the watchdog must close this connection: `None` while a request runs (the
    /// request timeout bounds it), at once when it is closing.
    pub(crate) fn deadline(
        &self,
        header_timeout: Duration,
        idle_timeout: Duration,
    ) -> Option<Instant> {
        match self.phase() {
            Phase::Head => Some(self.since() + header_timeout),
            Phase::Idle => Some(self.since() + idle_timeout),
            Phase::Body | Phase::Busy => None,
            Phase::Closing => Some(self.epoch),
        }
    }
}

/// The open connections.
#[derive(Debug)]
pub(crate) struct Table {
    epoch: Instant,
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

/// A connection's place in the table; dropping it removes the connection.
#[derive(Debug)]
pub(crate) struct Entry {
    table: Arc<Table>,
    id: u64,
    /// The connection's state.
    pub(crate) conn: Arc<Conn>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.table.lock().remove(&self.id);
    }
}

impl Table {
    /// An empty table.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Table {
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        // The map stays consistent whatever panicked while holding it.
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new connection, waiting for its first request head.
    pub(crate) fn insert(self: &Arc<Self>) -> Entry {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn::new(self.epoch));
        self.lock().insert(id, Arc::clone(&conn));
        Entry {
            table: Arc::clone(self),
            id,
            conn,
        }
    }

    /// Open connections (closing ones included until their task ends).
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Closes the waiting (head or idle) connection that has waited longest, or else the
    /// one whose request body has been arriving longest; false when every connection runs
    /// a request with its whole body. A pass or two over the table: it runs only at the cap.
    pub(crate) fn evict_oldest(&self) -> bool {
        let conns = self.lock();
        loop {
            let oldest = |wanted: fn(Phase) -> bool| {
                conns
                    .values()
                    .filter(|c| wanted(c.phase()))
                    .min_by_key(|c| c.since())
            };
            if let Some(c) = oldest(Phase::is_waiting) {
                if c.try_close() {
                    return true;
                }
                // Lost a race with the connection's own transition: look again.
                continue;
            }
            match oldest(|p| p == Phase::Body) {
                None => return false,
                Some(c) if c.try_close_body() => return true,
                Some(_) => continue,
            }
        }
    }

    /// Closes every waiting connection (shutdown); returns how many.
    pub(crate) fn close_waiting(&self) -> usize {
        self.lock().values().filter(|c| c.try_close()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: Duration = Duration::from_secs(10);
    const IDLE: Duration = Duration::from_secs(60);
    /// Phase starts are stored in whole milliseconds.
    const TICK: Duration = Duration::from_millis(1);

    /// Asserts that `c`'s deadline is `timeout` after a moment between `before` and now.
    fn assert_deadline(c: &Conn, before: Instant, timeout: Duration) {
        let d = c.deadline(HEAD, IDLE).unwrap_or(before);
        assert!(d + TICK >= before + timeout, "{d:?} is too early");
        assert!(d <= Instant::now() + timeout, "{d:?} is too late");
    }

    fn pause() {
        std::thread::sleep(Duration::from_millis(5));
    }

    #[test]
    fn phases_and_deadlines() {
        let table = Table::new();
        let t0 = Instant::now();
        let e = table.insert();
        let c = &e.conn;
        assert_eq!(c.phase(), Phase::Head);
        assert_deadline(c, t0, HEAD);
        let first = c.deadline(HEAD, IDLE);
        // Bytes of the first head change nothing: its clock runs from the accept.
        pause();
        c.bytes_arrived();
        assert_eq!(c.deadline(HEAD, IDLE), first);
        c.request_started(true);
        assert_eq!(c.phase(), Phase::Body);
        assert_eq!(c.deadline(HEAD, IDLE), None);
        c.body_finished();
        assert_eq!(c.phase(), Phase::Busy);
        assert_eq!(c.deadline(HEAD, IDLE), None);
        // Body bytes while busy change nothing either.
        c.bytes_arrived();
        assert_eq!(c.phase(), Phase::Busy);
        pause();
        let t1 = Instant::now();
        c.request_finished();
        assert_eq!(c.phase(), Phase::Idle);
        assert_deadline(c, t1, IDLE);
        // The next request's first byte starts the head timeout.
        pause();
        let t2 = Instant::now();
        c.bytes_arrived();
        assert_eq!(c.phase(), Phase::Head);
        assert_deadline(c, t2, HEAD);
        assert!(c.try_close());
        assert_eq!(c.phase(), Phase::Closing);
        assert!(c.deadline(HEAD, IDLE).is_some_and(|d| d <= Instant::now()));
        // Closing is final.
        c.request_started(false);
        c.body_finished();
        c.request_finished();
        c.bytes_arrived();
        assert_eq!(c.phase(), Phase::Closing);
        assert!(!c.try_close());
    }

    #[test]
    fn eviction_takes_the_longest_waiting_and_spares_busy_ones() {
        let table = Table::new();
        let busy_old = table.insert();
        busy_old.conn.request_started(false);
        pause();
        let idle = table.insert();
        idle.conn.request_started(false);
        pause();
        let head = table.insert();
        pause();
        // `idle` has been idle only since now: the head-pending one waited longer.
        idle.conn.request_finished();
        assert_eq!(table.len(), 3);
        assert!(table.evict_oldest());
        assert_eq!(head.conn.phase(), Phase::Closing);
        assert!(table.evict_oldest());
        assert_eq!(idle.conn.phase(), Phase::Closing);
        assert!(!table.evict_oldest(), "only a busy connection is left");
        assert_eq!(busy_old.conn.phase(), Phase::Busy);
        drop(head);
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn slow_bodies_are_evicted_after_waiting_connections_oldest_first() {
        let table = Table::new();
        let slow_old = table.insert();
        slow_old.conn.request_started(true);
        pause();
        let slow_new = table.insert();
        slow_new.conn.request_started(true);
        pause();
        let idle = table.insert();
        idle.conn.request_started(false);
        idle.conn.request_finished();
        let busy = table.insert();
        busy.conn.request_started(true);
        busy.conn.body_finished();
        assert!(table.evict_oldest());
        assert_eq!(idle.conn.phase(), Phase::Closing, "waiting ones go first");
        assert!(table.evict_oldest());
        assert_eq!(slow_old.conn.phase(), Phase::Closing);
        assert_eq!(slow_new.conn.phase(), Phase::Body);
        assert!(table.evict_oldest());
        assert!(!table.evict_oldest());
        assert_eq!(busy.conn.phase(), Phase::Busy);
        // A response before the whole body was read also ends the request.
        let early = table.insert();
        early.conn.request_started(true);
        early.conn.request_finished();
        assert_eq!(early.conn.phase(), Phase::Idle);
        early.conn.body_finished();
        assert_eq!(early.conn.phase(), Phase::Idle);
    }

    #[test]
    fn shutdown_closes_waiting_connections_only() {
        let table = Table::new();
        let slow = table.insert();
        slow.conn.request_started(true);
        let head = table.insert();
        let busy = table.insert();
        busy.conn.request_started(false);
        let idle = table.insert();
        idle.conn.request_started(false);
        idle.conn.request_finished();
        assert_eq!(table.close_waiting(), 2);
        assert_eq!(head.conn.phase(), Phase::Closing);
        assert_eq!(idle.conn.phase(), Phase::Closing);
        assert_eq!(busy.conn.phase(), Phase::Busy);
        assert_eq!(slow.conn.phase(), Phase::Body, "its request is running");
        // Once its response is out, the busy one is idle and the next pass closes it.
        busy.conn.request_finished();
        assert_eq!(table.close_waiting(), 1);
    }
}
