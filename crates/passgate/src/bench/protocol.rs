//! The requests the benchmark sends (SOAP 1.2 and REST JSON) and how it reads the answers.
//! Answers are classified by status and a few fixed markers in the body; a full parse is
//! not needed to tell the outcomes apart and would make the client slower than the server.

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use passgate_core::domain::Password;
use secrecy::{ExposeSecret, SecretString};

use super::client::{Req, Resp};

/// `SoPrincipal.svc`.
pub const PRINCIPAL_PATH: &str = "/Remote/Services84/SoPrincipal.svc";
/// `User.svc`.
pub const USER_PATH: &str = "/Remote/Services84/User.svc";
/// REST login.
pub const REST_LOGIN_PATH: &str = "/security/credentials";
/// REST change.
pub const REST_CHANGE_PATH: &str = "/logins/ChangePassword";
/// The header the benchmark's server trusts for the client address.
pub const FORWARDED_HEADER: &str = "x-forwarded-for";

const TNS: &str = "http://www.superoffice.net/ws/crm/NetServer/Services84";
const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";

/// Which front end a worker talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// SOAP 1.2 (`SoPrincipal.svc`, `User.svc`).
    Soap,
    /// Net3 REST JSON (`/security/credentials`, `/logins/ChangePassword`).
    Rest,
}

impl Api {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Soap => "soap",
            Api::Rest => "rest",
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn headers(api: Api, forwarded_for: Option<&HeaderValue>) -> Vec<(HeaderName, HeaderValue)> {
    let content_type = match api {
        Api::Soap => HeaderValue::from_static("application/soap+xml; charset=utf-8"),
        Api::Rest => HeaderValue::from_static("application/json"),
    };
    let mut h = vec![(CONTENT_TYPE, content_type)];
    if let Some(addr) = forwarded_for {
        h.push((HeaderName::from_static(FORWARDED_HEADER), addr.clone()));
    }
    h
}

/// A login request for `user` with `password`.
pub fn login(
    api: Api,
    user: &str,
    password: &Password,
    forwarded_for: Option<&HeaderValue>,
) -> Req {
    let (method, path, body) = match api {
        Api::Soap => (
            Method::POST,
            PRINCIPAL_PATH,
            format!(
                r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP12}"><s:Body><AuthenticateUsernamePassword xmlns="{TNS}"><UserName>{}</UserName><Password>{}</Password></AuthenticateUsernamePassword></s:Body></s:Envelope>"#,
                esc(user),
                esc(password.expose())
            ),
        ),
        Api::Rest => (
            Method::POST,
            REST_LOGIN_PATH,
            serde_json::json!({"username": user, "password": password.expose()}).to_string(),
        ),
    };
    Req {
        method,
        path: path.into(),
        headers: headers(api, forwarded_for),
        body: Bytes::from(body),
    }
}

/// A change of the caller's own password, authenticated by `token` (SOAP ticket or REST
/// session id).
pub fn change(api: Api, token: &SecretString, old: &Password, new: &Password) -> Req {
    let (path, method, body) = match api {
        Api::Soap => (
            USER_PATH,
            Method::POST,
            format!(
                r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP12}"><s:Header><Credentials xmlns="{TNS}"><Ticket>{}</Ticket></Credentials></s:Header><s:Body><ChangeOwnPassword xmlns="{TNS}"><OldPassword>{}</OldPassword><NewPassword>{}</NewPassword></ChangeOwnPassword></s:Body></s:Envelope>"#,
                esc(token.expose_secret()),
                esc(old.expose()),
                esc(new.expose())
            ),
        ),
        Api::Rest => (
            REST_CHANGE_PATH,
            Method::PUT,
            serde_json::json!({
                "sessionId": token.expose_secret(),
                "password": old.expose(),
                "newPassword": new.expose(),
            })
            .to_string(),
        ),
    };
    Req {
        method,
        path: path.into(),
        headers: headers(api, None),
        body: Bytes::from(body),
    }
}

/// A `GET` of `path` (health, metrics).
pub fn get(path: &'static str) -> Req {
    Req {
        method: Method::GET,
        path: path.into(),
        headers: Vec::new(),
        body: Bytes::new(),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Text between `start` and the next `end` marker.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// Kinds shared by both front ends: overload refusals, timeouts and unexpected statuses.
fn common(resp: &Resp) -> Option<&'static str> {
    match resp.status {
        StatusCode::SERVICE_UNAVAILABLE if resp.retry_after.is_some() => Some("overloaded"),
        StatusCode::SERVICE_UNAVAILABLE => Some("overloaded_without_retry_after"),
        StatusCode::REQUEST_TIMEOUT => Some("server_timeout"),
        StatusCode::TOO_MANY_REQUESTS => Some("throttled"),
        StatusCode::UNAUTHORIZED => Some("unauthorized"),
        _ => None,
    }
}

fn soap_exception(body: &[u8]) -> Option<&'static str> {
    if !contains(body, b"<ExceptionType>") {
        return None;
    }
    Some(if contains(body, b">SoTicketInvalidException<") {
        "ticket_invalid"
    } else if contains(body, b">TooManyAttemptsException<") {
        "throttled"
    } else if contains(body, b">PasswordPolicyException<") {
        "policy"
    } else {
        "soap_exception"
    })
}

fn other_status(resp: &Resp) -> &'static str {
    if resp.status.is_server_error() {
        "http_5xx"
    } else if resp.status.is_client_error() {
        "http_4xx"
    } else {
        "unexpected_reply"
    }
}

/// Reads a login answer: `("ok", Some(token))` on success, otherwise the outcome kind.
pub fn read_login(api: Api, resp: &Resp) -> (&'static str, Option<SecretString>) {
    if let Some(kind) = common(resp) {
        return (kind, None);
    }
    if resp.status != StatusCode::OK {
        return (other_status(resp), None);
    }
    match api {
        Api::Soap => {
            if let Some(kind) = soap_exception(&resp.body) {
                return (kind, None);
            }
            let text = resp.text();
            match between(&text, "<Ticket>", "</Ticket>") {
                Some(t) if contains(&resp.body, b"<AuthenticationSucceeded>true") => {
                    ("ok", Some(SecretString::from(t)))
                }
                _ => ("login_failed", None),
            }
        }
        Api::Rest => {
            let text = resp.text();
            match between(&text, r#""sessionId":""#, "\"") {
                Some(t) if !t.is_empty() => ("ok", Some(SecretString::from(t))),
                _ => ("login_failed", None),
            }
        }
    }
}

/// Reads a change answer: `ok` when the password was changed, `change_refused` when the
/// server said the current password was wrong, otherwise the outcome kind.
pub fn read_change(api: Api, resp: &Resp) -> &'static str {
    if let Some(kind) = common(resp) {
        return kind;
    }
    if resp.status != StatusCode::OK {
        return other_status(resp);
    }
    match api {
        Api::Soap => {
            if let Some(kind) = soap_exception(&resp.body) {
                kind
            } else if contains(&resp.body, b"<Response>true</Response>") {
                "ok"
            } else if contains(&resp.body, b"<Response>false</Response>") {
                "change_refused"
            } else {
                "unexpected_reply"
            }
        }
        Api::Rest => {
            if contains(&resp.body, br#""result":"Success""#) {
                "ok"
            } else if contains(&resp.body, br#""result":"Fail""#) {
                "change_refused"
            } else if contains(&resp.body, br#""result":"Error""#) {
                "server_error"
            } else {
                "unexpected_reply"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, retry_after: Option<u64>, body: &str) -> Resp {
        Resp {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            retry_after,
            body: Bytes::from(body.to_owned()),
            close: false,
        }
    }

    #[test]
    fn classifies_soap_answers() {
        let ok = resp(200, None, "<s:Envelope><s:Header><Succeeded>true</Succeeded></s:Header><s:Body><AuthenticateResponse><Credentials><Ticket>7T:abc</Ticket></Credentials><AuthenticationSucceeded>true</AuthenticationSucceeded></AuthenticateResponse></s:Body></s:Envelope>");
        let (kind, token) = read_login(Api::Soap, &ok);
        assert_eq!(kind, "ok");
        assert_eq!(
            token.map(|t| t.expose_secret().to_owned()).as_deref(),
            Some("7T:abc")
        );
        let failed = resp(
            200,
            None,
            "<AuthenticationSucceeded>false</AuthenticationSucceeded>",
        );
        assert_eq!(read_login(Api::Soap, &failed).0, "login_failed");
        let throttled = resp(200, None, "<ExceptionInfo><ExceptionType>TooManyAttemptsException</ExceptionType></ExceptionInfo>");
        assert_eq!(read_login(Api::Soap, &throttled).0, "throttled");
        let bad_ticket = resp(
            200,
            None,
            "<ExceptionType>SoTicketInvalidException</ExceptionType>",
        );
        assert_eq!(read_change(Api::Soap, &bad_ticket), "ticket_invalid");
        assert_eq!(
            read_change(Api::Soap, &resp(200, None, "<Response>true</Response>")),
            "ok"
        );
        assert_eq!(
            read_change(Api::Soap, &resp(200, None, "<Response>false</Response>")),
            "change_refused"
        );
        assert_eq!(
            read_change(Api::Soap, &resp(503, Some(1), "<s:Fault/>")),
            "overloaded"
        );
        assert_eq!(
            read_change(Api::Soap, &resp(503, None, "<s:Fault/>")),
            "overloaded_without_retry_after"
        );
        assert_eq!(
            read_change(Api::Soap, &resp(500, None, "<s:Fault/>")),
            "http_5xx"
        );
    }

    #[test]
    fn classifies_rest_answers() {
        let (kind, token) = read_login(Api::Rest, &resp(200, None, r#"{"sessionId":"abc"}"#));
        assert_eq!(kind, "ok");
        assert!(token.is_some());
        assert_eq!(
            read_login(Api::Rest, &resp(401, None, "{}")).0,
            "unauthorized"
        );
        assert_eq!(
            read_login(Api::Rest, &resp(429, Some(3), "{}")).0,
            "throttled"
        );
        let changed = resp(
            200,
            None,
            r#"{"result":{"hasError":false,"result":"Success"}}"#,
        );
        assert_eq!(read_change(Api::Rest, &changed), "ok");
        let fail = resp(
            200,
            None,
            r#"{"result":{"hasError":false,"result":"Fail"}}"#,
        );
        assert_eq!(read_change(Api::Rest, &fail), "change_refused");
        let error = resp(
            200,
            None,
            r#"{"result":{"hasError":true,"result":"Error"}}"#,
        );
        assert_eq!(read_change(Api::Rest, &error), "server_error");
    }

    #[test]
    fn request_bodies_escape_and_carry_the_forwarded_address() {
        let xff = HeaderValue::from_static("10.0.0.1");
        let r = login(Api::Soap, "a<b", &Password::new("p&q"), Some(&xff));
        let body = String::from_utf8_lossy(&r.body).into_owned();
        assert!(body.contains("<UserName>a&lt;b</UserName>"));
        assert!(body.contains("<Password>p&amp;q</Password>"));
        assert!(r
            .headers
            .iter()
            .any(|(n, v)| n == FORWARDED_HEADER && v == "10.0.0.1"));
        let r = change(
            Api::Rest,
            &SecretString::from("sid"),
            &Password::new("old"),
            &Password::new("new"),
        );
        assert_eq!(r.method, Method::PUT);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        assert_eq!(v["sessionId"], "sid");
        assert_eq!(v["newPassword"], "new");
    }
}
