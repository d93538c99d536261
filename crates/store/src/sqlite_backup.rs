//! Online backup and offline restore of the SQLite database (`passgate db backup|restore`),
//! and the lock that tells a restore a server is running.
//!
//! - **Backup** is `VACUUM INTO` on a connection of its own: SQLite copies one consistent
//!   snapshot (a read transaction in WAL mode) while the server keeps writing, so the copy
//!   holds every change committed before the backup began and none that is half done. The
//!   copy is then opened on its own and must pass `PRAGMA integrity_check` and have every
//!   table; a copy that fails is deleted.
//! - **The server lock**: `passgate serve` holds an exclusive advisory lock (`flock`) on
//!   `<database>.lock` while it runs. A second server on the same file, or a restore, is
//!   refused while it is held; the kernel drops it when the process ends, even on kill -9.
//! - **Restore** checks the backup the same way, takes the lock (so no server starts
//!   meanwhile), writes the backup beside the database and renames it into place, removing
//!   the old write-ahead log so none of it is replayed onto the restored file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use passgate_core::CoreError;
use rusqlite::{Connection, OpenFlags};

/// What a verified copy holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupReport {
    /// Users in the copy.
    pub users: i64,
    /// Size of the copy in bytes.
    pub bytes: u64,
}

/// The lock file of database `db`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the exclusive server lock of `db`, or says who holds it. Keep the file open for
/// as long as the lock is needed.
pub fn lock(db: &Path) -> Result<File, CoreError> {
    let path = lock_path(db);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| CoreError::Storage(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(CoreError::Conflict(format!(
            "{} is in use by a running passgate server (it holds {}); stop it first",
            db.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(CoreError::Storage(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

fn storage(what: &str, e: impl std::fmt::Display) -> CoreError {
    CoreError::Storage(format!("{what}: {e}"))
}

/// Runs `f` on a blocking thread (these are whole-file operations: seconds, not
/// microseconds).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CoreError> + Send + 'static,
) -> Result<T, CoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| CoreError::Internal("a backup task panicked".into()))?
}

/// Opens `file` read-only and checks it: `PRAGMA integrity_check` says `ok` and the users
/// table is there. Returns the number of users.
pub async fn verify(file: &Path) -> Result<i64, CoreError> {
    let file = file.to_path_buf();
    blocking(move || verify_now(&file)).await
}

fn verify_now(file: &Path) -> Result<i64, CoreError> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| storage(&format!("cannot open {}", file.display()), e))?;
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| storage("integrity check failed", e))?;
    if check != "ok" {
        return Err(CoreError::Storage(format!(
            "{} is damaged: {check}",
            file.display()
        )));
    }
    conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .map_err(|e| storage(&format!("{} is not a passgate database", file.display()), e))
}

/// Copies the live database `url` to the new file `to` and verifies the copy.
pub async fn backup(url: &str, to: &Path) -> Result<BackupReport, CoreError> {
    let source = crate::sqlite_file(url)
        .ok_or_else(|| CoreError::InvalidInput("db backup needs a sqlite:// URL".into()))?;
    if !source.is_file() {
        return Err(CoreError::NotFound(format!(
            "{} does not exist",
            source.display()
        )));
    }
    if to.exists() {
        return Err(CoreError::Conflict(format!(
            "{} exists; backups never overwrite",
            to.display()
        )));
    }
    let target = to
        .to_str()
        .ok_or_else(|| CoreError::InvalidInput("the backup path is not UTF-8".into()))?
        .to_owned();
    blocking(move || {
        let conn = Connection::open_with_flags(
            &source,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| storage(&format!("cannot open {}", source.display()), e))?;
        conn.busy_timeout(Duration::from_secs(30))
            .and_then(|()| conn.execute("VACUUM INTO ?1", [&target]))
            .map_err(|e| storage("backup failed", e))?;
        Ok(())
    })
    .await?;
    match verify(to).await {
        Ok(users) => Ok(BackupReport {
            users,
            bytes: std::fs::metadata(to).map(|m| m.len()).unwrap_or(0),
        }),
        Err(e) => {
            let _ = std::fs::remove_file(to);
            Err(e)
        }
    }
}

/// Replaces the database of `url` with the verified backup `from`, unless a server holds it.
pub async fn restore(url: &str, from: &Path) -> Result<BackupReport, CoreError> {
    let db = crate::sqlite_file(url)
        .ok_or_else(|| CoreError::InvalidInput("db restore needs a sqlite:// URL".into()))?;
    let users = verify(from).await?;
    let _lock = lock(&db)?;
    let mut tmp = db.as_os_str().to_owned();
    tmp.push(".restoring");
    let tmp = PathBuf::from(tmp);
    std::fs::copy(from, &tmp)
        .map_err(|e| storage(&format!("cannot write {}", tmp.display()), e))?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| storage("cannot sync the restored copy", e))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = db.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(side)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(storage("cannot remove the old write-ahead log", e)),
        }
    }
    std::fs::rename(&tmp, &db)
        .map_err(|e| storage(&format!("cannot replace {}", db.display()), e))?;
    Ok(BackupReport {
        users,
        bytes: std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_released(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("p.db");
        let first = lock(&db)?;
        assert!(matches!(lock(&db), Err(CoreError::Conflict(_))));
        drop(first);
        assert!(lock(&db).is_ok());
        Ok(())
    }
}
