//! Metadata pages (`/metadata`, `/{json|xml}/metadata?op=Name`) and OpenAPI 3
//! (`/openapi.json`), generated from the operation table and DTO definitions, with samples
//! produced by the real serializers, so documentation and wire format cannot drift.

use std::fmt::Write as _;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use quick_xml::escape::escape;

use crate::dto::{Ty, TypeDef};
use crate::json::to_json;
use crate::negotiate::Format;
use crate::ops::{by_name, OpDef, OPS};
use crate::value::{s, Obj, Val};
use crate::xml::root_xml;

const TITLE: &str = "passgate: Net3 API Interface for Customer Portal (compatible)";

/// Serves the metadata and OpenAPI paths; None for any other path.
pub fn serve(path: &str, query: &[(String, String)], allowed_urls: &[String]) -> Option<Response> {
    let lower = path.trim_end_matches('/').to_ascii_lowercase();
    let html =
        |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    match lower.as_str() {
        "/metadata" => Some(html(index())),
        "/openapi.json" => Some(
            (
                [(header::CONTENT_TYPE, "application/json")],
                crate::openapi::document(allowed_urls).to_string(),
            )
                .into_response(),
        ),
        "/json/metadata" | "/xml/metadata" => {
            let format = if lower.starts_with("/json") {
                Format::Json
            } else {
                Format::Xml
            };
            let op = query
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("op"))
                .and_then(|(_, v)| by_name(v));
            Some(html(match op {
                Some(op) => op_page(op, format),
                None => index(),
            }))
        }
        _ => None,
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}pre{{background:#f6f6f6;padding:1em;overflow:auto}}</style>\
         </head><body>{body}</body></html>",
        escape(title)
    )
}

fn index() -> String {
    let mut b = format!("<h1>{}</h1><p>The following operations are supported.</p><table><tr><th>Operation</th><th>Formats</th><th></th></tr>", escape(TITLE));
    for op in OPS {
        let _ = write!(
            b,
            "<tr><td>{n}</td><td><a href=\"/xml/metadata?op={n}\">XML</a> <a href=\"/json/metadata?op={n}\">JSON</a></td><td>{auth}</td></tr>",
            n = op.name,
            auth = if op.requires_auth { "Requires Authentication" } else { "" }
        );
    }
    b.push_str("</table><p>OpenAPI 3 description: <a href=\"/openapi.json\">/openapi.json</a></p>");
    page(TITLE, &b)
}

/// A DTO filled with placeholders (`String`, zero Guid, `false`, first enum member), as
/// ServiceStack's metadata pages do.
pub fn sample(ty: &'static TypeDef) -> Obj {
    let mut o = Obj::new(ty);
    for (_, f) in ty.all_fields() {
        let v = match f.ty {
            Ty::String => s("String"),
            Ty::Guid => Val::Guid(uuid::Uuid::nil()),
            Ty::Bool => Val::Bool(false),
            Ty::Enum(e) => Val::Enum(e.values.first().copied().unwrap_or("")),
            Ty::Obj(t) => Val::Obj(sample(t)),
            Ty::List(t) => Val::List(vec![sample(t)]),
            Ty::StringMap => Val::Map(vec![("String".into(), "String".into())]),
            Ty::Exception => Val::Null,
        };
        o.set(f.name, v);
    }
    o
}

fn serialize(obj: &Obj, format: Format) -> String {
    match format {
        Format::Json => to_json(obj),
        Format::Xml => root_xml(obj),
    }
}

fn nested(ty: &'static TypeDef, out: &mut Vec<&'static TypeDef>) {
    for (_, f) in ty.all_fields() {
        if let Ty::Obj(t) | Ty::List(t) = f.ty {
            if !out.iter().any(|x| std::ptr::eq(*x, t)) {
                out.push(t);
                nested(t, out);
            }
        }
    }
}

fn param_table(b: &mut String, ty: &'static TypeDef, param: &str) {
    let _ = write!(b, "<h3>{} Parameters:</h3><table><tr><th>Name</th><th>Parameter</th><th>Data Type</th><th>Required</th><th>Description</th></tr>", escape(ty.display));
    for f in ty.fields {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{param}</td><td>{}</td><td>No</td><td>{}</td></tr>",
            f.name,
            escape(f.ty.display().as_str()),
            escape(f.description)
        );
    }
    b.push_str("</table>");
}

fn op_page(op: &'static OpDef, format: Format) -> String {
    let (fmt, mime) = match format {
        Format::Json => ("json", "application/json"),
        Format::Xml => ("xml", "application/xml"),
    };
    let mut b = format!(
        "<h1>{}</h1><p><a href=\"/metadata\">&lt;back to all web services</a></p><h2>{}</h2>",
        escape(TITLE),
        op.name
    );
    if op.requires_auth {
        b.push_str("<p><b>Requires Authentication</b></p>");
    }
    let _ = write!(
        b,
        "<p>{}</p><p>The following routes are available for this service:</p><table>",
        escape(op.summary)
    );
    for (verbs, path) in op.routes {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td></tr>",
            verbs.join(","),
            escape(*path)
        );
    }
    b.push_str("</table>");
    param_table(&mut b, op.request, "body");
    if let Some(base) = op.request.base {
        param_table(&mut b, base, "form");
    }
    param_table(&mut b, op.response, "form");
    let mut types = Vec::new();
    nested(op.response, &mut types);
    for t in types {
        param_table(&mut b, t, "form");
        for (_, f) in t.all_fields() {
            if let Ty::Enum(e) = f.ty {
                let _ = write!(b, "<h3>{} Enum:</h3><ul>", e.name);
                for v in e.values {
                    let _ = write!(b, "<li>{v}</li>");
                }
                b.push_str("</ul>");
            }
        }
    }
    let _ = write!(
        b,
        "<p>To override the Content-type in your clients, use the HTTP Accept Header, append the .{fmt} suffix or ?format={fmt}</p><h2>HTTP + {}</h2><p>The following are sample HTTP requests and responses. The placeholders shown need to be replaced with actual values.</p>",
        fmt.to_ascii_uppercase()
    );
    let (verbs, path) = op.routes.first().copied().unwrap_or((&["POST"], "/"));
    let verb = verbs.last().copied().unwrap_or("POST");
    let request = serialize(&sample(op.request), format);
    let response = serialize(&sample(op.response), format);
    let _ = write!(
        b,
        "<pre id=\"sample-request\">{} {} HTTP/1.1\nHost: localhost\nAccept: {mime}\nContent-Type: {mime}\nContent-Length: length\n\n{}</pre>",
        verb,
        escape(path),
        escape(request.as_str())
    );
    let _ = write!(
        b,
        "<pre id=\"sample-response\">HTTP/1.1 200 OK\nContent-Type: {mime}\nContent-Length: length\n\n{}</pre>",
        escape(response.as_str())
    );
    page(&format!("{} | {}", op.name, TITLE), &b)
}
