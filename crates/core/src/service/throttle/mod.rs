//! Brute-force throttling: applying the rules of [`rules`] (refuse blocked attempts before
//! any hashing, count failures, reset on success). Counters are in the store, so they hold
//! across nodes.

pub mod rules;

use crate::audit::AuditKind;
use crate::store::ThrottleRow;
use crate::{Core, CoreError, RequestContext};
use rules::{account_key, address_key};

/// What [`Core::throttle_check`] found for an attempt it let through.
#[must_use]
pub(super) struct Cleared {
    /// The account had a failure counter; a successful verification must reset it.
    account_counted: bool,
}

/// Identifies whose attempt this is, for audit rows of throttle events.
pub(super) struct Subject<'a> {
    pub login: &'a str,
    pub user: Option<(crate::domain::UserId, &'a str)>,
}

impl Core {
    fn keys(ctx: &RequestContext, login: &str) -> (String, Option<String>) {
        (
            account_key(login),
            ctx.client_addr.as_deref().map(address_key),
        )
    }

    fn subject_fields(subject: &Subject<'_>) -> (Option<crate::domain::UserId>, String) {
        match subject.user {
            Some((id, name)) => (Some(id), name.to_owned()),
            None => (
                None,
                super::authenticate::unknown_name_digest(subject.login),
            ),
        }
    }

    /// Refuses with `Throttled` (and an audit row) when the account or the address is
    /// blocked. Runs before any Argon2id work.
    pub(super) async fn throttle_check(
        &self,
        ctx: &RequestContext,
        subject: &Subject<'_>,
    ) -> Result<Cleared, CoreError> {
        let (acct, addr) = Self::keys(ctx, subject.login);
        let mut keys = vec![acct];
        keys.extend(addr);
        let now = self.clock.now();
        let rows = self.store.throttle_rows(&keys).await?;
        let account_counted = rows.iter().any(|(k, _)| *k == keys[0]);
        let blocked = rows
            .into_iter()
            .filter_map(|(k, r)| r.blocked_until.filter(|t| *t > now).map(|t| (k, t)))
            .max_by_key(|(_, t)| *t);
        let Some((key, until)) = blocked else {
            return Ok(Cleared { account_counted });
        };
        let wait = now.until(until);
        // Whole seconds, rounded up, so a client never retries too early.
        let retry_after = std::time::Duration::from_secs(wait.as_millis().div_ceil(1000) as u64);
        let (id, name) = Self::subject_fields(subject);
        let scope = if key.starts_with("addr:") {
            "address"
        } else {
            "account"
        };
        let event = self.event(
            ctx,
            AuditKind::Throttled,
            id,
            Some(&name),
            Some(scope.into()),
        );
        self.audit_alone(event).await?;
        // Tarpit: a closed-loop attacker gets one answer per connection per delay.
        let delay = self.config.throttle.refusal_delay.min(wait);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Err(CoreError::Throttled { retry_after })
    }

    /// Counts a failed verification against the account and the address; writes a
    /// `throttle_tripped` row when a block starts.
    pub(super) async fn throttle_failure(
        &self,
        ctx: &RequestContext,
        subject: &Subject<'_>,
    ) -> Result<(), CoreError> {
        let cfg = self.config.throttle;
        let now = self.clock.now();
        let (acct, addr) = Self::keys(ctx, subject.login);
        let bump_account = move |r: ThrottleRow| {
            let failures = r.failures.saturating_add(1);
            ThrottleRow {
                failures,
                window_start: r.window_start,
                blocked_until: cfg.account_delay(failures).map(|d| now.plus(d)),
            }
        };
        let row = self
            .store
            .bump_throttle(&acct, Box::new(bump_account))
            .await?;
        let mut tripped = Vec::new();
        if let Some(d) = cfg.account_delay(row.failures) {
            tripped.push(format!("account:{}s", d.as_secs()));
        }
        if let Some(addr) = addr {
            let bump_address = move |r: ThrottleRow| {
                let (failures, window_start, blocked) =
                    cfg.address_after_failure(r.failures, r.window_start, now);
                ThrottleRow {
                    failures,
                    window_start,
                    blocked_until: blocked.or(r.blocked_until.filter(|t| *t > now)),
                }
            };
            let row = self
                .store
                .bump_throttle(&addr, Box::new(bump_address))
                .await?;
            if row.failures == cfg.address_limit.saturating_add(1) {
                tripped.push(format!("address:{}s", cfg.address_block.as_secs()));
            }
        }
        let (id, name) = Self::subject_fields(subject);
        for reason in tripped {
            let event = self.event(
                ctx,
                AuditKind::ThrottleTripped,
                id,
                Some(&name),
                Some(reason),
            );
            self.audit_alone(event).await?;
        }
        Ok(())
    }

    /// Waits `throttle.failure_delay` (after a failed verification, whose hashing place is
    /// already free) before the failure is answered.
    pub(super) async fn failure_pause(&self) {
        let delay = self.config.throttle.failure_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    /// Resets the account's counter after a successful verification. Writes only when
    /// [`Core::throttle_check`] saw a counter: most logins have none, and skipping the delete
    /// spares the database a write per login. A failure counted by a concurrent request
    /// between the check and now is kept, as if it had come just after this success.
    pub(super) async fn throttle_success(
        &self,
        login: &str,
        cleared: Cleared,
    ) -> Result<(), CoreError> {
        if !cleared.account_counted {
            return Ok(());
        }
        self.store.clear_throttle(&account_key(login)).await
    }
}
