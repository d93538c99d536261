//! The SQLite backend's one writer: a dedicated thread that owns the only connection this
//! process writes with, and runs each write transaction whole.
//!
//! A transaction is one closure sent to the writer thread and one answer back: two thread
//! wake-ups, however many statements it runs. (A driver that hands every statement over
//! separately, as sqlx's SQLite driver did here before, makes `BEGIN`, each `INSERT` and
//! `COMMIT` a round trip of its own: a login's session row and audit row cost four hand-overs,
//! and on a machine whose cores are busy hashing each wake-up preempts a hashing thread.)
//!
//! One writer also means this process's writers queue in FIFO order for the write lock
//! instead of meeting in SQLite's busy handler,
//! which sleeps (1, 2, 5, 10 … ms) between retries. The busy timeout still applies against
//! other processes (the command-line tools) writing the same file. The thread may block on
//! that timeout, or on a checkpoint's `fsync`; the async runtime never does.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use passgate_core::CoreError;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

/// A write transaction to run on the writer thread.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// How long the writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements the writer keeps.
const STATEMENT_CACHE: usize = 64;

/// Name of the writer thread (visible in `top -H` and profiles).
const THREAD_NAME: &str = "sqlite-writer";

/// Handle to the writer thread. Cloning shares the thread; it ends when the last handle is
/// dropped (after finishing the jobs already queued).
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Opens (creating if missing) the database file at `path` for writing and starts the
    /// writer thread. The connection is opened on that thread, so a busy
    /// database delays this future, never an async runtime thread.
    pub(crate) async fn open(path: &Path) -> Result<Self, CoreError> {
        let shown = path.display().to_string();
        let path = path.to_path_buf();
        let (jobs, queue) = mpsc::channel::<Job>();
        let (opened, open_result) = oneshot::channel::<rusqlite::Result<()>>();
        std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                let mut conn = match Self::connect(&path) {
                    Ok(conn) => {
                        let _ = opened.send(Ok(()));
                        conn
                    }
                    Err(e) => {
                        let _ = opened.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = queue.recv() {
                    // A panicking job must not take every later write down with it. Its
                    // transaction guard rolls back as the panic unwinds, so the connection
                    // is clean again; the caller sees its answer channel closed.
                    let run = std::panic::AssertUnwindSafe(|| job(&mut conn));
                    if std::panic::catch_unwind(run).is_err() {
                        tracing::error!("a SQLite write panicked; its transaction was rolled back");
                    }
                }
            })
            .map_err(|e| CoreError::Storage(format!("cannot start the SQLite writer: {e}")))?;
        match open_result.await {
            Ok(Ok(())) => Ok(Writer { jobs }),
            Ok(Err(e)) => Err(CoreError::Storage(format!(
                "cannot open SQLite database {shown}: {e}"
            ))),
            Err(_) => Err(stopped()),
        }
    }

    fn connect(path: &Path) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Room for every write statement (about twenty), so none is prepared twice.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // WAL (readers never wait for the writer), `synchronous = NORMAL` (a commit is
        // durable at the next checkpoint; a crash never corrupts), foreign keys enforced.
        conn.pragma_update(None, "journal_mode", "wal")?;
        conn.pragma_update(None, "synchronous", "normal")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        Ok(conn)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer thread: committed when
    /// `f` returns `Ok(Commit(v))`, rolled back when it returns `Ok(Rollback(v))` or an
    /// error. Takes the write lock at `BEGIN`, so reads inside see what the writes will
    /// change.
    pub(crate) async fn transaction<T, F>(&self, f: F) -> Result<T, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<Outcome<T>, WriteError> + Send + 'static,
    {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            match f(&tx)? {
                Outcome::Commit(v) => {
                    tx.commit()?;
                    Ok(v)
                }
                Outcome::Rollback(v) => {
                    tx.rollback()?;
                    Ok(v)
                }
            }
        })
        .await
    }

    /// Runs `f` on the writer's connection outside any explicit transaction (a single
    /// statement is its own transaction).
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, WriteError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            // A caller that has gone while the job waited (its request timed out and was
            // answered) gets nothing written. Once started, the transaction commits or rolls
            // back whole; if the caller goes meanwhile, only the answer is lost.
            if reply.is_closed() {
                return;
            }
            let _ = reply.send(f(conn));
        });
        self.jobs.send(job).map_err(|_| stopped())?;
        match answer.await {
            Ok(result) => result.map_err(WriteError::into_core),
            Err(_) => Err(stopped()),
        }
    }
}

fn stopped() -> CoreError {
    CoreError::Storage("the SQLite writer gave no answer (stopped, or the write failed)".into())
}

/// What a write transaction decided.
pub(crate) enum Outcome<T> {
    /// Keep the writes.
    Commit(T),
    /// Undo them (nothing matched), and answer this.
    Rollback(T),
}

/// A failure inside a write transaction: from SQLite, or from the core's own checks on what
/// was read.
pub(crate) enum WriteError {
    Sqlite(rusqlite::Error),
    Core(CoreError),
}

impl From<rusqlite::Error> for WriteError {
    fn from(e: rusqlite::Error) -> Self {
        WriteError::Sqlite(e)
    }
}

impl From<CoreError> for WriteError {
    fn from(e: CoreError) -> Self {
        WriteError::Core(e)
    }
}

impl WriteError {
    /// Unique violations become `Conflict` naming the column, as with the other drivers;
    /// everything else is a storage failure (SQLite's messages name tables and columns,
    /// never bound values).
    fn into_core(self) -> CoreError {
        match self {
            WriteError::Core(e) => e,
            WriteError::Sqlite(e) => {
                if let rusqlite::Error::SqliteFailure(f, msg) = &e {
                    if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    {
                        let msg = msg.as_deref().unwrap_or_default();
                        return CoreError::Conflict(crate::rows::conflict_message(msg).into());
                    }
                }
                CoreError::Storage(e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn count(path: &Path) -> rusqlite::Result<i64> {
        Connection::open(path)?.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
    }

    async fn setup(
    ) -> Result<(tempfile::TempDir, std::path::PathBuf, Writer), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("w.db");
        Connection::open(&path)?
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, username TEXT UNIQUE)")?;
        let writer = Writer::open(&path).await?;
        Ok((dir, path, writer))
    }

    #[tokio::test]
    async fn commits_rolls_back_and_maps_unique_violations() -> TestResult {
        let (_dir, path, writer) = setup().await?;
        let insert = |name: &'static str| {
            move |tx: &rusqlite::Transaction<'_>| {
                tx.execute("INSERT INTO t (username) VALUES (?1)", [name])?;
                Ok(Outcome::Commit(()))
            }
        };
        writer.transaction(insert("a")).await?;
        assert_eq!(count(&path)?, 1);
        let undone = writer
            .transaction(|tx| {
                tx.execute("INSERT INTO t (username) VALUES ('b')", [])?;
                Ok(Outcome::Rollback(7))
            })
            .await?;
        assert_eq!(undone, 7);
        assert_eq!(count(&path)?, 1, "rolled back");
        let failed = writer
            .transaction(|tx| {
                tx.execute("INSERT INTO t (username) VALUES ('c')", [])?;
                Err::<Outcome<()>, _>(WriteError::Core(CoreError::InvalidInput("no".into())))
            })
            .await;
        assert!(matches!(failed, Err(CoreError::InvalidInput(_))));
        assert_eq!(count(&path)?, 1, "an error rolls back");
        let dup = writer.transaction(insert("a")).await;
        assert!(
            matches!(&dup, Err(CoreError::Conflict(m)) if m.contains("name already exists")),
            "{dup:?}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_panicking_job_rolls_back_and_the_writer_goes_on() -> TestResult {
        let (_dir, path, writer) = setup().await?;
        let panicked = writer
            .transaction(|tx| -> Result<Outcome<()>, WriteError> {
                tx.execute("INSERT INTO t (username) VALUES ('p')", [])?;
                panic!("boom");
            })
            .await;
        assert!(matches!(panicked, Err(CoreError::Storage(_))));
        writer
            .transaction(|tx| {
                tx.execute("INSERT INTO t (username) VALUES ('q')", [])?;
                Ok(Outcome::Commit(()))
            })
            .await?;
        let names: Vec<String> = Connection::open(&path)?
            .prepare("SELECT username FROM t")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        assert_eq!(names, ["q"]);
        Ok(())
    }

    #[tokio::test]
    async fn a_caller_that_has_gone_gets_nothing_written() -> TestResult {
        let (_dir, path, writer) = setup().await?;
        // Hold the writer busy until released, so the next job waits in the queue.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel::<()>();
        let held = writer.clone();
        let busy = tokio::spawn(async move {
            held.run(move |_| {
                let _ = started.send(());
                let _ = wait.recv();
                Ok(())
            })
            .await
        });
        running.await?;
        let queued = writer.transaction(|tx| {
            tx.execute("INSERT INTO t (username) VALUES ('late')", [])?;
            Ok(Outcome::Commit(()))
        });
        // Polled once (so it is queued), then dropped: the caller has gone.
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(20), queued).await;
        assert!(timed_out.is_err());
        release.send(())?;
        busy.await??;
        // A later job runs after the dropped one: once it has, the dropped one was skipped.
        writer.run(|_| Ok(())).await?;
        assert_eq!(count(&path)?, 0);
        Ok(())
    }
}
