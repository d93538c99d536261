//! Changing one's own password: current + new + confirm, and the live policy check the
//! script calls while the new password is typed.

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{context, Value};
use passgate_core::domain::Password;
use passgate_core::service::ChangeOutcome;
use passgate_core::store::UserRecord;
use passgate_core::CoreError;
use serde_json::json;

use crate::errors;
use crate::render::see_other;
use crate::rules::{self, strength_label};
use crate::text::text;
use crate::visit::Visit;
use crate::Web;

/// Field errors of the change form (each shown next to its field).
#[derive(Default, serde::Serialize)]
struct FieldErrors {
    current: Option<&'static str>,
    new: Option<&'static str>,
    confirm: Option<&'static str>,
}

fn form_page(
    web: &Web,
    visit: &Visit,
    status: StatusCode,
    failures: Option<&[passgate_core::error::PolicyFailure]>,
    fields: FieldErrors,
    error: Option<String>,
) -> Response {
    let must_change = visit
        .principal
        .as_ref()
        .is_some_and(|p| p.user.must_change_password);
    web.pages.render(
        visit,
        status,
        "password.html",
        context! {
            title => text("password_title"),
            active => "password",
            must_change,
            rules => Value::from_serialize(rules::view(&web.core, failures)),
            fields,
            error,
            check_url => "/account/password/check",
        },
    )
}

/// The change form.
pub(crate) async fn show(State(web): State<Web>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = super::signed_in(&visit) {
        return r;
    }
    form_page(
        &web,
        &visit,
        StatusCode::OK,
        None,
        FieldErrors::default(),
        None,
    )
}

/// Changes the password through the core's `change_own_password`: the policy, the
/// current-password check (throttled like a login), the compare-and-swap, and the end of
/// every other session of the user on every front end, this web session kept.
pub(crate) async fn submit(State(web): State<Web>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let principal = match super::signed_in(&visit) {
        Ok(p) => p.clone(),
        Err(r) => return r,
    };
    let form = match super::form(&web, &visit, &parts, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut fields = FieldErrors::default();
    if form.text("current").is_empty() {
        fields.current = Some(text("missing_current"));
    }
    if form.text("new").is_empty() {
        fields.new = Some(text("missing_new"));
    } else if form.text("new") != form.text("confirm") {
        fields.confirm = Some(text("mismatch"));
    }
    if fields.current.is_some() || fields.new.is_some() || fields.confirm.is_some() {
        return form_page(&web, &visit, StatusCode::BAD_REQUEST, None, fields, None);
    }
    let current = Password::new(form.text("current"));
    let new = Password::new(form.text("new"));
    drop(form);
    match web
        .core
        .change_own_password(&visit.ctx, &principal, current, new)
        .await
    {
        Ok(ChangeOutcome::Changed) => see_other("/account/?notice=changed"),
        Ok(ChangeOutcome::WrongPassword) => {
            fields.current = Some(text("wrong_current"));
            form_page(&web, &visit, StatusCode::BAD_REQUEST, None, fields, None)
        }
        Err(CoreError::PolicyViolation(failures)) => {
            fields.new = Some(text("policy_failed"));
            form_page(
                &web,
                &visit,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&failures),
                fields,
                None,
            )
        }
        Err(e @ (CoreError::Throttled { .. } | CoreError::Overloaded { .. })) => {
            let d = errors::describe(&e);
            let res = form_page(
                &web,
                &visit,
                d.status,
                None,
                fields,
                Some(d.message.clone()),
            );
            errors::with_retry(res, &d)
        }
        Err(e) => errors::page(&web, &visit, e),
    }
}

/// The live check for the signed-in person (their names are context words).
pub(crate) async fn check(State(web): State<Web>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(principal) = visit.principal.clone() else {
        return json_error(StatusCode::UNAUTHORIZED, "sign in first");
    };
    let form = match super::form(&web, &visit, &parts, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    verdict(&web, Some(&principal.user), form.text("password")).await
}

/// The policy's verdict on `candidate` as JSON: `{acceptable, score, strength, rules:
/// [{code, text, state}]}`, computed by the server's policy (context words of `user`).
pub(crate) async fn verdict(web: &Web, user: Option<&UserRecord>, candidate: &str) -> Response {
    if candidate.is_empty() {
        let body = json!({
            "acceptable": false,
            "score": 0,
            "strength": strength_label(0),
            "rules": rules::view(&web.core, None),
        });
        return json_response(StatusCode::OK, &body);
    }
    let password = Password::new(candidate);
    match web.core.password_feedback(user, &password).await {
        Ok(fb) => {
            let body = json!({
                "acceptable": fb.failures.is_empty(),
                "score": fb.score,
                "strength": strength_label(fb.score),
                "rules": rules::view(&web.core, Some(&fb.failures)),
            });
            json_response(StatusCode::OK, &body)
        }
        Err(e) => {
            let d = errors::describe(&e);
            errors::with_retry(json_error(d.status, &d.message), &d)
        }
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

fn json_error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}
