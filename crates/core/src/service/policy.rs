//! The password policy: rules a new password must satisfy, on every front end alike.

use crate::config::CoreConfig;
use crate::domain::Password;
use crate::error::PolicyFailure;

/// Password rules with their configured limits.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    min_chars: usize,
    max_chars: usize,
}

impl PasswordPolicy {
    /// The policy configured in `config`.
    pub fn from_config(config: &CoreConfig) -> Self {
        PasswordPolicy {
            min_chars: config.min_password_chars,
            max_chars: config.max_password_chars,
        }
    }

    /// Every rule `password` fails (empty when it is acceptable). Length counts Unicode
    /// code points, as NIST SP 800-63B requires.
    pub fn check(&self, password: &Password) -> Vec<PolicyFailure> {
        let mut failures = Vec::new();
        let chars = password.expose().chars().count();
        if chars < self.min_chars {
            failures.push(PolicyFailure {
                code: "too_short",
                message: format!(
                    "The password must be at least {} characters long.",
                    self.min_chars
                ),
            });
        }
        if chars > self.max_chars || password.is_oversized() {
            failures.push(PolicyFailure {
                code: "too_long",
                message: format!(
                    "The password must be at most {} characters long.",
                    self.max_chars
                ),
            });
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_characters_not_bytes() {
        let p = PasswordPolicy::from_config(&CoreConfig::default());
        assert_eq!(p.check(&Password::new("é".repeat(15))), vec![]);
        assert_eq!(p.check(&Password::new("a".repeat(14)))[0].code, "too_short");
        assert_eq!(p.check(&Password::new("a".repeat(257)))[0].code, "too_long");
    }
}
