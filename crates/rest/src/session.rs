//! Where a request's session id comes from, highest first: the DTO's `sessionId`, the
//! `X-ss-id`/`X-ss-pid` headers, the `ss-id`/`ss-pid` cookies (`ss-opt=perm` prefers the
//! permanent id).

use axum::http::{header, HeaderMap};

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The session id presented with a request, if any.
pub fn session_id(dto_session_id: Option<String>, headers: &HeaderMap) -> Option<String> {
    if let Some(s) = dto_session_id.filter(|s| !s.is_empty()) {
        return Some(s);
    }
    let perm = header_str(headers, "x-ss-opt")
        .or_else(|| cookie(headers, "ss-opt"))
        .is_some_and(|o| o.eq_ignore_ascii_case("perm"));
    let (first, second) = if perm { ("pid", "id") } else { ("id", "pid") };
    header_str(headers, &format!("x-ss-{first}"))
        .or_else(|| header_str(headers, &format!("x-ss-{second}")))
        .or_else(|| cookie(headers, &format!("ss-{first}")))
        .or_else(|| cookie(headers, &format!("ss-{second}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn precedence() {
        let mut h = HeaderMap::new();
        h.insert(
            "cookie",
            HeaderValue::from_static("ss-id=c1; ss-pid=c2; ss-opt=perm"),
        );
        assert_eq!(session_id(None, &h).as_deref(), Some("c2"));
        h.insert("x-ss-id", HeaderValue::from_static("h1"));
        assert_eq!(session_id(None, &h).as_deref(), Some("h1"));
        assert_eq!(session_id(Some("d".into()), &h).as_deref(), Some("d"));
        assert_eq!(session_id(Some(String::new()), &h).as_deref(), Some("h1"));
    }
}
