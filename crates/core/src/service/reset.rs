//! Password reset by e-mail. `ForgotPassword` issues a single-use link (a [`ResetToken`]
//! whose digest alone is stored, queued as a mail in the same transaction);
//! `ChangePasswordWithToken` spends it, sets the new password under the full policy and ends
//! every session of the user.
//!
//! Rule: the answer to a reset request never tells which addresses have accounts. Known,
//! unknown, locked and over-limit addresses get the same `Ok(())` after the same work: one
//! counter bump keyed by the address, one user lookup, one write transaction (the token and
//! mail, or an audit row saying why nothing was sent).

use std::time::Duration;

use crate::audit::AuditKind;
use crate::clock::Timestamp;
use crate::domain::{Email, Password, ResetToken, TokenHash};
use crate::outbox::{MailKind, NewResetToken, OutboxMail};
use crate::store::{ThrottleRow, UserLookup, UserRecord};
use crate::{Core, CoreError, RequestContext};

use super::admin_passwords::SetPurpose;

/// Length of the windows of the per-address and per-client limits.
const WINDOW: Duration = Duration::from_secs(3600);

/// Longest `changePwdUrl` accepted (longer ones are refused before any other check).
pub const MAX_CHANGE_URL: usize = 2048;

/// At most this many accounts sharing one e-mail address get a link from one request
/// (the store's e-mail lookup returns at most two anyway).
const MAX_ACCOUNTS_PER_ADDRESS: usize = 2;

/// Placeholder in a `changePwdUrl` that is replaced by the token; without it the token is
/// appended as the query parameter `token`.
pub const TOKEN_PLACEHOLDER: &str = "{token}";

/// A link issued by an operator (`passgate user reset-link`).
#[derive(Debug)]
pub struct IssuedLink {
    /// The link (a secret: show it once, never log it).
    pub link: secrecy::SecretString,
    /// Whose it is.
    pub username: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}

impl Core {
    /// `ForgotPassword`: sends a reset link to every account with `email` (at most
    /// [`MAX_ACCOUNTS_PER_ADDRESS`]) unless the account is locked or the address had
    /// `reset.per_user_per_hour` requests this hour. The answer is `Ok(())` in every one of
    /// those cases. Errors only for what reveals nothing about accounts: no mail server
    /// (`MailUnavailable`), a missing or foreign `change_url` or a malformed address
    /// (`InvalidInput`), a client over its hourly limit (`Throttled`).
    pub async fn request_password_reset(
        &self,
        ctx: &RequestContext,
        email: &str,
        change_url: &str,
    ) -> Result<(), CoreError> {
        if !self.config.mail.enabled {
            return Err(CoreError::MailUnavailable);
        }
        let base = self.allowed_change_url(change_url)?.to_owned();
        // Only ASCII white space around the address is forgiven (what the OpenAPI pattern
        // says); any other space makes it invalid.
        let trimmed = email.trim_matches(|c: char| c.is_ascii_whitespace());
        let email = Email::parse(trimmed)
            .ok()
            .filter(|e| e.as_str().len() == trimmed.len())
            .ok_or_else(|| CoreError::InvalidInput("email: not a valid e-mail address".into()))?;
        let now = self.clock.now();
        if let Some(addr) = ctx.client_addr.as_deref() {
            let limit = self.config.reset.per_client_per_hour;
            let (count, ends) = self
                .count_in_window(format!("reset-addr:{addr}"), now)
                .await?;
            if count > limit {
                let event = self.event(
                    ctx,
                    AuditKind::Throttled,
                    None,
                    None,
                    Some("reset_client".into()),
                );
                self.audit_alone(event).await?;
                return Err(CoreError::Throttled {
                    retry_after: whole_seconds(now.until(ends)),
                });
            }
        }
        let key = format!(
            "reset-mail:{}",
            TokenHash::of(&email.as_str().to_lowercase()).as_str()
        );
        let (count, _) = self.count_in_window(key, now).await?;
        let over_limit = count > self.config.reset.per_user_per_hour;
        let mut users = self.store.find_users_by_email(&email).await?;
        users.truncate(MAX_ACCOUNTS_PER_ADDRESS);
        if users.is_empty() {
            let digest = super::authenticate::unknown_name_digest(email.as_str());
            let event = self.event(
                ctx,
                AuditKind::ResetSuppressed,
                None,
                Some(&digest),
                Some("unknown_address".into()),
            );
            return self.audit_alone(event).await;
        }
        for user in users {
            let why_not = if over_limit {
                Some("mail_limit")
            } else if user.locked_until.is_some_and(|t| t > now) {
                Some("locked")
            } else {
                None
            };
            match why_not {
                Some(reason) => {
                    let event = self.event(
                        ctx,
                        AuditKind::ResetSuppressed,
                        Some(user.id),
                        Some(user.username.as_str()),
                        Some(reason.into()),
                    );
                    self.audit_alone(event).await?;
                }
                None => {
                    // The link goes to the address on the account (the same one, compared
                    // case-insensitively), never to the text the client typed.
                    self.issue_link(ctx, &user, &base, now).await?;
                }
            }
        }
        Ok(())
    }

    /// CLI `user reset-link NAME --url URL`: issues a link for an operator to hand over
    /// (audited; any earlier link of the user stops working). The URL need not be in the
    /// allow-list: the operator chose it. No mail is sent.
    pub async fn operator_reset_link(
        &self,
        ctx: &RequestContext,
        name: &str,
        change_url: &str,
    ) -> Result<IssuedLink, CoreError> {
        check_url_shape(change_url)?;
        let user = self.user_by_name(name).await?;
        let now = self.clock.now();
        let token = ResetToken::generate();
        let expires_at = now.plus(self.config.reset.token_ttl);
        let link = build_link(change_url, token.expose());
        let event = self.event(
            ctx,
            AuditKind::ResetRequested,
            Some(user.id),
            Some(user.username.as_str()),
            Some("operator".into()),
        );
        let row = NewResetToken {
            token_hash: token.hash(),
            user_id: user.id,
            credential_version: user.credential_version,
            created_at: now,
            expires_at,
        };
        if !self.store.insert_reset_token(&row, None, &event).await? {
            return Err(CoreError::Conflict(
                "the password was changed concurrently; retry".into(),
            ));
        }
        event.log();
        Ok(IssuedLink {
            link: secrecy::SecretString::from(link),
            username: user.username.as_str().to_owned(),
            expires_at,
        })
    }

    /// `ChangePasswordWithToken`: sets `new` for the token's user if the token is unspent,
    /// unexpired and the user's password has not changed since it was issued, under the
    /// whole policy (as an administrator's set: context words, history, not the current
    /// one). Every session of the user ends, a forced-change demand is cleared, the account
    /// throttle is reset (the link proved control of the mailbox), the token and any other
    /// link of the user are spent, and the user is told by mail. A bad token is
    /// `ResetLinkInvalid` (whatever the reason) and counts against the client's hourly
    /// limit, after which attempts are `Throttled`.
    pub async fn reset_password(
        &self,
        ctx: &RequestContext,
        token: &str,
        new: Password,
    ) -> Result<(), CoreError> {
        self.check_hashing_room()?;
        let now = self.clock.now();
        let client_key = ctx
            .client_addr
            .as_deref()
            .map(|a| format!("reset-fail:{a}"));
        if let Some(key) = &client_key {
            let rows = self.store.throttle_rows(std::slice::from_ref(key)).await?;
            if let Some((_, row)) = rows.first() {
                let ends = row.window_start.plus(WINDOW);
                if ends > now && row.failures >= self.config.reset.per_client_per_hour {
                    return Err(CoreError::Throttled {
                        retry_after: whole_seconds(now.until(ends)),
                    });
                }
            }
        }
        let user = match ResetToken::parse(token) {
            Some(t) => self.token_user(&t, now).await?,
            None => None,
        };
        let Some(user) = user else {
            let event = self.event(ctx, AuditKind::ResetFailed, None, None, None);
            self.audit_alone(event).await?;
            if let Some(key) = client_key {
                self.count_in_window(key, now).await?;
            }
            return Err(CoreError::ResetLinkInvalid);
        };
        self.set_password_of(ctx, &user, None, new, false, SetPurpose::Reset)
            .await?;
        self.store
            .clear_throttle(&crate::throttle::account_key(user.username.as_str()))
            .await?;
        Ok(())
    }

    /// The user a reset link is for, if the link is valid now; the link stays valid. The
    /// reset page uses it to judge a new password with that user's context words while the
    /// person types (the 122-bit token is what makes guessing it pointless).
    pub async fn reset_link_user(&self, token: &str) -> Result<Option<UserRecord>, CoreError> {
        match ResetToken::parse(token) {
            Some(t) => self.token_user(&t, self.clock.now()).await,
            None => Ok(None),
        }
    }

    /// The user a token may reset, if it is valid now.
    async fn token_user(
        &self,
        token: &ResetToken,
        now: Timestamp,
    ) -> Result<Option<UserRecord>, CoreError> {
        let Some(rec) = self.store.find_reset_token(&token.hash()).await? else {
            return Ok(None);
        };
        if rec.spent_at.is_some() || rec.expires_at <= now {
            return Ok(None);
        }
        let user = self.store.find_user(UserLookup::Id(rec.user_id)).await?;
        Ok(user.filter(|u| {
            u.credential_version == rec.credential_version
                && u.locked_until.is_none_or(|t| t <= now)
        }))
    }

    /// Stores a token for `user` and queues its mail (one transaction).
    async fn issue_link(
        &self,
        ctx: &RequestContext,
        user: &UserRecord,
        base: &str,
        now: Timestamp,
    ) -> Result<(), CoreError> {
        let Some(recipient) = user.email.clone() else {
            return Ok(());
        };
        let token = ResetToken::generate();
        let ttl = self.config.reset.token_ttl;
        let params = super::notify::user_params(ctx, user, now)
            .with("link", build_link(base, token.expose()))
            .with("expires_minutes", (ttl.as_secs() / 60).max(1).to_string());
        let mail = OutboxMail {
            id: uuid::Uuid::new_v4(),
            user_id: Some(user.id),
            recipient,
            kind: MailKind::ResetLink,
            params,
            created_at: now,
        };
        let row = NewResetToken {
            token_hash: token.hash(),
            user_id: user.id,
            credential_version: user.credential_version,
            created_at: now,
            expires_at: now.plus(ttl),
        };
        let event = self.event(
            ctx,
            AuditKind::ResetRequested,
            Some(user.id),
            Some(user.username.as_str()),
            None,
        );
        if self
            .store
            .insert_reset_token(&row, Some(&mail), &event)
            .await?
        {
            event.log();
            self.mail_wake.notify_one();
        }
        Ok(())
    }

    /// The allow-listed URL a reset link is built from, or `InvalidInput`.
    fn allowed_change_url<'a>(&self, url: &'a str) -> Result<&'a str, CoreError> {
        let url = url.trim_matches(|c: char| c.is_ascii_whitespace());
        if url.is_empty() {
            return Err(CoreError::InvalidInput(
                "changePwdUrl: required (the page the reset link opens)".into(),
            ));
        }
        check_url_shape(url)?;
        if self
            .config
            .reset
            .allowed_urls
            .iter()
            .any(|prefix| url_has_prefix(url, prefix))
        {
            Ok(url)
        } else {
            Err(CoreError::InvalidInput(
                "changePwdUrl: not an allowed address for reset links".into(),
            ))
        }
    }

    /// Counts one event under `key` in a fixed one-hour window; returns the count in the
    /// current window (this one included) and when the window ends.
    async fn count_in_window(
        &self,
        key: String,
        now: Timestamp,
    ) -> Result<(u32, Timestamp), CoreError> {
        let bump = move |r: ThrottleRow| {
            if r.failures == 0 || r.window_start.plus(WINDOW) <= now {
                ThrottleRow {
                    failures: 1,
                    window_start: now,
                    blocked_until: None,
                }
            } else {
                ThrottleRow {
                    failures: r.failures.saturating_add(1),
                    window_start: r.window_start,
                    blocked_until: None,
                }
            }
        };
        let row = self.store.bump_throttle(&key, Box::new(bump)).await?;
        Ok((row.failures, row.window_start.plus(WINDOW)))
    }
}

/// `url` is an absolute http(s) URL without spaces or control characters, of bounded size.
fn check_url_shape(url: &str) -> Result<(), CoreError> {
    let ok = url.len() <= MAX_CHANGE_URL
        && (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && url.matches(TOKEN_PLACEHOLDER).count() <= 1;
    if ok {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(
            "changePwdUrl: must be an absolute http or https address".into(),
        ))
    }
}

/// Whether `url` starts with the allowed `prefix` at a boundary: a prefix
/// `https://portal.example.com` allows `https://portal.example.com/reset` but not
/// `https://portal.example.com.evil.example/` nor `https://portal.example.com@evil.example/`.
pub fn url_has_prefix(url: &str, prefix: &str) -> bool {
    let Some(rest) = url.get(..prefix.len()) else {
        return false;
    };
    if !rest.eq_ignore_ascii_case(prefix) {
        return false;
    }
    if prefix.ends_with(['/', '?', '&', '#']) {
        return true;
    }
    matches!(
        url.as_bytes().get(prefix.len()),
        None | Some(b'/' | b'?' | b'#')
    )
}

/// The link: `base` with the token in place of [`TOKEN_PLACEHOLDER`], or appended as the
/// query parameter `token` (before any `#fragment`).
pub fn build_link(base: &str, token: &str) -> String {
    if base.contains(TOKEN_PLACEHOLDER) {
        return base.replacen(TOKEN_PLACEHOLDER, token, 1);
    }
    let (head, fragment) = match base.split_once('#') {
        Some((h, f)) => (h, Some(f)),
        None => (base, None),
    };
    let sep = if !head.contains('?') {
        "?"
    } else if head.ends_with(['?', '&']) {
        ""
    } else {
        "&"
    };
    let mut link = format!("{head}{sep}token={token}");
    if let Some(f) = fragment {
        link.push('#');
        link.push_str(f);
    }
    link
}

fn whole_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_millis().div_ceil(1000).max(1) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn prefixes_match_only_at_a_boundary() {
        let p = "https://portal.example.com";
        assert!(url_has_prefix("https://portal.example.com", p));
        assert!(url_has_prefix("https://portal.example.com/reset", p));
        assert!(url_has_prefix("HTTPS://Portal.Example.com/reset?x=1", p));
        assert!(!url_has_prefix(
            "https://portal.example.com.evil.example/",
            p
        ));
        assert!(!url_has_prefix(
            "https://portal.example.com@evil.example/",
            p
        ));
        assert!(!url_has_prefix("https://portal.example.co", p));
        assert!(url_has_prefix(
            "https://a.example/reset/x",
            "https://a.example/reset/"
        ));
        assert!(!url_has_prefix(
            "https://a.example/resetx",
            "https://a.example/reset/"
        ));
    }

    #[test]
    fn links_carry_the_token_once() {
        let t = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            build_link("https://a.example/reset", t),
            format!("https://a.example/reset?token={t}")
        );
        assert_eq!(
            build_link("https://a.example/reset?lang=en", t),
            format!("https://a.example/reset?lang=en&token={t}")
        );
        assert_eq!(
            build_link("https://a.example/#/reset", t),
            format!("https://a.example/?token={t}#/reset")
        );
        assert_eq!(
            build_link("https://a.example/r/{token}/go", t),
            format!("https://a.example/r/{t}/go")
        );
    }

    #[test]
    fn url_shapes() {
        assert!(check_url_shape("https://a.example/r").is_ok());
        for bad in [
            "javascript:alert(1)",
            "//a.example/r",
            "https://a.example/ r",
            "https://a.example/\nr",
            "ftp://a.example/",
            "https://a/{token}/{token}",
        ] {
            assert!(check_url_shape(bad).is_err(), "{bad}");
        }
        assert!(check_url_shape(&format!("https://a/{}", "x".repeat(MAX_CHANGE_URL))).is_err());
    }

    proptest! {
        #[test]
        fn a_link_always_contains_its_token_and_keeps_the_prefix(
            path in "[a-z/?&#=]{0,30}",
        ) {
            let base = format!("https://a.example/{path}");
            let t = "0123456789abcdef0123456789abcdef";
            let link = build_link(&base, t);
            prop_assert!(link.contains(t));
            prop_assert!(link.starts_with("https://a.example/"));
        }
    }
}
