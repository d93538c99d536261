//! SQLite statements for reset tokens and the mail outbox, run inside the writer thread's
//! transactions (see [`crate::sqlite_writer`]).

use passgate_core::domain::{Email, TokenHash, UserId};
use passgate_core::outbox::{
    MailKind, MailParams, MailResult, MailState, NewResetToken, OutboxMail, OutboxRecord,
    ResetTokenRecord,
};
use passgate_core::{CoreError, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, Row};

/// The outbox columns every read selects, in this order.
const MAIL_COLUMNS: &str = "id, user_id, recipient, kind, params, state, attempts, \
     next_attempt_at, last_error, created_at, sent_at";

/// Queues `mail` (inside the caller's transaction).
pub(crate) fn insert_mail(tx: &Connection, mail: &OutboxMail) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO mail_outbox (id, user_id, recipient, kind, params, state, attempts, \
         next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6)",
    )?
    .execute(params![
        mail.id.to_string(),
        mail.user_id.map(|u| u.to_string()),
        mail.recipient.as_str(),
        mail.kind.as_str(),
        mail.params.to_json(),
        mail.created_at.0,
    ])?;
    Ok(())
}

/// Spends every unspent reset token of `user` (a password change or a newer token).
pub(crate) fn spend_tokens(tx: &Connection, user: &str, at: Timestamp) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE reset_tokens SET spent_at = ?1 WHERE user_id = ?2 AND spent_at IS NULL",
    )?
    .execute(params![at.0, user])?;
    Ok(())
}

/// Stores a token if the user is still at its version; false otherwise.
pub(crate) fn insert_token(
    tx: &Connection,
    token: &NewResetToken,
    mail: Option<&OutboxMail>,
) -> rusqlite::Result<bool> {
    let user = token.user_id.to_string();
    let current = tx
        .prepare_cached("SELECT 1 FROM users WHERE id = ?1 AND credential_version = ?2")?
        .query_row(params![&user, token.credential_version], |_| Ok(()))
        .optional()?
        .is_some();
    if !current {
        return Ok(false);
    }
    spend_tokens(tx, &user, token.created_at)?;
    tx.prepare_cached(
        "INSERT INTO reset_tokens (token_sha256, user_id, credential_version, created_at, \
         expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        token.token_hash.as_str(),
        &user,
        token.credential_version,
        token.created_at.0,
        token.expires_at.0,
    ])?;
    if let Some(mail) = mail {
        insert_mail(tx, mail)?;
    }
    Ok(true)
}

/// The token with this digest.
pub(crate) fn find_token(
    conn: &Connection,
    hash: &TokenHash,
) -> Result<Option<ResetTokenRecord>, CoreError> {
    let row = conn
        .prepare_cached(
            "SELECT user_id, credential_version, created_at, expires_at, spent_at \
             FROM reset_tokens WHERE token_sha256 = ?1",
        )
        .and_then(|mut st| {
            st.query_row([hash.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            })
            .optional()
        })
        .map_err(|e| CoreError::Storage(format!("reading a reset token: {e}")))?;
    row.map(|(user, version, created, expires, spent)| {
        Ok(ResetTokenRecord {
            user_id: parse_user(&user)?,
            credential_version: version,
            created_at: Timestamp(created),
            expires_at: Timestamp(expires),
            spent_at: spent.map(Timestamp),
        })
    })
    .transpose()
}

/// Claims due mails for a sender (see [`passgate_core::store::Store::claim_mail`]).
pub(crate) fn claim(
    tx: &Connection,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<OutboxRecord>, CoreError> {
    let sql = format!(
        "UPDATE mail_outbox SET claimed_until = ?2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM mail_outbox WHERE state = 'pending' \
           AND next_attempt_at <= ?1 AND (claimed_until IS NULL OR claimed_until <= ?1) \
           ORDER BY next_attempt_at, created_at LIMIT ?3) \
         RETURNING {MAIL_COLUMNS}"
    );
    let mut st = tx.prepare_cached(&sql).map_err(storage)?;
    let rows = st
        .query_map(params![now.0, lease_until.0, limit], read_row)
        .map_err(storage)?;
    let mut out: Vec<OutboxRecord> = rows
        .map(|r| r.map_err(storage).and_then(|r| r.into_record()))
        .collect::<Result<_, _>>()?;
    // RETURNING gives rows in no particular order: oldest due first, as claimed.
    out.sort_by_key(|r| (r.next_attempt_at, r.mail.created_at));
    Ok(out)
}

/// Records a delivery result and releases the claim.
pub(crate) fn finish(tx: &Connection, id: uuid::Uuid, result: &MailResult) -> rusqlite::Result<()> {
    let id = id.to_string();
    let secret_kinds = secret_kinds_sql();
    match result {
        MailResult::Sent(at) => tx
            .prepare_cached(&format!(
                "UPDATE mail_outbox SET state = 'sent', sent_at = ?1, claimed_until = NULL, \
                 last_error = NULL, params = CASE WHEN kind IN ({secret_kinds}) THEN '{{}}' \
                 ELSE params END WHERE id = ?2"
            ))?
            .execute(params![at.0, &id])?,
        MailResult::Retry {
            at: _,
            retry_at,
            error,
        } => tx
            .prepare_cached(
                "UPDATE mail_outbox SET next_attempt_at = ?1, claimed_until = NULL, \
                 last_error = ?2 WHERE id = ?3",
            )?
            .execute(params![retry_at.0, error, &id])?,
        MailResult::Dead { at: _, error } => tx
            .prepare_cached(&format!(
                "UPDATE mail_outbox SET state = 'dead', claimed_until = NULL, last_error = ?1, \
                 params = CASE WHEN kind IN ({secret_kinds}) THEN '{{}}' ELSE params END \
                 WHERE id = ?2"
            ))?
            .execute(params![error, &id])?,
    };
    Ok(())
}

/// Rows newest first.
pub(crate) fn list(
    conn: &Connection,
    state: Option<MailState>,
    limit: u32,
) -> Result<Vec<OutboxRecord>, CoreError> {
    let sql = format!(
        "SELECT {MAIL_COLUMNS} FROM mail_outbox WHERE (?1 IS NULL OR state = ?1) \
         ORDER BY created_at DESC, id LIMIT ?2"
    );
    let mut st = conn.prepare_cached(&sql).map_err(storage)?;
    let rows = st
        .query_map(params![state.map(MailState::as_str), limit], read_row)
        .map_err(storage)?;
    rows.map(|r| r.map_err(storage).and_then(|r| r.into_record()))
        .collect()
}

/// Dead rows back to pending.
pub(crate) fn retry(
    tx: &Connection,
    id: Option<uuid::Uuid>,
    now: Timestamp,
) -> rusqlite::Result<u64> {
    let n = tx
        .prepare_cached(&format!(
            "UPDATE mail_outbox SET state = 'pending', attempts = 0, next_attempt_at = ?1, \
             claimed_until = NULL WHERE state = 'dead' AND (?2 IS NULL OR id = ?2) \
             AND kind NOT IN ({})",
            secret_kinds_sql()
        ))?
        .execute(params![now.0, id.map(|i| i.to_string())])?;
    Ok(n as u64)
}

/// Rows per state.
pub(crate) fn counts(conn: &Connection) -> Result<Vec<(MailState, u64)>, CoreError> {
    let mut st = conn
        .prepare_cached("SELECT state, COUNT(*) FROM mail_outbox GROUP BY state")
        .map_err(storage)?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(storage)?;
    let mut out = Vec::new();
    for row in rows {
        let (state, n) = row.map_err(storage)?;
        if let Some(state) = MailState::parse(&state) {
            out.push((state, u64::try_from(n).unwrap_or(0)));
        }
    }
    Ok(out)
}

/// `'reset_link', …`: the kinds whose parameters are erased once done.
pub(crate) fn secret_kinds_sql() -> String {
    MailKind::ALL
        .into_iter()
        .filter(|k| k.carries_secret())
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An outbox row's raw columns, shared with the PostgreSQL backend.
pub(crate) struct MailRow {
    pub(crate) id: String,
    pub(crate) user_id: Option<String>,
    pub(crate) recipient: String,
    pub(crate) kind: String,
    pub(crate) params: String,
    pub(crate) state: String,
    pub(crate) attempts: i64,
    pub(crate) next_attempt_at: i64,
    pub(crate) last_error: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) sent_at: Option<i64>,
}

impl MailRow {
    /// The domain record; a row that does not parse is a storage error.
    pub(crate) fn into_record(self) -> Result<OutboxRecord, CoreError> {
        let bad = |what: &str| CoreError::Storage(format!("mail_outbox row {}: {what}", self.id));
        Ok(OutboxRecord {
            mail: OutboxMail {
                id: uuid::Uuid::try_parse(&self.id).map_err(|_| bad("id"))?,
                user_id: self.user_id.as_deref().map(parse_user).transpose()?,
                recipient: Email::parse(&self.recipient).map_err(|_| bad("recipient"))?,
                kind: MailKind::parse(&self.kind).ok_or_else(|| bad("kind"))?,
                params: MailParams::from_json(&self.params),
                created_at: Timestamp(self.created_at),
            },
            state: MailState::parse(&self.state).ok_or_else(|| bad("state"))?,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            next_attempt_at: Timestamp(self.next_attempt_at),
            last_error: self.last_error,
            sent_at: self.sent_at.map(Timestamp),
        })
    }
}

fn read_row(r: &Row<'_>) -> rusqlite::Result<MailRow> {
    Ok(MailRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        recipient: r.get(2)?,
        kind: r.get(3)?,
        params: r.get(4)?,
        state: r.get(5)?,
        attempts: r.get(6)?,
        next_attempt_at: r.get(7)?,
        last_error: r.get(8)?,
        created_at: r.get(9)?,
        sent_at: r.get(10)?,
    })
}

pub(crate) fn parse_user(s: &str) -> Result<UserId, CoreError> {
    UserId::parse(s).map_err(|_| CoreError::Storage(format!("bad user id {s:?}")))
}

fn storage(e: rusqlite::Error) -> CoreError {
    CoreError::Storage(format!("outbox: {e}"))
}
