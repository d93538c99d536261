//! The SQLite backend's readers for everything but the hot point reads: listings, scans,
//! counts, and the point reads the fast path ([`crate::sqlite_fast`]) could not serve at once.
//!
//! A read may scan a whole table (a user listing, an audit query) or wait on the busy
//! timeout while another process recovers the write-ahead log, so it runs on tokio's blocking
//! threads, never on an async one. At most `max_connections` reads run at once; a read that
//! finds them all busy waits up to the acquire timeout and then fails, so an overloaded
//! database turns into errors and a failing `/readyz`, not requests that hang. Connections
//! are kept for reuse (with their prepared statements) and never write (`query_only`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use passgate_core::CoreError;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::PoolSettings;

/// How long a read waits for another process's lock (as the writer does).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The read connections of one database file.
#[derive(Clone)]
pub(crate) struct Readers {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    acquire_timeout: Duration,
}

impl Readers {
    /// Readers of the (existing, migrated) database file at `path`.
    pub(crate) fn new(path: &Path, pool: &PoolSettings) -> Self {
        let max = usize::try_from(pool.max_connections.max(1)).unwrap_or(1);
        Readers {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(max)),
                acquire_timeout: pool.acquire_timeout,
            }),
        }
    }

    /// Runs `f` on a read connection on a blocking thread. `f` sees one consistent snapshot
    /// per statement; wrap several statements in a transaction for one across them.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let permit = tokio::time::timeout(
            self.inner.acquire_timeout,
            Arc::clone(&self.inner.permits).acquire_owned(),
        )
        .await
        .map_err(|_| {
            CoreError::Storage(format!(
                "no SQLite read connection free within {} ms",
                self.inner.acquire_timeout.as_millis()
            ))
        })?
        .map_err(|_| CoreError::Storage("the SQLite readers are closed".into()))?;
        let inner = Arc::clone(&self.inner);
        let joined = tokio::task::spawn_blocking(move || {
            // The permit lives as long as the connection is in use, even if the caller has
            // gone, so no more than `max_connections` reads ever run.
            let _permit = permit;
            let taken = inner.idle.lock().ok().and_then(|mut idle| idle.pop());
            let conn = match taken {
                Some(c) => c,
                None => open_reader(&inner.path, BUSY_TIMEOUT)?,
            };
            let result = f(&conn);
            if let Ok(mut idle) = inner.idle.lock() {
                idle.push(conn);
            }
            result
        })
        .await;
        match joined {
            Ok(result) => result.map_err(storage),
            Err(_) => Err(CoreError::Internal("an SQLite read panicked".into())),
        }
    }
}

/// A read connection of the file at `path` that waits `busy` for another process's lock and
/// can never write (`query_only`). Opened read-write so it may create the WAL index files;
/// shared with the inline readers ([`crate::sqlite_fast`]), which wait for nothing.
pub(crate) fn open_reader(path: &Path, busy: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// A failed read as the core's error: a stored row the core refused (see
/// [`corrupt`]) as that refusal, anything else as a storage failure (SQLite's messages name
/// tables and columns, never bound values).
pub(crate) fn storage(e: rusqlite::Error) -> CoreError {
    match e {
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => {
            match inner.downcast::<CoreError>() {
                Ok(core) => *core,
                Err(other) => CoreError::Storage(format!("stored value invalid: {other}")),
            }
        }
        other => CoreError::Storage(other.to_string()),
    }
}

/// Carries the core's refusal of a stored row through a rusqlite row mapper; [`storage`]
/// turns it back into that refusal.
pub(crate) fn corrupt(e: CoreError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[tokio::test]
    async fn reads_never_write_and_wait_at_most_the_acquire_timeout() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("r.db");
        Connection::open(&path)?
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")?;
        let readers = Readers::new(
            &path,
            &PoolSettings {
                max_connections: 1,
                acquire_timeout: Duration::from_millis(50),
                ..PoolSettings::default()
            },
        );
        let n: i64 = readers
            .read(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)))
            .await?;
        assert_eq!(n, 1);
        let write = readers
            .read(|c| c.execute("INSERT INTO t VALUES (2)", []))
            .await;
        assert!(matches!(write, Err(CoreError::Storage(_))), "query_only");

        // Hold the only connection; the next read gives up after the acquire timeout.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let held = readers.clone();
        let busy = tokio::spawn(async move {
            held.read(move |_| {
                let _ = started.send(());
                let _ = wait.recv();
                Ok(())
            })
            .await
        });
        running.await?;
        let refused = readers.read(|_| Ok(())).await;
        assert!(
            matches!(refused, Err(CoreError::Storage(m)) if m.contains("no SQLite read connection"))
        );
        release.send(())?;
        busy.await??;
        readers.read(|_| Ok(())).await?;
        Ok(())
    }
}
