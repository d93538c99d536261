//! Two real `passgate serve` processes on one PostgreSQL database, as behind a load
//! balancer without sticky sessions: tickets work on either node, a password change on one
//! ends the other sessions on the other at once, an operator's lock ends sessions on both,
//! throttle counters add up across nodes, and of two concurrent changes sent to different
//! nodes exactly one wins.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use passgate_store::testing::TestDatabase;
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::cli::passgate;
use crate::harness::*;

const OLD: &str = "correct horse battery staple";
const NEW: &str = "a brand new passphrase, long";

/// One `passgate serve` process and everything it logged.
pub struct Node {
    addr: SocketAddr,
    logs: Arc<Mutex<String>>,
    child: Child,
}

impl Node {
    /// Starts a node on `db` and waits until it listens.
    pub async fn start(db: &str) -> Result<Node, Box<dyn std::error::Error>> {
        Self::start_with_env(db, &[]).await
    }

    /// Starts a node on `db` with extra environment variables and waits until it listens.
    pub async fn start_with_env(
        db: &str,
        env: &[(&str, &str)],
    ) -> Result<Node, Box<dyn std::error::Error>> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_passgate"))
            .args(["--database", db, "serve", "--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .env("PASSGATE_ARGON2_MEMORY_KIB", "1024")
            .env("PASSGATE_ARGON2_ITERATIONS", "1")
            .env("PASSGATE_TRUSTED_PROXY_HEADER", "x-forwarded-for")
            .env("PASSGATE_DATABASE_MAX_CONNECTIONS", "4")
            .env("PASSGATE_LOG", "info")
            .env("PASSGATE_LOG_FORMAT", "json")
            .env_remove("PASSGATE_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let logs = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        let sink = Arc::clone(&logs);
        // Drain the log for the node's whole life (a full pipe would stall it), and report
        // the address it bound.
        tokio::spawn(async move {
            let mut tx = Some(tx);
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(listen) = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v["fields"]["listen"].as_str().map(str::to_owned))
                {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(listen);
                    }
                }
                if let Ok(mut l) = sink.lock() {
                    l.push_str(&line);
                    l.push('\n');
                }
            }
        });
        let listen = tokio::time::timeout(Duration::from_secs(60), rx)
            .await
            .map_err(|_| "node did not start listening within 60 s")??;
        Ok(Node {
            addr: listen.parse()?,
            logs,
            child,
        })
    }

    /// Kills the process with SIGKILL (no shutdown, no flush) and reaps it.
    pub async fn kill9(mut self) -> std::io::Result<()> {
        self.child.kill().await
    }

    /// URL of `path` on this node.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    fn logs(&self) -> String {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// An HTTP client with a generous timeout.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
}

async fn soap(
    http: &reqwest::Client,
    node: &Node,
    path: &str,
    from: &str,
    body: String,
) -> Result<String, Box<dyn std::error::Error>> {
    let r = http
        .post(node.url(path))
        .header("Content-Type", "application/soap+xml; charset=utf-8")
        .header("X-Forwarded-For", from)
        .body(body)
        .send()
        .await?;
    Ok(r.text().await?)
}

/// Logs in over SOAP 1.2; the ticket, or None when authentication failed.
pub async fn login(
    http: &reqwest::Client,
    node: &Node,
    user: &str,
    pw: &str,
) -> Result<Option<String>, Box<dyn std::error::Error>> {
    let body = soap(
        http,
        node,
        PRINCIPAL,
        "10.1.0.1",
        auth_envelope(SOAP12, user, pw),
    )
    .await?;
    Ok(first_text(&body, "Ticket"))
}

/// Status of `GET /auth` with `token` as the REST session id (200 live, 401 not).
async fn auth_status(
    http: &reqwest::Client,
    node: &Node,
    token: &str,
) -> Result<u16, Box<dyn std::error::Error>> {
    let r = http
        .get(node.url("/auth"))
        .header("Accept", "application/json")
        .header("X-ss-id", token)
        .send()
        .await?;
    Ok(r.status().as_u16())
}

fn add_user(db: &str, name: &str) -> TestResult {
    let out = passgate(
        db,
        &["user", "add", name, "--password-stdin"],
        Some(&format!("{OLD}\n")),
    )?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_sessions_revocations_throttle_and_the_cas() -> TestResult {
    let Some(db) = TestDatabase::create().await? else {
        return Ok(());
    };
    let url = db.url().to_owned();
    for name in [
        "alice", "bob", "racer0", "racer1", "racer2", "racer3", "racer4",
    ] {
        add_user(&url, name)?;
    }
    let (a, b) = (Node::start(&url).await?, Node::start(&url).await?);
    let http = client()?;

    // A ticket from node A works on node B (and a REST session alike).
    let t1 = login(&http, &a, "alice", OLD).await?.ok_or("login on A")?;
    let t2 = login(&http, &a, "alice", OLD).await?.ok_or("login on A")?;
    assert_eq!(auth_status(&http, &b, &t1).await?, 200, "A's ticket on B");
    assert_eq!(auth_status(&http, &b, &t2).await?, 200);

    // A change on B (with A's ticket t1) ends t2 on A at the very next request; t1 lives.
    let body = soap(
        &http,
        &b,
        USER,
        "10.1.0.1",
        change_envelope(SOAP12, Some(&t1), OLD, NEW),
    )
    .await?;
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );
    let body = soap(
        &http,
        &a,
        USER,
        "10.1.0.1",
        change_envelope(SOAP12, Some(&t2), NEW, OLD),
    )
    .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("SoTicketInvalidException"),
        "{body}"
    );
    assert_eq!(auth_status(&http, &a, &t2).await?, 401);
    assert_eq!(
        auth_status(&http, &a, &t1).await?,
        200,
        "the caller's own ticket"
    );
    assert_eq!(login(&http, &a, "alice", OLD).await?, None);
    let t3 = login(&http, &a, "alice", NEW).await?.ok_or("login on A")?;

    // An operator's lock from a third process ends alice's sessions on both nodes at once.
    let out = passgate(&url, &["user", "lock", "alice"], None)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for node in [&a, &b] {
        assert_eq!(auth_status(&http, node, &t1).await?, 401);
        assert_eq!(auth_status(&http, node, &t3).await?, 401);
        assert_eq!(login(&http, node, "alice", NEW).await?, None, "locked");
    }

    // Throttle counters accumulate across nodes: 5 failures alternating A and B, then even
    // the right password is refused, on either node.
    for i in 0..5 {
        let node = if i % 2 == 0 { &a } else { &b };
        let body = soap(
            &http,
            node,
            PRINCIPAL,
            "10.2.0.1",
            auth_envelope(SOAP12, "bob", "wrong password guess"),
        )
        .await?;
        assert_eq!(
            first_text(&body, "AuthenticationSucceeded").as_deref(),
            Some("false"),
            "{body}"
        );
        assert_eq!(
            first_text(&body, "ExceptionType"),
            None,
            "attempt {i}: {body}"
        );
    }
    for node in [&a, &b] {
        let body = soap(
            &http,
            node,
            PRINCIPAL,
            "10.2.0.1",
            auth_envelope(SOAP12, "bob", OLD),
        )
        .await?;
        assert_eq!(
            first_text(&body, "ExceptionType").as_deref(),
            Some("TooManyAttemptsException"),
            "{body}"
        );
    }
    let mut conn = sqlx::PgConnection::connect(&url).await?;
    let failures: i64 = sqlx::query_scalar("SELECT failures FROM throttle WHERE key = 'acct:bob'")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(failures, 5);
    conn.close().await?;

    // Of two concurrent changes with the same old password on different nodes, exactly one
    // wins.
    for round in 0..5 {
        let name = format!("racer{round}");
        let ta = login(&http, &a, &name, OLD).await?.ok_or("login on A")?;
        let tb = login(&http, &b, &name, OLD).await?.ok_or("login on B")?;
        let (x, y) = (
            "first racer passphrase, long",
            "second racer passphrase, long",
        );
        let (ra, rb) = tokio::join!(
            soap(
                &http,
                &a,
                USER,
                "10.3.0.1",
                change_envelope(SOAP12, Some(&ta), OLD, x)
            ),
            soap(
                &http,
                &b,
                USER,
                "10.3.0.2",
                change_envelope(SOAP12, Some(&tb), OLD, y)
            ),
        );
        let (ra, rb) = (ra?, rb?);
        let won_a = first_text(&ra, "Response").as_deref() == Some("true");
        let won_b = first_text(&rb, "Response").as_deref() == Some("true");
        assert!(won_a ^ won_b, "exactly one must win: {ra} / {rb}");
        let (winner, loser) = if won_a { (x, y) } else { (y, x) };
        assert!(login(&http, &b, &name, winner).await?.is_some());
        assert!(login(&http, &a, &name, winner).await?.is_some());
        assert_eq!(login(&http, &a, &name, loser).await?, None);
        assert_eq!(login(&http, &b, &name, OLD).await?, None);
    }

    // Neither node logged a password or a ticket.
    for node in [&a, &b] {
        let logs = node.logs();
        assert!(logs.contains("passgate listening"));
        for secret in [OLD, NEW, "wrong password guess", t1.as_str(), t2.as_str()] {
            assert!(!logs.contains(secret), "a secret reached a node's log");
        }
    }
    drop((a, b));
    drop(db);
    Ok(())
}
