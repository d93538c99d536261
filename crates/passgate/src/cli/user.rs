//! The administrative CLI commands added for user management and application tokens:
//! `user show|set-password|expire|rename|delete`, `app-token add|list|revoke`. Each prints a
//! line of text, or one JSON object with `--json`.

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;
use passgate_core::domain::Password;
use passgate_core::store::UserRecord;
use passgate_core::{Core, CoreError, RequestContext};

/// `app-token` subcommands (online mode).
#[derive(Debug, Subcommand)]
pub enum AppTokenCommand {
    /// Register a token for a client application; it is printed once (only its hash is kept).
    Add {
        /// A name for the application (letters, digits, '.', '_', '-').
        name: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// List registered tokens (names and dates, never the tokens).
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: calls carrying it are refused from the next request on.
    Revoke {
        /// The token's name.
        name: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// Errors of these commands that are not core errors.
#[derive(Debug, thiserror::Error)]
pub enum AdminCmdError {
    /// A destructive command was not confirmed.
    #[error("{0}")]
    NotConfirmed(String),
    /// Reading the confirmation failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The core refused.
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// The JSON form of a user (no secret in it). `passwordFormat` is `argon2id`, `none` (no
/// password: must reset) or the legacy format of an imported hash not yet upgraded.
pub fn user_json(u: &UserRecord) -> serde_json::Value {
    serde_json::json!({
        "userId": u.id.to_string(),
        "associateId": u.associate_id.get(),
        "username": u.username.as_str(),
        "email": u.email.as_ref().map(|e| e.as_str()),
        "fullName": u.full_name.as_ref().map(|n| n.as_str()),
        "role": u.role.as_str(),
        "lockedUntil": u.locked_until.map(|t| t.to_rfc3339()),
        "mustChangePassword": u.must_change_password,
        "passwordFormat": passgate_core::credential::legacy::StoredFormat::of(&u.password_hash).name(),
        "passwordChangedAt": u.password_changed_at.to_rfc3339(),
        "createdAt": u.created_at.to_rfc3339(),
    })
}

/// Asks the operator to type `expected` to confirm `action`, unless `yes`. Without a terminal
/// on standard input it refuses: scripts must say `--yes`.
pub fn confirm(action: &str, expected: &str, yes: bool) -> Result<(), AdminCmdError> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(AdminCmdError::NotConfirmed(format!(
            "refusing to {action} without --yes (standard input is not a terminal)"
        )));
    }
    eprint!("Type {expected} to {action}: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if line.trim() != expected {
        return Err(AdminCmdError::NotConfirmed(format!(
            "not confirmed; nothing was done ({action})"
        )));
    }
    Ok(())
}

fn print(json: bool, value: serde_json::Value, text: String) {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

/// `user show NAME`.
pub async fn show(core: &Core, name: &str, json: bool) -> Result<(), AdminCmdError> {
    let u = core.user_by_name(name).await?;
    let live = core
        .list_sessions(Some(u.username.as_str()), false)
        .await?
        .len();
    let mut value = user_json(&u);
    value["liveSessions"] = live.into();
    let text = format!(
        "user {}\n  associate id  {}\n  user id       {}\n  role          {}\n  e-mail        {}\n  full name     {}\n  locked until  {}\n  must change   {}\n  password set  {}\n  created       {}\n  live sessions {}",
        u.username,
        u.associate_id,
        u.id,
        u.role.as_str(),
        u.email.as_ref().map_or("-", |e| e.as_str()),
        u.full_name.as_ref().map_or("-", |n| n.as_str()),
        u.locked_until.map_or("-".into(), |t| t.to_rfc3339()),
        if u.must_change_password { "yes" } else { "no" },
        u.password_changed_at.to_rfc3339(),
        u.created_at.to_rfc3339(),
        live
    );
    print(json, value, text);
    Ok(())
}

/// `user set-password NAME`: `given` (from standard input) or a generated password, printed
/// once. Every session of the user ends; unless `permanent`, the user must change it at next
/// login.
pub async fn set_password(
    core: &Core,
    ctx: &RequestContext,
    name: &str,
    given: Option<Password>,
    permanent: bool,
    json: bool,
) -> Result<(), AdminCmdError> {
    let user = core.user_by_name(name).await?;
    let (password, generated) = match given {
        Some(p) => (p, false),
        None => (core.generate_password(&user).await?, true),
    };
    core.admin_set_password(ctx, name, password.clone(), !permanent)
        .await?;
    let mut value = serde_json::json!({
        "username": user.username.as_str(),
        "mustChangePassword": !permanent,
    });
    let mut text = format!(
        "password of {} set; its sessions were ended{}",
        user.username,
        if permanent {
            ""
        } else {
            "; it must be changed at next login"
        }
    );
    if generated {
        value["password"] = password.expose().into();
        text.push_str(&format!("\npassword (shown once): {}", password.expose()));
    }
    print(json, value, text);
    Ok(())
}

/// `user expire NAME`.
pub async fn expire(
    core: &Core,
    ctx: &RequestContext,
    name: &str,
    json: bool,
) -> Result<(), AdminCmdError> {
    core.expire_password(ctx, name).await?;
    print(
        json,
        serde_json::json!({"username": name, "mustChangePassword": true}),
        format!("{name} must change the password at next login; its sessions were ended"),
    );
    Ok(())
}

/// `user rename NAME NEW_NAME`.
pub async fn rename(
    core: &Core,
    ctx: &RequestContext,
    name: &str,
    new_name: &str,
    json: bool,
) -> Result<(), AdminCmdError> {
    let u = core.rename_user(ctx, name, new_name).await?;
    print(
        json,
        user_json(&u),
        format!("renamed {name} to {}", u.username),
    );
    Ok(())
}

/// `user delete NAME` (asks for confirmation unless `yes`).
pub async fn delete(
    core: &Core,
    ctx: &RequestContext,
    name: &str,
    yes: bool,
    json: bool,
) -> Result<(), AdminCmdError> {
    let user = core.user_by_name(name).await?;
    confirm(
        &format!("delete user {}", user.username),
        user.username.as_str(),
        yes,
    )?;
    let u = core.delete_user(ctx, name).await?;
    print(
        json,
        serde_json::json!({"deleted": u.username.as_str(), "userId": u.id.to_string()}),
        format!(
            "deleted {} with its sessions and password history (audit rows stay)",
            u.username
        ),
    );
    Ok(())
}

/// `app-token …`.
pub async fn app_token(
    core: &Core,
    ctx: &RequestContext,
    cmd: AppTokenCommand,
) -> Result<(), AdminCmdError> {
    match cmd {
        AppTokenCommand::Add { name, json } => {
            let t = core.add_app_token(ctx, &name).await?;
            print(
                json,
                serde_json::json!({"name": t.name, "token": t.expose()}),
                format!("application token {} (shown once): {}", t.name, t.expose()),
            );
        }
        AppTokenCommand::List { json } => {
            let tokens = core.list_app_tokens().await?;
            if json {
                let list: Vec<_> = tokens
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "name": t.name,
                            "createdAt": t.created_at.to_rfc3339(),
                            "revokedAt": t.revoked_at.map(|r| r.to_rfc3339()),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                println!("{:<32} {:<26} REVOKED", "NAME", "CREATED");
                for t in &tokens {
                    println!(
                        "{:<32} {:<26} {}",
                        t.name,
                        t.created_at.to_rfc3339(),
                        t.revoked_at.map_or("-".into(), |r| r.to_rfc3339())
                    );
                }
            }
        }
        AppTokenCommand::Revoke { name, yes, json } => {
            confirm(&format!("revoke application token {name}"), &name, yes)?;
            core.revoke_app_token(ctx, &name).await?;
            print(
                json,
                serde_json::json!({"revoked": name}),
                format!("revoked application token {name}"),
            );
        }
    }
    Ok(())
}
