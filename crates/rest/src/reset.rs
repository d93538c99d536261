//! `ForgotPassword` and `ChangePasswordWithToken`: thin translations to the core's reset
//! flow (see `passgate_core::service` reset rules).

use axum::http::StatusCode;
use passgate_core::domain::Password;
use passgate_core::{CoreError, RequestContext};

use crate::dto::{
    CHANGE_PASSWORD_WITH_TOKEN_RESPONSE, EXECUTE_RESULT_STRING, FORGOT_PASSWORD_RESPONSE,
};
use crate::errors::{correlation, policy_status};
use crate::handlers::{error_answer, execute_result, Answer};
use crate::value::{s, Obj, Val};
use crate::RestState;

/// What every accepted reset request answers, whether or not a mail was sent.
pub const FORGOT_PASSWORD_MESSAGE: &str =
    "If the address belongs to an account, a link to set a new password has been sent to it.";

/// `PUT /logins/ForgotPassword`.
pub async fn forgot_password(state: &RestState, ctx: &RequestContext, dto: &Obj) -> Answer {
    match state
        .core
        .request_password_reset(ctx, &dto.str("email"), &dto.str("changePwdUrl"))
        .await
    {
        Ok(()) => {
            let result = Obj::new(&EXECUTE_RESULT_STRING)
                .with("HasError", Val::Bool(false))
                .with("Message", s(FORGOT_PASSWORD_MESSAGE));
            Answer::new(
                StatusCode::OK,
                Obj::new(&FORGOT_PASSWORD_RESPONSE).with("Result", Val::Obj(result)),
                "ok",
            )
        }
        Err(e) => error_answer(&e, &FORGOT_PASSWORD_RESPONSE, "ForgotPassword"),
    }
}

/// `PUT /logins/ChangePasswordWithToken`. Outcomes mirror `ChangePassword`: a bad token is
/// a `Fail` result like a wrong current password, a policy refusal a `Fail` result with the
/// failed rules in `ResponseStatus.Errors`.
pub async fn change_password_with_token(
    state: &RestState,
    ctx: &RequestContext,
    dto: &Obj,
) -> Answer {
    const OP: &str = "ChangePasswordWithToken";
    let ty = &CHANGE_PASSWORD_WITH_TOKEN_RESPONSE;
    let token = match dto.get("authToken") {
        Val::Guid(g) if !g.is_nil() => g.simple().to_string(),
        _ => {
            let e =
                CoreError::InvalidInput("authToken: required (the token of the reset link)".into());
            return error_answer(&e, ty, OP);
        }
    };
    let new = Password::new(dto.str("newPassword"));
    let response = |result, status: Option<Obj>| {
        let mut o = Obj::new(ty).with("Result", Val::Obj(result));
        if let Some(st) = status {
            o.set("ResponseStatus", Val::Obj(st));
        }
        o
    };
    match state.core.reset_password(ctx, &token, new).await {
        Ok(()) => Answer::new(
            StatusCode::OK,
            response(
                execute_result(
                    "Success",
                    false,
                    "Password changed. Sign in with the new password.",
                ),
                None,
            ),
            "ok",
        ),
        Err(CoreError::ResetLinkInvalid) => Answer::new(
            StatusCode::OK,
            response(
                execute_result(
                    "Fail",
                    false,
                    "The reset link is invalid, used or expired. Request a new one.",
                ),
                None,
            ),
            "false",
        ),
        Err(CoreError::PolicyViolation(failures)) => {
            let st = policy_status(&failures);
            let msg = st.str("Message");
            Answer::new(
                StatusCode::OK,
                response(execute_result("Fail", false, &msg), Some(st)),
                "policy",
            )
        }
        Err(e @ (CoreError::Storage(_) | CoreError::Internal(_))) => {
            let id = correlation(&e, OP);
            let msg = format!("An internal error occurred (correlation id {id}).");
            let result = execute_result("Error", true, "The password could not be changed.")
                .with("Exception", s(msg));
            Answer::new(StatusCode::OK, response(result, None), "server_error")
        }
        Err(e) => error_answer(&e, ty, OP),
    }
}
