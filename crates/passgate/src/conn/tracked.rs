//! Wrappers that keep a connection's phase in [`super::table`] up to date: the socket
//! (bytes arriving end an idle phase), the request body (its end ends the body phase) and
//! the response body (its end ends the request).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::table::Conn;
use super::transport::Transport;

/// The accepted socket; reports arriving bytes to the connection's state.
pub(crate) struct TrackedIo {
    pub(crate) stream: Transport,
    pub(crate) conn: Arc<Conn>,
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Marks the request finished when dropped: with the response body once hyper has written
/// it, or with the request's future when the connection goes away first.
pub(crate) struct RequestGuard(pub(crate) Arc<Conn>);

impl RequestGuard {
    /// Marks the request started, with `body_pending` when its body has yet to arrive.
    pub(crate) fn start(conn: Arc<Conn>, body_pending: bool) -> Self {
        conn.request_started(body_pending);
        RequestGuard(conn)
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// A response body that holds its request's [`RequestGuard`].
pub(crate) struct TrackedBody {
    pub(crate) inner: Body,
    pub(crate) _guard: RequestGuard,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A request body that marks the body finished at its end (or when it is dropped unread).
pub(crate) struct TrackedRequestBody {
    inner: Incoming,
    conn: Option<Arc<Conn>>,
}

impl TrackedRequestBody {
    /// Wraps `inner`; `conn` is `None` when the request has no body to wait for.
    pub(crate) fn new(inner: Incoming, conn: Option<Arc<Conn>>) -> Self {
        TrackedRequestBody { inner, conn }
    }

    fn finished(&mut self) {
        if let Some(conn) = self.conn.take() {
            conn.body_finished();
        }
    }
}

impl Drop for TrackedRequestBody {
    fn drop(&mut self) {
        self.finished();
    }
}

impl HttpBody for TrackedRequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) || self.inner.is_end_stream() {
            self.finished();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
