//! Copying a whole installation between databases of either backend (`passgate db copy`).
//!
//! Both databases are migrated to the current schema first. The source is read in one
//! consistent snapshot and the target written in one transaction, so a failed copy leaves
//! the target as it was. Afterwards the row counts of the target are compared with the
//! source's and every user is read back through the [`Store`] of both sides.

use std::time::Duration;

use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use passgate_core::store::{Store, UserRecord};
use passgate_core::CoreError;
use sqlx::{QueryBuilder, Row};

use crate::postgres::PgStore;
use crate::rows::db_error;
use crate::sqlite::SqliteStore;
use crate::sqlite_read::storage;
use crate::{redact_url, Backend, PoolSettings};

/// Rows per INSERT statement (14 columns × 200 stays far below both backends' bind limits).
const BATCH: usize = 200;

/// The stored type of a column, identical in both schemas.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Int,
    Bool,
}

/// One table to copy: its columns and a stable order.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    order_by: &'static str,
}

/// Every table of an installation, parents before children.
const TABLES: &[Table] = &[
    Table {
        name: "users",
        columns: &[
            ("id", Kind::Text),
            ("associate_id", Kind::Int),
            ("username", Kind::Text),
            ("username_folded", Kind::Text),
            ("email", Kind::Text),
            ("email_folded", Kind::Text),
            ("full_name", Kind::Text),
            ("role", Kind::Text),
            ("locked_until", Kind::Int),
            ("password_hash", Kind::Text),
            ("password_changed_at", Kind::Int),
            ("credential_version", Kind::Int),
            ("must_change_password", Kind::Bool),
            ("created_at", Kind::Int),
        ],
        order_by: "associate_id",
    },
    Table {
        name: "password_history",
        columns: &[
            ("user_id", Kind::Text),
            ("password_hash", Kind::Text),
            ("created_at", Kind::Int),
        ],
        order_by: "user_id, created_at",
    },
    Table {
        name: "sessions",
        columns: &[
            ("id", Kind::Text),
            ("user_id", Kind::Text),
            ("token_sha256", Kind::Text),
            ("kind", Kind::Text),
            ("created_at", Kind::Int),
            ("last_seen_at", Kind::Int),
            ("expires_at", Kind::Int),
            ("revoked_at", Kind::Int),
            ("client_addr", Kind::Text),
            ("user_agent", Kind::Text),
        ],
        order_by: "created_at, id",
    },
    Table {
        name: "throttle",
        columns: &[
            ("key", Kind::Text),
            ("failures", Kind::Int),
            ("window_start", Kind::Int),
            ("blocked_until", Kind::Int),
        ],
        order_by: "key",
    },
    Table {
        name: "audit_events",
        columns: &[
            ("id", Kind::Int),
            ("at", Kind::Int),
            ("user_id", Kind::Text),
            ("username", Kind::Text),
            ("event", Kind::Text),
            ("front_end", Kind::Text),
            ("client_addr", Kind::Text),
            ("reason", Kind::Text),
            ("actor", Kind::Text),
        ],
        order_by: "id",
    },
    Table {
        name: "app_tokens",
        columns: &[
            ("name", Kind::Text),
            ("token_sha256", Kind::Text),
            ("created_at", Kind::Int),
            ("revoked_at", Kind::Int),
        ],
        order_by: "name",
    },
    Table {
        name: "reset_tokens",
        columns: &[
            ("token_sha256", Kind::Text),
            ("user_id", Kind::Text),
            ("credential_version", Kind::Int),
            ("created_at", Kind::Int),
            ("expires_at", Kind::Int),
            ("spent_at", Kind::Int),
        ],
        order_by: "created_at, token_sha256",
    },
    Table {
        name: "mail_outbox",
        columns: &[
            ("id", Kind::Text),
            ("user_id", Kind::Text),
            ("recipient", Kind::Text),
            ("kind", Kind::Text),
            ("params", Kind::Text),
            ("state", Kind::Text),
            ("attempts", Kind::Int),
            ("next_attempt_at", Kind::Int),
            ("claimed_until", Kind::Int),
            ("last_error", Kind::Text),
            ("created_at", Kind::Int),
            ("sent_at", Kind::Int),
        ],
        order_by: "created_at, id",
    },
];

/// One column value in transit.
#[derive(Debug, Clone)]
enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Text(t) => t.to_sql(),
            Value::Int(i) => i.to_sql(),
            Value::Bool(b) => b.to_sql(),
        }
    }
}

/// An SQLite connection of the copy's own, used from async code: each call moves it to a
/// blocking thread and back (a page of rows at a time, so the runtime never blocks on a
/// whole table). Dropped in the middle of a transaction, SQLite rolls that back.
struct SqliteConn(Option<rusqlite::Connection>);

impl SqliteConn {
    fn open(store: &SqliteStore, query_only: bool) -> Result<Self, CoreError> {
        let conn = rusqlite::Connection::open(store.file()).map_err(storage)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(storage)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(storage)?;
        if query_only {
            conn.pragma_update(None, "query_only", true)
                .map_err(storage)?;
        }
        Ok(SqliteConn(Some(conn)))
    }

    async fn call<T, F>(&mut self, f: F) -> Result<T, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = self
            .0
            .take()
            .ok_or_else(|| CoreError::Internal("the copy's SQLite connection was lost".into()))?;
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let result = f(&conn);
            (conn, result)
        })
        .await
        .map_err(|_| CoreError::Internal("an SQLite copy step panicked".into()))?;
        self.0 = Some(conn);
        result.map_err(storage)
    }
}

/// What to copy where.
#[derive(Clone)]
pub struct CopyRequest<'a> {
    /// Source database URL (read only; migrated to the current schema first).
    pub from: &'a str,
    /// Target database URL (an SQLite file is created if missing; a PostgreSQL database
    /// must exist).
    pub to: &'a str,
    /// Replace the target's contents when it already holds rows.
    pub force: bool,
}

impl std::fmt::Debug for CopyRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyRequest")
            .field("from", &redact_url(self.from))
            .field("to", &redact_url(self.to))
            .field("force", &self.force)
            .finish()
    }
}

/// Rows of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    /// Table name.
    pub table: &'static str,
    /// Rows copied (equal in source and target after verification).
    pub rows: u64,
}

/// The outcome of a verified copy.
#[derive(Debug, Clone)]
pub struct CopyReport {
    /// Source URL, password redacted.
    pub from: String,
    /// Target URL, password redacted.
    pub to: String,
    /// Whether the target held rows that were replaced (`force`).
    pub replaced_existing: bool,
    /// Rows per table, in copy order.
    pub tables: Vec<TableCount>,
}

/// One side of the copy: the backend's store (for verification) and its pool.
enum Side {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Side {
    async fn open(url: &str) -> Result<Self, CoreError> {
        // The copy runs alone; a small pool is plenty. Reading a whole table is one
        // statement that may take minutes, so the statement timeout is a day, not seconds.
        let pool = PoolSettings {
            max_connections: 2,
            statement_timeout: Duration::from_secs(24 * 3600),
            ..PoolSettings::default()
        };
        Ok(match Backend::of(url)? {
            Backend::Sqlite => {
                let s = SqliteStore::connect(url, &pool).await?;
                s.migrate().await?;
                Side::Sqlite(s)
            }
            Backend::Postgres => {
                let s = PgStore::connect_logging(url, &pool, false).await?;
                s.migrate().await?;
                Side::Postgres(s)
            }
        })
    }

    fn store(&self) -> &dyn Store {
        match self {
            Side::Sqlite(s) => s,
            Side::Postgres(s) => s,
        }
    }

    async fn counts(&self) -> Result<Vec<TableCount>, CoreError> {
        let count_sql = |t: &Table| format!("SELECT COUNT(*) FROM {}", t.name);
        let count = |t: &'static Table, n: i64| TableCount {
            table: t.name,
            rows: u64::try_from(n).unwrap_or(0),
        };
        match self {
            Side::Sqlite(s) => {
                SqliteConn::open(s, true)?
                    .call(move |c| {
                        TABLES
                            .iter()
                            .map(|t| c.query_row(&count_sql(t), [], |r| Ok(count(t, r.get(0)?))))
                            .collect()
                    })
                    .await
            }
            Side::Postgres(s) => {
                let mut out = Vec::with_capacity(TABLES.len());
                for t in TABLES {
                    let n: i64 = sqlx::query_scalar(&count_sql(t))
                        .fetch_one(s.pool())
                        .await
                        .map_err(db_error)?;
                    out.push(count(t, n));
                }
                Ok(out)
            }
        }
    }
}

/// Reads one PostgreSQL row into values, by the table's column kinds.
fn read_values(row: &sqlx::postgres::PgRow, table: &Table) -> Result<Vec<Value>, CoreError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (name, kind))| {
            let bad = |e: sqlx::Error| CoreError::Storage(format!("{}.{name}: {e}", table.name));
            Ok(match kind {
                Kind::Text => Value::Text(row.try_get(i).map_err(bad)?),
                Kind::Int => Value::Int(row.try_get(i).map_err(bad)?),
                Kind::Bool => Value::Bool(row.try_get(i).map_err(bad)?),
            })
        })
        .collect()
}

/// Reads one SQLite row into values; the table's columns start at `first`.
fn read_sqlite_values(
    row: &rusqlite::Row<'_>,
    table: &Table,
    first: usize,
) -> rusqlite::Result<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            Ok(match kind {
                Kind::Text => Value::Text(row.get(first + i)?),
                Kind::Int => Value::Int(row.get(first + i)?),
                Kind::Bool => Value::Bool(row.get(first + i)?),
            })
        })
        .collect()
}

/// A multi-row INSERT of `rows` into `table`, for PostgreSQL.
fn insert_query(table: &Table, rows: Vec<Vec<Value>>) -> QueryBuilder<'static, sqlx::Postgres> {
    let names: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
    let mut q = QueryBuilder::new(format!(
        "INSERT INTO {} ({}) ",
        table.name,
        names.join(", ")
    ));
    q.push_values(rows, |mut b, row| {
        for v in row {
            match v {
                Value::Text(t) => b.push_bind(t),
                Value::Int(i) => b.push_bind(i),
                Value::Bool(x) => b.push_bind(x),
            };
        }
    });
    q
}

/// A multi-row INSERT of `rows` rows into `table`, for SQLite (`?` placeholders, bound in
/// row order).
fn sqlite_insert_sql(table: &Table, rows: usize) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
    let one = format!("({})", vec!["?"; names.len()].join(", "));
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        table.name,
        names.join(", "),
        vec![one; rows].join(", ")
    )
}

/// A page of an SQLite table after `rowid`: the page's last rowid and its rows. (Paging by
/// rowid inside one read transaction reads each row once, whatever the table's size.)
fn sqlite_page(table: &Table) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
    format!(
        "SELECT rowid, {} FROM {} WHERE rowid > ?1 ORDER BY rowid LIMIT {BATCH}",
        names.join(", "),
        table.name
    )
}

fn select_sql(table: &Table) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        names.join(", "),
        table.name,
        table.order_by
    )
}

/// A read-only snapshot of the source.
enum Snapshot<'a> {
    Sqlite(SqliteConn),
    Postgres(sqlx::Transaction<'a, sqlx::Postgres>),
}

impl Snapshot<'_> {
    async fn begin(side: &Side) -> Result<Snapshot<'_>, CoreError> {
        Ok(match side {
            Side::Sqlite(s) => {
                let mut conn = SqliteConn::open(s, true)?;
                // A deferred transaction takes its snapshot at the first read: right here.
                conn.call(|c| {
                    c.execute_batch("BEGIN")?;
                    c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))
                })
                .await?;
                Snapshot::Sqlite(conn)
            }
            Side::Postgres(s) => {
                let mut tx = s.pool().begin().await.map_err(db_error)?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                Snapshot::Postgres(tx)
            }
        })
    }

    /// The statement that reads `table` ([`Snapshot::rows`]).
    fn select(&self, table: &Table) -> String {
        match self {
            Snapshot::Sqlite(_) => sqlite_page(table),
            Snapshot::Postgres(_) => select_sql(table),
        }
    }

    /// Every row of `table` by `sql` (from [`Snapshot::select`]): PostgreSQL in `order_by`
    /// order, SQLite in rowid order, a page at a time.
    fn rows<'s>(
        &'s mut self,
        sql: &'s str,
        table: &'static Table,
    ) -> BoxStream<'s, Result<Vec<Value>, CoreError>> {
        match self {
            Snapshot::Sqlite(conn) => {
                let sql = sql.to_owned();
                futures_util::stream::try_unfold(
                    (conn, sql, Some(i64::MIN)),
                    move |(conn, sql, after)| async move {
                        let Some(after) = after else {
                            return Ok::<_, CoreError>(None);
                        };
                        let page_sql = sql.clone();
                        let page: Vec<(i64, Vec<Value>)> = conn
                            .call(move |c| {
                                c.prepare_cached(&page_sql)?
                                    .query_map([after], |r| {
                                        Ok((r.get(0)?, read_sqlite_values(r, table, 1)?))
                                    })?
                                    .collect()
                            })
                            .await?;
                        let next = match page.last() {
                            Some((rowid, _)) if page.len() == BATCH => Some(*rowid),
                            _ => None,
                        };
                        let rows: Vec<Result<Vec<Value>, CoreError>> =
                            page.into_iter().map(|(_, v)| Ok(v)).collect();
                        Ok(Some((futures_util::stream::iter(rows), (conn, sql, next))))
                    },
                )
                .try_flatten()
                .boxed()
            }
            Snapshot::Postgres(tx) => sqlx::query(sql)
                .fetch(&mut **tx)
                .map(move |r| r.map_err(db_error).and_then(|row| read_values(&row, table)))
                .boxed(),
        }
    }

    async fn count(&mut self, table: &Table) -> Result<u64, CoreError> {
        let sql = format!("SELECT COUNT(*) FROM {}", table.name);
        let n: i64 = match self {
            Snapshot::Sqlite(conn) => {
                conn.call(move |c| c.query_row(&sql, [], |r| r.get(0)))
                    .await?
            }
            Snapshot::Postgres(tx) => sqlx::query_scalar(&sql)
                .fetch_one(&mut **tx)
                .await
                .map_err(db_error)?,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// The target's write transaction.
enum Writer<'a> {
    Sqlite(SqliteConn),
    Postgres(sqlx::Transaction<'a, sqlx::Postgres>),
}

impl Writer<'_> {
    async fn begin(side: &Side) -> Result<Writer<'_>, CoreError> {
        Ok(match side {
            Side::Sqlite(s) => {
                let mut conn = SqliteConn::open(s, false)?;
                conn.call(|c| c.execute_batch("BEGIN IMMEDIATE")).await?;
                Writer::Sqlite(conn)
            }
            Side::Postgres(s) => Writer::Postgres(s.pool().begin().await.map_err(db_error)?),
        })
    }

    async fn execute(&mut self, sql: &str) -> Result<(), CoreError> {
        match self {
            Writer::Sqlite(conn) => {
                let sql = sql.to_owned();
                conn.call(move |c| c.execute_batch(&sql)).await
            }
            Writer::Postgres(tx) => sqlx::query(sql)
                .execute(&mut **tx)
                .await
                .map(|_| ())
                .map_err(db_error),
        }
    }

    async fn insert(
        &mut self,
        table: &'static Table,
        rows: Vec<Vec<Value>>,
    ) -> Result<(), CoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            Writer::Sqlite(conn) => {
                conn.call(move |c| {
                    let sql = sqlite_insert_sql(table, rows.len());
                    let values: Vec<&Value> = rows.iter().flatten().collect();
                    c.prepare_cached(&sql)?
                        .execute(rusqlite::params_from_iter(values))
                        .map(|_| ())
                })
                .await
            }
            Writer::Postgres(tx) => insert_query(table, rows)
                .build()
                .execute(&mut **tx)
                .await
                .map(|_| ())
                .map_err(db_error),
        }
    }

    /// Empties every table (children first) before a forced copy.
    async fn clear(&mut self) -> Result<(), CoreError> {
        for t in TABLES.iter().rev() {
            self.execute(&format!("DELETE FROM {}", t.name)).await?;
        }
        Ok(())
    }

    /// Moves PostgreSQL's audit id generator past the copied ids. (SQLite's AUTOINCREMENT
    /// follows explicitly inserted ids by itself.)
    async fn finish(mut self) -> Result<(), CoreError> {
        if matches!(self, Writer::Postgres(_)) {
            self.execute(
                "SELECT setval(pg_get_serial_sequence('audit_events', 'id'), \
                 COALESCE((SELECT MAX(id) FROM audit_events), 0) + 1, false)",
            )
            .await?;
        }
        match self {
            Writer::Sqlite(mut conn) => conn.call(|c| c.execute_batch("COMMIT")).await,
            Writer::Postgres(tx) => tx.commit().await.map_err(db_error),
        }
    }
}

/// The fields of a user that must survive a copy unchanged.
fn user_key(u: &UserRecord) -> (String, i32, String, String, i64, Option<i64>) {
    (
        u.id.to_string(),
        u.associate_id.get(),
        u.username.as_str().to_owned(),
        u.password_hash.clone(),
        u.credential_version,
        u.locked_until.map(|t| t.0),
    )
}

/// Copies every row of the installation at `req.from` into `req.to` and verifies the
/// result. Refuses (`Conflict`) when the target holds rows unless `req.force`, and
/// (`InvalidInput`) when both URLs name the same database.
pub async fn copy_database(req: &CopyRequest<'_>) -> Result<CopyReport, CoreError> {
    if req.from.trim() == req.to.trim() {
        return Err(CoreError::InvalidInput(
            "--from and --to name the same database".into(),
        ));
    }
    let source = Side::open(req.from).await?;
    let target = Side::open(req.to).await?;

    let existing: u64 = target.counts().await?.iter().map(|c| c.rows).sum();
    if existing > 0 && !req.force {
        let detail = target
            .counts()
            .await?
            .iter()
            .filter(|c| c.rows > 0)
            .map(|c| format!("{}: {} rows", c.table, c.rows))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(CoreError::Conflict(format!(
            "the target database is not empty ({detail}); use --force to replace its contents"
        )));
    }

    let mut snapshot = Snapshot::begin(&source).await?;
    let mut writer = Writer::begin(&target).await?;
    if existing > 0 {
        writer.clear().await?;
    }
    let mut tables = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let expected = snapshot.count(table).await?;
        let mut copied = 0u64;
        let mut batch = Vec::with_capacity(BATCH);
        let sql = snapshot.select(table);
        let mut rows = snapshot.rows(&sql, table);
        while let Some(values) = rows.try_next().await? {
            batch.push(values);
            if batch.len() == BATCH {
                copied += BATCH as u64;
                writer
                    .insert(
                        table,
                        std::mem::replace(&mut batch, Vec::with_capacity(BATCH)),
                    )
                    .await?;
            }
        }
        drop(rows);
        copied += batch.len() as u64;
        writer.insert(table, batch).await?;
        if copied != expected {
            return Err(CoreError::Internal(format!(
                "{}: read {copied} rows, the snapshot holds {expected}",
                table.name
            )));
        }
        tables.push(TableCount {
            table: table.name,
            rows: copied,
        });
    }
    writer.finish().await?;
    drop(snapshot);

    verify(&source, &target, &tables).await?;
    Ok(CopyReport {
        from: redact_url(req.from),
        to: redact_url(req.to),
        replaced_existing: existing > 0,
        tables,
    })
}

/// Compares the target's row counts with what was copied and every user (id, associate id,
/// name, hash, version, lock) as read through both stores.
async fn verify(source: &Side, target: &Side, copied: &[TableCount]) -> Result<(), CoreError> {
    let counted = target.counts().await?;
    for (want, got) in copied.iter().zip(&counted) {
        if want != got {
            return Err(CoreError::Internal(format!(
                "verification failed: {} has {} rows in the target, {} were copied",
                got.table, got.rows, want.rows
            )));
        }
    }
    let before: Vec<_> = source
        .store()
        .list_users()
        .await?
        .iter()
        .map(user_key)
        .collect();
    let after: Vec<_> = target
        .store()
        .list_users()
        .await?
        .iter()
        .map(user_key)
        .collect();
    if before != after {
        return Err(CoreError::Internal(
            "verification failed: users differ between source and target".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Tables and columns the copy knows, sorted.
    fn known() -> Vec<(String, Vec<String>)> {
        let mut out: Vec<_> = TABLES
            .iter()
            .map(|t| {
                let mut cols: Vec<String> =
                    t.columns.iter().map(|(c, _)| (*c).to_owned()).collect();
                cols.sort();
                (t.name.to_owned(), cols)
            })
            .collect();
        out.sort();
        out
    }

    /// Fills the SQLite database at `url` with `n` users and an audit row each, then deletes
    /// every seventh of both (gaps in the rowids), through a connection of its own.
    async fn populate(url: &str, n: i64) -> Result<SqliteStore, Box<dyn std::error::Error>> {
        let store = SqliteStore::connect(url, &PoolSettings::default()).await?;
        store.migrate().await?;
        let conn = rusqlite::Connection::open(store.file())?;
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
             INSERT INTO users (id, associate_id, username, username_folded, role, password_hash, \
                                password_changed_at, credential_version, must_change_password, created_at) \
             SELECT printf('%08x-0000-4000-8000-%012x', i, i), i, 'user' || i, 'user' || i, 'user', \
                    '$argon2id$v=19$hash-' || i, 1700000000000, 1, 0, 1700000000000 FROM n",
            [n],
        )?;
        conn.execute(
            "INSERT INTO audit_events (at, user_id, username, event, front_end) \
             SELECT 1700000000000 + associate_id, id, username, 'login', 'soap' FROM users",
            [],
        )?;
        conn.execute("DELETE FROM audit_events WHERE id % 7 = 0", [])?;
        conn.execute("DELETE FROM users WHERE associate_id % 7 = 0", [])?;
        Ok(store)
    }

    /// Several pages per table, with gaps in the rowids: every row arrives once.
    #[tokio::test]
    async fn a_copy_of_many_pages_reads_every_row_once() -> TestResult {
        let dir = tempfile::tempdir()?;
        let from = format!("sqlite://{}", dir.path().join("from.db").display());
        let to = format!("sqlite://{}", dir.path().join("to.db").display());
        let n = (2 * BATCH + 17) as i64;
        populate(&from, n).await?;
        let expected = (n - n / 7) as u64;
        let report = copy_database(&CopyRequest {
            from: &from,
            to: &to,
            force: false,
        })
        .await?;
        let rows = |t: &str| report.tables.iter().find(|c| c.table == t).map(|c| c.rows);
        assert_eq!(rows("users"), Some(expected));
        assert_eq!(rows("audit_events"), Some(expected));
        // And back through PostgreSQL when there is one.
        if let Some(db) = crate::testing::TestDatabase::create().await? {
            copy_database(&CopyRequest {
                from: &to,
                to: db.url(),
                force: false,
            })
            .await?;
            let back = format!("sqlite://{}", dir.path().join("back.db").display());
            let report = copy_database(&CopyRequest {
                from: db.url(),
                to: &back,
                force: false,
            })
            .await?;
            assert_eq!(
                report
                    .tables
                    .iter()
                    .find(|c| c.table == "users")
                    .map(|c| c.rows),
                Some(expected)
            );
        }
        Ok(())
    }

    /// A migration that adds a table or a column must extend [`TABLES`], or `db copy` would
    /// silently leave data behind.
    #[tokio::test]
    async fn the_copy_knows_every_table_and_column_of_the_sqlite_schema() -> TestResult {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let Side::Sqlite(store) = Side::open(&url).await? else {
            return Err("expected SQLite".into());
        };
        let conn = rusqlite::Connection::open(store.file())?;
        let tables: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut schema = Vec::new();
        for t in tables {
            let mut cols: Vec<String> = conn
                .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY name")?
                .query_map([&t], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            cols.sort();
            schema.push((t, cols));
        }
        assert_eq!(schema, known());
        Ok(())
    }

    #[tokio::test]
    async fn the_copy_knows_every_table_and_column_of_the_postgres_schema() -> TestResult {
        let Some(db) = crate::testing::TestDatabase::create().await? else {
            return Ok(());
        };
        let Side::Postgres(store) = Side::open(db.url()).await? else {
            return Err("expected PostgreSQL".into());
        };
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::TEXT FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
             ORDER BY table_name",
        )
        .fetch_all(store.pool())
        .await?;
        let mut schema = Vec::new();
        for t in tables {
            let mut cols: Vec<String> = sqlx::query_scalar(
                "SELECT column_name::TEXT FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1",
            )
            .bind(&t)
            .fetch_all(store.pool())
            .await?;
            cols.sort();
            schema.push((t, cols));
        }
        assert_eq!(schema, known());
        drop(store);
        drop(db);
        Ok(())
    }
}
