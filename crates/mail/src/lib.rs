//! passgate-mail: delivery of the mail outbox over SMTP, and the mail templates.
//!
//! The core writes every mail as an outbox row in the transaction of the change that causes
//! it (see `passgate_core::outbox`); this crate renders and sends those rows. It holds no
//! decision about credentials.

mod sender;
pub mod templates;
pub mod transport;

use std::path::PathBuf;
use std::time::Duration;

pub use sender::{backoff, Sender};
pub use templates::Templates;
pub use transport::{SmtpSettings, TlsMode};

/// Everything the sender needs, typed and validated by the binary's configuration.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The SMTP server.
    pub smtp: SmtpSettings,
    /// `From:` mailbox, e.g. `Acme CRM <noreply@acme.example>`.
    pub from: String,
    /// Directory of template overrides.
    pub templates_dir: Option<PathBuf>,
    /// Delivery attempts before a mail becomes a dead letter (default 10).
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled per attempt (default 30 s).
    pub retry_base: Duration,
    /// Longest wait between attempts (default 1 h).
    pub retry_max: Duration,
    /// How often the outbox is checked without a wake-up (default 10 s).
    pub poll_interval: Duration,
    /// How long a claimed row is reserved for its sender (default 2 min): a node that dies
    /// mid-delivery delays that mail by at most this.
    pub lease: Duration,
    /// Lifetime of reset links: a link mail still undelivered after it is given up.
    pub reset_ttl: Duration,
}

/// The mail configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A setting is wrong.
    #[error("{0}")]
    Config(String),
    /// The transport could not be built.
    #[error(transparent)]
    Transport(#[from] transport::TransportError),
    /// A template does not load.
    #[error(transparent)]
    Template(#[from] templates::TemplateError),
}

/// Checks that `s` is a mailbox usable as `From:` (`Name <addr@domain>` or `addr@domain`).
pub fn check_mailbox(s: &str) -> Result<(), String> {
    s.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("{s:?} is not a mail address: {e}"))
}
