//! Every English text of the pages, in one table, so that a translation is one more table.
//! Templates read them as `t.KEY`; handlers through [`text`].

/// Key and English text of every string shown on the pages.
pub const EN: &[(&str, &str)] = &[
    ("skip", "Skip to the main content"),
    ("account", "Your account"),
    ("nav_home", "Overview"),
    ("nav_password", "Change password"),
    ("nav_sessions", "My sessions"),
    ("sign_out", "Sign out"),
    ("signed_in_as", "Signed in as"),
    ("sign_in_title", "Sign in"),
    ("sign_in_intro", "Sign in with your user name or e-mail address and your password."),
    ("login_label", "User name or e-mail address"),
    ("password_label", "Password"),
    ("sign_in_button", "Sign in"),
    ("forgot_link", "Forgot your password?"),
    ("bad_login", "The user name or password is incorrect."),
    ("missing_login", "Enter your user name or e-mail address and your password."),
    ("signed_out", "You are signed out."),
    ("home_title", "Overview"),
    ("home_intro", "From here you can change your password and see where you are signed in."),
    ("home_password", "Choose a new password. Your other sessions end when you do."),
    ("home_sessions", "See the devices and programs signed in as you, and sign them out."),
    ("password_title", "Change password"),
    ("must_change", "Your administrator requires a new password before you can continue."),
    ("current_label", "Current password"),
    ("new_label", "New password"),
    ("confirm_label", "Repeat the new password"),
    ("show_password", "Show password"),
    ("hide_password", "Hide password"),
    ("change_button", "Change password"),
    ("rules_title", "The new password must"),
    ("rules_summary_ok", "The new password meets every requirement checked so far."),
    ("rules_summary_fail", "The new password does not meet every requirement yet."),
    ("rules_note", "Whether it differs from your current and earlier passwords is checked when you save it."),
    ("strength_label", "Strength"),
    ("strength_0", "Very weak"),
    ("strength_1", "Weak"),
    ("strength_2", "Fair"),
    ("strength_3", "Strong"),
    ("strength_4", "Very strong"),
    ("rule_min", "be at least {n} characters long"),
    ("rule_max", "be at most {n} characters long"),
    ("rule_common", "not be one of the most commonly used passwords"),
    ("rule_context", "not be made mostly of your name, user name, e-mail address or this service's name"),
    ("rule_strength", "be hard to guess (strength at least {n} of 4)"),
    ("rule_digits", "contain at least {n} digits"),
    ("rule_lower", "contain at least {n} lower-case letters"),
    ("rule_upper", "contain at least {n} upper-case letters"),
    ("rule_special", "contain at least {n} special characters"),
    ("rule_breached", "not appear in lists of passwords exposed in data breaches"),
    ("wrong_current", "The current password is incorrect."),
    ("mismatch", "The two new passwords differ."),
    ("missing_new", "Enter a new password."),
    ("missing_current", "Enter your current password."),
    ("policy_failed", "The new password was not accepted:"),
    ("changed", "Your password was changed. Your other sessions were signed out."),
    ("sessions_title", "My sessions"),
    ("sessions_intro", "These are the places signed in as you. Sign out any you do not recognise, and change your password."),
    ("col_front_end", "Signed in through"),
    ("col_created", "Signed in"),
    ("col_last_used", "Last used"),
    ("col_address", "Address"),
    ("col_agent", "Program"),
    ("col_action", "Action"),
    ("this_session", "This session"),
    ("sign_out_this", "Sign out this one"),
    ("sign_out_others", "Sign out everywhere else"),
    ("unknown", "unknown"),
    ("kind_web", "These pages"),
    ("kind_soap_ticket", "SOAP (CRM client)"),
    ("kind_rest_session", "REST API"),
    ("ended_one", "That session was signed out."),
    ("ended_none", "That session had already ended."),
    ("ended_others", "Your other sessions were signed out."),
    ("forgot_title", "Forgot your password?"),
    ("forgot_intro", "Enter the e-mail address of your account. We will send you a link to choose a new password."),
    ("email_label", "E-mail address"),
    ("send_link", "Send the link"),
    ("forgot_sent", "If an account uses that address, a link to choose a new password is on its way. It works once and expires soon. Check your spam folder if it does not arrive."),
    ("bad_email", "Enter a valid e-mail address."),
    ("reset_unavailable", "Password reset by e-mail is not available here. Ask your administrator for help."),
    ("reset_title", "Choose a new password"),
    ("reset_intro", "Choose the new password for your account. Every session of the account ends when you do."),
    ("reset_button", "Save the new password"),
    ("reset_invalid", "This link is invalid, was already used or has expired. Ask for a new one."),
    ("reset_done", "Your new password is saved. Sign in with it now."),
    ("request_new_link", "Ask for a new link"),
    ("back_to_sign_in", "Back to sign in"),
    ("throttled", "Too many attempts. Try again in {n} seconds."),
    ("busy", "The server is busy. Try again in a moment."),
    ("csrf", "This form has expired or was not sent from this site. Reload the page and try again."),
    ("bad_request", "The request could not be understood."),
    ("server_error", "Something went wrong on our side. Try again later; quote reference {n} if you ask for help."),
    ("not_found", "There is no such page."),
    ("logo_alt", "logo"),
];

/// The English text for `key`; the key itself when missing (visible in tests, never a panic).
pub fn text(key: &'static str) -> &'static str {
    EN.iter().find(|(k, _)| *k == key).map_or(key, |(_, v)| *v)
}

/// The text for `key` with `{n}` replaced by `n`.
pub fn text_n(key: &'static str, n: impl std::fmt::Display) -> String {
    text(key).replace("{n}", &n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_texts_non_empty() {
        let mut keys: Vec<&str> = EN.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate key");
        assert!(EN.iter().all(|(_, v)| !v.trim().is_empty()));
        assert_eq!(
            text_n("throttled", 7),
            "Too many attempts. Try again in 7 seconds."
        );
    }
}
