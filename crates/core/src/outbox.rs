//! The mail outbox: every mail passgate sends is first a row written in the same transaction
//! as the change that causes it, then delivered by a sender task (crate `passgate-mail`).
//! A crash between the commit and the delivery loses nothing; the row is sent after restart.

use std::collections::BTreeMap;
use std::fmt;

use crate::clock::Timestamp;
use crate::domain::{Email, UserId};

/// What a mail is about; each kind has its own templates and can be turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// A password-reset link (the only kind that carries a secret: the link).
    ResetLink,
    /// The user's password was changed (by the user, with the current password).
    PasswordChanged,
    /// The password was set with a reset link.
    PasswordReset,
    /// An administrator or operator set a new password for the user.
    PasswordSet,
    /// The account was locked by an operator.
    AccountLocked,
}

impl MailKind {
    /// Every kind, for listings and configuration.
    pub const ALL: [MailKind; 5] = [
        MailKind::ResetLink,
        MailKind::PasswordChanged,
        MailKind::PasswordReset,
        MailKind::PasswordSet,
        MailKind::AccountLocked,
    ];

    /// Stored name, also the template file stem and the configuration key.
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::ResetLink => "reset_link",
            MailKind::PasswordChanged => "password_changed",
            MailKind::PasswordReset => "password_reset",
            MailKind::PasswordSet => "password_set",
            MailKind::AccountLocked => "account_locked",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the mail's parameters hold a secret (the reset link): such parameters are
    /// erased from the row once the mail is sent or given up.
    pub fn carries_secret(self) -> bool {
        self == MailKind::ResetLink
    }
}

/// Template parameters of a mail (names → values). The values may hold a reset link, so
/// [`fmt::Debug`] prints the names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MailParams(pub BTreeMap<String, String>);

impl MailParams {
    /// Adds one parameter.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    /// Serialised for storage (a JSON object of strings).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }

    /// Read back from storage; a row that does not parse has no parameters.
    pub fn from_json(s: &str) -> Self {
        MailParams(serde_json::from_str(s).unwrap_or_default())
    }
}

impl fmt::Debug for MailParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct OutboxMail {
    /// Row id; also the mail's `Message-ID`, so a receiver can recognise a retried delivery.
    pub id: uuid::Uuid,
    /// The user it is about (None once the user is deleted).
    pub user_id: Option<UserId>,
    /// Recipient address.
    pub recipient: Email,
    /// Kind (selects the templates).
    pub kind: MailKind,
    /// Template parameters.
    pub params: MailParams,
    /// Queued at.
    pub created_at: Timestamp,
}

/// Delivery state of an outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailState {
    /// Waiting for (another) delivery attempt.
    Pending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up after the configured number of attempts (a dead letter).
    Dead,
}

impl MailState {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Pending => "pending",
            MailState::Sent => "sent",
            MailState::Dead => "dead",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [MailState::Pending, MailState::Sent, MailState::Dead]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// An outbox row as read back.
#[derive(Debug, Clone)]
pub struct OutboxRecord {
    /// The mail as queued (parameters erased once a secret-carrying mail is done).
    pub mail: OutboxMail,
    /// Delivery state.
    pub state: MailState,
    /// Delivery attempts started so far.
    pub attempts: u32,
    /// Earliest time of the next attempt.
    pub next_attempt_at: Timestamp,
    /// Why the last attempt failed (the SMTP server's answer; never mail content).
    pub last_error: Option<String>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<Timestamp>,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone)]
pub enum MailResult {
    /// The SMTP server accepted the mail.
    Sent(Timestamp),
    /// It failed and will be tried again at `retry_at`.
    Retry {
        /// When it failed.
        at: Timestamp,
        /// Next attempt.
        retry_at: Timestamp,
        /// Why (no mail content).
        error: String,
    },
    /// It failed for good (permanent SMTP error or too many attempts).
    Dead {
        /// When it failed.
        at: Timestamp,
        /// Why (no mail content).
        error: String,
    },
}

/// A reset token to store (its digest only).
#[derive(Debug, Clone)]
pub struct NewResetToken {
    /// SHA-256 of the token.
    pub token_hash: crate::domain::TokenHash,
    /// Whose password it resets.
    pub user_id: UserId,
    /// The user's `credential_version` when it was issued: any password change since
    /// voids it.
    pub credential_version: i64,
    /// Issued at.
    pub created_at: Timestamp,
    /// Not valid from then on.
    pub expires_at: Timestamp,
}

/// A reset token as read back.
#[derive(Debug, Clone)]
pub struct ResetTokenRecord {
    /// Whose password it resets.
    pub user_id: UserId,
    /// The user's version when it was issued.
    pub credential_version: i64,
    /// Issued at.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Set when it was used, superseded by a newer token, or voided by a password change.
    pub spent_at: Option<Timestamp>,
}
