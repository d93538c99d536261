//! `passgate bench --scenario legacy-cost`: the time to verify an imported legacy hash at the
//! largest cost passgate accepts for its format, next to one Argon2id verification with the
//! configured parameters (docs/migration.md). In-process, one thread, no server.

use std::time::{Duration, Instant};

use base64::Engine;
use passgate_core::credential::legacy::limits;
use passgate_core::credential::legacy::LegacyHash;
use passgate_core::credential::{Argon2Worker, HashParams};

use super::micro::Latency;
use super::BenchError;

/// One measured format.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormatCost {
    /// The format and its cost parameters.
    pub hash: String,
    /// Median time of one verification, milliseconds.
    pub ms: f64,
    /// That time over one Argon2id verification.
    pub ratio: f64,
}

/// The hashes at the limits: (label, hash, hashFormat).
fn hashes_at_the_limits() -> Vec<(String, String, Option<&'static str>)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let v3 = |prf: u32, iterations: u64| {
        let mut raw = vec![0x01u8];
        raw.extend_from_slice(&prf.to_be_bytes());
        raw.extend_from_slice(&u32::try_from(iterations).unwrap_or(u32::MAX).to_be_bytes());
        raw.extend_from_slice(&16u32.to_be_bytes());
        raw.extend_from_slice(&[7u8; 16 + 32]);
        b64.encode(raw)
    };
    let key32 = b64.encode([9u8; 32]);
    let crypt_salt = "saltsaltsaltsalt";
    let bcrypt_tail = "DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbuq5W";
    let sha512_rounds = limits::MAX_SHA512_CRYPT_ROUNDS;
    let sha256_rounds = limits::MAX_SHA256_CRYPT_ROUNDS;
    let m_work = u32::try_from(limits::MAX_ARGON2_WORK / 2).unwrap_or(u32::MAX);
    vec![
        (
            format!("pbkdf2-sha256 (Django) {} iterations", limits::MAX_PBKDF2_WORK),
            format!("pbkdf2_sha256${}$saltsaltsalt${key32}", limits::MAX_PBKDF2_WORK),
            None,
        ),
        (
            format!(
                "aspnet-identity-v3 HMAC-SHA1 {} iterations × 2 blocks",
                limits::MAX_PBKDF2_WORK / 2
            ),
            v3(0, limits::MAX_PBKDF2_WORK / 2),
            Some("aspnet-identity-v3"),
        ),
        (
            format!(
                "aspnet-identity-v3 HMAC-SHA512 {} iterations",
                limits::MAX_PBKDF2_SHA512_WORK
            ),
            v3(2, limits::MAX_PBKDF2_SHA512_WORK),
            Some("aspnet-identity-v3"),
        ),
        (
            format!("bcrypt cost {}", limits::MAX_BCRYPT_COST),
            format!("$2b${:02}${bcrypt_tail}", limits::MAX_BCRYPT_COST),
            None,
        ),
        (
            format!("sha512-crypt {sha512_rounds} rounds"),
            format!("$6$rounds={sha512_rounds}${crypt_salt}${}", "a".repeat(86)),
            None,
        ),
        (
            format!("sha256-crypt {sha256_rounds} rounds"),
            format!("$5$rounds={sha256_rounds}${crypt_salt}${}", "a".repeat(43)),
            None,
        ),
        (
            format!("argon2id m={m_work} KiB t=2 (Django: 102400, t=2)"),
            format!("$argon2id$v=19$m={m_work},t=2,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            Some("argon2"),
        ),
        (
            "servicestack-saltedhash".to_owned(),
            key32.clone(),
            Some("servicestack-saltedhash"),
        ),
    ]
}

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort_unstable();
    d.get(d.len() / 2).copied().unwrap_or_default()
}

/// Measures and prints the table, then the JSON line.
pub fn report(params: HashParams, duration: Duration) -> Result<(), BenchError> {
    let mut worker = Argon2Worker::new(params)?;
    let phc = worker.hash("benchmark password")?;
    let per_format = duration
        .checked_div(u32::try_from(hashes_at_the_limits().len() + 1).unwrap_or(1))
        .unwrap_or(duration);
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 3 || (start.elapsed() < per_format && samples.len() < 1000) {
        let t = Instant::now();
        worker.verify("benchmark password", &phc)?;
        samples.push(t.elapsed());
    }
    let argon = median(samples.clone());
    let argon_latency = Latency::from_samples(samples);
    println!(
        "Argon2id m={} KiB t={} p={}: {:.1} ms per verification",
        params.m_kib,
        params.t,
        params.p,
        argon.as_secs_f64() * 1e3
    );
    println!(
        "{:<58} {:>10} {:>8}",
        "legacy hash at the limit", "ms", "ratio"
    );
    let mut costs = Vec::new();
    for (label, hash, format) in hashes_at_the_limits() {
        let salt = (format == Some("servicestack-saltedhash")).then_some("CJzrJA==");
        let parsed = LegacyHash::parse_import(&hash, format, salt)
            .map_err(|e| BenchError::Setup(format!("{label}: {e}")))?;
        let mut samples = Vec::new();
        let start = Instant::now();
        while samples.len() < 3 || (start.elapsed() < per_format && samples.len() < 1000) {
            let t = Instant::now();
            let _ = parsed.verify("benchmark password");
            samples.push(t.elapsed());
        }
        let d = median(samples);
        let ratio = d.as_secs_f64() / argon.as_secs_f64().max(1e-9);
        println!(
            "{:<58} {:>10.2} {:>8.2}",
            label,
            d.as_secs_f64() * 1e3,
            ratio
        );
        costs.push(FormatCost {
            hash: label,
            ms: d.as_secs_f64() * 1e3,
            ratio,
        });
    }
    let details = serde_json::json!({ "argon2id_ms": argon.as_secs_f64() * 1e3, "formats": costs });
    println!(
        "{}",
        super::micro::last_line(
            "legacy-cost",
            duration,
            costs.len(),
            &argon_latency,
            details
        )
    );
    Ok(())
}
