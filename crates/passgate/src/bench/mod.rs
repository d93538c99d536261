//! `passgate bench`: starts a server on a temporary database (or targets `--url`), creates
//! users, runs one scenario at a fixed concurrency (closed loop) or a fixed arrival rate (open
//! loop) for a fixed time, measures the single-core Argon2id time with the server's
//! parameters, and reports throughput against the hash limit (cores ÷ (hashes per request ×
//! hash time)), latency percentiles, refusals, error kinds and the server's memory. Several
//! concurrencies or rates make a sweep, one fresh server per level, measured against the
//! same calibration. The last line of the output is one JSON object. See
//! docs/performance.md.

mod client;
mod driver;
mod flows;
mod legacy_cost;
pub mod micro;
mod open_loop;
mod protocol;
mod range;
mod report;
mod scenarios;
mod server;
mod setup;
mod soak;
pub mod stats;

use std::path::Path;
use std::time::Duration;

use clap::{Args, ValueEnum};
use passgate_core::CoreError;

use crate::config::Settings;
use client::{ClientError, Endpoint};
use protocol::Api;
use report::{sweep_table, Report, RunFacts};
use scenarios::Ctx;
use server::{RssSampler, ServerProcess};

/// The benchmark scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// SOAP logins with correct passwords (1 Argon2id verification each).
    LoginSoap,
    /// SOAP ChangeOwnPassword, each a real change (1 verification + 1 hash).
    ChangeSoap,
    /// REST PUT /logins/ChangePassword, each a real change (1 verification + 1 hash).
    ChangeRest,
    /// Change requests with unknown tickets and session ids: the cheap rejection path.
    Reject,
    /// Change requests at 128× the cores (SOAP and REST), more than a 1 s budget holds:
    /// admission control.
    Overload,
    /// One address floods wrong passwords while others log in correctly.
    Attack,
    /// Many idle keep-alive connections: the server's memory.
    IdleConnections,
    /// The password policy check (no hashing, no server), per input length.
    Policy,
    /// Breached-password index lookups on a generated corpus (no server).
    Breach,
    /// The breached-password range API (`GET /range/{prefix}`) under load, served from a
    /// generated full-hash index by an in-process server.
    Range,
    /// Verifying an imported legacy hash at the largest accepted cost of each format, next
    /// to one Argon2id verification (no server).
    LegacyCost,
    /// A long mix of logins, changes, rejected tickets and garbage requests; reports the
    /// server's memory and open files at the start and the end.
    Soak,
}

impl Scenario {
    /// The name as given on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::LoginSoap => "login-soap",
            Scenario::ChangeSoap => "change-soap",
            Scenario::ChangeRest => "change-rest",
            Scenario::Reject => "reject",
            Scenario::Overload => "overload",
            Scenario::Attack => "attack",
            Scenario::IdleConnections => "idle-connections",
            Scenario::Policy => "policy",
            Scenario::Breach => "breach",
            Scenario::Range => "range",
            Scenario::LegacyCost => "legacy-cost",
            Scenario::Soak => "soak",
        }
    }

    fn default_concurrency(self, cores: usize) -> usize {
        match self {
            Scenario::LoginSoap | Scenario::ChangeSoap | Scenario::ChangeRest => 2 * cores,
            Scenario::Overload => 128 * cores,
            Scenario::Attack => cores,
            Scenario::Reject => 32,
            Scenario::IdleConnections => 1000,
            Scenario::Policy | Scenario::Breach | Scenario::LegacyCost => 1,
            Scenario::Range => 8 * cores,
            Scenario::Soak => 4 * cores,
        }
    }

    fn needs_users(self) -> bool {
        !matches!(
            self,
            Scenario::Reject
                | Scenario::IdleConnections
                | Scenario::Policy
                | Scenario::Breach
                | Scenario::Range
                | Scenario::LegacyCost
        )
    }
}

/// Arguments of `passgate bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Scenario to run.
    #[arg(long, value_enum)]
    pub scenario: Scenario,
    /// Seconds per measured phase (`attack` runs a baseline and an attack phase, then up to
    /// 2 s of attacker alone).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Concurrent connections (default: 2× cores for login/change, 128× for overload, cores
    /// for attack's legitimate users, 32 for reject, 1000 for idle-connections). A
    /// comma-separated list (`4,8,32,128,512`) runs a sweep, one fresh server per level.
    #[arg(long, value_delimiter = ',')]
    pub concurrency: Vec<usize>,
    /// `login-soap` only: open loop at this many requests per second, whatever the answers,
    /// instead of a fixed number of clients. `2x` means twice the hash limit measured by the
    /// calibration; a comma-separated list (`0.8x,2x,5x`) runs a sweep.
    #[arg(long, value_delimiter = ',', value_parser = parse_rate)]
    pub rate: Vec<Rate>,
    /// Users to create (default: one per connection).
    #[arg(long)]
    pub users: Option<usize>,
    /// Benchmark a running server instead of starting one (http://HOST:PORT). Users are then
    /// created in the database named by --database, which must be that server's.
    #[arg(long)]
    pub url: Option<String>,
    /// With --url: the server's process id, to report its memory.
    #[arg(long, requires = "url")]
    pub server_pid: Option<u32>,
    /// `breach` and `range`: entries in the generated Pwned Passwords corpus.
    #[arg(long, default_value_t = 10_000_000)]
    pub entries: u64,
}

/// An open-loop arrival rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// Requests per second.
    PerSecond(f64),
    /// A multiple of the hash limit measured by the calibration.
    TimesLimit(f64),
}

impl Rate {
    /// Requests per second, given the hash limit.
    fn per_second(self, hash_limit: f64) -> f64 {
        match self {
            Rate::PerSecond(r) => r,
            Rate::TimesLimit(k) => k * hash_limit,
        }
    }
}

fn parse_rate(s: &str) -> Result<Rate, String> {
    let (number, make): (&str, fn(f64) -> Rate) = match s.strip_suffix(['x', 'X']) {
        Some(n) => (n, Rate::TimesLimit),
        None => (s, Rate::PerSecond),
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1e6 => Ok(make(v)),
        _ => Err(format!(
            "{s:?} is not a positive rate (requests per second, or a multiple of the hash limit like 2x)"
        )),
    }
}

/// One load level of a run.
#[derive(Debug, Clone, Copy)]
enum Load {
    /// This many clients, each sending its next request once answered.
    Closed(usize),
    /// Requests arriving at this rate.
    Open(Rate),
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
    /// The server could not be started or answered unexpectedly.
    #[error("server: {0}")]
    Server(String),
    /// Preparing the run failed (users, logins, calibration).
    #[error("setup: {0}")]
    Setup(String),
    /// No request of the scenario got its expected outcome.
    #[error("no request of the scenario succeeded (see the error kinds above)")]
    NothingSucceeded,
    /// An HTTP exchange failed.
    #[error("{0}")]
    Client(#[from] ClientError),
    /// The core refused something (user creation, calibration).
    #[error("{0}")]
    Core(#[from] CoreError),
    /// Local I/O.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Runs a benchmark as `args` say and prints its report; `settings` give the Argon2id
/// parameters (and, with --url, the database to create users in); `config` is passed on to
/// the server started for the run.
pub async fn run(
    settings: &Settings,
    config: Option<&Path>,
    args: BenchArgs,
) -> Result<(), BenchError> {
    if !(args.duration.is_finite() && args.duration > 0.0 && args.duration <= 86_400.0) {
        return Err(BenchError::Usage(
            "--duration must be a positive number of seconds".into(),
        ));
    }
    let duration = Duration::from_secs_f64(args.duration);
    match args.scenario {
        Scenario::Policy => return micro::report_policy(duration),
        Scenario::LegacyCost => return legacy_cost::report(settings.core.hash, duration),
        Scenario::Breach => {
            return micro::report_breach(args.entries, duration)
                .map_err(|e| BenchError::Setup(format!("breach benchmark: {e}")))
        }
        Scenario::Range => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let concurrency = match args.concurrency.as_slice() {
                [] => Scenario::Range.default_concurrency(cores),
                [n] if *n > 0 => *n,
                _ => {
                    return Err(BenchError::Usage(
                        "--scenario range takes one --concurrency".into(),
                    ))
                }
            };
            return range::run(args.entries, duration, concurrency).await;
        }
        _ => {}
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if args.concurrency.contains(&0) {
        return Err(BenchError::Usage("--concurrency must be at least 1".into()));
    }
    if matches!(args.users, Some(0)) && args.scenario.needs_users() {
        return Err(BenchError::Usage("--users must be at least 1".into()));
    }
    let loads: Vec<Load> = if !args.rate.is_empty() {
        if args.scenario != Scenario::LoginSoap {
            return Err(BenchError::Usage(
                "--rate (open loop) applies to --scenario login-soap".into(),
            ));
        }
        if !args.concurrency.is_empty() {
            return Err(BenchError::Usage(
                "--rate and --concurrency exclude each other".into(),
            ));
        }
        args.rate.iter().copied().map(Load::Open).collect()
    } else if args.concurrency.is_empty() {
        vec![Load::Closed(args.scenario.default_concurrency(cores))]
    } else {
        args.concurrency.iter().copied().map(Load::Closed).collect()
    };
    let params = settings.core.hash;

    eprintln!(
        "calibrating: Argon2id m={} KiB t={} p={} on one core",
        params.m_kib, params.t, params.p
    );
    let mut hash_times = setup::single_core_hash_times(params).await?;
    let first_hash_time = stats::median(hash_times.clone())
        .ok_or_else(|| BenchError::Setup("no calibration samples".into()))?;
    let login_limit = cores as f64 / first_hash_time.as_secs_f64().max(1e-9);

    let mut levels = Vec::with_capacity(loads.len());
    for load in loads {
        let rate = match load {
            Load::Open(r) => Some(r.per_second(login_limit)),
            Load::Closed(_) => None,
        };
        let level = run_level(settings, config, &args, load, rate, cores).await?;
        levels.push(level);
    }
    // Timed again once the machine is quiet, so a passing disturbance during the first
    // calibration weighs less: the hash time is the median of both sets.
    eprintln!("calibrating again");
    hash_times.extend(setup::single_core_hash_times(params).await?);
    let hash_time = stats::median(hash_times)
        .ok_or_else(|| BenchError::Setup("no calibration samples".into()))?;
    let all_cores_hash_time = stats::median(setup::all_cores_hash_times(params, cores).await?)
        .ok_or_else(|| BenchError::Setup("no calibration samples".into()))?;
    let mut reports = Vec::with_capacity(levels.len());
    for level in &levels {
        let report = Report::new(
            &RunFacts {
                scenario: args.scenario.name(),
                concurrency: level.concurrency,
                offered_rate: level.rate,
                hash_time,
                all_cores_hash_time,
                params,
                cores,
                rss: level.rss,
            },
            &level.outcome,
        );
        print!("{}", report.table(&level.outcome));
        reports.push(report);
    }
    let line = if let [report] = reports.as_slice() {
        serde_json::to_string(report)
    } else {
        print!("{}", sweep_table(&reports));
        serde_json::to_string(&serde_json::json!({
            "scenario": args.scenario.name(),
            "sweep": reports,
        }))
    }
    .map_err(|e| BenchError::Setup(format!("cannot serialise the report: {e}")))?;
    println!("{line}");
    if reports.iter().all(|r| r.ok == 0) {
        return Err(BenchError::NothingSucceeded);
    }
    Ok(())
}

/// What one load level measured.
struct Level {
    outcome: scenarios::Outcome,
    concurrency: usize,
    rate: Option<f64>,
    rss: Option<server::Rss>,
}

/// Runs one load level on a fresh server (or the one at `--url`).
async fn run_level(
    settings: &Settings,
    config: Option<&Path>,
    args: &BenchArgs,
    load: Load,
    rate: Option<f64>,
    cores: usize,
) -> Result<Level, BenchError> {
    let concurrency = match load {
        Load::Closed(n) => n,
        Load::Open(_) => 0,
    };
    let users = match args.users {
        Some(n) => n,
        None if !args.scenario.needs_users() => 0,
        // Open loop: logins spread over enough users that no account is special.
        None if concurrency == 0 => 64,
        None => concurrency,
    };
    let tmp = tempfile::tempdir()?;
    let mut run_settings = settings.clone();
    let (server, endpoint, pid) = match &args.url {
        Some(url) => (None, Endpoint::from_url(url).await?, args.server_pid),
        None => {
            run_settings.database_url =
                format!("sqlite://{}", tmp.path().join("bench.db").display()).into();
            // Create the schema before the server opens the file, so both agree on it.
            passgate_store::open(&run_settings.database_url).await?;
            let (server, endpoint) =
                ServerProcess::start(tmp.path(), &run_settings.database_url, config).await?;
            let pid = server.pid();
            eprintln!("server pid {pid} listening on {}", endpoint.addr);
            (Some(server), endpoint, Some(pid))
        }
    };
    let sampler = pid.map(RssSampler::start);
    let ctx = Ctx {
        endpoint,
        change_hashes: 2 + u32::try_from(run_settings.core.policy.history).unwrap_or(u32::MAX - 2),
        settings: &run_settings,
        duration: Duration::from_secs_f64(args.duration),
        concurrency,
        users,
        cores,
        server_pid: pid,
    };
    match rate {
        Some(r) => eprintln!(
            "running {} for {} s, open loop at {r:.1} requests/s",
            args.scenario.name(),
            args.duration
        ),
        None => eprintln!(
            "running {} for {} s at concurrency {concurrency}",
            args.scenario.name(),
            args.duration
        ),
    }
    let result = match (args.scenario, rate) {
        (Scenario::LoginSoap, Some(r)) => scenarios::login_soap_open(&ctx, r).await,
        (Scenario::LoginSoap, None) => scenarios::login_soap(&ctx).await,
        (Scenario::ChangeSoap, _) => scenarios::change(&ctx, Api::Soap).await,
        (Scenario::ChangeRest, _) => scenarios::change(&ctx, Api::Rest).await,
        (Scenario::Reject, _) => scenarios::reject(&ctx).await,
        (Scenario::Overload, _) => scenarios::overload(&ctx).await,
        (Scenario::Attack, _) => scenarios::attack(&ctx).await,
        (Scenario::IdleConnections, _) => scenarios::idle_connections(&ctx).await,
        (Scenario::Soak, _) => soak::soak(&ctx).await,
        (Scenario::Policy | Scenario::Breach | Scenario::Range | Scenario::LegacyCost, _) => {
            return Err(BenchError::Usage(
                "micro-benchmarks run without a server".into(),
            ))
        }
    };
    let rss = match sampler {
        Some(s) => s.finish().await,
        None => None,
    };
    match result {
        Ok(outcome) => Ok(Level {
            outcome,
            concurrency,
            rate,
            rss,
        }),
        Err(e) => {
            if let Some(s) = &server {
                eprintln!("server log (last lines):\n{}", s.log_tail());
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_absolute_or_multiples_of_the_limit() {
        assert_eq!(parse_rate("150"), Ok(Rate::PerSecond(150.0)));
        assert_eq!(parse_rate("0.8x"), Ok(Rate::TimesLimit(0.8)));
        assert_eq!(parse_rate("5X"), Ok(Rate::TimesLimit(5.0)));
        for bad in ["0", "-1", "x", "2y", "nan", "inf"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(Rate::TimesLimit(2.0).per_second(100.0), 200.0);
        assert_eq!(Rate::PerSecond(30.0).per_second(100.0), 30.0);
    }
}
