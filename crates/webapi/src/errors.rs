//! The one mapping from [`CoreError`] (and refused request bodies) to an HTTP status and body.
//!
//! Shapes (docs/superoffice-rest.md): a malformed request gets SuperOffice's
//! `{"Message":"The request is invalid.","MessageDetail":…}`; every other failure gets the
//! WebAPI's REST error object `{"Error":true,"ErrorType":…,"ErrorMessage":…,"ErrorSource":…}`.
//! Server-side failures are logged here with a correlation id, which is all the client sees.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use passgate_core::CoreError;
use serde_json::Value;

use crate::reply::{Format, Reply};

/// The `WWW-Authenticate` challenge of a 401: Basic only where Basic is accepted (onsite).
pub fn challenge(online: bool) -> HeaderValue {
    HeaderValue::from_static(if online {
        "SOTicket realm=\"passgate\""
    } else {
        "Basic realm=\"passgate\", SOTicket realm=\"passgate\""
    })
}

/// SuperOffice's "request is invalid" object.
pub fn invalid_request(detail: &str) -> Reply {
    Reply::Object(
        "Error",
        vec![
            ("Message", Value::from("The request is invalid.")),
            ("MessageDetail", Value::from(detail)),
        ],
    )
}

/// The WebAPI error object.
pub fn error_object(error_type: &str, message: &str) -> Reply {
    Reply::Object(
        "Error",
        vec![
            ("Error", Value::Bool(true)),
            ("ErrorType", Value::from(error_type)),
            ("ErrorMessage", Value::from(message)),
            ("ErrorSource", Value::from("passgate")),
        ],
    )
}

/// A mapped failure: status, body, the metric outcome, and a `Retry-After` or
/// `WWW-Authenticate` header where one belongs.
pub struct Failure {
    /// HTTP status.
    pub status: StatusCode,
    /// Body.
    pub reply: Reply,
    /// Metric outcome label.
    pub outcome: &'static str,
    /// Seconds for `Retry-After`.
    pub retry_after: Option<u64>,
    /// Send a `WWW-Authenticate` challenge.
    pub challenge: bool,
}

impl Failure {
    fn new(status: StatusCode, reply: Reply, outcome: &'static str) -> Failure {
        Failure {
            status,
            reply,
            outcome,
            retry_after: None,
            challenge: false,
        }
    }

    /// The response (`online` picks the challenge).
    pub fn into_response(self, format: Format, online: bool) -> Response {
        let mut resp = self.reply.into_response(self.status, format);
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.challenge {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge(online));
        }
        resp
    }
}

/// 401 for a request without usable credentials.
pub fn unauthorized(message: &str) -> Failure {
    Failure {
        challenge: true,
        ..Failure::new(
            StatusCode::UNAUTHORIZED,
            error_object("SoAuthenticationException", message),
            "unauthorized",
        )
    }
}

/// Maps a core error for `operation`.
pub fn map_error(err: &CoreError, operation: &str) -> Failure {
    let obj = |status, t: &str, m: &str, outcome| Failure::new(status, error_object(t, m), outcome);
    match err {
        CoreError::TicketInvalid => Failure {
            challenge: true,
            ..obj(
                StatusCode::UNAUTHORIZED,
                "SoTicketInvalidException",
                "The ticket is missing, unknown, expired or revoked. Authenticate again.",
                "unauthorized",
            )
        },
        CoreError::InvalidCredentials => unauthorized("Invalid user name or password."),
        CoreError::InvalidApplicationToken => Failure {
            challenge: true,
            ..obj(
                StatusCode::UNAUTHORIZED,
                "InvalidApplicationTokenException",
                "The SO-AppToken is missing, unknown or revoked.",
                "unauthorized",
            )
        },
        CoreError::AccessDenied => obj(
            StatusCode::FORBIDDEN,
            "SoAccessDeniedException",
            "You do not have the right to perform this operation.",
            "denied",
        ),
        CoreError::PasswordChangeRequired => obj(
            StatusCode::FORBIDDEN,
            "SoAccessDeniedException",
            "The password must be changed before anything else. Call ChangeOwnPassword.",
            "denied",
        ),
        CoreError::ReauthenticationRequired => obj(
            StatusCode::FORBIDDEN,
            "SoAccessDeniedException",
            "Setting your own password needs a login in the last 5 minutes. Authenticate again, or call ChangeOwnPassword with the current password.",
            "denied",
        ),
        CoreError::PolicyViolation(failures) => {
            let message = failures
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            obj(
                StatusCode::BAD_REQUEST,
                "PasswordPolicyException",
                &message,
                "policy",
            )
        }
        CoreError::Throttled { retry_after } => {
            let secs = retry_after.as_secs().max(1);
            Failure {
                retry_after: Some(secs),
                ..obj(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyAttemptsException",
                    &format!("Too many failed attempts. Retry in {secs} seconds."),
                    "throttled",
                )
            }
        }
        CoreError::ResetLinkInvalid => obj(
            StatusCode::BAD_REQUEST,
            "SoArgumentException",
            "The reset link is invalid, used or expired. Request a new one.",
            "client_error",
        ),
        CoreError::MailUnavailable => obj(
            StatusCode::BAD_REQUEST,
            "SoArgumentException",
            "E-mail is not configured on this server.",
            "client_error",
        ),
        CoreError::NotFound(what) => obj(
            StatusCode::NOT_FOUND,
            "SoNotFoundException",
            &format!("Not found: {what}."),
            "not_found",
        ),
        CoreError::Conflict(what) => obj(
            StatusCode::CONFLICT,
            "SoArgumentException",
            &format!("Conflict: {what}."),
            "client_error",
        ),
        CoreError::InvalidInput(msg) => Failure::new(
            StatusCode::BAD_REQUEST,
            invalid_request(msg),
            "client_error",
        ),
        CoreError::Overloaded { retry_after } => Failure {
            retry_after: Some(retry_after.as_secs().max(1)),
            ..obj(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServerBusyException",
                "The server is busy. Retry shortly.",
                "overloaded",
            )
        },
        CoreError::Storage(_) | CoreError::Internal(_) => {
            let id = uuid::Uuid::new_v4().simple().to_string();
            tracing::error!(correlation_id = %id, operation, error = %err, "WebAPI operation failed");
            obj(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalErrorException",
                &format!("An internal error occurred (correlation id {id})."),
                "server_error",
            )
        }
    }
}
