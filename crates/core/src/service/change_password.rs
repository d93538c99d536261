//! Changing one's own password: verify the current one, check the new one, compare-and-swap.

use crate::audit::AuditKind;
use crate::credential::policy::{reused_failure, same_as_current_failure};
use crate::domain::{Password, Role, UserId};
use crate::error::PolicyFailure;
use crate::outbox::MailKind;
use crate::store::{PasswordChange, UserLookup, UserRecord};
use crate::{Core, CoreError, RequestContext};

use super::{password_rules, Principal};

/// What the hashing job found.
enum Verdict {
    /// The new password fails these policy rules (nothing was verified or hashed).
    Policy(Vec<PolicyFailure>),
    /// The presented current password is wrong.
    WrongCurrent,
    /// The new password matches one in the user's history.
    Reused,
    /// The new password's hash.
    Hashed(String),
}

/// The business outcome of a change request that was well-formed and authorised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// The password was changed; the caller's other sessions were revoked.
    Changed,
    /// The current password was wrong, or another change won the race.
    WrongPassword,
}

impl Core {
    /// Changes the caller's own password. The throttle is checked first (a blocked caller
    /// costs no hashing); then ONE hashing job checks the new password against the policy,
    /// verifies the current password and hashes the new one (a policy failure stops it before
    /// any Argon2id work); then the change commits only if the credential is still the
    /// verified one, revoking every other session of the user and writing the audit row in
    /// the same transaction.
    pub async fn change_own_password(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        old: Password,
        new: Password,
    ) -> Result<ChangeOutcome, CoreError> {
        self.change_password_of(ctx, &principal.user, Some(principal.session_id), old, new)
            .await
    }

    /// Changes the password of `target` (None = the caller) given its current password.
    /// Acting on another user needs the admin role (`AccessDenied` otherwise, nothing
    /// changed); then all of the target's sessions end.
    pub async fn change_password(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        target: Option<UserId>,
        old: Password,
        new: Password,
    ) -> Result<ChangeOutcome, CoreError> {
        match target {
            None => self.change_own_password(ctx, principal, old, new).await,
            Some(id) if id == principal.user.id => {
                self.change_own_password(ctx, principal, old, new).await
            }
            Some(id) => {
                if principal.user.role != Role::Admin {
                    return Err(CoreError::AccessDenied);
                }
                self.require_full_session(principal)?;
                let target = self
                    .store
                    .find_user(UserLookup::Id(id))
                    .await?
                    .ok_or_else(|| CoreError::NotFound("no user with that id".into()))?;
                self.change_password_of(ctx, &target, None, old, new).await
            }
        }
    }

    pub(super) async fn change_password_of(
        &self,
        ctx: &RequestContext,
        user: &UserRecord,
        keep_session: Option<uuid::Uuid>,
        old: Password,
        new: Password,
    ) -> Result<ChangeOutcome, CoreError> {
        self.check_hashing_room()?;
        let subject = super::throttle::Subject {
            login: user.username.as_str(),
            user: Some((user.id, user.username.as_str())),
        };
        // The current-password check is a password guess like a login: same throttle, and
        // checked before the job so a blocked caller costs no hashing.
        let cleared = self.throttle_check(ctx, &subject).await?;
        let history = self.forbidden_history(user).await?;
        let stored = user.password_hash.clone();
        let policy = self.policy_check(password_rules::subject_of(user));
        // One job: policy, then verify, then hash. Passing the admission queue once keeps an
        // admitted change's latency to one wait (see docs/performance.md).
        // Verify the current password, check each remembered one, hash the new one.
        let ops = operations(2, history.len());
        let verdict = self
            .pool
            .run_ops(ops, move |w| -> Result<Verdict, CoreError> {
                let mut failures = policy.run(&new)?;
                if new.expose() == old.expose() {
                    failures.push(same_as_current_failure());
                }
                if !failures.is_empty() {
                    return Ok(Verdict::Policy(failures));
                }
                if !w.verify(old.expose(), &stored)? {
                    return Ok(Verdict::WrongCurrent);
                }
                Ok(
                    password_rules::hash_unless_reused(w, new.expose(), &history)?
                        .map_or(Verdict::Reused, Verdict::Hashed),
                )
            })
            .await??;
        let new_hash = match verdict {
            Verdict::Hashed(h) => h,
            Verdict::Policy(failures) => {
                return Err(self.refuse_by_policy(ctx, user, failures).await?);
            }
            Verdict::Reused => {
                self.throttle_success(user.username.as_str(), cleared)
                    .await?;
                let failure = reused_failure(self.policy.config().history);
                return Err(self.refuse_by_policy(ctx, user, vec![failure]).await?);
            }
            Verdict::WrongCurrent => {
                let event = self.event(
                    ctx,
                    AuditKind::PasswordChangeFailed,
                    Some(user.id),
                    Some(user.username.as_str()),
                    Some("bad_current_password".into()),
                );
                self.audit_alone(event).await?;
                self.throttle_failure(ctx, &subject).await?;
                self.failure_pause().await;
                return Ok(ChangeOutcome::WrongPassword);
            }
        };
        self.throttle_success(user.username.as_str(), cleared)
            .await?;
        let audit = self.event(
            ctx,
            AuditKind::PasswordChanged,
            Some(user.id),
            Some(user.username.as_str()),
            None,
        );
        let notice = self.notification(ctx, user, MailKind::PasswordChanged, audit.at);
        let change = PasswordChange {
            user_id: user.id,
            expected_version: user.credential_version,
            new_hash,
            at: audit.at,
            keep_session,
            must_change: false,
            audit,
            mail: notice.mail.clone(),
        };
        if self.store.commit_password_change(&change).await? {
            change.audit.log();
            self.after_commit(notice).await?;
            Ok(ChangeOutcome::Changed)
        } else {
            let event = self.event(
                ctx,
                AuditKind::PasswordChangeFailed,
                Some(user.id),
                Some(user.username.as_str()),
                Some("concurrent_change".into()),
            );
            self.audit_alone(event).await?;
            Ok(ChangeOutcome::WrongPassword)
        }
    }

    /// Audits a policy refusal for `user` and returns the error to answer with.
    pub(super) async fn refuse_by_policy(
        &self,
        ctx: &RequestContext,
        user: &UserRecord,
        failures: Vec<PolicyFailure>,
    ) -> Result<CoreError, CoreError> {
        let codes: Vec<&str> = failures.iter().map(|f| f.code).collect();
        let event = self.event(
            ctx,
            AuditKind::PasswordChangeFailed,
            Some(user.id),
            Some(user.username.as_str()),
            Some(format!("policy:{}", codes.join(","))),
        );
        self.audit_alone(event).await?;
        Ok(CoreError::PolicyViolation(failures))
    }
}

/// The Argon2id operations of a job that runs `fixed` of them plus one per remembered hash,
/// as the admission rule weighs it.
pub(super) fn operations(fixed: u32, remembered: usize) -> u32 {
    fixed.saturating_add(u32::try_from(remembered).unwrap_or(u32::MAX))
}
