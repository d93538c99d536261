//! Applying the password policy: the stateless rules, the breached-password index, and the
//! rules that need the user's stored hashes (same as current, history).

use std::sync::Arc;

use crate::credential::breach::BreachIndex;
use crate::credential::policy::{breached_failure, PolicySubject};
use crate::credential::PasswordPolicy;
use crate::domain::{AssociateId, Password, Role};
use crate::error::PolicyFailure;
use crate::store::{UserLookup, UserRecord};
use crate::{Core, CoreError};

use super::Principal;

/// On a hashing worker: the hash of `new`, or None when it matches one of `previous` (the
/// history rule). Shared by the change and set paths so both treat reuse alike.
pub(super) fn hash_unless_reused(
    w: &mut crate::credential::Argon2Worker,
    new: &str,
    previous: &[String],
) -> Result<Option<String>, CoreError> {
    for hash in previous {
        if w.verify(new, hash)? {
            return Ok(None);
        }
    }
    w.hash(new).map(Some)
}

/// A policy subject that can move to a pool thread.
struct OwnedSubject {
    username: Option<String>,
    email: Option<String>,
    full_name: Option<String>,
}

impl OwnedSubject {
    fn of(s: &PolicySubject<'_>) -> Self {
        OwnedSubject {
            username: s.username.map(str::to_owned),
            email: s.email.map(str::to_owned),
            full_name: s.full_name.map(str::to_owned),
        }
    }

    fn borrow(&self) -> PolicySubject<'_> {
        PolicySubject {
            username: self.username.as_deref(),
            email: self.email.as_deref(),
            full_name: self.full_name.as_deref(),
        }
    }
}

/// The policy subject for a stored user.
pub(super) fn subject_of(user: &UserRecord) -> PolicySubject<'_> {
    PolicySubject {
        username: Some(user.username.as_str()),
        email: user.email.as_ref().map(|e| e.as_str()),
        full_name: user.full_name.as_ref().map(|n| n.as_str()),
    }
}

/// Everything a new password is checked against without the user's stored hashes: the
/// stateless rules (blocklist, context words, strength, composition) and the breached-password
/// index. Blocking (the strength estimate and the index lookup), so it runs on a hashing
/// worker: either as its own job ([`Core::evaluate_new_password`]) or at the start of the job
/// that also verifies and hashes (the change and set paths), so a change passes the admission
/// queue once.
pub(super) struct PolicyCheck {
    policy: PasswordPolicy,
    breach: Option<Arc<BreachIndex>>,
    subject: OwnedSubject,
}

impl PolicyCheck {
    /// Every rule `password` fails (empty when acceptable), the index included.
    pub(super) fn run(&self, password: &Password) -> Result<Vec<PolicyFailure>, CoreError> {
        let mut failures = self.policy.check(password, &self.subject.borrow());
        let too_long = failures
            .iter()
            .any(|f| f.code == crate::credential::policy::codes::TOO_LONG);
        if let (Some(index), false) = (&self.breach, too_long) {
            let min = self.policy.config().breach_min_count;
            let found = index
                .count(password.expose())
                .map_err(|e| CoreError::Internal(format!("breach index: {e}")))?;
            if found.is_some_and(|n| n >= min) {
                failures.push(breached_failure());
            }
        }
        Ok(failures)
    }

    /// The strength estimate of `password` (0–4) for this subject.
    pub(super) fn score(&self, password: &Password) -> u8 {
        self.policy.strength_score(password, &self.subject.borrow())
    }
}

impl Core {
    /// The policy check for `subject`, ready to move to a hashing worker.
    pub(super) fn policy_check(&self, subject: PolicySubject<'_>) -> PolicyCheck {
        PolicyCheck {
            policy: self.policy.clone(),
            breach: self.breach.clone(),
            subject: OwnedSubject::of(&subject),
        }
    }

    /// Every rule `password` fails for `subject`, the breached-password index included (when
    /// one is configured). Costs no hashing, but runs as one job on the bounded hashing pool:
    /// the strength estimate's cost depends on the input and the index lookup reads a file, so
    /// neither runs on the async threads, and both are refused at once (Overloaded) when the
    /// pool is full.
    pub async fn evaluate_new_password(
        &self,
        password: &Password,
        subject: PolicySubject<'_>,
    ) -> Result<Vec<PolicyFailure>, CoreError> {
        let check = self.policy_check(subject);
        let candidate = password.clone();
        self.pool.run(move |_| check.run(&candidate)).await?
    }

    /// `IsPasswordValid`: the rules `password` would fail for the user `target` (None or 0 =
    /// the caller) without changing anything. Another user needs the admin role. Rules that
    /// compare with stored hashes (current password, history) are applied only when a change
    /// is made, because they cost an Argon2id verification each.
    pub async fn validate_password(
        &self,
        principal: &Principal,
        target: Option<AssociateId>,
        password: &Password,
    ) -> Result<Vec<PolicyFailure>, CoreError> {
        let user = match target {
            None => principal.user.clone(),
            Some(a) if a == principal.user.associate_id => principal.user.clone(),
            Some(a) => {
                if principal.user.role != Role::Admin {
                    return Err(CoreError::AccessDenied);
                }
                self.store
                    .find_user(UserLookup::Associate(a))
                    .await?
                    .ok_or_else(|| CoreError::NotFound("no user with that associate id".into()))?
            }
        };
        self.evaluate_new_password(password, subject_of(&user))
            .await
    }

    /// The user's previous password hashes the policy forbids reusing (newest first; empty
    /// when the history rule is off).
    pub(super) async fn forbidden_history(
        &self,
        user: &UserRecord,
    ) -> Result<Vec<String>, CoreError> {
        let n = self.policy.config().history;
        if n == 0 {
            return Ok(Vec::new());
        }
        self.store.password_history(user.id, n).await
    }
}
