//! `passgate bench --scenario range`: the breached-password range API under load. Builds a
//! full-hash index of `--entries` generated entries, serves it from an in-process server
//! (the real router and connection layer, a throwaway SQLite database), and has
//! `--concurrency` keep-alive clients ask for random five-hex-digit prefixes for
//! `--duration` seconds. Only 200 answers count; other statuses and failed exchanges are
//! reported beside them. The same run times `BreachIndex::range` alone on one core, so the
//! served rate is also given as a ratio of that limit times the cores (the cost of HTTP).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::Method;
use passgate_core::clock::SystemClock;
use passgate_core::credential::breach::{self, BreachIndex, Layout};
use rand::{Rng, SeedableRng};

use super::client::{Conn, Endpoint, Req};
use super::BenchError;
use crate::config::{Overrides, Settings};

fn setup(e: impl std::fmt::Display) -> BenchError {
    BenchError::Setup(format!("range benchmark: {e}"))
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    ok: u64,
    other_status: u64,
    errors: u64,
    lines: u64,
    latencies: Vec<Duration>,
}

/// Runs the scenario and prints a table and the JSON line.
pub async fn run(entries: u64, duration: Duration, concurrency: usize) -> Result<(), BenchError> {
    let dir = tempfile::tempdir().map_err(setup)?;
    eprintln!("generating and importing a full-hash corpus of {entries} entries");
    let (corpus, corpus_bytes) = super::micro::write_corpus(dir.path(), entries).map_err(setup)?;
    let index_path = dir.path().join("pwned-full.idx");
    let started = Instant::now();
    let file = std::fs::File::open(&corpus).map_err(setup)?;
    let summary = breach::import_as(
        std::io::BufReader::with_capacity(1 << 20, file),
        &index_path,
        Layout::Full,
    )
    .map_err(setup)?;
    let import_seconds = started.elapsed().as_secs_f64();
    std::fs::remove_file(&corpus).map_err(setup)?;

    // The raw limit: ranges per second of the index alone, on one core, warm.
    let index = BreachIndex::open(&index_path).map_err(setup)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for p in (0..1u32 << 20).step_by(16) {
        std::hint::black_box(index.range(p).map_err(setup)?);
    }
    let (mut raw, raw_started) = (0u64, Instant::now());
    while raw_started.elapsed() < Duration::from_secs(2) {
        std::hint::black_box(index.range(rng.gen_range(0..1u32 << 20)).map_err(setup)?);
        raw += 1;
    }
    let raw_per_core = raw as f64 / raw_started.elapsed().as_secs_f64();

    let mut settings = Settings::load(
        None,
        &Overrides {
            database_url: Some(
                format!("sqlite://{}", dir.path().join("bench.db").display()).into(),
            ),
            listen: Some("127.0.0.1:0".into()),
        },
    )
    .map_err(setup)?;
    settings.breach_index = Some(index_path);
    settings.breach_range_api = true;
    let core = crate::app::build_core(&settings, Arc::new(SystemClock))
        .await
        .map_err(setup)?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(setup)?;
    let addr = listener.local_addr().map_err(setup)?;
    let router = crate::app::router(core, &settings);
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::app::serve_with(
        listener,
        router,
        settings.connections.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    let endpoint = Endpoint::new(addr).map_err(setup)?;

    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::with_capacity(concurrency);
    for w in 0..concurrency {
        let (endpoint, stop) = (endpoint.clone(), Arc::clone(&stop));
        workers.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(100 + w as u64);
            let mut tally = Tally::default();
            let mut conn = None;
            while !stop.load(Ordering::Relaxed) {
                let c = match conn.as_mut() {
                    Some(c) => c,
                    None => match Conn::open(&endpoint).await {
                        Ok(c) => conn.insert(c),
                        Err(_) => {
                            tally.errors += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                };
                let req = Req {
                    method: Method::GET,
                    path: format!("/range/{:05X}", rng.gen_range(0..1u32 << 20)).into(),
                    headers: Vec::new(),
                    body: bytes::Bytes::new(),
                };
                let t = Instant::now();
                match c.send(&req).await {
                    Ok(r) if r.status == 200 => {
                        tally.latencies.push(t.elapsed());
                        tally.ok += 1;
                        tally.lines += r.body.iter().filter(|b| **b == b'\n').count() as u64;
                        if r.close {
                            conn = None;
                        }
                    }
                    Ok(r) => {
                        tally.other_status += 1;
                        if r.close {
                            conn = None;
                        }
                    }
                    Err(_) => {
                        tally.errors += 1;
                        conn = None;
                    }
                }
            }
            tally
        }));
    }
    let measured = Instant::now();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = Tally::default();
    for w in workers {
        let t = w.await.map_err(setup)?;
        total.ok += t.ok;
        total.other_status += t.other_status;
        total.errors += t.errors;
        total.lines += t.lines;
        total.latencies.extend(t.latencies);
    }
    let secs = measured.elapsed().as_secs_f64();
    let _ = stop_server.send(());
    let _ = server.await;

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_second = total.ok as f64 / secs;
    let limit = raw_per_core * cores as f64;
    total.latencies.sort_unstable();
    let pct = |q: f64| -> f64 {
        let l = &total.latencies;
        if l.is_empty() {
            return 0.0;
        }
        let i = ((l.len() as f64 * q).ceil() as usize).clamp(1, l.len()) - 1;
        l[i].as_secs_f64() * 1e6
    };
    println!(
        "range API: {entries} entries (corpus {:.0} MiB, index {:.0} MiB, import {import_seconds:.2} s), {concurrency} clients, {secs:.1} s",
        corpus_bytes as f64 / 1048576.0,
        summary.bytes as f64 / 1048576.0,
    );
    println!(
        "ok {} ({per_second:.0}/s), other statuses {}, errors {}; {:.0} lines per range; p50 {:.0} µs, p99 {:.0} µs",
        total.ok,
        total.other_status,
        total.errors,
        total.lines as f64 / (total.ok.max(1) as f64),
        pct(0.5),
        pct(0.99),
    );
    println!(
        "index alone: {raw_per_core:.0} ranges/s on one core; served / (that × {cores} cores) = {:.3}",
        per_second / limit.max(1e-9)
    );
    println!(
        "{}",
        serde_json::json!({
            "scenario": "range",
            "duration_s": secs,
            "concurrency": concurrency,
            "entries": entries,
            "index_bytes": summary.bytes,
            "import_seconds": import_seconds,
            "requests": total.ok + total.other_status + total.errors,
            "ok": total.ok,
            "other_status": total.other_status,
            "errors": total.errors,
            "ok_per_second": per_second,
            "lines_per_range": total.lines as f64 / (total.ok.max(1) as f64),
            "p50_us": pct(0.5),
            "p99_us": pct(0.99),
            "index_ranges_per_second_one_core": raw_per_core,
            "cores": cores,
            "ratio_to_index_limit": per_second / limit.max(1e-9),
        })
    );
    if total.ok == 0 {
        return Err(BenchError::NothingSucceeded);
    }
    Ok(())
}
