//! The optional plain-HTTP listener of an HTTPS deployment (`tls.redirect_listen`): every
//! request is answered with a permanent redirect to the same path over HTTPS, except
//! `/healthz`, which answers as on the main listener (load balancers often probe over
//! plain HTTP). Nothing else is served there, so no password is ever accepted in clear.

use axum::extract::{Request, State};
use axum::http::header::{HOST, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// Where redirects point: `public_url` when it is https, else `https://` + the request's
/// host name + the HTTPS listener's port.
#[derive(Debug, Clone)]
struct Target {
    public_url: Option<String>,
    https_port: u16,
}

/// The redirecting router for an HTTPS listener on `https_port`.
pub fn router(public_url: Option<&str>, https_port: u16) -> Router {
    let target = Target {
        public_url: public_url
            .filter(|u| u.starts_with("https://"))
            .map(|u| u.trim_end_matches('/').to_owned()),
        https_port,
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .fallback(redirect)
        .with_state(target)
}

/// The host name of a valid `Host` value, without its port.
fn host_name(value: &str) -> &str {
    if value.starts_with('[') {
        return value
            .split_once(']')
            .map_or(value, |(h, _)| h)
            .trim_start_matches('[');
    }
    value.rsplit_once(':').map_or(value, |(h, _)| h)
}

async fn redirect(State(target): State<Target>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let base = match &target.public_url {
        Some(u) => u.clone(),
        None => {
            let mut hosts = req.headers().get_all(HOST).iter();
            let host = match (hosts.next(), hosts.next()) {
                (Some(h), None) if passgate_soap::host::is_valid_host(h.as_bytes()) => {
                    h.to_str().ok()
                }
                _ => None,
            };
            let Some(host) = host else {
                return (StatusCode::BAD_REQUEST, "Bad Request: invalid Host header")
                    .into_response();
            };
            let name = host_name(host);
            let name = if name.contains(':') {
                format!("[{name}]")
            } else {
                name.to_owned()
            };
            match target.https_port {
                443 => format!("https://{name}"),
                port => format!("https://{name}:{port}"),
            }
        }
    };
    match HeaderValue::from_str(&format!("{base}{path}")) {
        Ok(location) => {
            let mut res = StatusCode::PERMANENT_REDIRECT.into_response();
            res.headers_mut().insert(LOCATION, location);
            res
        }
        Err(_) => (StatusCode::BAD_REQUEST, "Bad Request").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_lose_their_port() {
        assert_eq!(host_name("id.example.com:8080"), "id.example.com");
        assert_eq!(host_name("id.example.com"), "id.example.com");
        assert_eq!(host_name("[::1]:80"), "::1");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
    }
}
