//! Test support (feature `test-support`): a fresh PostgreSQL database per test.
//!
//! The server comes from `PASSGATE_TEST_POSTGRES_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`). Each [`TestDatabase`] creates a uniquely
//! named database there and drops it when dropped, so tests never see each other's rows and
//! never depend on what an earlier run left behind. Databases of crashed runs are dropped
//! by later runs once they are a day old.
//!
//! Without the variable, PostgreSQL tests are skipped with a notice on standard error
//! (once per test binary), except under `CI=true`, where a missing variable is an error so
//! that CI cannot pass without running them.

use std::io::Write;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::redact_url;

/// The variable naming the PostgreSQL server for tests.
pub const URL_VARIABLE: &str = "PASSGATE_TEST_POSTGRES_URL";

/// Prefix of every database the tests create.
const PREFIX: &str = "passgate_test_";

/// Databases of earlier runs older than this are dropped.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Why a test database could not be provided.
#[derive(Debug)]
pub struct TestDbError(String);

impl std::fmt::Display for TestDbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TestDbError {}

/// A database created for one test and dropped afterwards. (No `Debug`: the URL may hold
/// a password.)
pub struct TestDatabase {
    admin_url: String,
    url: String,
    name: String,
}

/// The server URL from the environment, `None` when tests may skip PostgreSQL.
fn server_url() -> Result<Option<String>, TestDbError> {
    match std::env::var(URL_VARIABLE).ok().filter(|v| !v.is_empty()) {
        Some(url) => Ok(Some(url)),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => Err(TestDbError(format!(
            "{URL_VARIABLE} is not set but CI=true: PostgreSQL tests must run in CI \
             (.ci/run sets it)"
        ))),
        None => {
            static NOTICE: OnceLock<()> = OnceLock::new();
            NOTICE.get_or_init(|| {
                // Straight to the stream: the test harness captures only print macros, and
                // this notice must be seen even when every test passes.
                let _ = writeln!(
                    std::io::stderr(),
                    "NOTICE: PostgreSQL tests SKIPPED: {URL_VARIABLE} is not set \
                     (e.g. {URL_VARIABLE}=postgres://postgres@127.0.0.1:5432/test)"
                );
            });
            Ok(None)
        }
    }
}

/// `url` with its database path replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> Result<String, TestDbError> {
    let scheme_end = url
        .find("://")
        .ok_or_else(|| TestDbError(format!("not a URL: {}", redact_url(url))))?
        + 3;
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    Ok(format!("{}/{name}{query}", &base[..authority_end]))
}

async fn admin_connection(admin_url: &str) -> Result<PgConnection, TestDbError> {
    let options = PgConnectOptions::from_str(admin_url)
        .map_err(|e| TestDbError(format!("{URL_VARIABLE}: {e}")))?;
    options.connect().await.map_err(|e| {
        TestDbError(format!(
            "PostgreSQL at {} is unreachable: {e}",
            redact_url(admin_url)
        ))
    })
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether PostgreSQL tests can run: `Ok(false)` (after a notice) when they are to be
/// skipped, an error under `CI=true` without the variable.
pub fn postgres_configured() -> Result<bool, TestDbError> {
    Ok(server_url()?.is_some())
}

impl TestDatabase {
    /// Creates a fresh database on the server from [`URL_VARIABLE`]. `Ok(None)` means
    /// "skip": the variable is unset outside CI (a notice was printed).
    pub async fn create() -> Result<Option<Self>, TestDbError> {
        let Some(admin_url) = server_url()? else {
            return Ok(None);
        };
        let mut conn = admin_connection(&admin_url).await?;
        drop_stale(&mut conn).await;
        let name = format!(
            "{PREFIX}{}_{}",
            now_secs(),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .map_err(|e| TestDbError(format!("cannot create test database {name}: {e}")))?;
        let _ = conn.close().await;
        Ok(Some(TestDatabase {
            url: with_database(&admin_url, &name)?,
            admin_url,
            name,
        }))
    }

    /// URL of the test database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Name of the test database.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Drops databases of earlier runs that are more than a day old (a crashed run cannot drop
/// its own). Younger ones may belong to a run in progress and are left alone.
async fn drop_stale(conn: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'passgate\\_test\\_%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap_or_default();
    let cutoff = now_secs().saturating_sub(STALE_AFTER.as_secs());
    for name in names {
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|c| c < cutoff) {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop may run inside the test's runtime, which cannot be blocked on; a thread with
        // its own small runtime can. FORCE ends connections of servers still shutting down.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = runtime {
                rt.block_on(async {
                    if let Ok(mut conn) = admin_connection(&admin_url).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                        let _ = conn.close().await;
                    }
                });
            }
        });
        let _ = dropper.join();
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_of_a_url() -> Result<(), super::TestDbError> {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x")?,
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x")?,
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h", "x")?, "postgresql://h/x");
        Ok(())
    }
}
