//! The result of a run: a readable table, then one JSON object as the last line.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use passgate_core::credential::HashParams;
use serde::Serialize;

use super::scenarios::{round, Outcome};
use super::server::Rss;
use super::stats::ms;

/// The JSON summary (the last line of the output).
#[derive(Debug, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: &'static str,
    /// Length of the measured phase, seconds.
    pub duration_s: f64,
    /// Concurrent connections (legitimate ones for `attack`; 0 for an open-loop run).
    pub concurrency: usize,
    /// Open loop: requests offered per second, whatever the answers (null for closed loop).
    pub offered_rate: Option<f64>,
    /// Requests sent in the measured phase.
    pub requests: usize,
    /// Requests with the expected outcome.
    pub ok: u64,
    /// Every other outcome, by kind.
    pub errors: BTreeMap<&'static str, u64>,
    /// Overload refusals (503 with `Retry-After`), also counted in `errors`.
    pub refused: u64,
    /// 99th percentile latency of the refusals, milliseconds.
    pub refused_p99_ms: f64,
    /// Requests without an answer within the client's timeout, also counted in `errors`.
    pub timeouts: u64,
    /// Expected outcomes completed per second.
    pub throughput: f64,
    /// Latency of the expected outcomes, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Largest, milliseconds.
    pub max_ms: f64,
    /// Median single-core Argon2id hash time with the server's parameters, milliseconds.
    pub hash_ms: f64,
    /// Median Argon2id hash time when every core hashes at once (shared caches and memory
    /// bandwidth make it slower than `hash_ms`), milliseconds.
    pub hash_ms_all_cores: f64,
    /// Argon2id parameters.
    pub argon2: Argon2Json,
    /// Argon2id operations per request (null where no hashing applies).
    pub hashes_per_op: Option<u32>,
    /// CPU cores of the machine.
    pub cores: usize,
    /// cores ÷ (hashes per request × hash time), requests per second.
    pub hash_limit: Option<f64>,
    /// throughput ÷ hash limit.
    pub ratio: Option<f64>,
    /// The server's peak resident set, MiB (null when it cannot be read).
    pub peak_rss_mib: Option<f64>,
    /// The server's resident set at the end of the run, MiB.
    pub rss_mib: Option<f64>,
    /// CPU seconds the server used during the measured phase.
    pub server_cpu_s: Option<f64>,
    /// CPU seconds the load generator (this process) used during the measured phase.
    pub client_cpu_s: Option<f64>,
    /// CPU seconds the server's hashing threads used during the measured phase.
    pub hashing_cpu_s: Option<f64>,
    /// hashing_cpu_s ÷ (cores × phase): the share of the machine the server spent on its
    /// hashing threads. With `hash_ms_in_server` it splits `ratio` into what the server
    /// controls (everything but hashing) and what the hardware does to each hash:
    /// ratio ≈ hashing_share × hash_ms ÷ hash_ms_in_server.
    pub hashing_share: Option<f64>,
    /// Hashing-thread CPU per Argon2id operation completed in the phase, milliseconds: what
    /// one hash costs inside the server under this load (null where no hashing applies).
    pub hash_ms_in_server: Option<f64>,
    /// Scenario-specific figures.
    pub details: serde_json::Value,
}

/// Argon2id parameters as reported.
#[derive(Debug, Serialize)]
pub struct Argon2Json {
    /// Memory, KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

/// Inputs of [`Report::new`] besides the outcome.
pub struct RunFacts {
    /// Scenario name.
    pub scenario: &'static str,
    /// Concurrency.
    pub concurrency: usize,
    /// Offered rate of an open-loop run.
    pub offered_rate: Option<f64>,
    /// Median hash time.
    pub hash_time: Duration,
    /// Median hash time with every core hashing.
    pub all_cores_hash_time: Duration,
    /// Parameters.
    pub params: HashParams,
    /// Cores.
    pub cores: usize,
    /// Server memory.
    pub rss: Option<Rss>,
}

impl Report {
    /// Builds the report of `outcome`.
    pub fn new(facts: &RunFacts, outcome: &Outcome) -> Self {
        let counts = outcome.samples.counts();
        let ok = counts.get("ok").copied().unwrap_or(0);
        let errors = counts.into_iter().filter(|(k, _)| *k != "ok").collect();
        let phase = outcome.phase.as_secs_f64();
        let completed_in_phase = outcome
            .samples
            .samples()
            .iter()
            .filter(|s| s.kind == "ok" && s.started + s.latency <= outcome.phase)
            .count();
        let throughput = if phase > 0.0 {
            completed_in_phase as f64 / phase
        } else {
            0.0
        };
        let hash_limit = outcome.hashes_per_op.and_then(|h| {
            let per_op = f64::from(h) * facts.hash_time.as_secs_f64();
            (per_op > 0.0).then(|| facts.cores as f64 / per_op)
        });
        let hashing_cpu = outcome.cpu.hashing.map(|d| d.as_secs_f64());
        let hashing_share = hashing_cpu
            .filter(|_| phase > 0.0 && facts.cores > 0)
            .map(|cpu| cpu / (facts.cores as f64 * phase));
        let hash_ms_in_server = match (hashing_cpu, outcome.hashes_per_op) {
            (Some(cpu), Some(h)) if completed_in_phase > 0 => {
                Some(cpu * 1e3 / (completed_in_phase as f64 * f64::from(h)))
            }
            _ => None,
        };
        let summary = outcome.samples.summary_of("ok");
        let refused = outcome.samples.summary_of("overloaded");
        let count = |k: &str| counts_of(outcome, k);
        let mib = |kib: u64| round(kib as f64 / 1024.0);
        Report {
            scenario: facts.scenario,
            duration_s: round(phase),
            concurrency: facts.concurrency,
            offered_rate: facts.offered_rate.map(round),
            requests: outcome.samples.len(),
            ok,
            errors,
            refused: refused.count as u64 + count("overloaded_without_retry_after"),
            refused_p99_ms: round(ms(refused.p99)),
            timeouts: count("timeout") + count("server_timeout"),
            throughput: round(throughput),
            p50_ms: round(ms(summary.p50)),
            p99_ms: round(ms(summary.p99)),
            max_ms: round(ms(summary.max)),
            hash_ms: round(ms(facts.hash_time)),
            hash_ms_all_cores: round(ms(facts.all_cores_hash_time)),
            argon2: Argon2Json {
                m_kib: facts.params.m_kib,
                t: facts.params.t,
                p: facts.params.p,
            },
            hashes_per_op: outcome.hashes_per_op,
            cores: facts.cores,
            hash_limit: hash_limit.map(round),
            ratio: hash_limit.map(|l| round(throughput / l)),
            peak_rss_mib: facts.rss.map(|r| mib(r.peak_kib)),
            rss_mib: facts.rss.map(|r| mib(r.current_kib)),
            server_cpu_s: outcome.cpu.server.map(|d| round(d.as_secs_f64())),
            client_cpu_s: outcome.cpu.client.map(|d| round(d.as_secs_f64())),
            hashing_cpu_s: hashing_cpu.map(round),
            hashing_share: hashing_share.map(round),
            hash_ms_in_server: hash_ms_in_server.map(round),
            details: outcome.details.clone(),
        }
    }

    /// The human-readable table.
    pub fn table(&self, outcome: &Outcome) -> String {
        let mut t = String::new();
        let opt = |v: Option<f64>, unit: &str| v.map_or("n/a".to_owned(), |v| format!("{v}{unit}"));
        let load = match self.offered_rate {
            Some(rate) => format!("open loop, {rate} requests/s offered"),
            None => format!("{} connections", self.concurrency),
        };
        let _ = writeln!(
            t,
            "passgate bench: {} ({} s, {load}, {} cores)",
            self.scenario, self.duration_s, self.cores
        );
        let _ = writeln!(t, "  {:<14} {}", "requests", self.requests);
        let _ = writeln!(t, "  {:<14} {} ({}/s)", "ok", self.ok, self.throughput);
        let errors = if self.errors.is_empty() {
            "none".to_owned()
        } else {
            self.errors
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = writeln!(t, "  {:<14} {errors}", "errors");
        let _ = writeln!(
            t,
            "  {:<14} p50 {} ms, p99 {} ms, max {} ms",
            "latency (ok)", self.p50_ms, self.p99_ms, self.max_ms
        );
        let _ = writeln!(
            t,
            "  {:<14} {} ms per hash on one core (m={} KiB, t={}, p={})",
            "argon2id", self.hash_ms, self.argon2.m_kib, self.argon2.t, self.argon2.p
        );
        let _ = writeln!(
            t,
            "  {:<14} {} ms per hash with all {} cores hashing at once",
            "", self.hash_ms_all_cores, self.cores
        );
        let _ = writeln!(
            t,
            "  {:<14} {}{}",
            "hash limit",
            opt(self.hash_limit, "/s"),
            self.hashes_per_op.map_or(String::new(), |h| format!(
                " ({} cores / ({h} x {} ms))",
                self.cores, self.hash_ms
            ))
        );
        let _ = writeln!(t, "  {:<14} {}", "ratio", opt(self.ratio, ""));
        let _ = writeln!(
            t,
            "  {:<14} peak {}, now {}",
            "server RSS",
            opt(self.peak_rss_mib, " MiB"),
            opt(self.rss_mib, " MiB")
        );
        let per_request = |cpu: Option<f64>| match cpu {
            Some(s) if self.requests > 0 => {
                format!("{s} s ({:.0} µs/request)", s * 1e6 / self.requests as f64)
            }
            Some(s) => format!("{s} s"),
            None => "n/a".to_owned(),
        };
        let _ = writeln!(
            t,
            "  {:<14} server {}, load generator {}",
            "cpu (phase)",
            per_request(self.server_cpu_s),
            per_request(self.client_cpu_s)
        );
        let _ = writeln!(
            t,
            "  {:<14} {} of the machine in the hashing threads, {} per hash",
            "hashing",
            opt(self.hashing_share, ""),
            opt(self.hash_ms_in_server, " ms")
        );
        let _ = writeln!(t, "  by outcome:");
        let _ = writeln!(
            t,
            "    {:<32} {:>8} {:>10} {:>10} {:>10}",
            "kind", "count", "p50 ms", "p99 ms", "max ms"
        );
        for (kind, count) in outcome.samples.counts() {
            let s = outcome.samples.summary_of(kind);
            let _ = writeln!(
                t,
                "    {:<32} {:>8} {:>10.3} {:>10.3} {:>10.3}",
                kind,
                count,
                ms(s.p50),
                ms(s.p99),
                ms(s.max)
            );
        }
        let _ = writeln!(t, "  details:");
        flatten(&mut t, "", &self.details);
        t
    }
}

fn counts_of(outcome: &Outcome, kind: &str) -> u64 {
    outcome
        .samples
        .samples()
        .iter()
        .filter(|s| s.kind == kind)
        .count() as u64
}

/// One row per load level of a sweep: what the issue asks to compare across levels.
pub fn sweep_table(reports: &[Report]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "sweep: {} ({} s per level)",
        reports.first().map_or("", |r| r.scenario),
        reports.first().map_or(0.0, |r| r.duration_s)
    );
    let _ = writeln!(
        t,
        "  {:>14} {:>9} {:>8} {:>9} {:>7} {:>9} {:>7} {:>9} {:>9} {:>11} {:>8}",
        "load",
        "requests",
        "ok",
        "refused",
        "other",
        "goodput",
        "ratio",
        "p50 ms",
        "p99 ms",
        "ref p99 ms",
        "timeouts"
    );
    for r in reports {
        let load = match r.offered_rate {
            Some(rate) => format!("{rate}/s"),
            None => format!("{} clients", r.concurrency),
        };
        let other = r.errors.values().sum::<u64>().saturating_sub(r.refused);
        let _ = writeln!(
            t,
            "  {:>14} {:>9} {:>8} {:>9} {:>7} {:>9} {:>7} {:>9} {:>9} {:>11} {:>8}",
            load,
            r.requests,
            r.ok,
            r.refused,
            other,
            r.throughput,
            r.ratio.map_or("n/a".to_owned(), |v| v.to_string()),
            r.p50_ms,
            r.p99_ms,
            r.refused_p99_ms,
            r.timeouts
        );
    }
    t
}

fn flatten(out: &mut String, prefix: &str, v: &serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(out, &key, v);
            }
        }
        other => {
            let _ = writeln!(out, "    {prefix:<40} {other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::Recorder;
    use std::time::Instant;

    #[test]
    fn ratio_and_throughput_from_samples() -> Result<(), serde_json::Error> {
        let t0 = Instant::now();
        let mut rec = Recorder::default();
        for _ in 0..40 {
            rec.record(t0, t0, Duration::from_millis(50), "ok");
        }
        rec.record(t0, t0, Duration::from_millis(1), "overloaded");
        // Completed after the phase: not counted in the throughput.
        rec.record(
            t0,
            t0 + Duration::from_millis(990),
            Duration::from_millis(50),
            "ok",
        );
        let outcome = Outcome {
            samples: rec,
            phase: Duration::from_secs(1),
            hashes_per_op: Some(2),
            cpu: crate::bench::server::CpuUse {
                hashing: Some(Duration::from_millis(1600)),
                ..Default::default()
            },
            details: serde_json::json!({"a": {"b": 1}}),
        };
        let facts = RunFacts {
            scenario: "change-rest",
            concurrency: 4,
            offered_rate: None,
            hash_time: Duration::from_millis(25),
            all_cores_hash_time: Duration::from_millis(30),
            params: HashParams::default(),
            cores: 2,
            rss: None,
        };
        let r = Report::new(&facts, &outcome);
        assert_eq!(r.requests, 42);
        assert_eq!(r.ok, 41);
        assert_eq!(r.errors.get("overloaded"), Some(&1));
        assert_eq!((r.refused, r.refused_p99_ms, r.timeouts), (1, 1.0, 0));
        assert_eq!(r.throughput, 40.0);
        assert_eq!(r.hash_limit, Some(40.0));
        assert_eq!(r.ratio, Some(1.0));
        assert_eq!(r.peak_rss_mib, None);
        // 1.6 s of hashing over 1 s on 2 cores; 40 changes of 2 hashes each.
        assert_eq!(r.hashing_share, Some(0.8));
        assert_eq!(r.hash_ms_in_server, Some(20.0));
        assert!(r.server_cpu_s.is_none());
        let line = serde_json::to_string(&r)?;
        let v: serde_json::Value = serde_json::from_str(&line)?;
        assert_eq!(v["scenario"], "change-rest");
        assert!(v["peak_rss_mib"].is_null());
        assert!(r.table(&outcome).contains("a.b"));
        assert!(sweep_table(std::slice::from_ref(&r)).contains("4 clients"));
        Ok(())
    }
}
