//! How requests use the hashing pool: a password change is ONE job (policy check, current
//! password verification and new hash together), a policy refusal costs no Argon2id work, a
//! throttled caller costs no job at all, and the waiting budget defaults to one second.

use crate::harness::*;

const PW: &str = "correct horse battery staple";
const JOBS: &str = "passgate_hash_jobs_total";
const VERIFY: &str = "passgate_argon2_operations_total{op=\"verify\"}";
const HASH: &str = "passgate_argon2_operations_total{op=\"hash\"}";

/// (jobs, verifications, hashes) so far.
async fn counters(s: &TestServer) -> Result<(f64, f64, f64), Box<dyn std::error::Error>> {
    Ok((
        s.metric(JOBS).await?,
        s.metric(VERIFY).await?,
        s.metric(HASH).await?,
    ))
}

async fn a_password_change_is_one_hashing_job() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("onejob", PW).await?;

    // SOAP: login is one job (one verification), the change one job (verify + hash).
    let before_login = counters(&s).await?;
    let ticket = s.login("onejob", PW).await?.ok_or("login")?;
    let (jobs, verify, hash) = counters(&s).await?;
    assert_eq!(
        (jobs, verify, hash),
        (before_login.0 + 1.0, before_login.1 + 1.0, before_login.2)
    );
    let second = "a second long passphrase";
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), PW, second))
        .await?;
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );
    assert_eq!(
        counters(&s).await?,
        (jobs + 1.0, verify + 1.0, hash + 1.0),
        "one job: the policy check, the verification and the hash"
    );

    // REST: the same.
    let sid = crate::rest::rest_login(&s, "onejob", second).await?;
    let (jobs, verify, hash) = counters(&s).await?;
    let r = s
        .http
        .put(s.url("/logins/ChangePassword"))
        .json(&serde_json::json!({"sessionId": sid, "password": second, "newPassword": "a third long passphrase"}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["result"]["result"], "Success", "{v}");
    assert_eq!(counters(&s).await?, (jobs + 1.0, verify + 1.0, hash + 1.0));

    // A policy refusal: the job stops after the policy check, before any Argon2id work, and
    // the refusal is audited as before.
    let (jobs, verify, hash) = counters(&s).await?;
    let r = s
        .http
        .put(s.url("/logins/ChangePassword"))
        .json(&serde_json::json!({"sessionId": sid, "password": "a third long passphrase", "newPassword": "Password123!"}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["result"]["result"], "Fail", "{v}");
    assert_eq!(counters(&s).await?, (jobs + 1.0, verify, hash));
    let rows = s.core.audit(Some("onejob"), None, None).await?;
    let last = rows.last().ok_or("no audit rows")?;
    assert_eq!(last.event, "password_change_failed");
    assert!(
        last.reason
            .as_deref()
            .is_some_and(|r| r.starts_with("policy:") && r.contains("too_short")),
        "{:?}",
        last.reason
    );
    Ok(())
}
both_backends!(a_password_change_is_one_hashing_job);

async fn a_blocked_caller_is_throttled_before_the_policy_check() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.trusted_proxy_header = Some("x-forwarded-for".into());
    })
    .await?;
    s.add_user("blocked", PW).await?;
    let sid = crate::rest::rest_login(&s, "blocked", PW).await?;
    for _ in 0..5 {
        let r = s
            .http
            .put(s.url("/logins/ChangePassword"))
            .json(&serde_json::json!({"sessionId": sid, "password": "wrong password guess", "newPassword": "a new long passphrase"}))
            .send()
            .await?;
        assert_eq!(r.status().as_u16(), 200);
    }
    // Blocked now: even a new password the policy would refuse gets the throttle answer, and
    // no hashing job runs at all.
    let before = counters(&s).await?;
    let r = s
        .http
        .put(s.url("/logins/ChangePassword"))
        .json(&serde_json::json!({"sessionId": sid, "password": PW, "newPassword": "short"}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(counters(&s).await?, before);
    let rows = s.core.audit(Some("blocked"), None, None).await?;
    let last = rows.last().ok_or("no audit rows")?;
    assert_eq!(
        (last.event.as_str(), last.reason.as_deref()),
        ("throttled", Some("account"))
    );
    Ok(())
}
both_backends!(a_blocked_caller_is_throttled_before_the_policy_check);

async fn a_success_resets_the_failure_count_it_saw() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.trusted_proxy_header = Some("x-forwarded-for".into());
    })
    .await?;
    s.add_user("counted", PW).await?;
    // Four failures, a success (which must reset the counter), four more failures: without
    // the reset that would be eight, past the block at five.
    for round in 0..2 {
        for _ in 0..4 {
            let (_, body) = s
                .soap12(
                    PRINCIPAL,
                    auth_envelope(SOAP12, "counted", "wrong password guess"),
                )
                .await?;
            assert_eq!(
                first_text(&body, "AuthenticationSucceeded").as_deref(),
                Some("false"),
                "round {round}: {body}"
            );
        }
        assert!(
            s.login("counted", PW).await?.is_some(),
            "round {round}: not blocked"
        );
    }
    // A user who never failed logs in again and again (no counter to reset).
    s.add_user("clean", PW).await?;
    for _ in 0..3 {
        assert!(s.login("clean", PW).await?.is_some());
    }
    Ok(())
}
both_backends!(a_success_resets_the_failure_count_it_saw);

async fn delayed_failures_and_refusals_answer_like_any_other() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.trusted_proxy_header = Some("x-forwarded-for".into());
        c.core.throttle.refusal_delay = std::time::Duration::from_millis(200);
        c.core.throttle.failure_delay = std::time::Duration::from_millis(50);
    })
    .await?;
    s.add_user("tarpit", PW).await?;
    for _ in 0..5 {
        let (_, body) = s
            .soap12(
                PRINCIPAL,
                auth_envelope(SOAP12, "tarpit", "wrong password guess"),
            )
            .await?;
        assert_eq!(
            first_text(&body, "AuthenticationSucceeded").as_deref(),
            Some("false")
        );
    }
    // The failures (delayed) were answered as usual above; a delayed failure of an unknown
    // name answers exactly like a known one's.
    s.add_user("other-known", PW).await?;
    let known = s
        .soap12(
            PRINCIPAL,
            auth_envelope(SOAP12, "other-known", "wrong password guess"),
        )
        .await?;
    let unknown = s
        .soap12(
            PRINCIPAL,
            auth_envelope(SOAP12, "nobody-at-all", "wrong password guess"),
        )
        .await?;
    assert_eq!(known, unknown);
    assert_eq!(
        first_text(&known.1, "AuthenticationSucceeded").as_deref(),
        Some("false")
    );
    // Delayed, but the same answer, the same audit row and no hashing.
    let before = counters(&s).await?;
    let (_, body) = s
        .soap12(PRINCIPAL, auth_envelope(SOAP12, "tarpit", PW))
        .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("TooManyAttemptsException")
    );
    assert_eq!(counters(&s).await?, before);
    let r = s
        .http
        .post(s.url("/security/credentials"))
        .json(&serde_json::json!({"username": "tarpit", "password": PW}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("30")
    );
    let rows = s.core.audit(Some("tarpit"), None, None).await?;
    let throttled = rows.iter().filter(|r| r.event == "throttled").count();
    assert_eq!(throttled, 2, "one row per refused attempt");
    Ok(())
}
both_backends!(delayed_failures_and_refusals_answer_like_any_other);

#[tokio::test]
async fn the_waiting_budget_defaults_to_one_second() -> TestResult {
    let s = TestServer::start_with(|c| c.core.hash = fast_params()).await?;
    assert!(s.metric("passgate_hash_workers").await? >= 1.0);
    assert_eq!(s.metric("passgate_hash_wait_budget_seconds").await?, 1.0);
    assert_eq!(s.core.pool().max_wait(), std::time::Duration::from_secs(1));
    // The startup hash seeded the mean job cost.
    assert!(s.metric("passgate_hash_operation_seconds").await? > 0.0);
    // Configured explicitly, it is what was asked for.
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.core.hash_workers = 2;
        c.core.hash_max_wait = std::time::Duration::from_millis(250);
    })
    .await?;
    assert_eq!(
        (s.core.pool().workers(), s.core.pool().max_wait()),
        (2, std::time::Duration::from_millis(250))
    );
    assert_eq!(s.metric("passgate_hash_wait_budget_seconds").await?, 0.25);
    Ok(())
}
