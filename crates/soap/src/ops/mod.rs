//! The implemented operations, one file per service, and the dispatch table.

mod principal;
mod user;

use passgate_core::{Core, CoreError, RequestContext};

use crate::envelope::Envelope;
use crate::TNS;

/// Which `.svc` a request was posted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `User.svc`.
    User,
    /// `SoPrincipal.svc`.
    SoPrincipal,
}

impl Service {
    /// Contract name, as in action URIs.
    pub fn contract(self) -> &'static str {
        match self {
            Service::User => "User",
            Service::SoPrincipal => "SoPrincipal",
        }
    }

    /// Operations passgate implements on this service (the WSDL advertises exactly these).
    pub fn implemented(self) -> &'static [&'static str] {
        match self {
            Service::User => &[
                "ChangeOwnPassword",
                "ChangePassword",
                "ChangePasswordFromName",
                "SetPassword",
                "SetPasswordFromName",
                "SetGeneratedPassword",
                "SetGeneratedPasswordFromName",
                "GenerateNewPasswordForExternalUser",
                "IsPasswordValid",
                "IsPasswordValidWithReason",
            ],
            Service::SoPrincipal => &["AuthenticateUsernamePassword", "GetSystemInfo"],
        }
    }

    /// Every operation of the original WSDL of this service.
    pub fn original(self) -> &'static [&'static str] {
        match self {
            Service::User => crate::wsdl::USER_ORIGINAL_OPERATIONS,
            Service::SoPrincipal => crate::wsdl::SOPRINCIPAL_ORIGINAL_OPERATIONS,
        }
    }

    /// The action URI of `op`.
    pub fn action(self, op: &str) -> String {
        format!("{TNS}/{}/{op}", self.contract())
    }
}

/// The body element a failed call still carries (`Response` false where it is a boolean).
pub fn failure_body(op: &str) -> String {
    match op {
        "AuthenticateUsernamePassword" => format!(
            r#"<AuthenticateResponse xmlns="{TNS}"><AuthenticationSucceeded>false</AuthenticationSucceeded></AuthenticateResponse>"#
        ),
        "ChangeOwnPassword"
        | "IsPasswordValid"
        | "ChangePassword"
        | "ChangePasswordFromName"
        | "SetPassword"
        | "SetPasswordFromName" => {
            format!(r#"<{op}Response xmlns="{TNS}"><Response>false</Response></{op}Response>"#)
        }
        _ => format!(r#"<{op}Response xmlns="{TNS}"/>"#),
    }
}

/// What an operation produced.
pub struct OpResult {
    /// Serialised body element.
    pub body: String,
    /// Outcome label for metrics: `ok` or `false` (a business "no", e.g. wrong password).
    pub outcome: &'static str,
}

/// Runs an implemented operation. The caller has checked that `service` implements `op`.
pub async fn run(
    core: &Core,
    service: Service,
    env: &Envelope,
    ctx: &RequestContext,
    system_name: &str,
) -> Result<OpResult, CoreError> {
    match (service, env.operation.as_str()) {
        (Service::SoPrincipal, "AuthenticateUsernamePassword") => {
            principal::authenticate_username_password(core, env, ctx).await
        }
        (Service::SoPrincipal, "GetSystemInfo") => Ok(principal::get_system_info(system_name)),
        (Service::User, "ChangeOwnPassword") => user::change_own_password(core, env, ctx).await,
        (Service::User, "ChangePassword" | "ChangePasswordFromName") => {
            user::change_password(core, env, ctx).await
        }
        (Service::User, "SetPassword" | "SetPasswordFromName") => {
            user::set_password(core, env, ctx).await
        }
        (
            Service::User,
            "SetGeneratedPassword"
            | "SetGeneratedPasswordFromName"
            | "GenerateNewPasswordForExternalUser",
        ) => user::set_generated_password(core, env, ctx).await,
        (Service::User, "IsPasswordValid") => user::is_password_valid(core, env, false).await,
        (Service::User, "IsPasswordValidWithReason") => {
            user::is_password_valid(core, env, true).await
        }
        (_, other) => Err(CoreError::Internal(format!(
            "operation {other} dispatched but not implemented"
        ))),
    }
}
