//! The storage contract. Each method is one transaction, so every backend gives the same
//! atomicity: a password change, the revocation of other sessions and its audit row commit
//! together or not at all.

use async_trait::async_trait;

use crate::audit::{AuditEvent, AuditRecord};
use crate::clock::Timestamp;
use crate::domain::{AssociateId, Email, FullName, Role, SessionKind, TokenHash, UserId, Username};
use crate::outbox::{
    MailResult, MailState, NewResetToken, OutboxMail, OutboxRecord, ResetTokenRecord,
};
use crate::CoreError;

/// A user as stored. `Debug` leaves the password hash out (an imported legacy hash may be
/// cheap to crack).
#[derive(Clone)]
pub struct UserRecord {
    /// UUID.
    pub id: UserId,
    /// SuperOffice associate id.
    pub associate_id: AssociateId,
    /// Login name as given at creation.
    pub username: Username,
    /// E-mail address.
    pub email: Option<Email>,
    /// Display name.
    pub full_name: Option<FullName>,
    /// Role.
    pub role: Role,
    /// Operator lock: logins refused until then.
    pub locked_until: Option<Timestamp>,
    /// PHC string of the current password.
    pub password_hash: String,
    /// When the password was last set.
    pub password_changed_at: Timestamp,
    /// Incremented on every password change; the compare-and-swap key.
    pub credential_version: i64,
    /// The user must change their password before doing anything else.
    pub must_change_password: bool,
    /// Creation time.
    pub created_at: Timestamp,
}

/// A user to create. `Debug` leaves the password hash out.
#[derive(Clone)]
pub struct NewUser {
    /// UUID.
    pub id: UserId,
    /// Login name.
    pub username: Username,
    /// E-mail address.
    pub email: Option<Email>,
    /// Display name.
    pub full_name: Option<FullName>,
    /// Role.
    pub role: Role,
    /// PHC string.
    pub password_hash: String,
    /// Creation time.
    pub created_at: Timestamp,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("associate_id", &self.associate_id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("role", &self.role)
            .field("locked_until", &self.locked_until)
            .field("password_hash", &"<redacted>")
            .field("password_changed_at", &self.password_changed_at)
            .field("credential_version", &self.credential_version)
            .field("must_change_password", &self.must_change_password)
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("password_hash", &"<redacted>")
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A user to import with a password hash from another system (`passgate user import`).
#[derive(Clone)]
pub struct ImportedUser {
    /// The user; `password_hash` is the stored legacy value (see `credential::legacy`).
    pub user: NewUser,
    /// When the password was set (in the other system when the file says, else now).
    pub password_changed_at: Timestamp,
    /// The user must change the password at the first sign-in (`import.require_change`).
    pub must_change: bool,
}

impl std::fmt::Debug for ImportedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportedUser")
            .field("username", &self.user.username)
            .field("password_hash", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// How to find a user.
#[derive(Debug, Clone, Copy)]
pub enum UserLookup<'a> {
    /// By id.
    Id(UserId),
    /// By associate id.
    Associate(AssociateId),
    /// By login name (case-insensitive).
    Name(&'a Username),
}

/// A session to store.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Row id.
    pub id: uuid::Uuid,
    /// Owner.
    pub user_id: UserId,
    /// SHA-256 of the token.
    pub token_hash: TokenHash,
    /// Which front end created it.
    pub kind: SessionKind,
    /// Creation time.
    pub created_at: Timestamp,
    /// Current expiry (sliding).
    pub expires_at: Timestamp,
    /// Client address at creation.
    pub client_addr: Option<String>,
    /// Client user agent at creation.
    pub user_agent: Option<String>,
    /// The user's `credential_version` that the login verified. The session is stored only
    /// while it is still current (and the account not locked), so a login that raced a
    /// password change or a lock cannot outlive it.
    pub credential_version: i64,
}

/// A session read back.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// Row id.
    pub id: uuid::Uuid,
    /// Owner.
    pub user_id: UserId,
    /// Kind.
    pub kind: SessionKind,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last use that was written.
    pub last_seen_at: Timestamp,
    /// Current expiry.
    pub expires_at: Timestamp,
    /// Set when revoked.
    pub revoked_at: Option<Timestamp>,
}

/// A password change to commit if the credential is still the one that was verified.
#[derive(Debug, Clone)]
pub struct PasswordChange {
    /// Whose password.
    pub user_id: UserId,
    /// The `credential_version` that was verified; the change commits only if unchanged.
    pub expected_version: i64,
    /// New PHC string.
    pub new_hash: String,
    /// When.
    pub at: Timestamp,
    /// Revoke every other live session of the user except this one (None = revoke all).
    pub keep_session: Option<uuid::Uuid>,
    /// Whether the user must change the new password at next login (set by an administrator
    /// who chose or generated it); false clears any earlier demand.
    pub must_change: bool,
    /// The audit row describing the change.
    pub audit: AuditEvent,
    /// Mails to queue in the same transaction (the user's notification).
    pub mail: Vec<OutboxMail>,
}

/// An administrative change to a user's record (each one transaction with its audit row).
#[derive(Debug, Clone)]
pub enum UserChange {
    /// New login name (unique, case-insensitively).
    Rename(UserId, Username),
    /// The user must change their password at next login; every session ends.
    Expire(UserId, Timestamp),
    /// Delete the user with their sessions and password history (audit rows stay).
    Delete(UserId),
}

/// A registered application token (online mode), as stored: its SHA-256 only.
#[derive(Debug, Clone)]
pub struct AppTokenRecord {
    /// Operator-chosen name.
    pub name: String,
    /// SHA-256 of the token.
    pub token_hash: TokenHash,
    /// Registration time.
    pub created_at: Timestamp,
    /// Set when revoked.
    pub revoked_at: Option<Timestamp>,
}

/// Filter for reading audit rows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only rows about this user.
    pub user_id: Option<UserId>,
    /// Only rows at or after this time.
    pub since: Option<Timestamp>,
    /// At most this many rows (newest last).
    pub limit: Option<i64>,
}

/// How [`Store::bump_throttle`] computes a counter's new row from its current one. Owned
/// (`'static`), so a backend may run it on a thread of its own.
pub type ThrottleUpdate = Box<dyn Fn(ThrottleRow) -> ThrottleRow + Send + Sync>;

/// A throttle counter row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRow {
    /// Failures counted (consecutive for accounts, in the window for addresses).
    pub failures: u32,
    /// Start of the address window.
    pub window_start: Timestamp,
    /// Attempts refused until then.
    pub blocked_until: Option<Timestamp>,
}

/// A session with its owner's name, for listings.
#[derive(Debug, Clone)]
pub struct SessionListing {
    /// The session.
    pub session: SessionRecord,
    /// Owner's login name.
    pub username: String,
    /// Client address at creation.
    pub client_addr: Option<String>,
}

/// Which sessions to revoke.
#[derive(Debug, Clone, Copy)]
pub enum RevokeScope {
    /// One session by id.
    Session(uuid::Uuid),
    /// Every live session of a user.
    User(UserId),
}

/// A live session of one user with what was stored about its client (for the user's own
/// "my sessions" page).
#[derive(Debug, Clone)]
pub struct UserSession {
    /// The session.
    pub session: SessionRecord,
    /// Client address at creation.
    pub client_addr: Option<String>,
    /// Client user agent at creation (truncated by the server to 200 characters).
    pub user_agent: Option<String>,
}

/// Which of a user's own sessions to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnSessions {
    /// This one, if it belongs to the user.
    One(uuid::Uuid),
    /// Every live one except this one ("sign out everywhere else").
    AllBut(uuid::Uuid),
}

/// Persistent state of passgate. Implementations: SQLite (embedded default) and PostgreSQL
/// (several nodes on one database); both pass one conformance suite.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Checks the database answers (for `/readyz`).
    async fn ping(&self) -> Result<(), CoreError>;

    /// Creates a user with the next free associate id; `Conflict` when the name is taken.
    async fn create_user(
        &self,
        user: &NewUser,
        audit: &AuditEvent,
    ) -> Result<UserRecord, CoreError>;

    /// Inserts imported users and `audit` in one transaction, each with the next free
    /// associate id. A user whose name is taken (by a stored user or an earlier one of
    /// `users`) is skipped. Returns, for each of `users`, whether it was inserted.
    async fn import_users(
        &self,
        users: &[ImportedUser],
        audit: &AuditEvent,
    ) -> Result<Vec<bool>, CoreError>;

    /// How many users there are per scheme prefix of their stored hash: the text up to and
    /// including its first `$` after the first character (`$argon2id$`, `$2b$`,
    /// `pbkdf2_sha256$`, `aspnet-identity-v3$`, …), or the empty string when there is none.
    async fn password_scheme_counts(&self) -> Result<Vec<(String, u64)>, CoreError>;

    /// Finds one user.
    async fn find_user(&self, by: UserLookup<'_>) -> Result<Option<UserRecord>, CoreError>;

    /// Users whose e-mail matches (case-insensitively).
    async fn find_users_by_email(&self, email: &Email) -> Result<Vec<UserRecord>, CoreError>;

    /// All users, by associate id.
    async fn list_users(&self) -> Result<Vec<UserRecord>, CoreError>;

    /// Replaces the hash without changing the password (rehash on login) if the version is
    /// still `expected_version`; returns whether it did.
    async fn rehash_password(
        &self,
        user_id: UserId,
        expected_version: i64,
        new_hash: &str,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError>;

    /// Commits a password change (compare-and-swap on `credential_version`), revokes the
    /// user's other sessions, spends every outstanding reset token of the user, writes the
    /// audit row and queues `change.mail`, in one transaction. Returns false, changing
    /// nothing, when the version no longer matches.
    async fn commit_password_change(&self, change: &PasswordChange) -> Result<bool, CoreError>;

    /// Applies an administrative change; false when the user does not exist.
    async fn change_user(&self, change: &UserChange, audit: &AuditEvent)
        -> Result<bool, CoreError>;

    /// Registers an application token (`Conflict` when the name is taken).
    async fn insert_app_token(
        &self,
        token: &AppTokenRecord,
        audit: &AuditEvent,
    ) -> Result<(), CoreError>;

    /// The token with this hash, revoked or not.
    async fn find_app_token(&self, hash: &TokenHash) -> Result<Option<AppTokenRecord>, CoreError>;

    /// Every registered token, by name.
    async fn list_app_tokens(&self) -> Result<Vec<AppTokenRecord>, CoreError>;

    /// Revokes the named token; false when no live token has that name.
    async fn revoke_app_token(
        &self,
        name: &str,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError>;

    /// The user's `limit` most recent previous password hashes, newest first. Stores keep at
    /// least [`crate::credential::policy::MAX_HISTORY`] per user and prune older ones when a
    /// change commits.
    async fn password_history(
        &self,
        user_id: UserId,
        limit: usize,
    ) -> Result<Vec<String>, CoreError>;

    /// Stores a new session together with its audit row, atomically with a check that the
    /// user still exists, still has `session.credential_version` and is not locked at
    /// `session.created_at`. Returns false, writing nothing, when that check fails (a
    /// password change, reset or lock committed since the login verified the password).
    async fn insert_session(
        &self,
        session: &NewSession,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError>;

    /// Finds a session by token digest (whatever its state; the caller checks expiry).
    async fn find_session(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<SessionRecord>, CoreError>;

    /// Records a use of a session and slides its expiry.
    async fn touch_session(
        &self,
        id: uuid::Uuid,
        last_seen_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), CoreError>;

    /// Revokes one session (if still live) with its audit row; returns whether it did.
    async fn revoke_session(
        &self,
        id: uuid::Uuid,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError>;

    /// Throttle rows for `keys` (missing keys are absent from the result).
    async fn throttle_rows(&self, keys: &[String])
        -> Result<Vec<(String, ThrottleRow)>, CoreError>;

    /// Records one failure atomically: reads the row of `key` (or a zero row), lets `next`
    /// compute the new row, stores it and returns it. Concurrent failures on other nodes are
    /// serialised by the database, so none is lost.
    async fn bump_throttle(
        &self,
        key: &str,
        next: ThrottleUpdate,
    ) -> Result<ThrottleRow, CoreError>;

    /// Forgets the counter of `key` (after a success).
    async fn clear_throttle(&self, key: &str) -> Result<(), CoreError>;

    /// Sets or clears an operator lock; locking also revokes every live session of the
    /// user. `mail` (the user's notification) is queued in the same transaction. Returns
    /// false, writing nothing, when the user does not exist.
    async fn set_lock(
        &self,
        user_id: UserId,
        until: Option<Timestamp>,
        at: Timestamp,
        audit: &AuditEvent,
        mail: &[OutboxMail],
    ) -> Result<bool, CoreError>;

    /// Sessions, newest first: only live ones unless `include_dead`.
    async fn list_sessions(
        &self,
        user: Option<UserId>,
        include_dead: bool,
        now: Timestamp,
    ) -> Result<Vec<SessionListing>, CoreError>;

    /// Revokes sessions with one audit row; returns how many were live.
    async fn revoke_sessions(
        &self,
        scope: RevokeScope,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<u64, CoreError>;

    /// Appends an audit row on its own (for events that change nothing else).
    async fn append_audit(&self, event: &AuditEvent) -> Result<(), CoreError>;

    /// Reads audit rows, oldest first.
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, CoreError>;

    // Password reset and the mail outbox.

    /// Stores a reset token, spends the user's older unspent tokens, queues `mail` (the
    /// link; None when an operator hands it over) and writes the audit row, in one
    /// transaction, if the user still has `token.credential_version`. Returns false,
    /// writing nothing, otherwise.
    async fn insert_reset_token(
        &self,
        token: &NewResetToken,
        mail: Option<&OutboxMail>,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError>;

    /// The reset token with this digest, spent or not.
    async fn find_reset_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<ResetTokenRecord>, CoreError>;

    /// Claims up to `limit` pending mails due at `now` that no other sender holds, for this
    /// sender until `lease_until`, counting one attempt each. Concurrent senders (other
    /// nodes) never claim the same row while its lease runs.
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>, CoreError>;

    /// Records the result of one delivery attempt and releases the claim. Parameters of a
    /// secret-carrying mail (the reset link) are erased once it is sent or dead.
    async fn finish_mail(&self, id: uuid::Uuid, result: &MailResult) -> Result<(), CoreError>;

    /// Outbox rows, newest first, optionally only those in `state`.
    async fn list_mail(
        &self,
        state: Option<MailState>,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>, CoreError>;

    /// Puts dead mails (one by id, or all) back in the queue, due at `now` with a fresh
    /// attempt count; returns how many. Reset links are never queued again: their link was
    /// erased when they died (the user requests a new one).
    async fn retry_mail(&self, id: Option<uuid::Uuid>, now: Timestamp) -> Result<u64, CoreError>;

    /// How many outbox rows are in each state (for `/metrics`).
    async fn mail_counts(&self) -> Result<Vec<(MailState, u64)>, CoreError>;

    // The self-service pages.

    /// The live sessions of `user` at `now`, newest first, at most `limit`.
    async fn user_sessions(
        &self,
        user: UserId,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<UserSession>, CoreError>;

    /// Revokes live sessions of `user` chosen by `which` (never another user's) with one
    /// audit row, in one transaction; returns how many were live (no audit row when none).
    async fn revoke_own_sessions(
        &self,
        user: UserId,
        which: OwnSessions,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<u64, CoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_leaves_the_password_hash_out() -> Result<(), CoreError> {
        let hash = "servicestack-saltedhash$CJzrJA==$HqRxO9GXjD+Aw7uOfXTyX2K3XEf99PcXrOrXU2imYeE=";
        let user = NewUser {
            id: UserId::new_random(),
            username: Username::parse("ann")?,
            email: None,
            full_name: None,
            role: Role::User,
            password_hash: hash.to_owned(),
            created_at: Timestamp(0),
        };
        let record = UserRecord {
            id: user.id,
            associate_id: AssociateId::new(1)?,
            username: user.username.clone(),
            email: None,
            full_name: None,
            role: Role::User,
            locked_until: None,
            password_hash: hash.to_owned(),
            password_changed_at: Timestamp(0),
            credential_version: 1,
            must_change_password: false,
            created_at: Timestamp(0),
        };
        let imported = ImportedUser {
            user: user.clone(),
            password_changed_at: Timestamp(0),
            must_change: false,
        };
        for text in [
            format!("{user:?}"),
            format!("{record:?}"),
            format!("{imported:?}"),
        ] {
            assert!(!text.contains("HqRxO9"), "{text}");
            assert!(text.contains("ann"), "{text}");
        }
        Ok(())
    }
}
