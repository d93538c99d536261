//! `ForgotPassword` and `ChangePasswordWithToken`: thin translations to the core's reset
//! flow (see `passgate_core::service` reset rules).

use axum::http::StatusCode;
use passgate_core::domain::Password;
use passgate_core::{CoreError, RequestContext};

use crate::dto::{
    CHANGE_PASSWORD_WITH_TOKEN_RESPONSE, EXECUTE_RESULT_STRING, FORGOT_PASSWORD_RESPONSE,
};
use crate::handlers::{error_answer, password_answer, Answer, PasswordOutcome};
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
        Val::Guid(g) => g.simple().to_string(),
        _ => {
            let e =
                CoreError::InvalidInput("authToken: required (the token of the reset link)".into());
            return error_answer(&e, ty, OP);
        }
    };
    let new = Password::new(dto.str("newPassword"));
    let result = match state.core.reset_password(ctx, &token, new).await {
        Ok(()) => Ok(PasswordOutcome::Success(
            "Password changed. Sign in with the new password.",
        )),
        Err(CoreError::ResetLinkInvalid) => Ok(PasswordOutcome::Fail(
            "The reset link is invalid, used or expired. Request a new one.",
        )),
        Err(e) => Err(e),
    };
    password_answer(ty, OP, result)
}
