//! SOAP admin operations (ChangePassword*, SetPassword*, SetGeneratedPassword*,
//! GenerateNewPasswordForExternalUser), forced changes, and online mode with application tokens.

use std::time::Duration;

use crate::harness::*;
use crate::rest::{put_json, rest_login};

const PW: &str = "correct horse battery staple";
const ADMIN_PW: &str = "the admin's own long passphrase";

struct World {
    s: TestServer,
    admin: String,
    user: String,
    other_assoc: i32,
    other_name: &'static str,
}

async fn world() -> Result<World, Box<dyn std::error::Error>> {
    let s = TestServer::start().await?;
    s.add_admin("boss", ADMIN_PW).await?;
    s.add_user("worker", PW).await?;
    let other = s.add_user("colleague", PW).await?;
    let admin = s.login("boss", ADMIN_PW).await?.ok_or("admin login")?;
    let user = s.login("worker", PW).await?.ok_or("user login")?;
    Ok(World {
        s,
        admin,
        user,
        other_assoc: other.associate_id.get(),
        other_name: "colleague",
    })
}

async fn call(
    s: &TestServer,
    ticket: &str,
    op: &str,
    params: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let (status, body) = s.soap12(USER, user_op_envelope(ticket, op, params)).await?;
    assert_eq!(status, 200, "{op}: {body}");
    Ok(body)
}

fn exception(body: &str) -> Option<String> {
    first_text(body, "ExceptionType")
}

fn p(name: &str, value: &str) -> String {
    format!("<{name}>{}</{name}>", esc(value))
}

#[tokio::test]
async fn change_password_admin_self_other_unknown() -> TestResult {
    let w = world().await?;
    let s = &w.s;
    let by_id = |assoc: i32, old: &str, new: &str| {
        format!(
            "{}{}{}",
            p("AssociateId", &assoc.to_string()),
            p("OldPassword", old),
            p("NewPassword", new)
        )
    };
    // Admin on another user with the right current password.
    let b = call(
        s,
        &w.admin,
        "ChangePassword",
        &by_id(w.other_assoc, PW, "colleague's second phrase"),
    )
    .await?;
    assert_eq!(first_text(&b, "Response").as_deref(), Some("true"), "{b}");
    // Wrong current password: false, nothing changed.
    let b = call(
        s,
        &w.admin,
        "ChangePassword",
        &by_id(w.other_assoc, "not it at all really", "x y z w v u t s"),
    )
    .await?;
    assert_eq!(first_text(&b, "Response").as_deref(), Some("false"), "{b}");
    assert!(s
        .login(w.other_name, "colleague's second phrase")
        .await?
        .is_some());
    // By name.
    let b = call(
        s,
        &w.admin,
        "ChangePasswordFromName",
        &format!(
            "{}{}{}",
            p("AssociateName", w.other_name),
            p("OldPassword", "colleague's second phrase"),
            p("NewPassword", "colleague's third phrase")
        ),
    )
    .await?;
    assert_eq!(first_text(&b, "Response").as_deref(), Some("true"), "{b}");
    // A user on themselves (AssociateId 0) works like ChangeOwnPassword.
    let b = call(
        s,
        &w.user,
        "ChangePassword",
        &by_id(0, PW, "worker's fresh passphrase"),
    )
    .await?;
    assert_eq!(first_text(&b, "Response").as_deref(), Some("true"), "{b}");
    // A user on another user: denied, nothing changed.
    let b = call(
        s,
        &w.user,
        "ChangePassword",
        &by_id(
            w.other_assoc,
            "colleague's third phrase",
            "hijacked passphrase here",
        ),
    )
    .await?;
    assert_eq!(
        exception(&b).as_deref(),
        Some("SoAccessDeniedException"),
        "{b}"
    );
    assert_eq!(first_text(&b, "Response").as_deref(), Some("false"));
    assert!(s
        .login(w.other_name, "colleague's third phrase")
        .await?
        .is_some());
    // Unknown associate (admin): an argument error, not a silent false.
    let b = call(
        s,
        &w.admin,
        "ChangePassword",
        &by_id(424_242, "a", "whatever passphrase here"),
    )
    .await?;
    assert_eq!(exception(&b).as_deref(), Some("SoArgumentException"), "{b}");
    // A malformed id is a client fault (SOAP 1.2 Sender, HTTP 400).
    let (st, b) = s
        .soap12(
            USER,
            user_op_envelope(&w.admin, "ChangePassword", "<AssociateId>abc</AssociateId>"),
        )
        .await?;
    assert_eq!(st, 400);
    assert!(b.contains("AssociateId is not a valid xs:int"), "{b}");
    Ok(())
}

#[tokio::test]
async fn blank_old_password_forces_a_change() -> TestResult {
    let w = world().await?;
    let s = &w.s;
    s.add_admin("deputy", PW).await?;
    let deputy_old = s.login("deputy", PW).await?.ok_or("login")?;
    let temp = "temporary passphrase from boss";
    let b = call(
        s,
        &w.admin,
        "ChangePasswordFromName",
        &format!(
            "{}<OldPassword/>{}",
            p("AssociateName", "deputy"),
            p("NewPassword", temp)
        ),
    )
    .await?;
    assert_eq!(first_text(&b, "Response").as_deref(), Some("true"), "{b}");
    // The deputy's sessions ended.
    let b = call(
        s,
        &deputy_old,
        "IsPasswordValid",
        &p("Password", "whatever"),
    )
    .await?;
    assert_eq!(
        exception(&b).as_deref(),
        Some("SoTicketInvalidException"),
        "{b}"
    );
    // The next login works but the session can only change the password.
    let limited = s.login("deputy", temp).await?.ok_or("login with temp")?;
    let set_other = format!(
        "{}{}",
        p("AssociateId", &w.other_assoc.to_string()),
        p("Password", "deputy sets this one")
    );
    let b = call(s, &limited, "SetPassword", &set_other).await?;
    assert_eq!(
        exception(&b).as_deref(),
        Some("SoAccessDeniedException"),
        "{b}"
    );
    assert!(first_text(&b, "Message")
        .unwrap_or_default()
        .contains("changed before anything else"));
    let sid = rest_login(s, "deputy", temp).await?;
    let colleague = s.core.user_by_name("colleague").await?;
    let (st, v) = put_json(
        s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": sid, "userId": colleague.id.to_string(), "password": PW, "newPassword": "deputy via rest here"}),
    )
    .await?;
    assert_eq!(st, 403, "{v}");
    assert_eq!(v["responseStatus"]["errorCode"], "PasswordChangeRequired");
    // Changing the own password lifts the restriction on the same ticket.
    let (_, b) = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&limited), temp, "deputy's own new passphrase"),
        )
        .await?;
    assert_eq!(first_text(&b, "Response").as_deref(), Some("true"), "{b}");
    let b = call(s, &limited, "SetPassword", &set_other).await?;
    assert_eq!(first_text(&b, "Response").as_deref(), Some("true"), "{b}");
    // Audited with the acting admin.
    let rows = s.core.store().list_audit(&Default::default()).await?;
    let forced = rows
        .iter()
        .find(|r| r.event == "password_set" && r.username.as_deref() == Some("deputy"))
        .ok_or("no password_set row")?;
    assert_eq!(forced.actor.as_deref(), Some("boss"));
    assert_eq!(forced.reason.as_deref(), Some("must_change"));
    Ok(())
}

#[tokio::test]
async fn set_password_admin_self_other_unknown() -> TestResult {
    let w = world().await?;
    let s = &w.s;
    let set = |assoc: i32, pw: &str| {
        format!(
            "{}{}",
            p("AssociateId", &assoc.to_string()),
            p("Password", pw)
        )
    };
    // Admin on another user: true; the user must change it at next login.
    let b = call(
        s,
        &w.admin,
        "SetPassword",
        &set(w.other_assoc, "set by the boss today"),
    )
    .await?;
    assert_eq!(first_text(&b, "Response").as_deref(), Some("true"), "{b}");
    assert!(
        s.core
            .user_by_name(w.other_name)
            .await?
            .must_change_password
    );
    assert!(s
        .login(w.other_name, "set by the boss today")
        .await?
        .is_some());
    let b = call(
        s,
        &w.admin,
        "SetPasswordFromName",
        &format!(
            "{}{}",
            p("AssociateName", w.other_name),
            p("Password", "set again by name now")
        ),
    )
    .await?;
    assert_eq!(first_text(&b, "Response").as_deref(), Some("true"), "{b}");
    // Weak password: the policy, nothing changed.
    let b = call(s, &w.admin, "SetPassword", &set(w.other_assoc, "colleague")).await?;
    assert_eq!(
        exception(&b).as_deref(),
        Some("PasswordPolicyException"),
        "{b}"
    );
    assert!(
        all_texts(&b, "Key").contains(&"context_word".to_owned()),
        "{b}"
    );
    // A user on another user: denied, nothing changed.
    let b = call(
        s,
        &w.user,
        "SetPassword",
        &set(w.other_assoc, "worker hijacks this"),
    )
    .await?;
    assert_eq!(
        exception(&b).as_deref(),
        Some("SoAccessDeniedException"),
        "{b}"
    );
    assert!(s
        .login(w.other_name, "set again by name now")
        .await?
        .is_some());
    // A user on themselves right after logging in: allowed, the caller's ticket stays.
    let b = call(
        s,
        &w.user,
        "SetPassword",
        &set(0, "worker's self-set phrase"),
    )
    .await?;
    assert_eq!(first_text(&b, "Response").as_deref(), Some("true"), "{b}");
    assert!(!s.core.user_by_name("worker").await?.must_change_password);
    // ...but not with an old session: that needs the current password (ChangeOwnPassword).
    s.advance(Duration::from_secs(6 * 60));
    let b = call(
        s,
        &w.user,
        "SetPassword",
        &set(0, "worker's later self-set"),
    )
    .await?;
    assert_eq!(
        exception(&b).as_deref(),
        Some("SoAccessDeniedException"),
        "{b}"
    );
    assert!(s
        .login("worker", "worker's self-set phrase")
        .await?
        .is_some());
    // Unknown associate and unknown name.
    let b = call(
        s,
        &w.admin,
        "SetPassword",
        &set(777_777, "for nobody at all"),
    )
    .await?;
    assert_eq!(exception(&b).as_deref(), Some("SoArgumentException"), "{b}");
    let b = call(
        s,
        &w.admin,
        "SetPasswordFromName",
        &format!(
            "{}{}",
            p("AssociateName", "nobody"),
            p("Password", "for nobody at all")
        ),
    )
    .await?;
    assert_eq!(exception(&b).as_deref(), Some("SoArgumentException"), "{b}");
    Ok(())
}

#[tokio::test]
async fn generated_passwords_satisfy_the_policy_and_log_in() -> TestResult {
    let w = world().await?;
    let s = &w.s;
    let policy = s.core.policy().clone();
    for (op, params) in [
        (
            "SetGeneratedPassword",
            p("AssociateId", &w.other_assoc.to_string()),
        ),
        (
            "SetGeneratedPasswordFromName",
            p("AssociateName", w.other_name),
        ),
        (
            "GenerateNewPasswordForExternalUser",
            p("AssociateName", w.other_name),
        ),
    ] {
        let b = call(s, &w.admin, op, &params).await?;
        assert_eq!(
            first_text(&b, "Succeeded").as_deref(),
            Some("true"),
            "{op}: {b}"
        );
        let generated = first_text(&b, "Response").ok_or("no Response")?;
        assert!(generated.chars().count() >= 24, "{op}");
        let pw = passgate_core::domain::Password::new(generated.clone());
        assert_eq!(policy.check(&pw, &Default::default()), vec![], "{op}");
        assert!(s.login(w.other_name, &generated).await?.is_some(), "{op}");
        assert!(
            !captured_logs().contains(&generated),
            "{op}: generated password in the logs"
        );
    }
    // A user on another: denied; on themselves (fresh login): allowed.
    let b = call(
        s,
        &w.user,
        "SetGeneratedPassword",
        &p("AssociateId", &w.other_assoc.to_string()),
    )
    .await?;
    assert_eq!(
        exception(&b).as_deref(),
        Some("SoAccessDeniedException"),
        "{b}"
    );
    let b = call(s, &w.user, "SetGeneratedPassword", &p("AssociateId", "0")).await?;
    let mine = first_text(&b, "Response").ok_or("no Response")?;
    assert!(s.login("worker", &mine).await?.is_some());
    let b = call(
        s,
        &w.admin,
        "SetGeneratedPassword",
        &p("AssociateId", "31337"),
    )
    .await?;
    assert_eq!(exception(&b).as_deref(), Some("SoArgumentException"), "{b}");
    Ok(())
}

#[tokio::test]
async fn online_mode_requires_a_registered_application_token() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.online = true;
    })
    .await?;
    s.add_user("onliner", PW).await?;
    let ctx = passgate_core::RequestContext::new(passgate_core::audit::FrontEnd::Cli);
    let good = s.core.add_app_token(&ctx, "crm-app").await?;
    let old = s.core.add_app_token(&ctx, "old-app").await?;
    s.core.revoke_app_token(&ctx, "old-app").await?;
    let with_token = |token: Option<&str>, body: &str| {
        let header = token
            .map(|t| {
                format!(
                    r#"<ApplicationToken xmlns="{TNS}">{}</ApplicationToken>"#,
                    esc(t)
                )
            })
            .unwrap_or_default();
        format!(
            r#"<?xml version="1.0"?><s:Envelope xmlns:s="{SOAP12}"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
        )
    };
    let login = format!(
        r#"<AuthenticateUsernamePassword xmlns="{TNS}"><UserName>onliner</UserName><Password>{PW}</Password></AuthenticateUsernamePassword>"#
    );
    let info = format!(r#"<GetSystemInfo xmlns="{TNS}"/>"#);
    let valid =
        format!(r#"<IsPasswordValid xmlns="{TNS}"><Password>x</Password></IsPasswordValid>"#);
    let bad_tokens = [
        None,
        Some("pgat_wrongwrongwrong"),
        Some("app"),
        Some(old.expose()),
    ];
    for token in bad_tokens {
        for (path, body) in [(PRINCIPAL, &login), (PRINCIPAL, &info), (USER, &valid)] {
            let (st, b) = s.soap12(path, with_token(token, body)).await?;
            assert_eq!(st, 200);
            assert_eq!(
                exception(&b).as_deref(),
                Some("InvalidApplicationTokenException"),
                "{b}"
            );
            assert!(!b.contains("<Ticket>"), "no ticket without a token");
        }
    }
    let (_, b) = s
        .soap12(PRINCIPAL, with_token(Some(good.expose()), &login))
        .await?;
    assert_eq!(
        first_text(&b, "AuthenticationSucceeded").as_deref(),
        Some("true"),
        "{b}"
    );
    let (_, b) = s
        .soap12(PRINCIPAL, with_token(Some(good.expose()), &info))
        .await?;
    assert_eq!(first_text(&b, "Succeeded").as_deref(), Some("true"), "{b}");
    // Revoking takes effect on the next request.
    s.core.revoke_app_token(&ctx, "crm-app").await?;
    let (_, b) = s
        .soap12(PRINCIPAL, with_token(Some(good.expose()), &info))
        .await?;
    assert_eq!(
        exception(&b).as_deref(),
        Some("InvalidApplicationTokenException"),
        "{b}"
    );

    // Onsite mode ignores the header entirely: absent, garbage or revoked.
    let onsite = TestServer::start().await?;
    onsite.add_user("onliner", PW).await?;
    for token in bad_tokens {
        let (_, b) = onsite.soap12(PRINCIPAL, with_token(token, &login)).await?;
        assert_eq!(
            first_text(&b, "AuthenticationSucceeded").as_deref(),
            Some("true"),
            "{b}"
        );
    }
    Ok(())
}
