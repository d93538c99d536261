//! `passgate bench` end to end: it starts its own server, runs a scenario briefly and ends
//! with one JSON line carrying the expected keys. Timings are never asserted.
//!
//! These runs use cheap Argon2id parameters (1 MiB, 1 pass) so the test stays fast; the
//! benchmark's figures are only meaningful with the real ones (docs/performance.md).

use std::process::{Command, Output};

use crate::harness::TestResult;

fn bench(args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_passgate"))
        .arg("bench")
        .args(args)
        // Test-only fast hashing, passed on to the server the bench starts.
        .env("PASSGATE_ARGON2_MEMORY_KIB", "1024")
        .env("PASSGATE_ARGON2_ITERATIONS", "1")
        .env_remove("PASSGATE_DATABASE_URL")
        .env_remove("PASSGATE_CONFIG")
        .output()
}

/// The last stdout line as JSON, checked for the keys every report has.
fn report(out: &Output) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let stdout = String::from_utf8(out.stdout.clone())?;
    assert!(
        out.status.success(),
        "bench failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().ok_or("no output")?;
    let v: serde_json::Value = serde_json::from_str(last)?;
    for key in [
        "scenario",
        "requests",
        "ok",
        "errors",
        "throughput",
        "p50_ms",
        "p99_ms",
        "max_ms",
        "hash_ms",
        "hash_limit",
        "ratio",
        "peak_rss_mib",
        "details",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {last}");
    }
    assert!(v["errors"].is_object());
    // The table comes first.
    assert!(stdout.starts_with("passgate bench: "), "{stdout}");
    Ok(v)
}

#[test]
fn change_rest_reports_ratio_and_memory() -> TestResult {
    let out = bench(&["--scenario", "change-rest", "--duration", "1"])?;
    let v = report(&out)?;
    assert_eq!(v["scenario"], "change-rest");
    assert_eq!(v["hashes_per_op"], 2);
    assert!(v["ok"].as_u64().unwrap_or(0) > 0, "{v}");
    assert!(v["hash_limit"].as_f64().is_some_and(|l| l > 0.0));
    assert!(v["ratio"].as_f64().is_some());
    assert!(v["peak_rss_mib"].as_f64().is_some_and(|m| m > 0.0));
    Ok(())
}

#[test]
fn reject_has_no_hash_limit() -> TestResult {
    let out = bench(&[
        "--scenario",
        "reject",
        "--duration",
        "0.5",
        "--concurrency",
        "4",
    ])?;
    let v = report(&out)?;
    assert!(v["hash_limit"].is_null());
    assert!(v["ratio"].is_null());
    assert_eq!(v["errors"], serde_json::json!({}), "{v}");
    Ok(())
}

#[test]
fn attack_reports_phases_and_attacker_work() -> TestResult {
    let out = bench(&["--scenario", "attack", "--duration", "1"])?;
    let v = report(&out)?;
    let d = &v["details"];
    assert!(d["baseline"]["p99_ms"].is_number(), "{v}");
    assert!(d["under_attack"]["p99_ms"].is_number(), "{v}");
    assert!(d["attacker"]["requests"].as_u64().unwrap_or(0) > 0, "{v}");
    assert!(d["attacker"]["alone_argon2_ops"].is_number(), "{v}");
    Ok(())
}

#[test]
fn a_concurrency_list_is_a_sweep() -> TestResult {
    let out = bench(&[
        "--scenario",
        "login-soap",
        "--duration",
        "0.5",
        "--concurrency",
        "1,3",
    ])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout)?;
    let v: serde_json::Value = serde_json::from_str(stdout.lines().last().ok_or("no output")?)?;
    assert_eq!(v["scenario"], "login-soap");
    let levels = v["sweep"].as_array().ok_or("no sweep")?;
    assert_eq!(levels.len(), 2);
    for (level, clients) in levels.iter().zip([1, 3]) {
        assert_eq!(level["concurrency"], clients);
        assert!(level["ok"].as_u64().unwrap_or(0) > 0, "{level}");
        for key in ["refused", "refused_p99_ms", "timeouts", "ratio", "p99_ms"] {
            assert!(level.get(key).is_some(), "missing {key} in {level}");
        }
    }
    assert!(stdout.contains("sweep: login-soap"), "{stdout}");
    Ok(())
}

#[test]
fn a_rate_runs_an_open_loop() -> TestResult {
    let out = bench(&[
        "--scenario",
        "login-soap",
        "--duration",
        "0.5",
        "--rate",
        "20",
    ])?;
    let v = report(&out)?;
    assert_eq!(v["offered_rate"], 20.0);
    assert_eq!(v["concurrency"], 0);
    assert!(v["ok"].as_u64().unwrap_or(0) > 0, "{v}");
    assert!(v["details"]["sent"].as_u64().unwrap_or(0) > 0, "{v}");
    Ok(())
}

#[test]
fn bad_arguments_exit_with_2() -> TestResult {
    let out = bench(&["--scenario", "reject", "--duration", "0"])?;
    assert_eq!(out.status.code(), Some(2));
    let out = bench(&["--scenario", "change-rest", "--rate", "2x"])?;
    assert_eq!(out.status.code(), Some(2));
    let out = bench(&["--scenario", "login-soap", "--rate", "fast"])?;
    assert_eq!(out.status.code(), Some(2));
    let out = bench(&["--scenario", "no-such-scenario"])?;
    assert_eq!(out.status.code(), Some(2));
    Ok(())
}
