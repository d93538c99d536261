//! Audit events: who did what to which credential, through which front end. Never a secret.

use crate::clock::Timestamp;
use crate::domain::UserId;

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrontEnd {
    /// SuperOffice-compatible SOAP.
    Soap,
    /// Net3/ServiceStack-compatible REST.
    Rest,
    /// Self-service web page.
    Web,
    /// Operator command line.
    Cli,
    /// SuperOffice WebAPI REST (`/api/v1/Agents/...`).
    WebApi,
}

impl FrontEnd {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FrontEnd::Soap => "soap",
            FrontEnd::Rest => "rest",
            FrontEnd::Web => "web",
            FrontEnd::Cli => "cli",
            FrontEnd::WebApi => "webapi",
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// A user was created.
    UserCreated,
    /// A batch of users was imported with their legacy hashes (`passgate user import`).
    UsersImported,
    /// A login succeeded and a session was issued.
    LoginOk,
    /// A login failed (reason says why, for operators only).
    LoginFailed,
    /// A user changed their password.
    PasswordChanged,
    /// A password change was refused.
    PasswordChangeFailed,
    /// A stored hash was upgraded to the current parameters.
    PasswordRehashed,
    /// Sessions were revoked.
    SessionRevoked,
    /// An attempt was refused by the throttle without checking the password.
    Throttled,
    /// A failure started a throttle block (account or address).
    ThrottleTripped,
    /// An operator locked an account.
    Locked,
    /// An operator unlocked an account.
    Unlocked,
    /// An administrator set (or generated) a user's password, or changed it with the current one.
    PasswordSet,
    /// An administrator required a password change at next login.
    PasswordExpired,
    /// A user was renamed.
    UserRenamed,
    /// A user was deleted.
    UserDeleted,
    /// An application token was registered.
    AppTokenAdded,
    /// An application token was revoked.
    AppTokenRevoked,
    /// A reset link was issued (by `ForgotPassword`, the web page or the CLI).
    ResetRequested,
    /// A reset request sent nothing (unknown address, locked account, mail limit); the
    /// client got the same answer as for a sent link.
    ResetSuppressed,
    /// A password was set with a reset link; every session of the user ended.
    PasswordReset,
    /// A reset link was refused (unknown, spent or expired token).
    ResetFailed,
    /// A notification could not be queued (the user has no e-mail address).
    MailSkipped,
}

impl AuditKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::UserCreated => "user_created",
            AuditKind::UsersImported => "users_imported",
            AuditKind::LoginOk => "login_ok",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::PasswordChangeFailed => "password_change_failed",
            AuditKind::PasswordRehashed => "password_rehashed",
            AuditKind::SessionRevoked => "session_revoked",
            AuditKind::Throttled => "throttled",
            AuditKind::ThrottleTripped => "throttle_tripped",
            AuditKind::Locked => "locked",
            AuditKind::Unlocked => "unlocked",
            AuditKind::PasswordSet => "password_set",
            AuditKind::PasswordExpired => "password_expired",
            AuditKind::UserRenamed => "user_renamed",
            AuditKind::UserDeleted => "user_deleted",
            AuditKind::AppTokenAdded => "app_token_added",
            AuditKind::AppTokenRevoked => "app_token_revoked",
            AuditKind::ResetRequested => "reset_requested",
            AuditKind::ResetSuppressed => "reset_suppressed",
            AuditKind::PasswordReset => "password_reset",
            AuditKind::ResetFailed => "reset_failed",
            AuditKind::MailSkipped => "mail_skipped",
        }
    }
}

/// One audit row, as written.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// When.
    pub at: Timestamp,
    /// The user concerned, when known.
    pub user_id: Option<UserId>,
    /// The login name as presented or stored (not a secret; kept for unknown-user attempts).
    pub username: Option<String>,
    /// What happened.
    pub kind: AuditKind,
    /// Through which front end.
    pub front_end: FrontEnd,
    /// Client address, when known.
    pub client_addr: Option<String>,
    /// Machine-readable reason (`bad_password`, `unknown_user`, `policy:too_short`, ...).
    pub reason: Option<String>,
    /// Who acted, when not the user themselves: an administrator's login name, or
    /// `cli:<os user>` for the command line.
    pub actor: Option<String>,
}

impl AuditEvent {
    /// Emits the event to the log under target `audit` as JSON, after it was stored.
    pub fn log(&self) {
        let line = serde_json::json!({
            "at": self.at.to_rfc3339(),
            "user_id": self.user_id.map(|u| u.to_string()),
            "username": self.username,
            "event": self.kind.as_str(),
            "front_end": self.front_end.as_str(),
            "client_addr": self.client_addr,
            "reason": self.reason,
            "actor": self.actor,
        });
        tracing::info!(target: "audit", "{line}");
    }
}

/// An audit row read back.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRecord {
    /// Row id (monotonic).
    pub id: i64,
    /// RFC 3339 time.
    pub at: String,
    /// User id, when known.
    pub user_id: Option<String>,
    /// Login name.
    pub username: Option<String>,
    /// Event name.
    pub event: String,
    /// Front end name.
    pub front_end: String,
    /// Client address.
    pub client_addr: Option<String>,
    /// Reason code.
    pub reason: Option<String>,
    /// Acting administrator or `cli:<os user>`, when not the user themselves.
    pub actor: Option<String>,
}
