//! What each kind of worker sends and expects.

use hyper::header::HeaderValue;
use passgate_core::domain::Password;
use secrecy::SecretString;

use super::client::{Req, Resp};
use super::driver::Flow;
use super::protocol::{self, Api};

/// Length of the random passwords the change workers set (well above any sane minimum).
pub const NEW_PASSWORD_CHARS: usize = 24;

/// Logs in with a correct password, again and again.
pub struct LoginFlow {
    api: Api,
    req: Req,
}

impl LoginFlow {
    /// A worker logging in as `user`, from `forwarded_for` when given.
    pub fn new(
        api: Api,
        user: &str,
        password: &Password,
        forwarded_for: Option<&HeaderValue>,
    ) -> Self {
        LoginFlow {
            api,
            req: protocol::login(api, user, password, forwarded_for),
        }
    }
}

impl Flow for LoginFlow {
    fn next(&mut self) -> Req {
        self.req.clone()
    }

    fn answer(&mut self, resp: &Resp) -> &'static str {
        protocol::read_login(self.api, resp).0
    }
}

/// Changes its user's password with every request, each time to a fresh random one (so the
/// change is real and passes any history or strength rule). A request refused for overload
/// changed nothing, so it is sent again as it was, as a retrying client would.
pub struct ChangeFlow {
    api: Api,
    token: SecretString,
    current: Password,
    pending: Option<Password>,
    /// After a change whose outcome is unknown: the password it may have set.
    maybe: Option<Password>,
    /// The last request, while it is to be sent again (it was refused for overload).
    resend: Option<Req>,
    last: Option<Req>,
}

impl ChangeFlow {
    /// A worker holding a session `token` of a user whose password is `current`.
    pub fn new(api: Api, token: SecretString, current: Password) -> Self {
        ChangeFlow {
            api,
            token,
            current,
            pending: None,
            maybe: None,
            resend: None,
            last: None,
        }
    }

    /// The front end it talks to.
    pub fn api(&self) -> Api {
        self.api
    }
}

impl Flow for ChangeFlow {
    fn next(&mut self) -> Req {
        if let Some(req) = self.resend.take() {
            return req;
        }
        let new =
            passgate_core::credential::policy::generate(&passgate_core::credential::PolicyConfig {
                min_chars: NEW_PASSWORD_CHARS,
                ..Default::default()
            });
        let req = protocol::change(self.api, &self.token, &self.current, &new);
        self.pending = Some(new);
        self.last = Some(req.clone());
        req
    }

    fn answer(&mut self, resp: &Resp) -> &'static str {
        let kind = protocol::read_change(self.api, resp);
        match kind {
            "overloaded" | "overloaded_without_retry_after" => {
                // Refused before any work: the same change is still to be made.
                self.resend = self.last.clone();
            }
            "ok" => {
                if let Some(p) = self.pending.take() {
                    self.current = p;
                }
                self.maybe = None;
            }
            "change_refused" => {
                // The current password is not what we thought: an earlier change whose
                // answer was lost did apply.
                if let Some(p) = self.maybe.take() {
                    self.current = p;
                }
            }
            _ => {}
        }
        kind
    }

    fn failed(&mut self) {
        self.maybe = self.pending.take();
    }
}

/// Presents an unknown (well-formed) ticket or session id: the cheap rejection path, one
/// indexed database lookup and no hashing.
pub struct RejectFlow {
    api: Api,
    req: Req,
}

impl RejectFlow {
    /// A worker sending change requests with a random token nobody was issued.
    pub fn new(api: Api) -> Self {
        let kind = match api {
            Api::Soap => passgate_core::domain::SessionKind::SoapTicket,
            Api::Rest => passgate_core::domain::SessionKind::RestSession,
        };
        let token = passgate_core::domain::SessionToken::generate_for(kind);
        let token = SecretString::from(token.expose().to_owned());
        let password = Password::new("an old password nobody checks");
        let req = protocol::change(api, &token, &password, &password);
        RejectFlow { api, req }
    }
}

impl Flow for RejectFlow {
    fn next(&mut self) -> Req {
        self.req.clone()
    }

    fn answer(&mut self, resp: &Resp) -> &'static str {
        match (self.api, protocol::read_change(self.api, resp)) {
            (Api::Soap, "ticket_invalid") | (Api::Rest, "unauthorized") => "ok",
            (_, other) => other,
        }
    }
}

/// Guesses passwords from one address, spraying over names nobody has (each name is tried
/// at most a few times, so only the per-address throttle can stop it).
pub struct AttackFlow {
    forwarded_for: HeaderValue,
    guess: Password,
    n: u64,
}

impl AttackFlow {
    /// An attacker worker at `forwarded_for`; `offset` spreads the names of parallel workers.
    pub fn new(forwarded_for: HeaderValue, offset: u64) -> Self {
        AttackFlow {
            forwarded_for,
            guess: Password::new("Winter2026-is-coming!"),
            n: offset,
        }
    }
}

impl Flow for AttackFlow {
    fn next(&mut self) -> Req {
        self.n += 1;
        let name = format!("victim-{}", self.n % 10_000);
        protocol::login(Api::Soap, &name, &self.guess, Some(&self.forwarded_for))
    }

    fn answer(&mut self, resp: &Resp) -> &'static str {
        match protocol::read_login(Api::Soap, resp).0 {
            "login_failed" => "guess_refused",
            other => other,
        }
    }
}
