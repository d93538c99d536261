//! `passgate db backup|restore` on SQLite with the real server running and writing, the
//! server lock (one server per file, no restore under a running server), and
//! `passgate config check`.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::cli::passgate;
use crate::connections::PASSWORD;
use crate::harness::TestResult;
use crate::harness::{auth_envelope, PRINCIPAL, SOAP12};
use crate::serve_process::{add_user, serve, sigterm};

/// Whether a SOAP sign-in of `user` with [`PASSWORD`] at `addr` gives a ticket. No latency
/// bound: on a loaded machine answers are slow, and that is not what these tests check.
pub(crate) async fn soap_login_works(addr: std::net::SocketAddr, user: &str) -> bool {
    let answer = reqwest::Client::new()
        .post(format!("http://{addr}{PRINCIPAL}"))
        .header("Content-Type", "application/soap+xml; charset=utf-8")
        .body(auth_envelope(SOAP12, user, PASSWORD))
        .send()
        .await;
    match answer {
        Ok(r) => r.text().await.is_ok_and(|b| b.contains("<Ticket>")),
        Err(_) => false,
    }
}

fn user_names(db: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let out = passgate(db, &["user", "list", "--json"], None)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    Ok(v.as_array()
        .ok_or("not an array")?
        .iter()
        .filter_map(|u| u["username"].as_str().map(str::to_owned))
        .collect())
}

#[tokio::test]
async fn a_backup_under_load_holds_every_acknowledged_change_and_restores_only_when_stopped(
) -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("live.db").display());
    add_user(&db, "first")?;
    let mut served = serve(dir.path(), &db, None, &[]).await?;

    // Writers: users added one after another by the CLI (each acknowledged when the command
    // exits 0), and SOAP logins (sessions) through the server, all through the backup.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let writer = {
        let (stop, acked, db) = (Arc::clone(&stop), Arc::clone(&acked), db.clone());
        std::thread::spawn(move || -> Result<usize, String> {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let name = format!("user{n}");
                let out = passgate(
                    &db,
                    &["user", "add", &name, "--password-stdin"],
                    Some(&format!("{PASSWORD}\n")),
                )
                .map_err(|e| e.to_string())?;
                if !out.status.success() {
                    return Err(String::from_utf8_lossy(&out.stderr).into_owned());
                }
                acked.lock().map_err(|e| e.to_string())?.push(name);
                n += 1;
            }
            Ok(n)
        })
    };
    let logins = {
        let (stop, addr) = (Arc::clone(&stop), served.addr);
        tokio::spawn(async move {
            // Sign-ins write session rows through the server while the backup runs.
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                if soap_login_works(addr, "first").await {
                    n += 1;
                }
            }
            n
        })
    };
    // Wait (by acknowledgements, not by time: a loaded machine is slow) until several users
    // are in, back up, then let a few more arrive during and after the backup.
    let acked_count = |acked: &Arc<Mutex<Vec<String>>>| acked.lock().map(|v| v.len()).unwrap_or(0);
    let wait_for = |n: usize| {
        let acked = Arc::clone(&acked);
        async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            while acked_count(&acked) < n && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            acked_count(&acked)
        }
    };
    assert!(wait_for(3).await >= 3, "the writer made no progress");
    let before: Vec<String> = acked.lock().map_err(|e| e.to_string())?.clone();
    let backup = dir.path().join("backup.db");
    let out = passgate(
        &db,
        &[
            "db",
            "backup",
            "--to",
            &backup.display().to_string(),
            "--json",
        ],
        None,
    )?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["integrity"], "ok");
    let target = before.len() + 2;
    assert!(
        wait_for(target).await >= target,
        "the writer stopped after the backup"
    );
    stop.store(true, Ordering::Relaxed);
    let added = writer.join().map_err(|_| "writer panicked")??;
    let logged_in = logins.await?;
    assert!(added > before.len());
    assert!(logged_in > 0);

    let backup_url = format!("sqlite://{}", backup.display());
    let in_backup = user_names(&backup_url)?;
    for name in before.iter().chain(std::iter::once(&"first".to_owned())) {
        assert!(
            in_backup.contains(name),
            "{name} was acknowledged before the backup began but is not in it"
        );
    }
    assert_eq!(
        report["users"].as_i64(),
        i64::try_from(in_backup.len()).ok()
    );
    // Never over an existing file.
    let again = passgate(
        &db,
        &["db", "backup", "--to", &backup.display().to_string()],
        None,
    )?;
    assert_eq!(
        again.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // A second server on the same file, and a restore under the running one, are refused.
    let second = Command::new(env!("CARGO_BIN_EXE_passgate"))
        .args(["--database", &db, "serve", "--listen", "127.0.0.1:0"])
        .env_remove("PASSGATE_DATABASE_URL")
        .stdout(Stdio::null())
        .output()?;
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success() && err.contains("in use by a running passgate server"),
        "{err}"
    );
    let refused = passgate(
        &db,
        &["db", "restore", "--from", &backup.display().to_string()],
        None,
    )?;
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(4), "{err}");
    assert!(err.contains("stop it first"), "{err}");

    // Stopped, the restore goes through and the database is the backup's.
    sigterm(&served.child)?;
    tokio::time::timeout(Duration::from_secs(40), served.child.wait()).await??;
    let restored = passgate(
        &db,
        &[
            "db",
            "restore",
            "--from",
            &backup.display().to_string(),
            "--json",
        ],
        None,
    )?;
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let mut now = user_names(&db)?;
    let mut expected = in_backup.clone();
    now.sort();
    expected.sort();
    assert_eq!(now, expected);
    // A damaged backup is refused and changes nothing.
    let damaged = dir.path().join("damaged.db");
    let mut bytes = std::fs::read(&backup)?;
    let len = bytes.len();
    bytes.truncate(len / 2);
    std::fs::write(&damaged, bytes)?;
    let bad = passgate(
        &db,
        &["db", "restore", "--from", &damaged.display().to_string()],
        None,
    )?;
    assert!(!bad.status.success());
    assert_eq!(user_names(&db)?.len(), expected.len());
    Ok(())
}

fn config_check(
    dir: &std::path::Path,
    config: &str,
    env: &[(&str, &str)],
) -> Result<(i32, String, String), Box<dyn std::error::Error>> {
    let file = dir.join("check.toml");
    std::fs::write(&file, config)?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_passgate"));
    cmd.args(["--config", &file.display().to_string(), "config", "check"])
        .env_remove("PASSGATE_DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output()?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn config_check_prints_effective_settings_without_secrets_and_names_every_problem() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("c.db").display().to_string();
    let good = format!(
        "database_url = \"sqlite://{db}\"\n[mail]\nsmtp_host = \"127.0.0.1\"\nfrom = \"id@example.com\"\nusername = \"u\"\npassword = \"smtp-secret-value\"\n"
    );
    let (code, stdout, stderr) = config_check(dir.path(), &good, &[])?;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("configuration OK"), "{stderr}");
    assert!(
        stdout.contains("SmtpSettings") && stdout.contains("host: \"127.0.0.1\""),
        "{stdout}"
    );
    assert!(!stdout.contains("smtp-secret-value") && !stderr.contains("smtp-secret-value"));
    assert!(
        !std::path::Path::new(&db).exists(),
        "config check must not create the database"
    );

    // A misspelt variable, a TLS key without its certificate: both named, exit 2.
    let (code, _, stderr) = config_check(
        dir.path(),
        &good,
        &[
            ("PASSGATE_POLICY_MIN_LENGTH", "abc"),
            ("PASSGATE_TLS_KEY", "/nonexistent/key.pem"),
        ],
    )?;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr
            .contains("error (environment): PASSGATE_POLICY_MIN_LENGTH is not a passgate setting"),
        "{stderr}"
    );
    assert!(stderr.contains("tls.cert"), "{stderr}");
    // Files serve would open: a missing certificate is named with its path.
    let (code, _, stderr) = config_check(
        dir.path(),
        &good,
        &[
            ("PASSGATE_TLS_CERT", "/nonexistent/cert.pem"),
            ("PASSGATE_TLS_KEY", "/nonexistent/key.pem"),
        ],
    )?;
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error (tls): cannot read /nonexistent/cert.pem"),
        "{stderr}"
    );
    // An unparsable value and an unknown key in the file.
    let (code, _, stderr) = config_check(dir.path(), "listen = \"localhost:80\"\n", &[])?;
    assert_eq!(code, 2);
    assert!(stderr.contains("listen"), "{stderr}");
    let (code, _, stderr) = config_check(dir.path(), "[policy]\nmin_lenght = 9\n", &[])?;
    assert_eq!(code, 2);
    assert!(stderr.contains("min_lenght"), "{stderr}");
    // PostgreSQL that cannot be reached: named, password redacted.
    let (code, _, stderr) = config_check(
        dir.path(),
        "database_url = \"postgres://app:db-secret-value@127.0.0.1:1/none\"\n",
        &[],
    )?;
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error (database_url)") && stderr.contains("app:***@"),
        "{stderr}"
    );
    assert!(!stderr.contains("db-secret-value"));
    Ok(())
}
