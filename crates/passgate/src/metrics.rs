//! Prometheus metrics: requests by front end, operation and outcome, latency histograms,
//! Argon2id work and admission by waiting time (queue wait, refusals by reason, the current
//! estimated wait).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use passgate_core::credential::HashPool;
use passgate_core::metrics::{CoreMetrics, OperationLabel};
use passgate_core::outbox::MailState;
use passgate_core::store::Store;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
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
    refused: Family<Labels, Counter>,
    estimated_wait: Gauge<f64, std::sync::atomic::AtomicU64>,
    mean_cost: Gauge<f64, std::sync::atomic::AtomicU64>,
    jobs_run: Counter,
    mail: Family<Labels, Counter>,
    outbox: Family<Labels, Gauge>,
    password_formats: Family<Labels, Gauge>,
    /// When the password-format gauges were last read (they need a scan of the users).
    formats_read: std::sync::Mutex<Option<Instant>>,
    legacy_verify: Counter,
    core: Arc<CoreMetrics>,
    pool: HashPool,
    store: Option<Arc<dyn Store>>,
}

/// The core's queue-wait histogram, encoded from its atomics at scrape time (the core keeps
/// its own lock-free buckets so the hashing threads need no metrics library).
#[derive(Debug)]
struct QueueWait(Arc<CoreMetrics>);

impl EncodeMetric for QueueWait {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let s = self.0.queue_wait.snapshot();
        encoder.encode_histogram::<()>(s.sum, s.count, &s.buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
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
    /// Registers every metric; `core` supplies the hashing counters, `pool` the admission
    /// state.
    pub fn new(core: Arc<CoreMetrics>, pool: HashPool) -> Self {
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
        let refused = Family::<Labels, Counter>::default();
        registry.register(
            "passgate_hash_refused",
            "Hashing jobs refused or dropped, by reason: estimated_wait (refused at admission), \
             expired (taken after the budget, answered 503), abandoned (the client had gone)",
            refused.clone(),
        );
        registry.register(
            "passgate_hash_queue_wait_seconds",
            "Time from admission to the start on a hashing thread, of the jobs that ran",
            QueueWait(Arc::clone(&core)),
        );
        let estimated_wait = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "passgate_hash_estimated_wait_seconds",
            "Wait a hashing job admitted now would face before a worker starts it",
            estimated_wait.clone(),
        );
        let mean_cost = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "passgate_hash_operation_seconds",
            "Recent mean duration of one Argon2id operation (the admission rule's cost unit)",
            mean_cost.clone(),
        );
        let budget = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        budget.set(pool.max_wait().as_secs_f64());
        registry.register(
            "passgate_hash_wait_budget_seconds",
            "Longest estimated wait at which a hashing job is admitted (argon2.max_wait_ms)",
            budget,
        );
        let jobs_run = Counter::default();
        registry.register(
            "passgate_hash_jobs",
            "Jobs run on the hashing threads (a login or a password change is one job)",
            jobs_run.clone(),
        );
        let workers_gauge: Gauge = Gauge::default();
        workers_gauge.set(i64::try_from(pool.workers()).unwrap_or(i64::MAX));
        registry.register("passgate_hash_workers", "Hashing threads", workers_gauge);
        let mail = Family::<Labels, Counter>::default();
        registry.register(
            "passgate_mail_deliveries",
            "Mail delivery attempts of this node's sender, by result: sent, retried, dead",
            mail.clone(),
        );
        let outbox = Family::<Labels, Gauge>::default();
        registry.register(
            "passgate_mail_outbox",
            "Rows in the mail outbox (all nodes), by state: pending, sent, dead",
            outbox.clone(),
        );
        let password_formats = Family::<Labels, Gauge>::default();
        registry.register(
            "passgate_users_by_password_format",
            "Users by stored password format: argon2id, none (must reset), or the legacy format \
             of an imported hash not yet upgraded (read at most once a minute)",
            password_formats.clone(),
        );
        let legacy_verify = Counter::default();
        registry.register(
            "passgate_legacy_verifications",
            "Verifications of imported legacy hashes (each upgraded on success)",
            legacy_verify.clone(),
        );
        Metrics {
            mail,
            outbox,
            password_formats,
            formats_read: std::sync::Mutex::new(None),
            legacy_verify,
            store: None,
            registry,
            requests,
            latency,
            argon2,
            queue_depth,
            in_flight,
            refused,
            estimated_wait,
            mean_cost,
            jobs_run,
            core,
            pool,
        }
    }

    /// Reads the outbox's row counts from `store` at each scrape.
    pub fn with_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Refreshes the outbox gauges from the store (skipped, keeping the last values, when
    /// the database does not answer within a second: a scrape must not hang).
    async fn refresh_outbox(&self) {
        let Some(store) = &self.store else {
            return;
        };
        let read = tokio::time::timeout(std::time::Duration::from_secs(1), store.mail_counts());
        if let Ok(Ok(counts)) = read.await {
            for state in [MailState::Pending, MailState::Sent, MailState::Dead] {
                let n = counts
                    .iter()
                    .find(|(s, _)| *s == state)
                    .map_or(0, |(_, n)| *n);
                self.outbox
                    .get_or_create(&vec![("state", state.as_str())])
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
    }

    /// Refreshes the password-format gauges from the store when they are older than a minute
    /// (a scan of the users table; skipped when the database does not answer within a
    /// second, keeping the last values).
    async fn refresh_password_formats(&self) {
        use passgate_core::credential::legacy::{StoredFormat, ALL_FORMATS};
        let Some(store) = &self.store else {
            return;
        };
        {
            let Ok(mut last) = self.formats_read.lock() else {
                return;
            };
            if last.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(60)) {
                return;
            }
            *last = Some(Instant::now());
        }
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(1),
            store.password_scheme_counts(),
        );
        if let Ok(Ok(schemes)) = read.await {
            let mut counts: std::collections::BTreeMap<StoredFormat, u64> = Default::default();
            for (scheme, n) in schemes {
                *counts.entry(StoredFormat::of(&scheme)).or_default() += n;
            }
            let every = [StoredFormat::Argon2id, StoredFormat::None]
                .into_iter()
                .chain(ALL_FORMATS.into_iter().map(StoredFormat::Legacy));
            for f in every {
                let n = counts.get(&f).copied().unwrap_or(0);
                self.password_formats
                    .get_or_create(&vec![("format", f.name())])
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
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
        self.legacy_verify
            .inner()
            .store(c.legacy_verify.load(Ordering::Relaxed), Ordering::Relaxed);
        self.queue_depth
            .set(c.queue_depth.load(Ordering::Relaxed).max(0));
        self.in_flight
            .set(c.in_flight.load(Ordering::Relaxed).max(0));
        for (reason, n) in [
            ("estimated_wait", &c.refused_estimated_wait),
            ("expired", &c.refused_expired),
            ("abandoned", &c.dropped_abandoned),
        ] {
            self.refused
                .get_or_create(&vec![("reason", reason)])
                .inner()
                .store(n.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        self.estimated_wait
            .set(self.pool.estimated_wait().as_secs_f64());
        self.mean_cost.set(self.pool.mean_cost().as_secs_f64());
        self.jobs_run
            .inner()
            .store(c.jobs_run.load(Ordering::Relaxed), Ordering::Relaxed);
        for (result, n) in [
            ("sent", &c.mail_sent),
            ("retried", &c.mail_retried),
            ("dead", &c.mail_dead),
        ] {
            self.mail
                .get_or_create(&vec![("result", result)])
                .inner()
                .store(n.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// `GET /metrics`.
pub async fn metrics_handler(State(m): State<Arc<Metrics>>) -> Response {
    m.refresh_outbox().await;
    m.refresh_password_formats().await;
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
