//! `soak`: a long run mixing logins, real password changes, rejected tickets and garbage
//! requests (malformed, deeply nested and oversized XML, broken JSON), sampling the server's
//! resident memory and open file descriptors over time, so growth (a leak of memory,
//! sessions, sockets or files) shows as a difference between the start and the end of the
//! run. Meant for runs of many minutes (`--duration 1800`); the figures are reported, never
//! asserted.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::Method;
use serde_json::json;
use tokio::task::JoinSet;

use super::client::{Req, Resp};
use super::driver::{drive, Flow, Phase, Worker};
use super::flows::{LoginFlow, RejectFlow};
use super::protocol::{PRINCIPAL_PATH, REST_CHANGE_PATH, USER_PATH};
use super::scenarios::{api_alternating, change_workers, round, users, Ctx, Outcome};
use super::server::{read_rss, CpuMeter};
use super::stats::Recorder;
use super::BenchError;

/// Samples of memory and descriptors taken over a run (at least this many).
const SAMPLES: u32 = 30;

/// Cycles through malformed requests; `ok` when the server refuses one cleanly with a 4xx,
/// or with the SOAP 1.1 fault's HTTP 500.
pub struct GarbageFlow {
    n: usize,
    requests: Vec<Req>,
}

impl GarbageFlow {
    /// The garbage requests, each built once.
    pub fn new(offset: usize) -> Self {
        let soap12 = HeaderValue::from_static("application/soap+xml; charset=utf-8");
        let soap11 = HeaderValue::from_static("text/xml; charset=utf-8");
        let json_type = HeaderValue::from_static("application/json");
        let form = HeaderValue::from_static("application/x-www-form-urlencoded");
        let req = |method: Method, path: &'static str, ct: &HeaderValue, body: String| Req {
            method,
            path: path.into(),
            headers: vec![(CONTENT_TYPE, ct.clone())],
            body: Bytes::from(body),
        };
        let attrs: String = (0..2_000).map(|i| format!(" a{i}=\"v\"")).collect();
        let requests = vec![
            req(Method::POST, PRINCIPAL_PATH, &soap12, "<a>".repeat(4_000)),
            req(Method::POST, USER_PATH, &soap11, "<Envelope><Body>".into()),
            req(
                Method::POST,
                PRINCIPAL_PATH,
                &soap12,
                format!("<e{attrs}></e>"),
            ),
            req(
                Method::POST,
                PRINCIPAL_PATH,
                &soap12,
                "<!DOCTYPE a [<!ENTITY x \"x\">]><a>&x;</a>".into(),
            ),
            req(Method::PUT, REST_CHANGE_PATH, &json_type, "[".repeat(4_000)),
            req(
                Method::PUT,
                REST_CHANGE_PATH,
                &json_type,
                "{\"sessionId\": 12, \"password\": [".into(),
            ),
            req(
                Method::PUT,
                REST_CHANGE_PATH,
                &form,
                "sessionId=%ff%fe&password=%C3%28".into(),
            ),
            req(
                Method::POST,
                "/security/credentials",
                &json_type,
                "x".repeat(70_000),
            ),
        ];
        GarbageFlow {
            n: offset,
            requests,
        }
    }
}

impl Flow for GarbageFlow {
    fn next(&mut self) -> Req {
        self.n = self.n.wrapping_add(1);
        self.requests[self.n % self.requests.len()].clone()
    }

    fn answer(&mut self, resp: &Resp) -> &'static str {
        let status = resp.status.as_u16();
        match status {
            400..=500 => "ok",
            503 => "overloaded",
            _ => "unexpected_reply",
        }
    }
}

/// One reading of the server's resources.
#[derive(Debug, Clone, Copy)]
struct Reading {
    at: Duration,
    rss_kib: u64,
    open_files: u64,
}

/// Open file descriptors of `pid` (Linux), or None.
fn open_files(pid: u32) -> Option<u64> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(dir.count() as u64)
}

fn read(pid: u32, since: Instant) -> Option<Reading> {
    Some(Reading {
        at: since.elapsed(),
        rss_kib: read_rss(pid)?.current_kib,
        open_files: open_files(pid)?,
    })
}

/// Runs the mix for `ctx.duration` with `ctx.concurrency` workers split four ways.
pub async fn soak(ctx: &Ctx<'_>) -> Result<Outcome, BenchError> {
    let quarter = (ctx.concurrency / 4).max(1);
    let users = users(ctx).await?;
    let mut changers = change_workers(ctx, api_alternating).await?;
    changers.truncate(quarter);
    let started = Instant::now();
    let pid = ctx.server_pid;
    let first = pid.and_then(|p| read(p, started));
    let meter = CpuMeter::start(pid);
    let phase = Phase::starting_now(ctx.duration);
    let mut set: JoinSet<(&'static str, Recorder)> = JoinSet::new();
    for w in changers {
        let endpoint = ctx.endpoint.clone();
        set.spawn(async move { ("change", drive(endpoint, w, phase).await.0) });
    }
    for i in 0..quarter {
        let u = &users[(quarter + i) % users.len()];
        let flow = LoginFlow::new(api_alternating(i), &u.name, &u.password, None);
        let endpoint = ctx.endpoint.clone();
        set.spawn(async move {
            let w = Worker { flow, conn: None };
            ("login", drive(endpoint, w, phase).await.0)
        });
        let endpoint = ctx.endpoint.clone();
        let flow = RejectFlow::new(api_alternating(i));
        set.spawn(async move {
            let w = Worker { flow, conn: None };
            ("reject", drive(endpoint, w, phase).await.0)
        });
        let endpoint = ctx.endpoint.clone();
        let flow = GarbageFlow::new(i);
        set.spawn(async move {
            let w = Worker { flow, conn: None };
            ("garbage", drive(endpoint, w, phase).await.0)
        });
    }
    // Readings while the mix runs.
    let every = (ctx.duration / SAMPLES).max(Duration::from_secs(1));
    let mut readings: Vec<Reading> = first.into_iter().collect();
    while Instant::now() + every < phase.deadline {
        tokio::time::sleep(every).await;
        if let Some(r) = pid.and_then(|p| read(p, started)) {
            readings.push(r);
        }
    }
    let mut samples = Recorder::default();
    let mut groups: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    while let Some(joined) = set.join_next().await {
        if let Ok((group, rec)) = joined {
            let counts = groups.entry(group).or_default();
            for (kind, n) in rec.counts() {
                *counts.entry(kind).or_default() += n;
            }
            samples.merge(rec);
        }
    }
    let cpu = meter.stop();
    // A last reading once the load has stopped and idle connections were dropped.
    tokio::time::sleep(Duration::from_secs(1)).await;
    if let Some(r) = pid.and_then(|p| read(p, started)) {
        readings.push(r);
    }
    let series = |f: fn(&Reading) -> u64| {
        let start = readings.first().map(f);
        let end = readings.last().map(f);
        let max = readings.iter().map(f).max();
        json!({"start": start, "end": end, "max": max,
        "end_over_start": match (start, end) {
            (Some(s), Some(e)) if s > 0 => json!(round(e as f64 / s as f64)),
            _ => serde_json::Value::Null,
        }})
    };
    let details = json!({
        "groups": groups,
        "rss_kib": series(|r| r.rss_kib),
        "open_files": series(|r| r.open_files),
        "timeline": readings
            .iter()
            .map(|r| json!([round(r.at.as_secs_f64()), r.rss_kib, r.open_files]))
            .collect::<Vec<_>>(),
    });
    Ok(Outcome {
        samples,
        phase: phase.length(),
        hashes_per_op: None,
        cpu,
        details,
    })
}
