//! Forgotten password: ask for a link by e-mail (the core's `request_password_reset`, the
//! same answer whether or not the address has an account), then choose a new password on
//! the page the link opens (`reset_password`). The token is in that page's URL, so every
//! page is served with `Referrer-Policy: no-referrer` and the token is never logged.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use passgate_core::domain::{Email, Password};
use passgate_core::error::PolicyFailure;
use passgate_core::CoreError;

use crate::errors::{self, Described};
use crate::render::see_other;
use crate::rules;
use crate::text::text;
use crate::visit::Visit;
use crate::Web;

/// Longest token kept from a URL or form (real ones are 32 hex digits).
const MAX_TOKEN: usize = 128;

fn forgot_page(
    web: &Web,
    visit: &Visit,
    status: StatusCode,
    error: Option<&str>,
    sent: bool,
) -> Response {
    web.pages.render(
        visit,
        status,
        "forgot.html",
        context! { title => text("forgot_title"), error, sent },
    )
}

fn unavailable(web: &Web, visit: &Visit) -> Response {
    errors::message(
        web,
        visit,
        &Described {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: text("reset_unavailable").to_owned(),
            retry_after: None,
        },
    )
}

/// The "forgot your password?" form.
pub(crate) async fn show_forgot(State(web): State<Web>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !super::signin::forgot_offered(&web) {
        return unavailable(&web, &visit);
    }
    forgot_page(&web, &visit, StatusCode::OK, None, false)
}

/// Asks the core to mail a link to the accounts with that address; the page says the same
/// whether or not there is one.
pub(crate) async fn submit_forgot(State(web): State<Web>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = match super::form(&web, &visit, &parts, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(reset_url) = web
        .config
        .reset_url
        .as_deref()
        .filter(|_| super::signin::forgot_offered(&web))
    else {
        return unavailable(&web, &visit);
    };
    let email = form.text("email").trim();
    if Email::parse(email).is_err() {
        return forgot_page(
            &web,
            &visit,
            StatusCode::BAD_REQUEST,
            Some(text("bad_email")),
            false,
        );
    }
    match web
        .core
        .request_password_reset(&visit.ctx, email, reset_url)
        .await
    {
        Ok(()) => forgot_page(&web, &visit, StatusCode::OK, None, true),
        Err(CoreError::MailUnavailable) => unavailable(&web, &visit),
        Err(e @ CoreError::Throttled { .. }) => {
            let d = errors::describe(&e);
            errors::with_retry(
                forgot_page(&web, &visit, d.status, Some(&d.message), false),
                &d,
            )
        }
        Err(e) => errors::page(&web, &visit, e),
    }
}

fn reset_page(
    web: &Web,
    visit: &Visit,
    status: StatusCode,
    token: &str,
    failures: Option<&[PolicyFailure]>,
    fields: Value,
    error: Option<String>,
) -> Response {
    web.pages.render(
        visit,
        status,
        "reset.html",
        context! {
            title => text("reset_title"),
            token,
            rules => Value::from_serialize(rules::view(&web.core, failures)),
            fields,
            error,
            check_url => "/account/reset/check",
        },
    )
}

fn invalid_link(web: &Web, visit: &Visit) -> Response {
    web.pages.render(
        visit,
        StatusCode::BAD_REQUEST,
        "message.html",
        context! { title => text("reset_title"), error => text("reset_invalid"), forgot => super::signin::forgot_offered(web) },
    )
}

/// The "choose a new password" page the link opens (`?token=...`).
pub(crate) async fn show_reset(State(web): State<Web>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match super::query(&parts, "token").filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN) {
        Some(token) => reset_page(
            &web,
            &visit,
            StatusCode::OK,
            &token,
            None,
            context! {},
            None,
        ),
        None => invalid_link(&web, &visit),
    }
}

/// Sets the new password through the core's `reset_password` (the whole policy; every
/// session of the account ends), then sends the person to sign in with it.
pub(crate) async fn submit_reset(State(web): State<Web>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = match super::form(&web, &visit, &parts, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let token = form.text("token").to_owned();
    if token.is_empty() || token.len() > MAX_TOKEN {
        return invalid_link(&web, &visit);
    }
    let (new, confirm) = (form.text("new"), form.text("confirm"));
    let field_error = if new.is_empty() {
        Some(context! { new => text("missing_new") })
    } else if new != confirm {
        Some(context! { confirm => text("mismatch") })
    } else {
        None
    };
    if let Some(fields) = field_error {
        return reset_page(
            &web,
            &visit,
            StatusCode::BAD_REQUEST,
            &token,
            None,
            fields,
            None,
        );
    }
    let new = Password::new(new);
    drop(form);
    match web.core.reset_password(&visit.ctx, &token, new).await {
        Ok(()) => see_other("/account/signin?notice=reset_done"),
        Err(CoreError::ResetLinkInvalid) => invalid_link(&web, &visit),
        Err(CoreError::PolicyViolation(failures)) => reset_page(
            &web,
            &visit,
            StatusCode::UNPROCESSABLE_ENTITY,
            &token,
            Some(&failures),
            context! { new => text("policy_failed") },
            None,
        ),
        Err(e @ (CoreError::Throttled { .. } | CoreError::Overloaded { .. })) => {
            let d = errors::describe(&e);
            let res = reset_page(
                &web,
                &visit,
                d.status,
                &token,
                None,
                context! {},
                Some(d.message.clone()),
            );
            errors::with_retry(res, &d)
        }
        Err(e) => errors::page(&web, &visit, e),
    }
}

/// The live check on the reset page: the server's policy without a user's context words
/// (the token is only spent on submit, where every rule applies). Needs the page's CSRF
/// token, and runs on the hashing pool's admission like every policy check.
pub(crate) async fn check(State(web): State<Web>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = match super::form(&web, &visit, &parts, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    // With a valid link, the rules are that user's (context words included); without, the
    // general ones. Nothing is spent: the token is only used when the password is saved.
    let user = match form.get("token") {
        Some(token) => web.core.reset_link_user(token).await.ok().flatten(),
        None => None,
    };
    super::password::verdict(&web, user.as_ref(), form.text("password")).await
}
