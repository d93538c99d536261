//! The operation table: names, DTOs, routes and whether a session is needed. It drives
//! dispatch, the metadata pages and OpenAPI.

use crate::dto::{
    TypeDef, AUTHENTICATE, AUTHENTICATE_RESPONSE, CHANGE_PASSWORD, CHANGE_PASSWORD_RESPONSE,
    CHANGE_PASSWORD_WITH_TOKEN, CHANGE_PASSWORD_WITH_TOKEN_RESPONSE, FORGOT_PASSWORD,
    FORGOT_PASSWORD_RESPONSE, SECURITY, SECURITY_RESPONSE,
};

/// One operation.
#[derive(Debug)]
pub struct OpDef {
    /// Request DTO name.
    pub name: &'static str,
    /// Request contract.
    pub request: &'static TypeDef,
    /// Response contract.
    pub response: &'static TypeDef,
    /// Custom routes: (verbs, path template).
    pub routes: &'static [(&'static [&'static str], &'static str)],
    /// Shown as "Requires Authentication".
    pub requires_auth: bool,
    /// One-line description.
    pub summary: &'static str,
}

/// Every REST operation passgate serves.
pub static OPS: &[OpDef] = &[
    OpDef {
        name: "ChangePassword",
        request: &CHANGE_PASSWORD,
        response: &CHANGE_PASSWORD_RESPONSE,
        routes: &[(&["PUT"], "/logins/ChangePassword")],
        requires_auth: true,
        summary: "Change a password given the current one (the session's user, or any user for an admin).",
    },
    OpDef {
        name: "Security",
        request: &SECURITY,
        response: &SECURITY_RESPONSE,
        routes: &[(&["POST"], "/security/credentials")],
        requires_auth: false,
        summary: "Log in with a user name and password; returns a sessionId.",
    },
    OpDef {
        name: "Authenticate",
        request: &AUTHENTICATE,
        response: &AUTHENTICATE_RESPONSE,
        routes: &[(&["GET", "POST"], "/auth"), (&["GET", "POST"], "/auth/{provider}")],
        requires_auth: false,
        summary: "ServiceStack authentication: /auth/credentials logs in and sets ss-id/ss-pid/ss-opt cookies; /auth/logout ends the session.",
    },
    OpDef {
        name: "ForgotPassword",
        request: &FORGOT_PASSWORD,
        response: &FORGOT_PASSWORD_RESPONSE,
        routes: &[(&["PUT"], "/logins/ForgotPassword")],
        requires_auth: false,
        summary: "Send a single-use link to set a new password; the same answer whether or not the address has an account.",
    },
    OpDef {
        name: "ChangePasswordWithToken",
        request: &CHANGE_PASSWORD_WITH_TOKEN,
        response: &CHANGE_PASSWORD_WITH_TOKEN_RESPONSE,
        routes: &[(&["PUT"], "/logins/ChangePasswordWithToken")],
        requires_auth: false,
        summary: "Set a new password with the token of a reset link; ends every session of the user.",
    },
];

/// The operation called `name` (case-insensitive).
pub fn by_name(name: &str) -> Option<&'static OpDef> {
    OPS.iter().find(|o| o.name.eq_ignore_ascii_case(name))
}

/// Result of matching a path against the custom routes.
pub enum RouteMatch {
    /// Matched with an allowed verb; path variables by name.
    Found(&'static OpDef, Vec<(String, String)>),
    /// The path exists but not for this verb (ServiceStack answers 404).
    WrongVerb,
    /// No route.
    None,
}

/// Matches `path` (case-insensitively) and `method`.
pub fn match_route(method: &str, path: &str) -> RouteMatch {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut wrong_verb = false;
    for op in OPS {
        for (verbs, template) in op.routes {
            let tsegs: Vec<&str> = template.split('/').collect();
            if tsegs.len() != segs.len() {
                continue;
            }
            let mut vars = Vec::new();
            let ok = tsegs.iter().zip(&segs).all(|(t, s)| {
                if t.starts_with('{') && t.ends_with('}') {
                    vars.push((t[1..t.len() - 1].to_owned(), (*s).to_owned()));
                    !s.is_empty()
                } else {
                    t.eq_ignore_ascii_case(s)
                }
            });
            if ok {
                if verbs.iter().any(|v| v.eq_ignore_ascii_case(method)) {
                    return RouteMatch::Found(op, vars);
                }
                wrong_verb = true;
            }
        }
    }
    if wrong_verb {
        RouteMatch::WrongVerb
    } else {
        RouteMatch::None
    }
}
