//! The one mapping from [`CoreError`] to the SOAP error channel (CONTRACT.md §1).

use axum::http::StatusCode;
use passgate_core::CoreError;

use crate::reply::{ExceptionInfo, Fault};

/// How a core error is reported over SOAP.
pub enum SoapError {
    /// `Succeeded` false with this `ExceptionInfo` (HTTP 200).
    Exception(ExceptionInfo),
    /// A SOAP fault.
    Fault(Fault),
}

/// Maps a core error. Server-side failures are logged here with a correlation id, which is
/// all the client sees of them.
pub fn map_error(err: &CoreError, operation: &str) -> SoapError {
    let exception = |t: &'static str, message: String| {
        SoapError::Exception(ExceptionInfo {
            exception_type: t,
            message,
            parameters: Vec::new(),
        })
    };
    match err {
        CoreError::TicketInvalid => exception(
            "SoTicketInvalidException",
            "The ticket is missing, unknown, expired or revoked. Authenticate again with SoPrincipal.svc.".into(),
        ),
        CoreError::AccessDenied => exception(
            "SoAccessDeniedException",
            "You do not have the right to perform this operation.".into(),
        ),
        CoreError::PasswordChangeRequired => exception(
            "SoAccessDeniedException",
            "The password must be changed before anything else. Call ChangeOwnPassword.".into(),
        ),
        CoreError::ReauthenticationRequired => exception(
            "SoAccessDeniedException",
            "Setting your own password needs a login in the last 5 minutes. Authenticate again, or call ChangeOwnPassword with the current password.".into(),
        ),
        CoreError::InvalidApplicationToken => exception(
            "InvalidApplicationTokenException",
            "The ApplicationToken is missing, unknown or revoked.".into(),
        ),
        CoreError::InvalidCredentials => exception(
            "SoAuthenticationException",
            "Invalid user name or password.".into(),
        ),
        CoreError::PolicyViolation(failures) => SoapError::Exception(ExceptionInfo {
            exception_type: "PasswordPolicyException",
            message: failures
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            parameters: failures
                .iter()
                .map(|f| (f.code.to_owned(), f.message.clone()))
                .collect(),
        }),
        CoreError::Throttled { retry_after } => exception(
            "TooManyAttemptsException",
            format!(
                "Too many failed attempts. Retry in {} seconds.",
                retry_after.as_secs().max(1)
            ),
        ),
        CoreError::ResetLinkInvalid => exception(
            "SoArgumentException",
            "The reset link is invalid, used or expired. Request a new one.".into(),
        ),
        CoreError::MailUnavailable => exception(
            "SoArgumentException",
            "Password reset by e-mail is not available on this server.".into(),
        ),
        CoreError::NotFound(what) => exception("SoArgumentException", format!("Not found: {what}.")),
        CoreError::Conflict(what) => exception("SoArgumentException", format!("Conflict: {what}.")),
        CoreError::InvalidInput(msg) => SoapError::Fault(Fault::client(msg.clone())),
        CoreError::Overloaded { retry_after } => SoapError::Fault(Fault {
            client: false,
            subcode: crate::reply::Subcode::ServerTooBusy,
            message: "The server is busy. Retry shortly.".into(),
            status: Some(StatusCode::SERVICE_UNAVAILABLE),
            retry_after: Some(retry_after.as_secs().max(1)),
        }),
        CoreError::Storage(_) | CoreError::Internal(_) => {
            let id = uuid::Uuid::new_v4().simple().to_string();
            tracing::error!(correlation_id = %id, operation, error = %err, "SOAP operation failed");
            SoapError::Fault(Fault::server(format!(
                "An internal error occurred (correlation id {id})."
            )))
        }
    }
}
