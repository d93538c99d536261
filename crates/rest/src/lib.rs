//! passgate-rest: the Net3 customer-portal API with ServiceStack's conventions.
//!
//! `POST /security/credentials`, `PUT /logins/ChangePassword`, `PUT /logins/ForgotPassword`,
//! `PUT /logins/ChangePasswordWithToken`, `/auth/credentials`,
//! `/auth/logout`, the predefined `/json/reply/{Op}` and `/xml/reply/{Op}` routes, format
//! negotiation, request binding, and DataContractSerializer-style XML. Every credential
//! decision is the core's; errors map to HTTP + `ResponseStatus` in [`errors`].

pub mod bind;
pub mod dto;
pub mod errors;
mod handlers;
pub mod json;
pub mod metadata;
pub mod negotiate;
pub mod ops;
mod reset;
pub mod session;
pub mod value;
pub mod xml;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use passgate_core::audit::FrontEnd;
use passgate_core::metrics::{ClientInfo, OperationLabel};
use passgate_core::{Core, RequestContext};
use passgate_limits::Kind;

use crate::bind::{apply_json, apply_pairs, apply_xml, parse_pairs, BodyFormat};
use crate::dto::ERROR_RESPONSE;
use crate::errors::{binding_status, response_status};
use crate::negotiate::{negotiate, Format};
use crate::ops::{match_route, OpDef, RouteMatch};
use crate::value::{Obj, Val};

/// Shared state of the REST front end.
#[derive(Clone)]
pub struct RestState {
    /// The credential core.
    pub core: Arc<Core>,
    /// Mark cookies `Secure` (when the public URL is https).
    pub secure_cookies: bool,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
}

/// Serialises `obj` in `format` with `status`.
pub fn render(format: Format, status: StatusCode, obj: &Obj) -> Response {
    let body = match format {
        Format::Json => json::to_json(obj),
        Format::Xml => xml::to_xml(obj),
    };
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, format.content_type());
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    resp
}

fn label(mut resp: Response, operation: &'static str, outcome: &'static str) -> Response {
    resp.extensions_mut().insert(OperationLabel {
        front_end: "rest",
        operation,
        outcome,
    });
    resp
}

fn not_found() -> Response {
    label(
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain")],
            "404",
        )
            .into_response(),
        "unknown",
        "not_found",
    )
}

/// Splits a `.json`/`.xml` suffix off the last path segment.
fn strip_suffix(path: &str) -> (&str, Option<Format>) {
    let last = path.rsplit('/').next().unwrap_or("");
    if let Some((_, ext)) = last.rsplit_once('.') {
        if let Some(f) = Format::from_name(ext) {
            return (&path[..path.len() - ext.len() - 1], Some(f));
        }
    }
    (path, None)
}

/// Entry point for every path the other front ends do not claim: custom routes,
/// predefined routes, metadata and OpenAPI; anything else is ServiceStack's plain `404`.
pub async fn dispatch(State(state): State<RestState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    // A query string that does not decode is reported by binding below; the metadata pages
    // and negotiation see it as empty.
    let query_pairs = parse_pairs(parts.uri.query().unwrap_or("").as_bytes(), Kind::Query);
    let query = query_pairs.as_ref().map_or(&[][..], Vec::as_slice);
    if parts.method == Method::GET {
        if let Some(resp) = metadata::serve(&path, query) {
            return label(resp, "metadata", "ok");
        }
    }
    // Predefined routes: /{json|xml}/{reply|oneway}/{Op}, any verb.
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (op, vars, forced, body_format) = match segs.as_slice() {
        [fmt, kind, name]
            if (kind.eq_ignore_ascii_case("reply") || kind.eq_ignore_ascii_case("oneway"))
                && Format::from_name(fmt).is_some() =>
        {
            let Some(op) = ops::by_name(name) else {
                return not_found();
            };
            let f = Format::from_name(fmt);
            let bf = match f {
                Some(Format::Xml) => BodyFormat::Xml,
                _ => BodyFormat::Json,
            };
            let bf = match BodyFormat::from_content_type(
                parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
            ) {
                BodyFormat::Form => BodyFormat::Form,
                _ => bf,
            };
            (op, Vec::new(), f, bf)
        }
        _ => {
            let (route_path, suffix) = strip_suffix(&path);
            match match_route(parts.method.as_str(), route_path) {
                RouteMatch::Found(op, vars) => {
                    let bf = BodyFormat::from_content_type(
                        parts
                            .headers
                            .get(header::CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok()),
                    );
                    (op, vars, suffix, bf)
                }
                RouteMatch::WrongVerb | RouteMatch::None => return not_found(),
            }
        }
    };
    let format = negotiate(forced, query, &parts.headers);
    let info = parts
        .extensions
        .get::<ClientInfo>()
        .cloned()
        .unwrap_or_default();
    let ctx = RequestContext {
        front_end: FrontEnd::Rest,
        client_addr: info.addr,
        user_agent: info.user_agent,
        actor: None,
    };
    let too_large = || {
        let st = response_status(
            "RequestEntityTooLarge",
            "The request body is too large.",
            Vec::new(),
        );
        render(
            format,
            StatusCode::PAYLOAD_TOO_LARGE,
            &Obj::new(&ERROR_RESPONSE).with("ResponseStatus", Val::Obj(st)),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.body_limit as u64) {
        return label(too_large(), op.name, "client_error");
    }
    let Ok(bytes) = axum::body::to_bytes(body, state.body_limit).await else {
        return label(too_large(), op.name, "client_error");
    };
    let mut dto = Obj::new(op.request);
    let mut errors = Vec::new();
    match body_format {
        BodyFormat::Json if !bytes.is_empty() => apply_json(&mut dto, &bytes, &mut errors),
        BodyFormat::Xml if !bytes.is_empty() => apply_xml(&mut dto, &bytes, &mut errors),
        _ => {}
    }
    apply_pairs(&mut dto, &vars, &mut errors);
    match &query_pairs {
        Ok(pairs) => apply_pairs(&mut dto, pairs, &mut errors),
        Err(e) => errors.push(e.clone()),
    }
    if body_format == BodyFormat::Form {
        match parse_pairs(&bytes, Kind::Form) {
            Ok(pairs) => apply_pairs(&mut dto, &pairs, &mut errors),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        let body = Obj::new(&ERROR_RESPONSE)
            .with("ResponseStatus", Val::Obj(binding_status(op.name, &errors)));
        return label(
            render(format, StatusCode::BAD_REQUEST, &body),
            op.name,
            "client_error",
        );
    }
    // Credentials travel only in POST bodies: a GET login (credentials in the URL, and a
    // login-CSRF vector through links) is refused like an unknown route.
    if op.name == "Authenticate"
        && parts.method == Method::GET
        && matches!(
            dto.str("provider").to_ascii_lowercase().as_str(),
            "credentials" | "login"
        )
    {
        return not_found();
    }
    let answer = run(&state, op, &ctx, &dto, &parts.headers).await;
    let mut resp = render(format, answer.status, &answer.body);
    for (k, v) in answer.headers {
        resp.headers_mut().append(k, v);
    }
    label(resp, op.name, answer.outcome)
}

async fn run(
    state: &RestState,
    op: &'static OpDef,
    ctx: &RequestContext,
    dto: &Obj,
    headers: &axum::http::HeaderMap,
) -> handlers::Answer {
    match op.name {
        "ChangePassword" => handlers::change_password(state, ctx, dto, headers).await,
        "Security" => handlers::security(state, ctx, dto).await,
        "ForgotPassword" => reset::forgot_password(state, ctx, dto).await,
        "ChangePasswordWithToken" => reset::change_password_with_token(state, ctx, dto).await,
        _ => handlers::authenticate(state, ctx, dto, headers).await,
    }
}
