//! Login: username (or unique e-mail) and password in, a session out.

use crate::audit::AuditKind;
use crate::domain::{Email, Password, SessionKind, SessionToken, Username};
use crate::store::{UserLookup, UserRecord};
use crate::{Core, CoreError, RequestContext, Timestamp};

/// A successful login.
#[derive(Debug)]
pub struct Login {
    /// The user.
    pub user: UserRecord,
    /// The new session token, to hand to the client once.
    pub token: SessionToken,
    /// When it expires unless used.
    pub expires_at: Timestamp,
}

/// What the hashing thread found.
struct Verdict {
    ok: bool,
    rehash: Option<String>,
}

impl Core {
    /// Authenticates `login` (a username, or an e-mail address that identifies exactly one
    /// user) with `password` and issues a session of `kind`. Unknown users, wrong passwords
    /// and locked accounts all give `InvalidCredentials` after exactly one Argon2id
    /// verification, so neither the reply nor its timing tells them apart.
    pub async fn authenticate(
        &self,
        ctx: &RequestContext,
        login: &str,
        password: Password,
        kind: SessionKind,
    ) -> Result<Login, CoreError> {
        let user = self.find_login_user(login).await?;
        let stored = user
            .as_ref()
            .map_or_else(|| self.dummy_hash.to_string(), |u| u.password_hash.clone());
        let known = user.is_some();
        let verdict = self
            .pool
            .run(move |w| -> Result<Verdict, CoreError> {
                let ok = w.verify(password.expose(), &stored)? && known;
                let rehash = if ok && w.needs_rehash(&stored) {
                    Some(w.hash(password.expose())?)
                } else {
                    None
                };
                Ok(Verdict { ok, rehash })
            })
            .await??;

        let now = self.clock.now();
        let Some(user) = user.filter(|_| verdict.ok) else {
            let reason = if known {
                "bad_password"
            } else {
                "unknown_user"
            };
            let event = self.event(
                ctx,
                AuditKind::LoginFailed,
                None,
                Some(login),
                Some(reason.into()),
            );
            self.audit_alone(event).await?;
            return Err(CoreError::InvalidCredentials);
        };
        if user.locked_until.is_some_and(|t| t > now) {
            let event = self.event(
                ctx,
                AuditKind::LoginFailed,
                Some(user.id),
                Some(user.username.as_str()),
                Some("locked".into()),
            );
            self.audit_alone(event).await?;
            return Err(CoreError::InvalidCredentials);
        }
        if let Some(new_hash) = verdict.rehash {
            let event = self.event(
                ctx,
                AuditKind::PasswordRehashed,
                Some(user.id),
                Some(user.username.as_str()),
                None,
            );
            if self
                .store
                .rehash_password(user.id, user.credential_version, &new_hash, &event)
                .await?
            {
                event.log();
            }
        }
        let (token, expires_at) = self.issue_session(ctx, &user, kind).await?;
        Ok(Login {
            user,
            token,
            expires_at,
        })
    }

    /// The user a login name refers to: by username first, else by an e-mail address that
    /// belongs to exactly one user. Unparseable names find nobody (and still cost a hash).
    async fn find_login_user(&self, login: &str) -> Result<Option<UserRecord>, CoreError> {
        let Ok(name) = Username::parse(login) else {
            return Ok(None);
        };
        if let Some(u) = self.store.find_user(UserLookup::Name(&name)).await? {
            return Ok(Some(u));
        }
        if let Ok(email) = Email::parse(login) {
            let mut found = self.store.find_users_by_email(&email).await?;
            if found.len() == 1 {
                return Ok(found.pop());
            }
        }
        Ok(None)
    }
}
