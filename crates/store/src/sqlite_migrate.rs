//! Schema migrations of the SQLite backend, run on the writer's connection.
//!
//! The SQL files are `migrations/sqlite/NNNN_name.sql`, compiled into the binary. What has
//! been applied is recorded in `_sqlx_migrations`, the ledger passgate has kept since its
//! first release (its SQLite migrations ran on sqlx then, as PostgreSQL's still do): same
//! columns, same version numbers and descriptions, and the same SHA-384 checksum of each
//! file. So a database migrated by any earlier passgate is recognised, and an earlier
//! passgate still opens a database migrated here.
//!
//! Each migration runs in its own `BEGIN IMMEDIATE` transaction together with its ledger
//! row, and the ledger is read again inside that transaction, so two processes migrating one
//! file at the same time (a server and a CLI command) never apply a migration twice.
//! Refused, as before: a ledger that names a migration this binary does not know (the
//! database is newer than the binary), a checksum that differs from the file (the applied
//! migration was edited), and a migration recorded as failed.

use std::time::Instant;

use passgate_core::CoreError;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha384};

/// One migration file.
struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

/// Every migration, in order. A new file must be added here (a test checks the directory).
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "initial",
        sql: include_str!("../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        description: "throttle",
        sql: include_str!("../migrations/sqlite/0002_throttle.sql"),
    },
    Migration {
        version: 3,
        description: "admin",
        sql: include_str!("../migrations/sqlite/0003_admin.sql"),
    },
    Migration {
        version: 4,
        description: "reset mail",
        sql: include_str!("../migrations/sqlite/0004_reset_mail.sql"),
    },
];

/// The ledger, as sqlx created it.
const LEDGER: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MigrateError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration {0} was applied to this database but is unknown to this passgate (the database is newer than the binary)")]
    Unknown(i64),
    #[error("migration {0} was changed after it was applied (its checksum differs)")]
    Changed(i64),
    #[error(
        "migration {0} failed earlier and left the database partly migrated; restore a backup"
    )]
    Dirty(i64),
}

impl From<MigrateError> for CoreError {
    fn from(e: MigrateError) -> Self {
        CoreError::Storage(format!("migration failed: {e}"))
    }
}

/// Applies every pending migration; a no-op on an up-to-date database.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    conn.execute_batch(LEDGER)?;
    let dirty: Option<i64> = conn
        .query_row(
            "SELECT version FROM _sqlx_migrations WHERE success = false ORDER BY version LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(v) = dirty {
        return Err(MigrateError::Dirty(v));
    }
    let applied: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (version, checksum) in &applied {
        let known = MIGRATIONS
            .iter()
            .find(|m| m.version == *version)
            .ok_or(MigrateError::Unknown(*version))?;
        if checksum.as_slice() != Sha384::digest(known.sql.as_bytes()).as_slice() {
            return Err(MigrateError::Changed(*version));
        }
    }
    for m in MIGRATIONS {
        if applied.iter().any(|(v, _)| *v == m.version) {
            continue;
        }
        apply(conn, m)?;
    }
    Ok(())
}

/// Runs one migration and records it, in one transaction; skips it if another process
/// applied it meanwhile.
fn apply(conn: &mut Connection, m: &Migration) -> Result<(), MigrateError> {
    let started = Instant::now();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done = tx
        .query_row(
            "SELECT 1 FROM _sqlx_migrations WHERE version = ?1",
            [m.version],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if done {
        return Ok(());
    }
    tx.execute_batch(m.sql)?;
    let elapsed = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (?1, ?2, TRUE, ?3, ?4)",
        params![
            m.version,
            m.description,
            Sha384::digest(m.sql.as_bytes()).as_slice(),
            elapsed
        ],
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn every_file_in_the_directory_is_listed_with_sqlx_s_version_and_description() -> TestResult {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.description.replace(' ', "_")))
            .collect();
        assert_eq!(files, listed);
        Ok(())
    }

    /// The ledger rows sqlx 0.8.6 wrote when earlier passgate releases migrated a database
    /// (read from such a database): version, description, SHA-384 of the file.
    const WRITTEN_BY_SQLX: &[(i64, &str, &str)] = &[
        (1, "initial", "A9E30A2393AA1FA36511D624F733A07E6D3A2F34ECA4FC065B3FDB476184B0B87F2C5861D1ACAAC8E686A2B41DC4C875"),
        (2, "throttle", "4B428B431C62E544B6774F0DA7FFD26CA1790D77E5E4DE3EED108F0C0ABE2E94E26FB8D61E678E8BAC7F1D070F0FC7F5"),
        (3, "admin", "90AE9F6E9E4CE50373BC6651609FB375A81010EE7E29351AD4757420B2FC75405D1F60A10C0B3A2B9E17ABDDBC5E7343"),
        (4, "reset mail", "8D48147757F926A659465A84E865E1B5A3DC3F81C04BED2D83B1B89BEE661F6459789C0CD421069A6D7F8C014345959C"),
    ];

    #[test]
    fn a_database_migrated_by_an_earlier_passgate_is_up_to_date() -> TestResult {
        let dir = tempfile::tempdir()?;
        let mut conn = Connection::open(dir.path().join("old.db"))?;
        conn.execute_batch(LEDGER)?;
        for ((version, description, checksum), m) in WRITTEN_BY_SQLX.iter().zip(MIGRATIONS) {
            conn.execute_batch(m.sql)?;
            conn.execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (?1, ?2, TRUE, unhex(?3), 1000)",
                params![version, description, checksum],
            )?;
        }
        migrate(&mut conn)?;
        let ledger: Vec<(i64, String, String, i64)> = conn
            .prepare("SELECT version, description, hex(checksum), execution_time FROM _sqlx_migrations ORDER BY version")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let expected: Vec<(i64, String, String, i64)> = WRITTEN_BY_SQLX
            .iter()
            .map(|(v, d, c)| (*v, (*d).to_owned(), (*c).to_owned(), 1000))
            .collect();
        assert_eq!(ledger, expected, "nothing applied again, nothing rewritten");
        Ok(())
    }

    #[test]
    fn a_new_database_gets_the_ledger_an_earlier_passgate_expects() -> TestResult {
        let dir = tempfile::tempdir()?;
        let mut conn = Connection::open(dir.path().join("new.db"))?;
        migrate(&mut conn)?;
        let ledger: Vec<(i64, String, String, bool)> = conn
            .prepare("SELECT version, description, hex(checksum), success FROM _sqlx_migrations ORDER BY version")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let expected: Vec<(i64, String, String, bool)> = WRITTEN_BY_SQLX
            .iter()
            .map(|(v, d, c)| (*v, (*d).to_owned(), (*c).to_owned(), true))
            .collect();
        assert_eq!(ledger, expected);
        Ok(())
    }

    #[test]
    fn applies_once_and_refuses_changed_unknown_and_dirty_ledgers() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("m.db");
        let mut conn = Connection::open(&path)?;
        migrate(&mut conn)?;
        migrate(&mut conn)?;
        let rows: i64 =
            conn.query_row("SELECT COUNT(*) FROM _sqlx_migrations", [], |r| r.get(0))?;
        assert_eq!(rows, MIGRATIONS.len() as i64);
        conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))?;

        conn.execute(
            "UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 2",
            [],
        )?;
        assert!(matches!(migrate(&mut conn), Err(MigrateError::Changed(2))));
        conn.execute(
            "UPDATE _sqlx_migrations SET checksum = ?1 WHERE version = 2",
            [Sha384::digest(MIGRATIONS[1].sql.as_bytes()).as_slice()],
        )?;
        conn.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99, 'future', TRUE, x'00', 0)",
            [],
        )?;
        assert!(matches!(migrate(&mut conn), Err(MigrateError::Unknown(99))));
        conn.execute(
            "UPDATE _sqlx_migrations SET success = FALSE WHERE version = 99",
            [],
        )?;
        assert!(matches!(migrate(&mut conn), Err(MigrateError::Dirty(99))));
        Ok(())
    }
}
