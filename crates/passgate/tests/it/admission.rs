//! Admission control: with every hashing place taken, requests that need hashing are refused
//! at once (503, Retry-After) before any database work, and nothing else is affected.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::harness::*;

const PW: &str = "correct horse battery staple";

/// Fills the pool's places (workers + queue) with jobs that block until the returned sender
/// is dropped.
async fn fill_pool(
    s: &TestServer,
    places: usize,
) -> Result<mpsc::Sender<()>, Box<dyn std::error::Error>> {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = std::sync::Arc::new(std::sync::Mutex::new(release_rx));
    let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    for _ in 0..places {
        let core = std::sync::Arc::clone(&s.core);
        let rx = std::sync::Arc::clone(&release_rx);
        let started = started_tx.clone();
        tokio::spawn(async move {
            core.pool()
                .run(move |_| {
                    let _ = started.send(());
                    if let Ok(rx) = rx.lock() {
                        let _ = rx.recv();
                    }
                })
                .await
        });
    }
    // The running job has started; the queued ones are admitted right after it.
    started_rx.recv().await.ok_or("no hashing job started")?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.core.check_hashing_room().is_ok() {
        if Instant::now() > deadline {
            return Err("the pool never filled".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(release_tx)
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
        c.core.hash_queue = 1;
    })
    .await?;
    s.add_user("waiting", PW).await?;
    let ticket = s.login("waiting", PW).await?.ok_or("login")?;
    let release = fill_pool(&s, 2).await?;
    let refused_before = s.metric("passgate_hash_queue_refused_total").await?;

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
    assert!(s.metric("passgate_hash_queue_refused_total").await? >= refused_before + 4.0);

    // Requests without hashing are not affected.
    let r = s.http.get(s.url("/healthz")).send().await?;
    assert_eq!(r.status().as_u16(), 200);

    // Once the places are free, the same ticket works.
    drop(release);
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.core.check_hashing_room().is_err() {
        assert!(Instant::now() < deadline, "places never freed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
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
        c.core.hash_queue = 1;
        c.refusal_pace = pace;
    })
    .await?;
    s.add_user("paced", PW).await?;
    let release = fill_pool(&s, 2).await?;
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
