//! The main SOAP flows: log in, change the password with the seed request, SOAP 1.1 and 1.2.

use std::time::Duration;

use crate::harness::*;

const OLD: &str = "correct horse battery staple";
const NEW: &str = "a brand new passphrase, long";

async fn seed_request_changes_the_password() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("alice", OLD).await?;
    let ticket = s.login("alice", OLD).await?.ok_or("login failed")?;
    assert!(ticket.starts_with("7T:"));

    let (status, body) = s
        .soap12(USER, seed_change_request(&ticket, OLD, NEW)?)
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(envelope_ns(&body).as_deref(), Some(SOAP12));
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );
    assert_eq!(first_text(&body, "Succeeded").as_deref(), Some("true"));
    assert_eq!(first_text(&body, "ExceptionInfo"), None);

    assert_eq!(s.login("alice", OLD).await?, None, "old password must fail");
    assert!(
        s.login("alice", NEW).await?.is_some(),
        "new password must work"
    );
    Ok(())
}
both_backends!(seed_request_changes_the_password);

#[tokio::test]
async fn soap11_with_header_changes_the_password() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("bob", OLD).await?;
    let (status, body) = s
        .soap11(
            PRINCIPAL,
            "SoPrincipal/AuthenticateUsernamePassword",
            auth_envelope(SOAP11, "bob", OLD),
        )
        .await?;
    assert_eq!(status, 200);
    assert_eq!(envelope_ns(&body).as_deref(), Some(SOAP11));
    assert_eq!(
        first_text(&body, "AuthenticationSucceeded").as_deref(),
        Some("true")
    );
    assert_eq!(first_text(&body, "Associate").as_deref(), Some("bob"));
    assert_eq!(
        first_text(&body, "EMailAddress").as_deref(),
        Some("bob@example.com")
    );
    let ticket = first_text(&body, "Ticket").ok_or("no ticket")?;

    let (status, body) = s
        .soap11(
            USER,
            "User/ChangeOwnPassword",
            change_envelope(SOAP11, Some(&ticket), OLD, NEW),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(envelope_ns(&body).as_deref(), Some(SOAP11));
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );
    assert_eq!(s.login("bob", OLD).await?, None);
    assert!(s.login("bob", NEW).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn login_by_unique_email_and_case_insensitive_name() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("Carol", OLD).await?;
    assert!(s.login("carol", OLD).await?.is_some());
    assert!(s.login("CAROL@example.com", OLD).await?.is_some());
    assert_eq!(s.login("carol", "wrong password, clearly").await?, None);
    Ok(())
}

#[tokio::test]
async fn wrong_old_password_answers_false_and_changes_nothing() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("dave", OLD).await?;
    let ticket = s.login("dave", OLD).await?.ok_or("login failed")?;
    let (status, body) = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&ticket), "not my password at all", NEW),
        )
        .await?;
    assert_eq!(status, 200);
    assert_eq!(first_text(&body, "Response").as_deref(), Some("false"));
    assert_eq!(first_text(&body, "Succeeded").as_deref(), Some("true"));
    assert!(s.login("dave", OLD).await?.is_some());
    assert_eq!(s.login("dave", NEW).await?, None);
    Ok(())
}

#[tokio::test]
async fn policy_rejection_uses_the_exception_channel() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("erin", OLD).await?;
    let ticket = s.login("erin", OLD).await?.ok_or("login failed")?;
    let (status, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), OLD, "short"))
        .await?;
    assert_eq!(status, 200);
    assert_eq!(first_text(&body, "Succeeded").as_deref(), Some("false"));
    assert_eq!(first_text(&body, "Response").as_deref(), Some("false"));
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("PasswordPolicyException")
    );
    assert_eq!(first_text(&body, "Key").as_deref(), Some("too_short"));
    assert!(s.login("erin", OLD).await?.is_some());
    Ok(())
}

async fn change_revokes_other_tickets_and_keeps_the_callers() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("frank", OLD).await?;
    let mine = s.login("frank", OLD).await?.ok_or("login")?;
    let other = s.login("frank", OLD).await?.ok_or("login")?;
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&mine), OLD, NEW))
        .await?;
    assert_eq!(first_text(&body, "Response").as_deref(), Some("true"));
    // The other ticket is dead at once...
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&other), NEW, OLD))
        .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("SoTicketInvalidException")
    );
    // ...the caller's still works.
    let (_, body) = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&mine), NEW, "yet another long passphrase"),
        )
        .await?;
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );
    Ok(())
}
both_backends!(change_revokes_other_tickets_and_keeps_the_callers);

async fn tickets_expire_after_idle_time_and_slide_on_use() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("gina", OLD).await?;
    let ticket = s.login("gina", OLD).await?.ok_or("login")?;
    // Used every 5 hours, the ticket stays valid past 6 hours.
    for _ in 0..3 {
        s.advance(Duration::from_secs(5 * 3600));
        let (_, body) = s
            .soap12(
                USER,
                change_envelope(SOAP12, Some(&ticket), "wrong password here", NEW),
            )
            .await?;
        assert_eq!(
            first_text(&body, "Response").as_deref(),
            Some("false"),
            "{body}"
        );
        assert_eq!(first_text(&body, "Succeeded").as_deref(), Some("true"));
    }
    // Unused for more than 6 hours it expires.
    s.advance(Duration::from_secs(6 * 3600 + 1));
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), OLD, NEW))
        .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("SoTicketInvalidException")
    );
    Ok(())
}
both_backends!(tickets_expire_after_idle_time_and_slide_on_use);

#[tokio::test]
async fn tickets_hit_the_absolute_cap() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.core.session_absolute = Duration::from_secs(10 * 3600);
    })
    .await?;
    s.add_user("hank", OLD).await?;
    let ticket = s.login("hank", OLD).await?.ok_or("login")?;
    for hours in [4, 4] {
        s.advance(Duration::from_secs(hours * 3600));
        let (_, body) = s
            .soap12(
                USER,
                change_envelope(SOAP12, Some(&ticket), "wrong password here", NEW),
            )
            .await?;
        assert_eq!(
            first_text(&body, "Succeeded").as_deref(),
            Some("true"),
            "{body}"
        );
    }
    s.advance(Duration::from_secs(2 * 3600 + 1));
    let (_, body) = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&ticket), "wrong password here", NEW),
        )
        .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("SoTicketInvalidException")
    );
    Ok(())
}

#[tokio::test]
async fn get_system_info_answers_without_a_ticket() -> TestResult {
    let s = TestServer::start().await?;
    let body = format!(
        r#"<s:Envelope xmlns:s="{SOAP12}"><s:Body><GetSystemInfo xmlns="{TNS}"/></s:Body></s:Envelope>"#
    );
    let (status, body) = s.soap12(PRINCIPAL, body).await?;
    assert_eq!(status, 200);
    assert_eq!(first_text(&body, "BranchName").as_deref(), Some("passgate"));
    assert_eq!(first_text(&body, "Succeeded").as_deref(), Some("true"));
    Ok(())
}

#[tokio::test]
async fn rehash_on_login_when_parameters_change() -> TestResult {
    let s = TestServer::start().await?;
    // A user whose hash was made with other (older) parameters.
    let mut old_worker =
        passgate_core::credential::Argon2Worker::new(passgate_core::credential::HashParams {
            m_kib: 512,
            t: 1,
            p: 1,
        })?;
    let user = s.add_user("ivan", OLD).await?;
    let legacy = old_worker.hash(OLD)?;
    let store = s.core.store();
    let audit = passgate_core::audit::AuditEvent {
        at: passgate_core::Timestamp(0),
        user_id: Some(user.id),
        username: None,
        kind: passgate_core::audit::AuditKind::PasswordRehashed,
        front_end: passgate_core::audit::FrontEnd::Cli,
        client_addr: None,
        reason: Some("test".into()),
        actor: None,
    };
    assert!(
        store
            .rehash_password(user.id, user.credential_version, &legacy, &audit)
            .await?
    );
    assert!(s.login("ivan", OLD).await?.is_some());
    let after = s.core.user_by_id(user.id).await?.ok_or("user gone")?;
    assert!(
        after.password_hash.contains("m=1024,t=1,p=1"),
        "{}",
        after.password_hash
    );
    assert!(s.login("ivan", OLD).await?.is_some());
    Ok(())
}
