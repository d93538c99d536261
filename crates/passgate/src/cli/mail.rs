//! `passgate mail list|retry` (the outbox and its dead letters) and
//! `passgate user reset-link` (a reset link for an operator to hand over).

use clap::Subcommand;
use passgate_core::outbox::{MailState, OutboxRecord};
use passgate_core::{Core, CoreError, RequestContext};
use secrecy::ExposeSecret;

/// `mail` subcommands.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// List outbox rows, newest first (recipient, kind, state, attempts, last error; never
    /// the content).
    List {
        /// Only rows in this state: pending, sent or dead.
        #[arg(long)]
        state: Option<String>,
        /// At most this many rows.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// JSON output (one array).
        #[arg(long)]
        json: bool,
    },
    /// Queue dead letters again (one by id, or all with --all); a running server sends them
    /// at its next poll. Dead reset links are not sent again (their link was erased).
    Retry {
        /// Row id (from `mail list`).
        id: Option<String>,
        /// Every dead letter.
        #[arg(long)]
        all: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

fn row_json(r: &OutboxRecord) -> serde_json::Value {
    serde_json::json!({
        "id": r.mail.id.to_string(),
        "kind": r.mail.kind.as_str(),
        "recipient": r.mail.recipient.as_str(),
        "userId": r.mail.user_id.map(|u| u.to_string()),
        "state": r.state.as_str(),
        "attempts": r.attempts,
        "createdAt": r.mail.created_at.to_rfc3339(),
        "nextAttemptAt": (r.state == MailState::Pending).then(|| r.next_attempt_at.to_rfc3339()),
        "sentAt": r.sent_at.map(|t| t.to_rfc3339()),
        "lastError": r.last_error,
    })
}

/// Runs a `mail` subcommand.
pub async fn run(core: &Core, cmd: MailCommand) -> Result<(), CoreError> {
    let store = core.store();
    match cmd {
        MailCommand::List { state, limit, json } => {
            let state = state
                .as_deref()
                .map(|s| {
                    MailState::parse(&s.to_ascii_lowercase()).ok_or_else(|| {
                        CoreError::InvalidInput(format!(
                            "--state {s:?}: one of pending, sent, dead"
                        ))
                    })
                })
                .transpose()?;
            let rows = store.list_mail(state, limit.clamp(1, 10_000)).await?;
            if json {
                let list: Vec<_> = rows.iter().map(row_json).collect();
                println!("{}", serde_json::Value::Array(list));
                return Ok(());
            }
            println!(
                "{:<36}  {:<20}  {:<16}  {:<7}  {:>3}  {:<30}  last error",
                "id", "created", "kind", "state", "try", "recipient"
            );
            for r in &rows {
                println!(
                    "{:<36}  {:<20}  {:<16}  {:<7}  {:>3}  {:<30}  {}",
                    r.mail.id,
                    r.mail.created_at.to_rfc3339(),
                    r.mail.kind.as_str(),
                    r.state.as_str(),
                    r.attempts,
                    r.mail.recipient.as_str(),
                    r.last_error.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
        MailCommand::Retry { id, all, json } => {
            let id = match (id, all) {
                (Some(id), false) => Some(uuid::Uuid::try_parse(id.trim()).map_err(|_| {
                    CoreError::InvalidInput(format!("{id:?} is not an outbox row id"))
                })?),
                (None, true) => None,
                _ => return Err(CoreError::InvalidInput("give one row id, or --all".into())),
            };
            let now = passgate_core::Clock::now(&passgate_core::SystemClock);
            let n = store.retry_mail(id, now).await?;
            if let (Some(id), 0) = (id, n) {
                let rows = store.list_mail(Some(MailState::Dead), 10_000).await?;
                if rows
                    .iter()
                    .any(|r| r.mail.id == id && r.mail.kind.carries_secret())
                {
                    return Err(CoreError::InvalidInput(
                        "a dead reset link is not sent again (its link was erased): the user \
                         requests a new one, or use `passgate user reset-link`"
                            .into(),
                    ));
                }
                return Err(CoreError::NotFound("no dead letter with that id".into()));
            }
            if json {
                println!("{}", serde_json::json!({ "requeued": n }));
            } else {
                println!("{n} mail(s) queued again");
            }
            Ok(())
        }
    }
}

/// `user reset-link NAME [--url URL]`: prints a reset link (audited; any earlier link of
/// the user stops working). Without `--url`, the first of `reset.allowed_urls`.
pub async fn reset_link(
    core: &Core,
    ctx: &RequestContext,
    name: &str,
    url: Option<String>,
    json: bool,
) -> Result<(), CoreError> {
    let url = url
        .or_else(|| core.config().reset.allowed_urls.first().cloned())
        .ok_or_else(|| {
            CoreError::InvalidInput(
                "no page to link to: give --url, or set reset.allowed_urls".into(),
            )
        })?;
    let issued = core.operator_reset_link(ctx, name, &url).await?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "username": issued.username,
                "link": issued.link.expose_secret(),
                "expiresAt": issued.expires_at.to_rfc3339(),
            })
        );
    } else {
        println!("{}", issued.link.expose_secret());
        eprintln!(
            "reset link for {} (works once, until {}); hand it over privately",
            issued.username,
            issued.expires_at.to_rfc3339()
        );
    }
    Ok(())
}
