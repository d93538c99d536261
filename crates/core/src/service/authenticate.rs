//! Login: username (or unique e-mail) and password in, a session out.

use crate::audit::AuditKind;
use crate::credential::legacy::{LegacyFormat, StoredFormat};
use crate::domain::{Email, Password, SessionKind, SessionToken, Username};
use crate::store::{UserLookup, UserRecord};
use crate::{Core, CoreError, RequestContext, Timestamp};

use super::Principal;

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
    /// verification, so neither the reply nor its timing tells them apart. The session is
    /// stored only if the verified credential is still the user's when it commits (see
    /// [`Core::issue_session`]); a login that lost that race fails the same way.
    pub async fn authenticate(
        &self,
        ctx: &RequestContext,
        login: &str,
        password: Password,
        kind: SessionKind,
    ) -> Result<Login, CoreError> {
        let user = self.verify_login(ctx, login, password).await?;
        let Some((token, expires_at)) = self.issue_session(ctx, &user, kind).await? else {
            // The password verified was replaced (or the account locked) while this login
            // ran: it proves nothing now, so it fails like a wrong password would.
            let event = self.event(
                ctx,
                AuditKind::LoginFailed,
                Some(user.id),
                Some(user.username.as_str()),
                Some("credential_changed".into()),
            );
            self.audit_alone(event).await?;
            self.failure_pause().await;
            return Err(CoreError::InvalidCredentials);
        };
        Ok(Login {
            user,
            token,
            expires_at,
        })
    }

    /// Authenticates one call that carries a user name and password itself (HTTP Basic on
    /// the WebAPI front end) without storing a session: the same throttle, hashing admission,
    /// single Argon2id verification and audit as [`Core::authenticate`], and the same
    /// `InvalidCredentials` for unknown users, wrong passwords and locked accounts. The
    /// principal's `session_id` is fresh and matches no stored session, so a password change
    /// made with it ends every stored session of the user; `authenticated_at` is now (the
    /// password was just proved).
    pub async fn authenticate_call(
        &self,
        ctx: &RequestContext,
        login: &str,
        password: Password,
        kind: SessionKind,
    ) -> Result<Principal, CoreError> {
        let user = self.verify_login(ctx, login, password).await?;
        Ok(Principal {
            session_id: uuid::Uuid::new_v4(),
            kind,
            user,
            authenticated_at: self.clock.now(),
        })
    }

    /// The throttled, constant-cost password check behind both kinds of login: the user on
    /// success (the hash upgraded when its parameters are outdated, or when it is an imported
    /// legacy hash: audited as `password_rehashed` with reason `upgraded:<format>`),
    /// `InvalidCredentials` (audited, counted by the throttle) otherwise. A legacy hash past
    /// `import.max_legacy_age` is refused like a wrong password (audit reason
    /// `legacy_hash_expired`). Legacy hashes are verified on the same pool, after the same
    /// admission check and throttle, as Argon2id ones.
    async fn verify_login(
        &self,
        ctx: &RequestContext,
        login: &str,
        password: Password,
    ) -> Result<UserRecord, CoreError> {
        self.check_hashing_room()?;
        let user = self.find_login_user(login).await?;
        let subject = super::throttle::Subject {
            login,
            user: user.as_ref().map(|u| (u.id, u.username.as_str())),
        };
        // Known and unknown names are throttled alike, by the name as presented.
        let cleared = self.throttle_check(ctx, &subject).await?;
        let stored = user
            .as_ref()
            .map_or_else(|| self.dummy_hash.to_string(), |u| u.password_hash.clone());
        let known = user.is_some();
        let now = self.clock.now();
        // A locked account must cost exactly what a wrong password costs: no rehash.
        let locked_hint = user
            .as_ref()
            .is_some_and(|u| u.locked_until.is_some_and(|t| t > now));
        // A legacy hash past the configured age no longer signs in (the user resets the
        // password); it is still verified, so the refusal costs what a wrong password costs.
        let legacy = user
            .as_ref()
            .and_then(|u| legacy_format_of(&u.password_hash));
        let expired = legacy.is_some()
            && user
                .as_ref()
                .is_some_and(|u| self.legacy_expired(u.password_changed_at, now));
        let locked_hint = locked_hint || expired;
        let verdict = self
            .pool
            .run(move |w| -> Result<Verdict, CoreError> {
                let ok = w.verify(password.expose(), &stored)? && known;
                let rehash = if ok && !locked_hint && w.needs_rehash(&stored) {
                    Some(w.hash(password.expose())?)
                } else {
                    None
                };
                Ok(Verdict { ok, rehash })
            })
            .await??;

        let locked = user
            .as_ref()
            .is_some_and(|u| u.locked_until.is_some_and(|t| t > now));
        let user = match user {
            Some(u) if verdict.ok && !locked && !expired => u,
            other => {
                let reason = match (&other, locked) {
                    (None, _) => "unknown_user",
                    (Some(_), true) => "locked",
                    (Some(_), false) if expired && verdict.ok => "legacy_hash_expired",
                    (Some(_), false) => "bad_password",
                };
                // A name that matches nobody may be a password typed into the wrong field:
                // only a digest of it is kept, enough to correlate repeated attempts.
                let (id, name) = match &other {
                    Some(u) => (Some(u.id), u.username.as_str().to_owned()),
                    None => (None, unknown_name_digest(login)),
                };
                let event = self.event(
                    ctx,
                    AuditKind::LoginFailed,
                    id,
                    Some(&name),
                    Some(reason.into()),
                );
                self.audit_alone(event).await?;
                // Locked accounts count too, or the throttle would tell them apart.
                let failed = super::throttle::Subject {
                    login,
                    user: other.as_ref().map(|u| (u.id, u.username.as_str())),
                };
                self.throttle_failure(ctx, &failed).await?;
                self.failure_pause().await;
                return Err(CoreError::InvalidCredentials);
            }
        };
        self.throttle_success(login, cleared).await?;
        if let Some(new_hash) = verdict.rehash {
            // An imported hash upgraded to Argon2id says which format it was.
            let event = self.event(
                ctx,
                AuditKind::PasswordRehashed,
                Some(user.id),
                Some(user.username.as_str()),
                legacy.map(|f| format!("upgraded:{}", f.name())),
            );
            if self
                .store
                .rehash_password(user.id, user.credential_version, &new_hash, &event)
                .await?
            {
                event.log();
            }
        }
        Ok(user)
    }

    /// Whether a legacy hash whose password was set at `changed_at` is past the configured
    /// `import.max_legacy_age` at `now`.
    pub(super) fn legacy_expired(&self, changed_at: Timestamp, now: Timestamp) -> bool {
        self.config.import.max_legacy_age.is_some_and(|age| {
            let age_ms = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
            now.0.saturating_sub(changed_at.0) > age_ms
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

/// The legacy format of a stored hash, None for Argon2 (and for no password at all).
pub(super) fn legacy_format_of(stored: &str) -> Option<LegacyFormat> {
    match StoredFormat::of(stored) {
        StoredFormat::Legacy(f) => Some(f),
        StoredFormat::Argon2id | StoredFormat::None => None,
    }
}

/// `unknown:` + the first 16 hex digits of the SHA-256 of the case-folded name.
pub(super) fn unknown_name_digest(login: &str) -> String {
    let h = crate::domain::TokenHash::of(&login.trim().to_lowercase());
    format!("unknown:{}", &h.as_str()[..16])
}
