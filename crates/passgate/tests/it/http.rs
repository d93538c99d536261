//! Health, readiness, metrics, and responsiveness while hashing.

use std::time::{Duration, Instant};

use crate::harness::*;

#[tokio::test]
async fn health_ready_and_metrics() -> TestResult {
    let s = TestServer::start().await?;
    let r = s.http.get(s.url("/healthz")).send().await?;
    assert_eq!(r.status().as_u16(), 200);
    let r = s.http.get(s.url("/readyz")).send().await?;
    assert_eq!(r.status().as_u16(), 200);
    s.add_user("alice", "correct horse battery staple").await?;
    assert!(s
        .login("alice", "correct horse battery staple")
        .await?
        .is_some());
    let text = s.http.get(s.url("/metrics")).send().await?.text().await?;
    for series in [
        "passgate_argon2_operations_total{op=\"hash\"}",
        "passgate_argon2_operations_total{op=\"verify\"}",
        "passgate_requests_total{front_end=\"soap\",operation=\"AuthenticateUsernamePassword\",outcome=\"ok\"}",
        "passgate_request_duration_seconds_bucket",
        "passgate_hash_queue_depth",
        "passgate_hash_refused_total{reason=\"estimated_wait\"}",
        "passgate_hash_refused_total{reason=\"expired\"}",
        "passgate_hash_refused_total{reason=\"abandoned\"}",
        "passgate_hash_queue_wait_seconds_bucket{le=\"0.001\"}",
        "passgate_hash_queue_wait_seconds_count",
        "passgate_hash_estimated_wait_seconds",
        "passgate_hash_operation_seconds",
        "passgate_hash_wait_budget_seconds 1.0",
    ] {
        assert!(text.contains(series), "missing {series}");
    }
    let r = s.http.get(s.url("/nothing-here")).send().await?;
    assert_eq!(r.status().as_u16(), 404);
    Ok(())
}

#[tokio::test]
async fn health_answers_promptly_while_hashing() -> TestResult {
    // Default (production) Argon2id cost, so hashing takes real time.
    let s = TestServer::start_with(|_| {}).await?;
    let pw = "correct horse battery staple";
    s.add_user("busy", pw).await?;
    let mut logins = Vec::new();
    for _ in 0..8 {
        let http = s.http.clone();
        let url = s.url(PRINCIPAL);
        let body = auth_envelope(SOAP12, "busy", pw);
        logins.push(tokio::spawn(async move {
            http.post(url)
                .header("Content-Type", "application/soap+xml")
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        let start = Instant::now();
        let r = s.http.get(s.url("/healthz")).send().await?;
        assert_eq!(r.status().as_u16(), 200);
        worst = worst.max(start.elapsed());
    }
    for l in logins {
        assert_eq!(l.await??, 200);
    }
    assert!(
        worst < Duration::from_millis(500),
        "healthz took {worst:?} while hashing"
    );
    Ok(())
}

#[tokio::test]
async fn a_wait_over_budget_is_refused_at_once_with_retry_after() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash_workers = 1;
        c.core.hash_max_wait = Duration::from_millis(1);
    })
    .await?;
    let pw = "correct horse battery staple";
    s.add_user("crowd", pw).await?;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let http = s.http.clone();
        let url = s.url(PRINCIPAL);
        let body = auth_envelope(SOAP11, "crowd", pw);
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .header("Content-Type", "text/xml")
                .body(body)
                .send()
                .await?;
            let status = r.status().as_u16();
            let retry = r.headers().get("retry-after").is_some();
            Ok::<_, reqwest::Error>((status, retry, r.text().await?))
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        let (status, retry, body) = t.await??;
        match status {
            200 => ok += 1,
            503 => {
                refused += 1;
                assert!(retry);
                assert_eq!(first_text(&body, "faultcode").as_deref(), Some("s:Server"));
            }
            other => panic!("unexpected status {other}: {body}"),
        }
    }
    assert!(ok >= 1, "at least the first job succeeds");
    assert!(refused >= 1, "a wait over the budget must be refused");
    assert!(
        s.metric("passgate_hash_refused_total{reason=\"estimated_wait\"}")
            .await?
            >= 1.0
    );
    Ok(())
}
