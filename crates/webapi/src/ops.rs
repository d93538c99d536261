//! The User agent's password operations, each a thin call into the core service its SOAP
//! twin uses (same permissions, policy, throttling, audit and session revocation).

use passgate_core::domain::{AssociateId, Password};
use passgate_core::service::{ChangeOutcome, Principal, UserRef};
use passgate_core::{Core, CoreError, RequestContext};
use serde_json::Value;

use crate::body::{BodyError, Fields};
use crate::reply::Reply;

/// One operation: name, parameters and result (for GET descriptions and `/v1`).
pub struct OpDef {
    /// Name, as in the URL.
    pub name: &'static str,
    /// Body properties.
    pub params: &'static str,
    /// Result type.
    pub returns: &'static str,
    /// What it does.
    pub description: &'static str,
}

const fn op(
    name: &'static str,
    params: &'static str,
    returns: &'static str,
    description: &'static str,
) -> OpDef {
    OpDef {
        name,
        params,
        returns,
        description,
    }
}

/// Every operation of `Agents/User` that passgate serves.
pub const OPS: &[OpDef] = &[
    op("ChangeOwnPassword", "OldPassword, NewPassword", "bool", "Changes the caller's password; false when the old password is wrong."),
    op("ChangePassword", "AssociateId, OldPassword, NewPassword", "bool", "Changes a user's password (another user: administrators; a blank OldPassword forces a new one)."),
    op("ChangePasswordFromName", "AssociateName, OldPassword, NewPassword", "bool", "ChangePassword by user name."),
    op("SetPassword", "AssociateId, Password", "bool", "Sets a password (another user: administrators; that user must change it at next login)."),
    op("SetPasswordFromName", "AssociateName, Password", "bool", "SetPassword by user name."),
    op("SetGeneratedPassword", "AssociateId", "string", "Sets a generated password and returns it once."),
    op("SetGeneratedPasswordFromName", "AssociateName", "string", "SetGeneratedPassword by user name."),
    op("GenerateNewPasswordForExternalUser", "AssociateName", "string", "Sets a generated password for the named user and returns it once."),
    op("IsPasswordValid", "AssociateId, Type, PersonId, Password", "bool", "Whether the password satisfies the policy for the user; changes nothing."),
    op("IsPasswordValidWithReason", "AssociateId, Type, PersonId, Password", "UserValidationResult", "IsPasswordValid with the reasons."),
    op("CanChangePassword", "AssociateId", "bool", "Whether the caller may change the user's password."),
    op("GetSupportedChangePasswordTypes", "AssociateId", "string[]", "How the user's password can be changed: Password, and Email when reset mail is configured."),
    op("SendChangePasswordEMail", "AssociateId", "OperationResult", "Sends the user a password reset link by e-mail."),
];

/// The operation named `name` (case-insensitively).
pub fn by_name(name: &str) -> Option<&'static OpDef> {
    OPS.iter().find(|o| o.name.eq_ignore_ascii_case(name))
}

/// What a successful call returns: the reply and the metric outcome (`ok`, or `false` for
/// a business "no").
pub type Done = (Reply, &'static str);

/// Runs `op` for `principal` with the request's `fields`.
pub async fn run(
    core: &Core,
    op: &OpDef,
    fields: &Fields,
    principal: &Principal,
    ctx: &RequestContext,
) -> Result<Done, CoreError> {
    let s = |n| fields.string(n).map_err(bad);
    match op.name {
        "ChangeOwnPassword" => {
            let old = Password::new(s("OldPassword")?);
            let new = Password::new(s("NewPassword")?);
            let outcome = core.change_own_password(ctx, principal, old, new).await?;
            Ok(changed(outcome))
        }
        "ChangePassword" | "ChangePasswordFromName" => {
            let target = Named::of(op.name, fields)?;
            let old = Password::new(s("OldPassword")?);
            let new = Password::new(s("NewPassword")?);
            let outcome = core
                .change_password_for(ctx, principal, target.as_ref(), old, new)
                .await?;
            Ok(changed(outcome))
        }
        "SetPassword" | "SetPasswordFromName" => {
            let target = Named::of(op.name, fields)?;
            let new = Password::new(s("Password")?);
            core.set_password_for(ctx, principal, target.as_ref(), new)
                .await?;
            Ok((Reply::Bool(true), "ok"))
        }
        "SetGeneratedPassword"
        | "SetGeneratedPasswordFromName"
        | "GenerateNewPasswordForExternalUser" => {
            let target = Named::of(op.name, fields)?;
            let password = core
                .set_generated_password_for(ctx, principal, target.as_ref())
                .await?;
            Ok((Reply::Str(password.expose().to_owned()), "ok"))
        }
        "IsPasswordValid" | "IsPasswordValidWithReason" => {
            let target = associate(fields)?;
            let password = Password::new(s("Password")?);
            let failures = core.validate_password(principal, target, &password).await?;
            let valid = failures.is_empty();
            let outcome = if valid { "ok" } else { "false" };
            if op.name == "IsPasswordValid" {
                return Ok((Reply::Bool(valid), outcome));
            }
            let reason = failures
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let reply = Reply::Object(
                "UserValidationResult",
                vec![
                    ("Reason", Value::from(reason)),
                    ("Result", Value::Bool(valid)),
                    ("TableRight", Value::Null),
                    ("FieldProperties", Value::Object(Default::default())),
                ],
            );
            Ok((reply, outcome))
        }
        "CanChangePassword" => {
            let target = Named::of(op.name, fields)?;
            let can = core
                .changeable_user(principal, target.as_ref())
                .await?
                .is_some();
            Ok((Reply::Bool(can), if can { "ok" } else { "false" }))
        }
        "GetSupportedChangePasswordTypes" => {
            let target = Named::of(op.name, fields)?;
            let mut types = Vec::new();
            if let Some(user) = core.changeable_user(principal, target.as_ref()).await? {
                types.push("Password".to_owned());
                if crate::mail::reset_page(core).is_some() && user.email.is_some() {
                    types.push("Email".to_owned());
                }
            }
            Ok((Reply::Strings(types), "ok"))
        }
        "SendChangePasswordEMail" => {
            let target = Named::of(op.name, fields)?;
            crate::mail::send_change_password_email(core, ctx, principal, target.as_ref()).await
        }
        other => Err(CoreError::Internal(format!(
            "operation {other} is listed but not dispatched"
        ))),
    }
}

fn changed(outcome: ChangeOutcome) -> Done {
    let ok = outcome == ChangeOutcome::Changed;
    (Reply::Bool(ok), if ok { "ok" } else { "false" })
}

fn bad(e: BodyError) -> CoreError {
    CoreError::InvalidInput(e.to_string())
}

/// `AssociateId` for IsPasswordValid: 0 (or absent) means the caller.
fn associate(fields: &Fields) -> Result<Option<AssociateId>, CoreError> {
    match fields.int("AssociateId").map_err(bad)? {
        0 => Ok(None),
        id => AssociateId::new(id)
            .map(Some)
            .map_err(|_| CoreError::InvalidInput("AssociateId must be positive".into())),
    }
}

/// The user an operation names: `AssociateId` (0 = the caller) or `AssociateName`.
enum Named {
    Associate(i32),
    Name(String),
}

impl Named {
    fn of(op: &str, fields: &Fields) -> Result<Named, CoreError> {
        if op.ends_with("FromName") || op == "GenerateNewPasswordForExternalUser" {
            let name = fields.string("AssociateName").map_err(bad)?;
            if name.is_empty() {
                return Err(CoreError::InvalidInput("AssociateName is required".into()));
            }
            return Ok(Named::Name(name));
        }
        let id = fields.int("AssociateId").map_err(bad)?;
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
