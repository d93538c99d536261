//! The mail outbox with real processes: a mail committed while the SMTP server is down is
//! delivered once it is back, even across a `kill -9` of passgate; and two nodes sharing one
//! PostgreSQL database deliver every mail exactly once.

use std::time::Duration;

use passgate_store::testing::TestDatabase;

use crate::cli::passgate;
use crate::multinode::{client, Node};
use crate::smtp::{python, SmtpSink};

const PW: &str = "correct horse battery staple";
const PORTAL: &str = "https://portal.example/reset";

/// A port nothing listens on (yet).
fn free_port() -> Result<u16, std::io::Error> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    l.local_addr().map(|a| a.port())
}

fn mail_env(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("PASSGATE_MAIL_SMTP_HOST", "127.0.0.1".into()),
        ("PASSGATE_MAIL_SMTP_PORT", port.to_string()),
        ("PASSGATE_MAIL_TLS", "none".into()),
        (
            "PASSGATE_MAIL_FROM",
            "passgate <noreply@acme.example>".into(),
        ),
        ("PASSGATE_MAIL_RETRY_BASE_SECS", "1".into()),
        ("PASSGATE_MAIL_RETRY_MAX_SECS", "1".into()),
        ("PASSGATE_MAIL_POLL_INTERVAL_SECS", "1".into()),
        ("PASSGATE_MAIL_LEASE_SECS", "3".into()),
        ("PASSGATE_MAIL_MAX_ATTEMPTS", "100".into()),
        ("PASSGATE_RESET_ALLOWED_URLS", PORTAL.into()),
        ("PASSGATE_RESET_PER_CLIENT_PER_HOUR", "10000".into()),
    ]
}

async fn start(
    db: &str,
    env: &[(&'static str, String)],
) -> Result<Node, Box<dyn std::error::Error>> {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Node::start_with_env(db, &env).await
}

fn add_user(db: &str, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    let email = format!("{name}@example.com");
    let out = passgate(
        db,
        &["user", "add", name, "--email", &email, "--password-stdin"],
        Some(&format!("{PW}\n")),
    )?;
    if !out.status.success() {
        return Err(format!("user add: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(())
}

async fn forgot(
    http: &reqwest::Client,
    node: &Node,
    name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let r = http
        .put(node.url("/logins/ForgotPassword"))
        .json(&serde_json::json!({"email": format!("{name}@example.com"), "changePwdUrl": PORTAL}))
        .send()
        .await?;
    let status = r.status().as_u16();
    let body = r.text().await?;
    if status != 200 {
        return Err(format!("ForgotPassword: {status} {body}").into());
    }
    Ok(())
}

fn outbox(db: &str) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
    let out = passgate(db, &["mail", "list", "--json"], None)?;
    if !out.status.success() {
        return Err(format!("mail list: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

async fn outage_and_kill_9(db: &str) -> Result<(), Box<dyn std::error::Error>> {
    let Some(py) = python("outbox crash test") else {
        return Ok(());
    };
    let port = free_port()?;
    let env = mail_env(port);
    add_user(db, "ivy")?;
    let http = client()?;
    let node = start(db, &env).await?;
    forgot(&http, &node, "ivy").await?;
    // The SMTP server is down: the sender fails, and keeps the row for a retry.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rows = outbox(db)?;
        if rows
            .first()
            .is_some_and(|r| r["attempts"].as_u64().unwrap_or(0) >= 1 && r["lastError"].is_string())
        {
            assert_eq!(rows[0]["state"], "pending", "{rows:?}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no failed attempt recorded: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    node.kill9().await?;
    let sink_dir = tempfile::tempdir()?;
    let smtp = SmtpSink::start_at(&py, port, sink_dir.path()).await?;
    let node = start(db, &env).await?;
    let mails = smtp.wait_for(1, Duration::from_secs(30)).await?;
    let token = mails[0].token().ok_or("no token")?;
    let r = http
        .put(node.url("/logins/ChangePasswordWithToken"))
        .json(&serde_json::json!({"authToken": token, "newPassword": "after the crash, a new passphrase"}))
        .send()
        .await?;
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["result"]["result"], "Success", "{v}");
    // The reset notification follows; nothing is sent twice.
    smtp.wait_for(2, Duration::from_secs(30)).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.messages()?.len(), 2);
    let rows = outbox(db)?;
    assert!(rows.iter().all(|r| r["state"] == "sent"), "{rows:?}");
    node.kill9().await?;
    smtp.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_mail_survives_an_smtp_outage_and_a_kill_9_on_sqlite() -> crate::harness::TestResult {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("o.db").display());
    outage_and_kill_9(&db).await
}

#[tokio::test]
async fn a_mail_survives_an_smtp_outage_and_a_kill_9_on_postgres() -> crate::harness::TestResult {
    let Some(db) = TestDatabase::create().await? else {
        return Ok(());
    };
    outage_and_kill_9(db.url()).await
}

#[tokio::test]
async fn two_nodes_on_postgres_deliver_each_mail_once() -> crate::harness::TestResult {
    let Some(py) = python("two-node outbox test") else {
        return Ok(());
    };
    let Some(db) = TestDatabase::create().await? else {
        return Ok(());
    };
    let port = free_port()?;
    let env = mail_env(port);
    const USERS: usize = 12;
    for i in 0..USERS {
        add_user(db.url(), &format!("user{i}"))?;
    }
    let http = client()?;
    let a = start(db.url(), &env).await?;
    let b = start(db.url(), &env).await?;
    // A backlog built while the SMTP server is down, from both nodes; then both senders
    // race for it.
    for i in 0..USERS {
        let node = if i % 2 == 0 { &a } else { &b };
        forgot(&http, node, &format!("user{i}")).await?;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sink_dir = tempfile::tempdir()?;
    let smtp = SmtpSink::start_at(&py, port, sink_dir.path()).await?;
    let mails = smtp.wait_for(USERS, Duration::from_secs(60)).await?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mails = if smtp.messages()?.len() > mails.len() {
        smtp.messages()?
    } else {
        mails
    };
    let mut ids: Vec<String> = mails
        .iter()
        .filter_map(|m| m.header("Message-ID"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        (mails.len(), ids.len()),
        (USERS, USERS),
        "each mail exactly once"
    );
    let mut rcpts: Vec<String> = mails.iter().flat_map(|m| m.rcpt_tos.clone()).collect();
    rcpts.sort();
    rcpts.dedup();
    assert_eq!(rcpts.len(), USERS);
    a.kill9().await?;
    b.kill9().await?;
    smtp.stop().await?;
    Ok(())
}

#[tokio::test]
async fn dead_letters_are_listed_and_retried_and_operators_can_hand_out_links(
) -> crate::harness::TestResult {
    let Some(py) = python("dead letter test") else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("d.db").display());
    let port = free_port()?;
    let mut env = mail_env(port);
    env.retain(|(k, _)| *k != "PASSGATE_MAIL_MAX_ATTEMPTS");
    env.push(("PASSGATE_MAIL_MAX_ATTEMPTS", "1".into()));
    add_user(&db, "jay")?;
    let http = client()?;
    let node = start(&db, &env).await?;
    forgot(&http, &node, "jay").await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let dead = loop {
        let out = passgate(&db, &["mail", "list", "--state", "dead", "--json"], None)?;
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        if let Some(row) = rows.as_array().and_then(|a| a.first()).cloned() {
            break row;
        }
        assert!(std::time::Instant::now() < deadline, "no dead letter");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(dead["kind"], "reset_link");
    assert_eq!(dead["recipient"], "jay@example.com");
    assert!(
        dead["lastError"].as_str().is_some_and(|e| !e.is_empty()),
        "{dead}"
    );
    let metrics = http.get(node.url("/metrics")).send().await?.text().await?;
    assert!(
        metrics.contains("passgate_mail_outbox{state=\"dead\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("passgate_mail_deliveries_total{result=\"dead\"} 1"));
    // A dead reset link is not sent again: its link was erased.
    let id = dead["id"].as_str().ok_or("id")?;
    let out = passgate(&db, &["mail", "retry", id], None)?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reset-link"));
    let out = passgate(&db, &["mail", "retry"], None)?;
    assert_eq!(out.status.code(), Some(2), "an id or --all is required");
    // A dead notification is: it arrives once the SMTP server is back.
    // (The command line reads the same settings as the server: with them it queues the
    // notification.)
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_passgate"))
        .args(["--database", &db, "user", "lock", "jay"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while outbox(&db)?.iter().filter(|r| r["state"] == "dead").count() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the lock notice did not die"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sink_dir = tempfile::tempdir()?;
    let smtp = SmtpSink::start_at(&py, port, sink_dir.path()).await?;
    let out = passgate(&db, &["mail", "retry", "--all", "--json"], None)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"requeued":1}"#
    );
    let mails = smtp.wait_for(1, Duration::from_secs(30)).await?;
    assert_eq!(
        mails[0].header("Subject").as_deref(),
        Some("passgate: your account was locked")
    );
    let out = passgate(&db, &["user", "unlock", "jay"], None)?;
    assert!(out.status.success());

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_passgate"))
        .args(["--database", &db, "user", "reset-link", "jay", "--json"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let link = v["link"].as_str().ok_or("link")?;
    assert!(
        link.starts_with("https://portal.example/reset?token="),
        "{link}"
    );
    let token = &link[link.len() - 32..];
    let r = http
        .put(node.url("/logins/ChangePasswordWithToken"))
        .json(&serde_json::json!({"authToken": token, "newPassword": "handed over, then chosen well"}))
        .send()
        .await?;
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["result"]["result"], "Success", "{v}");
    let out = passgate(
        &db,
        &["user", "reset-link", "nobody", "--url", PORTAL],
        None,
    )?;
    assert_eq!(out.status.code(), Some(3));
    let out = passgate(&db, &["audit", "--user", "jay", "--json"], None)?;
    let audit = String::from_utf8_lossy(&out.stdout);
    assert!(audit.contains("\"operator\""), "{audit}");
    assert!(!audit.contains(token));
    node.kill9().await?;
    smtp.stop().await?;
    Ok(())
}
