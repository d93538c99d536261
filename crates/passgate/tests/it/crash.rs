//! Crash consistency: clients change passwords over SOAP and REST while the server process is
//! killed with SIGKILL at random moments, then restarted. Every acknowledged change must be in
//! effect after the restart (a change whose answer was lost may or may not be), each user's
//! `credential_version` must count exactly the changes that took effect, each with its audit
//! row, and SQLite must pass its integrity check. Run on both backends.

use std::time::Duration;

use passgate_store::testing::TestDatabase;
use rand::Rng;
use sqlx::Connection;

use crate::cli::passgate;
use crate::harness::*;
use crate::multinode::{client, Node};

const USERS: usize = 6;
/// The reason text of the SOAP overload fault.
const BUSY: &str = "The server is busy";
const CRASHES: usize = 6;

/// What a client knows about its user's password.
#[derive(Clone, Debug)]
struct Known {
    index: usize,
    name: String,
    /// The last acknowledged password.
    current: String,
    /// A change that was sent but whose answer was lost in the crash.
    pending: Option<String>,
    /// Changes known to have taken effect.
    applied: i64,
    generation: usize,
}

fn passphrase(user: usize, generation: usize) -> String {
    format!("crash-safe passphrase {user} of generation {generation} stays")
}

/// Logs in and changes the password until the server goes away; returns what it knows.
async fn churn(http: reqwest::Client, base: String, mut k: Known, rest: bool) -> Known {
    loop {
        let next = passphrase(k.index, k.generation + 1);
        let outcome = if rest {
            rest_change(&http, &base, &k.name, &k.current, &next).await
        } else {
            soap_change(&http, &base, &k.name, &k.current, &next).await
        };
        match outcome {
            Step::Changed => {
                k.current = next;
                k.applied += 1;
                k.generation += 1;
            }
            Step::Lost => {
                k.pending = Some(next);
                k.generation += 1;
                return k;
            }
            Step::Down => return k,
        }
    }
}

enum Step {
    /// The change was acknowledged.
    Changed,
    /// The change was sent but no answer came: it may or may not have committed.
    Lost,
    /// The server is gone before the change was sent.
    Down,
}

/// Retries `attempt` while the server answers that it is busy (a refusal changes nothing).
async fn retry_busy<F, Fut>(mut attempt: F) -> Step
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Step>>,
{
    loop {
        if let Some(step) = attempt().await {
            return step;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn soap_change(http: &reqwest::Client, base: &str, user: &str, old: &str, new: &str) -> Step {
    retry_busy(|| soap_change_once(http, base, user, old, new)).await
}

async fn rest_change(http: &reqwest::Client, base: &str, user: &str, old: &str, new: &str) -> Step {
    retry_busy(|| rest_change_once(http, base, user, old, new)).await
}

/// One login and change over SOAP; None when the server was busy.
async fn soap_change_once(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    old: &str,
    new: &str,
) -> Option<Step> {
    let send = |path: &'static str, body: String| {
        http.post(format!("{base}{path}"))
            .header("Content-Type", "application/soap+xml; charset=utf-8")
            .body(body)
            .send()
    };
    let body = match send(PRINCIPAL, auth_envelope(SOAP12, user, old)).await {
        Ok(r) => match r.text().await {
            Ok(body) => body,
            Err(_) => return Some(Step::Down),
        },
        Err(_) => return Some(Step::Down),
    };
    if body.contains(BUSY) {
        return None;
    }
    let Some(ticket) = first_text(&body, "Ticket") else {
        panic!("login of {user} with its acknowledged password failed: {body}");
    };
    Some(
        match send(USER, change_envelope(SOAP12, Some(&ticket), old, new)).await {
            Ok(r) => match r.text().await {
                Ok(body) if first_text(&body, "Response").as_deref() == Some("true") => {
                    Step::Changed
                }
                Ok(body) if body.contains(BUSY) => return None,
                Ok(body) => panic!("change refused: {body}"),
                Err(_) => Step::Lost,
            },
            Err(_) => Step::Lost,
        },
    )
}

/// One login and change over REST; None when the server was busy.
async fn rest_change_once(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    old: &str,
    new: &str,
) -> Option<Step> {
    let login = http
        .post(format!("{base}/security/credentials"))
        .header("Accept", "application/json")
        .json(&serde_json::json!({"username": user, "password": old}))
        .send()
        .await;
    let reply = match login {
        Ok(r) if r.status() == 503 => return None,
        Ok(r) => match r.json::<serde_json::Value>().await {
            Ok(v) => v,
            Err(_) => return Some(Step::Down),
        },
        Err(_) => return Some(Step::Down),
    };
    let Some(session) = reply["sessionId"].as_str() else {
        panic!("REST login of {user} with its acknowledged password failed: {reply}");
    };
    let change = http
        .put(format!("{base}/logins/ChangePassword"))
        .header("Accept", "application/json")
        .json(&serde_json::json!({"sessionId": session, "password": old, "newPassword": new}))
        .send()
        .await;
    Some(match change {
        Ok(r) if r.status() == 503 => return None,
        Ok(r) => match r.json::<serde_json::Value>().await {
            Ok(v) if v["result"]["result"] == "Success" => Step::Changed,
            Ok(v) => panic!("REST change refused: {v}"),
            Err(_) => Step::Lost,
        },
        Err(_) => Step::Lost,
    })
}

/// After a restart: settles a lost change by trying it, and checks the acknowledged password.
async fn settle(http: &reqwest::Client, node: &Node, k: &mut Known) -> TestResult {
    let base = node.url("");
    let works = |pw: String| {
        let (http, base, name) = (http.clone(), base.clone(), k.name.clone());
        async move {
            let r = http
                .post(format!("{base}{PRINCIPAL}"))
                .header("Content-Type", "application/soap+xml; charset=utf-8")
                .body(auth_envelope(SOAP12, &name, &pw))
                .send()
                .await?;
            Ok::<bool, reqwest::Error>(first_text(&r.text().await?, "Ticket").is_some())
        }
    };
    if let Some(p) = k.pending.take() {
        if works(p.clone()).await? {
            k.current = p;
            k.applied += 1;
            return Ok(());
        }
    }
    assert!(
        works(k.current.clone()).await?,
        "{}: the last acknowledged change was lost",
        k.name
    );
    Ok(())
}

/// Users whose `credential_version` is not 1 + their `password_changed` audit rows.
const MISCOUNTED: &str = "SELECT COUNT(*) FROM users u WHERE u.credential_version - 1 <> \
    (SELECT COUNT(*) FROM audit_events a WHERE a.user_id = u.id AND a.event = 'password_changed')";

async fn crash_and_restart(db: &str, sqlite_file: Option<&std::path::Path>) -> TestResult {
    let mut known = Vec::new();
    for i in 0..USERS {
        let name = format!("crash{i}");
        let first = passphrase(i, 0);
        let out = passgate(
            db,
            &["user", "add", &name, "--password-stdin"],
            Some(&format!("{first}\n")),
        )?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        known.push(Known {
            index: i,
            name,
            current: first,
            pending: None,
            applied: 0,
            generation: 0,
        });
    }
    let env = [("PASSGATE_THROTTLE_ACCOUNT_THRESHOLD", "50")];
    let http = client()?;
    for _ in 0..CRASHES {
        let node = Node::start_with_env(db, &env).await?;
        let mut clients = Vec::new();
        for (i, k) in known.iter().enumerate() {
            clients.push(tokio::spawn(churn(
                http.clone(),
                node.url(""),
                k.clone(),
                i % 2 == 1,
            )));
        }
        let wait = rand::thread_rng().gen_range(150..900);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        node.kill9().await?;
        known.clear();
        for c in clients {
            known.push(c.await?);
        }
        let node = Node::start_with_env(db, &env).await?;
        for k in &mut known {
            settle(&http, &node, k).await?;
        }
        node.kill9().await?;
    }
    let total: i64 = known.iter().map(|k| k.applied).sum();
    assert!(total > 0, "no change committed at all");
    // Every change that took effect is counted once in the version, with its audit row.
    let check = |versions: Vec<(String, i64)>| {
        for k in &known {
            let v = versions
                .iter()
                .find(|(n, _)| *n == k.name)
                .map(|(_, v)| *v)
                .unwrap_or(-1);
            assert_eq!(
                v - 1,
                k.applied,
                "{}: version {v}, applied {}",
                k.name,
                k.applied
            );
        }
    };
    const VERSIONS: &str = "SELECT username, credential_version FROM users";
    match sqlite_file {
        Some(_) => {
            let c = crate::harness::sqlite_conn(db)?;
            let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            assert_eq!(ok, "ok");
            let bad: i64 = c.query_row(MISCOUNTED, [], |r| r.get(0))?;
            assert_eq!(bad, 0);
            check(
                c.prepare(VERSIONS)?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?,
            );
        }
        None => {
            let mut c = sqlx::PgConnection::connect(db).await?;
            let bad: i64 = sqlx::query_scalar(MISCOUNTED).fetch_one(&mut c).await?;
            assert_eq!(bad, 0);
            check(sqlx::query_as(VERSIONS).fetch_all(&mut c).await?);
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_kill_9_sqlite() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("crash.db");
    let db = format!("sqlite://{}", file.display());
    let out = passgate(&db, &["migrate"], None)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    crash_and_restart(&db, Some(&file)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_kill_9_postgres() -> TestResult {
    let Some(db) = TestDatabase::create().await? else {
        return Ok(());
    };
    crash_and_restart(db.url(), None).await
}
