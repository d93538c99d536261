//! The one error type of the core. It carries no HTTP or XML notion and never a secret:
//! every message here may be shown to a client or written to a log.

use std::time::Duration;

/// One rule of the password policy that a candidate password failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFailure {
    /// Stable machine-readable code, e.g. `too_short`.
    pub code: &'static str,
    /// Human-readable explanation, safe to show.
    pub message: String,
}

/// Everything that can go wrong in a core operation.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input could not be parsed into a domain value (the message names the field, never the value).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Unknown user or wrong password (deliberately indistinguishable).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// The ticket or session is missing, unknown, expired or revoked.
    #[error("the ticket is missing, invalid or expired")]
    TicketInvalid,
    /// The reset token is unknown, spent (used, superseded, voided by a password change) or
    /// expired (deliberately indistinguishable).
    #[error("the reset link is invalid, used or expired")]
    ResetLinkInvalid,
    /// Reset by e-mail was asked for but no mail server is configured.
    #[error("password reset by e-mail is not available on this server")]
    MailUnavailable,
    /// The caller is authenticated but not allowed to do this.
    #[error("access denied")]
    AccessDenied,
    /// The session belongs to a user who must change their password first; it can do nothing
    /// else until they do.
    #[error("the password must be changed before anything else")]
    PasswordChangeRequired,
    /// Setting one's own password without the current one needs a recent login.
    #[error("log in again, or change the password with the current one")]
    ReauthenticationRequired,
    /// Online mode: the SOAP call carries no registered, live application token.
    #[error("the application token is missing, unknown or revoked")]
    InvalidApplicationToken,
    /// The new password does not satisfy the policy.
    #[error("the new password does not satisfy the password policy")]
    PolicyViolation(Vec<PolicyFailure>),
    /// Too many failed attempts; retry after the given delay.
    #[error("too many failed attempts; retry in {} seconds", retry_after.as_secs().max(1))]
    Throttled {
        /// How long until the next attempt will be considered.
        retry_after: Duration,
    },
    /// The hashing admission queue is full; the request was refused without waiting.
    #[error("the server is busy; retry shortly")]
    Overloaded {
        /// Suggested delay before retrying.
        retry_after: Duration,
    },
    /// A unique value (username, e-mail) is already taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A named object does not exist (administrative operations only; logins never say this).
    #[error("not found: {0}")]
    NotFound(String),
    /// The database failed. The text is for the log; clients get a correlation id only.
    #[error("storage failure: {0}")]
    Storage(String),
    /// An internal invariant failed (for example a stored hash that cannot be parsed).
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// True for failures that are the server's fault (reported as server faults / 5xx).
    pub fn is_server_side(&self) -> bool {
        matches!(
            self,
            CoreError::Storage(_) | CoreError::Internal(_) | CoreError::Overloaded { .. }
        )
    }
}
