//! The HTTP application: routes of every front end, shared layers and limits, serving with
//! graceful shutdown (connections themselves are managed in [`crate::conn`]).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::header::{HOST, RETRY_AFTER};
use axum::http::{StatusCode, Uri, Version};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use passgate_core::metrics::ClientInfo;
use passgate_core::{Clock, Core, CoreError};
use passgate_soap::SoapState;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::config::{Settings, BODY_LIMIT};
use crate::conn::ConnLimits;
use crate::metrics::{metrics_handler, track, Metrics};

/// Opens the store and starts the core (hashing pool, dummy hash).
pub async fn build_core(
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> Result<Arc<Core>, CoreError> {
    let store = passgate_store::open_with(&settings.database_url, &settings.database).await?;
    let metrics = Arc::new(passgate_core::metrics::CoreMetrics::default());
    let mut core = Core::new(store, clock, settings.core.clone(), metrics).await?;
    if let Some(path) = &settings.breach_index {
        let index = passgate_core::credential::breach::BreachIndex::open(path)
            .map_err(|e| CoreError::Internal(format!("cannot open the breach index: {e}")))?;
        tracing::info!(records = index.len(), path = %path.display(), "breach index open");
        if settings.breach_range_api
            && index.layout() != passgate_core::credential::breach::Layout::Full
        {
            return Err(CoreError::InvalidInput(format!(
                "breach.range_api needs an index with whole hashes; rebuild {} with \
                 `passgate breach import --full-hashes`",
                path.display()
            )));
        }
        core = core.with_breach_index(Arc::new(index));
    }
    Ok(Arc::new(core))
}

/// The outbox sender running beside the server (when mail is configured).
pub struct MailTask {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// How long a stopping server lets the sender finish its current round.
const MAIL_STOP_GRACE: Duration = Duration::from_secs(5);

impl MailTask {
    /// Loads the templates (a broken override is an error here, at start) and starts the
    /// sender; `None` when mail is off. `clock` must be the core's.
    pub fn start(
        core: &Arc<Core>,
        settings: &Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<Self>, passgate_mail::MailError> {
        let Some(mail) = settings.mail.clone() else {
            return Ok(None);
        };
        let templates =
            passgate_mail::Templates::load(mail.templates_dir.as_deref(), &settings.system_name)?;
        tracing::info!(
            smtp_host = %mail.smtp.host,
            smtp_port = mail.smtp.port,
            tls = mail.smtp.tls.as_str(),
            "mail outbox sender started"
        );
        let sender = passgate_mail::Sender::new(
            Arc::clone(core.store()),
            clock,
            mail,
            templates,
            Arc::clone(core.mail_wake()),
            Arc::clone(core.metrics()),
        )?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(sender.run(async move {
            let _ = stopped.await;
        }));
        Ok(Some(MailTask { stop, task }))
    }

    /// Stops the sender after its current round (at most [`MAIL_STOP_GRACE`]; a mail cut
    /// off mid-delivery is sent again when its lease ends).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(MAIL_STOP_GRACE, self.task)
            .await
            .is_err()
        {
            tracing::warn!(
                "mail sender still busy at shutdown; its claimed mails wait for their lease"
            );
        }
    }
}

#[derive(Clone)]
struct Ops {
    core: Arc<Core>,
    trusted_proxy_header: Option<String>,
}

/// The full router: SOAP, health, metrics, with limits, timeouts, tracing and metrics.
pub fn router(core: Arc<Core>, settings: &Settings) -> Router {
    let metrics = Arc::new(
        Metrics::new(Arc::clone(core.metrics()), core.pool().clone())
            .with_store(Arc::clone(core.store())),
    );
    let soap = passgate_soap::router(SoapState {
        core: Arc::clone(&core),
        public_url: settings.public_url.clone(),
        system_name: settings.system_name.clone(),
        body_limit: BODY_LIMIT,
        online: settings.online,
    });
    let rest = passgate_rest::RestState {
        core: Arc::clone(&core),
        secure_cookies: settings.https(),
        body_limit: BODY_LIMIT,
    };
    let webapi = passgate_webapi::WebApiState {
        core: Arc::clone(&core),
        base: settings.webapi_base.clone(),
        public_url: settings.public_url.clone(),
        body_limit: BODY_LIMIT,
        online: settings.online,
    };
    let fallback = axum::routing::any(unclaimed).with_state(Unclaimed { webapi, rest });
    let web = web_pages(&core, settings);
    let range = match (settings.breach_range_api, core.breach_index()) {
        (true, Some(index)) => {
            crate::range_api::router(Arc::clone(index), settings.breach_range_allow.clone())
        }
        _ => Router::new(),
    };
    let ops = Ops {
        core,
        trusted_proxy_header: settings.trusted_proxy_header.clone(),
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(ops.clone())
        .route(
            "/metrics",
            get(metrics_handler).with_state(Arc::clone(&metrics)),
        )
        .merge(soap)
        .merge(web)
        .merge(range)
        .fallback_service(fallback)
        .layer(middleware::from_fn_with_state(ops, client_info))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(metrics, track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    // Path only: query strings may carry session ids.
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                // A 5xx here is mostly a deliberate answer (503 when the hashing queue is
                // full); real failures are logged once, at ERROR with a correlation id, by
                // the SOAP and REST adapters. At ERROR this line flooded the log under
                // overload (25 MB in 10 s) and cost CPU that hashing needed.
                .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
        .layer(middleware::from_fn(require_one_host))
        .layer(middleware::from_fn_with_state(
            (settings.refusal_pace, crate::pace::HeldRefusals::default()),
            pace_refusals,
        ))
}

/// The two front ends that share paths such as `/api`: the WebAPI claims what
/// [`passgate_webapi::WebApiState::claims`] says, the REST dispatch gets everything else.
#[derive(Clone)]
struct Unclaimed {
    webapi: passgate_webapi::WebApiState,
    rest: passgate_rest::RestState,
}

/// Routes a request no fixed route matched: to the WebAPI when it claims the method and
/// path, else to ServiceStack's dispatch (custom and predefined routes, `/api/{Request}`).
async fn unclaimed(State(fronts): State<Unclaimed>, req: Request) -> Response {
    if fronts.webapi.claims(req.method(), req.uri().path()) {
        passgate_webapi::handle(fronts.webapi, req).await
    } else {
        passgate_rest::dispatch(State(fronts.rest), req).await
    }
}

/// The self-service pages (`/account/`, `/.well-known/change-password`), or no routes when
/// `web.enabled` is false.
fn web_pages(core: &Arc<Core>, settings: &Settings) -> Router {
    if !settings.web.enabled {
        return Router::new();
    }
    let logo = settings.web.logo_file.as_deref().and_then(|path| {
        crate::config::read_logo(path)
            .map_err(|e| tracing::error!(error = %e, "logo unreadable; the built-in one is shown"))
            .ok()
    });
    let config = passgate_web::WebConfig {
        system_name: settings.system_name.clone(),
        secure: settings.https(),
        reset_url: crate::config::reset_page_url(
            settings.public_url.as_deref(),
            settings.listen,
            settings.tls.is_some(),
        ),
        logo,
    };
    match passgate_web::router(Arc::clone(core), config) {
        Ok(r) => r,
        Err(e) => {
            // Templates are compiled into the binary and tested; this is a build defect.
            tracing::error!(error = %e, "the self-service pages are off");
            Router::new()
        }
    }
}

/// Holds an overload refusal (503 with `Retry-After`) until `pace` has passed since the
/// request arrived, and longer while many refusals are held at once (see
/// [`crate::pace::refusal_hold`]). Clients that retry a refusal at once, ignoring
/// `Retry-After`, then cannot turn into a loop that takes the CPUs admitted requests are
/// hashing on; the wait is a timer, holding no thread, database connection or hashing place.
async fn pace_refusals(
    State((pace, held)): State<(Duration, crate::pace::HeldRefusals)>,
    req: Request,
    next: Next,
) -> Response {
    let arrived = tokio::time::Instant::now();
    let response = next.run(req).await;
    if !pace.is_zero()
        && response.status() == StatusCode::SERVICE_UNAVAILABLE
        && response.headers().contains_key(RETRY_AFTER)
    {
        held.hold(arrived, pace).await;
    }
    response
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the hashing wait is within its budget (with hysteresis, see
/// `HashPool::shedding`) and the database answers.
async fn readyz(State(ops): State<Ops>) -> Response {
    if ops.core.pool().shedding() {
        return (StatusCode::SERVICE_UNAVAILABLE, "hashing wait over budget").into_response();
    }
    match ops.core.store().ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Puts the client's address (from the socket, or from the trusted proxy header when one is
/// configured) and user agent on the request for the front ends.
async fn client_info(State(ops): State<Ops>, mut req: Request, next: Next) -> Response {
    let socket = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let forwarded = ops.trusted_proxy_header.as_deref().and_then(|h| {
        let v = req.headers().get(h)?.to_str().ok()?;
        // The proxy appends the address it saw; the last entry is the one it vouches for.
        v.rsplit(',')
            .next()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    });
    let user_agent = req
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect());
    req.extensions_mut().insert(ClientInfo {
        addr: forwarded.or(socket),
        user_agent,
    });
    next.run(req).await
}

/// Lowercases paths under `/remote/` before routing, as IIS matches them case-insensitively.
fn normalize_path(mut req: Request) -> Request {
    let path = req.uri().path();
    if path.len() >= 8
        && path[..8].eq_ignore_ascii_case("/remote/")
        && path.bytes().any(|b| b.is_ascii_uppercase())
    {
        let lower = path.to_ascii_lowercase();
        let pq = match req.uri().query() {
            Some(q) => format!("{lower}?{q}"),
            None => lower,
        };
        let mut parts = req.uri().clone().into_parts();
        if let Ok(p) = pq.parse() {
            parts.path_and_query = Some(p);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

/// Serves `router` on `listener` with the default connection limits until `shutdown`
/// resolves, then shuts down gracefully (see [`serve_with`]).
pub async fn serve_on(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, ConnLimits::default(), shutdown).await
}

/// Serves `router` on `listener` within `limits` (timeouts, connection cap) until
/// `shutdown` resolves, then closes idle and half-open connections at once and lets running
/// requests finish within `limits.shutdown_timeout` (see [`crate::conn`]).
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_tls(listener, router, limits, None, shutdown).await
}

/// Like [`serve_with`], over HTTPS when `tls` is given.
pub async fn serve_tls(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = tower::util::MapRequestLayer::new(normalize_path).layer(router);
    crate::conn::serve_on(listener, app, limits, tls, shutdown).await
}

/// RFC 9112 §3.2: an HTTP/1.1 request needs exactly one `Host` header, and any request
/// with more than one, or with a value that is not a plain `host[:port]`, is answered 400
/// before routing.
async fn require_one_host(req: Request, next: Next) -> Response {
    let mut hosts = req.headers().get_all(HOST).iter();
    let refusal = match (hosts.next(), hosts.next()) {
        (None, _) if req.version() >= Version::HTTP_11 => Some("missing Host header"),
        (None, _) => None,
        (Some(_), Some(_)) => Some("more than one Host header"),
        (Some(h), None) if !passgate_soap::host::is_valid_host(h.as_bytes()) => {
            Some("invalid Host header")
        }
        (Some(_), None) => None,
    };
    match refusal {
        Some(why) => (StatusCode::BAD_REQUEST, format!("Bad Request: {why}")).into_response(),
        None => next.run(req).await,
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; draining open requests");
}
