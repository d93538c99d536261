//! The `PASSGATE_*` environment variables passgate reads, so that a misspelt one is reported
//! instead of silently ignored (`PASSGATE_POLICY_MIN_LENGTH` is not a setting; the real name
//! is `PASSGATE_PASSWORD_MIN_LENGTH`). `serve` and every other command warn about unknown
//! names; `passgate config check` counts them as errors. `PASSGATE_TEST_*` belongs to the
//! test suite and is never reported.

/// Every variable read by passgate. A unit test keeps this equal to the names in the source.
pub const KNOWN: &[&str] = &[
    "PASSGATE_ARGON2_ITERATIONS",
    "PASSGATE_ARGON2_MAX_WAIT_MS",
    "PASSGATE_ARGON2_MEMORY_KIB",
    "PASSGATE_ARGON2_PARALLELISM",
    "PASSGATE_ARGON2_REFUSAL_PACE_MS",
    "PASSGATE_ARGON2_THREAD_POLICY",
    "PASSGATE_ARGON2_WORKERS",
    "PASSGATE_BREACH_INDEX",
    "PASSGATE_BREACH_MIN_COUNT",
    "PASSGATE_BREACH_RANGE_ALLOW",
    "PASSGATE_BREACH_RANGE_API",
    "PASSGATE_CONFIG",
    "PASSGATE_CONNECTIONS_HEADER_TIMEOUT_SECS",
    "PASSGATE_CONNECTIONS_IDLE_TIMEOUT_SECS",
    "PASSGATE_CONNECTIONS_MAX",
    "PASSGATE_DATABASE_ACQUIRE_TIMEOUT_SECS",
    "PASSGATE_DATABASE_MAX_CONNECTIONS",
    "PASSGATE_DATABASE_STATEMENT_TIMEOUT_SECS",
    "PASSGATE_DATABASE_URL",
    "PASSGATE_IMPORT_MAX_LEGACY_AGE_DAYS",
    "PASSGATE_IMPORT_REQUIRE_CHANGE",
    "PASSGATE_LISTEN",
    "PASSGATE_LOG",
    "PASSGATE_LOG_FORMAT",
    "PASSGATE_MAIL_CA_FILE",
    "PASSGATE_MAIL_FROM",
    "PASSGATE_MAIL_LEASE_SECS",
    "PASSGATE_MAIL_MAX_ATTEMPTS",
    "PASSGATE_MAIL_NOTIFY",
    "PASSGATE_MAIL_PASSWORD",
    "PASSGATE_MAIL_POLL_INTERVAL_SECS",
    "PASSGATE_MAIL_RETRY_BASE_SECS",
    "PASSGATE_MAIL_RETRY_MAX_SECS",
    "PASSGATE_MAIL_SMTP_HOST",
    "PASSGATE_MAIL_SMTP_PORT",
    "PASSGATE_MAIL_TEMPLATES_DIR",
    "PASSGATE_MAIL_TIMEOUT_SECS",
    "PASSGATE_MAIL_TLS",
    "PASSGATE_MAIL_USERNAME",
    "PASSGATE_MODE",
    "PASSGATE_PASSWORD_MAX_LENGTH",
    "PASSGATE_PASSWORD_MIN_LENGTH",
    "PASSGATE_POLICY_BLOCKLIST",
    "PASSGATE_POLICY_CONTEXT_WORDS",
    "PASSGATE_POLICY_HISTORY",
    "PASSGATE_POLICY_MIN_DIGITS",
    "PASSGATE_POLICY_MIN_LOWERCASE",
    "PASSGATE_POLICY_MIN_SPECIAL",
    "PASSGATE_POLICY_MIN_STRENGTH",
    "PASSGATE_POLICY_MIN_UPPERCASE",
    "PASSGATE_PUBLIC_URL",
    "PASSGATE_REQUEST_TIMEOUT_SECS",
    "PASSGATE_RESET_ALLOWED_URLS",
    "PASSGATE_RESET_PER_CLIENT_PER_HOUR",
    "PASSGATE_RESET_PER_USER_PER_HOUR",
    "PASSGATE_RESET_TOKEN_TTL_MINS",
    "PASSGATE_SESSION_ABSOLUTE_SECS",
    "PASSGATE_SESSION_IDLE_SECS",
    "PASSGATE_SYSTEM_NAME",
    "PASSGATE_THROTTLE_ACCOUNT_BASE_DELAY_SECS",
    "PASSGATE_THROTTLE_ACCOUNT_MAX_DELAY_SECS",
    "PASSGATE_THROTTLE_ACCOUNT_THRESHOLD",
    "PASSGATE_THROTTLE_ADDRESS_BLOCK_SECS",
    "PASSGATE_THROTTLE_ADDRESS_LIMIT",
    "PASSGATE_THROTTLE_ADDRESS_WINDOW_SECS",
    "PASSGATE_THROTTLE_FAILURE_DELAY_MS",
    "PASSGATE_THROTTLE_REFUSAL_DELAY_MS",
    "PASSGATE_TLS_CERT",
    "PASSGATE_TLS_KEY",
    "PASSGATE_TLS_REDIRECT_LISTEN",
    "PASSGATE_TLS_RELOAD_SECS",
    "PASSGATE_TRUSTED_PROXY_HEADER",
    "PASSGATE_WEBAPI_BASE",
    "PASSGATE_WEBAPI_TENANT",
    "PASSGATE_WEB_ENABLED",
    "PASSGATE_WEB_LOGO_FILE",
    // Refused with an explanation since admission is by waiting time (see config.rs).
    "PASSGATE_ARGON2_QUEUE",
];

/// The prefix of the test suite's own variables.
const TEST_PREFIX: &str = "PASSGATE_TEST_";

/// Names in the environment that start with `PASSGATE_` and are not settings, sorted.
pub fn unknown() -> Vec<String> {
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| is_unknown(k))
        .collect();
    names.sort();
    names
}

fn is_unknown(name: &str) -> bool {
    name.starts_with("PASSGATE_") && !name.starts_with(TEST_PREFIX) && !KNOWN.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The `"PASSGATE_..."` string literals of the files that read the environment.
    fn literals() -> BTreeSet<String> {
        let sources = [
            include_str!("../config.rs"),
            include_str!("mail.rs"),
            include_str!("tls.rs"),
            include_str!("web.rs"),
            include_str!("webapi.rs"),
            include_str!("import.rs"),
            include_str!("../telemetry.rs"),
            include_str!("../cli/mod.rs"),
        ];
        let mut found = BTreeSet::new();
        for text in sources {
            for (i, _) in text.match_indices("\"PASSGATE_") {
                let rest = &text[i + 1..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                    .unwrap_or(rest.len());
                if rest[end..].starts_with('"') {
                    found.insert(rest[..end].to_owned());
                }
            }
        }
        found
    }

    #[test]
    fn the_list_matches_the_names_the_source_reads() {
        let listed: BTreeSet<String> = KNOWN.iter().map(|s| (*s).to_owned()).collect();
        let read = literals();
        let missing: Vec<_> = read.difference(&listed).collect();
        assert!(missing.is_empty(), "read but not in KNOWN: {missing:?}");
        let extra: Vec<_> = listed.difference(&read).collect();
        assert!(extra.is_empty(), "in KNOWN but never read: {extra:?}");
    }

    #[test]
    fn misspellings_are_unknown_and_test_variables_are_not() {
        assert!(is_unknown("PASSGATE_POLICY_MIN_LENGTH"));
        assert!(!is_unknown("PASSGATE_PASSWORD_MIN_LENGTH"));
        assert!(!is_unknown("PASSGATE_TEST_POSTGRES_URL"));
        assert!(!is_unknown("HOME"));
    }
}
