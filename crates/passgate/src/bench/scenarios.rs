//! The scenarios: who sends what, for how long, and what is worth reporting about it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::header::HeaderValue;
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::client::{Conn, Endpoint};
use super::driver::{drive, run_all, Flow, Phase, Worker};
use super::flows::{AttackFlow, ChangeFlow, LoginFlow, RejectFlow};
use super::open_loop::{run_open, OpenLoad};
use super::protocol::{self, Api};
use super::server::{argon2_operations, read_rss, CpuMeter, CpuUse};
use super::setup::{create_users, log_in, BenchUser};
use super::stats::{median, ms, Recorder, Summary};
use super::BenchError;
use crate::config::Settings;

/// Sequential change requests timed before `overload` to get the single-request latency.
const SINGLE_REQUEST_PROBES: usize = 8;
/// Connections opened at once by `idle-connections`.
const OPEN_PARALLELISM: usize = 32;

/// Everything a scenario needs.
pub struct Ctx<'a> {
    /// The server.
    pub endpoint: Endpoint,
    /// Settings (database for user creation, Argon2id parameters).
    pub settings: &'a Settings,
    /// Length of each measured phase.
    pub duration: Duration,
    /// Concurrent workers (connections for `idle-connections`).
    pub concurrency: usize,
    /// Users to create.
    pub users: usize,
    /// CPU cores of this machine.
    pub cores: usize,
    /// The server's process id, when its memory can be read.
    pub server_pid: Option<u32>,
    /// Argon2id operations per password change: verify the current password, verify the new
    /// one against each remembered previous hash (`policy.history`), hash it.
    pub change_hashes: u32,
}

/// What a scenario measured.
pub struct Outcome {
    /// Samples of the headline requests (for `attack`: legitimate logins under attack).
    pub samples: Recorder,
    /// Length of the phase those samples come from.
    pub phase: Duration,
    /// Argon2id operations per headline request, where hashing applies.
    pub hashes_per_op: Option<u32>,
    /// CPU used by the server and the load generator during that phase.
    pub cpu: CpuUse,
    /// Scenario-specific figures.
    pub details: serde_json::Value,
}

/// Latency summary as JSON (milliseconds).
pub fn summary_json(s: &Summary) -> serde_json::Value {
    json!({
        "count": s.count,
        "p50_ms": round(ms(s.p50)),
        "p99_ms": round(ms(s.p99)),
        "max_ms": round(ms(s.max)),
    })
}

/// Rounds to three decimals for reports.
pub fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn forwarded(addr: String) -> Result<HeaderValue, BenchError> {
    HeaderValue::from_str(&addr).map_err(|e| BenchError::Setup(e.to_string()))
}

pub(super) async fn users(ctx: &Ctx<'_>) -> Result<Vec<BenchUser>, BenchError> {
    eprintln!("creating {} user(s)", ctx.users);
    create_users(ctx.settings, ctx.users).await
}

/// `login-soap`: every worker logs in with a correct password, over and over.
pub async fn login_soap(ctx: &Ctx<'_>) -> Result<Outcome, BenchError> {
    let users = users(ctx).await?;
    let workers = (0..ctx.concurrency)
        .map(|i| {
            let u = &users[i % users.len()];
            Worker {
                flow: LoginFlow::new(Api::Soap, &u.name, &u.password, None),
                conn: None,
            }
        })
        .collect();
    let meter = CpuMeter::start(ctx.server_pid);
    let phase = Phase::starting_now(ctx.duration);
    let (samples, _) = run_all(&ctx.endpoint, workers, phase).await;
    Ok(Outcome {
        cpu: meter.stop(),
        samples,
        phase: phase.length(),
        hashes_per_op: Some(1),
        details: json!({"api": "soap", "users": users.len()}),
    })
}

/// `login-soap --rate R`: SOAP logins with correct passwords arriving at `rate` per second
/// whatever the answers (open loop), spread over the run's users.
pub async fn login_soap_open(ctx: &Ctx<'_>, rate: f64) -> Result<Outcome, BenchError> {
    let users = users(ctx).await?;
    let requests: Vec<_> = users
        .iter()
        .map(|u| protocol::login(Api::Soap, &u.name, &u.password, None))
        .collect();
    let load = OpenLoad {
        request: Box::new(move |n| {
            let i = usize::try_from(n).unwrap_or(0) % requests.len().max(1);
            requests
                .get(i)
                .cloned()
                .unwrap_or_else(|| protocol::get("/healthz"))
        }),
        classify: |resp| protocol::read_login(Api::Soap, resp).0,
        rate,
    };
    let meter = CpuMeter::start(ctx.server_pid);
    let phase = Phase::starting_now(ctx.duration);
    let samples = run_open(&ctx.endpoint, load, phase).await;
    let admitted = samples.summary_of("ok");
    let refused = samples.summary_of("overloaded");
    Ok(Outcome {
        cpu: meter.stop(),
        phase: phase.length(),
        hashes_per_op: Some(1),
        details: json!({
            "api": "soap",
            "users": users.len(),
            "offered_rate": round(rate),
            "sent": samples.len(),
            "admitted": summary_json(&admitted),
            "refused": summary_json(&refused),
        }),
        samples,
    })
}

/// Logs every worker in (one at a time, so setup never fills the hashing queue).
pub(super) async fn change_workers(
    ctx: &Ctx<'_>,
    api_of: impl Fn(usize) -> Api,
) -> Result<Vec<Worker<ChangeFlow>>, BenchError> {
    if ctx.users < ctx.concurrency {
        return Err(BenchError::Usage(format!(
            "change scenarios need --users >= --concurrency ({} < {}): each worker changes \
             its own user's password",
            ctx.users, ctx.concurrency
        )));
    }
    let users = users(ctx).await?;
    let mut workers = Vec::with_capacity(ctx.concurrency);
    for (i, user) in users.iter().enumerate().take(ctx.concurrency) {
        let api = api_of(i);
        let (conn, token) = log_in(&ctx.endpoint, api, user).await?;
        workers.push(Worker {
            flow: ChangeFlow::new(api, token, user.password.clone()),
            conn: Some(conn),
        });
    }
    Ok(workers)
}

/// `change-soap` / `change-rest`: every request a real password change.
pub async fn change(ctx: &Ctx<'_>, api: Api) -> Result<Outcome, BenchError> {
    let workers = change_workers(ctx, |_| api).await?;
    let meter = CpuMeter::start(ctx.server_pid);
    let phase = Phase::starting_now(ctx.duration);
    let (samples, _) = run_all(&ctx.endpoint, workers, phase).await;
    Ok(Outcome {
        cpu: meter.stop(),
        samples,
        phase: phase.length(),
        hashes_per_op: Some(ctx.change_hashes),
        details: json!({"api": api.as_str()}),
    })
}

/// Splits workers by front end, runs both groups at once, returns their samples apart.
async fn run_by_api<F: Flow>(
    endpoint: &Endpoint,
    workers: Vec<(Api, Worker<F>)>,
    phase: Phase,
) -> (Recorder, Recorder) {
    let (s, r, _) = run_by_api_keeping(endpoint, workers, phase).await;
    (s, r)
}

/// [`run_by_api`], giving the workers back (SOAP ones first).
async fn run_by_api_keeping<F: Flow>(
    endpoint: &Endpoint,
    workers: Vec<(Api, Worker<F>)>,
    phase: Phase,
) -> (Recorder, Recorder, Vec<Worker<F>>) {
    let (soap, rest): (Vec<_>, Vec<_>) = workers.into_iter().partition(|(a, _)| *a == Api::Soap);
    let strip = |v: Vec<(Api, Worker<F>)>| v.into_iter().map(|(_, w)| w).collect::<Vec<_>>();
    let ((s, mut soap), (r, rest)) = tokio::join!(
        run_all(endpoint, strip(soap), phase),
        run_all(endpoint, strip(rest), phase)
    );
    soap.extend(rest);
    (s, r, soap)
}

/// Times `SINGLE_REQUEST_PROBES` sequential changes by `worker` alone; successes only.
async fn single_changes(
    endpoint: &Endpoint,
    worker: &mut Worker<ChangeFlow>,
) -> Result<Vec<Duration>, BenchError> {
    let conn = match worker.conn.as_mut() {
        Some(c) => c,
        None => worker.conn.insert(Conn::open(endpoint).await?),
    };
    let mut times = Vec::with_capacity(SINGLE_REQUEST_PROBES);
    for _ in 0..SINGLE_REQUEST_PROBES {
        let req = worker.flow.next();
        let t0 = Instant::now();
        let resp = conn.send(&req).await?;
        let latency = t0.elapsed();
        if worker.flow.answer(&resp) == "ok" {
            times.push(latency);
        }
    }
    Ok(times)
}

/// SOAP for even workers, REST for odd ones.
pub(super) fn api_alternating(i: usize) -> Api {
    match i % 2 {
        0 => Api::Soap,
        _ => Api::Rest,
    }
}

/// `overload`: more change requests at once than the waiting budget holds. The
/// excess must be refused at once (503 with Retry-After) while admitted requests stay fast.
pub async fn overload(ctx: &Ctx<'_>) -> Result<Outcome, BenchError> {
    let mut workers = change_workers(ctx, api_alternating).await?;
    // Single-request latency: one worker alone, sequentially, before the overload and again
    // after it (as the hash calibration), so a passing change in the machine's speed weighs
    // less; the median of both sets.
    let mut single = match workers.first_mut() {
        Some(w) => single_changes(&ctx.endpoint, w).await?,
        None => Vec::new(),
    };
    let tagged = workers
        .into_iter()
        .map(|w| (w.flow.api(), w))
        .collect::<Vec<_>>();
    let meter = CpuMeter::start(ctx.server_pid);
    let phase = Phase::starting_now(ctx.duration);
    let (soap, rest, mut workers) = run_by_api_keeping(&ctx.endpoint, tagged, phase).await;
    let cpu = meter.stop();
    if let Some(w) = workers.first_mut() {
        single.extend(single_changes(&ctx.endpoint, w).await?);
    }
    let single = median(single).ok_or_else(|| {
        BenchError::Setup("no single-request change succeeded around the overload".into())
    })?;
    let mut samples = soap.clone();
    samples.merge(rest.clone());
    let admitted = samples.summary_of("ok");
    let refused = samples.summary_of("overloaded");
    let counts = samples.counts();
    let timeouts = counts.get("timeout").copied().unwrap_or(0)
        + counts.get("server_timeout").copied().unwrap_or(0);
    Ok(Outcome {
        hashes_per_op: Some(ctx.change_hashes),
        phase: phase.length(),
        cpu,
        details: json!({
            "single_request_ms": round(ms(single)),
            "admitted": summary_json(&admitted),
            "refused": summary_json(&refused),
            "admitted_p99_over_single": round(admitted.p99.as_secs_f64() / single.as_secs_f64()),
            "timeouts": timeouts,
            "soap": {"admitted": summary_json(&soap.summary_of("ok")), "refused": summary_json(&soap.summary_of("overloaded"))},
            "rest": {"admitted": summary_json(&rest.summary_of("ok")), "refused": summary_json(&rest.summary_of("overloaded"))},
        }),
        samples,
    })
}

/// `reject`: change requests with unknown tickets (SOAP) and session ids (REST), half each.
pub async fn reject(ctx: &Ctx<'_>) -> Result<Outcome, BenchError> {
    let workers = (0..ctx.concurrency)
        .map(|i| {
            let api = api_alternating(i);
            (
                api,
                Worker {
                    flow: RejectFlow::new(api),
                    conn: None,
                },
            )
        })
        .collect();
    let meter = CpuMeter::start(ctx.server_pid);
    let phase = Phase::starting_now(ctx.duration);
    let (soap, rest) = run_by_api(&ctx.endpoint, workers, phase).await;
    let cpu = meter.stop();
    let details = json!({
        "soap": summary_json(&soap.summary_of("ok")),
        "rest": summary_json(&rest.summary_of("ok")),
    });
    let mut samples = soap;
    samples.merge(rest);
    Ok(Outcome {
        samples,
        phase: phase.length(),
        hashes_per_op: None,
        cpu,
        details,
    })
}

/// `attack`: legitimate users log in (each from its own address), first alone, then while
/// one address floods wrong passwords; finally the attacker alone, to count the Argon2id
/// work its throttled requests cost.
pub async fn attack(ctx: &Ctx<'_>) -> Result<Outcome, BenchError> {
    let users = users(ctx).await?;
    let legit = (0..ctx.concurrency)
        .map(|i| {
            let u = &users[i % users.len()];
            let addr = forwarded(format!("10.1.{}.{}", i / 250, 1 + i % 250))?;
            Ok(Worker {
                flow: LoginFlow::new(Api::Soap, &u.name, &u.password, Some(&addr)),
                conn: None,
            })
        })
        .collect::<Result<Vec<_>, BenchError>>()?;
    let attackers = 2 * ctx.cores;
    let attacker_addr = forwarded("203.0.113.66".into())?;

    eprintln!("attack: baseline phase (legitimate logins only)");
    let baseline_phase = Phase::starting_now(ctx.duration);
    let (baseline, legit) = run_all(&ctx.endpoint, legit, baseline_phase).await;

    eprintln!("attack: attack phase ({attackers} attacker connections from one address)");
    let before = argon2_operations(&ctx.endpoint).await?;
    let meter = CpuMeter::start(ctx.server_pid);
    let attack_phase = Phase::starting_now(ctx.duration);
    let alone = ctx.duration.min(Duration::from_secs(2));
    let attacker_phase = Phase {
        start: attack_phase.start,
        deadline: attack_phase.deadline + alone,
    };
    let mut attacker_set = JoinSet::new();
    for k in 0..attackers {
        let endpoint = ctx.endpoint.clone();
        let flow = AttackFlow::new(attacker_addr.clone(), (k as u64) * 2_500);
        attacker_set.spawn(async move {
            drive(endpoint, Worker { flow, conn: None }, attacker_phase)
                .await
                .0
        });
    }
    let (under_attack, _) = run_all(&ctx.endpoint, legit, attack_phase).await;
    let cpu = meter.stop();
    let at_legit_end = argon2_operations(&ctx.endpoint).await?;
    let alone_from = attack_phase.start.elapsed();
    eprintln!("attack: attacker alone");
    let mut attacker = Recorder::default();
    while let Some(joined) = attacker_set.join_next().await {
        if let Ok(rec) = joined {
            attacker.merge(rec);
        }
    }
    let after = argon2_operations(&ctx.endpoint).await?;

    let tripped_at = attacker
        .samples()
        .iter()
        .filter(|s| s.kind == "throttled")
        .map(|s| s.started + s.latency)
        .min();
    let guesses_verified = attacker
        .samples()
        .iter()
        .filter(|s| s.kind == "guess_refused")
        .count();
    let legit_ok = under_attack.summary_of("ok").count as u64;
    let base = baseline.summary_of("ok");
    let hit = under_attack.summary_of("ok");
    let after_trip = tripped_at
        .map(|t| under_attack.summary(|s| s.kind == "ok" && s.started >= t))
        .unwrap_or_default();
    let alone_requests = attacker
        .samples()
        .iter()
        .filter(|s| s.started >= alone_from)
        .count();
    let ratio = |a: Duration, b: Duration| {
        if b.is_zero() {
            serde_json::Value::Null
        } else {
            json!(round(a.as_secs_f64() / b.as_secs_f64()))
        }
    };
    Ok(Outcome {
        hashes_per_op: Some(1),
        phase: attack_phase.length(),
        cpu,
        details: json!({
            "legit_connections": ctx.concurrency,
            "attacker_connections": attackers,
            "baseline": summary_json(&base),
            "baseline_errors": errors_json(&baseline),
            "under_attack": summary_json(&hit),
            "under_attack_after_trip": summary_json(&after_trip),
            "p99_ratio": ratio(hit.p99, base.p99),
            "p99_ratio_after_trip": ratio(after_trip.p99, base.p99),
            "attacker": {
                "requests": attacker.len(),
                "kinds": attacker.counts(),
                "guesses_verified": guesses_verified,
                "throttled_after_ms": tripped_at.map(|t| round(ms(t))),
                "argon2_ops_in_attack_phase": at_legit_end.saturating_sub(before).saturating_sub(legit_ok),
                "alone_requests": alone_requests,
                "alone_argon2_ops": after.saturating_sub(at_legit_end),
            },
        }),
        samples: under_attack,
    })
}

fn errors_json(rec: &Recorder) -> serde_json::Value {
    json!(rec
        .counts()
        .into_iter()
        .filter(|(k, _)| *k != "ok")
        .collect::<std::collections::BTreeMap<_, _>>())
}

/// `idle-connections`: opens many keep-alive connections (one request each), leaves them
/// idle for the duration, then uses each once more; reports the server's memory.
pub async fn idle_connections(ctx: &Ctx<'_>) -> Result<Outcome, BenchError> {
    let rss_before = ctx.server_pid.and_then(read_rss);
    let meter = CpuMeter::start(ctx.server_pid);
    let phase = Phase::starting_now(ctx.duration);
    let permits = Arc::new(Semaphore::new(OPEN_PARALLELISM));
    let mut set = JoinSet::new();
    for _ in 0..ctx.concurrency {
        let endpoint = ctx.endpoint.clone();
        let permits = Arc::clone(&permits);
        set.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            let t0 = Instant::now();
            let result = async {
                let mut conn = Conn::open(&endpoint).await?;
                let resp = conn.send(&protocol::get("/healthz")).await?;
                Ok::<_, super::client::ClientError>((conn, resp.status.is_success()))
            }
            .await;
            (t0, t0.elapsed(), result)
        });
    }
    let mut samples = Recorder::with_capacity(2 * ctx.concurrency);
    let mut conns = Vec::with_capacity(ctx.concurrency);
    while let Some(joined) = set.join_next().await {
        let Ok((t0, latency, result)) = joined else {
            continue;
        };
        let kind = match result {
            Ok((conn, true)) => {
                conns.push(conn);
                "ok"
            }
            Ok((_, false)) => "http_error",
            Err(e) => e.kind(),
        };
        samples.record(phase.start, t0, latency, kind);
    }
    let opened = conns.len();
    eprintln!("idle-connections: {opened} connections open, idling");
    tokio::time::sleep_until(phase.deadline.into()).await;
    let rss_idle = ctx.server_pid.and_then(read_rss);
    let mut alive = 0usize;
    for conn in &mut conns {
        let t0 = Instant::now();
        let kind = match conn.send(&protocol::get("/healthz")).await {
            Ok(r) if r.status.is_success() => {
                alive += 1;
                "ok"
            }
            Ok(_) => "http_error",
            Err(e) => e.kind(),
        };
        samples.record(phase.start, t0, t0.elapsed(), kind);
    }
    let mib = |r: Option<super::server::Rss>| r.map(|r| round(r.current_kib as f64 / 1024.0));
    Ok(Outcome {
        hashes_per_op: None,
        phase: phase.start.elapsed(),
        cpu: meter.stop(),
        details: json!({
            "connections": ctx.concurrency,
            "opened": opened,
            "alive_after_idle": alive,
            "rss_before_mib": mib(rss_before),
            "rss_with_connections_mib": mib(rss_idle),
        }),
        samples,
    })
}
