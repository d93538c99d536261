//! Who is calling: `Authorization: SOTicket <ticket>` (a passgate session, the same table as
//! SOAP tickets and REST sessions) or `Authorization: Basic base64(user:password)` (onsite
//! only), scheme names matched case-insensitively; in online mode every call also needs a
//! registered `SO-AppToken`.

use axum::http::{header, HeaderMap};
use base64::Engine;
use passgate_core::domain::{Password, SessionKind};
use passgate_core::service::Principal;
use passgate_core::{Core, RequestContext};

use crate::errors::{map_error, unauthorized, Failure};

/// Longest `Authorization` value read (a ticket is 47 bytes; Basic with a 1 KiB password
/// fits easily). Longer values are refused unread.
pub const MAX_AUTHORIZATION: usize = 4096;

/// What the `Authorization` header carries. (No `Debug`: it holds secrets.)
pub enum Credentials {
    /// `SOTicket <ticket>`.
    Ticket(String),
    /// `Basic` user name and password.
    Basic(String, Password),
    /// Nothing usable: the reason, for the 401 body.
    Missing(&'static str),
}

/// Reads the `Authorization` header. Never fails: unusable values are
/// [`Credentials::Missing`] with a reason that does not quote the value.
pub fn credentials(headers: &HeaderMap) -> Credentials {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = match (values.next(), values.next()) {
        (None, _) => {
            return Credentials::Missing(
                "Authentication required: send Authorization: Basic or SOTicket.",
            )
        }
        (Some(_), Some(_)) => return Credentials::Missing("More than one Authorization header."),
        (Some(v), None) => v,
    };
    if value.len() > MAX_AUTHORIZATION {
        return Credentials::Missing("The Authorization header is too long.");
    }
    let Ok(text) = value.to_str() else {
        return Credentials::Missing("The Authorization header is not ASCII.");
    };
    let (scheme, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("SOTicket") && !rest.is_empty() {
        return Credentials::Ticket(rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("Basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        return match decoded.as_deref().and_then(|d| d.split_once(':')) {
            Some((user, password)) => Credentials::Basic(user.to_owned(), Password::new(password)),
            None => Credentials::Missing("The Basic credentials are not base64 of user:password."),
        };
    }
    Credentials::Missing("Unsupported authorization scheme: use Basic or SOTicket.")
}

/// Authenticates a call: the app token first in online mode, then the ticket or the Basic
/// credentials. A Basic call goes through [`Core::authenticate_call`]: throttled, one
/// Argon2id verification through the hashing admission, no stored session.
pub async fn authenticate(
    core: &Core,
    ctx: &RequestContext,
    headers: &HeaderMap,
    online: bool,
    operation: &str,
) -> Result<Principal, Failure> {
    if online {
        let token = headers.get("so-apptoken").and_then(|v| v.to_str().ok());
        core.check_app_token(token)
            .await
            .map_err(|e| map_error(&e, operation))?;
    }
    match credentials(headers) {
        Credentials::Ticket(t) => core
            .resolve_session(Some(&t))
            .await
            .map_err(|e| map_error(&e, operation)),
        Credentials::Basic(..) if online => Err(unauthorized(
            "Basic authentication is not available in online mode: use SOTicket with SO-AppToken.",
        )),
        Credentials::Basic(user, password) => core
            .authenticate_call(ctx, &user, password, SessionKind::RestSession)
            .await
            .map_err(|e| map_error(&e, operation)),
        Credentials::Missing(why) => Err(unauthorized(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> Result<HeaderMap, axum::http::header::InvalidHeaderValue> {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value)?);
        Ok(h)
    }

    #[test]
    fn schemes_are_case_insensitive() -> Result<(), axum::http::header::InvalidHeaderValue> {
        assert!(
            matches!(credentials(&with("SOTICKET 7T:abc")?), Credentials::Ticket(t) if t == "7T:abc")
        );
        assert!(
            matches!(credentials(&with("soticket  7T:abc ")?), Credentials::Ticket(t) if t == "7T:abc")
        );
        match credentials(&with("basic dGplMDpUamUwOng=")?) {
            Credentials::Basic(u, p) => {
                assert_eq!(u, "tje0");
                assert_eq!(p.expose(), "Tje0:x");
            }
            _ => panic!("Basic not recognised"),
        }
        Ok(())
    }

    #[test]
    fn unusable_values_are_missing() -> Result<(), axum::http::header::InvalidHeaderValue> {
        for v in [
            "Bearer x",
            "Basic !!!",
            "Basic dGplMA==",
            "SOTicket",
            "Negotiate abc",
        ] {
            assert!(
                matches!(credentials(&with(v)?), Credentials::Missing(_)),
                "{v}"
            );
        }
        assert!(matches!(
            credentials(&HeaderMap::new()),
            Credentials::Missing(_)
        ));
        let long = format!("Basic {}", "A".repeat(MAX_AUTHORIZATION));
        assert!(matches!(
            credentials(&with(&long)?),
            Credentials::Missing(_)
        ));
        Ok(())
    }
}
