//! The `passgate` binary: user add/list, migrate, and clear errors with exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::harness::TestResult;

pub fn passgate(db: &str, args: &[&str], stdin: Option<&str>) -> std::io::Result<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_passgate"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env("PASSGATE_ARGON2_MEMORY_KIB", "1024")
        .env("PASSGATE_ARGON2_ITERATIONS", "1")
        .env_remove("PASSGATE_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut pipe) = child.stdin.take() {
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes())?;
        }
    }
    child.wait_with_output()
}

#[test]
fn user_add_list_and_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());

    let out = passgate(&db, &["migrate"], None)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = passgate(
        &db,
        &[
            "user",
            "add",
            "alice",
            "--email",
            "alice@example.com",
            "--full-name",
            "Alice A",
            "--admin",
            "--password-stdin",
            "--json",
        ],
        Some("correct horse battery staple\n"),
    )?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["username"], "alice");
    assert_eq!(v["associateId"], 1);
    assert!(uuid::Uuid::parse_str(v["userId"].as_str().unwrap_or("")).is_ok());
    assert!(v.get("password").is_none());

    // Generated password: printed once, strong, and it works.
    let out = passgate(&db, &["user", "add", "bob"], None)?;
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout)?;
    let pw = text
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .ok_or("no generated password")?;
    assert!(pw.chars().count() >= 20);

    let out = passgate(&db, &["user", "list", "--json"], None)?;
    let list: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[0]["role"], "admin");
    assert_eq!(list[1]["username"], "bob");

    // Duplicate (case-insensitive) name: exit 4, one clear line.
    let out = passgate(
        &db,
        &["user", "add", "ALICE", "--password-stdin"],
        Some("correct horse battery staple\n"),
    )?;
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8(out.stderr)?;
    assert!(
        err.starts_with("error: ") && err.contains("already exists"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1);

    // Weak password: exit 5 with the rule.
    let out = passgate(
        &db,
        &["user", "add", "carol", "--password-stdin"],
        Some("short\n"),
    )?;
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8(out.stderr)?.contains("too_short"));
    // The same rules and messages as SOAP and REST: blocklist, strength, context words.
    for (pw, code, words) in [
        ("Password123!Password123!", "too_weak", "too easy to guess"),
        ("sunshine!!!!!!!!", "common_password", "most commonly used"),
        ("carol.carol.carol.1", "context_word", "user name"),
    ] {
        let out = passgate(
            &db,
            &["user", "add", "carol", "--password-stdin"],
            Some(&format!("{pw}\n")),
        )?;
        assert_eq!(out.status.code(), Some(5), "{pw}");
        let err = String::from_utf8(out.stderr)?;
        assert!(err.contains(code) && err.contains(words), "{pw}: {err}");
        assert!(!err.contains(pw), "the password is never echoed: {err}");
    }

    // Bad input: exit 2.
    let out = passgate(
        &db,
        &["user", "add", "dave", "--email", "not-an-email"],
        None,
    )?;
    assert_eq!(out.status.code(), Some(2));
    let out = passgate(&db, &["user", "add", "erin", "--password-stdin"], Some(""))?;
    assert_eq!(out.status.code(), Some(2));

    // Unsupported database URL: clear error, non-zero.
    let out = passgate("mysql://x", &["user", "list"], None)?;
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)?.contains("unsupported database URL"));
    Ok(())
}

/// The SQLite URL forms configuration.md documents, and their errors.
#[test]
fn sqlite_urls_as_documented() -> TestResult {
    let dir = tempfile::tempdir()?;
    let spaced = dir.path().join("my db.db");
    let url = format!("sqlite://{}", dir.path().join("my%20db.db").display());
    let out = passgate(&url, &["migrate"], None)?;
    assert!(out.status.success(), "{out:?}");
    assert!(spaced.is_file(), "percent-decoded file name");
    let out = passgate(&format!("{url}?mode=rw"), &["user", "list"], None)?;
    assert!(out.status.success(), "{out:?}");

    let missing = format!("sqlite://{}?mode=rw", dir.path().join("none.db").display());
    for (db, code, says) in [
        (missing.as_str(), 1, "no such file (mode=rw)"),
        (
            "sqlite::memory:",
            2,
            "in-memory databases are not supported",
        ),
        (
            "sqlite://x.db?mode=memory",
            2,
            "in-memory databases are not supported",
        ),
        ("sqlite://x.db?mode=ro", 2, "invalid SQLite URL: mode=ro"),
        (
            "sqlite://x.db?vfs=unix",
            2,
            "invalid SQLite URL: unknown query parameter \"vfs\"",
        ),
    ] {
        let out = passgate(db, &["user", "list"], None)?;
        assert_eq!(out.status.code(), Some(code), "{db}: {out:?}");
        let stderr = String::from_utf8(out.stderr)?;
        assert!(stderr.contains(says), "{db}: {stderr}");
    }
    assert!(
        !dir.path().join("none.db").exists(),
        "mode=rw creates nothing"
    );
    Ok(())
}

#[test]
fn serve_refuses_a_bad_listen_address() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let out = passgate(&db, &["serve", "--listen", "not-an-address"], None)?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)?.contains("listen"));
    Ok(())
}

#[test]
fn lock_sessions_and_audit_commands() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("ops.db").display());
    let out = passgate(
        &db,
        &["user", "add", "ops", "--password-stdin"],
        Some("correct horse battery staple\n"),
    )?;
    assert!(out.status.success());

    let out = passgate(
        &db,
        &["user", "lock", "ops", "--until", "2099-01-01T00:00:00Z"],
        None,
    )?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = passgate(&db, &["user", "lock", "nobody"], None)?;
    assert_eq!(out.status.code(), Some(3));
    let out = passgate(&db, &["user", "lock", "ops", "--until", "tomorrow"], None)?;
    assert_eq!(out.status.code(), Some(2));
    let out = passgate(&db, &["user", "unlock", "ops"], None)?;
    assert!(out.status.success());

    let out = passgate(&db, &["session", "list", "--json"], None)?;
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v.as_array().map(Vec::len), Some(0));
    let out = passgate(&db, &["session", "revoke", "--user", "ops"], None)?;
    assert!(out.status.success());
    let out = passgate(&db, &["session", "revoke", "not-an-id"], None)?;
    assert_eq!(out.status.code(), Some(2));
    let out = passgate(
        &db,
        &["session", "revoke", "00000000-0000-0000-0000-000000000001"],
        None,
    )?;
    assert_eq!(out.status.code(), Some(3));

    let out = passgate(&db, &["audit", "--user", "ops", "--json"], None)?;
    assert!(out.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let events: Vec<&str> = rows
        .as_array()
        .ok_or("array")?
        .iter()
        .filter_map(|r| r["event"].as_str())
        .collect();
    assert_eq!(events, ["user_created", "locked", "unlocked"]);
    assert!(rows
        .as_array()
        .ok_or("array")?
        .iter()
        .all(|r| r["front_end"] == "cli"));
    Ok(())
}

/// Runs the CLI and parses its stdout as one JSON value (asserting success).
fn json_of(
    db: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let out = passgate(db, args, stdin)?;
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// Runs the CLI expecting failure with `code`; returns stderr.
fn fails(
    db: &str,
    args: &[&str],
    stdin: Option<&str>,
    code: i32,
) -> Result<String, Box<dyn std::error::Error>> {
    let out = passgate(db, args, stdin)?;
    let err = String::from_utf8(out.stderr)?;
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    Ok(err)
}

#[test]
fn user_management_commands() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("admin.db").display());
    let pw = "correct horse battery staple\n";
    json_of(
        &db,
        &["user", "add", "bob", "--password-stdin", "--json"],
        Some(pw),
    )?;
    json_of(
        &db,
        &["user", "add", "carl", "--password-stdin", "--json"],
        Some(pw),
    )?;

    let v = json_of(&db, &["user", "show", "BOB", "--json"], None)?;
    assert_eq!(v["username"], "bob");
    assert_eq!(v["mustChangePassword"], false);
    assert_eq!(v["liveSessions"], 0);
    // The format's name is shown, never the hash itself.
    assert_eq!(v["passwordFormat"], "argon2id");
    assert!(v.get("passwordHash").is_none() && !v.to_string().contains("$argon2"));
    fails(&db, &["user", "show", "nobody"], None, 3)?;

    // set-password: generated (shown once, must change), then a chosen one.
    let v = json_of(&db, &["user", "set-password", "bob", "--json"], None)?;
    let generated = v["password"].as_str().ok_or("no password")?.to_owned();
    assert!(generated.len() >= 24);
    assert_eq!(v["mustChangePassword"], true);
    let v = json_of(&db, &["user", "show", "bob", "--json"], None)?;
    assert_eq!(v["mustChangePassword"], true);
    let v = json_of(
        &db,
        &[
            "user",
            "set-password",
            "bob",
            "--password-stdin",
            "--permanent",
            "--json",
        ],
        Some("bob's permanent passphrase\n"),
    )?;
    assert!(
        v.get("password").is_none(),
        "a chosen password is never echoed"
    );
    assert_eq!(v["mustChangePassword"], false);
    let err = fails(
        &db,
        &["user", "set-password", "bob", "--password-stdin"],
        Some("bob\n"),
        5,
    )?;
    assert!(
        err.contains("too_short") && err.contains("context_word"),
        "{err}"
    );
    let err = fails(
        &db,
        &["user", "set-password", "bob", "--password-stdin"],
        Some("bob's permanent passphrase\n"),
        5,
    )?;
    assert!(err.contains("same_as_current"), "{err}");
    fails(&db, &["user", "set-password", "nobody"], None, 3)?;

    // expire.
    let v = json_of(&db, &["user", "expire", "bob", "--json"], None)?;
    assert_eq!(v["mustChangePassword"], true);
    fails(&db, &["user", "expire", "nobody"], None, 3)?;

    // rename: taken names conflict, bad names are usage errors.
    let v = json_of(&db, &["user", "rename", "bob", "robert", "--json"], None)?;
    assert_eq!(v["username"], "robert");
    fails(&db, &["user", "rename", "robert", "CARL"], None, 4)?;
    fails(&db, &["user", "rename", "robert", "   "], None, 2)?;
    fails(&db, &["user", "show", "bob"], None, 3)?;

    // lock/unlock with JSON.
    let v = json_of(&db, &["user", "lock", "robert", "--json"], None)?;
    assert!(v["lockedUntil"].is_string());
    let v = json_of(&db, &["user", "unlock", "robert", "--json"], None)?;
    assert!(v["lockedUntil"].is_null());

    // delete: refuses without --yes when stdin is not a terminal.
    let err = fails(&db, &["user", "delete", "robert"], None, 2)?;
    assert!(err.contains("--yes"), "{err}");
    json_of(&db, &["user", "show", "robert", "--json"], None)?;
    let v = json_of(&db, &["user", "delete", "robert", "--yes", "--json"], None)?;
    assert_eq!(v["deleted"], "robert");
    fails(&db, &["user", "show", "robert"], None, 3)?;
    fails(&db, &["user", "delete", "robert", "--yes"], None, 3)?;

    // Every change is audited with the CLI actor.
    let rows = json_of(&db, &["audit", "--json"], None)?;
    let rows = rows.as_array().ok_or("not an array")?;
    for event in [
        "password_set",
        "password_expired",
        "user_renamed",
        "user_deleted",
    ] {
        let row = rows
            .iter()
            .find(|r| r["event"] == event)
            .ok_or(format!("no {event} row"))?;
        assert!(
            row["actor"].as_str().is_some_and(|a| a.starts_with("cli:")),
            "{row}"
        );
    }
    let text = serde_json::to_string(rows)?;
    assert!(!text.contains(&generated), "no password in the audit trail");
    Ok(())
}

#[test]
fn app_token_commands() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("tokens.db").display());
    let v = json_of(&db, &["app-token", "add", "crm-app", "--json"], None)?;
    let token = v["token"].as_str().ok_or("no token")?.to_owned();
    assert!(token.starts_with("pgat_") && token.len() == 48, "{token}");
    fails(&db, &["app-token", "add", "crm-app"], None, 4)?;
    fails(&db, &["app-token", "add", "bad name!"], None, 2)?;
    let list = json_of(&db, &["app-token", "list", "--json"], None)?;
    assert_eq!(list[0]["name"], "crm-app");
    assert!(list[0]["revokedAt"].is_null());
    assert!(
        !list.to_string().contains(&token),
        "tokens are never listed"
    );
    fails(&db, &["app-token", "revoke", "crm-app"], None, 2)?;
    let v = json_of(
        &db,
        &["app-token", "revoke", "crm-app", "--yes", "--json"],
        None,
    )?;
    assert_eq!(v["revoked"], "crm-app");
    let list = json_of(&db, &["app-token", "list", "--json"], None)?;
    assert!(list[0]["revokedAt"].is_string());
    fails(&db, &["app-token", "revoke", "crm-app", "--yes"], None, 3)?;
    Ok(())
}
