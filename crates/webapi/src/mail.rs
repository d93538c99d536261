//! `SendChangePasswordEMail` over the core's reset flow.
//!
//! The link in the mail points at the first entry of `reset.allowed_urls` (the WebAPI call
//! names no page, unlike Net3's `changePwdUrl`). The mail goes to the address on the account,
//! through [`Core::request_password_reset`], so it shares that flow's limits and audit; as
//! there, every account (at most two) with that address gets its own link.

use passgate_core::service::{Principal, UserRef};
use passgate_core::{Core, CoreError, RequestContext};
use serde_json::Value;

use crate::ops::Done;
use crate::reply::Reply;

/// The page reset links point at, when reset by e-mail is possible at all (mail configured
/// and at least one allowed URL).
pub fn reset_page(core: &Core) -> Option<&str> {
    if !core.config().mail.enabled {
        return None;
    }
    core.config().reset.allowed_urls.first().map(String::as_str)
}

fn result(success: bool, message: &str) -> Done {
    let reply = Reply::Object(
        "OperationResult",
        vec![
            ("Success", Value::Bool(success)),
            ("Message", Value::from(message)),
        ],
    );
    (reply, if success { "ok" } else { "false" })
}

/// Sends the target a reset link: `{"Success":true,"Message":""}`, or `Success` false with
/// why not (e-mail not configured, no reset page, no address on the account). Someone the
/// caller may not change is `AccessDenied`.
pub async fn send_change_password_email(
    core: &Core,
    ctx: &RequestContext,
    principal: &Principal,
    target: UserRef<'_>,
) -> Result<Done, CoreError> {
    let user = core
        .changeable_user(principal, target)
        .await?
        .ok_or(CoreError::AccessDenied)?;
    if !core.config().mail.enabled {
        return Ok(result(false, "E-mail is not configured on this server."));
    }
    let Some(page) = reset_page(core) else {
        return Ok(result(
            false,
            "No password reset page is configured on this server (reset.allowed_urls).",
        ));
    };
    let Some(email) = user.email.as_ref() else {
        return Ok(result(false, "The user has no e-mail address."));
    };
    match core.request_password_reset(ctx, email.as_str(), page).await {
        Ok(()) => Ok(result(true, "")),
        Err(CoreError::MailUnavailable) => {
            Ok(result(false, "E-mail is not configured on this server."))
        }
        Err(e) => Err(e),
    }
}
