//! Brute-force throttling with an injected clock: refusals cost no Argon2id work, delays
//! double up to a cap, success resets, and other accounts and addresses are unaffected.

use std::time::Duration;

use crate::harness::*;

const PW: &str = "correct horse battery staple";
const VERIFY: &str = "passgate_argon2_operations_total{op=\"verify\"}";

async fn login_from(
    s: &TestServer,
    addr: &str,
    user: &str,
    pw: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let r = s
        .http
        .post(s.url(PRINCIPAL))
        .header("Content-Type", "application/soap+xml")
        .header("X-Forwarded-For", addr)
        .body(auth_envelope(SOAP12, user, pw))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    Ok(r.text().await?)
}

async fn server() -> Result<TestServer, Box<dyn std::error::Error>> {
    TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.trusted_proxy_header = Some("x-forwarded-for".into());
    })
    .await
}

async fn account_throttle_doubles_caps_and_resets() -> TestResult {
    let s = server().await?;
    s.add_user("victim", PW).await?;
    s.add_user("bystander", PW).await?;
    for _ in 0..5 {
        let body = login_from(&s, "10.0.0.1", "victim", "wrong password guess").await?;
        assert_eq!(
            first_text(&body, "AuthenticationSucceeded").as_deref(),
            Some("false")
        );
        assert_eq!(first_text(&body, "ExceptionType"), None);
    }
    // The 6th attempt is refused without running Argon2id, even with the right password.
    let before = s.metric(VERIFY).await?;
    let body = login_from(&s, "10.0.0.1", "victim", PW).await?;
    assert_eq!(
        s.metric(VERIFY).await?,
        before,
        "a throttled attempt must not hash"
    );
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("TooManyAttemptsException")
    );
    assert!(
        first_text(&body, "Message").is_some_and(|m| m.contains("30 seconds")),
        "{body}"
    );
    // Another account and the same account's REST change path from elsewhere are separate keys.
    assert!(first_text(
        &login_from(&s, "10.0.0.1", "bystander", PW).await?,
        "Ticket"
    )
    .is_some());

    // Delay doubles: after 30 s one more failure blocks for 60 s, then 120 s ...
    let mut expect = 60;
    while expect <= 3600 {
        s.advance(Duration::from_secs(3601));
        let body = login_from(&s, "10.0.0.2", "victim", "wrong password guess").await?;
        assert_eq!(
            first_text(&body, "AuthenticationSucceeded").as_deref(),
            Some("false")
        );
        let body = login_from(&s, "10.0.0.2", "victim", PW).await?;
        let msg = first_text(&body, "Message").unwrap_or_default();
        assert!(
            msg.contains(&format!("{expect} seconds")),
            "expected {expect}: {msg}"
        );
        expect = if expect >= 1920 { 3600 + 1 } else { expect * 2 };
    }
    // Capped at one hour.
    s.advance(Duration::from_secs(3601));
    let _ = login_from(&s, "10.0.0.2", "victim", "wrong password guess").await?;
    let body = login_from(&s, "10.0.0.2", "victim", PW).await?;
    assert!(first_text(&body, "Message").is_some_and(|m| m.contains("3600 seconds")));

    // Once the block ends, success works and resets the counter.
    s.advance(Duration::from_secs(3601));
    assert!(first_text(&login_from(&s, "10.0.0.2", "victim", PW).await?, "Ticket").is_some());
    let body = login_from(&s, "10.0.0.2", "victim", "wrong password guess").await?;
    assert_eq!(
        first_text(&body, "ExceptionType"),
        None,
        "counter was reset"
    );
    Ok(())
}
both_backends!(account_throttle_doubles_caps_and_resets);

#[tokio::test]
async fn throttled_known_and_unknown_names_are_identical() -> TestResult {
    let s = server().await?;
    s.add_user("known", PW).await?;
    for name in ["known", "unknown-name"] {
        for _ in 0..5 {
            let _ = login_from(&s, "10.1.0.1", name, "wrong password guess").await?;
        }
    }
    let a = login_from(&s, "10.1.0.1", "known", "wrong password guess").await?;
    let b = login_from(&s, "10.1.0.1", "unknown-name", "wrong password guess").await?;
    assert_eq!(a, b);
    assert!(a.contains("TooManyAttemptsException"));
    Ok(())
}

#[tokio::test]
async fn address_limit_trips_at_101_failures_and_spares_other_addresses() -> TestResult {
    let s = server().await?;
    s.add_user("good", PW).await?;
    // 101 failures spread over many names (so no account block) from one address.
    for i in 0..101 {
        let body = login_from(
            &s,
            "192.0.2.7",
            &format!("spray{}", i % 30),
            "wrong password guess",
        )
        .await?;
        assert_eq!(
            first_text(&body, "ExceptionType"),
            None,
            "attempt {} must still be checked",
            i + 1
        );
    }
    let body = login_from(&s, "192.0.2.7", "good", PW).await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("TooManyAttemptsException")
    );
    // Another address logs in fine.
    assert!(first_text(&login_from(&s, "192.0.2.8", "good", PW).await?, "Ticket").is_some());
    // After the 10-minute block the address is free again.
    s.advance(Duration::from_secs(601));
    assert!(first_text(&login_from(&s, "192.0.2.7", "good", PW).await?, "Ticket").is_some());
    Ok(())
}

async fn current_password_checks_are_throttled_and_rest_answers_429() -> TestResult {
    let s = server().await?;
    s.add_user("chg", PW).await?;
    let sid = crate::rest::rest_login(&s, "chg", PW).await?;
    for _ in 0..5 {
        let r = s.http.put(s.url("/logins/ChangePassword")).json(&serde_json::json!({"sessionId": sid, "password": "wrong password guess", "newPassword": "a new long passphrase"})).send().await?;
        assert_eq!(r.status().as_u16(), 200);
    }
    let before = s.metric(VERIFY).await?;
    let r = s.http.put(s.url("/logins/ChangePassword")).json(&serde_json::json!({"sessionId": sid, "password": PW, "newPassword": "a new long passphrase"})).send().await?;
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("30")
    );
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["responseStatus"]["errorCode"], "TooManyRequests");
    assert_eq!(s.metric(VERIFY).await?, before);
    Ok(())
}
both_backends!(current_password_checks_are_throttled_and_rest_answers_429);

#[tokio::test]
async fn audit_rows_for_a_throttled_flow() -> TestResult {
    let s = server().await?;
    let user = s.add_user("audited", PW).await?;
    for _ in 0..5 {
        let _ = login_from(&s, "10.9.0.1", "audited", "wrong password guess").await?;
    }
    let _ = login_from(&s, "10.9.0.1", "audited", PW).await?;
    let rows = s.core.audit(Some("audited"), None, None).await?;
    let events: Vec<(&str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.event.as_str(), r.reason.as_deref()))
        .collect();
    assert_eq!(
        events,
        vec![
            ("user_created", Some("user")),
            ("login_failed", Some("bad_password")),
            ("login_failed", Some("bad_password")),
            ("login_failed", Some("bad_password")),
            ("login_failed", Some("bad_password")),
            ("login_failed", Some("bad_password")),
            ("throttle_tripped", Some("account:30s")),
            ("throttled", Some("account")),
        ]
    );
    assert!(rows
        .iter()
        .all(|r| r.user_id.as_deref() == Some(user.id.to_string().as_str())));
    assert!(rows[1..]
        .iter()
        .all(|r| r.client_addr.as_deref() == Some("10.9.0.1") && r.front_end == "soap"));
    Ok(())
}

async fn operator_lock_ends_sessions_and_looks_like_a_wrong_password() -> TestResult {
    let s = server().await?;
    s.add_user("lockme", PW).await?;
    let ticket = s.login("lockme", PW).await?.ok_or("login")?;
    let wrong = login_from(&s, "10.2.0.1", "lockme", "wrong password guess").await?;
    let ctx = passgate_core::RequestContext::new(passgate_core::audit::FrontEnd::Cli);
    s.core.lock_user(&ctx, "lockme", None).await?;
    let locked = login_from(&s, "10.2.0.1", "lockme", PW).await?;
    assert_eq!(
        locked, wrong,
        "a locked account answers exactly like a wrong password"
    );
    let (_, body) = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&ticket), PW, "another long passphrase"),
        )
        .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("SoTicketInvalidException")
    );
    s.core.unlock_user(&ctx, "lockme").await?;
    assert!(first_text(&login_from(&s, "10.2.0.1", "lockme", PW).await?, "Ticket").is_some());
    Ok(())
}
both_backends!(operator_lock_ends_sessions_and_looks_like_a_wrong_password);

async fn rest_auth(
    s: &TestServer,
    addr: &str,
    user: &str,
    pw: &str,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let r = s
        .http
        .post(s.url("/security/credentials"))
        .header("X-Forwarded-For", addr)
        .json(&serde_json::json!({"username": user, "password": pw}))
        .send()
        .await?;
    Ok((r.status().as_u16(), r.text().await?))
}

#[tokio::test]
async fn rest_enumeration_unknown_wrong_locked_and_throttled_are_identical() -> TestResult {
    let s = server().await?;
    s.add_user("known", PW).await?;
    s.add_user("locked", PW).await?;
    let ctx = passgate_core::RequestContext::new(passgate_core::audit::FrontEnd::Cli);
    s.core.lock_user(&ctx, "locked", None).await?;
    let wrong = rest_auth(&s, "10.3.0.1", "known", "wrong password guess").await?;
    let unknown = rest_auth(&s, "10.3.0.2", "nobody-here", "wrong password guess").await?;
    let locked = rest_auth(&s, "10.3.0.3", "locked", PW).await?;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, locked);
    for name in ["known", "nobody-here"] {
        for _ in 0..5 {
            let _ = rest_auth(&s, "10.3.0.9", name, "wrong password guess").await?;
        }
    }
    let a = rest_auth(&s, "10.3.0.9", "known", PW).await?;
    let b = rest_auth(&s, "10.3.0.9", "nobody-here", PW).await?;
    assert_eq!(a.0, 429);
    assert_eq!(a, b);
    Ok(())
}

async fn audit_rows_for_a_cross_front_end_change() -> TestResult {
    let s = server().await?;
    s.add_user("flow", PW).await?;
    let _ticket = s.login("flow", PW).await?.ok_or("login")?;
    let sid = crate::rest::rest_login(&s, "flow", PW).await?;
    let r = s
        .http
        .put(s.url("/logins/ChangePassword"))
        .json(&serde_json::json!({"sessionId": sid, "password": "wrong password guess", "newPassword": "a new long passphrase"}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let r = s
        .http
        .put(s.url("/logins/ChangePassword"))
        .json(&serde_json::json!({"sessionId": sid, "password": PW, "newPassword": "a new long passphrase"}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let rows = s.core.audit(Some("flow"), None, None).await?;
    let events: Vec<(&str, &str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.event.as_str(), r.front_end.as_str(), r.reason.as_deref()))
        .collect();
    assert_eq!(
        events,
        vec![
            ("user_created", "cli", Some("user")),
            ("login_ok", "soap", Some("soap_ticket")),
            ("login_ok", "rest", Some("rest_session")),
            (
                "password_change_failed",
                "rest",
                Some("bad_current_password")
            ),
            ("password_changed", "rest", None),
        ]
    );
    let logs = captured_logs();
    assert!(
        logs.contains("\"event\":\"password_changed\""),
        "audit rows go to the log as JSON"
    );
    Ok(())
}
both_backends!(audit_rows_for_a_cross_front_end_change);
