//! Response format negotiation, in ServiceStack's order: predefined route or `.ext` suffix,
//! then `?format=`, then the Accept header (q-values ignored, JSON preferred, a type equal to
//! the request's Content-Type wins), else JSON. passgate serves JSON and XML.

use axum::http::{header, HeaderMap, HeaderValue};

/// A response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`.
    Json,
    /// `application/xml`.
    Xml,
}

impl Format {
    /// From a format name (`json`, `xml`; anything after a `.` ignored).
    pub fn from_name(name: &str) -> Option<Self> {
        match name
            .split('.')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
            .as_str()
        {
            "json" => Some(Format::Json),
            "xml" => Some(Format::Xml),
            _ => None,
        }
    }

    /// The response Content-Type.
    pub fn content_type(self) -> HeaderValue {
        match self {
            Format::Json => HeaderValue::from_static("application/json; charset=utf-8"),
            Format::Xml => HeaderValue::from_static("application/xml"),
        }
    }

    fn mime(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xml => "application/xml",
        }
    }
}

/// The request's own format, from its Content-Type (`text/xml` counts as XML).
pub fn request_format(headers: &HeaderMap) -> Option<Format> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mime = ct.split(';').next()?.trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "text/json" => Some(Format::Json),
        "application/xml" | "text/xml" => Some(Format::Xml),
        _ => None,
    }
}

/// Chooses the response format. `forced` is the predefined route's or the suffix's format.
pub fn negotiate(
    forced: Option<Format>,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> Format {
    if let Some(f) = forced {
        return f;
    }
    if let Some(f) = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("format"))
        .and_then(|(_, v)| Format::from_name(v))
    {
        return f;
    }
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Format::Json;
    };
    let entries: Vec<String> = accept
        .split(',')
        .map(|e| {
            e.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let own = request_format(headers);
    let listed = |f: Format| entries.iter().any(|e| e.starts_with(f.mime()));
    if let Some(f) = own.filter(|f| listed(*f)) {
        return f;
    }
    for f in [Format::Json, Format::Xml] {
        if listed(f) {
            return f;
        }
    }
    if entries.iter().any(|e| e == "*/*") {
        return own.unwrap_or(Format::Json);
    }
    Format::Json
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn order_of_precedence() {
        let q = vec![("format".to_owned(), "xml".to_owned())];
        assert_eq!(
            negotiate(Some(Format::Json), &q, &HeaderMap::new()),
            Format::Json
        );
        assert_eq!(
            negotiate(None, &q, &h(&[("accept", "application/json")])),
            Format::Xml
        );
        let bad = vec![("format".to_owned(), "csv".to_owned())];
        assert_eq!(
            negotiate(None, &bad, &h(&[("accept", "application/xml")])),
            Format::Xml
        );
        assert_eq!(negotiate(None, &[], &HeaderMap::new()), Format::Json);
    }

    #[test]
    fn accept_rules() {
        assert_eq!(
            negotiate(
                None,
                &[],
                &h(&[("accept", "application/xml;q=0.1, application/json;q=0.9")])
            ),
            Format::Json
        );
        assert_eq!(
            negotiate(
                None,
                &[],
                &h(&[
                    ("accept", "application/json, application/xml"),
                    ("content-type", "application/xml")
                ])
            ),
            Format::Xml
        );
        assert_eq!(
            negotiate(
                None,
                &[],
                &h(&[("accept", "*/*"), ("content-type", "application/xml")])
            ),
            Format::Xml
        );
        assert_eq!(negotiate(None, &[], &h(&[("accept", "*/*")])), Format::Json);
        assert_eq!(
            negotiate(None, &[], &h(&[("accept", "text/xml")])),
            Format::Json
        );
    }
}
