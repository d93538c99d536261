//! ServiceStack's auto-batched requests: `POST /api/{Request}[]` or `/json/reply/{Request}[]`
//! with a JSON array of request DTOs, answered with a JSON array of their responses.
//!
//! As in ServiceStack, the items run one after another, each as its own request (its own
//! throttling and hashing admission, so a batch of logins costs what as many single logins
//! cost); the first item that does not succeed stops the batch, and its error is the answer,
//! with `X-AutoBatch-Completed` saying how many items completed before it.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use passgate_core::RequestContext;
use passgate_limits::json::check_json;

use crate::bind::{apply_json_object, BindError};
use crate::dto::ERROR_RESPONSE;
use crate::errors::binding_status;
use crate::negotiate::Format;
use crate::ops::OpDef;
use crate::value::{Obj, Val};
use crate::{json, render, run, RestState};

/// Most requests in one batch.
pub const MAX_BATCH: usize = 16;

/// The header naming how many items completed before the one whose error is the answer.
pub const COMPLETED_HEADER: &str = "x-autobatch-completed";

/// Runs a batch of `op` from the JSON array `body`; returns the response and the metrics
/// outcome.
pub async fn run_batch(
    state: &RestState,
    op: &'static OpDef,
    ctx: &RequestContext,
    body: &[u8],
    headers: &HeaderMap,
) -> (Response, &'static str) {
    let items = match parse(body) {
        Ok(items) => items,
        Err(message) => {
            let errors = vec![BindError {
                field: String::new(),
                message,
            }];
            let body = Obj::new(&ERROR_RESPONSE)
                .with("ResponseStatus", Val::Obj(binding_status(op.name, &errors)));
            return (
                render(Format::Json, StatusCode::BAD_REQUEST, &body),
                "client_error",
            );
        }
    };
    let mut replies = Vec::with_capacity(items.len());
    let mut cookies: Vec<(HeaderName, HeaderValue)> = Vec::new();
    for (done, map) in items.into_iter().enumerate() {
        let mut dto = Obj::new(op.request);
        let mut errors = Vec::new();
        apply_json_object(&mut dto, map, &mut errors);
        let answer = if errors.is_empty() {
            run(state, op, ctx, &dto, headers).await
        } else {
            let body = Obj::new(&ERROR_RESPONSE)
                .with("ResponseStatus", Val::Obj(binding_status(op.name, &errors)));
            crate::handlers::Answer::new(StatusCode::BAD_REQUEST, body, "client_error")
        };
        cookies.extend(
            answer
                .headers
                .iter()
                .filter(|(k, _)| *k == header::SET_COOKIE)
                .cloned(),
        );
        if !answer.status.is_success() {
            let mut resp = render(Format::Json, answer.status, &answer.body);
            for (k, v) in answer.headers {
                resp.headers_mut().append(k, v);
            }
            resp.headers_mut()
                .insert(COMPLETED_HEADER, HeaderValue::from(done));
            return (resp, answer.outcome);
        }
        replies.push(json::to_json(&answer.body));
    }
    let mut resp = (StatusCode::OK, format!("[{}]", replies.join(","))).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, Format::Json.content_type());
    for (k, v) in cookies {
        resp.headers_mut().append(k, v);
    }
    (resp, "ok")
}

/// The batch's items: a JSON array of 1 to [`MAX_BATCH`] objects, within the JSON limits.
fn parse(body: &[u8]) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, String> {
    check_json(body).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "The request body is not valid JSON (line {}, column {}).",
            e.line(),
            e.column()
        )
    })?;
    let serde_json::Value::Array(items) = value else {
        return Err("A batched request takes a JSON array of request objects.".into());
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(format!(
            "A batch holds 1 to {MAX_BATCH} requests, not {}.",
            items.len()
        ));
    }
    items
        .into_iter()
        .map(|v| match v {
            serde_json::Value::Object(m) => Ok(m),
            _ => Err("Every item of a batched request must be a JSON object.".into()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_arrays_of_objects_within_bounds() {
        assert_eq!(parse(br#"[{"a":1},{}]"#).map(|v| v.len()), Ok(2));
        for bad in [&b"[]"[..], b"{}", b"[1]", b"[{},[]]", b"not json", b"[{}"] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let many = format!("[{}]", vec!["{}"; MAX_BATCH + 1].join(","));
        assert!(parse(many.as_bytes()).is_err());
        let deep = format!("[{}{}]", "[".repeat(100), "]".repeat(100));
        assert!(parse(deep.as_bytes()).is_err());
    }
}
