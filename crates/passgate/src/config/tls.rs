//! `[tls]`: HTTPS on the listener (`cert`, `key`, `reload_secs`), and an optional second,
//! plain-HTTP listener (`redirect_listen`) that only redirects to HTTPS and answers
//! `/healthz`. Both files or neither; the files themselves are checked by
//! [`crate::tls::load`] when the server starts and by `passgate config check`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{env, env_parse, ConfigError};
use crate::tls::{TlsFiles, DEFAULT_RELOAD_INTERVAL};

/// `[tls]` in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TlsFile {
    cert: Option<String>,
    key: Option<String>,
    reload_secs: Option<u64>,
    redirect_listen: Option<String>,
}

/// HTTPS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// The certificate and key files, and how often they are checked for renewals.
    pub files: TlsFiles,
    /// Plain-HTTP listener that redirects to HTTPS (None: no such listener).
    pub redirect_listen: Option<SocketAddr>,
}

fn invalid(name: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        message: message.into(),
    }
}

/// The effective `[tls]` (`PASSGATE_TLS_*` win over the file); None when TLS is off.
pub(super) fn tls_settings(f: &TlsFile) -> Result<Option<TlsSettings>, ConfigError> {
    let cert = env("PASSGATE_TLS_CERT").or_else(|| f.cert.clone());
    let key = env("PASSGATE_TLS_KEY").or_else(|| f.key.clone());
    let redirect = env("PASSGATE_TLS_REDIRECT_LISTEN").or_else(|| f.redirect_listen.clone());
    let reload_secs = env_parse::<u64>("PASSGATE_TLS_RELOAD_SECS")?.or(f.reload_secs);
    let (cert, key) = match (cert, key) {
        (Some(c), Some(k)) => (PathBuf::from(c), PathBuf::from(k)),
        (None, None) => {
            if redirect.is_some() {
                return Err(invalid(
                    "tls.redirect_listen",
                    "redirects to HTTPS, which needs tls.cert and tls.key",
                ));
            }
            return Ok(None);
        }
        (Some(_), None) => return Err(invalid("tls.key", "tls.cert is set but tls.key is not")),
        (None, Some(_)) => return Err(invalid("tls.cert", "tls.key is set but tls.cert is not")),
    };
    let reload_interval = match reload_secs {
        None => DEFAULT_RELOAD_INTERVAL,
        Some(s) if (1..=86_400).contains(&s) => Duration::from_secs(s),
        Some(_) => return Err(invalid("tls.reload_secs", "must be between 1 and 86400")),
    };
    let redirect_listen = redirect
        .map(|text| {
            text.parse().map_err(|_| {
                invalid(
                    "tls.redirect_listen",
                    format!("{text:?} is not an address like 0.0.0.0:80"),
                )
            })
        })
        .transpose()?;
    Ok(Some(TlsSettings {
        files: TlsFiles {
            cert,
            key,
            reload_interval,
        },
        redirect_listen,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_files_or_neither() {
        assert_eq!(tls_settings(&TlsFile::default()).ok(), Some(None));
        let only_cert = TlsFile {
            cert: Some("c.pem".into()),
            ..TlsFile::default()
        };
        assert!(tls_settings(&only_cert).is_err());
        let redirect_alone = TlsFile {
            redirect_listen: Some("127.0.0.1:80".into()),
            ..TlsFile::default()
        };
        assert!(tls_settings(&redirect_alone).is_err());
        let full = TlsFile {
            cert: Some("c.pem".into()),
            key: Some("k.pem".into()),
            reload_secs: Some(5),
            redirect_listen: Some("127.0.0.1:8081".into()),
        };
        let s = tls_settings(&full).ok().flatten();
        assert_eq!(
            s.as_ref().map(|s| s.files.reload_interval),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            s.and_then(|s| s.redirect_listen),
            "127.0.0.1:8081".parse().ok()
        );
        let zero = TlsFile {
            reload_secs: Some(0),
            ..full
        };
        assert!(tls_settings(&zero).is_err());
    }
}
