//! `GET {base}` and `GET {base}/v1` (what the WebAPI publishes about itself), and the
//! description a GET on an operation's URL returns instead of invoking it.
//!
//! Both documents are public, as in SuperOffice (clients read the version before logging in).
//! `GET {base}` answers HTML to browsers (an `Accept` with `text/html` and no JSON) and JSON
//! otherwise; `GET {base}/v1` uses the object shape (absolute URL → `{"POST": description}`).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::ops::{OpDef, OPS};
use crate::reply::{Format, Reply};
use crate::WebApiState;

/// The passgate version reported as `Version` and `NetServerVersion`.
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn origin(state: &WebApiState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    accept.contains("text/html") && !accept.contains("json")
}

/// `GET {base}`.
pub fn root(state: &WebApiState, headers: &HeaderMap, format: Format) -> Response {
    let v1 = format!("{}{}/v1", origin(state, headers), state.base);
    if wants_html(headers) {
        let v1 = v1
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('"', "&quot;");
        let html = format!(
            "<!DOCTYPE html><html><head><title>passgate WebAPI</title></head><body>\
             <h1>SuperOffice WebAPI (User agent password operations)</h1>\
             <p>Served by passgate {VERSION}. Version 1: <a href=\"{v1}\">{v1}</a>.</p></body></html>"
        );
        return (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            html,
        )
            .into_response();
    }
    Reply::Object(
        "ApiInfo",
        vec![
            ("v1", Value::from(v1)),
            ("Version", Value::from(VERSION)),
            ("NetServerVersion", Value::from(VERSION)),
            ("NetServerAssembly", Value::from("passgate")),
            ("NetServer", Value::from("passgate")),
            ("NetServerLabel", Value::from(format!("passgate {VERSION}"))),
        ],
    )
    .into_response(StatusCode::OK, format)
}

fn op_url(state: &WebApiState, headers: &HeaderMap, op: &OpDef) -> String {
    format!(
        "{}{}/v1/Agents/User/{}",
        origin(state, headers),
        state.base,
        op.name
    )
}

/// `GET {base}/v1`: every served operation's absolute URL → `{"POST": description}`.
pub fn v1(state: &WebApiState, headers: &HeaderMap, format: Format) -> Response {
    if format == Format::Xml {
        let urls = OPS.iter().map(|op| op_url(state, headers, op)).collect();
        return Reply::Strings(urls).into_response(StatusCode::OK, format);
    }
    let mut map = Map::new();
    for op in OPS {
        let mut verbs = Map::new();
        verbs.insert("POST".into(), Value::from(op.description));
        map.insert(op_url(state, headers, op), Value::Object(verbs));
    }
    let mut resp = (StatusCode::OK, Value::Object(map).to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// `GET` on an operation's URL: what it takes and returns (nothing is invoked).
pub fn describe(state: &WebApiState, headers: &HeaderMap, op: &OpDef, format: Format) -> Response {
    Reply::Object(
        "OperationDescription",
        vec![
            ("Name", Value::from(op.name)),
            ("Url", Value::from(op_url(state, headers, op))),
            ("Method", Value::from("POST")),
            ("Parameters", Value::from(op.params)),
            ("Returns", Value::from(op.returns)),
            ("Description", Value::from(op.description)),
        ],
    )
    .into_response(StatusCode::OK, format)
}
