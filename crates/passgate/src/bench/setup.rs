//! Preparing a run: measuring the single-core Argon2id time, creating the benchmark's users
//! directly in the database, and logging workers in before the clock starts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use passgate_core::audit::FrontEnd;
use passgate_core::credential::{Argon2Worker, HashParams};
use passgate_core::domain::{Password, Role, Username};
use passgate_core::service::NewUserInput;
use passgate_core::{RequestContext, SystemClock};
use rand::Rng;
use secrecy::SecretString;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::client::{Conn, Endpoint};
use super::flows::NEW_PASSWORD_CHARS;
use super::protocol::{self, Api};
use super::BenchError;
use crate::config::Settings;

/// Argon2id hashes timed by the calibration (after one warm-up).
const CALIBRATION_HASHES: usize = 15;

/// Times of single Argon2id hashes with `params` on one thread (after a warm-up), with a
/// buffer reused across hashes exactly as the server's workers do.
pub async fn single_core_hash_times(params: HashParams) -> Result<Vec<Duration>, BenchError> {
    tokio::task::spawn_blocking(move || -> Result<Vec<Duration>, BenchError> {
        let mut worker = Argon2Worker::new(params)?;
        worker.hash("calibration warm-up")?;
        let mut times = Vec::with_capacity(CALIBRATION_HASHES);
        for i in 0..CALIBRATION_HASHES {
            let t0 = Instant::now();
            worker.hash(&format!("calibration {i}"))?;
            times.push(t0.elapsed());
        }
        Ok(times)
    })
    .await
    .map_err(|e| BenchError::Setup(format!("calibration thread failed: {e}")))?
}

/// Times of Argon2id hashes with `params` when `threads` threads hash at once (each with its
/// own buffer, as the server's workers): what one hash costs when every core hashes.
pub async fn all_cores_hash_times(
    params: HashParams,
    threads: usize,
) -> Result<Vec<Duration>, BenchError> {
    let mut set = JoinSet::new();
    for _ in 0..threads {
        set.spawn_blocking(move || -> Result<Vec<Duration>, BenchError> {
            let mut worker = Argon2Worker::new(params)?;
            worker.hash("calibration warm-up")?;
            let mut times = Vec::with_capacity(CALIBRATION_HASHES);
            for i in 0..CALIBRATION_HASHES {
                let t0 = Instant::now();
                worker.hash(&format!("calibration {i}"))?;
                times.push(t0.elapsed());
            }
            Ok(times)
        });
    }
    let mut all = Vec::with_capacity(threads * CALIBRATION_HASHES);
    while let Some(joined) = set.join_next().await {
        all.extend(
            joined.map_err(|e| BenchError::Setup(format!("calibration thread failed: {e}")))??,
        );
    }
    Ok(all)
}

/// A user created for the run, with its current password.
pub struct BenchUser {
    /// Login name.
    pub name: String,
    /// Password at creation.
    pub password: Password,
}

/// Creates `n` users named `bench-<run>-<i>` with random passwords in the database of
/// `settings`, hashing as many at a time as the hashing pool has threads.
pub async fn create_users(settings: &Settings, n: usize) -> Result<Vec<BenchUser>, BenchError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let core = crate::app::build_core(settings, Arc::new(SystemClock)).await?;
    let run: u32 = rand::rngs::OsRng.gen();
    let permits = Arc::new(Semaphore::new(core.pool().workers()));
    let mut set = JoinSet::new();
    for i in 0..n {
        let core = Arc::clone(&core);
        let permits = Arc::clone(&permits);
        let name = format!("bench-{run:08x}-{i}");
        set.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|e| BenchError::Setup(e.to_string()))?;
            let password = passgate_core::credential::policy::generate(
                &passgate_core::credential::PolicyConfig {
                    min_chars: NEW_PASSWORD_CHARS,
                    ..Default::default()
                },
            );
            core.create_user(
                &RequestContext::new(FrontEnd::Cli),
                NewUserInput {
                    username: Username::parse(&name)?,
                    email: None,
                    full_name: None,
                    role: Role::User,
                    password: password.clone(),
                },
            )
            .await?;
            Ok::<_, BenchError>((i, BenchUser { name, password }))
        });
    }
    let mut users = Vec::with_capacity(n);
    while let Some(joined) = set.join_next().await {
        let created = joined.map_err(|e| BenchError::Setup(format!("user creation: {e}")))??;
        users.push(created);
    }
    users.sort_by_key(|(i, _)| *i);
    Ok(users.into_iter().map(|(_, u)| u).collect())
}

/// Opens a connection and logs `user` in through `api`; returns the connection and the
/// session token.
pub async fn log_in(
    endpoint: &Endpoint,
    api: Api,
    user: &BenchUser,
) -> Result<(Conn, SecretString), BenchError> {
    let mut conn = Conn::open(endpoint).await?;
    let resp = conn
        .send(&protocol::login(api, &user.name, &user.password, None))
        .await?;
    match protocol::read_login(api, &resp) {
        ("ok", Some(token)) => Ok((conn, token)),
        (kind, _) => Err(BenchError::Setup(format!(
            "logging in benchmark user {} over {} failed ({kind}, HTTP {}); with --url, \
             --database must name the target server's database",
            user.name,
            api.as_str(),
            resp.status
        ))),
    }
}
