//! Admission by waiting time: a burst the budget can hold is served whole; beyond the budget,
//! requests that need hashing are refused at once (503, Retry-After) before any database
//! work, with each protocol's overload answer and nothing changed for them; `/readyz` says
//! so; nothing else is affected.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::harness::*;

const PW: &str = "correct horse battery staple";
const REFUSED: &str = "passgate_hash_refused_total{reason=\"estimated_wait\"}";

/// Admits jobs that block until the returned sender is dropped, until the estimated wait of
/// the next one is over the budget.
async fn fill_pool(s: &TestServer) -> Result<mpsc::Sender<()>, Box<dyn std::error::Error>> {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = std::sync::Arc::new(std::sync::Mutex::new(release_rx));
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.core.check_hashing_room().is_ok() {
        if Instant::now() > deadline {
            return Err("the pool never filled".into());
        }
        let before = s.core.pool().admitted();
        let core = std::sync::Arc::clone(&s.core);
        let rx = std::sync::Arc::clone(&release_rx);
        tokio::spawn(async move {
            core.pool()
                .run(move |_| {
                    // Every blocked job returns once the sender is dropped.
                    if let Ok(rx) = rx.lock() {
                        let _ = rx.recv();
                    }
                })
                .await
        });
        while s.core.pool().admitted() == before && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    Ok(release_tx)
}

/// A tiny budget: with every worker busy, any further job would wait beyond it.
fn tiny_budget(c: &mut passgate::config::Settings) {
    c.core.hash_max_wait = Duration::from_millis(1);
}

/// A REST password change with a session id nobody has.
async fn rest_change_without_session(s: &TestServer) -> reqwest::Result<reqwest::Response> {
    s.http
        .put(s.url("/logins/ChangePassword"))
        .json(&serde_json::json!({"sessionId": "unknown", "password": PW, "newPassword": "a new long passphrase here"}))
        .send()
        .await
}

#[tokio::test]
async fn full_pool_refuses_before_looking_at_the_session() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.core.hash_workers = 1;
        tiny_budget(c);
    })
    .await?;
    s.add_user("waiting", PW).await?;
    let ticket = s.login("waiting", PW).await?.ok_or("login")?;
    let release = fill_pool(&s).await?;
    let refused_before = s.metric(REFUSED).await?;

    // SOAP: even an unknown ticket gets the overload fault, not SoTicketInvalidException.
    let unknown = "7T:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    for t in [ticket.as_str(), unknown] {
        let r = s
            .http
            .post(s.url(USER))
            .header("Content-Type", "application/soap+xml; charset=utf-8")
            .body(change_envelope(
                SOAP12,
                Some(t),
                PW,
                "a new long passphrase here",
            ))
            .send()
            .await?;
        assert_eq!(r.status().as_u16(), 503);
        assert_eq!(
            r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
            Some("1")
        );
        let body = r.text().await?;
        assert_eq!(
            first_text(&body, "Value").as_deref(),
            Some("s:Receiver"),
            "{body}"
        );
    }
    // REST change and login alike.
    let r = rest_change_without_session(&s).await?;
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let (status, body) = s
        .soap12(PRINCIPAL, auth_envelope(SOAP12, "waiting", PW))
        .await?;
    assert_eq!(status, 503, "{body}");
    assert!(s.metric(REFUSED).await? >= refused_before + 4.0);

    // Requests without hashing are not affected; readiness says the wait is over budget.
    let r = s.http.get(s.url("/healthz")).send().await?;
    assert_eq!(r.status().as_u16(), 200);
    let r = s.http.get(s.url("/readyz")).send().await?;
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.text().await?, "hashing wait over budget");
    assert!(s.metric("passgate_hash_estimated_wait_seconds").await? > 0.001);

    // Once the places are free, the same ticket works.
    drop(release);
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.core.pool().admitted() > 0 {
        assert!(Instant::now() < deadline, "places never freed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let r = s.http.get(s.url("/readyz")).send().await?;
    assert_eq!(
        r.status().as_u16(),
        200,
        "ready again once the backlog is gone"
    );
    let (status, body) = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&ticket), PW, "a new long passphrase here"),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(first_text(&body, "Response").as_deref(), Some("true"));
    // A deliberate refusal is not a server failure: no ERROR line about it.
    let logs = captured_logs();
    let flagged: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("503"))
        .collect();
    assert!(flagged.is_empty(), "refusals logged as errors: {flagged:?}");
    Ok(())
}

#[tokio::test]
async fn refusals_are_paced_and_nothing_else_is() -> TestResult {
    let pace = Duration::from_millis(600);
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.core.hash_workers = 1;
        tiny_budget(c);
        c.refusal_pace = pace;
    })
    .await?;
    s.add_user("paced", PW).await?;
    let release = fill_pool(&s).await?;
    // An overload refusal is held until the pace has passed since the request arrived.
    let t0 = Instant::now();
    let (status, body) = s
        .soap12(PRINCIPAL, auth_envelope(SOAP12, "paced", PW))
        .await?;
    let refused_after = t0.elapsed();
    assert_eq!(status, 503, "{body}");
    assert!(refused_after >= pace, "refused after {refused_after:?}");
    let t0 = Instant::now();
    let r = rest_change_without_session(&s).await?;
    assert_eq!(r.status().as_u16(), 503);
    assert!(t0.elapsed() >= pace);
    // Answers other than overload refusals are not held.
    let t0 = Instant::now();
    let r = s.http.get(s.url("/healthz")).send().await?;
    assert_eq!(r.status().as_u16(), 200);
    assert!(t0.elapsed() < pace, "healthz was held");
    drop(release);
    Ok(())
}

/// Users `prefix-0..n`, each logged in on `Api` alternately SOAP (even) and REST (odd);
/// returns (name, token) pairs.
async fn logged_in_users(
    s: &TestServer,
    prefix: &str,
    n: usize,
) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("{prefix}-{i}");
        s.add_user(&name, PW).await?;
        let token = if i.is_multiple_of(2) {
            s.login(&name, PW).await?.ok_or("soap login")?
        } else {
            crate::rest::rest_login(s, &name, PW).await?
        };
        out.push((name, token));
    }
    Ok(out)
}

/// One change by user `i` (SOAP 1.2 for even, REST for odd, SOAP 1.1 for every fourth):
/// (protocol, status, Retry-After, body).
async fn change(
    http: reqwest::Client,
    base: String,
    i: usize,
    token: String,
) -> Result<(&'static str, u16, Option<String>, String), reqwest::Error> {
    let new = format!("a brand new passphrase {i}");
    let r = if i % 2 == 1 {
        http.put(format!("{base}/logins/ChangePassword"))
            .json(&serde_json::json!({"sessionId": token, "password": PW, "newPassword": new}))
            .send()
            .await?
    } else if i.is_multiple_of(4) {
        http.post(format!("{base}{USER}"))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{TNS}/User/ChangeOwnPassword\""))
            .body(change_envelope(SOAP11, Some(&token), PW, &new))
            .send()
            .await?
    } else {
        http.post(format!("{base}{USER}"))
            .header("Content-Type", "application/soap+xml; charset=utf-8")
            .body(change_envelope(SOAP12, Some(&token), PW, &new))
            .send()
            .await?
    };
    let protocol = match i % 4 {
        1 | 3 => "rest",
        0 => "soap11",
        _ => "soap12",
    };
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((protocol, status, retry, r.text().await?))
}

/// Sends one change per user, all at once; returns the answers in user order.
async fn changes_at_once(
    s: &TestServer,
    users: &[(String, String)],
) -> Result<Vec<(&'static str, u16, Option<String>, String)>, Box<dyn std::error::Error>> {
    let mut tasks = Vec::new();
    for (i, (_, token)) in users.iter().enumerate() {
        tasks.push(tokio::spawn(change(
            s.http.clone(),
            s.url(""),
            i,
            token.clone(),
        )));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

/// True when the SOAP or REST body says the change was made.
fn changed(protocol: &str, body: &str) -> bool {
    match protocol {
        "rest" => serde_json::from_str::<serde_json::Value>(body)
            .is_ok_and(|v| v["result"]["result"] == "Success"),
        _ => first_text(body, "Response").as_deref() == Some("true"),
    }
}

/// Sixteen people changing their passwords at the same moment on two workers is load, not
/// overload: with the default budget every change is made (a fixed queue of one job per
/// worker refused twelve of them).
#[tokio::test]
async fn sixteen_changes_at_once_on_two_workers_all_succeed() -> TestResult {
    let s = TestServer::start_with(|c| {
        // Cheap jobs (1 MiB hashes, no strength estimate, which is slow in a debug build), so
        // that 16 of them fit the default budget even on a machine busy with other builds: the
        // point is that admission counts waiting time, not jobs (a fixed queue of one job per
        // worker refused twelve of these sixteen).
        c.core.hash = fast_params();
        c.core.policy.min_strength = 0;
        c.core.hash_workers = 2;
    })
    .await?;
    let users = logged_in_users(&s, "crowd", 16).await?;
    let refused_before = s.metric(REFUSED).await?;
    for (i, (protocol, status, _, body)) in changes_at_once(&s, &users).await?.iter().enumerate() {
        assert_eq!(
            *status,
            200,
            "user {i} ({protocol}): {body} (mean job {:?})",
            s.core.pool().mean_cost()
        );
        assert!(changed(protocol, body), "user {i} ({protocol}): {body}");
    }
    assert_eq!(s.metric(REFUSED).await?, refused_before);
    for (name, _) in &users {
        let i: usize = name.trim_start_matches("crowd-").parse()?;
        let new = format!("a brand new passphrase {i}");
        assert!(s.login(name, &new).await?.is_some(), "{name}");
    }
    Ok(())
}

/// With a tiny budget and the production hash cost, the changes that would wait are refused
/// at once with each protocol's overload answer, and nothing changes for them.
#[tokio::test]
async fn beyond_a_tiny_budget_the_excess_is_refused_and_unchanged() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = passgate_core::credential::HashParams::default();
        c.core.hash_workers = 2;
        tiny_budget(c);
    })
    .await?;
    let users = logged_in_users(&s, "tiny", 16).await?;
    let answers = changes_at_once(&s, &users).await?;
    let (mut made, mut refused) = (0, 0);
    for (i, (protocol, status, retry, body)) in answers.iter().enumerate() {
        let (name, _) = &users[i];
        let new = format!("a brand new passphrase {i}");
        if *status == 200 {
            assert!(changed(protocol, body), "user {i} ({protocol}): {body}");
            made += 1;
            continue;
        }
        refused += 1;
        assert_eq!(*status, 503, "user {i} ({protocol}): {body}");
        assert_eq!(retry.as_deref(), Some("1"), "user {i} ({protocol})");
        match *protocol {
            "rest" => {
                let v: serde_json::Value = serde_json::from_str(body)?;
                assert_eq!(
                    v["responseStatus"]["errorCode"], "ServiceUnavailable",
                    "{v}"
                );
            }
            "soap11" => {
                assert_eq!(
                    first_text(body, "faultcode").as_deref(),
                    Some("s:Server"),
                    "{body}"
                );
            }
            _ => {
                assert_eq!(
                    first_text(body, "Value").as_deref(),
                    Some("s:Receiver"),
                    "{body}"
                );
            }
        }
        // Nothing changed: the old password still works, the new one does not, and no
        // change was audited.
        assert!(s.login(name, &new).await?.is_none(), "{name}");
        assert!(s.login(name, PW).await?.is_some(), "{name}");
        let rows = s.core.audit(Some(name), None, None).await?;
        assert!(
            rows.iter().all(|r| !r.event.starts_with("password_change")),
            "{name}: {:?}",
            rows.iter().map(|r| &r.event).collect::<Vec<_>>()
        );
    }
    assert!(made >= 1, "the first changes find a free worker");
    assert!(
        refused >= 1,
        "with both workers busy, any wait is over 1 ms"
    );
    assert!(s.metric(REFUSED).await? >= f64::from(refused));
    Ok(())
}
