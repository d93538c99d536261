//! The breached-password range API: `GET /range/{first five hex digits of a SHA-1}`, in the
//! format of Have I Been Pwned's Pwned Passwords range API, answered from passgate's own
//! offline index, so that other applications of the organisation (Keycloak's HIBP policy
//! plug-ins, password managers, scripts) can check passwords against the same corpus with
//! k-anonymity and without sending anything to the internet.
//!
//! - Each line is `SUFFIX:COUNT\r\n`: the 35 remaining hex digits (upper case) and how often
//!   the password was seen. A prefix with no hash answers 200 with an empty body.
//! - `Add-Padding: true` pads the answer with random suffixes of count 0 up to a random
//!   length between 800 and 1,000 lines (as HIBP does), so that the answer's size does not
//!   tell an observer which prefix was asked for.
//! - A prefix that is not exactly five hex digits gets 400 `The hash prefix was not in a
//!   valid format`; a client outside `breach.range_allow` gets 403.
//! - `Cache-Control: public, max-age=86400`: the index only changes when an operator
//!   rebuilds it.
//! - Off unless `breach.range_api = true`, which needs an index built with `--full-hashes`.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use passgate_core::credential::breach::BreachIndex;
use passgate_core::metrics::ClientInfo;
use rand::Rng;

/// An IP network, `address/length` (or a single address). Parsed by hand: this needs an
/// address, a length and a mask comparison, which `std::net` covers without another crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    len: u8,
}

impl std::str::FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, len) = match s.trim().split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an address or network like 10.0.0.0/8"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match len {
            None => max,
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Network { addr, len })
    }
}

impl Network {
    /// Whether `ip` is in the network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let mask = |bits: u32, len: u8| -> u128 {
            if len == 0 {
                0
            } else {
                (!0u128 << (bits - u32::from(len))) & (!0u128 >> (128 - bits))
            }
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let m = mask(32, self.len);
                u128::from(u32::from(n)) & m == u128::from(u32::from(a)) & m
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let m = mask(128, self.len);
                u128::from(n) & m == u128::from(a) & m
            }
            _ => false,
        }
    }
}

#[derive(Clone)]
struct RangeState {
    index: Arc<BreachIndex>,
    allow: Arc<[Network]>,
}

/// The `/range/{prefix}` route; `allow` empty lets every client in.
pub fn router(index: Arc<BreachIndex>, allow: Vec<Network>) -> Router {
    Router::new()
        .route("/range/{prefix}", get(range))
        .with_state(RangeState {
            index,
            allow: allow.into(),
        })
}

/// Parses exactly five hex digits.
fn prefix(text: &str) -> Option<u32> {
    (text.len() == 5 && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u32::from_str_radix(text, 16).ok())
        .flatten()
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(CONTENT_TYPE, "text/plain")], text).into_response()
}

async fn range(
    State(state): State<RangeState>,
    Path(text): Path<String>,
    client: Option<Extension<ClientInfo>>,
    headers: HeaderMap,
) -> Response {
    if !state.allow.is_empty() {
        let ip = client
            .and_then(|Extension(c)| c.addr)
            .and_then(|a| a.parse::<IpAddr>().ok());
        if !ip.is_some_and(|ip| state.allow.iter().any(|n| n.contains(ip))) {
            return plain(StatusCode::FORBIDDEN, "Forbidden");
        }
    }
    let Some(prefix) = prefix(&text) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "The hash prefix was not in a valid format",
        );
    };
    let index = Arc::clone(&state.index);
    let found = tokio::task::spawn_blocking(move || index.range(prefix)).await;
    let entries = match found {
        Ok(Ok(entries)) => entries,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "breach range lookup failed");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
        Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    };
    let padding = headers
        .get("add-padding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let body = render(&entries, padding);
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    res
}

/// The answer's lines: each hash's last 35 hex digits and its count, padded on request.
fn render(entries: &[([u8; 20], u32)], padding: bool) -> String {
    let mut lines: Vec<(String, u32)> = entries
        .iter()
        .map(|(hash, count)| (suffix(hash), *count))
        .collect();
    if padding {
        let mut rng = rand::thread_rng();
        let target = rng.gen_range(800..=1000).max(lines.len());
        while lines.len() < target {
            let mut fake = [0u8; 20];
            rng.fill(&mut fake[..]);
            lines.push((suffix(&fake), 0));
        }
        lines.sort();
        lines.dedup_by(|a, b| a.0 == b.0);
    }
    let mut body = String::with_capacity(lines.len() * 42);
    for (s, c) in lines {
        body.push_str(&s);
        body.push(':');
        body.push_str(&c.to_string());
        body.push_str("\r\n");
    }
    body
}

fn suffix(hash: &[u8; 20]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(35);
    for i in 5..40 {
        let byte = hash[i / 2];
        let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0xF };
        s.push(char::from(HEX[usize::from(nibble)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_parse_and_match() -> Result<(), String> {
        let n: Network = "10.0.0.0/8".parse()?;
        assert!(n.contains("10.1.2.3".parse().map_err(|_| "ip")?));
        assert!(!n.contains("11.0.0.1".parse().map_err(|_| "ip")?));
        assert!(n.contains("::ffff:10.9.9.9".parse().map_err(|_| "ip")?));
        let one: Network = "127.0.0.1".parse()?;
        assert!(one.contains("127.0.0.1".parse().map_err(|_| "ip")?));
        assert!(!one.contains("127.0.0.2".parse().map_err(|_| "ip")?));
        let v6: Network = "fd00::/8".parse()?;
        assert!(v6.contains("fd12::1".parse().map_err(|_| "ip")?));
        let all: Network = "0.0.0.0/0".parse()?;
        assert!(all.contains("8.8.8.8".parse().map_err(|_| "ip")?));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        assert!("example.com".parse::<Network>().is_err());
        Ok(())
    }

    #[test]
    fn prefixes_and_suffixes() {
        assert_eq!(prefix("21BD1"), Some(0x21BD1));
        assert_eq!(prefix("21bd1"), Some(0x21BD1));
        assert_eq!(prefix("21BD"), None);
        assert_eq!(prefix("21BD12"), None);
        assert_eq!(prefix("21BDZ"), None);
        assert_eq!(prefix("+21BD"), None);
        let mut h = [0u8; 20];
        h[0] = 0x21;
        h[1] = 0xBD;
        h[2] = 0x1A;
        h[19] = 0xFF;
        let s = suffix(&h);
        assert_eq!(s.len(), 35);
        assert!(s.starts_with("A000"));
        assert!(s.ends_with("FF"));
    }

    #[test]
    fn padding_fills_to_800_to_1000_lines_of_count_zero() {
        let body = render(&[([0x11; 20], 5)], true);
        let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert!((800..=1000).contains(&lines.len()), "{}", lines.len());
        assert!(lines.contains(&format!("{}:5", suffix(&[0x11; 20])).as_str()));
        assert_eq!(
            lines.iter().filter(|l| l.ends_with(":0")).count(),
            lines.len() - 1
        );
        assert_eq!(render(&[], false), "");
    }
}
