//! The page handlers, and the steps every one of them shares.

// Each step fails with the response to send (a redirect or a page); boxing it would only
// add an allocation to every refusal.
#![allow(clippy::result_large_err)]

pub(crate) mod home;
pub(crate) mod password;
pub(crate) mod reset;
pub(crate) mod sessions;
pub(crate) mod signin;

use axum::body::Body;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use passgate_core::metrics::ClientInfo;
use passgate_core::service::Principal;

use crate::errors;
use crate::form::{Form, FormError};
use crate::render::see_other;
use crate::visit::Visit;
use crate::Web;

/// The visit of this request, or the answer when the store failed.
pub(crate) async fn visit(web: &Web, parts: &Parts) -> Result<Visit, Response> {
    Visit::of(web, &parts.headers, parts.extensions.get::<ClientInfo>())
        .await
        .map_err(|e| {
            let d = errors::describe(&e);
            errors::with_retry((d.status, d.message.clone()).into_response(), &d)
        })
}

/// The signed-in person, or a redirect to the sign-in page.
pub(crate) fn signed_in(visit: &Visit) -> Result<&Principal, Response> {
    visit
        .principal
        .as_ref()
        .ok_or_else(|| see_other("/account/signin"))
}

/// The submitted form, refused (changing nothing) when it is malformed, comes from
/// another site (`Sec-Fetch-Site: cross-site`), or lacks this browser's CSRF token.
pub(crate) async fn form(
    web: &Web,
    visit: &Visit,
    parts: &Parts,
    body: Body,
) -> Result<Form, Response> {
    let cross_site = parts
        .headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    let form = match Form::read(body).await {
        Ok(f) => f,
        Err(FormError::Malformed | FormError::Duplicate) => {
            return Err(errors::bad_form(web, visit))
        }
    };
    if cross_site || !visit.csrf_ok(&form) {
        return Err(errors::csrf_refused(web, visit));
    }
    Ok(form)
}

/// The value of `name` in the query string (strictly decoded, bounded).
pub(crate) fn query(parts: &Parts, name: &str) -> Option<String> {
    let q = parts.uri.query()?;
    passgate_limits::pairs::parse_pairs(q.as_bytes(), passgate_limits::Kind::Query)
        .ok()?
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}
