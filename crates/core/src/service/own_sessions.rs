//! What a signed-in person may do about their own account on the self-service pages: see
//! and end their sessions, and ask how the policy judges a candidate password.

use crate::audit::AuditKind;
use crate::domain::Password;
use crate::error::PolicyFailure;
use crate::store::{OwnSessions, UserRecord, UserSession};
use crate::{Core, CoreError, RequestContext};

use super::{password_rules, Principal};

/// Most sessions listed on "my sessions" (newest first); older ones still end with "sign
/// out everywhere else".
pub const MAX_LISTED_SESSIONS: u32 = 100;

/// The policy's verdict on a candidate password, for live feedback while typing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordFeedback {
    /// Every rule the password fails (empty when the stateless rules accept it).
    pub failures: Vec<PolicyFailure>,
    /// The strength estimate, 0 (too guessable) to 4.
    pub score: u8,
}

impl Core {
    /// The caller's live sessions, newest first (at most [`MAX_LISTED_SESSIONS`]). A session
    /// that must change its password first gets `PasswordChangeRequired`.
    pub async fn own_sessions(&self, principal: &Principal) -> Result<Vec<UserSession>, CoreError> {
        self.require_full_session(principal)?;
        self.store
            .user_sessions(principal.user.id, self.clock.now(), MAX_LISTED_SESSIONS)
            .await
    }

    /// Ends sessions of the caller: one of theirs by id, or every one but the current
    /// ("sign out everywhere else"), whatever front end created them. Returns how many were
    /// live; ending another user's session is impossible (it is simply not found).
    pub async fn end_own_sessions(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        which: OwnSessions,
    ) -> Result<u64, CoreError> {
        self.require_full_session(principal)?;
        let reason = match which {
            OwnSessions::One(id) => format!("own:{id}"),
            OwnSessions::AllBut(_) => "own:others".to_owned(),
        };
        let audit = self.event(
            ctx,
            AuditKind::SessionRevoked,
            Some(principal.user.id),
            Some(principal.user.username.as_str()),
            Some(reason),
        );
        let n = self
            .store
            .revoke_own_sessions(principal.user.id, which, audit.at, &audit)
            .await?;
        if n > 0 {
            audit.log();
        }
        Ok(n)
    }

    /// The policy's verdict and strength estimate for `password` as a new password of
    /// `user` (None: nobody known yet, so no context words of a user; the reset page), with
    /// the breached-password index. One job on the hashing pool, like `IsPasswordValid`
    /// (refused at once when the pool is over its budget); rules that need the stored
    /// hashes (current, history) are only applied when the change is made.
    pub async fn password_feedback(
        &self,
        user: Option<&UserRecord>,
        password: &Password,
    ) -> Result<PasswordFeedback, CoreError> {
        let check = self.policy_check(user.map(password_rules::subject_of).unwrap_or_default());
        let candidate = password.clone();
        self.pool
            .run(move |_| -> Result<PasswordFeedback, CoreError> {
                Ok(PasswordFeedback {
                    failures: check.run(&candidate)?,
                    score: check.score(&candidate),
                })
            })
            .await?
    }
}
