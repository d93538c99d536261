//! `User.svc` password operations.

use passgate_core::domain::Password;
use passgate_core::service::ChangeOutcome;
use passgate_core::{Core, CoreError, RequestContext};

use super::OpResult;
use crate::envelope::Envelope;
use crate::TNS;

fn bool_body(op: &str, value: bool) -> String {
    format!(r#"<{op}Response xmlns="{TNS}"><Response>{value}</Response></{op}Response>"#)
}

/// `ChangeOwnPassword(OldPassword, NewPassword) -> bool` for the ticket's user. A wrong old
/// password answers `false` with `Succeeded` true (it counts as a failed attempt).
pub async fn change_own_password(
    core: &Core,
    env: &Envelope,
    ctx: &RequestContext,
) -> Result<OpResult, CoreError> {
    // Under overload, refuse before the session lookup.
    core.check_hashing_room()?;
    let principal = core.resolve_session(env.ticket.as_deref()).await?;
    let old = Password::new(env.string("OldPassword"));
    let new = Password::new(env.string("NewPassword"));
    let outcome = core.change_own_password(ctx, &principal, old, new).await?;
    let ok = outcome == ChangeOutcome::Changed;
    Ok(OpResult {
        body: bool_body("ChangeOwnPassword", ok),
        outcome: if ok { "ok" } else { "false" },
    })
}
