//! `User.svc` password operations.

use passgate_core::domain::{AssociateId, Password};
use passgate_core::service::{ChangeOutcome, UserRef};
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

/// The user an admin operation names: `AssociateId` (0 = the caller) or `AssociateName`.
enum Named {
    Associate(i32),
    Name(String),
}

impl Named {
    fn of(env: &Envelope) -> Result<Named, CoreError> {
        let by_name = env.operation.ends_with("FromName")
            || env.operation == "GenerateNewPasswordForExternalUser";
        if by_name {
            let name = env.string("AssociateName");
            if name.is_empty() {
                return Err(CoreError::InvalidInput("AssociateName is required".into()));
            }
            return Ok(Named::Name(name));
        }
        let id = env.int("AssociateId").map_err(CoreError::InvalidInput)?;
        if id < 0 {
            return Err(CoreError::InvalidInput(
                "AssociateId must not be negative".into(),
            ));
        }
        Ok(Named::Associate(id))
    }

    fn as_ref(&self) -> UserRef<'_> {
        match self {
            Named::Associate(id) => UserRef::Associate(*id),
            Named::Name(n) => UserRef::Name(n),
        }
    }
}

/// `ChangePassword(AssociateId, OldPassword, NewPassword)` and
/// `ChangePasswordFromName(AssociateName, …)` → bool. On oneself: `ChangeOwnPassword`. An
/// administrator may leave `OldPassword` blank to force a new password on another user.
pub async fn change_password(
    core: &Core,
    env: &Envelope,
    ctx: &RequestContext,
) -> Result<OpResult, CoreError> {
    let principal = core.resolve_session(env.ticket.as_deref()).await?;
    let target = Named::of(env)?;
    let old = Password::new(env.string("OldPassword"));
    let new = Password::new(env.string("NewPassword"));
    let outcome = core
        .change_password_for(ctx, &principal, target.as_ref(), old, new)
        .await?;
    let ok = outcome == ChangeOutcome::Changed;
    Ok(OpResult {
        body: bool_body(&env.operation, ok),
        outcome: if ok { "ok" } else { "false" },
    })
}

/// `SetPassword(AssociateId, Password)` and `SetPasswordFromName(AssociateName, Password)` →
/// true. Another user needs the admin role and must change the password at next login.
pub async fn set_password(
    core: &Core,
    env: &Envelope,
    ctx: &RequestContext,
) -> Result<OpResult, CoreError> {
    let principal = core.resolve_session(env.ticket.as_deref()).await?;
    let target = Named::of(env)?;
    let new = Password::new(env.string("Password"));
    core.set_password_for(ctx, &principal, target.as_ref(), new)
        .await?;
    Ok(OpResult {
        body: bool_body(&env.operation, true),
        outcome: "ok",
    })
}

/// `SetGeneratedPassword(AssociateId)`, `SetGeneratedPasswordFromName(AssociateName)` and
/// `GenerateNewPasswordForExternalUser(AssociateName)` → the generated password (string),
/// returned once.
pub async fn set_generated_password(
    core: &Core,
    env: &Envelope,
    ctx: &RequestContext,
) -> Result<OpResult, CoreError> {
    let principal = core.resolve_session(env.ticket.as_deref()).await?;
    let target = Named::of(env)?;
    let password = core
        .set_generated_password_for(ctx, &principal, target.as_ref())
        .await?;
    let op = &env.operation;
    let mut body = format!(r#"<{op}Response xmlns="{TNS}">"#);
    element(&mut body, "Response", password.expose());
    body.push_str(&format!("</{op}Response>"));
    Ok(OpResult {
        body,
        outcome: "ok",
    })
}
