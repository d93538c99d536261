//! Administrative password operations: SOAP `ChangePassword*`, `SetPassword*`,
//! `SetGeneratedPassword*`, `GenerateNewPasswordForExternalUser`, and the CLI's
//! `set-password`, `expire`, `rename`, `delete`. Acting on another user needs the admin role;
//! every action is audited with the acting administrator.

use std::time::Duration;

use crate::audit::AuditKind;
use crate::credential::policy::{generate, reused_failure, same_as_current_failure};
use crate::domain::{AssociateId, Password, Role, Username};
use crate::outbox::MailKind;
use crate::store::{PasswordChange, UserChange, UserLookup, UserRecord};
use crate::{Core, CoreError, RequestContext};

use super::change_password::ChangeOutcome;
use super::{password_rules, Principal};

/// How recent a login must be for users to set their own password without giving the
/// current one (ASVS 5.0 7.5.1: re-authenticate before changing an authentication factor).
pub const RECENT_LOGIN: Duration = Duration::from_secs(5 * 60);

/// The user an operation names.
#[derive(Debug, Clone, Copy)]
pub enum UserRef<'a> {
    /// By associate id (0 = the caller).
    Associate(i32),
    /// By login name.
    Name(&'a str),
}

/// What a set-password job found.
enum SetVerdict {
    Policy(Vec<crate::error::PolicyFailure>),
    SameAsCurrent,
    Reused,
    Hashed(String),
}

impl Core {
    /// Resolves `target` for `principal`: the user and whether it is the caller. Another user
    /// needs the admin role (`AccessDenied`, checked before the lookup so that non-admins learn
    /// nothing about other accounts); an unknown one is `NotFound`.
    async fn resolve_target(
        &self,
        principal: &Principal,
        target: UserRef<'_>,
    ) -> Result<(UserRecord, bool), CoreError> {
        let me = &principal.user;
        let lookup_name;
        let lookup = match target {
            UserRef::Associate(0) => return Ok((me.clone(), true)),
            UserRef::Associate(a) if a == me.associate_id.get() => return Ok((me.clone(), true)),
            UserRef::Associate(a) => UserLookup::Associate(AssociateId::new(a)?),
            UserRef::Name(n) => {
                lookup_name = Username::parse(n)?;
                if lookup_name.folded() == me.username.folded() {
                    return Ok((me.clone(), true));
                }
                UserLookup::Name(&lookup_name)
            }
        };
        if me.role != Role::Admin {
            return Err(CoreError::AccessDenied);
        }
        self.require_full_session(principal)?;
        let user = self
            .store
            .find_user(lookup)
            .await?
            .ok_or_else(|| CoreError::NotFound("no such user".into()))?;
        Ok((user, false))
    }

    /// `CanChangePassword`: the user `target` names when `principal` may change its password
    /// (oneself; anyone for an administrator with a full session), None when the caller may
    /// not (non-admins learn nothing about other accounts). An unknown user named by an
    /// administrator is `NotFound`.
    pub async fn changeable_user(
        &self,
        principal: &Principal,
        target: UserRef<'_>,
    ) -> Result<Option<UserRecord>, CoreError> {
        match self.resolve_target(principal, target).await {
            Ok((user, _)) => Ok(Some(user)),
            Err(CoreError::AccessDenied | CoreError::PasswordChangeRequired) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Refuses sessions of users who must change their password first.
    pub fn require_full_session(&self, principal: &Principal) -> Result<(), CoreError> {
        if principal.user.must_change_password {
            return Err(CoreError::PasswordChangeRequired);
        }
        Ok(())
    }

    /// The context for an administrator acting through a front end.
    fn acting(ctx: &RequestContext, principal: &Principal) -> RequestContext {
        RequestContext {
            actor: Some(principal.user.username.as_str().to_owned()),
            ..ctx.clone()
        }
    }

    /// `ChangePassword` / `ChangePasswordFromName`. On oneself it is `ChangeOwnPassword`. An
    /// administrator changing another user's password gives the current one, or leaves it
    /// blank to force a new password: then every session of the user ends and their next
    /// session can only change the password.
    pub async fn change_password_for(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        target: UserRef<'_>,
        old: Password,
        new: Password,
    ) -> Result<ChangeOutcome, CoreError> {
        let (user, is_self) = self.resolve_target(principal, target).await?;
        if is_self {
            return self.change_own_password(ctx, principal, old, new).await;
        }
        let ctx = Self::acting(ctx, principal);
        if old.is_empty() {
            self.set_password_of(&ctx, &user, None, new, true, SetPurpose::Admin)
                .await?;
            return Ok(ChangeOutcome::Changed);
        }
        self.change_password_of(&ctx, &user, None, old, new).await
    }

    /// `SetPassword` / `SetPasswordFromName`. An administrator's new password for another user
    /// must be changed at that user's next login (the administrator knows it); every session
    /// of the user ends. Users may set their own within [`RECENT_LOGIN`] of logging in.
    pub async fn set_password_for(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        target: UserRef<'_>,
        new: Password,
    ) -> Result<(), CoreError> {
        let (user, is_self) = self.resolve_target(principal, target).await?;
        if is_self {
            self.require_recent_login(principal)?;
            return self
                .set_password_of(
                    ctx,
                    &user,
                    Some(principal.session_id),
                    new,
                    false,
                    SetPurpose::Own,
                )
                .await;
        }
        self.set_password_of(
            &Self::acting(ctx, principal),
            &user,
            None,
            new,
            true,
            SetPurpose::Admin,
        )
        .await
    }

    /// `SetGeneratedPassword*` / `GenerateNewPasswordForExternalUser`: sets a generated
    /// password and returns it (once; it is neither logged nor stored in clear).
    pub async fn set_generated_password_for(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        target: UserRef<'_>,
    ) -> Result<Password, CoreError> {
        let (user, is_self) = self.resolve_target(principal, target).await?;
        let password = self.generate_password(&user).await?;
        if is_self {
            self.require_recent_login(principal)?;
            self.set_password_of(
                ctx,
                &user,
                Some(principal.session_id),
                password.clone(),
                false,
                SetPurpose::Own,
            )
            .await?;
        } else {
            let ctx = Self::acting(ctx, principal);
            self.set_password_of(&ctx, &user, None, password.clone(), true, SetPurpose::Admin)
                .await?;
        }
        Ok(password)
    }

    fn require_recent_login(&self, principal: &Principal) -> Result<(), CoreError> {
        if principal.user.must_change_password {
            // The forced-change session was opened with the temporary password just now or
            // earlier; either way the new password is what the demand is for.
            return Ok(());
        }
        if principal.authenticated_at.until(self.clock.now()) > RECENT_LOGIN {
            return Err(CoreError::ReauthenticationRequired);
        }
        Ok(())
    }

    /// A generated password that satisfies the whole policy for `user`.
    pub async fn generate_password(&self, user: &UserRecord) -> Result<Password, CoreError> {
        for _ in 0..8 {
            let candidate = generate(self.policy.config());
            let failures = self
                .evaluate_new_password(&candidate, password_rules::subject_of(user))
                .await?;
            if failures.is_empty() {
                return Ok(candidate);
            }
        }
        Err(CoreError::Internal(
            "could not generate a password that satisfies the policy".into(),
        ))
    }

    /// CLI `user set-password`: sets `name`'s password (every session ends). With
    /// `must_change` the user must change it at next login.
    pub async fn admin_set_password(
        &self,
        ctx: &RequestContext,
        name: &str,
        new: Password,
        must_change: bool,
    ) -> Result<UserRecord, CoreError> {
        let user = self.user_by_name(name).await?;
        self.set_password_of(ctx, &user, None, new, must_change, SetPurpose::Admin)
            .await?;
        Ok(user)
    }

    /// Sets `user`'s password to `new` without the current one: the whole policy (the
    /// target's context words), not the current or a remembered password, then a
    /// compare-and-swap commit that ends every session but `keep_session`.
    pub(super) async fn set_password_of(
        &self,
        ctx: &RequestContext,
        user: &UserRecord,
        keep_session: Option<uuid::Uuid>,
        new: Password,
        must_change: bool,
        purpose: SetPurpose,
    ) -> Result<(), CoreError> {
        let current = user.password_hash.clone();
        let history = self.forbidden_history(user).await?;
        let policy = self.policy_check(password_rules::subject_of(user));
        // One job: the policy (no Argon2id work when it fails), then the reuse checks and
        // the hash.
        // Compare with the current password, check each remembered one, hash the new one.
        let ops = super::change_password::operations(2, history.len());
        let verdict = self
            .pool
            .run_ops(ops, move |w| -> Result<SetVerdict, CoreError> {
                let failures = policy.run(&new)?;
                if !failures.is_empty() {
                    return Ok(SetVerdict::Policy(failures));
                }
                if w.verify(new.expose(), &current)? {
                    return Ok(SetVerdict::SameAsCurrent);
                }
                Ok(
                    password_rules::hash_unless_reused(w, new.expose(), &history)?
                        .map_or(SetVerdict::Reused, SetVerdict::Hashed),
                )
            })
            .await??;
        let new_hash = match verdict {
            SetVerdict::Hashed(h) => h,
            SetVerdict::Policy(failures) => {
                return Err(self.refuse_by_policy(ctx, user, failures).await?);
            }
            SetVerdict::SameAsCurrent => {
                let f = vec![same_as_current_failure()];
                return Err(self.refuse_by_policy(ctx, user, f).await?);
            }
            SetVerdict::Reused => {
                let f = vec![reused_failure(self.policy.config().history)];
                return Err(self.refuse_by_policy(ctx, user, f).await?);
            }
        };
        let (audit_kind, mail_kind) = match purpose {
            SetPurpose::Admin => (AuditKind::PasswordSet, MailKind::PasswordSet),
            SetPurpose::Own => (AuditKind::PasswordSet, MailKind::PasswordChanged),
            SetPurpose::Reset => (AuditKind::PasswordReset, MailKind::PasswordReset),
        };
        let audit = self.event(
            ctx,
            audit_kind,
            Some(user.id),
            Some(user.username.as_str()),
            must_change.then(|| "must_change".to_owned()),
        );
        let notice = self.notification(ctx, user, mail_kind, audit.at);
        let change = PasswordChange {
            user_id: user.id,
            expected_version: user.credential_version,
            new_hash,
            at: audit.at,
            keep_session,
            must_change,
            audit,
            mail: notice.mail.clone(),
        };
        if !self.store.commit_password_change(&change).await? {
            return Err(match purpose {
                SetPurpose::Reset => CoreError::ResetLinkInvalid,
                _ => CoreError::Conflict("the password was changed concurrently; retry".into()),
            });
        }
        change.audit.log();
        self.after_commit(notice).await
    }

    /// CLI `user expire`: the user must change their password at next login; every session
    /// ends now.
    pub async fn expire_password(&self, ctx: &RequestContext, name: &str) -> Result<(), CoreError> {
        let user = self.user_by_name(name).await?;
        let audit = self.event(
            ctx,
            AuditKind::PasswordExpired,
            Some(user.id),
            Some(user.username.as_str()),
            None,
        );
        self.apply_user_change(&UserChange::Expire(user.id, audit.at), audit, name)
            .await
    }

    /// CLI `user rename`: a new login name (`Conflict` when taken).
    pub async fn rename_user(
        &self,
        ctx: &RequestContext,
        name: &str,
        new_name: &str,
    ) -> Result<UserRecord, CoreError> {
        let user = self.user_by_name(name).await?;
        let new_name = Username::parse(new_name)?;
        let audit = self.event(
            ctx,
            AuditKind::UserRenamed,
            Some(user.id),
            Some(new_name.as_str()),
            Some(format!("from:{}", user.username.as_str())),
        );
        self.apply_user_change(&UserChange::Rename(user.id, new_name.clone()), audit, name)
            .await?;
        self.user_by_name(new_name.as_str()).await
    }

    /// CLI `user delete`: removes the user, their sessions and password history. Audit rows
    /// stay (they name the user).
    pub async fn delete_user(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<UserRecord, CoreError> {
        let user = self.user_by_name(name).await?;
        let audit = self.event(
            ctx,
            AuditKind::UserDeleted,
            Some(user.id),
            Some(user.username.as_str()),
            None,
        );
        self.apply_user_change(&UserChange::Delete(user.id), audit, name)
            .await?;
        Ok(user)
    }

    async fn apply_user_change(
        &self,
        change: &UserChange,
        audit: crate::audit::AuditEvent,
        name: &str,
    ) -> Result<(), CoreError> {
        if !self.store.change_user(change, &audit).await? {
            return Err(CoreError::NotFound(format!("no user named {name}")));
        }
        audit.log();
        Ok(())
    }
}

/// Why a password is being set without the current one (selects the audit row and the
/// user's notification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SetPurpose {
    /// An administrator or operator set it.
    Admin,
    /// The user set their own (soon after logging in).
    Own,
    /// The user followed a reset link.
    Reset,
}
