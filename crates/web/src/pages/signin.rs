//! Sign in (user name or e-mail address and password) and sign out.

use axum::extract::{Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use passgate_core::domain::{Password, SessionKind};
use passgate_core::CoreError;

use crate::errors;
use crate::render::{see_other, with_form_cookie};
use crate::text::text;
use crate::visit::Visit;
use crate::Web;

/// Longest login name kept to show again in the form after a failure.
const MAX_LOGIN_ECHO: usize = 256;

/// Whether "forgot password" is offered: mail is on and the reset page has a public URL.
pub(crate) fn forgot_offered(web: &Web) -> bool {
    web.core.config().mail.enabled && web.config.reset_url.is_some()
}

fn form_page(
    web: &Web,
    visit: &Visit,
    status: StatusCode,
    login: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response {
    let login: String = login.chars().take(MAX_LOGIN_ECHO).collect();
    web.pages.render(
        visit,
        status,
        "signin.html",
        context! {
            title => text("sign_in_title"),
            login,
            error,
            notice,
            forgot => forgot_offered(web),
        },
    )
}

/// The sign-in form (the overview when already signed in).
pub(crate) async fn show(State(web): State<Web>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if visit.principal.is_some() {
        return see_other("/account/");
    }
    let notice = super::query(&parts, "notice").and_then(|k| super::home::notice_text(&k));
    form_page(&web, &visit, StatusCode::OK, "", None, notice)
}

/// Signs in through the core's `authenticate` (same throttling, same generic failure as
/// the APIs), sets the session cookie and goes on to the overview, or straight to the
/// change page when the password must be changed.
pub(crate) async fn submit(State(web): State<Web>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = match super::form(&web, &visit, &parts, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let login = form.text("login").trim().to_owned();
    let password = form.text("password");
    if login.is_empty() || password.is_empty() {
        return form_page(
            &web,
            &visit,
            StatusCode::BAD_REQUEST,
            &login,
            Some(text("missing_login")),
            None,
        );
    }
    let password = Password::new(password);
    match web
        .core
        .authenticate(&visit.ctx, &login, password, SessionKind::Web)
        .await
    {
        Ok(signed_in) => {
            let next = if signed_in.user.must_change_password {
                "/account/password"
            } else {
                "/account/"
            };
            let mut res = see_other(next);
            if let Some(c) = web
                .cookies
                .set(web.cookies.session, signed_in.token.expose())
            {
                res.headers_mut().append(SET_COOKIE, c);
            }
            with_form_cookie(res, &visit)
        }
        Err(
            e @ (CoreError::InvalidCredentials
            | CoreError::Throttled { .. }
            | CoreError::Overloaded { .. }),
        ) => {
            let d = errors::describe(&e);
            let res = form_page(&web, &visit, d.status, &login, Some(&d.message), None);
            errors::with_retry(res, &d)
        }
        Err(e) => errors::page(&web, &visit, e),
    }
}

/// Ends the web session (its row is revoked like any logout) and clears the cookie.
pub(crate) async fn sign_out(State(web): State<Web>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = super::form(&web, &visit, &parts, body).await {
        return r;
    }
    sign_out_now(&web, &visit).await
}

/// Revokes the visit's web session (if any) and clears its cookie.
pub(crate) async fn sign_out_now(web: &Web, visit: &Visit) -> Response {
    if let Some(p) = &visit.principal {
        if let Err(e) = web.core.logout(&visit.ctx, p).await {
            return errors::page(web, visit, e);
        }
    }
    let mut res = see_other("/account/signin?notice=signed_out");
    if let Some(c) = web.cookies.clear(web.cookies.session) {
        res.headers_mut().append(SET_COOKIE, c);
    }
    res
}
