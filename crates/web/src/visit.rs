//! Who is asking: the web session behind the cookie (if any), the secret the CSRF token of
//! this browser's forms is bound to, and the request context for the core.

use axum::http::{HeaderMap, HeaderValue};
use passgate_core::audit::FrontEnd;
use passgate_core::domain::SessionKind;
use passgate_core::metrics::ClientInfo;
use passgate_core::service::Principal;
use passgate_core::{CoreError, RequestContext};

use crate::form::Form;
use crate::{cookies, csrf, Web};

/// One request's view of the browser.
pub(crate) struct Visit {
    /// The signed-in person (a live *web* session; tickets of other front ends put into
    /// the cookie do not count).
    pub principal: Option<Principal>,
    /// The secret forms are bound to: the session id once signed in, else the form cookie.
    secret: String,
    /// A new form cookie to set (when the browser had none).
    pub set_form_cookie: Option<HeaderValue>,
    /// For the core's audit and sessions.
    pub ctx: RequestContext,
}

impl Visit {
    /// Reads the cookies and resolves the session. Storage failures are errors; a missing,
    /// expired or revoked session is simply "not signed in".
    pub async fn of(
        web: &Web,
        headers: &HeaderMap,
        client: Option<&ClientInfo>,
    ) -> Result<Visit, CoreError> {
        let ctx = RequestContext {
            front_end: FrontEnd::Web,
            client_addr: client.and_then(|c| c.addr.clone()),
            user_agent: client.and_then(|c| c.user_agent.clone()),
            actor: None,
        };
        let names = &web.cookies;
        if let Some(token) = cookies::read(headers, names.session) {
            match web.core.resolve_session(Some(&token)).await {
                Ok(p) if p.kind == SessionKind::Web => {
                    return Ok(Visit {
                        principal: Some(p),
                        secret: token,
                        set_form_cookie: None,
                        ctx,
                    })
                }
                Ok(_) | Err(CoreError::TicketInvalid) => {}
                Err(e) => return Err(e),
            }
        }
        let (secret, set_form_cookie) = match cookies::read(headers, names.form) {
            Some(s) if csrf::is_form_secret(&s) => (s, None),
            _ => {
                let s = csrf::new_form_secret();
                let set = names.set(names.form, &s);
                (s, set)
            }
        };
        Ok(Visit {
            principal: None,
            secret,
            set_form_cookie,
            ctx,
        })
    }

    /// The CSRF token to put in this browser's forms.
    pub fn csrf_token(&self) -> String {
        csrf::token(&self.secret)
    }

    /// Whether `form` carries this browser's CSRF token. A browser that had no form cookie
    /// cannot have a valid token (its secret was only just made).
    pub fn csrf_ok(&self, form: &Form) -> bool {
        self.set_form_cookie.is_none() && csrf::verify(&self.secret, form.get(csrf::FIELD))
    }

    /// The signed-in person's login name, for the page header.
    pub fn username(&self) -> Option<&str> {
        self.principal.as_ref().map(|p| p.user.username.as_str())
    }
}
