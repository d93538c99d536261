//! Password reset by e-mail and notifications, end to end: the real server, a real SMTP
//! server (aiosmtpd) reading what was delivered over the wire, and the links followed back
//! through `ChangePasswordWithToken`.

use std::time::Duration;

use passgate::config::Settings;
use passgate_core::outbox::MailKind;
use passgate_mail::{MailSettings, SmtpSettings, TlsMode};

use crate::harness::*;
use crate::rest::{put_json, rest_login};
use crate::smtp::{python, SmtpSink};

const PW: &str = "correct horse battery staple";
const NEW: &str = "a brand new passphrase, long";
const PORTAL: &str = "https://portal.example/reset";
const WAIT: Duration = Duration::from_secs(30);

/// Points `s` at the SMTP server on `port` with quick retries, and allows [`PORTAL`].
pub fn use_mail(s: &mut Settings, port: u16) {
    s.core.hash = fast_params();
    s.mail = Some(MailSettings {
        smtp: SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            tls: TlsMode::None,
            username: None,
            password: None,
            ca_file: None,
            timeout: Duration::from_secs(10),
        },
        from: "Acme CRM <noreply@acme.example>".into(),
        templates_dir: None,
        max_attempts: 5,
        retry_base: Duration::from_secs(1),
        retry_max: Duration::from_secs(2),
        poll_interval: Duration::from_millis(200),
        lease: Duration::from_secs(60),
        reset_ttl: s.core.reset.token_ttl,
    });
    s.core.mail.enabled = true;
    s.core.reset.allowed_urls = vec![PORTAL.into()];
    s.system_name = "Acme CRM".into();
}

async fn forgot(
    s: &TestServer,
    email: &str,
    url: &str,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let r = s
        .http
        .put(s.url("/logins/ForgotPassword"))
        .json(&serde_json::json!({"email": email, "changePwdUrl": url}))
        .send()
        .await?;
    Ok((r.status().as_u16(), r.text().await?))
}

async fn with_token(
    s: &TestServer,
    token: &str,
    new: &str,
) -> Result<(u16, serde_json::Value), Box<dyn std::error::Error>> {
    put_json(
        s,
        "/logins/ChangePasswordWithToken",
        serde_json::json!({"authToken": token, "newPassword": new}),
    )
    .await
}

async fn audit_events(s: &TestServer) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    Ok(s.core
        .store()
        .list_audit(&Default::default())
        .await?
        .into_iter()
        .map(|r| r.event)
        .collect())
}

both_backends!(reset_by_mail_end_to_end);
async fn reset_by_mail_end_to_end() -> TestResult {
    let Some(py) = python("reset-by-mail test") else {
        return Ok(());
    };
    let smtp = SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| use_mail(c, smtp.port)).await?;
    let ann = s.add_user("ann", PW).await?;
    s.add_user("bob", PW).await?;
    let ticket = s.login("ann", PW).await?.ok_or("login")?;
    let session = rest_login(&s, "ann", PW).await?;

    let (status, body) = forgot(&s, "ANN@Example.com", PORTAL).await?;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body)?;
    assert_eq!(v["result"]["hasError"], false);
    assert!(v["result"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("If the address"));

    let mails = smtp.wait_for(1, WAIT).await?;
    let mail = &mails[0];
    assert_eq!(mail.rcpt_tos, vec!["ann@example.com".to_owned()]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Acme CRM: reset your password")
    );
    assert!(mail
        .header("From")
        .unwrap_or_default()
        .contains("noreply@acme.example"));
    assert!(mail
        .header("Message-ID")
        .unwrap_or_default()
        .ends_with("@acme.example>"));
    assert!(
        mail.text().contains("https://portal.example/reset?token="),
        "{}",
        mail.text()
    );
    assert!(mail.data.contains("text/html"), "an HTML alternative");
    let token = mail.token().ok_or("no token in the mail")?;

    // Any Guid form works; the link sends the N form.
    let dashed = uuid::Uuid::try_parse(&token)?.hyphenated().to_string();
    let (status, v) = with_token(&s, &dashed, NEW).await?;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"]["result"], "Success", "{v}");

    // Every session ended; the new password works, the old one does not.
    let (st, body) = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&ticket), NEW, "whatever else 123"),
        )
        .await?;
    assert!(body.contains("SoTicketInvalidException"), "{st} {body}");
    let (st, _) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": session, "password": NEW, "newPassword": "x y z w v u t"}),
    )
    .await?;
    assert_eq!(st, 401);
    assert!(s.login("ann", PW).await?.is_none());
    assert!(s.login("ann", NEW).await?.is_some());
    assert!(
        s.login("bob", PW).await?.is_some(),
        "a token resets its own user only"
    );

    // The token is single use.
    let (_, v) = with_token(&s, &token, "yet another fine passphrase").await?;
    assert_eq!(v["result"]["result"], "Fail", "{v}");
    assert!(s.login("ann", NEW).await?.is_some());

    // The user is told, by a second mail, and the audit trail has it all.
    let mails = smtp.wait_for(2, WAIT).await?;
    assert_eq!(
        mails[1].header("Subject").as_deref(),
        Some("Acme CRM: your password was reset")
    );
    assert!(mails[1].token().is_none(), "no secret in a notification");
    let events = audit_events(&s).await?;
    for e in ["reset_requested", "password_reset", "reset_failed"] {
        assert!(events.iter().any(|x| x == e), "{e} missing in {events:?}");
    }
    let user = s
        .core
        .store()
        .find_user(passgate_core::store::UserLookup::Id(ann.id))
        .await?
        .ok_or("user")?;
    assert!(!user.must_change_password);
    // Sent rows keep no link.
    let rows = s.core.store().list_mail(None, 10).await?;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| !r.mail.params.0.contains_key("link")));
    assert!(
        s.metric("passgate_mail_deliveries_total{result=\"sent\"}")
            .await?
            >= 2.0
    );
    assert_eq!(s.metric("passgate_mail_outbox{state=\"sent\"}").await?, 2.0);
    smtp.stop().await?;
    Ok(())
}

#[tokio::test]
async fn forgot_password_answers_alike_for_known_unknown_locked_and_limited() -> TestResult {
    let Some(py) = python("reset enumeration test") else {
        return Ok(());
    };
    let smtp = SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| {
        use_mail(c, smtp.port);
        c.core.reset.per_user_per_hour = 1;
        c.core.reset.per_client_per_hour = 1000;
    })
    .await?;
    s.add_user("known", PW).await?;
    s.add_user("locked", PW).await?;
    s.core
        .lock_user(
            &passgate_core::RequestContext::new(passgate_core::audit::FrontEnd::Cli),
            "locked",
            None,
        )
        .await?;
    let mut replies = Vec::new();
    let mut timings: Vec<(&str, Vec<Duration>)> = Vec::new();
    for (label, email) in [
        ("known", "known@example.com"),
        ("limited", "known@example.com"),
        ("unknown", "nobody-here@example.com"),
        ("locked", "locked@example.com"),
    ] {
        let mut times = Vec::new();
        for _ in 0..15 {
            let t0 = std::time::Instant::now();
            replies.push((label, forgot(&s, email, PORTAL).await?));
            times.push(t0.elapsed());
        }
        timings.push((label, times));
    }
    let first = &replies[0].1;
    assert_eq!(first.0, 200);
    for (label, reply) in &replies {
        assert_eq!(reply, first, "{label}: byte-identical reply");
    }
    // Exactly one mail: the known address within its hourly limit.
    tokio::time::sleep(Duration::from_secs(1)).await;
    // (The lock itself sent `locked` a notification.)
    let mails = smtp.wait_for(2, WAIT).await?;
    let links: Vec<_> = mails.iter().filter(|m| m.token().is_some()).collect();
    assert_eq!(links.len(), 1, "{mails:?}");
    assert_eq!(links[0].rcpt_tos, vec!["known@example.com".to_owned()]);
    // Same timing class: every path is one lookup and one small write; medians within a
    // few milliseconds of each other (no hashing, no mail on the request path).
    let median = |v: &Vec<Duration>| {
        let mut v = v.clone();
        v.sort();
        v[v.len() / 2]
    };
    let medians: Vec<(&str, Duration)> = timings.iter().map(|(l, v)| (*l, median(v))).collect();
    eprintln!("ForgotPassword median latency by case: {medians:?}");
    let max = medians.iter().map(|m| m.1).max().unwrap_or_default();
    let min = medians.iter().map(|m| m.1).min().unwrap_or_default();
    assert!(
        max.saturating_sub(min) < Duration::from_millis(15),
        "timing classes differ: {medians:?}"
    );
    let events = audit_events(&s).await?;
    assert!(events.iter().filter(|e| *e == "reset_suppressed").count() >= 3 * 15);
    smtp.stop().await?;
    Ok(())
}

#[tokio::test]
async fn bad_tokens_are_refused_and_change_nothing() -> TestResult {
    let Some(py) = python("reset token test") else {
        return Ok(());
    };
    let smtp = SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| use_mail(c, smtp.port)).await?;
    s.add_user("bea", PW).await?;
    s.add_user("cid", PW).await?;
    let fail = |v: &serde_json::Value| v["result"]["result"] == "Fail";

    // Superseded: the first of two links no longer works.
    forgot(&s, "bea@example.com", PORTAL).await?;
    let first = smtp.wait_for(1, WAIT).await?[0].token().ok_or("token")?;
    forgot(&s, "bea@example.com", PORTAL).await?;
    let second = smtp.wait_for(2, WAIT).await?[1].token().ok_or("token")?;
    assert_ne!(first, second);
    let (st, v) = with_token(&s, &first, NEW).await?;
    assert!(st == 200 && fail(&v), "{v}");
    assert!(s.login("bea", PW).await?.is_some(), "nothing changed");

    // Voided by a password change made another way.
    let sid = rest_login(&s, "bea", PW).await?;
    let (_, v) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": sid, "password": PW, "newPassword": NEW}),
    )
    .await?;
    assert_eq!(v["result"]["result"], "Success", "{v}");
    let (_, v) = with_token(&s, &second, "some other good passphrase").await?;
    assert!(fail(&v), "{v}");
    assert!(s.login("bea", NEW).await?.is_some());

    // Expired.
    forgot(&s, "cid@example.com", PORTAL).await?;
    let mails = smtp.wait_for(4, WAIT).await?;
    let cid_token = mails
        .iter()
        .filter(|m| m.rcpt_tos == ["cid@example.com"])
        .find_map(|m| m.token())
        .ok_or("cid token")?;
    s.clock.advance(Duration::from_secs(31 * 60));
    let (_, v) = with_token(&s, &cid_token, NEW).await?;
    assert!(fail(&v), "{v}");
    assert!(s.login("cid", PW).await?.is_some());

    // Unknown, malformed and missing tokens.
    let (st, v) = with_token(&s, &uuid::Uuid::new_v4().simple().to_string(), NEW).await?;
    assert!(st == 200 && fail(&v), "{v}");
    let (st, v) = with_token(&s, "not-a-guid", NEW).await?;
    assert_eq!(st, 400, "{v}");
    assert_eq!(
        v["responseStatus"]["errorCode"], "SerializationException",
        "{v}"
    );
    let (st, v) = put_json(
        &s,
        "/logins/ChangePasswordWithToken",
        serde_json::json!({"newPassword": NEW}),
    )
    .await?;
    assert_eq!(st, 400, "{v}");
    assert!(
        v["responseStatus"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("authToken"),
        "{v}"
    );
    assert!(s.login("cid", PW).await?.is_some());
    smtp.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_reset_runs_the_whole_policy_and_a_refusal_keeps_the_token() -> TestResult {
    let Some(py) = python("reset policy test") else {
        return Ok(());
    };
    let smtp = SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| use_mail(c, smtp.port)).await?;
    s.add_user("dora", PW).await?;
    forgot(&s, "dora@example.com", PORTAL).await?;
    let token = smtp.wait_for(1, WAIT).await?[0].token().ok_or("token")?;
    for weak in ["short", "dora dora dora dora", PW] {
        let (st, v) = with_token(&s, &token, weak).await?;
        assert_eq!(st, 200);
        assert_eq!(v["result"]["result"], "Fail", "{weak}: {v}");
        assert!(
            !v["responseStatus"]["errors"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "{v}"
        );
    }
    let (_, v) = with_token(&s, &token, NEW).await?;
    assert_eq!(v["result"]["result"], "Success", "{v}");
    smtp.stop().await?;
    Ok(())
}

#[tokio::test]
async fn change_url_must_be_allow_listed_and_mail_must_be_configured() -> TestResult {
    let Some(py) = python("reset allow-list test") else {
        return Ok(());
    };
    let smtp = SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| use_mail(c, smtp.port)).await?;
    s.add_user("eve", PW).await?;
    for url in [
        "",
        "https://portal.example.evil.example/reset",
        "https://portal.example@evil.example/reset",
        "https://evil.example/?https://portal.example/reset",
        "javascript:alert(1)",
    ] {
        let (st, body) = forgot(&s, "eve@example.com", url).await?;
        assert_eq!(st, 400, "{url}: {body}");
        assert!(body.contains("changePwdUrl"), "{body}");
        assert!(
            !body.contains("evil"),
            "the refusal does not echo the input"
        );
    }
    // A link keeps the allowed URL's own query and fragment.
    let (st, _) = forgot(
        &s,
        "eve@example.com",
        "https://portal.example/reset?lang=de#top",
    )
    .await?;
    assert_eq!(st, 200);
    let mails = smtp.wait_for(1, WAIT).await?;
    assert!(mails[0]
        .text()
        .contains("https://portal.example/reset?lang=de&token="));
    assert_eq!(mails.len(), 1, "nothing sent for refused requests");
    smtp.stop().await?;

    // Without mail, ForgotPassword says so (501) for every address.
    let plain = TestServer::start().await?;
    let (st, body) = forgot(&plain, "eve@example.com", PORTAL).await?;
    assert_eq!(st, 501, "{body}");
    assert!(body.contains("NotImplemented"), "{body}");
    Ok(())
}

#[tokio::test]
async fn clients_over_their_hourly_limit_are_throttled() -> TestResult {
    let Some(py) = python("reset client limit test") else {
        return Ok(());
    };
    let smtp = SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| {
        use_mail(c, smtp.port);
        c.core.reset.per_client_per_hour = 3;
    })
    .await?;
    for _ in 0..3 {
        assert_eq!(forgot(&s, "x@example.com", PORTAL).await?.0, 200);
    }
    let r = s
        .http
        .put(s.url("/logins/ForgotPassword"))
        .json(&serde_json::json!({"email": "x@example.com", "changePwdUrl": PORTAL}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or("Retry-After")?;
    assert!((1..=3600).contains(&retry), "{retry}");
    s.clock.advance(Duration::from_secs(3601));
    assert_eq!(forgot(&s, "x@example.com", PORTAL).await?.0, 200);
    smtp.stop().await?;
    Ok(())
}

#[tokio::test]
async fn every_change_lock_and_admin_set_notifies_the_user() -> TestResult {
    let Some(py) = python("notification test") else {
        return Ok(());
    };
    let smtp = SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| use_mail(c, smtp.port)).await?;
    s.add_user("fay", PW).await?;
    let cli = passgate_core::RequestContext::new(passgate_core::audit::FrontEnd::Cli);
    // SOAP change.
    let ticket = s.login("fay", PW).await?.ok_or("login")?;
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), PW, NEW))
        .await?;
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );
    // Operator set, then lock.
    s.core
        .admin_set_password(
            &cli,
            "fay",
            passgate_core::domain::Password::new("operator chosen passphrase 9"),
            true,
        )
        .await?;
    s.core.lock_user(&cli, "fay", None).await?;
    let mails = smtp.wait_for(3, WAIT).await?;
    // The clock is frozen, so the three rows tie on time: compare them as a set.
    let mut subjects: Vec<String> = mails.iter().filter_map(|m| m.header("Subject")).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        vec![
            "Acme CRM: an administrator set a new password",
            "Acme CRM: your account was locked",
            "Acme CRM: your password was changed",
        ]
    );
    let changed = mails
        .iter()
        .find(|m| {
            m.header("Subject")
                .is_some_and(|s| s.ends_with("was changed"))
        })
        .ok_or("no change notice")?;
    assert!(
        changed.text().contains("through soap"),
        "{}",
        changed.text()
    );
    for m in &mails {
        assert!(
            !m.text().contains(NEW) && !m.text().contains("operator chosen"),
            "no password in a mail"
        );
    }
    // A user without an address gets nothing, and that is audited.
    s.core
        .create_user(
            &cli,
            passgate_core::service::NewUserInput {
                username: passgate_core::domain::Username::parse("noaddr")?,
                email: None,
                full_name: None,
                role: passgate_core::domain::Role::User,
                password: passgate_core::domain::Password::new(PW),
            },
        )
        .await?;
    s.core.lock_user(&cli, "noaddr", None).await?;
    let rows = s.core.store().list_audit(&Default::default()).await?;
    assert!(rows.iter().any(
        |r| r.event == "mail_skipped" && r.reason.as_deref() == Some("no_email:account_locked")
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages()?.len(), 3);
    smtp.stop().await?;
    Ok(())
}

#[tokio::test]
async fn notifications_can_be_turned_off_per_kind() -> TestResult {
    let Some(py) = python("notification settings test") else {
        return Ok(());
    };
    let smtp = SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| {
        use_mail(c, smtp.port);
        c.core.mail.notify = vec![MailKind::AccountLocked];
    })
    .await?;
    s.add_user("gus", PW).await?;
    let ticket = s.login("gus", PW).await?.ok_or("login")?;
    s.soap12(USER, change_envelope(SOAP12, Some(&ticket), PW, NEW))
        .await?;
    let cli = passgate_core::RequestContext::new(passgate_core::audit::FrontEnd::Cli);
    s.core.lock_user(&cli, "gus", None).await?;
    let mails = smtp.wait_for(1, WAIT).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages()?.len(), 1);
    assert_eq!(
        mails[0].header("Subject").as_deref(),
        Some("Acme CRM: your account was locked")
    );
    smtp.stop().await?;
    Ok(())
}

#[tokio::test]
async fn no_reset_token_or_link_reaches_the_logs() -> TestResult {
    let Some(py) = python("reset log test") else {
        return Ok(());
    };
    let smtp = SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| use_mail(c, smtp.port)).await?;
    s.add_user("hal", PW).await?;
    forgot(&s, "hal@example.com", PORTAL).await?;
    let token = smtp.wait_for(1, WAIT).await?[0].token().ok_or("token")?;
    let dashed = uuid::Uuid::try_parse(&token)?.hyphenated().to_string();
    with_token(&s, &dashed, NEW).await?;
    with_token(&s, &token, NEW).await?;
    let logs = captured_logs();
    assert!(
        logs.contains("reset_requested"),
        "the capture must be working"
    );
    assert!(
        !logs.contains(&token) && !logs.contains(&dashed),
        "a reset token leaked into the logs"
    );
    assert!(!logs.contains(NEW));
    smtp.stop().await?;
    Ok(())
}

/// A self-signed certificate for 127.0.0.1 made with openssl: (dir, cert path, key path).
fn test_certificate() -> Result<(tempfile::TempDir, String, String), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let (cert, key) = crate::tls::make_certificate(dir.path(), "smtp")?;
    Ok((dir, cert, key))
}

#[tokio::test]
async fn mail_goes_over_starttls_or_implicit_tls_with_auth_and_never_to_an_unknown_certificate(
) -> TestResult {
    let Some(py) = python("SMTP TLS test") else {
        return Ok(());
    };
    let (_dir, cert, key) = test_certificate()?;
    for mode in [TlsMode::StartTls, TlsMode::Implicit] {
        let flag = if mode == TlsMode::StartTls {
            "--starttls"
        } else {
            "--implicit"
        };
        let smtp =
            SmtpSink::start_with(&py, &[flag, &cert, &key, "--auth", "mailer:s3cret-smtp-pw"])
                .await?;
        let ca = cert.clone();
        let s = TestServer::start_with(|c| {
            use_mail(c, smtp.port);
            if let Some(m) = c.mail.as_mut() {
                m.smtp.tls = mode;
                m.smtp.ca_file = Some(ca.into());
                m.smtp.username = Some("mailer".into());
                m.smtp.password = Some("s3cret-smtp-pw".into());
            }
        })
        .await?;
        s.add_user("kim", PW).await?;
        forgot(&s, "kim@example.com", PORTAL).await?;
        let mails = match smtp.wait_for(1, WAIT).await {
            Ok(m) => m,
            Err(e) => {
                let rows = s.core.store().list_mail(None, 10).await?;
                return Err(format!("{mode:?}: {e}; outbox: {rows:?}").into());
            }
        };
        assert!(mails[0].tls, "{mode:?}: encrypted");
        assert_eq!(
            mails[0].login.as_deref(),
            Some("mailer"),
            "{mode:?}: authenticated"
        );
        assert!(mails[0].token().is_some());
        assert!(
            !captured_logs().contains("s3cret-smtp-pw"),
            "the SMTP password stays out of logs"
        );
        smtp.stop().await?;
    }
    // A certificate nobody vouched for: nothing is sent, the row dies with the reason.
    let smtp = SmtpSink::start_with(&py, &["--starttls", &cert, &key]).await?;
    let s = TestServer::start_with(|c| {
        use_mail(c, smtp.port);
        if let Some(m) = c.mail.as_mut() {
            m.smtp.tls = TlsMode::StartTls;
            m.max_attempts = 1;
        }
    })
    .await?;
    s.add_user("lee", PW).await?;
    forgot(&s, "lee@example.com", PORTAL).await?;
    let start = std::time::Instant::now();
    let dead = loop {
        let rows = s
            .core
            .store()
            .list_mail(Some(passgate_core::outbox::MailState::Dead), 10)
            .await?;
        if let Some(r) = rows.into_iter().next() {
            break r;
        }
        assert!(start.elapsed() < WAIT, "no dead letter");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let error = dead.last_error.unwrap_or_default().to_lowercase();
    assert!(
        error.contains("certificate") || error.contains("tls"),
        "{error}"
    );
    assert!(smtp.messages()?.is_empty());
    // And without STARTTLS on offer, `starttls` never falls back to plain text.
    let plain = SmtpSink::start(&py).await?;
    let s = TestServer::start_with(|c| {
        use_mail(c, plain.port);
        if let Some(m) = c.mail.as_mut() {
            m.smtp.tls = TlsMode::StartTls;
            m.max_attempts = 1;
        }
    })
    .await?;
    s.add_user("max", PW).await?;
    forgot(&s, "max@example.com", PORTAL).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(plain.messages()?.is_empty(), "no plain-text fall-back");
    smtp.stop().await?;
    plain.stop().await?;
    Ok(())
}
