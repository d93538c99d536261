//! Use cases shared by every front end. Front ends call these and nothing below them.

mod admin;
mod admin_passwords;
mod app_tokens;
mod authenticate;
mod change_password;
mod import;
mod notify;
mod own_sessions;
mod password_rules;
mod reset;
mod sessions;
pub(crate) mod throttle;
mod users;

use std::sync::Arc;

use crate::audit::{AuditEvent, AuditKind, FrontEnd};
use crate::clock::Clock;
use crate::credential::breach::BreachIndex;
use crate::credential::{HashPool, PasswordPolicy};
use crate::domain::{Password, UserId};
use crate::metrics::CoreMetrics;
use crate::settings::CoreConfig;
use crate::store::Store;
use crate::CoreError;

pub use admin_passwords::{UserRef, RECENT_LOGIN};
pub use app_tokens::AppTokenIssued;
pub use authenticate::Login;
pub use change_password::ChangeOutcome;
pub use import::{BatchResult, ImportRefusal, ImportRow};
pub use own_sessions::{PasswordFeedback, MAX_LISTED_SESSIONS};
pub use reset::{build_link, url_has_prefix, IssuedLink, MAX_CHANGE_URL, TOKEN_PLACEHOLDER};
pub use sessions::Principal;
pub use users::NewUserInput;

/// Who is asking: the front end and the client's address and user agent, for audit.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Front end the request came through.
    pub front_end: FrontEnd,
    /// Client address (after the trusted-proxy rules of the server).
    pub client_addr: Option<String>,
    /// Client user agent, truncated.
    pub user_agent: Option<String>,
    /// Who is acting when it is not the user concerned (`cli:<os user>` for the command line;
    /// administrators acting over SOAP are recorded by the core itself).
    pub actor: Option<String>,
}

impl RequestContext {
    /// A context for `front_end` with no client details (CLI, tests).
    pub fn new(front_end: FrontEnd) -> Self {
        RequestContext {
            front_end,
            client_addr: None,
            user_agent: None,
            actor: None,
        }
    }
}

/// The credential service: one per process, shared by all front ends.
pub struct Core {
    store: Arc<dyn Store>,
    pool: HashPool,
    clock: Arc<dyn Clock>,
    config: CoreConfig,
    policy: PasswordPolicy,
    breach: Option<Arc<BreachIndex>>,
    metrics: Arc<CoreMetrics>,
    /// Hash of a random password with the current parameters: unknown users are verified
    /// against it so they cost exactly what a known user costs.
    dummy_hash: Arc<str>,
    /// Woken when a mail is queued (see [`Core::mail_wake`]).
    mail_wake: Arc<tokio::sync::Notify>,
}

impl Core {
    /// Starts the hashing pool and prepares the dummy hash.
    pub async fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: CoreConfig,
        metrics: Arc<CoreMetrics>,
    ) -> Result<Self, CoreError> {
        let pool = HashPool::start(
            config.hash,
            config.hash_workers,
            config.hash_max_wait,
            config.hash_thread_policy,
            Arc::clone(&metrics),
        )?;
        let policy = PasswordPolicy::new(config.policy.clone());
        let warm = policy.clone();
        pool.run(move |_| warm.warm_up()).await?;
        let random = crate::domain::SessionToken::generate();
        let secret = random.expose().to_owned();
        let (dummy_hash, took) = pool
            .run(move |w| {
                let t0 = std::time::Instant::now();
                w.hash(&secret).map(|h| (h, t0.elapsed()))
            })
            .await??;
        let dummy_hash: Arc<str> = dummy_hash.into();
        // The dummy hash is the calibration: one Argon2id operation at the current
        // parameters on this machine seeds the mean job cost of the admission rule.
        pool.seed_cost(took);
        Ok(Core {
            store,
            pool,
            clock,
            config,
            policy,
            breach: None,
            metrics,
            dummy_hash,
            mail_wake: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Checks new passwords against `index` too (the offline breached-password corpus).
    pub fn with_breach_index(mut self, index: Arc<BreachIndex>) -> Self {
        self.breach = Some(index);
        self
    }

    /// The breached-password index in use, if any.
    pub fn breach_index(&self) -> Option<&Arc<BreachIndex>> {
        self.breach.as_ref()
    }

    /// The store (for administrative reads).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The live counters.
    pub fn metrics(&self) -> &Arc<CoreMetrics> {
        &self.metrics
    }

    /// The hashing pool (its size is exported as a metric).
    pub fn pool(&self) -> &HashPool {
        &self.pool
    }

    /// Refuses at once with `Overloaded` when a hashing job would now wait beyond the
    /// budget. Operations that hash call it first, and front ends call it before resolving a
    /// session for them, so that under overload the excess costs no database work at all.
    pub fn check_hashing_room(&self) -> Result<(), CoreError> {
        if self.pool.would_admit() {
            Ok(())
        } else {
            Err(self.pool.refuse_early())
        }
    }

    /// The active configuration.
    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// The password policy.
    pub fn policy(&self) -> &PasswordPolicy {
        &self.policy
    }

    /// Hashes a new password on the pool.
    async fn hash_new(&self, password: &Password) -> Result<String, CoreError> {
        let p = password.clone();
        self.pool.run(move |w| w.hash(p.expose())).await?
    }

    fn event(
        &self,
        ctx: &RequestContext,
        kind: AuditKind,
        user_id: Option<UserId>,
        username: Option<&str>,
        reason: Option<String>,
    ) -> AuditEvent {
        AuditEvent {
            at: self.clock.now(),
            user_id,
            username: username.map(str::to_owned),
            kind,
            front_end: ctx.front_end,
            client_addr: ctx.client_addr.clone(),
            reason,
            actor: ctx.actor.clone(),
        }
    }

    /// Stores an audit row that changes nothing else, then logs it.
    async fn audit_alone(&self, event: AuditEvent) -> Result<(), CoreError> {
        self.store.append_audit(&event).await?;
        event.log();
        Ok(())
    }
}
