//! No enumeration through replies or cost, and no secret in any log line.

use crate::harness::*;

const PW: &str = "correct horse battery staple";

#[tokio::test]
async fn unknown_user_and_wrong_password_are_identical_and_cost_one_verification() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("alice", PW).await?;
    let verify = "passgate_argon2_operations_total{op=\"verify\"}";
    let mut replies = Vec::new();
    for user in ["alice", "nobody-by-this-name"] {
        let before = s.metric(verify).await?;
        let (status, body) = s
            .soap12(
                PRINCIPAL,
                auth_envelope(SOAP12, user, "definitely the wrong password"),
            )
            .await?;
        let after = s.metric(verify).await?;
        assert_eq!(
            after - before,
            1.0,
            "{user}: exactly one Argon2id verification"
        );
        replies.push((status, body));
    }
    assert_eq!(replies[0], replies[1], "byte-identical replies");
    assert_eq!(
        first_text(&replies[0].1, "AuthenticationSucceeded").as_deref(),
        Some("false")
    );
    // An unparseable name (empty) costs the same too.
    let before = s.metric(verify).await?;
    let (_, body) = s.soap12(PRINCIPAL, auth_envelope(SOAP12, "", "x")).await?;
    assert_eq!(s.metric(verify).await? - before, 1.0);
    assert_eq!(body, replies[0].1);
    Ok(())
}

#[tokio::test]
async fn no_password_or_ticket_reaches_the_logs() -> TestResult {
    let s = TestServer::start().await?;
    let old = "Sekrit-Old-Passphrase-111";
    let new = "Sekrit-New-Passphrase-222";
    let wrong = "Sekrit-Wrong-Passphrase-333";
    s.add_user("logcheck", old).await?;
    let ticket = s.login("logcheck", old).await?.ok_or("login")?;
    let _ = s.login("logcheck", wrong).await?;
    let _ = s.login("nobody-logcheck", wrong).await?;
    let _ = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), wrong, new))
        .await?;
    let _ = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&ticket), old, "Sekrit-short"),
        )
        .await?;
    let (_, body) = s
        .soap12(USER, seed_change_request(&ticket, old, new)?)
        .await?;
    assert_eq!(first_text(&body, "Response").as_deref(), Some("true"));
    let ticket2 = s.login("logcheck", new).await?.ok_or("login")?;
    let _ = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some("7T:not-a-real-ticket-Sekrit"), old, new),
        )
        .await?;
    // Debug output of the secret-carrying types stays redacted too.
    let p = passgate_core::domain::Password::new(old);
    assert!(!format!("{p:?}").contains(old));

    let logs = captured_logs();
    assert!(logs.contains("logcheck"), "the capture must be working");
    for secret in [
        old,
        new,
        wrong,
        "Sekrit",
        &ticket,
        &ticket2,
        &ticket[3..],
        &ticket2[3..],
    ] {
        assert!(
            !logs.contains(secret),
            "a secret leaked into the logs: {secret:.6}…"
        );
    }
    Ok(())
}
