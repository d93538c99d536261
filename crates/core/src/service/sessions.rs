//! Session issue and validation. One table for SOAP tickets, REST sessions and web sessions.

use crate::audit::AuditKind;
use crate::domain::{SessionKind, SessionToken, UserId};
use crate::store::{NewSession, UserLookup, UserRecord};
use crate::{Core, CoreError, RequestContext, Timestamp};

/// An authenticated caller: a live session and its user.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The session's row id (kept alive when this caller changes their password).
    pub session_id: uuid::Uuid,
    /// The session's kind.
    pub kind: SessionKind,
    /// The user, as stored when the session was resolved.
    pub user: UserRecord,
    /// When the session was created, i.e. when the user last proved their password.
    pub authenticated_at: crate::Timestamp,
}

impl Core {
    /// Issues a new session for `user` and stores it with a `login_ok` audit row, only while
    /// `user.credential_version` (the credential the caller verified) is still current and
    /// the account is not locked. None when a change, reset or lock committed in between:
    /// the caller then answers the login as failed, so no session outlives that change.
    pub(super) async fn issue_session(
        &self,
        ctx: &RequestContext,
        user: &UserRecord,
        kind: SessionKind,
    ) -> Result<Option<(SessionToken, Timestamp)>, CoreError> {
        let now = self.clock.now();
        let token = SessionToken::generate_for(kind);
        let expires_at = now
            .plus(self.config.session_idle)
            .min(now.plus(self.config.session_absolute));
        let session = NewSession {
            id: uuid::Uuid::new_v4(),
            user_id: user.id,
            token_hash: token.hash(),
            kind,
            created_at: now,
            expires_at,
            client_addr: ctx.client_addr.clone(),
            user_agent: ctx.user_agent.clone(),
            credential_version: user.credential_version,
        };
        let audit = self.event(
            ctx,
            AuditKind::LoginOk,
            Some(user.id),
            Some(user.username.as_str()),
            Some(kind.as_str().to_owned()),
        );
        if !self.store.insert_session(&session, &audit).await? {
            return Ok(None);
        }
        audit.log();
        Ok(Some((token, expires_at)))
    }

    /// Resolves a presented ticket or session id to its user. Missing, malformed, unknown,
    /// expired and revoked all give `TicketInvalid`; malformed ones never reach the database.
    /// A use slides the expiry (6 h by default) up to the absolute cap.
    pub async fn resolve_session(&self, presented: Option<&str>) -> Result<Principal, CoreError> {
        let token = presented
            .and_then(SessionToken::parse)
            .ok_or(CoreError::TicketInvalid)?;
        let session = self
            .store
            .find_session(&token.hash())
            .await?
            .ok_or(CoreError::TicketInvalid)?;
        let now = self.clock.now();
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Err(CoreError::TicketInvalid);
        }
        let user = self
            .store
            .find_user(UserLookup::Id(session.user_id))
            .await?
            .ok_or(CoreError::TicketInvalid)?;
        if user.locked_until.is_some_and(|t| t > now) {
            return Err(CoreError::TicketInvalid);
        }
        if session.last_seen_at.until(now) >= self.config.session_touch_interval {
            let cap = session.created_at.plus(self.config.session_absolute);
            let expires = now.plus(self.config.session_idle).min(cap);
            self.store.touch_session(session.id, now, expires).await?;
        }
        Ok(Principal {
            session_id: session.id,
            kind: session.kind,
            user,
            authenticated_at: session.created_at,
        })
    }

    /// Ends the caller's own session (logout).
    pub async fn logout(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
    ) -> Result<(), CoreError> {
        let audit = self.event(
            ctx,
            AuditKind::SessionRevoked,
            Some(principal.user.id),
            Some(principal.user.username.as_str()),
            Some("logout".into()),
        );
        if self
            .store
            .revoke_session(principal.session_id, audit.at, &audit)
            .await?
        {
            audit.log();
        }
        Ok(())
    }

    /// The user behind an id (administrative reads).
    pub async fn user_by_id(&self, id: UserId) -> Result<Option<UserRecord>, CoreError> {
        self.store.find_user(UserLookup::Id(id)).await
    }
}
