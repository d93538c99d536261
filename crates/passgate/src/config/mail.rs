//! `[mail]` and `[reset]`: the SMTP server, the outbox sender's retry policy, notifications,
//! and password reset by e-mail (link lifetime, allowed link addresses, hourly limits).

use std::time::Duration;

use passgate_core::outbox::MailKind;
use passgate_core::settings::{MailPolicy, ResetConfig};
use passgate_mail::{MailSettings, SmtpSettings, TlsMode};
use serde::Deserialize;

use super::{env, env_parse, ranged, ConfigError};

/// Largest `mail.max_attempts`.
pub const MAX_MAIL_ATTEMPTS: u32 = 100;
/// Largest `reset.token_ttl_mins` (a day: a reset link is not a long-lived credential).
pub const MAX_RESET_TTL_MINS: u64 = 24 * 60;
/// Largest `reset.per_user_per_hour` and `reset.per_client_per_hour`.
pub const MAX_RESETS_PER_HOUR: u32 = 10_000;
/// Most entries of `reset.allowed_urls`.
pub const MAX_ALLOWED_URLS: usize = 64;

/// `[mail]` in the file. (No `Debug`: it may hold the SMTP password.)
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MailFile {
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    tls: Option<String>,
    username: Option<String>,
    password: Option<String>,
    password_file: Option<String>,
    ca_file: Option<String>,
    from: Option<String>,
    templates_dir: Option<String>,
    notify: Option<Vec<String>>,
    max_attempts: Option<u32>,
    retry_base_secs: Option<u64>,
    retry_max_secs: Option<u64>,
    poll_interval_secs: Option<u64>,
    lease_secs: Option<u64>,
    timeout_secs: Option<u64>,
}

/// `[reset]` in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResetFile {
    token_ttl_mins: Option<u64>,
    allowed_urls: Option<Vec<String>>,
    per_user_per_hour: Option<u32>,
    per_client_per_hour: Option<u32>,
}

fn invalid(name: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        message: message.into(),
    }
}

/// The reset settings; `own_page` (the web pages' reset URL, when they are on) is always
/// allowed.
pub(super) fn reset_config(
    f: &ResetFile,
    own_page: Option<String>,
) -> Result<ResetConfig, ConfigError> {
    let d = ResetConfig::default();
    let ttl = ranged(
        "reset.token_ttl_mins",
        "PASSGATE_RESET_TOKEN_TTL_MINS",
        f.token_ttl_mins,
        d.token_ttl.as_secs() / 60,
        1..=MAX_RESET_TTL_MINS,
    )?;
    let mut allowed_urls: Vec<String> = match env("PASSGATE_RESET_ALLOWED_URLS") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None => f.allowed_urls.clone().unwrap_or_default(),
    };
    if allowed_urls.len() > MAX_ALLOWED_URLS {
        return Err(invalid(
            "reset.allowed_urls",
            format!("at most {MAX_ALLOWED_URLS} entries"),
        ));
    }
    for url in &allowed_urls {
        let host_part = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or("");
        let host = host_part.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || host.contains('@') || url.chars().any(char::is_whitespace) {
            return Err(invalid(
                "reset.allowed_urls",
                format!("{url:?} is not an absolute http(s) address with a host"),
            ));
        }
    }
    allowed_urls.extend(own_page);
    Ok(ResetConfig {
        token_ttl: Duration::from_secs(ttl * 60),
        allowed_urls,
        per_user_per_hour: ranged(
            "reset.per_user_per_hour",
            "PASSGATE_RESET_PER_USER_PER_HOUR",
            f.per_user_per_hour,
            d.per_user_per_hour,
            1..=MAX_RESETS_PER_HOUR,
        )?,
        per_client_per_hour: ranged(
            "reset.per_client_per_hour",
            "PASSGATE_RESET_PER_CLIENT_PER_HOUR",
            f.per_client_per_hour,
            d.per_client_per_hour,
            1..=MAX_RESETS_PER_HOUR,
        )?,
    })
}

/// The mail settings: `None` when no SMTP host is configured (mail off).
pub(super) fn mail_settings(
    f: &MailFile,
    reset_ttl: Duration,
) -> Result<(Option<MailSettings>, MailPolicy), ConfigError> {
    let notify = match env("PASSGATE_MAIL_NOTIFY").map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    }) {
        Some(list) => list,
        None => f.notify.clone().unwrap_or_else(|| {
            MailKind::ALL
                .iter()
                .filter(|k| !k.carries_secret())
                .map(|k| k.as_str().to_owned())
                .collect()
        }),
    };
    let mut kinds = Vec::new();
    for name in &notify {
        match MailKind::parse(name).filter(|k| !k.carries_secret()) {
            Some(k) => kinds.push(k),
            None => {
                return Err(invalid(
                    "mail.notify",
                    format!(
                        "{name:?} is not one of password_changed, password_reset, password_set, account_locked"
                    ),
                ))
            }
        }
    }
    let Some(host) = env("PASSGATE_MAIL_SMTP_HOST").or_else(|| f.smtp_host.clone()) else {
        return Ok((
            None,
            MailPolicy {
                enabled: false,
                notify: kinds,
            },
        ));
    };
    let tls_name = env("PASSGATE_MAIL_TLS")
        .or_else(|| f.tls.clone())
        .unwrap_or_else(|| "starttls".into());
    let tls = TlsMode::parse(&tls_name).ok_or_else(|| {
        invalid(
            "mail.tls",
            format!("{tls_name:?} is not one of none, starttls, implicit"),
        )
    })?;
    let default_port = match tls {
        TlsMode::None => 25,
        TlsMode::StartTls => 587,
        TlsMode::Implicit => 465,
    };
    let port = env_parse::<u16>("PASSGATE_MAIL_SMTP_PORT")?
        .or(f.smtp_port)
        .unwrap_or(default_port);
    let username = env("PASSGATE_MAIL_USERNAME").or_else(|| f.username.clone());
    let password = match (
        env("PASSGATE_MAIL_PASSWORD").or_else(|| f.password.clone()),
        &f.password_file,
    ) {
        (Some(p), _) => Some(p),
        (None, Some(path)) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| invalid("mail.password_file", format!("cannot read {path}: {e}")))?
                .trim_end_matches(['\r', '\n'])
                .to_owned(),
        ),
        (None, None) => None,
    };
    if username.is_some() != password.is_some() {
        return Err(invalid(
            "mail.username",
            "set both mail.username and mail.password (or mail.password_file), or neither",
        ));
    }
    if username.is_some() && tls == TlsMode::None {
        return Err(invalid(
            "mail.tls",
            "SMTP AUTH over a plain connection sends the password in clear: use starttls or implicit",
        ));
    }
    let from = env("PASSGATE_MAIL_FROM")
        .or_else(|| f.from.clone())
        .ok_or_else(|| invalid("mail.from", "required when mail.smtp_host is set"))?;
    passgate_mail::check_mailbox(&from).map_err(|e| invalid("mail.from", e))?;
    let secs =
        |name: &'static str, env_name: &'static str, file: Option<u64>, default: u64, max: u64| {
            ranged(name, env_name, file, default, 1..=max).map(Duration::from_secs)
        };
    let retry_base = secs(
        "mail.retry_base_secs",
        "PASSGATE_MAIL_RETRY_BASE_SECS",
        f.retry_base_secs,
        30,
        86_400,
    )?;
    let retry_max = secs(
        "mail.retry_max_secs",
        "PASSGATE_MAIL_RETRY_MAX_SECS",
        f.retry_max_secs,
        3600,
        7 * 86_400,
    )?;
    if retry_base > retry_max {
        return Err(invalid(
            "mail.retry_base_secs",
            "must not exceed mail.retry_max_secs",
        ));
    }
    let settings = MailSettings {
        smtp: SmtpSettings {
            host,
            port,
            tls,
            username,
            password: password.map(secrecy::SecretString::from),
            ca_file: env("PASSGATE_MAIL_CA_FILE")
                .or_else(|| f.ca_file.clone())
                .map(Into::into),
            timeout: secs(
                "mail.timeout_secs",
                "PASSGATE_MAIL_TIMEOUT_SECS",
                f.timeout_secs,
                30,
                600,
            )?,
        },
        from,
        templates_dir: env("PASSGATE_MAIL_TEMPLATES_DIR")
            .or_else(|| f.templates_dir.clone())
            .map(Into::into),
        max_attempts: ranged(
            "mail.max_attempts",
            "PASSGATE_MAIL_MAX_ATTEMPTS",
            f.max_attempts,
            10,
            1..=MAX_MAIL_ATTEMPTS,
        )?,
        retry_base,
        retry_max,
        poll_interval: secs(
            "mail.poll_interval_secs",
            "PASSGATE_MAIL_POLL_INTERVAL_SECS",
            f.poll_interval_secs,
            10,
            3600,
        )?,
        lease: secs(
            "mail.lease_secs",
            "PASSGATE_MAIL_LEASE_SECS",
            f.lease_secs,
            120,
            3600,
        )?,
        reset_ttl,
    };
    Ok((
        Some(settings),
        MailPolicy {
            enabled: true,
            notify: kinds,
        },
    ))
}
