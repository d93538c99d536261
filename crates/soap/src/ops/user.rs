//! `User.svc` password operations.

use passgate_core::domain::{AssociateId, Password};
use passgate_core::service::ChangeOutcome;
use passgate_core::{Core, CoreError, RequestContext};

use super::OpResult;
use crate::envelope::Envelope;
use crate::reply::element;
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

/// The `AssociateId` parameter: 0 (or absent) means the caller.
fn target_associate(env: &Envelope) -> Result<Option<AssociateId>, CoreError> {
    let id = env.int("AssociateId").map_err(CoreError::InvalidInput)?;
    if id == 0 {
        return Ok(None);
    }
    AssociateId::new(id)
        .map(Some)
        .map_err(|_| CoreError::InvalidInput("AssociateId must be positive".into()))
}

/// `IsPasswordValid(AssociateId, Type, PersonId, Password) -> bool` and
/// `IsPasswordValidWithReason(...) -> UserValidationResult{Reason, Result}`: the policy
/// verdict for the user (0 = the caller; another user needs the admin role), changing nothing.
/// `Type` and `PersonId` (external users) are accepted and ignored.
pub async fn is_password_valid(
    core: &Core,
    env: &Envelope,
    with_reason: bool,
) -> Result<OpResult, CoreError> {
    let principal = core.resolve_session(env.ticket.as_deref()).await?;
    let target = target_associate(env)?;
    let password = Password::new(env.string("Password"));
    let failures = core
        .validate_password(&principal, target, &password)
        .await?;
    let valid = failures.is_empty();
    let outcome = if valid { "ok" } else { "false" };
    if !with_reason {
        return Ok(OpResult {
            body: bool_body("IsPasswordValid", valid),
            outcome,
        });
    }
    let reason = failures
        .iter()
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let mut body = format!(r#"<IsPasswordValidWithReasonResponse xmlns="{TNS}"><Response>"#);
    element(&mut body, "Reason", &reason);
    element(&mut body, "Result", if valid { "true" } else { "false" });
    body.push_str("</Response></IsPasswordValidWithReasonResponse>");
    Ok(OpResult { body, outcome })
}
