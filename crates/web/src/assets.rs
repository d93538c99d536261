//! The pages' own static files, compiled into the binary (no CDN, nothing fetched from
//! elsewhere), and the configured logo.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::Web;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/password.js");
const LOGO: &str = include_str!("../assets/logo.svg");

/// `/account/static/{name}`: `app.css`, `password.js`, `logo`.
pub(crate) async fn serve(State(web): State<Web>, Path(name): Path<String>) -> Response {
    let (body, kind): (Vec<u8>, String) = match name.as_str() {
        "app.css" => (CSS.as_bytes().to_vec(), "text/css; charset=utf-8".into()),
        "password.js" => (
            JS.as_bytes().to_vec(),
            "text/javascript; charset=utf-8".into(),
        ),
        "logo" => match &web.config.logo {
            Some((bytes, kind)) => (bytes.clone(), kind.clone()),
            None => (LOGO.as_bytes().to_vec(), "image/svg+xml".into()),
        },
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut res = body.into_response();
    if let Ok(v) = HeaderValue::from_str(&kind) {
        res.headers_mut().insert(CONTENT_TYPE, v);
    }
    res.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}
