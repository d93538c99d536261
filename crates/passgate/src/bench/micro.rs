//! Micro-benchmarks of the policy engine and the breached-password index (the `policy` and
//! `breach` scenarios of `passgate bench`). They run in-process: no server, no hashing.

use std::io::Write;
use std::time::{Duration, Instant};

use passgate_core::credential::breach::{self, BreachIndex};
use passgate_core::credential::{PasswordPolicy, PolicyConfig, PolicySubject};
use passgate_core::domain::Password;
use rand::{Rng, SeedableRng};
use sha1::{Digest, Sha1};

/// Latency summary of one measured operation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Latency {
    /// Operations measured.
    pub samples: usize,
    /// Median, microseconds.
    pub p50_us: f64,
    /// 99th percentile, microseconds.
    pub p99_us: f64,
    /// Slowest, microseconds.
    pub max_us: f64,
}

impl Latency {
    /// The summary of `d` (in any order).
    pub(crate) fn from_samples(mut d: Vec<Duration>) -> Latency {
        d.sort_unstable();
        let us = |x: Duration| x.as_secs_f64() * 1e6;
        let at = |q: f64| {
            let i = ((d.len() as f64 * q).ceil() as usize).clamp(1, d.len().max(1)) - 1;
            d.get(i).copied().map_or(0.0, us)
        };
        Latency {
            samples: d.len(),
            p50_us: at(0.50),
            p99_us: at(0.99),
            max_us: d.last().copied().map_or(0.0, us),
        }
    }
}

/// What the `policy` scenario measured: the full stateless policy (blocklist, context words,
/// zxcvbn, composition) per class of input.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PolicyReport {
    /// (input class, length in characters, latency).
    pub by_input: Vec<(String, usize, Latency)>,
}

/// Inputs crafted against password estimators, 256 characters each: floods of l33t symbols
/// (exponential in upstream zxcvbn), repeated units, keyboard walks, digit runs with dates, a
/// dictionary word spelled with every substitution, and mixes of them.
fn crafted_inputs() -> Vec<String> {
    let patterns = [
        "4@8({[</369&#!1/|0$5+7%2/",
        "1|!7",
        "p@$$w0rd",
        "qwertyuiop[]asdfghjkl;'zxcvbnm,./",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]",
        "01/02/1987-19870201-",
        "abcabcabcabd",
        "aaaaaaaaaaaaaaab",
        "m0th3rb0@rd!",
        "%$#@!)(*&^",
    ];
    let mut inputs: Vec<String> = patterns
        .iter()
        .map(|p| p.chars().cycle().take(256).collect())
        .collect();
    inputs.push(
        patterns
            .concat()
            .chars()
            .cycle()
            .take(256)
            .collect::<String>(),
    );
    inputs
}

/// Runs the policy check on random inputs of 15, 64 and 256 characters and on crafted
/// 256-character inputs, for about `duration` in total. Random inputs mix letters, digits,
/// symbols, spaces and a few non-ASCII characters.
pub fn policy(duration: Duration) -> PolicyReport {
    let policy = PasswordPolicy::new(PolicyConfig::default());
    let subject = PolicySubject {
        username: Some("benchmark.user"),
        email: Some("benchmark.user@example.org"),
        full_name: Some("Bench Mark"),
    };
    const ALPHABET: &[char] = &[
        'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'k', 'm', 'n', 'p', 'r', 's', 't', 'w', 'x', 'y',
        'A', 'B', 'Q', 'Z', '0', '1', '7', '9', ' ', '-', '#', '!', 'é', 'ß', '日', 'ж',
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut classes: Vec<(String, usize, Vec<Password>)> = [15usize, 64, 256]
        .into_iter()
        .map(|len| {
            let inputs = (0..64)
                .map(|_| {
                    Password::new(
                        (0..len)
                            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())])
                            .collect::<String>(),
                    )
                })
                .collect();
            ("random".to_owned(), len, inputs)
        })
        .collect();
    classes.push((
        "crafted".to_owned(),
        256,
        crafted_inputs().into_iter().map(Password::new).collect(),
    ));
    policy.warm_up();
    let per_class = duration / classes.len() as u32;
    let mut by_input = Vec::new();
    for (class, len, inputs) in classes {
        for p in inputs.iter().take(8) {
            std::hint::black_box(policy.check(p, &subject));
        }
        let mut samples = Vec::new();
        let end = Instant::now() + per_class;
        let mut i = 0;
        while Instant::now() < end || samples.len() < 100 {
            let p = &inputs[i % inputs.len()];
            let t = Instant::now();
            std::hint::black_box(policy.check(p, &subject));
            samples.push(t.elapsed());
            i += 1;
        }
        by_input.push((class, len, Latency::from_samples(samples)));
    }
    PolicyReport { by_input }
}

/// What the `breach` scenario measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BreachReport {
    /// Entries in the generated corpus.
    pub entries: u64,
    /// Seconds to import it (`passgate breach import` does the same work).
    pub import_seconds: f64,
    /// Size of the corpus text in bytes.
    pub corpus_bytes: u64,
    /// Size of the index in bytes.
    pub index_bytes: u64,
    /// Lookups of passwords present in the corpus (warm page cache).
    pub hit: Latency,
    /// Lookups of passwords absent from it (warm page cache).
    pub miss: Latency,
    /// Present passwords found / looked up (must be 1.0).
    pub hit_rate: f64,
    /// Absent passwords reported present (must be 0).
    pub false_hits: u64,
}

/// Errors of the breach micro-benchmark.
#[derive(Debug, thiserror::Error)]
pub enum MicrobenchError {
    /// Writing the corpus failed.
    #[error("corpus: {0}")]
    Io(#[from] std::io::Error),
    /// Import or lookup failed.
    #[error("{0}")]
    Index(#[from] breach::BreachError),
}

fn corpus_password(i: u64) -> String {
    format!("corpus password #{i}")
}

/// Writes a sorted Pwned-Passwords-format corpus of `entries` lines (the SHA-1 of
/// `corpus password #i`, counts 1 to 1000) to `dir`; returns its path and size.
pub fn write_corpus(
    dir: &std::path::Path,
    entries: u64,
) -> Result<(std::path::PathBuf, u64), std::io::Error> {
    let mut hashes: Vec<[u8; 20]> = (0..entries)
        .map(|i| {
            let mut h = [0u8; 20];
            h.copy_from_slice(&Sha1::digest(corpus_password(i).as_bytes()));
            h
        })
        .collect();
    hashes.sort_unstable();
    let corpus = dir.join("pwned-corpus.txt");
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&corpus)?);
        let mut line = Vec::with_capacity(64);
        for (n, h) in hashes.iter().enumerate() {
            line.clear();
            for b in h {
                write!(line, "{b:02X}")?;
            }
            writeln!(line, ":{}", n % 1000 + 1)?;
            w.write_all(&line)?;
        }
        w.flush()?;
    }
    let bytes = std::fs::metadata(&corpus)?.len();
    Ok((corpus, bytes))
}

/// Generates a sorted Pwned-Passwords-format corpus of `entries` lines in `dir`, imports it
/// (timed), then looks up present and absent passwords for about `duration`.
pub fn breach(
    dir: &std::path::Path,
    entries: u64,
    duration: Duration,
) -> Result<BreachReport, MicrobenchError> {
    let (corpus, corpus_bytes) = write_corpus(dir, entries)?;
    let index_path = dir.join("pwned.idx");
    let started = Instant::now();
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&corpus)?);
    let summary = breach::import(reader, &index_path)?;
    let import_seconds = started.elapsed().as_secs_f64();
    std::fs::remove_file(&corpus)?;
    let index = BreachIndex::open(&index_path)?;

    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    // Warm the page cache the way a running server's lookups would: touch every page once.
    let pages = summary.bytes / 4096 + 1;
    for p in 0..pages {
        let probe = corpus_password((p * 4096 / 10).min(entries.saturating_sub(1)));
        std::hint::black_box(index.count(&probe)?);
    }
    let (mut hit, mut miss) = (Vec::new(), Vec::new());
    let (mut found, mut false_hits) = (0u64, 0u64);
    let end = Instant::now() + duration;
    while Instant::now() < end || hit.len() < 1000 {
        let present = corpus_password(rng.gen_range(0..entries.max(1)));
        let t = Instant::now();
        let c = index.count(&present)?;
        hit.push(t.elapsed());
        found += u64::from(c.is_some() || entries == 0);
        let absent = format!("absent password #{}", rng.gen::<u64>());
        let t = Instant::now();
        let c = index.count(&absent)?;
        miss.push(t.elapsed());
        false_hits += u64::from(c.is_some());
    }
    let lookups = hit.len() as f64;
    Ok(BreachReport {
        entries,
        import_seconds,
        corpus_bytes,
        index_bytes: summary.bytes,
        hit: Latency::from_samples(hit),
        miss: Latency::from_samples(miss),
        hit_rate: found as f64 / lookups,
        false_hits,
    })
}

/// The common last-line fields of `passgate bench` for a micro-benchmark (no server, so no
/// hash limit, ratio or server memory).
pub(crate) fn last_line(
    scenario: &str,
    duration: Duration,
    requests: usize,
    headline: &Latency,
    details: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "scenario": scenario,
        "duration_s": duration.as_secs_f64(),
        "concurrency": 1,
        "requests": requests,
        "ok": requests,
        "errors": {},
        "throughput": requests as f64 / duration.as_secs_f64().max(1e-9),
        "p50_ms": headline.p50_us / 1000.0,
        "p99_ms": headline.p99_us / 1000.0,
        "max_ms": headline.max_us / 1000.0,
        "hash_ms": null,
        "hashes_per_op": null,
        "hash_limit": null,
        "ratio": null,
        "peak_rss_mib": null,
        "details": details,
    })
}

/// `passgate bench --scenario policy`: prints a table and, last, the JSON line (headline
/// figures: the slower of the random and the crafted 256-character inputs).
pub fn report_policy(duration: Duration) -> Result<(), super::BenchError> {
    let r = policy(duration);
    println!("policy check (blocklist, context words, zxcvbn, composition; no breach lookup)");
    println!(
        "{:>8} {:>8} {:>9} {:>10} {:>10} {:>10}",
        "input", "chars", "samples", "p50 µs", "p99 µs", "max µs"
    );
    for (class, len, l) in &r.by_input {
        println!(
            "{:>8} {:>8} {:>9} {:>10.1} {:>10.1} {:>10.1}",
            class, len, l.samples, l.p50_us, l.p99_us, l.max_us
        );
    }
    let requests = r.by_input.iter().map(|(_, _, l)| l.samples).sum();
    let headline = r
        .by_input
        .iter()
        .filter(|(_, len, _)| *len == 256)
        .map(|(_, _, l)| l.clone())
        .max_by(|a, b| a.p99_us.total_cmp(&b.p99_us))
        .ok_or_else(|| super::BenchError::Setup("no 256-character figures".into()))?;
    let details = serde_json::to_value(&r).map_err(|e| super::BenchError::Setup(e.to_string()))?;
    println!(
        "{}",
        last_line("policy", duration, requests, &headline, details)
    );
    Ok(())
}

/// `passgate bench --scenario breach`: generates and imports a corpus of `entries`, measures
/// lookups, prints a table and, last, the JSON line (headline figures: lookups of present
/// passwords).
pub fn report_breach(entries: u64, duration: Duration) -> Result<(), MicrobenchError> {
    let dir = tempfile::tempdir()?;
    eprintln!(
        "generating a corpus of {entries} entries in {}",
        dir.path().display()
    );
    let r = breach(dir.path(), entries, duration)?;
    println!(
        "breach index: {} entries, corpus {:.0} MiB, index {:.0} MiB, import {:.2} s",
        r.entries,
        r.corpus_bytes as f64 / 1048576.0,
        r.index_bytes as f64 / 1048576.0,
        r.import_seconds
    );
    println!(
        "{:>8} {:>9} {:>10} {:>10} {:>10}",
        "lookup", "samples", "p50 µs", "p99 µs", "max µs"
    );
    for (name, l) in [("present", &r.hit), ("absent", &r.miss)] {
        println!(
            "{:>8} {:>9} {:>10.1} {:>10.1} {:>10.1}",
            name, l.samples, l.p50_us, l.p99_us, l.max_us
        );
    }
    println!("hit rate {:.3}, false hits {}", r.hit_rate, r.false_hits);
    let requests = r.hit.samples + r.miss.samples;
    let details = serde_json::to_value(&r).map_err(|e| std::io::Error::other(e.to_string()))?;
    println!(
        "{}",
        last_line("breach", duration, requests, &r.hit, details)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let l = Latency::from_samples((1..=100).map(Duration::from_micros).collect());
        assert_eq!(l.p50_us, 50.0);
        assert_eq!(l.p99_us, 99.0);
        assert_eq!(l.max_us, 100.0);
        assert_eq!(Latency::from_samples(Vec::new()).samples, 0);
    }

    #[test]
    fn breach_bench_runs_small() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let r = breach(dir.path(), 5000, Duration::from_millis(50))?;
        assert_eq!(r.hit_rate, 1.0);
        assert_eq!(r.false_hits, 0);
        assert_eq!(r.index_bytes, 524_312 + 10 * 5000);
        Ok(())
    }

    #[test]
    fn policy_bench_runs() {
        let r = policy(Duration::from_millis(30));
        assert_eq!(r.by_input.len(), 4);
        assert!(r.by_input.iter().all(|(_, _, l)| l.samples >= 100));
    }
}
