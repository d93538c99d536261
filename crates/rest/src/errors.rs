//! `ResponseStatus` construction and the one mapping from [`CoreError`] to HTTP status +
//! `ResponseStatus` (CONTRACT.md §2).

use axum::http::StatusCode;
use passgate_core::CoreError;

use crate::bind::BindError;
use crate::dto::{RESPONSE_ERROR, RESPONSE_STATUS};
use crate::value::{s, Obj, Val};

/// A `ResponseStatus` with the given code, message and field errors.
pub fn response_status(code: &str, message: &str, errors: Vec<(String, String, String)>) -> Obj {
    let errors = errors
        .into_iter()
        .map(|(code, field, msg)| {
            Obj::new(&RESPONSE_ERROR)
                .with("ErrorCode", s(code))
                .with("FieldName", s(field))
                .with("Message", s(msg))
        })
        .collect();
    Obj::new(&RESPONSE_STATUS)
        .with("ErrorCode", s(code))
        .with("Message", s(message))
        .with("Errors", Val::List(errors))
}

/// The status for binding failures (400 `SerializationException`).
pub fn binding_status(dto: &str, errors: &[BindError]) -> Obj {
    response_status(
        "SerializationException",
        &format!("Unable to bind to request '{dto}'"),
        errors
            .iter()
            .map(|e| {
                (
                    "SerializationException".to_owned(),
                    e.field.clone(),
                    e.message.clone(),
                )
            })
            .collect(),
    )
}

/// How a core error surfaces on the REST side.
pub struct Mapped {
    /// HTTP status.
    pub status: StatusCode,
    /// The `ResponseStatus`.
    pub response_status: Obj,
    /// `Retry-After` seconds.
    pub retry_after: Option<u64>,
    /// Metrics outcome label.
    pub outcome: &'static str,
}

/// Maps a core error. Server-side failures are logged with a correlation id, which is all
/// the client sees.
pub fn map_error(err: &CoreError, operation: &str) -> Mapped {
    let m = |status, code: &str, msg: &str, outcome| Mapped {
        status,
        response_status: response_status(code, msg, Vec::new()),
        retry_after: None,
        outcome,
    };
    match err {
        CoreError::TicketInvalid => m(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Not Authenticated",
            "unauthorized",
        ),
        CoreError::InvalidCredentials => m(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Invalid Username or Password",
            "false",
        ),
        CoreError::AccessDenied => m(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "You may only change your own password.",
            "forbidden",
        ),
        CoreError::PasswordChangeRequired => m(
            StatusCode::FORBIDDEN,
            "PasswordChangeRequired",
            "The password must be changed before anything else.",
            "forbidden",
        ),
        CoreError::ReauthenticationRequired => m(
            StatusCode::FORBIDDEN,
            "ReauthenticationRequired",
            "Log in again, or change the password with the current one.",
            "forbidden",
        ),
        // Application tokens are a SOAP notion; REST never checks them.
        CoreError::InvalidApplicationToken => m(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "The application token is missing, unknown or revoked.",
            "forbidden",
        ),
        CoreError::NotFound(what) => m(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("Not found: {what}."),
            "client_error",
        ),
        CoreError::Conflict(what) => m(StatusCode::CONFLICT, "Conflict", what, "client_error"),
        CoreError::ResetLinkInvalid => m(
            StatusCode::BAD_REQUEST,
            "InvalidResetToken",
            "The reset link is invalid, used or expired. Request a new one.",
            "false",
        ),
        CoreError::MailUnavailable => m(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "Password reset by e-mail is not available on this server.",
            "client_error",
        ),
        CoreError::InvalidInput(msg) => m(
            StatusCode::BAD_REQUEST,
            "ArgumentException",
            msg,
            "client_error",
        ),
        CoreError::PolicyViolation(failures) => Mapped {
            status: StatusCode::BAD_REQUEST,
            response_status: policy_status(failures),
            retry_after: None,
            outcome: "policy",
        },
        CoreError::Throttled { retry_after } => {
            let secs = retry_after.as_secs().max(1);
            Mapped {
                retry_after: Some(secs),
                ..m(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    &format!("Too many failed attempts. Retry in {secs} seconds."),
                    "throttled",
                )
            }
        }
        CoreError::Overloaded { retry_after } => Mapped {
            retry_after: Some(retry_after.as_secs().max(1)),
            ..m(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The server is busy. Retry shortly.",
                "overloaded",
            )
        },
        CoreError::Storage(_) | CoreError::Internal(_) => {
            let id = correlation(err, operation);
            m(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                &format!("An internal error occurred (correlation id {id})."),
                "server_error",
            )
        }
    }
}

/// Logs a server-side failure and returns its correlation id.
pub fn correlation(err: &CoreError, operation: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    tracing::error!(correlation_id = %id, operation, error = %err, "REST operation failed");
    id
}

/// One `ResponseError` per failed rule, `fieldName` `newPassword`, `errorCode` the rule.
pub fn policy_status(failures: &[passgate_core::error::PolicyFailure]) -> Obj {
    let message = failures
        .iter()
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    response_status(
        failures.first().map_or("PasswordPolicy", |f| f.code),
        &message,
        failures
            .iter()
            .map(|f| {
                (
                    f.code.to_owned(),
                    "newPassword".to_owned(),
                    f.message.clone(),
                )
            })
            .collect(),
    )
}
