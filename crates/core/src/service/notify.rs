//! The user's notification mails: built before a change commits so that the outbox row is
//! written in the change's own transaction, and followed up after the commit.

use crate::audit::AuditEvent;
use crate::clock::Timestamp;
use crate::outbox::{MailKind, MailParams, OutboxMail};
use crate::store::UserRecord;
use crate::{Core, CoreError, RequestContext};

/// What a change queues for the user, and what to do once it committed.
#[derive(Debug, Default)]
pub(super) struct Notice {
    /// Outbox rows for the change's transaction (empty or one).
    pub mail: Vec<OutboxMail>,
    /// Audit row for a notification that could not be queued (no e-mail address).
    skipped: Option<AuditEvent>,
}

impl Core {
    /// The `kind` mail to `user` about a change at `at`, if mail is on and `kind` enabled.
    /// A user without an e-mail address gets none; that is audited after the commit.
    pub(super) fn notification(
        &self,
        ctx: &RequestContext,
        user: &UserRecord,
        kind: MailKind,
        at: Timestamp,
    ) -> Notice {
        let mail = &self.config.mail;
        if !mail.enabled || !mail.notify.contains(&kind) {
            return Notice::default();
        }
        let Some(recipient) = user.email.clone() else {
            let event = self.event(
                ctx,
                crate::audit::AuditKind::MailSkipped,
                Some(user.id),
                Some(user.username.as_str()),
                Some(format!("no_email:{}", kind.as_str())),
            );
            return Notice {
                mail: Vec::new(),
                skipped: Some(event),
            };
        };
        Notice {
            mail: vec![OutboxMail {
                id: uuid::Uuid::new_v4(),
                user_id: Some(user.id),
                recipient,
                kind,
                params: user_params(ctx, user, at),
                created_at: at,
            }],
            skipped: None,
        }
    }

    /// After the change committed: wakes the sender for a queued mail, or audits the
    /// notification that could not be queued.
    pub(super) async fn after_commit(&self, notice: Notice) -> Result<(), CoreError> {
        if !notice.mail.is_empty() {
            self.mail_wake.notify_one();
        }
        if let Some(event) = notice.skipped {
            self.audit_alone(event).await?;
        }
        Ok(())
    }

    /// Woken whenever a mail is queued, so the sender delivers it at once instead of at
    /// its next poll (rows queued by other nodes wait for the poll).
    pub fn mail_wake(&self) -> &std::sync::Arc<tokio::sync::Notify> {
        &self.mail_wake
    }
}

/// The template parameters every mail about `user` has: names, when, how and from where.
pub(super) fn user_params(ctx: &RequestContext, user: &UserRecord, at: Timestamp) -> MailParams {
    MailParams::default()
        .with("username", user.username.as_str())
        .with(
            "display_name",
            user.full_name
                .as_ref()
                .map_or(user.username.as_str(), |n| n.as_str()),
        )
        .with("at", at.to_rfc3339())
        .with("front_end", ctx.front_end.as_str())
        .with(
            "client_addr",
            ctx.client_addr.clone().unwrap_or_else(|| "unknown".into()),
        )
}
