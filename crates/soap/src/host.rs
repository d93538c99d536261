//! The `Host` header's syntax, and the base URL of the served WSDLs.
//!
//! A WSDL's `soap:address` tells clients where to send their passwords, so it is built from
//! `public_url` when that is set and otherwise only from a `Host` that is a plain
//! `host[:port]`; anything else falls back to the address the connection was accepted on.
//! The server's RFC 9112 §3.2 check (exactly one valid `Host` on HTTP/1.1) uses the same rule.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::http::{header, HeaderMap};

/// The local address a connection was accepted on, and whether it speaks HTTPS; the
/// server puts it on every request so the WSDL has a scheme, and an address to fall back
/// to when `Host` cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerAddr {
    /// The address the connection was accepted on.
    pub addr: SocketAddr,
    /// Whether the connection is TLS (the WSDL's address then uses `https`).
    pub https: bool,
}

/// Longest accepted `Host` value: a 253-character DNS name (or an IPv6 literal) and a port.
const MAX_HOST_LEN: usize = 262;

/// True when `value` is `host[:port]` with `host` a DNS-style name (letters, digits, `-`,
/// `.`, `_`, `~`), an IPv4 address or a bracketed IPv6 address, and `port` 0..=65535.
///
/// Stricter than RFC 3986's `reg-name` (no percent-encoding, no sub-delimiters such as `&`
/// or `'`): real clients send names and addresses, and nothing this accepts needs escaping
/// in a URL or in XML.
pub fn is_valid_host(value: &[u8]) -> bool {
    if value.is_empty() || value.len() > MAX_HOST_LEN {
        return false;
    }
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((literal, after)) = rest.split_once(']') else {
            return false;
        };
        if literal.parse::<Ipv6Addr>().is_err() {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => (None, port),
                None => return false,
            },
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (Some(host), port),
            None => (Some(text), ""),
        }
    };
    let port_ok = if port.is_empty() {
        !text.ends_with(':')
    } else {
        port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| p <= 65535)
    };
    if !port_ok {
        return false;
    }
    match host {
        None => true,
        Some(host) => {
            !host.is_empty()
                && (host.parse::<Ipv4Addr>().is_ok()
                    || host.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
                    }))
        }
    }
}

/// The base URL of a WSDL's `soap:address`: `public_url` without a trailing `/` when set;
/// else the connection's scheme (`https` on a TLS listener, `http` otherwise) and the
/// request's single, valid `Host`; else that scheme and the address the connection was
/// accepted on; else `http://localhost`.
pub fn base_url(
    public_url: Option<&str>,
    headers: &HeaderMap,
    server: Option<ServerAddr>,
) -> String {
    if let Some(url) = public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (Some(h), None) if is_valid_host(h.as_bytes()) => h.to_str().ok().map(str::to_owned),
        _ => None,
    };
    let scheme = if server.is_some_and(|s| s.https) {
        "https"
    } else {
        "http"
    };
    match (host, server) {
        (Some(h), _) => format!("{scheme}://{h}"),
        (None, Some(s)) => format!("{scheme}://{}", s.addr),
        (None, None) => "http://localhost".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn accepts_names_addresses_and_ports() {
        for ok in [
            "crm.example.com",
            "crm.example.com:8080",
            "localhost",
            "a_b-c.d~e",
            "127.0.0.1",
            "127.0.0.1:0",
            "10.0.0.1:65535",
            "[::1]",
            "[::1]:8080",
            "[2001:db8::1]:443",
        ] {
            assert!(is_valid_host(ok.as_bytes()), "{ok} was refused");
        }
    }

    #[test]
    fn refuses_anything_else() {
        let long = "a".repeat(MAX_HOST_LEN + 1);
        for bad in [
            "",
            ":80",
            "host:",
            "host:65536",
            "host:123456",
            "host:8o",
            "host:+80",
            "a:b:c",
            "::1",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[not-v6]:80",
            "evil.example/path",
            "evil.example\"><x",
            "user@host",
            "a b",
            "a&b",
            "a'b",
            "%41",
            "h\u{e9}te",
            long.as_str(),
        ] {
            assert!(!is_valid_host(bad.as_bytes()), "{bad:?} was accepted");
        }
        assert!(!is_valid_host(b"a\xff"));
        assert!(!is_valid_host(b"a\0b"));
    }

    fn headers(hosts: &[&[u8]]) -> Result<HeaderMap, axum::http::header::InvalidHeaderValue> {
        let mut map = HeaderMap::new();
        for h in hosts {
            map.append(header::HOST, HeaderValue::from_bytes(h)?);
        }
        Ok(map)
    }

    #[test]
    fn base_url_prefers_public_url_then_a_valid_host_then_the_server_address(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let server = Some(ServerAddr {
            addr: "127.0.0.1:8080".parse()?,
            https: false,
        });
        let good = headers(&[b"crm.example.com:81"])?;
        assert_eq!(
            base_url(Some("https://crm.example.com/"), &good, server),
            "https://crm.example.com"
        );
        assert_eq!(base_url(None, &good, server), "http://crm.example.com:81");
        let tls = server.map(|s| ServerAddr { https: true, ..s });
        assert_eq!(base_url(None, &good, tls), "https://crm.example.com:81");
        assert_eq!(
            base_url(None, &headers(&[])?, tls),
            "https://127.0.0.1:8080"
        );
        for bad in [
            headers(&[b"evil\"><x"])?,
            headers(&[b"a.example", b"b.example"])?,
            headers(&[])?,
        ] {
            assert_eq!(base_url(None, &bad, server), "http://127.0.0.1:8080");
            assert_eq!(base_url(None, &bad, None), "http://localhost");
        }
        Ok(())
    }
}
