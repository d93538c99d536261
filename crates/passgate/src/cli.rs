//! The command line: `serve`, `migrate`, `user`, `session`, `audit`, `db copy`.
//!
//! Exit codes: 0 success, 1 runtime failure (database, I/O), 2 usage error, 3 not found,
//! 4 conflict (e.g. the username is taken), 5 password refused by the policy.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use passgate_core::audit::FrontEnd;
use passgate_core::domain::{Email, FullName, Password, Role, Username};
use passgate_core::service::NewUserInput;
use passgate_core::{CoreError, RequestContext, SystemClock};
use rand::Rng;

use crate::config::{Overrides, Settings};

/// passgate: credential service speaking the SuperOffice Services84 SOAP and Net3 REST APIs.
#[derive(Debug, Parser)]
#[command(name = "passgate", version, about)]
pub struct Cli {
    /// Database URL (sqlite://FILE, created if missing, or postgres://USER@HOST/DB).
    #[arg(long, global = true, env = "PASSGATE_DATABASE_URL")]
    pub database: Option<passgate_store::DatabaseUrl>,
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "PASSGATE_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Listen address (default 127.0.0.1:8080).
        #[arg(long, env = "PASSGATE_LISTEN")]
        listen: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// List and revoke sessions (SOAP tickets, REST and web sessions alike).
    #[command(subcommand)]
    Session(SessionCommand),
    /// Read the audit trail.
    Audit {
        /// Only events about this user.
        #[arg(long)]
        user: Option<String>,
        /// Only events at or after this time (RFC 3339, e.g. 2026-11-23T10:00:00Z).
        #[arg(long)]
        since: Option<String>,
        /// At most this many (the newest).
        #[arg(long)]
        limit: Option<i64>,
        /// JSON output (one array).
        #[arg(long)]
        json: bool,
    },
    /// Whole-database operations.
    #[command(subcommand)]
    Db(DbCommand),
}

/// `db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy an installation to another database (e.g. SQLite to PostgreSQL) and verify it.
    Copy(crate::db_copy::CopyArgs),
}

/// `session` subcommands.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List live sessions (with --all, also expired and revoked ones).
    List {
        /// Only this user's sessions.
        #[arg(long)]
        user: Option<String>,
        /// Include expired and revoked sessions.
        #[arg(long)]
        all: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Revoke one session by id, or every session of a user with --user.
    Revoke {
        /// Session id (from `session list`).
        id: Option<String>,
        /// Revoke all of this user's sessions.
        #[arg(long)]
        user: Option<String>,
    },
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. Without --password-stdin a strong password is generated and printed once.
    Add(AddArgs),
    /// List users.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Lock a user: logins fail like a wrong password and all sessions end.
    Lock {
        /// Login name.
        name: String,
        /// Until when (RFC 3339); indefinitely when omitted.
        #[arg(long)]
        until: Option<String>,
    },
    /// Remove a lock.
    Unlock {
        /// Login name.
        name: String,
    },
}

/// Arguments of `user add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Login name.
    pub name: String,
    /// E-mail address.
    #[arg(long)]
    pub email: Option<String>,
    /// Display name.
    #[arg(long)]
    pub full_name: Option<String>,
    /// Give the user the admin role.
    #[arg(long)]
    pub admin: bool,
    /// Read the password from standard input (first line).
    #[arg(long)]
    pub password_stdin: bool,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// A failure of a command, with its exit code.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Core(#[from] CoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 2,
            CliError::Core(CoreError::NotFound(_)) => 3,
            CliError::Core(CoreError::Conflict(_)) => 4,
            CliError::Core(CoreError::PolicyViolation(_)) => 5,
            CliError::Core(CoreError::InvalidInput(_)) => 2,
            _ => 1,
        }
    }

    fn message(&self) -> String {
        match self {
            CliError::Core(CoreError::PolicyViolation(f)) => format!(
                "password refused: {}",
                f.iter()
                    .map(|f| format!("{} ({})", f.message, f.code))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            other => other.to_string(),
        }
    }
}

/// Parses the command line, runs the command, and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Administrative commands only report problems; the server logs at info.
    crate::telemetry::init(if matches!(cli.command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message());
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    let overrides = Overrides {
        database_url: cli.database.clone(),
        listen,
    };
    let settings = Settings::load(cli.config.as_deref(), &overrides)?;
    match cli.command {
        Command::Serve { .. } => serve(settings).await,
        Command::Migrate => {
            passgate_store::open_with(&settings.database_url, &settings.database).await?;
            println!(
                "database {} is up to date",
                passgate_store::redact_url(&settings.database_url)
            );
            Ok(())
        }
        Command::Db(DbCommand::Copy(args)) => Ok(crate::db_copy::run(&args).await?),
        Command::User(UserCommand::Add(args)) => user_add(settings, args).await,
        Command::User(UserCommand::List { json }) => user_list(settings, json).await,
        Command::User(UserCommand::Lock { name, until }) => {
            let until = until.as_deref().map(parse_time).transpose()?;
            let core = cli_core(&settings).await?;
            let until = core.lock_user(&cli_ctx(), &name, until).await?;
            println!(
                "locked {name} until {}; its sessions were ended",
                until.to_rfc3339()
            );
            Ok(())
        }
        Command::User(UserCommand::Unlock { name }) => {
            cli_core(&settings)
                .await?
                .unlock_user(&cli_ctx(), &name)
                .await?;
            println!("unlocked {name}");
            Ok(())
        }
        Command::Session(SessionCommand::List { user, all, json }) => {
            let core = cli_core(&settings).await?;
            let sessions = core.list_sessions(user.as_deref(), all).await?;
            let rows: Vec<_> = sessions
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "id": l.session.id.to_string(),
                        "username": l.username,
                        "kind": l.session.kind.as_str(),
                        "createdAt": l.session.created_at.to_rfc3339(),
                        "lastSeenAt": l.session.last_seen_at.to_rfc3339(),
                        "expiresAt": l.session.expires_at.to_rfc3339(),
                        "revokedAt": l.session.revoked_at.map(|t| t.to_rfc3339()),
                        "clientAddr": l.client_addr,
                    })
                })
                .collect();
            if json {
                println!("{}", serde_json::Value::Array(rows));
            } else {
                println!(
                    "{:<36}  {:<16} {:<12} {:<24} EXPIRES",
                    "ID", "USER", "KIND", "LAST SEEN"
                );
                for l in &sessions {
                    println!(
                        "{:<36}  {:<16} {:<12} {:<24} {}{}",
                        l.session.id,
                        l.username,
                        l.session.kind.as_str(),
                        l.session.last_seen_at.to_rfc3339(),
                        l.session.expires_at.to_rfc3339(),
                        if l.session.revoked_at.is_some() {
                            " (revoked)"
                        } else {
                            ""
                        }
                    );
                }
            }
            Ok(())
        }
        Command::Session(SessionCommand::Revoke { id, user }) => {
            let id = id
                .as_deref()
                .map(|i| {
                    uuid::Uuid::try_parse(i)
                        .map_err(|_| CliError::Usage("the session id is not a valid id".into()))
                })
                .transpose()?;
            let core = cli_core(&settings).await?;
            let n = core
                .revoke_sessions(&cli_ctx(), id, user.as_deref())
                .await?;
            println!("revoked {n} session(s)");
            Ok(())
        }
        Command::Audit {
            user,
            since,
            limit,
            json,
        } => {
            let since = since.as_deref().map(parse_time).transpose()?;
            let store =
                passgate_store::open_with(&settings.database_url, &settings.database).await?;
            let user_id = match user.as_deref() {
                Some(name) => {
                    let name = Username::parse(name)?;
                    Some(
                        store
                            .find_user(passgate_core::store::UserLookup::Name(&name))
                            .await?
                            .ok_or_else(|| CoreError::NotFound(format!("no user named {name}")))?
                            .id,
                    )
                }
                None => None,
            };
            let rows = store
                .list_audit(&passgate_core::store::AuditFilter {
                    user_id,
                    since,
                    limit,
                })
                .await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&rows).map_err(|e| CliError::Usage(e.to_string()))?
                );
            } else {
                for r in &rows {
                    println!(
                        "{} {:<22} {:<5} {:<20} {:<16} {}",
                        r.at,
                        r.event,
                        r.front_end,
                        r.username.as_deref().unwrap_or("-"),
                        r.client_addr.as_deref().unwrap_or("-"),
                        r.reason.as_deref().unwrap_or("")
                    );
                }
            }
            Ok(())
        }
    }
}

fn cli_ctx() -> RequestContext {
    RequestContext::new(FrontEnd::Cli)
}

async fn cli_core(settings: &Settings) -> Result<Arc<passgate_core::Core>, CliError> {
    Ok(crate::app::build_core(settings, Arc::new(SystemClock)).await?)
}

fn parse_time(s: &str) -> Result<passgate_core::Timestamp, CliError> {
    passgate_core::Timestamp::parse_rfc3339(s).ok_or_else(|| {
        CliError::Usage(format!(
            "{s:?} is not an RFC 3339 time like 2026-11-23T10:00:00Z"
        ))
    })
}

async fn serve(settings: Settings) -> Result<(), CliError> {
    let core = crate::app::build_core(&settings, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    tracing::info!(
        listen = %listener.local_addr()?,
        database = %passgate_store::redact_url(&settings.database_url),
        hash_workers = core.pool().workers(),
        hash_queue = core.pool().capacity(),
        "passgate listening"
    );
    let router = crate::app::router(core, &settings);
    crate::app::serve_on(listener, router, crate::app::shutdown_signal()).await?;
    Ok(())
}

/// A strong random password from the OS random source: `len` characters (at least 24, about
/// 139 bits) from a 56-symbol alphabet without look-alikes.
pub fn generate_password(len: usize) -> Password {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    let s: String = (0..len.max(24))
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    Password::new(s)
}

fn read_password_stdin() -> Result<Password, CliError> {
    let mut input = String::new();
    std::io::stdin().take(8192).read_to_string(&mut input)?;
    let line = input.lines().next().unwrap_or("").to_owned();
    zeroize::Zeroize::zeroize(&mut input);
    if line.is_empty() {
        return Err(CliError::Usage("no password on standard input".into()));
    }
    Ok(Password::new(line))
}

async fn user_add(settings: Settings, args: AddArgs) -> Result<(), CliError> {
    let username = Username::parse(&args.name)?;
    let email = args.email.as_deref().map(Email::parse).transpose()?;
    let full_name = args.full_name.as_deref().map(FullName::parse).transpose()?;
    let (password, generated) = if args.password_stdin {
        if std::io::stdin().is_terminal() {
            eprintln!("Password (end with Enter):");
        }
        (read_password_stdin()?, false)
    } else {
        (generate_password(settings.core.min_password_chars), true)
    };
    let core = crate::app::build_core(&settings, Arc::new(SystemClock)).await?;
    let user = core
        .create_user(
            &RequestContext::new(FrontEnd::Cli),
            NewUserInput {
                username,
                email,
                full_name,
                role: if args.admin { Role::Admin } else { Role::User },
                password: password.clone(),
            },
        )
        .await?;
    if args.json {
        let mut out = serde_json::json!({
            "userId": user.id.to_string(),
            "associateId": user.associate_id.get(),
            "username": user.username.as_str(),
        });
        if generated {
            out["password"] = serde_json::Value::String(password.expose().to_owned());
        }
        println!("{out}");
    } else {
        println!(
            "created user {} (associate id {}, user id {})",
            user.username, user.associate_id, user.id
        );
        if generated {
            println!("password (shown once): {}", password.expose());
        }
    }
    Ok(())
}

async fn user_list(settings: Settings, json: bool) -> Result<(), CliError> {
    let store = passgate_store::open_with(&settings.database_url, &settings.database).await?;
    let users = store.list_users().await?;
    if json {
        let list: Vec<_> = users
            .iter()
            .map(|u| {
                serde_json::json!({
                    "userId": u.id.to_string(),
                    "associateId": u.associate_id.get(),
                    "username": u.username.as_str(),
                    "email": u.email.as_ref().map(|e| e.as_str()),
                    "fullName": u.full_name.as_ref().map(|n| n.as_str()),
                    "role": u.role.as_str(),
                    "lockedUntil": u.locked_until.map(|t| t.to_rfc3339()),
                    "passwordChangedAt": u.password_changed_at.to_rfc3339(),
                    "createdAt": u.created_at.to_rfc3339(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        println!(
            "{:>6}  {:<24} {:<6} {:<30} USER ID",
            "ASSOC", "USERNAME", "ROLE", "EMAIL"
        );
        for u in &users {
            println!(
                "{:>6}  {:<24} {:<6} {:<30} {}",
                u.associate_id,
                u.username,
                u.role.as_str(),
                u.email.as_ref().map_or("-", |e| e.as_str()),
                u.id
            );
        }
    }
    Ok(())
}
