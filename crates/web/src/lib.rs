//! passgate-web: the self-service pages under `/account/`, served by passgate itself.
//!
//! Sign in and out, change the password (with the server's own policy explained per rule
//! while typing), the forced-change flow, "my sessions", and password reset by e-mail. The
//! pages are rendered on the server from templates compiled into the binary and work
//! without JavaScript; one small script (served from `/account/static/`) adds live policy
//! feedback, a strength meter and a show-password toggle. Web sessions are rows of the same
//! session table as SOAP tickets and REST sessions, so every password change, reset, lock
//! and CLI revocation ends them alike. See docs/web.md.

mod assets;
pub mod cookies;
pub mod csrf;
mod errors;
pub mod form;
mod headers;
mod pages;
mod render;
mod rules;
pub mod text;
mod visit;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use passgate_core::Core;

pub use cookies::CookieNames;

/// Where the pages live.
pub const BASE: &str = "/account";

/// Settings of the pages, typed and validated by the binary's configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Name of the installation, shown in the header and titles.
    pub system_name: String,
    /// Whether clients reach the pages over HTTPS (TLS here or at a proxy): cookies get
    /// `Secure` and the `__Host-` prefix, and responses carry HSTS.
    pub secure: bool,
    /// Absolute URL of this server's `/account/reset` page, the base of the links in reset
    /// mails (None: no public URL is known, so "forgot password" is not offered).
    pub reset_url: Option<String>,
    /// A logo to show instead of the built-in one: its bytes and content type.
    pub logo: Option<(Vec<u8>, String)>,
}

/// Shared state of the handlers.
#[derive(Clone)]
pub(crate) struct Web {
    core: Arc<Core>,
    config: Arc<WebConfig>,
    cookies: Arc<CookieNames>,
    pages: Arc<render::Pages>,
}

/// Why the pages could not be set up (a template failed to compile: a build defect).
#[derive(Debug)]
pub struct WebError(String);

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "web pages: {}", self.0)
    }
}

impl std::error::Error for WebError {}

/// The routes of the pages (`/account/...` and `/.well-known/change-password`), with their
/// security headers.
pub fn router(core: Arc<Core>, config: WebConfig) -> Result<Router, WebError> {
    let pages = render::Pages::new(&config).map_err(|e| WebError(e.to_string()))?;
    let secure = config.secure;
    let state = Web {
        core,
        cookies: Arc::new(CookieNames::new(config.secure)),
        config: Arc::new(config),
        pages: Arc::new(pages),
    };
    let account = Router::new()
        .route("/account", get(pages::home::redirect_slash))
        .route("/account/", get(pages::home::show))
        .route(
            "/account/signin",
            get(pages::signin::show).post(pages::signin::submit),
        )
        .route("/account/signout", post(pages::signin::sign_out))
        .route(
            "/account/password",
            get(pages::password::show).post(pages::password::submit),
        )
        .route("/account/password/check", post(pages::password::check))
        .route(
            "/account/sessions",
            get(pages::sessions::show).post(pages::sessions::end),
        )
        .route(
            "/account/forgot",
            get(pages::reset::show_forgot).post(pages::reset::submit_forgot),
        )
        .route(
            "/account/reset",
            get(pages::reset::show_reset).post(pages::reset::submit_reset),
        )
        .route("/account/reset/check", post(pages::reset::check))
        .route("/account/static/{name}", get(assets::serve))
        .route(
            "/.well-known/change-password",
            get(pages::home::well_known_change_password),
        )
        .route(
            "/account/{*rest}",
            get(pages::home::not_found).post(pages::home::not_found),
        )
        .with_state(state);
    let account = account.layer(axum::middleware::from_fn(headers::security_headers));
    Ok(if secure {
        account.layer(axum::middleware::from_fn(headers::hsts))
    } else {
        account
    })
}
