//! The overview page, redirects, and "not found".

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

use crate::render::see_other;
use crate::text::text;
use crate::Web;

/// `/account` → `/account/`.
pub(crate) async fn redirect_slash() -> Response {
    see_other("/account/")
}

/// `/.well-known/change-password` (W3C): password managers open the change page from it.
pub(crate) async fn well_known_change_password() -> Response {
    see_other("/account/password")
}

/// The overview: links to the other pages (sign-in when signed out, the change page when
/// the password must be changed).
pub(crate) async fn show(State(web): State<Web>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let principal = match super::signed_in(&visit) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if principal.user.must_change_password {
        return see_other("/account/password");
    }
    let notice = super::query(&parts, "notice").and_then(|k| notice_text(&k));
    web.pages.render(
        &visit,
        StatusCode::OK,
        "home.html",
        context! { title => text("home_title"), active => "home", notice },
    )
}

/// Any other path under `/account/`.
pub(crate) async fn not_found(State(web): State<Web>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    web.pages.render(
        &visit,
        StatusCode::NOT_FOUND,
        "message.html",
        context! { title => text("not_found"), error => text("not_found") },
    )
}

/// The notices a redirect may ask a page to show (`?notice=KEY`); anything else shows
/// nothing, so no text can be injected through the URL.
pub(crate) fn notice_text(key: &str) -> Option<&'static str> {
    const NOTICES: [&str; 6] = [
        "changed",
        "signed_out",
        "ended_one",
        "ended_none",
        "ended_others",
        "reset_done",
    ];
    NOTICES.iter().find(|k| **k == key).map(|k| text(k))
}
