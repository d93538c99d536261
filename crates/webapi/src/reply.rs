//! Replies: bare JSON values and PascalCase objects, or their XML form when the client asks
//! for XML only (see docs/superoffice-rest.md for the XML layout, which SuperOffice does
//! not document).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The reply format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json; charset=utf-8` (the default, also for missing or misspelled
    /// `Accept` headers).
    Json,
    /// `application/xml; charset=utf-8`, chosen when `Accept` names `application/xml` or
    /// `text/xml` and no JSON type.
    Xml,
}

impl Format {
    /// The format `Accept` asks for.
    pub fn negotiate(headers: &HeaderMap) -> Format {
        let accept = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
            .to_ascii_lowercase();
        let wants_xml = accept.contains("application/xml") || accept.contains("text/xml");
        if wants_xml && !accept.contains("json") {
            Format::Xml
        } else {
            Format::Json
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Xml => "application/xml; charset=utf-8",
        })
    }
}

/// A value an operation or error returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A bare boolean (`true`, `<boolean>true</boolean>`).
    Bool(bool),
    /// A bare string.
    Str(String),
    /// An array of strings (`<ArrayOfString>`).
    Strings(Vec<String>),
    /// An object: its XML root name and its members in order (values are JSON scalars,
    /// `null`, or objects of strings).
    Object(&'static str, Vec<(&'static str, Value)>),
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn xml_value(out: &mut String, name: &str, v: &Value) {
    match v {
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                xml_value(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

impl Reply {
    /// The body in `format`.
    pub fn body(&self, format: Format) -> String {
        match (self, format) {
            (Reply::Bool(b), Format::Json) => b.to_string(),
            (Reply::Bool(b), Format::Xml) => format!("<boolean>{b}</boolean>"),
            (Reply::Str(s), Format::Json) => Value::String(s.clone()).to_string(),
            (Reply::Str(s), Format::Xml) => format!("<string>{}</string>", escape(s)),
            (Reply::Strings(v), Format::Json) => {
                Value::Array(v.iter().cloned().map(Value::String).collect()).to_string()
            }
            (Reply::Strings(v), Format::Xml) => {
                let mut out = String::from("<ArrayOfString>");
                for s in v {
                    out.push_str(&format!("<string>{}</string>", escape(s)));
                }
                out.push_str("</ArrayOfString>");
                out
            }
            (Reply::Object(_, members), Format::Json) => {
                let mut out = String::from("{");
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&format!("\"{k}\":{v}"));
                }
                out.push('}');
                out
            }
            (Reply::Object(root, members), Format::Xml) => {
                let mut out = format!("<{root}>");
                for (k, v) in members {
                    xml_value(&mut out, k, v);
                }
                out.push_str(&format!("</{root}>"));
                out
            }
        }
    }

    /// The HTTP response.
    pub fn into_response(self, status: StatusCode, format: Format) -> Response {
        let mut resp = (status, self.body(format)).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, format.content_type());
        resp.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_bare_and_pascal_case() {
        assert_eq!(Reply::Bool(false).body(Format::Json), "false");
        assert_eq!(Reply::Str("a\"b".into()).body(Format::Json), r#""a\"b""#);
        let o = Reply::Object(
            "OperationResult",
            vec![("Success", Value::Bool(false)), ("Message", "x".into())],
        );
        assert_eq!(o.body(Format::Json), r#"{"Success":false,"Message":"x"}"#);
        assert_eq!(
            o.body(Format::Xml),
            "<OperationResult><Success>false</Success><Message>x</Message></OperationResult>"
        );
    }

    #[test]
    fn xml_only_when_asked_for_without_json() -> Result<(), axum::http::header::InvalidHeaderValue>
    {
        let mut h = HeaderMap::new();
        assert_eq!(Format::negotiate(&h), Format::Json);
        h.insert(header::ACCEPT, HeaderValue::from_str("aplication/json")?);
        assert_eq!(Format::negotiate(&h), Format::Json);
        h.insert(header::ACCEPT, HeaderValue::from_str("text/xml")?);
        assert_eq!(Format::negotiate(&h), Format::Xml);
        h.insert(
            header::ACCEPT,
            HeaderValue::from_str("application/xml, application/json")?,
        );
        assert_eq!(Format::negotiate(&h), Format::Json);
        Ok(())
    }
}
