//! The two cookies of the pages and a bounded reader of the `Cookie` header.
//!
//! - the session cookie (`__Host-passgate`, or `passgate` when the public URL is not https,
//!   since browsers refuse the `__Host-` prefix without `Secure`): a web session id;
//! - the form cookie (`__Host-passgate-form` / `passgate-form`): random, set by the pages
//!   that show forms before sign-in, so that those forms carry a CSRF token too.
//!
//! Both are `HttpOnly`, `SameSite=Strict`, `Path=/`, without `Domain`, and `Secure` over TLS.

use axum::http::{header, HeaderMap, HeaderValue};

/// Longest `Cookie` header read; longer ones are ignored whole (no cookie found).
pub const MAX_COOKIE_HEADER: usize = 8 * 1024;
/// Most cookies looked at in one request.
pub const MAX_COOKIES: usize = 64;

/// Names of the cookies for one deployment.
#[derive(Debug, Clone)]
pub struct CookieNames {
    /// The session cookie.
    pub session: &'static str,
    /// The pre-sign-in form cookie.
    pub form: &'static str,
    /// Whether cookies are marked `Secure`.
    pub secure: bool,
}

impl CookieNames {
    /// The names for a deployment served over TLS (`secure`) or not.
    pub fn new(secure: bool) -> Self {
        if secure {
            CookieNames {
                session: "__Host-passgate",
                form: "__Host-passgate-form",
                secure,
            }
        } else {
            CookieNames {
                session: "passgate",
                form: "passgate-form",
                secure,
            }
        }
    }

    /// `Set-Cookie` for `name=value` (a session cookie: no expiry, gone with the browser).
    pub fn set(&self, name: &str, value: &str) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"
        ))
        .ok()
    }

    /// `Set-Cookie` that deletes `name`.
    pub fn clear(&self, name: &str) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"
        ))
        .ok()
    }
}

/// The value of cookie `name` in `headers` (first match), within the bounds above.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut seen = 0usize;
    for value in headers.get_all(header::COOKIE) {
        if value.len() > MAX_COOKIE_HEADER {
            continue;
        }
        let Ok(text) = value.to_str() else { continue };
        if let Some(v) = find(text, name, &mut seen) {
            return Some(v.to_owned());
        }
        if seen >= MAX_COOKIES {
            return None;
        }
    }
    None
}

/// Finds `name` in one header value (`a=1; b=2`), counting the pairs looked at in `seen`.
pub fn find<'a>(header: &'a str, name: &str, seen: &mut usize) -> Option<&'a str> {
    for pair in header.split(';') {
        if *seen >= MAX_COOKIES {
            return None;
        }
        *seen += 1;
        let Some((n, v)) = pair.split_once('=') else {
            continue;
        };
        if n.trim() == name {
            let v = v.trim();
            return Some(
                v.strip_prefix('"')
                    .and_then(|x| x.strip_suffix('"'))
                    .unwrap_or(v),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cookies_and_respects_bounds() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; passgate=abc; \"q\"; passgate-form=\"xyz\""),
        );
        assert_eq!(read(&headers, "passgate").as_deref(), Some("abc"));
        assert_eq!(read(&headers, "passgate-form").as_deref(), Some("xyz"));
        assert_eq!(read(&headers, "missing"), None);
        let many = format!("{}target=1", "x=1; ".repeat(MAX_COOKIES));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&many).unwrap_or(HeaderValue::from_static("")),
        );
        assert_eq!(read(&headers, "target"), None, "past the cookie limit");
    }

    #[test]
    fn set_cookie_attributes() {
        let names = CookieNames::new(true);
        let v = names
            .set(names.session, "tok")
            .map(|v| v.to_str().map(str::to_owned));
        assert_eq!(
            v.and_then(Result::ok).as_deref(),
            Some("__Host-passgate=tok; Path=/; HttpOnly; SameSite=Strict; Secure")
        );
        let plain = CookieNames::new(false);
        assert_eq!(plain.session, "passgate");
        let cleared = plain
            .clear(plain.session)
            .map(|v| v.to_str().map(str::to_owned));
        assert_eq!(
            cleared.and_then(Result::ok).as_deref(),
            Some("passgate=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}", n in "[a-z-]{1,10}") {
            let mut seen = 0;
            let _ = find(&s, &n, &mut seen);
            proptest::prop_assert!(seen <= MAX_COOKIES);
        }
    }
}
