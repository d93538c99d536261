//! `passgate bench`: starts a server on a temporary database (or targets `--url`), creates
//! users, runs one scenario at a fixed concurrency for a fixed time, measures the single-core
//! Argon2id time with the server's parameters, and reports throughput against the hash limit
//! (cores ÷ (hashes per request × hash time)), latency percentiles, error kinds and the
//! server's memory. The last line of the output is one JSON object. See docs/performance.md.

mod client;
mod driver;
mod flows;
mod protocol;
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
use report::{Report, RunFacts};
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
    /// Change requests at 4× the cores (SOAP and REST): admission control.
    Overload,
    /// One address floods wrong passwords while others log in correctly.
    Attack,
    /// Many idle keep-alive connections: the server's memory.
    IdleConnections,
    /// The password policy check (no hashing, no server), per input length.
    Policy,
    /// Breached-password index lookups on a generated corpus (no server).
    Breach,
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
            Scenario::Soak => "soak",
        }
    }

    fn default_concurrency(self, cores: usize) -> usize {
        match self {
            Scenario::LoginSoap | Scenario::ChangeSoap | Scenario::ChangeRest => 2 * cores,
            Scenario::Overload => 4 * cores,
            Scenario::Attack => cores,
            Scenario::Reject => 32,
            Scenario::IdleConnections => 1000,
            Scenario::Policy | Scenario::Breach => 1,
            Scenario::Soak => 4 * cores,
        }
    }

    fn needs_users(self) -> bool {
        !matches!(
            self,
            Scenario::Reject | Scenario::IdleConnections | Scenario::Policy | Scenario::Breach
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
    /// Concurrent connections (default: 2× cores for login/change, 4× for overload, cores
    /// for attack's legitimate users, 32 for reject, 1000 for idle-connections).
    #[arg(long)]
    pub concurrency: Option<usize>,
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
    /// `breach`: entries in the generated Pwned Passwords corpus.
    #[arg(long, default_value_t = 10_000_000)]
    pub entries: u64,
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
        Scenario::Policy => return crate::microbench::report_policy(duration),
        Scenario::Breach => {
            return crate::microbench::report_breach(args.entries, duration)
                .map_err(|e| BenchError::Setup(format!("breach benchmark: {e}")))
        }
        _ => {}
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let concurrency = args
        .concurrency
        .unwrap_or_else(|| args.scenario.default_concurrency(cores));
    if concurrency == 0 {
        return Err(BenchError::Usage("--concurrency must be at least 1".into()));
    }
    let users = match args.users {
        Some(0) if args.scenario.needs_users() => {
            return Err(BenchError::Usage("--users must be at least 1".into()))
        }
        Some(n) => n,
        None if args.scenario.needs_users() => concurrency,
        None => 0,
    };
    let params = settings.core.hash;

    eprintln!(
        "calibrating: Argon2id m={} KiB t={} p={} on one core",
        params.m_kib, params.t, params.p
    );
    let mut hash_times = setup::single_core_hash_times(params).await?;

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
        duration,
        concurrency,
        users,
        cores,
        server_pid: pid,
    };
    eprintln!(
        "running {} for {} s at concurrency {concurrency}",
        args.scenario.name(),
        args.duration
    );
    let result = match args.scenario {
        Scenario::LoginSoap => scenarios::login_soap(&ctx).await,
        Scenario::ChangeSoap => scenarios::change(&ctx, Api::Soap).await,
        Scenario::ChangeRest => scenarios::change(&ctx, Api::Rest).await,
        Scenario::Reject => scenarios::reject(&ctx).await,
        Scenario::Overload => scenarios::overload(&ctx).await,
        Scenario::Attack => scenarios::attack(&ctx).await,
        Scenario::IdleConnections => scenarios::idle_connections(&ctx).await,
        Scenario::Soak => soak::soak(&ctx).await,
        Scenario::Policy | Scenario::Breach => {
            return Err(BenchError::Usage(
                "micro-benchmarks run without a server".into(),
            ))
        }
    };
    let rss = match sampler {
        Some(s) => s.finish().await,
        None => None,
    };
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            if let Some(s) = &server {
                eprintln!("server log (last lines):\n{}", s.log_tail());
            }
            return Err(e);
        }
    };
    drop(server);
    // Timed again once the machine is quiet, so a passing disturbance during the first
    // calibration weighs less: the hash time is the median of both sets.
    eprintln!("calibrating again");
    hash_times.extend(setup::single_core_hash_times(params).await?);
    let hash_time = stats::median(hash_times)
        .ok_or_else(|| BenchError::Setup("no calibration samples".into()))?;
    let all_cores_hash_time = stats::median(setup::all_cores_hash_times(params, cores).await?)
        .ok_or_else(|| BenchError::Setup("no calibration samples".into()))?;
    let report = Report::new(
        &RunFacts {
            scenario: args.scenario.name(),
            concurrency,
            hash_time,
            all_cores_hash_time,
            params,
            cores,
            rss,
        },
        &outcome,
    );
    print!("{}", report.table(&outcome));
    let line = serde_json::to_string(&report)
        .map_err(|e| BenchError::Setup(format!("cannot serialise the report: {e}")))?;
    println!("{line}");
    if report.ok == 0 {
        return Err(BenchError::NothingSucceeded);
    }
    Ok(())
}
