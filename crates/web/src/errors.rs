//! The one mapping of core errors to what the pages answer: a status, a message from the
//! text table (generic for anything about credentials), and `Retry-After` where it helps.

use std::time::Duration;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use minijinja::context;
use passgate_core::CoreError;

use crate::render::see_other;
use crate::text::{text, text_n};
use crate::visit::Visit;
use crate::Web;

/// What to tell the person about an error.
pub(crate) struct Described {
    /// HTTP status of the page.
    pub status: StatusCode,
    /// The message (never the error's own text: it is for operators).
    pub message: String,
    /// Seconds to wait, for throttling and overload.
    pub retry_after: Option<Duration>,
}

/// Describes `err`; server-side failures are logged once here with a reference shown to
/// the person.
pub(crate) fn describe(err: &CoreError) -> Described {
    let plain = |status, key| Described {
        status,
        message: text(key).to_owned(),
        retry_after: None,
    };
    match err {
        CoreError::InvalidCredentials => plain(StatusCode::UNAUTHORIZED, "bad_login"),
        CoreError::ResetLinkInvalid => plain(StatusCode::BAD_REQUEST, "reset_invalid"),
        CoreError::MailUnavailable => plain(StatusCode::SERVICE_UNAVAILABLE, "reset_unavailable"),
        CoreError::PolicyViolation(_) => plain(StatusCode::UNPROCESSABLE_ENTITY, "policy_failed"),
        CoreError::Throttled { retry_after } => Described {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: text_n("throttled", retry_after.as_secs().max(1)),
            retry_after: Some(*retry_after),
        },
        CoreError::Overloaded { retry_after } => Described {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: text("busy").to_owned(),
            retry_after: Some(*retry_after),
        },
        CoreError::Storage(_) | CoreError::Internal(_) => {
            let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
            tracing::error!(reference = %reference, error = %err, "web page request failed");
            Described {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: text_n("server_error", reference),
                retry_after: None,
            }
        }
        CoreError::TicketInvalid
        | CoreError::PasswordChangeRequired
        | CoreError::ReauthenticationRequired
        | CoreError::AccessDenied
        | CoreError::InvalidApplicationToken
        | CoreError::InvalidInput(_)
        | CoreError::Conflict(_)
        | CoreError::NotFound(_) => plain(StatusCode::BAD_REQUEST, "bad_request"),
    }
}

/// Adds `Retry-After` when the description has one.
pub(crate) fn with_retry(mut res: Response, d: &Described) -> Response {
    if let Some(after) = d.retry_after {
        if let Ok(v) = HeaderValue::from_str(&after.as_secs().max(1).to_string()) {
            res.headers_mut().insert(RETRY_AFTER, v);
        }
    }
    res
}

/// The answer to an error outside a form: sign-in and forced-change redirects, else a
/// message page.
pub(crate) fn page(web: &Web, visit: &Visit, err: CoreError) -> Response {
    match err {
        CoreError::TicketInvalid => return see_other("/account/signin"),
        CoreError::PasswordChangeRequired => return see_other("/account/password"),
        _ => {}
    }
    let d = describe(&err);
    message(web, visit, &d)
}

/// A message page for `d`.
pub(crate) fn message(web: &Web, visit: &Visit, d: &Described) -> Response {
    let res = web.pages.render(
        visit,
        d.status,
        "message.html",
        context! { title => text("account"), error => &d.message },
    );
    with_retry(res, d)
}

/// The refusal of a form without a valid CSRF token (nothing was done).
pub(crate) fn csrf_refused(web: &Web, visit: &Visit) -> Response {
    message(
        web,
        visit,
        &Described {
            status: StatusCode::FORBIDDEN,
            message: text("csrf").to_owned(),
            retry_after: None,
        },
    )
}

/// The refusal of a body that is not a valid form.
pub(crate) fn bad_form(web: &Web, visit: &Visit) -> Response {
    message(
        web,
        visit,
        &Described {
            status: StatusCode::BAD_REQUEST,
            message: text("bad_request").to_owned(),
            retry_after: None,
        },
    )
}
