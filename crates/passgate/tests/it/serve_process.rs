//! The real `passgate serve` process: shutdown on SIGTERM while clients hold connections,
//! service under a small open-file limit, and settings refused at start.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::cli::passgate;
use crate::connections::{
    closed_within, half_open, health_and_login_answer, idle, read_response, PASSWORD,
};
use crate::harness::{auth_envelope, TestResult, PRINCIPAL, SOAP12};

/// A `passgate serve` child on 127.0.0.1:0 and the address it listens on.
pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Creates the user `u` with [`PASSWORD`] in `db`.
pub(crate) fn add_user(db: &str, u: &str) -> TestResult {
    let out = passgate(
        db,
        &["user", "add", u, "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    )?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// Starts `passgate serve` on `db`, through `sh -c 'ulimit -n N; exec …'` when
/// `open_files` is given, with extra environment `env`.
pub(crate) async fn serve(
    dir: &Path,
    db: &str,
    open_files: Option<u32>,
    env: &[(&str, &str)],
) -> Result<Served, Box<dyn std::error::Error>> {
    let ready = dir.join("ready");
    let bin = env!("CARGO_BIN_EXE_passgate");
    let mut cmd = match open_files {
        Some(n) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                .arg(bin);
            c
        }
        None => Command::new(bin),
    };
    cmd.arg("--database")
        .arg(db)
        .args(["serve", "--listen", "127.0.0.1:0", "--ready-file"])
        .arg(&ready)
        .env("PASSGATE_ARGON2_MEMORY_KIB", "1024")
        .env("PASSGATE_ARGON2_ITERATIONS", "1")
        .env("PASSGATE_THROTTLE_FAILURE_DELAY_MS", "0")
        .env_remove("PASSGATE_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn()?;
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            return Ok(Served {
                child,
                addr: text.trim().parse()?,
            });
        }
        if let Some(status) = child.try_wait()? {
            return Err(format!("passgate serve exited early: {status}").into());
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err("passgate serve did not start within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn sigterm(child: &Child) -> TestResult {
    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw)
        .ok_or("no pid")?;
    rustix::process::kill_process(pid, rustix::process::Signal::TERM)?;
    Ok(())
}

#[tokio::test]
async fn sigterm_closes_waiting_connections_at_once_and_lets_running_requests_finish() -> TestResult
{
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("term.db").display());
    add_user(&db, "term")?;
    let mut served = serve(dir.path(), &db, None, &[]).await?;
    let mut heads = half_open(served.addr, 3).await?;
    let mut idles = idle(served.addr, 3).await?;
    // A login whose body has not fully arrived: running when the signal comes.
    let body = auth_envelope(SOAP12, "term", PASSWORD);
    let (first, rest) = body.split_at(body.len() / 2);
    let mut running = TcpStream::connect(served.addr).await?;
    running
        .write_all(
            format!(
                "POST {PRINCIPAL} HTTP/1.1\r\nHost: passgate.test\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{first}",
                body.len()
            )
            .as_bytes(),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let signalled = Instant::now();
    sigterm(&served.child)?;
    // Waiting connections are closed at once (well before any timeout of theirs) ...
    for s in heads.iter_mut().chain(idles.iter_mut()) {
        assert!(closed_within(s, Duration::from_secs(3)).await);
    }
    // ... new ones are not accepted ...
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        TcpStream::connect(served.addr).await.is_err(),
        "still accepting after SIGTERM"
    );
    // ... and the running request gets its answer, then the process exits.
    running.write_all(rest.as_bytes()).await?;
    let (status, text) = read_response(&mut running).await?;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("<Ticket>"), "{text}");
    let exit = tokio::time::timeout(Duration::from_secs(10), served.child.wait()).await??;
    assert!(exit.success(), "{exit}");
    assert!(signalled.elapsed() < Duration::from_secs(10));
    Ok(())
}

#[tokio::test]
async fn sigterm_with_a_half_sent_head_exits_within_the_bound() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("half.db").display());
    // The documented bound: the request timeout plus one second.
    let mut served = serve(
        dir.path(),
        &db,
        None,
        &[("PASSGATE_REQUEST_TIMEOUT_SECS", "3")],
    )
    .await?;
    let _heads = half_open(served.addr, 1).await?;
    // A request whose body never completes: it holds the shutdown until the bound.
    let mut stuck = TcpStream::connect(served.addr).await?;
    stuck
        .write_all(
            format!(
                "POST {PRINCIPAL} HTTP/1.1\r\nHost: passgate.test\r\nContent-Length: 100\r\n\r\n<"
            )
            .as_bytes(),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let signalled = Instant::now();
    sigterm(&served.child)?;
    let exit = tokio::time::timeout(Duration::from_secs(15), served.child.wait()).await??;
    assert!(exit.success(), "{exit}");
    let took = signalled.elapsed();
    assert!(
        took < Duration::from_secs(3 + 1 + 5),
        "shutdown took {took:?}"
    );
    Ok(())
}

#[tokio::test]
async fn service_continues_with_1050_idle_sockets_under_a_1024_file_limit() -> TestResult {
    // This process holds the sockets: it needs more than 1,050 descriptors itself.
    let limit = passgate::conn::raise_open_file_limit();
    assert!(
        limit.is_none_or(|l| l >= 1_200),
        "the test needs an open-file limit of at least 1200, not {limit:?}"
    );
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("fd.db").display());
    add_user(&db, "fd")?;
    let served = serve(dir.path(), &db, Some(1024), &[]).await?;
    let mut held = Vec::with_capacity(1_050);
    for _ in 0..1_050 {
        held.push(TcpStream::connect(served.addr).await?);
    }
    // Let the server accept them all.
    tokio::time::sleep(Duration::from_millis(500)).await;
    health_and_login_answer(served.addr, "fd").await?;
    // And again with the attacker's sockets renewed.
    held.extend(idle(served.addr, 50).await?);
    health_and_login_answer(served.addr, "fd").await?;
    drop(held);
    Ok(())
}

#[test]
fn out_of_range_settings_are_refused_with_exit_2() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("cfg.db").display());
    for (var, value, name, range) in [
        (
            "PASSGATE_THROTTLE_ACCOUNT_THRESHOLD",
            "1000000",
            "throttle.account_threshold",
            "between 1 and 100",
        ),
        (
            "PASSGATE_THROTTLE_REFUSAL_DELAY_MS",
            "10001",
            "throttle.refusal_delay_ms",
            "between 0 and 10000",
        ),
        (
            "PASSGATE_CONNECTIONS_MAX",
            "0",
            "connections.max",
            "between 1 and 1000000",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_passgate"))
            .args(["--database", &db, "serve", "--listen", "127.0.0.1:0"])
            .env(var, value)
            .env_remove("PASSGATE_DATABASE_URL")
            .stdin(Stdio::null())
            .output()?;
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let err = String::from_utf8(out.stderr)?;
        assert!(
            err.contains(name) && err.contains(range) && err.contains(var),
            "{var}={value}: {err}"
        );
    }
    Ok(())
}
