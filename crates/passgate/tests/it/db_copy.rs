//! `passgate db copy`: a populated SQLite installation moves to PostgreSQL and back, every
//! table arrives whole (checked by counts), and users log in afterwards, with sessions issued
//! before the move still valid. A non-empty target is refused unless forced.

use std::collections::BTreeMap;

use passgate_core::audit::FrontEnd;
use passgate_core::RequestContext;
use passgate_store::testing::TestDatabase;
use sqlx::Connection;

use crate::cli::passgate;
use crate::harness::*;
use crate::multinode::{client, login, Node};

const OLD: &str = "correct horse battery staple";
const NEW: &str = "a brand new passphrase, long";
const TABLES: [&str; 5] = [
    "users",
    "password_history",
    "sessions",
    "throttle",
    "audit_events",
];

/// Row counts of every table, read directly.
async fn counts(url: &str) -> Result<BTreeMap<String, i64>, Box<dyn std::error::Error>> {
    let mut out = BTreeMap::new();
    for t in TABLES {
        let sql = format!("SELECT COUNT(*) FROM {t}");
        let n: i64 = if url.starts_with("sqlite:") {
            crate::harness::sqlite_conn(url)?.query_row(&sql, [], |r| r.get(0))?
        } else {
            let mut c = sqlx::PgConnection::connect(url).await?;
            let n = sqlx::query_scalar(&sql).fetch_one(&mut c).await?;
            c.close().await?;
            n
        };
        out.insert(t.to_owned(), n);
    }
    Ok(out)
}

/// Runs `db copy` with `--json`; returns the exit code and the parsed report.
fn copy(
    from: &str,
    to: &str,
    force: bool,
) -> Result<(Option<i32>, serde_json::Value, String), Box<dyn std::error::Error>> {
    let mut args = vec!["db", "copy", "--from", from, "--to", to, "--json"];
    if force {
        args.push("--force");
    }
    // `--database` (global) is irrelevant to `db copy`; it names the source to be explicit.
    let out = passgate(from, &args, None)?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = if out.status.success() {
        serde_json::from_slice(&out.stdout)?
    } else {
        serde_json::Value::Null
    };
    Ok((out.status.code(), report, stderr))
}

fn reported(report: &serde_json::Value) -> BTreeMap<String, i64> {
    TABLES
        .iter()
        .map(|t| ((*t).to_owned(), report["tables"][t].as_i64().unwrap_or(-1)))
        .collect()
}

/// The audit trail as the CLI prints it, ids included.
fn audit_json(db: &str) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let out = passgate(db, &["audit", "--json"], None)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back_round_trips_and_users_log_in() -> TestResult {
    let Some(pg) = TestDatabase::create().await? else {
        return Ok(());
    };
    on_backend(Backend::Sqlite, async {
        // A populated installation: a changed password (history, a revoked session), live
        // tickets and REST sessions, failed logins (throttle rows), a lock, audit rows.
        let s = TestServer::start_with(|c| {
            c.core.hash = fast_params();
            c.trusted_proxy_header = Some("x-forwarded-for".into());
        })
        .await?;
        s.add_user("alice", OLD).await?;
        s.add_user("bob", OLD).await?;
        s.add_user("carol", OLD).await?;
        let t1 = s.login("alice", OLD).await?.ok_or("login")?;
        let t2 = s.login("alice", OLD).await?.ok_or("login")?;
        let (_, body) = s
            .soap12(USER, change_envelope(SOAP12, Some(&t1), OLD, NEW))
            .await?;
        assert_eq!(first_text(&body, "Response").as_deref(), Some("true"));
        let live_ticket = s.login("bob", OLD).await?.ok_or("login")?;
        for _ in 0..3 {
            assert_eq!(s.login("bob", "wrong password guess").await?, None);
        }
        s.core
            .lock_user(&RequestContext::new(FrontEnd::Cli), "carol", None)
            .await?;
        let source = s.db_url.clone();
        let before = counts(&source).await?;
        assert!(
            before.values().all(|n| *n > 0),
            "every table populated: {before:?}"
        );

        // SQLite -> PostgreSQL.
        let (code, report, stderr) = copy(&source, pg.url(), false)?;
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(reported(&report), before);
        assert_eq!(report["verified"], true);
        assert_eq!(report["replacedExisting"], false);
        assert_eq!(counts(pg.url()).await?, before);
        assert_eq!(
            audit_json(pg.url())?,
            audit_json(&source)?,
            "audit ids and rows"
        );

        // A second copy into the now non-empty target is refused, naming --force.
        let (code, _, stderr) = copy(&source, pg.url(), false)?;
        assert_eq!(code, Some(4), "{stderr}");
        assert!(
            stderr.contains("not empty") && stderr.contains("--force"),
            "{stderr}"
        );
        assert_eq!(counts(pg.url()).await?, before, "refusal changes nothing");

        // Users log in on a node serving the copy; sessions and locks came along.
        {
            let node = Node::start(pg.url()).await?;
            let http = client()?;
            assert!(login(&http, &node, "alice", NEW).await?.is_some());
            assert_eq!(login(&http, &node, "alice", OLD).await?, None);
            assert_eq!(
                login(&http, &node, "carol", OLD).await?,
                None,
                "still locked"
            );
            let status = |t: String| {
                let http = http.clone();
                let url = node.url("/auth");
                async move {
                    http.get(url)
                        .header("Accept", "application/json")
                        .header("X-ss-id", t)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                }
            };
            assert_eq!(
                status(t1.clone()).await?,
                200,
                "the changer's ticket survived"
            );
            assert_eq!(status(t2.clone()).await?, 401, "revoked before the copy");
            assert_eq!(status(live_ticket.clone()).await?, 200);
            // New audit rows continue after the copied ids.
            let audit = audit_json(pg.url())?;
            let ids: Vec<i64> = audit
                .as_array()
                .ok_or("array")?
                .iter()
                .filter_map(|r| r["id"].as_i64())
                .collect();
            assert!(ids.windows(2).all(|w| w[0] < w[1]));
            assert!(ids.len() > usize::try_from(before["audit_events"])?);
        }

        // PostgreSQL -> a new SQLite file: the same rows come back.
        let dir = tempfile::tempdir()?;
        let back = format!("sqlite://{}", dir.path().join("back.db").display());
        let on_pg = counts(pg.url()).await?;
        let (code, report, stderr) = copy(pg.url(), &back, false)?;
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(reported(&report), on_pg);
        assert_eq!(counts(&back).await?, on_pg);
        assert_eq!(audit_json(&back)?, audit_json(pg.url())?);
        {
            let node = Node::start(&back).await?;
            let http = client()?;
            assert!(login(&http, &node, "alice", NEW).await?.is_some());
            assert!(login(&http, &node, "bob", OLD).await?.is_some());
        }

        // --force replaces a non-empty target's rows.
        let (code, report, stderr) = copy(&source, &back, true)?;
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(report["replacedExisting"], true);
        assert_eq!(counts(&back).await?, before);

        // Copying a database onto itself is a usage error.
        let (code, _, _) = copy(&back, &back, true)?;
        assert_eq!(code, Some(2));
        Ok(())
    })
    .await?;
    drop(pg);
    Ok(())
}
