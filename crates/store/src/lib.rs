//! passgate-store: implementations of [`passgate_core::store::Store`].
//!
//! SQLite is the embedded default (`sqlite://passgate.db`). Every method is one transaction;
//! writes run whole on one writer thread in `BEGIN IMMEDIATE` transactions, so SQLite takes
//! its write lock up front and waits on the busy timeout instead of failing on a lock upgrade.
//!
//! PostgreSQL (`postgres://user@host/db`) lets several passgate nodes share one database.
//! Its transactions run at READ COMMITTED and are written so that concurrent requests on
//! different nodes give the same results as SQLite's serialised writers: conditional
//! updates for compare-and-swap, row locks for read-modify-write, and an advisory lock
//! around associate id allocation.

pub mod postgres;
mod postgres_outbox;
mod rows;
pub mod sqlite;
pub mod sqlite_backup;
mod sqlite_fast;
mod sqlite_migrate;
mod sqlite_outbox;
mod sqlite_read;
mod sqlite_rows;
mod sqlite_url;
mod sqlite_writer;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod transfer;

use std::sync::Arc;
use std::time::Duration;

use passgate_core::store::Store;
use passgate_core::CoreError;

/// Connection pool settings, the same for both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections this process opens. With PostgreSQL, the sum over all nodes (plus
    /// operators' tools) must stay below the server's `max_connections`.
    pub max_connections: u32,
    /// How long a request waits for a free connection before failing (so an exhausted pool
    /// turns into errors and a failing `/readyz` instead of requests that hang).
    pub acquire_timeout: Duration,
    /// PostgreSQL only: longest a single statement may run before the server cancels it, so
    /// a stuck query cannot hold row locks (and a user's password change) indefinitely.
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://FILE`.
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

impl Backend {
    /// The backend of `url`, or `InvalidInput` (with the password redacted) when the
    /// scheme is neither.
    pub fn of(url: &str) -> Result<Self, CoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(CoreError::InvalidInput(format!(
                "unsupported database URL scheme (expected sqlite://... or postgres://...): {}",
                redact_url(url)
            )))
        }
    }
}

/// Opens the store a database URL names with default pool settings, creating an SQLite
/// file if missing and applying pending migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, CoreError> {
    open_with(url, &PoolSettings::default()).await
}

/// Opens the store a database URL names with the given pool settings, creating an SQLite
/// file if missing and applying pending migrations. A PostgreSQL database must exist.
pub async fn open_with(url: &str, pool: &PoolSettings) -> Result<Arc<dyn Store>, CoreError> {
    match Backend::of(url)? {
        Backend::Sqlite => {
            let store = sqlite::SqliteStore::connect(url, pool).await?;
            store.migrate().await?;
            Ok(Arc::new(store))
        }
        Backend::Postgres => {
            let store = postgres::PgStore::connect(url, pool).await?;
            store.migrate().await?;
            Ok(Arc::new(store))
        }
    }
}

/// A database URL, which may carry a password. `Debug` and `Display` show it redacted
/// ([`redact_url`]), so settings and arguments holding it can be printed safely; the full
/// text is only for connecting ([`DatabaseUrl::expose`], or deref to `str`).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The full URL, password included.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        DatabaseUrl(url)
    }
}

impl From<&str> for DatabaseUrl {
    fn from(url: &str) -> Self {
        DatabaseUrl(url.to_owned())
    }
}

impl PartialEq<&str> for DatabaseUrl {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({:?})", redact_url(&self.0))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

/// The file of a `sqlite:` URL (None for another scheme or an unparsable URL; the syntax is
/// in `sqlite_url.rs`).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    if !matches!(Backend::of(url), Ok(Backend::Sqlite)) {
        return None;
    }
    sqlite_url::SqliteUrl::parse(url).ok().map(|u| u.file)
}

/// A database URL with any password removed, for error messages and logs: the password of
/// the user info (`user:***@host`) and a libpq-style `password=` query parameter.
pub fn redact_url(url: &str) -> String {
    let url = redact_query_password(url);
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url;
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    match url[scheme_end..authority_end].rfind('@') {
        Some(at) => {
            let at = scheme_end + at;
            match url[scheme_end..at].split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end], &url[at..]),
                None => url,
            }
        }
        None => url,
    }
}

/// Replaces the value of a `password=` query parameter (libpq style) with `***`.
fn redact_query_password(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_owned();
    };
    let params: Vec<String> = url[q + 1..]
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{}?{}", &url[..q], params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
        assert_eq!(
            redact_url("postgres://u:p@ss@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=disable&password=secret"),
            "postgres://u@h/db?sslmode=disable&password=***"
        );
    }

    #[test]
    fn database_urls_print_redacted() {
        let url = DatabaseUrl::from("postgres://u:secret@h/db");
        assert_eq!(url.expose(), "postgres://u:secret@h/db");
        assert!(!format!("{url} {url:?}").contains("secret"));
        assert_eq!(url.to_string(), "postgres://u:***@h/db");
    }

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(Backend::of("sqlite://x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://h/db").ok(), Some(Backend::Postgres));
        assert_eq!(
            Backend::of("postgresql://h/db").ok(),
            Some(Backend::Postgres)
        );
        match Backend::of("mysql://u:secret@h/db") {
            Err(CoreError::InvalidInput(m)) => assert!(!m.contains("secret"), "{m}"),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }
}
