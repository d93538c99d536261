//! HTTP handling for the two `.svc` endpoints: WSDL on GET, SOAP on POST.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use passgate_core::audit::FrontEnd;
use passgate_core::metrics::{ClientInfo, OperationLabel};
use passgate_core::{Core, RequestContext};
use passgate_limits::encoding::{decode_body, DecodeError};

use crate::envelope::{parse_envelope, EnvelopeError, SoapVersion};
use crate::errors::{map_error, SoapError};
use crate::host::ServerAddr;
use crate::ops::{self, Service};
use crate::reply::{Fault, Reply};
use crate::TNS;

/// Route of `User.svc` (requests are matched case-insensitively; the server lowercases the
/// path before routing).
pub const USER_PATH: &str = "/remote/services84/user.svc";
/// Route of `SoPrincipal.svc`.
pub const SOPRINCIPAL_PATH: &str = "/remote/services84/soprincipal.svc";

/// Shared state of the SOAP front end.
#[derive(Clone)]
pub struct SoapState {
    /// The credential core.
    pub core: Arc<Core>,
    /// Public base URL for `soap:address` (e.g. `https://crm.example.com`); when unset, the
    /// request's `Host` if it is a valid `host[:port]`, else the connection's local address
    /// (see [`crate::host::base_url`]).
    pub public_url: Option<String>,
    /// Name reported as `CompanyName` by GetSystemInfo.
    pub system_name: String,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
    /// Online mode: every call must carry a registered `ApplicationToken`.
    pub online: bool,
}

/// The SOAP routes.
pub fn router(state: SoapState) -> Router {
    Router::new()
        .route(USER_PATH, any(user))
        .route(SOPRINCIPAL_PATH, any(principal))
        .with_state(state)
}

async fn user(State(state): State<SoapState>, req: Request) -> Response {
    handle(state, Service::User, req).await
}

async fn principal(State(state): State<SoapState>, req: Request) -> Response {
    handle(state, Service::SoPrincipal, req).await
}

fn label(mut resp: Response, operation: &'static str, outcome: &'static str) -> Response {
    resp.extensions_mut().insert(OperationLabel {
        front_end: "soap",
        operation,
        outcome,
    });
    resp
}

/// The operation name as a static string from the tables (bounded metric labels).
fn static_name(service: Service, op: &str) -> &'static str {
    service
        .original()
        .iter()
        .chain(service.implemented())
        .find(|o| **o == op)
        .copied()
        .unwrap_or("unknown")
}

async fn handle(state: SoapState, service: Service, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    match parts.method {
        Method::GET | Method::HEAD => {
            let server = parts.extensions.get::<ServerAddr>().copied();
            wsdl(&state, service, &parts.uri, &parts.headers, server)
        }
        Method::POST => {
            let ctx = context(&parts.extensions);
            soap(&state, service, &parts.headers, body, ctx).await
        }
        _ => label(
            (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, "GET, POST")],
                "Use POST for SOAP requests and GET ?wsdl for the service description.",
            )
                .into_response(),
            "other",
            "client_error",
        ),
    }
}

fn context(ext: &axum::http::Extensions) -> RequestContext {
    let info = ext.get::<ClientInfo>().cloned().unwrap_or_default();
    RequestContext {
        front_end: FrontEnd::Soap,
        client_addr: info.addr,
        user_agent: info.user_agent,
        actor: None,
    }
}

fn wsdl(
    state: &SoapState,
    service: Service,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    server: Option<ServerAddr>,
) -> Response {
    let wants_wsdl = uri.query().is_some_and(|q| {
        q.split('&').any(|kv| {
            let key = kv.split('=').next().unwrap_or("");
            key.eq_ignore_ascii_case("wsdl") || key.eq_ignore_ascii_case("singlewsdl")
        })
    });
    let path = match service {
        Service::User => "/Remote/Services84/User.svc",
        Service::SoPrincipal => "/Remote/Services84/SoPrincipal.svc",
    };
    let base = crate::host::base_url(state.public_url.as_deref(), headers, server);
    let address = format!("{base}{path}");
    if !wants_wsdl {
        let html = format!(
            "<!DOCTYPE html><html><head><title>{c}</title></head><body><h1>{c} service</h1>\
             <p>SuperOffice NetServer Services84 compatible endpoint served by passgate. \
             The service description is at <a href=\"{a}?wsdl\">{a}?wsdl</a>.</p></body></html>",
            c = service.contract(),
            a = quick_xml::escape::escape(address.as_str())
        );
        return label(
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
            "wsdl",
            "ok",
        );
    }
    let doc = match service {
        Service::User => crate::wsdl::user_wsdl(&address, service.implemented()),
        Service::SoPrincipal => crate::wsdl::soprincipal_wsdl(&address, service.implemented()),
    };
    label(
        ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], doc).into_response(),
        "wsdl",
        "ok",
    )
}

fn fault(version: SoapVersion, message: impl Into<String>, op: &'static str) -> Response {
    answer_fault(version, Fault::client(message), op)
}

fn action_fault(version: SoapVersion, message: impl Into<String>, op: &'static str) -> Response {
    answer_fault(version, Fault::action(message), op)
}

fn answer_fault(version: SoapVersion, f: Fault, op: &'static str) -> Response {
    label(Reply::Fault(f).into_response(version), op, "client_error")
}

/// The action a request names: the `SOAPAction` header (1.1) or the `action` parameter of
/// the content type (1.2). Empty means "not given".
fn requested_action(headers: &HeaderMap) -> Option<String> {
    let from_header = headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty());
    from_header.or_else(|| {
        let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        ct.split(';').skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("action")
                .then(|| v.trim().trim_matches('"').to_owned())
                .filter(|v| !v.is_empty())
        })
    })
}

async fn soap(
    state: &SoapState,
    service: Service,
    headers: &HeaderMap,
    body: Body,
    ctx: RequestContext,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let hinted = SoapVersion::from_content_type(content_type);
    let too_large = format!(
        "The request body exceeds the limit of {} bytes.",
        state.body_limit
    );
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.body_limit as u64) {
        return fault(hinted, too_large, "unknown");
    }
    let bytes = match axum::body::to_bytes(body, state.body_limit).await {
        Ok(b) => b,
        Err(_) => return fault(hinted, too_large, "unknown"),
    };
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let bytes = match decode_body(encoding, bytes.to_vec(), state.body_limit) {
        Ok(b) => b,
        Err(e @ DecodeError::Unsupported(_)) => {
            let f = Fault {
                status: Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                ..Fault::client(format!("The request is refused: {e}."))
            };
            return answer_fault(hinted, f, "unknown");
        }
        Err(DecodeError::TooLarge(_)) => return fault(hinted, too_large, "unknown"),
        Err(e) => return fault(hinted, format!("The request is refused: {e}."), "unknown"),
    };
    let env = match parse_envelope(&bytes) {
        Ok(e) => e,
        Err(
            e @ (EnvelopeError::Malformed(_)
            | EnvelopeError::NotAnEnvelope(_)
            | EnvelopeError::Limit(_)),
        ) => return fault(hinted, e.to_string(), "unknown"),
    };
    let version = env.version;
    let op = env.operation.as_str();
    if env.operation_ns != TNS {
        return action_fault(
            version,
            format!(
                "Unknown operation {{{}}}{op}: operations must be in the namespace {TNS}.",
                env.operation_ns
            ),
            "unknown",
        );
    }
    let name = static_name(service, op);
    if !service.implemented().contains(&op) {
        let msg = if service.original().contains(&op) {
            format!(
                "The operation {op} of {}.svc is not implemented by passgate.",
                service.contract()
            )
        } else {
            format!(
                "Unknown operation {op}: {}.svc has no such operation.",
                service.contract()
            )
        };
        return action_fault(version, msg, name);
    }
    if let Some(action) = requested_action(headers) {
        let expected = service.action(op);
        if action != expected {
            return action_fault(
                version,
                format!("The SOAP action '{action}' does not match the body's operation {op} (expected '{expected}')."),
                name,
            );
        }
    }
    let result = if state.online {
        match state
            .core
            .check_app_token(env.application_token.as_deref())
            .await
        {
            Ok(()) => ops::run(&state.core, service, &env, &ctx, &state.system_name).await,
            Err(e) => Err(e),
        }
    } else {
        ops::run(&state.core, service, &env, &ctx, &state.system_name).await
    };
    match result {
        Ok(r) => label(
            Reply::Envelope {
                body: r.body,
                exception: None,
            }
            .into_response(version),
            name,
            r.outcome,
        ),
        Err(err) => match map_error(&err, name) {
            SoapError::Exception(e) => label(
                Reply::Envelope {
                    body: ops::failure_body(op),
                    exception: Some(e),
                }
                .into_response(version),
                name,
                "exception",
            ),
            SoapError::Fault(f) => {
                let outcome = if f.client {
                    "client_error"
                } else if f.status == Some(StatusCode::SERVICE_UNAVAILABLE) {
                    "overloaded"
                } else {
                    "server_error"
                };
                label(Reply::Fault(f).into_response(version), name, outcome)
            }
        },
    }
}
