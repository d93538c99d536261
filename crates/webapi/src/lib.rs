//! passgate-webapi: SuperOffice's WebAPI REST front end for the User agent's password
//! operations, `POST {base}/v1/Agents/User/{Op}` with JSON bodies, plus the discovery
//! documents `GET {base}` and `GET {base}/v1`. Every credential decision is the core's;
//! errors map to HTTP in [`errors`]. See docs/superoffice-rest.md.
//!
//! Routing: the front end claims only `GET {base}`, `GET {base}/v1` and any request under
//! `{base}/v1/Agents/`; everything else (ServiceStack's `/api/{Request}` among it) is left to
//! the REST front end (see [`WebApiState::claims`]).

pub mod auth;
pub mod body;
mod discovery;
pub mod errors;
mod mail;
pub mod ops;
pub mod reply;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use passgate_core::audit::FrontEnd;
use passgate_core::metrics::{ClientInfo, OperationLabel};
use passgate_core::{Core, RequestContext};

use crate::errors::{error_object, invalid_request, map_error, Failure};
use crate::reply::Format;

/// Shared state of the WebAPI front end.
#[derive(Clone)]
pub struct WebApiState {
    /// The credential core.
    pub core: Arc<Core>,
    /// The base path (`/api`, `/SuperOffice/api`, `/Cust12345/api`…), starting with `/`
    /// and without a trailing `/`.
    pub base: String,
    /// Public base URL for the absolute URLs of the discovery documents; when unset,
    /// `http://` and the request's `Host` (which the server has validated).
    pub public_url: Option<String>,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
    /// Online mode: `SO-AppToken` required, Basic refused.
    pub online: bool,
}

/// What a path under the base is.
enum Target<'a> {
    /// `{base}` or `{base}/`.
    Root,
    /// `{base}/v1` or `{base}/v1/`.
    V1,
    /// `{base}/v1/Agents/{rest}`.
    Agents(&'a str),
}

fn strip_prefix_ci<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let head = path.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &path[prefix.len()..])
}

impl WebApiState {
    fn target<'a>(&self, path: &'a str) -> Option<Target<'a>> {
        let rest = strip_prefix_ci(path, &self.base)?;
        match rest {
            "" | "/" => return Some(Target::Root),
            _ => {}
        }
        let rest = strip_prefix_ci(rest, "/v1")?;
        match rest {
            "" | "/" => Some(Target::V1),
            _ => strip_prefix_ci(rest, "/Agents/").map(Target::Agents),
        }
    }

    /// Whether this front end answers `method path` (case-insensitive, as IIS): `GET`/`HEAD`
    /// of `{base}` and `{base}/v1`, and any verb under `{base}/v1/Agents/`.
    pub fn claims(&self, method: &Method, path: &str) -> bool {
        match self.target(path) {
            Some(Target::Root | Target::V1) => method == Method::GET || method == Method::HEAD,
            Some(Target::Agents(_)) => true,
            None => false,
        }
    }
}

fn label(mut resp: Response, operation: &'static str, outcome: &'static str) -> Response {
    resp.extensions_mut().insert(OperationLabel {
        front_end: "webapi",
        operation,
        outcome,
    });
    resp
}

fn failure(f: Failure, format: Format, online: bool, operation: &'static str) -> Response {
    let outcome = f.outcome;
    label(f.into_response(format, online), operation, outcome)
}

fn context(ext: &axum::http::Extensions) -> RequestContext {
    let info = ext.get::<ClientInfo>().cloned().unwrap_or_default();
    RequestContext {
        front_end: FrontEnd::WebApi,
        client_addr: info.addr,
        user_agent: info.user_agent,
        actor: None,
    }
}

/// Serves a request [`WebApiState::claims`]; anything else is answered 404.
pub async fn handle(state: WebApiState, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let format = Format::negotiate(&parts.headers);
    let path = parts.uri.path().to_owned();
    let not_found = || {
        label(
            error_object("SoNotFoundException", "No such agent or operation.")
                .into_response(StatusCode::NOT_FOUND, format),
            "unknown",
            "not_found",
        )
    };
    match state.target(&path) {
        Some(Target::Root) => label(
            discovery::root(&state, &parts.headers, format),
            "discovery",
            "ok",
        ),
        Some(Target::V1) => label(
            discovery::v1(&state, &parts.headers, format),
            "discovery",
            "ok",
        ),
        Some(Target::Agents(rest)) => {
            let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
            let op = match segs.as_slice() {
                [agent, name] if agent.eq_ignore_ascii_case("User") => ops::by_name(name),
                _ => None,
            };
            let Some(op) = op else {
                return not_found();
            };
            match parts.method {
                Method::POST => {
                    let ctx = context(&parts.extensions);
                    invoke(&state, op, &parts.headers, body, &ctx, format).await
                }
                Method::GET | Method::HEAD => label(
                    discovery::describe(&state, &parts.headers, op, format),
                    "describe",
                    "ok",
                ),
                _ => {
                    let mut resp = error_object(
                        "MethodNotAllowed",
                        "Use POST to invoke an agent operation and GET for its description.",
                    )
                    .into_response(StatusCode::METHOD_NOT_ALLOWED, format);
                    resp.headers_mut()
                        .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
                    label(resp, op.name, "client_error")
                }
            }
        }
        None => not_found(),
    }
}

/// Reads and bounds the body, authenticates, runs the operation.
async fn invoke(
    state: &WebApiState,
    op: &'static ops::OpDef,
    headers: &HeaderMap,
    body: axum::body::Body,
    ctx: &RequestContext,
    format: Format,
) -> Response {
    let refuse = |status: StatusCode, detail: &str| {
        label(
            invalid_request(detail).into_response(status, format),
            op.name,
            "client_error",
        )
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.contains("xml") || content_type.contains("form-urlencoded") {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Agent requests must be JSON (Content-Type: application/json).",
        );
    }
    let too_large = format!(
        "The request body exceeds the limit of {} bytes.",
        state.body_limit
    );
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.body_limit as u64) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, &too_large);
    }
    let Ok(bytes) = axum::body::to_bytes(body, state.body_limit).await else {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, &too_large);
    };
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let bytes =
        match passgate_limits::encoding::decode_body(encoding, bytes.to_vec(), state.body_limit) {
            Ok(b) => b,
            Err(e @ passgate_limits::encoding::DecodeError::Unsupported(_)) => {
                return refuse(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    &format!("The request is refused: {e}."),
                )
            }
            Err(passgate_limits::encoding::DecodeError::TooLarge(_)) => {
                return refuse(StatusCode::PAYLOAD_TOO_LARGE, &too_large)
            }
            Err(e) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    &format!("The request is refused: {e}."),
                )
            }
        };
    let fields = match body::parse(&bytes) {
        Ok(f) => f,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let core = &state.core;
    // Under overload, refuse before the session lookup (as SOAP's ChangeOwnPassword does).
    if op.name == "ChangeOwnPassword" {
        if let Err(e) = core.check_hashing_room() {
            return failure(map_error(&e, op.name), format, state.online, op.name);
        }
    }
    let principal = match auth::authenticate(core, ctx, headers, state.online, op.name).await {
        Ok(p) => p,
        Err(f) => return failure(f, format, state.online, op.name),
    };
    match ops::run(core, op, &fields, &principal, ctx).await {
        Ok((reply, outcome)) => label(
            reply.into_response(StatusCode::OK, format),
            op.name,
            outcome,
        ),
        Err(e) => failure(map_error(&e, op.name), format, state.online, op.name),
    }
}
