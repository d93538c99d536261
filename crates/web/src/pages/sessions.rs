//! "My sessions": every live session of the person, whatever front end made it, with
//! "sign out this one" and "sign out everywhere else".

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use passgate_core::store::OwnSessions;
use passgate_core::Timestamp;
use serde::Serialize;

use crate::errors;
use crate::render::see_other;
use crate::text::text;
use crate::Web;

/// One row of the table.
#[derive(Serialize)]
struct Row {
    id: String,
    front_end: &'static str,
    created: String,
    created_iso: String,
    last_used: String,
    last_used_iso: String,
    address: String,
    agent: String,
    current: bool,
}

/// `2027-01-15 08:00 UTC` and its ISO 8601 form for `<time datetime>`.
fn when(t: Timestamp) -> (String, String) {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    let dt = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000).ok();
    let shown = dt.and_then(|d| d.format(&fmt).ok());
    (shown.unwrap_or_default(), t.to_rfc3339())
}

/// The list.
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
    let listed = match web.core.own_sessions(principal).await {
        Ok(l) => l,
        Err(e) => return errors::page(&web, &visit, e),
    };
    let unknown = text("unknown");
    let rows: Vec<Row> = listed
        .iter()
        .map(|s| {
            let (created, created_iso) = when(s.session.created_at);
            let (last_used, last_used_iso) = when(s.session.last_seen_at);
            let kind = s.session.kind.as_str();
            Row {
                id: s.session.id.to_string(),
                front_end: match kind {
                    "web" => text("kind_web"),
                    "soap_ticket" => text("kind_soap_ticket"),
                    _ => text("kind_rest_session"),
                },
                created,
                created_iso,
                last_used,
                last_used_iso,
                address: s.client_addr.clone().unwrap_or_else(|| unknown.to_owned()),
                agent: s.user_agent.clone().unwrap_or_else(|| unknown.to_owned()),
                current: s.session.id == principal.session_id,
            }
        })
        .collect();
    let others = rows.iter().any(|r| !r.current);
    let notice = super::query(&parts, "notice").and_then(|k| super::home::notice_text(&k));
    web.pages.render(
        &visit,
        StatusCode::OK,
        "sessions.html",
        context! { title => text("sessions_title"), active => "sessions", rows, others, notice },
    )
}

/// Ends one session (`action=one`, `id=...`) or all but this one (`action=others`).
pub(crate) async fn end(State(web): State<Web>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let visit = match super::visit(&web, &parts).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let principal = match super::signed_in(&visit) {
        Ok(p) => p.clone(),
        Err(r) => return r,
    };
    let form = match super::form(&web, &visit, &parts, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let which = match (form.text("action"), uuid::Uuid::parse_str(form.text("id"))) {
        ("others", _) => OwnSessions::AllBut(principal.session_id),
        ("one", Ok(id)) if id == principal.session_id => {
            // Ending the current session is signing out.
            return super::signin::sign_out_now(&web, &visit).await;
        }
        ("one", Ok(id)) => OwnSessions::One(id),
        _ => return errors::bad_form(&web, &visit),
    };
    match web
        .core
        .end_own_sessions(&visit.ctx, &principal, which)
        .await
    {
        Ok(n) => {
            let notice = match (which, n) {
                (OwnSessions::AllBut(_), _) => "ended_others",
                (OwnSessions::One(_), 0) => "ended_none",
                (OwnSessions::One(_), _) => "ended_one",
            };
            see_other(&format!("/account/sessions?notice={notice}"))
        }
        Err(e) => errors::page(&web, &visit, e),
    }
}
