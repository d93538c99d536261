//! The password policy through every front end: same codes everywhere, NFKC logins,
//! reuse and history, IsPasswordValid(WithReason), the breached-password index.

use std::io::Write;

use crate::harness::*;
use crate::rest::{put_json, rest_login};

const OLD: &str = "correct horse battery staple";

fn is_valid_params(associate: i32, password: &str) -> String {
    format!(
        "<AssociateId>{associate}</AssociateId><Type>InternalAssociate</Type><PersonId>0</PersonId><Password>{}</Password>",
        esc(password)
    )
}

#[tokio::test]
async fn one_policy_same_codes_in_soap_and_rest() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("gina", OLD).await?;
    let weak = "Password123!";
    let ticket = s.login("gina", OLD).await?.ok_or("login")?;
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), OLD, weak))
        .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("PasswordPolicyException")
    );
    let mut soap_codes = all_texts(&body, "Key");
    soap_codes.sort();
    assert!(soap_codes.contains(&"too_short".to_owned()), "{body}");
    assert!(soap_codes.contains(&"common_password".to_owned()), "{body}");
    let message = first_text(&body, "Message").ok_or("no message")?;
    assert!(message.contains("at least 15 characters"), "{message}");
    assert!(message.contains("commonly used"), "{message}");

    let sid = rest_login(&s, "gina", OLD).await?;
    let (st, v) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": sid, "password": OLD, "newPassword": weak}),
    )
    .await?;
    assert_eq!(st, 200);
    assert_eq!(v["result"]["result"], "Fail");
    let errors = v["responseStatus"]["errors"]
        .as_array()
        .ok_or("no errors[]")?;
    let mut rest_codes: Vec<String> = errors
        .iter()
        .map(|e| e["errorCode"].as_str().unwrap_or_default().to_owned())
        .collect();
    rest_codes.sort();
    assert_eq!(soap_codes, rest_codes, "same rules, same codes");
    assert!(errors.iter().all(|e| e["fieldName"] == "newPassword"));
    // Nothing changed.
    assert!(s.login("gina", OLD).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn equivalent_unicode_forms_log_in_alike() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("hana", OLD).await?;
    let ticket = s.login("hana", OLD).await?.ok_or("login")?;
    let fullwidth = "ｆｉｅｌｄｓ ｏｆ ｇｏｌｄ ａｔ ｄａｗｎ";
    let ascii = "fields of gold at dawn";
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), OLD, fullwidth))
        .await?;
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );
    assert!(s.login("hana", ascii).await?.is_some(), "ASCII form");
    assert!(
        s.login("hana", fullwidth).await?.is_some(),
        "full-width form"
    );
    // A ligature and a decomposed accent: one password, two spellings.
    let ticket = s.login("hana", ascii).await?.ok_or("login")?;
    let composed = "ﬁre on the caf\u{e9} terrace";
    let decomposed = "fire on the cafe\u{301} terrace";
    let (_, body) = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&ticket), ascii, composed),
        )
        .await?;
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );
    assert!(s.login("hana", decomposed).await?.is_some());
    assert_eq!(s.login("hana", "fire on the cafe terrace").await?, None);
    Ok(())
}

#[tokio::test]
async fn the_current_password_cannot_be_the_new_one() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("ivan", OLD).await?;
    let ticket = s.login("ivan", OLD).await?.ok_or("login")?;
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), OLD, OLD))
        .await?;
    assert_eq!(all_texts(&body, "Key"), vec!["same_as_current".to_owned()]);
    // The full-width spelling of the current password is the current password.
    let (_, body) = s
        .soap12(
            USER,
            change_envelope(
                SOAP12,
                Some(&ticket),
                OLD,
                "ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ ｓｔａｐｌｅ",
            ),
        )
        .await?;
    assert_eq!(all_texts(&body, "Key"), vec!["same_as_current".to_owned()]);
    Ok(())
}

#[tokio::test]
async fn history_refuses_recent_passwords() -> TestResult {
    let s = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.core.policy.history = 2;
    })
    .await?;
    s.add_user("jules", OLD).await?;
    let second = "second passphrase of jules";
    let third = "third passphrase for this test";
    let mut ticket = s.login("jules", OLD).await?.ok_or("login")?;
    for (from, to) in [(OLD, second), (second, third)] {
        let (_, body) = s
            .soap12(USER, change_envelope(SOAP12, Some(&ticket), from, to))
            .await?;
        assert_eq!(
            first_text(&body, "Response").as_deref(),
            Some("true"),
            "{body}"
        );
        ticket = s.login("jules", to).await?.ok_or("login")?;
    }
    for reused in [OLD, second] {
        let (_, body) = s
            .soap12(USER, change_envelope(SOAP12, Some(&ticket), third, reused))
            .await?;
        assert_eq!(all_texts(&body, "Key"), vec!["reused".to_owned()], "{body}");
    }
    assert!(s.login("jules", third).await?.is_some(), "nothing changed");
    let fresh = "a fourth passphrase, unused";
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), third, fresh))
        .await?;
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn is_password_valid_with_and_without_reason() -> TestResult {
    let s = TestServer::start().await?;
    let kim = s.add_user("kim.larsen", OLD).await?;
    let admin = s.add_admin("root.admin", OLD).await?;
    let ticket = s.login("kim.larsen", OLD).await?.ok_or("login")?;

    let call = |op: &'static str, associate: i32, pw: &'static str, t: String| {
        let s = &s;
        async move {
            s.soap12(
                USER,
                user_op_envelope(&t, op, &is_valid_params(associate, pw)),
            )
            .await
        }
    };
    let (st, body) = call(
        "IsPasswordValid",
        0,
        "walrus lanterns drift eastward",
        ticket.clone(),
    )
    .await?;
    assert_eq!(st, 200);
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );
    let (_, body) = call("IsPasswordValid", 0, "kim.larsen2024!!", ticket.clone()).await?;
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("false"),
        "{body}"
    );
    assert_eq!(first_text(&body, "Succeeded").as_deref(), Some("true"));

    let (_, body) = call("IsPasswordValidWithReason", 0, "short", ticket.clone()).await?;
    assert_eq!(
        first_text(&body, "Result").as_deref(),
        Some("false"),
        "{body}"
    );
    let reason = first_text(&body, "Reason").ok_or("no Reason")?;
    assert!(reason.contains("at least 15 characters"), "{reason}");
    let (_, body) = call(
        "IsPasswordValidWithReason",
        kim.associate_id.get(),
        "walrus lanterns drift eastward",
        ticket.clone(),
    )
    .await?;
    assert_eq!(
        first_text(&body, "Result").as_deref(),
        Some("true"),
        "{body}"
    );
    assert_eq!(first_text(&body, "Reason").as_deref(), Some(""));

    // Another user's associate id needs the admin role.
    let (_, body) = call(
        "IsPasswordValid",
        admin.associate_id.get(),
        "whatever it is here",
        ticket.clone(),
    )
    .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("SoAccessDeniedException")
    );
    // An admin asking about kim gets kim's context rules (her name is refused).
    let admin_ticket = s.login("root.admin", OLD).await?.ok_or("login")?;
    let (_, body) = call(
        "IsPasswordValidWithReason",
        kim.associate_id.get(),
        "larsen-kim-larsen",
        admin_ticket.clone(),
    )
    .await?;
    assert_eq!(
        first_text(&body, "Result").as_deref(),
        Some("false"),
        "{body}"
    );
    assert!(first_text(&body, "Reason")
        .unwrap_or_default()
        .contains("user name"));
    let (_, body) = call(
        "IsPasswordValid",
        999_999,
        "whatever it is here",
        admin_ticket,
    )
    .await?;
    assert_eq!(
        first_text(&body, "Succeeded").as_deref(),
        Some("false"),
        "{body}"
    );
    // A bad ticket is refused like every other operation.
    let (_, body) = call(
        "IsPasswordValid",
        0,
        "walrus lanterns drift eastward",
        "7T:bogus".into(),
    )
    .await?;
    assert_eq!(
        first_text(&body, "ExceptionType").as_deref(),
        Some("SoTicketInvalidException")
    );
    Ok(())
}

/// Writes a Pwned-Passwords-format corpus of `passwords` (plus filler) and imports it with
/// the real CLI; returns the index path.
fn build_index(
    dir: &std::path::Path,
    passwords: &[&str],
) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    use passgate_core::credential::breach::sha1_hex;
    let mut lines: Vec<String> = passwords
        .iter()
        .map(|p| format!("{}:{}", sha1_hex(p), 3))
        .collect();
    lines.extend((0..20_000).map(|i| format!("{}:1", sha1_hex(&format!("filler password {i}")))));
    lines.sort();
    let corpus = dir.join("pwned.txt");
    let mut f = std::fs::File::create(&corpus)?;
    for l in &lines {
        writeln!(f, "{l}")?;
    }
    drop(f);
    let index = dir.join("pwned.idx");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_passgate"))
        .args(["breach", "import"])
        .arg(&corpus)
        .arg("--output")
        .arg(&index)
        .arg("--json")
        .env_remove("PASSGATE_BREACH_INDEX")
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(summary["records"], lines.len());
    Ok(index)
}

#[tokio::test]
async fn breached_passwords_are_refused_everywhere() -> TestResult {
    let dir = tempfile::tempdir()?;
    let leaked = "mellow yellow submarine dreams";
    let index = build_index(dir.path(), &[leaked])?;
    let idx = index.clone();
    let s = TestServer::start_with(move |c| {
        c.core.hash = fast_params();
        c.breach_index = Some(idx);
    })
    .await?;
    s.add_user("lena", OLD).await?;
    let ticket = s.login("lena", OLD).await?.ok_or("login")?;
    let (_, body) = s
        .soap12(USER, change_envelope(SOAP12, Some(&ticket), OLD, leaked))
        .await?;
    assert_eq!(
        all_texts(&body, "Key"),
        vec!["breached".to_owned()],
        "{body}"
    );
    let (_, body) = s
        .soap12(
            USER,
            user_op_envelope(
                &ticket,
                "IsPasswordValidWithReason",
                &is_valid_params(0, leaked),
            ),
        )
        .await?;
    assert_eq!(first_text(&body, "Result").as_deref(), Some("false"));
    assert!(first_text(&body, "Reason")
        .unwrap_or_default()
        .contains("breach"));
    let sid = rest_login(&s, "lena", OLD).await?;
    let (_, v) = put_json(
        &s,
        "/logins/ChangePassword",
        serde_json::json!({"sessionId": sid, "password": OLD, "newPassword": leaked}),
    )
    .await?;
    assert_eq!(
        v["responseStatus"]["errors"][0]["errorCode"], "breached",
        "{v}"
    );
    // Not in the corpus: accepted.
    let (_, body) = s
        .soap12(
            USER,
            change_envelope(SOAP12, Some(&ticket), OLD, "mellow yellow submarine drifts"),
        )
        .await?;
    assert_eq!(
        first_text(&body, "Response").as_deref(),
        Some("true"),
        "{body}"
    );

    // The CLI checks the same index.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_passgate"))
        .args(["breach", "check", "--index"])
        .arg(&index)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .ok_or("stdin")?
        .write_all(format!("{leaked}\n").as_bytes())?;
    let out = child.wait_with_output()?;
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3");
    Ok(())
}
