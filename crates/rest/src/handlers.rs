//! The operations themselves: thin translations between DTOs and core calls.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use passgate_core::domain::{Password, SessionKind, UserId};
use passgate_core::service::ChangeOutcome;
use passgate_core::{CoreError, RequestContext};

use crate::dto::{
    AUTHENTICATE_RESPONSE, CHANGE_PASSWORD_RESPONSE, ERROR_RESPONSE, EXECUTE_RESULT,
    SECURITY_RESPONSE,
};
use crate::errors::{correlation, map_error, policy_status};
use crate::session::session_id;
use crate::value::{s, Obj, Val};
use crate::RestState;

/// What a handler answers: status, DTO, extra headers, and the metrics outcome.
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// Response DTO.
    pub body: Obj,
    /// Extra headers (Set-Cookie, Retry-After, WWW-Authenticate).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Metrics outcome.
    pub outcome: &'static str,
}

impl Answer {
    pub(crate) fn new(status: StatusCode, body: Obj, outcome: &'static str) -> Self {
        Answer {
            status,
            body,
            headers: Vec::new(),
            outcome,
        }
    }
}

fn wrap_status(ty: &'static crate::dto::TypeDef, status: Obj) -> Obj {
    Obj::new(ty).with("ResponseStatus", Val::Obj(status))
}

/// A core error as an answer whose DTO is `ty` (with only `ResponseStatus` set).
pub(crate) fn error_answer(err: &CoreError, ty: &'static crate::dto::TypeDef, op: &str) -> Answer {
    let m = map_error(err, op);
    let mut a = Answer::new(m.status, wrap_status(ty, m.response_status), m.outcome);
    if let Some(secs) = m.retry_after {
        a.headers
            .push((header::RETRY_AFTER, HeaderValue::from(secs)));
    }
    if m.status == StatusCode::UNAUTHORIZED {
        a.headers.push((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("credentials realm=\"/auth/credentials\""),
        ));
    }
    a
}

pub(crate) fn execute_result(result: &'static str, has_error: bool, message: &str) -> Obj {
    Obj::new(&EXECUTE_RESULT)
        .with("HasError", Val::Bool(has_error))
        .with("Message", s(message))
        .with("Result", Val::Enum(result))
}

/// `PUT /logins/ChangePassword`.
pub async fn change_password(
    state: &RestState,
    ctx: &RequestContext,
    dto: &Obj,
    headers: &HeaderMap,
) -> Answer {
    // Under overload, refuse before the session lookup.
    if let Err(e) = state.core.check_hashing_room() {
        return error_answer(&e, &CHANGE_PASSWORD_RESPONSE, "ChangePassword");
    }
    let presented = session_id(Some(dto.str("sessionId")), headers);
    let principal = match state.core.resolve_session(presented.as_deref()).await {
        Ok(p) => p,
        // Raised before the service runs: ServiceStack's ErrorResponse.
        Err(e) => return error_answer(&e, &ERROR_RESPONSE, "ChangePassword"),
    };
    let target = match dto.get("userId") {
        Val::Guid(g) if !g.is_nil() => Some(UserId(*g)),
        _ => None,
    };
    let old = Password::new(dto.str("password"));
    let new = Password::new(dto.str("newPassword"));
    let response = |result, status: Option<Obj>| {
        let mut o = Obj::new(&CHANGE_PASSWORD_RESPONSE).with("Result", Val::Obj(result));
        if let Some(st) = status {
            o.set("ResponseStatus", Val::Obj(st));
        }
        o
    };
    match state
        .core
        .change_password(ctx, &principal, target, old, new)
        .await
    {
        Ok(ChangeOutcome::Changed) => Answer::new(
            StatusCode::OK,
            response(execute_result("Success", false, "Password changed."), None),
            "ok",
        ),
        Ok(ChangeOutcome::WrongPassword) => Answer::new(
            StatusCode::OK,
            response(
                execute_result("Fail", false, "The current password is incorrect."),
                None,
            ),
            "false",
        ),
        Err(CoreError::PolicyViolation(failures)) => {
            let st = policy_status(&failures);
            let msg = st.str("Message");
            Answer::new(
                StatusCode::OK,
                response(execute_result("Fail", false, &msg), Some(st)),
                "policy",
            )
        }
        Err(e @ (CoreError::Storage(_) | CoreError::Internal(_))) => {
            let id = correlation(&e, "ChangePassword");
            let msg = format!("An internal error occurred (correlation id {id}).");
            let result = execute_result("Error", true, "The password could not be changed.")
                .with("Exception", s(msg));
            Answer::new(StatusCode::OK, response(result, None), "server_error")
        }
        Err(e) => error_answer(&e, &CHANGE_PASSWORD_RESPONSE, "ChangePassword"),
    }
}

/// `POST /security/credentials`.
pub async fn security(state: &RestState, ctx: &RequestContext, dto: &Obj) -> Answer {
    let password = Password::new(dto.str("password"));
    match state
        .core
        .authenticate(
            ctx,
            &dto.str("username"),
            password,
            SessionKind::RestSession,
        )
        .await
    {
        Ok(login) => Answer::new(
            StatusCode::OK,
            Obj::new(&SECURITY_RESPONSE).with("sessionId", s(login.token.expose())),
            "ok",
        ),
        Err(e) => error_answer(&e, &SECURITY_RESPONSE, "Security"),
    }
}

fn cookie(name: &str, value: &str, expires: Option<&str>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(e) = expires {
        c.push_str("; Expires=");
        c.push_str(e);
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("ss-opt=temp; Path=/"))
}

fn http_date(t: passgate_core::Timestamp) -> String {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::from_unix_timestamp(t.0 / 1000)
        .ok()
        .and_then(|d| d.format(&fmt).ok())
        .unwrap_or_else(|| "Thu, 01 Jan 1970 00:00:00 GMT".into())
}

/// `/auth`, `/auth/{provider}`: credentials (alias login), logout, or the current session.
pub async fn authenticate(
    state: &RestState,
    ctx: &RequestContext,
    dto: &Obj,
    headers: &HeaderMap,
) -> Answer {
    let provider = dto.str("provider").to_ascii_lowercase();
    match provider.as_str() {
        "credentials" | "login" => {
            let password = Password::new(dto.str("Password"));
            let remember = dto.get("RememberMe") == &Val::Bool(true);
            match state
                .core
                .authenticate(
                    ctx,
                    &dto.str("UserName"),
                    password,
                    SessionKind::RestSession,
                )
                .await
            {
                Ok(login) => {
                    let token = login.token.expose();
                    let body = Obj::new(&AUTHENTICATE_RESPONSE)
                        .with("UserId", s(login.user.id.0.simple().to_string()))
                        .with("SessionId", s(token))
                        .with("UserName", s(login.user.username.as_str()))
                        .with(
                            "DisplayName",
                            s(login
                                .user
                                .full_name
                                .as_ref()
                                .map_or(login.user.username.as_str(), |n| n.as_str())),
                        );
                    let mut a = Answer::new(StatusCode::OK, body, "ok");
                    let secure = state.secure_cookies;
                    a.headers
                        .push((header::SET_COOKIE, cookie("ss-id", token, None, secure)));
                    if remember {
                        // The session can live at most the absolute lifetime from now.
                        let cfg = state.core.config();
                        let issued = passgate_core::Timestamp(
                            login.expires_at.0
                                - i64::try_from(cfg.session_idle.as_millis()).unwrap_or(0),
                        );
                        let cap = issued.plus(cfg.session_absolute);
                        let exp = http_date(cap);
                        a.headers.push((
                            header::SET_COOKIE,
                            cookie("ss-pid", token, Some(&exp), secure),
                        ));
                        a.headers.push((
                            header::SET_COOKIE,
                            cookie("ss-opt", "perm", Some(&exp), secure),
                        ));
                    } else {
                        a.headers
                            .push((header::SET_COOKIE, cookie("ss-opt", "temp", None, secure)));
                    }
                    a
                }
                Err(e) => error_answer(&e, &ERROR_RESPONSE, "Authenticate"),
            }
        }
        "logout" => {
            if let Ok(p) = state
                .core
                .resolve_session(session_id(None, headers).as_deref())
                .await
            {
                if let Err(e) = state.core.logout(ctx, &p).await {
                    return error_answer(&e, &ERROR_RESPONSE, "Authenticate");
                }
            }
            let mut a = Answer::new(StatusCode::OK, Obj::new(&AUTHENTICATE_RESPONSE), "ok");
            let gone = Some("Thu, 01 Jan 1970 00:00:00 GMT");
            for name in ["ss-id", "ss-pid", "ss-opt"] {
                a.headers.push((
                    header::SET_COOKIE,
                    cookie(name, "", gone, state.secure_cookies),
                ));
            }
            a
        }
        "" => match state
            .core
            .resolve_session(session_id(None, headers).as_deref())
            .await
        {
            Ok(p) => Answer::new(
                StatusCode::OK,
                Obj::new(&AUTHENTICATE_RESPONSE)
                    .with("UserId", s(p.user.id.0.simple().to_string()))
                    .with("UserName", s(p.user.username.as_str())),
                "ok",
            ),
            Err(e) => error_answer(&e, &ERROR_RESPONSE, "Authenticate"),
        },
        _ => error_answer(
            &CoreError::NotFound("no such authentication provider".into()),
            &ERROR_RESPONSE,
            "Authenticate",
        ),
    }
}
