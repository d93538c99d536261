//! HTTP/1.1 connections: the accept loop, per-connection timeouts, the connection cap and
//! graceful shutdown.
//!
//! Each accepted socket is served by hyper's HTTP/1 connection (`hyper::server::conn::http1`,
//! with hyper-util's tokio adapters; hyper-util's "auto" builder would also build HTTP/2,
//! which passgate does not speak) and watched by its own task, which knows the
//! connection's phase from [`table`]: waiting for a request head, receiving a request's
//! body, running a request, or idle between requests.
//!
//! - **Header timeout** (`header_timeout`, default 10 s): a request head must be complete
//!   this long after the connection was accepted, or after the first byte of the next
//!   request on a kept-alive connection; otherwise the connection is closed. This is what
//!   ends slowloris connections.
//! - **Idle timeout** (`idle_timeout`, default 60 s): a kept-alive connection that sends
//!   nothing this long after its last response is closed.
//! - hyper's own `header_read_timeout` is off. In hyper 1.x its timer starts whenever hyper
//!   begins waiting for a request head, and on a kept-alive connection that wait begins as
//!   soon as the previous response is written: it covers the idle time between requests as
//!   well as the head itself, so it cannot give a 60 s idle time and a 10 s head time at
//!   once. The watchdog needs the phase anyway (for eviction and shutdown), so it keeps
//!   both clocks. A request that is running is bounded by the request timeout instead.
//! - **Cap** (`max_connections`, lowered to fit the open-file limit, see [`nofile`]): a
//!   connection accepted at the cap closes the connection that has waited longest without
//!   a request running (idle, or still sending its head) and is served; the evicted
//!   client's next request finds its kept-alive connection closed, which HTTP clients
//!   handle by reconnecting. When there is none, the connection whose request body has been
//!   arriving longest is closed instead (a slow-body sender holds a place as surely as a
//!   slow-head one). Only when every connection runs a request with its whole body does
//!   the newcomer get a bare `503` with `Retry-After: 1` and `Connection: close`. So
//!   whoever holds idle, half-sent or slowly fed sockets cannot lock others out (a new
//!   connection always displaces the oldest of them), while requests being processed are
//!   never cut off to make room. Finding the oldest is a pass over the table, only at the
//!   cap.
//! - When `accept` itself fails for lack of descriptors (the reserve was too small), the
//!   longest-waiting connection is closed as well, and accepting resumes 10 ms later.
//! - **Shutdown**: when the shutdown future resolves, the listener is closed, every idle or
//!   half-open connection is closed at once, and connections with a request (receiving
//!   its body or running) get their response and are then closed. Whatever is still open `shutdown_timeout` later is closed.

mod nofile;
mod table;
mod tracked;
mod transport;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use passgate_soap::host::ServerAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tower::{Service, ServiceExt};

pub use nofile::{fit_cap, raise_open_file_limit, reserve};
use table::{Entry, Phase, Table};
use tracked::{RequestGuard, TrackedBody, TrackedIo, TrackedRequestBody};
use transport::Transport;

/// Default most concurrent connections (before the open-file limit lowers it).
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// Default header timeout.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default idle keep-alive timeout.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a closed connection may still flush what hyper has buffered for it.
const CLOSE_LINGER: Duration = Duration::from_millis(200);
/// Most refused connections at a time that wait (up to a second) for the client to read
/// its 503 before the socket closes; beyond that they close at once.
const MAX_LINGERING_REFUSALS: usize = 64;
/// The answer to a connection that arrives when the cap is reached and every connection is
/// running a request.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\
content-length: 0\r\nretry-after: 1\r\nconnection: close\r\n\r\n";

/// Limits of the HTTP connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnLimits {
    /// Most open connections; see the module documentation for what happens at the cap.
    pub max_connections: usize,
    /// Longest time to receive a complete request head.
    pub header_timeout: Duration,
    /// Longest silence of a kept-alive connection between requests.
    pub idle_timeout: Duration,
    /// Longest time running requests get to finish after the shutdown signal.
    pub shutdown_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            shutdown_timeout: Duration::from_secs(31),
        }
    }
}

/// Serves `app` over plain HTTP on `listener` within `limits` until `shutdown` resolves,
/// then shuts down as the module documentation describes.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    serve_on(listener, app, limits, None, shutdown).await
}

/// Like [`serve`], with HTTPS when `tls` is given: the TLS handshake counts against the
/// header timeout, and a connection still in its handshake is as evictable as one still
/// sending its head.
pub async fn serve_on<S>(
    listener: TcpListener,
    app: S,
    limits: ConnLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let fallback_local = listener.local_addr()?;
    let table = Table::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    let lingering = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    let mut last_warning: Option<Instant> = None;
    let mut warn = |what: &str, error: Option<&std::io::Error>| {
        // At most one line a minute: an attacker must not be able to flood the log.
        if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
            last_warning = Some(Instant::now());
            match error {
                Some(e) => {
                    tracing::warn!(error = %e, max_connections = limits.max_connections, "{what}")
                }
                None => tracing::warn!(max_connections = limits.max_connections, "{what}"),
            }
        }
    };
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if table.len() >= limits.max_connections && !table.evict_oldest() {
                        warn("connection cap reached with every connection busy; refusing new connections with 503", None);
                        refuse(stream, &lingering);
                        continue;
                    }
                    let local = stream.local_addr().unwrap_or(fallback_local);
                    let entry = table.insert();
                    tasks.spawn(run_connection(
                        stream,
                        tls.clone(),
                        peer,
                        local,
                        entry,
                        app.clone(),
                        limits.clone(),
                        stop_rx.clone(),
                    ));
                }
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    warn("accept failed; closing the longest-waiting connection", Some(&e));
                    table.evict_oldest();
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let closed = table.close_waiting();
    tracing::info!(
        closed,
        running = table.len().saturating_sub(closed),
        "stopped accepting; closed idle and half-open connections, finishing running requests"
    );
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    if !drained {
        tracing::warn!(
            left = tasks.len(),
            "shutdown timeout: closing the remaining connections"
        );
        tasks.shutdown().await;
    }
    Ok(())
}

fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Answers a connection that cannot be admitted with [`REFUSAL`] and closes it. The socket
/// is held (bounded in number and time) until the client has read the answer, because
/// closing with its request unread would reset the connection and could discard the 503.
fn refuse(stream: TcpStream, lingering: &Arc<AtomicUsize>) {
    let _ = stream.try_write(REFUSAL);
    if lingering.fetch_add(1, Ordering::AcqRel) >= MAX_LINGERING_REFUSALS {
        lingering.fetch_sub(1, Ordering::AcqRel);
        return;
    }
    let lingering = Arc::clone(lingering);
    tokio::spawn(async move {
        let _ = tokio::time::timeout(Duration::from_secs(1), drain_and_close(stream)).await;
        lingering.fetch_sub(1, Ordering::AcqRel);
    });
}

/// Ends the write side, then reads and discards until the client closes (at most 64 KiB).
async fn drain_and_close(mut stream: TcpStream) {
    let _ =
        std::future::poll_fn(|cx| tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut stream), cx))
            .await;
    let mut buf = [0u8; 4096];
    let mut total = 0;
    while total < 64 * 1024 && stream.readable().await.is_ok() {
        match stream.try_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Runs the TLS handshake of a new connection within the header timeout; None when it
/// failed, timed out, or the connection was evicted or shut down meanwhile.
async fn handshake(
    stream: TcpStream,
    acceptor: TlsAcceptor,
    conn: &table::Conn,
    limits: &ConnLimits,
    stop: &mut watch::Receiver<bool>,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let accept = acceptor.accept(stream);
    tokio::pin!(accept);
    loop {
        if *stop.borrow_and_update() || conn.phase() == Phase::Closing {
            return None;
        }
        let deadline = conn.deadline(limits.header_timeout, limits.idle_timeout);
        if deadline.is_some_and(|d| d <= Instant::now()) {
            conn.try_close();
            tracing::debug!("TLS handshake timed out");
            return None;
        }
        tokio::select! {
            result = accept.as_mut() => {
                return match result {
                    Ok(s) => Some(s),
                    Err(e) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        None
                    }
                };
            }
            () = sleep_until(deadline) => {}
            () = conn.wake.notified() => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    return None;
                }
            }
        }
    }
}

/// Serves one connection and closes it on its timeouts, on eviction and on shutdown.
#[allow(clippy::too_many_arguments)] // one connection's whole context, passed once
async fn run_connection<S>(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    peer: SocketAddr,
    local: SocketAddr,
    entry: Entry,
    app: S,
    limits: ConnLimits,
    mut stop: watch::Receiver<bool>,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    // Dropped last: the connection leaves the table once its socket is closed.
    let conn = Arc::clone(&entry.conn);
    let https = tls.is_some();
    let stream = match tls {
        None => Transport::Plain(stream),
        Some(acceptor) => match handshake(stream, acceptor, &conn, &limits, &mut stop).await {
            Some(s) => Transport::Tls(Box::new(s)),
            None => return,
        },
    };
    let io = TokioIo::new(TrackedIo {
        stream,
        conn: Arc::clone(&conn),
    });
    let service_conn = Arc::clone(&conn);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let body_pending = !req.body().is_end_stream();
        let guard = RequestGuard::start(Arc::clone(&service_conn), body_pending);
        let body_conn = body_pending.then(|| Arc::clone(&service_conn));
        let mut req = req.map(|b| Body::new(TrackedRequestBody::new(b, body_conn)));
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut()
            .insert(ServerAddr { addr: local, https });
        let app = app.clone();
        async move {
            let Ok(response) = app.oneshot(req).await;
            Ok::<_, Infallible>(response.map(|inner| TrackedBody {
                inner,
                _guard: guard,
            }))
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .header_read_timeout(None::<Duration>);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let mut draining = false;
    let mut stop_gone = false;
    let reason = loop {
        if !draining && (stop_gone || *stop.borrow_and_update()) {
            draining = true;
            if conn.try_close() {
                break "shutdown";
            }
            // Running a request: hyper closes the connection once the response is out.
            connection.as_mut().graceful_shutdown();
        }
        if conn.phase() == Phase::Closing {
            break if draining { "shutdown" } else { "evicted" };
        }
        let deadline = conn.deadline(limits.header_timeout, limits.idle_timeout);
        if deadline.is_some_and(|d| d <= Instant::now()) {
            if conn.try_close() {
                break "timeout";
            }
            continue;
        }
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = sleep_until(deadline) => {}
            () = conn.wake.notified() => {}
            changed = stop.changed(), if !draining => {
                // A server gone without a signal is a shutdown too.
                stop_gone = changed.is_err();
            }
        }
    };
    tracing::debug!(reason, "closing connection");
    if conn.has_answered() {
        // Let hyper flush a response it may still hold. A connection that never got an
        // answer has nothing to flush, and a half-sent head must not keep its socket.
        connection.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(CLOSE_LINGER, connection).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// True when the peer closes `s` within `bound`.
    async fn closed_within(s: &mut TcpStream, bound: Duration) -> bool {
        let mut buf = [0u8; 256];
        matches!(
            tokio::time::timeout(bound, s.read(&mut buf)).await,
            Ok(Ok(0) | Err(_))
        )
    }

    #[tokio::test]
    async fn at_the_cap_with_every_request_running_a_newcomer_gets_503(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = tower::service_fn(|_req: Request| std::future::pending());
        let limits = ConnLimits {
            max_connections: 2,
            ..ConnLimits::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, app, limits, async move {
            let _ = stopped.await;
        }));
        let mut running = Vec::new();
        for _ in 0..2 {
            let mut s = TcpStream::connect(addr).await?;
            s.write_all(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
                .await?;
            running.push(s);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut newcomer = TcpStream::connect(addr).await?;
        newcomer
            .write_all(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), newcomer.read_to_end(&mut answer)).await??;
        assert_eq!(answer, REFUSAL);
        // The running requests were not touched.
        for s in &mut running {
            assert!(!closed_within(s, Duration::from_millis(100)).await);
        }
        drop(stop);
        drop(running);
        tokio::time::timeout(Duration::from_secs(40), server).await???;
        Ok(())
    }

    #[tokio::test]
    async fn shutdown_is_bounded_even_when_a_request_never_ends(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = tower::service_fn(|_req: Request| std::future::pending());
        let limits = ConnLimits {
            shutdown_timeout: Duration::from_secs(2),
            ..ConnLimits::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, app, limits, async move {
            let _ = stopped.await;
        }));
        let mut running = TcpStream::connect(addr).await?;
        running
            .write_all(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
            .await?;
        let mut half = TcpStream::connect(addr).await?;
        half.write_all(b"GET / HTTP/1.1\r\nHo").await?;
        tokio::time::sleep(Duration::from_millis(100)).await;

        let signalled = Instant::now();
        let _ = stop.send(());
        // The half-open connection goes at once, long before the shutdown timeout.
        assert!(closed_within(&mut half, Duration::from_secs(1)).await);
        assert!(signalled.elapsed() < Duration::from_secs(1));
        // The never-ending request holds the shutdown until the timeout, and no longer.
        tokio::time::timeout(Duration::from_secs(10), server).await???;
        let took = signalled.elapsed();
        assert!(took >= Duration::from_secs(2), "{took:?}");
        assert!(took < Duration::from_secs(7), "{took:?}");
        assert!(closed_within(&mut running, Duration::from_secs(1)).await);
        Ok(())
    }
}
