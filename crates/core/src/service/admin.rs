//! Operator actions (CLI): locks, session listing and revocation, audit reading. Each
//! change is audited with the front end that made it.

use crate::audit::{AuditKind, AuditRecord};
use crate::domain::Username;
use crate::outbox::MailKind;
use crate::store::{AuditFilter, RevokeScope, SessionListing, UserLookup, UserRecord};
use crate::{Core, CoreError, RequestContext, Timestamp};

impl Core {
    /// The user called `name`, or `NotFound`.
    pub async fn user_by_name(&self, name: &str) -> Result<UserRecord, CoreError> {
        let name = Username::parse(name)?;
        self.store
            .find_user(UserLookup::Name(&name))
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("no user named {name}")))
    }

    /// Locks `name` until `until` (None = indefinitely, i.e. year 9999) and ends all of its
    /// sessions. Logins then fail exactly like a wrong password.
    pub async fn lock_user(
        &self,
        ctx: &RequestContext,
        name: &str,
        until: Option<Timestamp>,
    ) -> Result<Timestamp, CoreError> {
        let user = self.user_by_name(name).await?;
        let until = until.unwrap_or(Timestamp(253_402_300_799_000));
        if until <= self.clock.now() {
            return Err(CoreError::InvalidInput(
                "the lock must end in the future".into(),
            ));
        }
        let audit = self.event(
            ctx,
            AuditKind::Locked,
            Some(user.id),
            Some(user.username.as_str()),
            Some(format!("until:{}", until.to_rfc3339())),
        );
        let notice = self.notification(ctx, &user, MailKind::AccountLocked, audit.at);
        if !self
            .store
            .set_lock(user.id, Some(until), audit.at, &audit, &notice.mail)
            .await?
        {
            return Err(CoreError::NotFound(format!("no user named {name}")));
        }
        audit.log();
        self.after_commit(notice).await?;
        Ok(until)
    }

    /// Removes an operator lock.
    pub async fn unlock_user(&self, ctx: &RequestContext, name: &str) -> Result<(), CoreError> {
        let user = self.user_by_name(name).await?;
        let audit = self.event(
            ctx,
            AuditKind::Unlocked,
            Some(user.id),
            Some(user.username.as_str()),
            None,
        );
        if !self
            .store
            .set_lock(user.id, None, audit.at, &audit, &[])
            .await?
        {
            return Err(CoreError::NotFound(format!("no user named {name}")));
        }
        audit.log();
        Ok(())
    }

    /// Live sessions (or all, with `include_dead`), optionally of one user.
    pub async fn list_sessions(
        &self,
        name: Option<&str>,
        include_dead: bool,
    ) -> Result<Vec<SessionListing>, CoreError> {
        let user = match name {
            Some(n) => Some(self.user_by_name(n).await?.id),
            None => None,
        };
        self.store
            .list_sessions(user, include_dead, self.clock.now())
            .await
    }

    /// Revokes one session by id, or all of a user's; returns how many were live.
    pub async fn revoke_sessions(
        &self,
        ctx: &RequestContext,
        session: Option<uuid::Uuid>,
        user: Option<&str>,
    ) -> Result<u64, CoreError> {
        let (scope, user_id, username, reason) = match (session, user) {
            (Some(id), None) => (
                RevokeScope::Session(id),
                None,
                None,
                format!("session:{id}"),
            ),
            (None, Some(name)) => {
                let u = self.user_by_name(name).await?;
                (
                    RevokeScope::User(u.id),
                    Some(u.id),
                    Some(u.username.as_str().to_owned()),
                    "all".to_owned(),
                )
            }
            _ => {
                return Err(CoreError::InvalidInput(
                    "give either a session id or a user name".into(),
                ))
            }
        };
        let audit = self.event(
            ctx,
            AuditKind::SessionRevoked,
            user_id,
            username.as_deref(),
            Some(reason),
        );
        let n = self.store.revoke_sessions(scope, audit.at, &audit).await?;
        if n == 0 {
            if let RevokeScope::Session(_) = scope {
                return Err(CoreError::NotFound("no live session with that id".into()));
            }
        } else {
            audit.log();
        }
        Ok(n)
    }

    /// Audit rows, oldest first, optionally about one user and since a time.
    pub async fn audit(
        &self,
        name: Option<&str>,
        since: Option<Timestamp>,
        limit: Option<i64>,
    ) -> Result<Vec<AuditRecord>, CoreError> {
        let user_id = match name {
            Some(n) => Some(self.user_by_name(n).await?.id),
            None => None,
        };
        self.store
            .list_audit(&AuditFilter {
                user_id,
                since,
                limit,
            })
            .await
    }
}
