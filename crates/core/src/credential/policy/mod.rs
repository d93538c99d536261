//! The password policy: one engine, used by every front end, so a password refused in one
//! place is refused everywhere with the same codes and messages.
//!
//! Rules without state live here ([`PasswordPolicy::check`]); rules that need the user's
//! stored hashes (same as current, history) and the breached-password index are applied by
//! the service layer around it.

mod blocklist;
mod composition;
mod context;
mod generate;
mod normalize;
mod strength;

pub use blocklist::len as blocklist_len;
pub use composition::Composition;
pub use generate::generate;
pub use normalize::nfkc;
pub use strength::MAX_SCORED_CHARS;

use crate::domain::Password;
use crate::error::PolicyFailure;

/// Largest configurable history depth (rows kept per user).
pub const MAX_HISTORY: usize = 24;

/// Stable codes of every rule, for documentation and clients.
pub mod codes {
    /// Fewer characters than the minimum.
    pub const TOO_SHORT: &str = "too_short";
    /// More characters than the maximum.
    pub const TOO_LONG: &str = "too_long";
    /// On the common-password blocklist.
    pub const COMMON_PASSWORD: &str = "common_password";
    /// Made mostly of the user's name, e-mail or the service's name.
    pub const CONTEXT_WORD: &str = "context_word";
    /// zxcvbn score below the minimum.
    pub const TOO_WEAK: &str = "too_weak";
    /// Found in the breached-password index.
    pub const BREACHED: &str = "breached";
    /// Too few digits (composition rule).
    pub const NEEDS_DIGIT: &str = "needs_digit";
    /// Too few lower-case letters (composition rule).
    pub const NEEDS_LOWERCASE: &str = "needs_lowercase";
    /// Too few upper-case letters (composition rule).
    pub const NEEDS_UPPERCASE: &str = "needs_uppercase";
    /// Too few special characters (composition rule).
    pub const NEEDS_SPECIAL: &str = "needs_special";
    /// The new password equals the current one.
    pub const SAME_AS_CURRENT: &str = "same_as_current";
    /// The new password is one of the user's previous ones.
    pub const REUSED: &str = "reused";
}

/// Policy settings. Defaults follow NIST SP 800-63B-4 for single-factor passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// Minimum length in characters after NFKC (default 15; allowed 8–64).
    pub min_chars: usize,
    /// Maximum length in characters after NFKC (default 256; never below 64).
    pub max_chars: usize,
    /// Refuse passwords on the embedded common-password list (default on).
    pub blocklist: bool,
    /// Minimum zxcvbn score 0–4 (default 3; 0 turns the rule off).
    pub min_strength: u8,
    /// The service's name, a context word (default "passgate" is always one too).
    pub service_name: String,
    /// Extra context words (organisation, product, site names).
    pub context_words: Vec<String>,
    /// Composition rules, all off by default.
    pub composition: Composition,
    /// Previous passwords that may not be reused (default 0 = off; at most [`MAX_HISTORY`]).
    pub history: usize,
    /// A password found in the breach index this many times or more is refused (default 1).
    pub breach_min_count: u32,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            min_chars: 15,
            max_chars: 256,
            blocklist: true,
            min_strength: 3,
            service_name: "passgate".into(),
            context_words: Vec::new(),
            composition: Composition::default(),
            history: 0,
            breach_min_count: 1,
        }
    }
}

impl PolicyConfig {
    /// Checks the documented bounds; the message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        if !(8..=64).contains(&self.min_chars) {
            return Err("policy.min_length must be between 8 and 64".into());
        }
        if self.max_chars < 64 || self.max_chars < self.min_chars {
            return Err("policy.max_length must be at least 64 and at least min_length".into());
        }
        if self.max_chars > crate::domain::MAX_PASSWORD_BYTES {
            return Err(format!(
                "policy.max_length must be at most {}",
                crate::domain::MAX_PASSWORD_BYTES
            ));
        }
        if self.min_strength > 4 {
            return Err("policy.min_strength must be between 0 and 4".into());
        }
        if self.history > MAX_HISTORY {
            return Err(format!("policy.history must be at most {MAX_HISTORY}"));
        }
        if self.breach_min_count == 0 {
            return Err("breach.min_count must be at least 1".into());
        }
        Ok(())
    }
}

/// Who the password is for: the words they are known by feed the context rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySubject<'a> {
    /// Login name.
    pub username: Option<&'a str>,
    /// E-mail address (its local part is used).
    pub email: Option<&'a str>,
    /// Display name.
    pub full_name: Option<&'a str>,
}

/// Password rules with their configured limits.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    config: std::sync::Arc<PolicyConfig>,
}

impl PasswordPolicy {
    /// The policy for `config` (validated by the caller).
    pub fn new(config: PolicyConfig) -> Self {
        PasswordPolicy {
            config: std::sync::Arc::new(config),
        }
    }

    /// Builds the embedded blocklist and the strength estimator's dictionaries now, so the
    /// first password change does not wait for them (called when the core starts).
    pub fn warm_up(&self) {
        std::hint::black_box(blocklist::is_common("warm-up"));
        strength::warm_up();
    }

    /// The settings in force.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// The context words for `subject`: its names, e-mail local part, "passgate", the service
    /// name and the configured extra words.
    fn context_words(&self, subject: &PolicySubject<'_>) -> Vec<String> {
        let local = subject.email.map(|e| e.split('@').next().unwrap_or(e));
        let inputs = [subject.username, local, subject.full_name]
            .into_iter()
            .flatten()
            .chain(["passgate", self.config.service_name.as_str()])
            .chain(self.config.context_words.iter().map(String::as_str));
        context::words(inputs)
    }

    /// Every stateless rule `password` fails (empty when acceptable). Every rule is evaluated,
    /// so one answer lists all the reasons. The password is already NFKC (see [`Password`]);
    /// length counts Unicode code points, as NIST SP 800-63B requires; nothing is truncated.
    pub fn check(&self, password: &Password, subject: &PolicySubject<'_>) -> Vec<PolicyFailure> {
        let c = &self.config;
        let text = password.expose();
        let mut failures = Vec::new();
        let chars = text.chars().count();
        if chars < c.min_chars {
            failures.push(failure(
                codes::TOO_SHORT,
                format!(
                    "The password must be at least {} characters long.",
                    c.min_chars
                ),
            ));
        }
        if chars > c.max_chars || password.is_oversized() {
            failures.push(failure(
                codes::TOO_LONG,
                format!(
                    "The password must be at most {} characters long.",
                    c.max_chars
                ),
            ));
            // Longer inputs are refused whatever else they contain; the remaining rules
            // would only spend time on text that cannot be accepted.
            return failures;
        }
        if c.blocklist && blocklist::is_common(text) {
            failures.push(failure(
                codes::COMMON_PASSWORD,
                "The password is one of the most commonly used passwords.".into(),
            ));
        }
        let words = self.context_words(subject);
        if chars > 0 && context::remaining_chars(text, &words) < c.min_chars {
            failures.push(failure(
                codes::CONTEXT_WORD,
                "The password is made mostly of your user name, e-mail address, name or the \
                 service's name."
                    .into(),
            ));
        }
        if c.min_strength > 0 {
            let s = strength::estimate(text, &words);
            if s.score < c.min_strength {
                let mut message = format!(
                    "The password is too easy to guess (strength {} of 4, at least {} needed).",
                    s.score, c.min_strength
                );
                if let Some(w) = s.warning {
                    message.push(' ');
                    message.push_str(&w);
                }
                failures.push(failure(codes::TOO_WEAK, message));
            }
        }
        let n = composition::count(text);
        let rules = [
            (
                c.composition.min_digits,
                n.digits,
                codes::NEEDS_DIGIT,
                "digits",
            ),
            (
                c.composition.min_lowercase,
                n.lowercase,
                codes::NEEDS_LOWERCASE,
                "lower-case letters",
            ),
            (
                c.composition.min_uppercase,
                n.uppercase,
                codes::NEEDS_UPPERCASE,
                "upper-case letters",
            ),
            (
                c.composition.min_special,
                n.special,
                codes::NEEDS_SPECIAL,
                "special characters",
            ),
        ];
        for (min, have, code, what) in rules {
            if have < min {
                failures.push(failure(
                    code,
                    format!("The password must contain at least {min} {what}."),
                ));
            }
        }
        failures
    }

    /// The strength estimate of `password` for `subject`, 0 (too guessable) to 4, as the
    /// strength rule computes it (for a strength meter; the verdict is [`Self::check`]).
    pub fn strength_score(&self, password: &Password, subject: &PolicySubject<'_>) -> u8 {
        strength::estimate(password.expose(), &self.context_words(subject)).score
    }
}

/// The failure for the breach index rule.
pub fn breached_failure() -> PolicyFailure {
    failure(
        codes::BREACHED,
        "The password appears in a list of passwords exposed in data breaches.".into(),
    )
}

/// The failure for a new password equal to the current one.
pub fn same_as_current_failure() -> PolicyFailure {
    failure(
        codes::SAME_AS_CURRENT,
        "The new password must differ from the current one.".into(),
    )
}

/// The failure for a password found in the user's history.
pub fn reused_failure(history: usize) -> PolicyFailure {
    failure(
        codes::REUSED,
        format!("The password must not be one of your last {history} passwords."),
    )
}

fn failure(code: &'static str, message: String) -> PolicyFailure {
    PolicyFailure { code, message }
}
