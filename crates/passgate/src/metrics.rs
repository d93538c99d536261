//! Prometheus metrics: requests by front end, operation and outcome, latency histograms,
//! Argon2id work and the admission queue.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use passgate_core::metrics::{CoreMetrics, OperationLabel};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, &'static str)>;

/// The registry and the metrics the server updates.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
    argon2: Family<Labels, Counter>,
    queue_depth: Gauge,
    in_flight: Gauge,
    queue_refused: Counter,
    jobs_run: Counter,
    core: Arc<CoreMetrics>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(
        [
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ]
        .into_iter(),
    )
}

impl Metrics {
    /// Registers every metric; `core` supplies the hashing counters.
    pub fn new(core: Arc<CoreMetrics>, workers: usize) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<Labels, Counter>::default();
        registry.register(
            "passgate_requests",
            "Requests by front end, operation and outcome",
            requests.clone(),
        );
        let latency = Family::<Labels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "passgate_request_duration_seconds",
            "Request latency by front end and operation",
            latency.clone(),
        );
        let argon2 = Family::<Labels, Counter>::default();
        registry.register(
            "passgate_argon2_operations",
            "Argon2id operations run, by op (hash or verify)",
            argon2.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "passgate_hash_queue_depth",
            "Hashing jobs waiting for a worker",
            queue_depth.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "passgate_hash_in_flight",
            "Hashing jobs running",
            in_flight.clone(),
        );
        let queue_refused = Counter::default();
        registry.register(
            "passgate_hash_queue_refused",
            "Requests refused because the hashing queue was full",
            queue_refused.clone(),
        );
        let jobs_run = Counter::default();
        registry.register(
            "passgate_hash_jobs",
            "Jobs run on the hashing threads (a login or a password change is one job)",
            jobs_run.clone(),
        );
        let workers_gauge: Gauge = Gauge::default();
        workers_gauge.set(i64::try_from(workers).unwrap_or(i64::MAX));
        registry.register("passgate_hash_workers", "Hashing threads", workers_gauge);
        Metrics {
            registry,
            requests,
            latency,
            argon2,
            queue_depth,
            in_flight,
            queue_refused,
            jobs_run,
            core,
        }
    }

    /// Counts one request.
    pub fn observe(&self, label: &OperationLabel, seconds: f64) {
        self.requests
            .get_or_create(&vec![
                ("front_end", label.front_end),
                ("operation", label.operation),
                ("outcome", label.outcome),
            ])
            .inc();
        self.latency
            .get_or_create(&vec![
                ("front_end", label.front_end),
                ("operation", label.operation),
            ])
            .observe(seconds);
    }

    /// The text exposition, with the core's counters copied in first.
    pub fn render(&self) -> String {
        let c = &self.core;
        self.argon2
            .get_or_create(&vec![("op", "hash")])
            .inner()
            .store(c.argon2_hash.load(Ordering::Relaxed), Ordering::Relaxed);
        self.argon2
            .get_or_create(&vec![("op", "verify")])
            .inner()
            .store(c.argon2_verify.load(Ordering::Relaxed), Ordering::Relaxed);
        self.queue_depth
            .set(c.queue_depth.load(Ordering::Relaxed).max(0));
        self.in_flight
            .set(c.in_flight.load(Ordering::Relaxed).max(0));
        self.queue_refused
            .inner()
            .store(c.queue_refused.load(Ordering::Relaxed), Ordering::Relaxed);
        self.jobs_run
            .inner()
            .store(c.jobs_run.load(Ordering::Relaxed), Ordering::Relaxed);
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// `GET /metrics`.
pub async fn metrics_handler(State(m): State<Arc<Metrics>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.render(),
    )
        .into_response()
}

/// Middleware timing every request and counting it under the label its front end attached
/// (or `http`/`other` for routes without one).
pub async fn track(State(m): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let operation = match req.uri().path() {
        "/healthz" => "healthz",
        "/readyz" => "readyz",
        "/metrics" => "metrics",
        _ => "other",
    };
    let resp = next.run(req).await;
    let fallback = OperationLabel {
        front_end: "http",
        operation,
        outcome: if resp.status().is_success() {
            "ok"
        } else if resp.status().is_client_error() {
            "client_error"
        } else {
            "server_error"
        },
    };
    let label = resp
        .extensions()
        .get::<OperationLabel>()
        .unwrap_or(&fallback);
    m.observe(label, start.elapsed().as_secs_f64());
    resp
}
