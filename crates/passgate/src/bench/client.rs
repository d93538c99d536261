//! A lean HTTP/1.1 load-generator client: one keep-alive connection per worker (hyper's
//! connection-level API, no pool), requests built from pre-made parts, the whole response
//! body read before the clock stops.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{HeaderName, HeaderValue, CONNECTION, HOST, RETRY_AFTER};
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// How long one request may take before the client gives up on it (and on its connection).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A failed exchange, by the kind the report counts.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TCP connection or HTTP handshake failed.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The connection broke during the exchange.
    #[error("HTTP exchange failed: {0}")]
    Http(#[from] hyper::Error),
    /// No complete answer within [`REQUEST_TIMEOUT`].
    #[error("no answer within {} s", REQUEST_TIMEOUT.as_secs())]
    Timeout,
    /// The request could not be built (a bad header or path).
    #[error("invalid request: {0}")]
    Request(#[from] hyper::http::Error),
}

impl ClientError {
    /// The error kind as counted in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientError::Connect(_) => "connect",
            ClientError::Http(_) => "http_error",
            ClientError::Timeout => "timeout",
            ClientError::Request(_) => "bad_request",
        }
    }
}

/// Where the server is: its socket address and the `Host` header to send.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Socket address.
    pub addr: SocketAddr,
    /// `Host` header value.
    pub host: HeaderValue,
}

impl Endpoint {
    /// The endpoint of a server at `addr`.
    pub fn new(addr: SocketAddr) -> Result<Self, ClientError> {
        let host = HeaderValue::from_str(&addr.to_string())
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        Ok(Endpoint { addr, host })
    }

    /// Parses `http://host:port` (a trailing `/` is allowed; HTTPS is not supported).
    pub async fn from_url(url: &str) -> Result<Self, ClientError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| ClientError::Connect(format!("{url:?} is not an http:// URL")))?;
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') {
            return Err(ClientError::Connect(format!(
                "{url:?} has a path; give the server's base URL"
            )));
        }
        let with_port = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .map_err(|e| ClientError::Connect(format!("cannot resolve {authority}: {e}")))?
            .next()
            .ok_or_else(|| ClientError::Connect(format!("{authority} has no address")))?;
        let host =
            HeaderValue::from_str(authority).map_err(|e| ClientError::Connect(e.to_string()))?;
        Ok(Endpoint { addr, host })
    }
}

/// A request, ready to send many times (cloning its parts is cheap).
#[derive(Clone)]
pub struct Req {
    /// Method.
    pub method: Method,
    /// Path and query.
    pub path: std::borrow::Cow<'static, str>,
    /// Extra headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Body.
    pub body: Bytes,
}

/// What came back.
pub struct Resp {
    /// Status code.
    pub status: StatusCode,
    /// `Retry-After` in seconds, when present and numeric.
    pub retry_after: Option<u64>,
    /// The whole body.
    pub body: Bytes,
    /// The server asked to close the connection.
    pub close: bool,
}

impl Resp {
    /// The body as text (lossy).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
    host: HeaderValue,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl Conn {
    /// Opens a connection to `endpoint`.
    pub async fn open(endpoint: &Endpoint) -> Result<Self, ClientError> {
        let stream = tokio::time::timeout(REQUEST_TIMEOUT, TcpStream::connect(endpoint.addr))
            .await
            .map_err(|_| ClientError::Timeout)?
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        stream
            .set_nodelay(true)
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        let driver = tokio::spawn(async move {
            // The connection ends when the sender is dropped or the server closes it.
            let _ = connection.await;
        });
        Ok(Conn {
            sender,
            driver,
            host: endpoint.host.clone(),
        })
    }

    /// Sends `req` and reads the whole answer, within [`REQUEST_TIMEOUT`].
    pub async fn send(&mut self, req: &Req) -> Result<Resp, ClientError> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(req))
            .await
            .map_err(|_| ClientError::Timeout)?
    }

    async fn exchange(&mut self, req: &Req) -> Result<Resp, ClientError> {
        self.sender.ready().await?;
        let mut builder = hyper::Request::builder()
            .method(req.method.clone())
            .uri(req.path.as_ref())
            .header(HOST, self.host.clone());
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let request = builder.body(Full::new(req.body.clone()))?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let close = response
            .headers()
            .get(CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Resp {
            status,
            retry_after,
            body,
            close,
        })
    }
}
