//! The outbox sender: claims due rows, renders and delivers them over SMTP, and records each
//! result. One runs in every `passgate serve`; on PostgreSQL the senders of all nodes share
//! the outbox, and the store's claim (a lease taken with `FOR UPDATE SKIP LOCKED`) keeps
//! any two of them from sending the same row.
//!
//! Delivery is at least once, and exactly once unless a node dies between the SMTP server's
//! acceptance and the row's update: then the row is sent again when its lease ends. Every
//! attempt carries the row id as `Message-ID`, so receiving systems can drop the duplicate.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use passgate_core::metrics::CoreMetrics;
use passgate_core::outbox::{MailKind, MailResult, OutboxRecord};
use passgate_core::store::Store;
use passgate_core::{Clock, CoreError, Timestamp};
use tokio::sync::Notify;

use crate::templates::Templates;
use crate::MailSettings;

/// Rows claimed per round.
const BATCH: u32 = 16;

/// Longest error text kept on a row (the SMTP server's reply, never mail content).
const MAX_ERROR_CHARS: usize = 300;

/// The sender task's state.
pub struct Sender {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    message_id_domain: String,
    templates: Templates,
    settings: MailSettings,
    wake: Arc<Notify>,
    metrics: Arc<CoreMetrics>,
}

impl Sender {
    /// Prepares a sender (nothing is sent until [`Sender::run`]).
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: MailSettings,
        templates: Templates,
        wake: Arc<Notify>,
        metrics: Arc<CoreMetrics>,
    ) -> Result<Self, crate::MailError> {
        let transport = crate::transport::build(&settings.smtp)?;
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| crate::MailError::Config(format!("mail.from: {e}")))?;
        let message_id_domain = from.email.domain().to_owned();
        Ok(Sender {
            store,
            clock,
            transport,
            from,
            message_id_domain,
            templates,
            settings,
            wake,
            metrics,
        })
    }

    /// Delivers until `shutdown` resolves: a round whenever a mail is queued on this node
    /// (woken by the core), and at least every `poll_interval` (rows of other nodes, retries).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let full_batch = match self.deliver_due().await {
                Ok(n) => n == BATCH as usize,
                Err(e) => {
                    tracing::warn!(error = %e, "mail outbox: cannot claim mails");
                    false
                }
            };
            if full_batch {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
    }

    /// One round: claims the due rows and delivers each; returns how many it claimed.
    pub async fn deliver_due(&self) -> Result<usize, CoreError> {
        let now = self.clock.now();
        let rows = self
            .store
            .claim_mail(now, now.plus(self.settings.lease), BATCH)
            .await?;
        for row in &rows {
            let result = self.deliver(row).await;
            match &result {
                MailResult::Sent(_) => {
                    self.metrics.mail_sent.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(mail_id = %row.mail.id, kind = row.mail.kind.as_str(), attempts = row.attempts, "mail sent");
                }
                MailResult::Retry {
                    error, retry_at, ..
                } => {
                    self.metrics.mail_retried.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(mail_id = %row.mail.id, kind = row.mail.kind.as_str(), attempts = row.attempts, retry_at = %retry_at.to_rfc3339(), error = %error, "mail delivery failed; will retry");
                }
                MailResult::Dead { error, .. } => {
                    self.metrics.mail_dead.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(mail_id = %row.mail.id, kind = row.mail.kind.as_str(), attempts = row.attempts, error = %error, "mail given up (dead letter)");
                }
            }
            self.store.finish_mail(row.mail.id, &result).await?;
        }
        Ok(rows.len())
    }

    async fn deliver(&self, row: &OutboxRecord) -> MailResult {
        let now = self.clock.now();
        let dead = |error: String| MailResult::Dead { at: now, error };
        if row.mail.kind == MailKind::ResetLink
            && row.mail.created_at.plus(self.settings.reset_ttl) <= now
        {
            return dead("the reset link expired before it could be delivered".into());
        }
        let message = match self.message(row) {
            Ok(m) => m,
            Err(e) => return dead(e),
        };
        match self.transport.send(message).await {
            Ok(_) => MailResult::Sent(self.clock.now()),
            Err(e) => {
                let error = truncate(&e.to_string());
                if e.is_permanent() || row.attempts >= self.settings.max_attempts {
                    dead(error)
                } else {
                    MailResult::Retry {
                        at: now,
                        retry_at: now.plus(backoff(
                            row.attempts,
                            self.settings.retry_base,
                            self.settings.retry_max,
                        )),
                        error,
                    }
                }
            }
        }
    }

    /// The MIME message of a row: plain text and HTML alternatives.
    fn message(&self, row: &OutboxRecord) -> Result<Message, String> {
        let to: Mailbox = row
            .mail
            .recipient
            .as_str()
            .parse()
            .map_err(|e| format!("recipient address: {e}"))?;
        let rendered = self
            .templates
            .render(row.mail.kind, &row.mail.params)
            .map_err(|e| e.to_string())?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(format!(
                "<{}@{}>",
                row.mail.id.simple(),
                self.message_id_domain
            )))
            .date(std::time::SystemTime::UNIX_EPOCH + millis(row.mail.created_at))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(rendered.text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(rendered.html),
                    ),
            )
            .map_err(|e| format!("building the message: {e}"))
    }
}

fn millis(t: Timestamp) -> Duration {
    Duration::from_millis(u64::try_from(t.0).unwrap_or(0))
}

/// Wait before attempt `attempts + 1`: `base`, doubling per attempt, at most `max`.
pub fn backoff(attempts: u32, base: Duration, max: Duration) -> Duration {
    let exp = attempts.saturating_sub(1).min(20);
    base.saturating_mul(1u32 << exp).min(max)
}

fn truncate(s: &str) -> String {
    s.chars().take(MAX_ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(30);
        let max = Duration::from_secs(3600);
        assert_eq!(backoff(1, base, max), Duration::from_secs(30));
        assert_eq!(backoff(2, base, max), Duration::from_secs(60));
        assert_eq!(backoff(4, base, max), Duration::from_secs(240));
        assert_eq!(backoff(9, base, max), max);
        assert_eq!(backoff(u32::MAX, base, max), max);
        assert_eq!(backoff(0, base, max), base);
    }
}
