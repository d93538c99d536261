//! Application tokens for online mode: registered by an operator, shown once, stored as
//! SHA-256 only, checked on every SOAP call when the server runs in online mode.

use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::audit::AuditKind;
use crate::domain::TokenHash;
use crate::store::AppTokenRecord;
use crate::{Core, CoreError, RequestContext};

/// Prefix of every token passgate issues (recognisable in secret scanners).
const PREFIX: &str = "pgat_";

/// A newly registered token: the only time its text exists outside the client.
pub struct AppTokenIssued {
    /// The token's name.
    pub name: String,
    token: SecretString,
}

impl AppTokenIssued {
    /// The token text, to show once.
    pub fn expose(&self) -> &str {
        self.token.expose_secret()
    }
}

impl std::fmt::Debug for AppTokenIssued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AppTokenIssued({}, <redacted>)", self.name)
    }
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Core {
    /// Registers a token called `name` (1–64 letters, digits, `.`, `_`, `-`; `Conflict` when
    /// taken) and returns its text: `pgat_` + 43 base64url characters (256 bits).
    pub async fn add_app_token(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<AppTokenIssued, CoreError> {
        if !valid_name(name) {
            return Err(CoreError::InvalidInput(
                "token names are 1 to 64 letters, digits, '.', '_' or '-'".into(),
            ));
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let text = format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        let audit = self.event(
            ctx,
            AuditKind::AppTokenAdded,
            None,
            None,
            Some(format!("name:{name}")),
        );
        let record = AppTokenRecord {
            name: name.to_owned(),
            token_hash: TokenHash::of(&text),
            created_at: audit.at,
            revoked_at: None,
        };
        self.store
            .insert_app_token(&record, &audit)
            .await
            .map_err(|e| match e {
                CoreError::Conflict(_) => {
                    CoreError::Conflict(format!("an application token named {name} exists"))
                }
                other => other,
            })?;
        audit.log();
        Ok(AppTokenIssued {
            name: name.to_owned(),
            token: SecretString::from(text),
        })
    }

    /// Every registered token (hashes only).
    pub async fn list_app_tokens(&self) -> Result<Vec<AppTokenRecord>, CoreError> {
        self.store.list_app_tokens().await
    }

    /// Revokes the token called `name`; calls carrying it are refused from the next request
    /// on, on every node.
    pub async fn revoke_app_token(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<(), CoreError> {
        let audit = self.event(
            ctx,
            AuditKind::AppTokenRevoked,
            None,
            None,
            Some(format!("name:{name}")),
        );
        if !self.store.revoke_app_token(name, audit.at, &audit).await? {
            return Err(CoreError::NotFound(format!(
                "no live application token named {name}"
            )));
        }
        audit.log();
        Ok(())
    }

    /// Online mode: the presented `ApplicationToken` must be registered and not revoked.
    pub async fn check_app_token(&self, presented: Option<&str>) -> Result<(), CoreError> {
        let text = presented
            .map(str::trim)
            .filter(|t| t.starts_with(PREFIX) && t.len() <= 128)
            .ok_or(CoreError::InvalidApplicationToken)?;
        match self.store.find_app_token(&TokenHash::of(text)).await? {
            Some(t) if t.revoked_at.is_none() => Ok(()),
            _ => Err(CoreError::InvalidApplicationToken),
        }
    }
}
