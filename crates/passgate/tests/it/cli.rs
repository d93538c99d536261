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
