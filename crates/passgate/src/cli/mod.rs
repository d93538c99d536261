//! The command line: the command tree, `serve`, `migrate`, `session …`, `app-token …`,
//! `audit` and `db backup|restore` here; one file per larger command group beside it
//! (`user`, `import`, `mail`, `breach`, `db_copy`, `config_check`). `bench` is
//! [`crate::bench`].
//!
//! Exit codes: 0 success, 1 runtime failure (database, I/O), 2 usage error, 3 not found,
//! 4 conflict (e.g. the username is taken), 5 password refused by the policy, 6 some lines of
//! `user import` refused (the others were imported).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use passgate_core::audit::FrontEnd;
use passgate_core::domain::{Email, FullName, Password, Role, Username};
use passgate_core::service::NewUserInput;
use passgate_core::{CoreError, RequestContext, SystemClock};

use crate::config::{Overrides, Settings};

pub mod breach;
pub mod config_check;
pub mod db_copy;
pub mod import;
pub mod mail;
pub mod user;

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
        /// Once listening, write the bound address (e.g. 127.0.0.1:41234) to this file, for
        /// scripts that start the server on port 0.
        #[arg(long)]
        ready_file: Option<PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// List and revoke sessions (SOAP tickets, REST and web sessions alike).
    #[command(subcommand)]
    Session(SessionCommand),
    /// Manage application tokens (required on every SOAP call in online mode).
    #[command(subcommand)]
    AppToken(user::AppTokenCommand),
    /// Build or query the offline breached-password index.
    #[command(subcommand)]
    Breach(breach::BreachCommand),
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
    /// Benchmark a scenario against a fresh server (or --url); see docs/performance.md.
    Bench(crate::bench::BenchArgs),
    /// The mail outbox: list mails and dead letters, queue dead letters again.
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Check the configuration (file and environment) as `serve` would load it.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Whole-database operations.
    #[command(subcommand)]
    Db(DbCommand),
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load the file and environment as `serve` does, open the files it would open, try the
    /// database, print the effective settings (secrets redacted) and every problem; exit 2
    /// on any problem.
    Check,
}

/// `db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy an installation to another database (e.g. SQLite to PostgreSQL) and verify it.
    Copy(db_copy::CopyArgs),
    /// Back up the SQLite database to a new file while the server runs, and verify the copy.
    Backup {
        /// The backup file to create (never overwritten).
        #[arg(long)]
        to: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Replace the SQLite database with a verified backup; refused while a server runs on it.
    Restore {
        /// The backup file to restore.
        #[arg(long)]
        from: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
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
    /// Import users with the password hashes of another system, one per line (CSV or JSONL;
    /// see docs/migration.md). Each hash is upgraded to Argon2id at the user's next sign-in.
    Import(import::ImportArgs),
    /// List users.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show one user (no secret).
    Show {
        /// Login name.
        name: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password: generated and printed once, or read from standard input. Every
    /// session of the user ends; the user must change it at next login unless --permanent.
    SetPassword {
        /// Login name.
        name: String,
        /// Read the password from standard input (first line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Do not require a change at next login.
        #[arg(long)]
        permanent: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Require a password change at next login; every session ends now.
    Expire {
        /// Login name.
        name: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Change a user's login name.
    Rename {
        /// Current login name.
        name: String,
        /// New login name.
        new_name: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Delete a user with their sessions and password history (audit rows stay).
    Delete {
        /// Login name.
        name: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
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
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Print a single-use password-reset link for the user (audited; any earlier link stops
    /// working). No mail is sent: hand it over yourself.
    ResetLink {
        /// Login name.
        name: String,
        /// The page the link opens (default: the first of reset.allowed_urls).
        #[arg(long)]
        url: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Remove a lock.
    Unlock {
        /// Login name.
        name: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
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
    #[error("{0}")]
    Breach(#[from] breach::BreachCmdError),
    #[error("{0}")]
    Admin(user::AdminCmdError),
    #[error("{0}")]
    Bench(#[from] crate::bench::BenchError),
    #[error("{0}")]
    Mail(#[from] passgate_mail::MailError),
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// `config check` found problems (already printed).
    #[error("the configuration has problems")]
    Checked,
    #[error("{0}")]
    Import(import::ImportError),
}

impl From<import::ImportError> for CliError {
    fn from(e: import::ImportError) -> Self {
        match e {
            import::ImportError::Core(c) => CliError::Core(c),
            other => CliError::Import(other),
        }
    }
}

impl From<user::AdminCmdError> for CliError {
    fn from(e: user::AdminCmdError) -> Self {
        match e {
            user::AdminCmdError::Core(c) => CliError::Core(c),
            other => CliError::Admin(other),
        }
    }
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) | CliError::Mail(_) | CliError::Checked => 2,
            CliError::Bench(crate::bench::BenchError::Usage(_)) => 2,
            CliError::Core(CoreError::NotFound(_)) => 3,
            CliError::Core(CoreError::Conflict(_)) => 4,
            CliError::Core(CoreError::PolicyViolation(_)) => 5,
            CliError::Core(CoreError::InvalidInput(_)) => 2,
            CliError::Breach(breach::BreachCmdError::NoPath) => 2,
            CliError::Admin(user::AdminCmdError::NotConfirmed(_)) => 2,
            CliError::Import(import::ImportError::Usage(_)) => 2,
            CliError::Import(import::ImportError::Refused(_)) => 6,

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
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let overrides = Overrides {
        database_url: cli.database.clone(),
        listen,
    };
    if let Command::Config(ConfigCommand::Check) = cli.command {
        return match config_check::check(cli.config.as_deref(), &overrides).await {
            0 => Ok(()),
            _ => Err(CliError::Checked),
        };
    }
    let settings = Settings::load(cli.config.as_deref(), &overrides)?;
    for name in crate::config::unknown_env() {
        tracing::warn!(
            name = %name,
            "unknown environment variable ignored: not a passgate setting (see docs/configuration.md)"
        );
    }
    match cli.command {
        Command::Config(ConfigCommand::Check) => Ok(()),
        Command::Serve { ready_file, .. } => serve(settings, ready_file).await,
        Command::Bench(args) => {
            Ok(crate::bench::run(&settings, cli.config.as_deref(), args).await?)
        }
        Command::Migrate => {
            passgate_store::open_with(&settings.database_url, &settings.database).await?;
            println!(
                "database {} is up to date",
                passgate_store::redact_url(&settings.database_url)
            );
            Ok(())
        }
        Command::Breach(breach::BreachCommand::Import {
            file,
            output,
            full_hashes,
            json,
        }) => Ok(breach::import(&settings, &file, output, full_hashes, json)?),
        Command::Breach(breach::BreachCommand::Check { index }) => {
            let password = read_password_stdin()?;
            let n = breach::check(&settings, index, &password)?;
            println!("{n}");
            Ok(())
        }
        Command::Db(DbCommand::Copy(args)) => Ok(db_copy::run(&args).await?),
        Command::Db(DbCommand::Backup { to, json }) => {
            let started = std::time::Instant::now();
            let r = passgate_store::sqlite_backup::backup(&settings.database_url, &to).await?;
            report_backup("backed up to", &to, r, started, json);
            Ok(())
        }
        Command::Db(DbCommand::Restore { from, json }) => {
            let started = std::time::Instant::now();
            let r = passgate_store::sqlite_backup::restore(&settings.database_url, &from).await?;
            report_backup("restored from", &from, r, started, json);
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => user_add(settings, args).await,
        Command::User(UserCommand::List { json }) => user_list(settings, json).await,
        Command::User(UserCommand::Import(args)) => {
            let core = cli_core(&settings).await?;
            Ok(import::run(core, &cli_ctx(), &args).await?)
        }
        Command::User(UserCommand::Lock { name, until, json }) => {
            let until = until.as_deref().map(parse_time).transpose()?;
            let core = cli_core(&settings).await?;
            let until = core.lock_user(&cli_ctx(), &name, until).await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"username": name, "lockedUntil": until.to_rfc3339()})
                );
            } else {
                println!(
                    "locked {name} until {}; its sessions were ended",
                    until.to_rfc3339()
                );
            }
            Ok(())
        }
        Command::User(UserCommand::Unlock { name, json }) => {
            cli_core(&settings)
                .await?
                .unlock_user(&cli_ctx(), &name)
                .await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"username": name, "lockedUntil": null})
                );
            } else {
                println!("unlocked {name}");
            }
            Ok(())
        }
        Command::User(UserCommand::Show { name, json }) => {
            let core = cli_core(&settings).await?;
            Ok(user::show(&core, &name, json).await?)
        }
        Command::User(UserCommand::SetPassword {
            name,
            password_stdin,
            permanent,
            json,
        }) => {
            let given = if password_stdin {
                if std::io::stdin().is_terminal() {
                    eprintln!("Password (end with Enter):");
                }
                Some(read_password_stdin()?)
            } else {
                None
            };
            let core = cli_core(&settings).await?;
            let ctx = cli_ctx();
            Ok(user::set_password(&core, &ctx, &name, given, permanent, json).await?)
        }
        Command::User(UserCommand::Expire { name, json }) => {
            let core = cli_core(&settings).await?;
            Ok(user::expire(&core, &cli_ctx(), &name, json).await?)
        }
        Command::User(UserCommand::Rename {
            name,
            new_name,
            json,
        }) => {
            let core = cli_core(&settings).await?;
            Ok(user::rename(&core, &cli_ctx(), &name, &new_name, json).await?)
        }
        Command::User(UserCommand::Delete { name, yes, json }) => {
            let core = cli_core(&settings).await?;
            Ok(user::delete(&core, &cli_ctx(), &name, yes, json).await?)
        }
        Command::User(UserCommand::ResetLink { name, url, json }) => {
            let core = cli_core(&settings).await?;
            Ok(mail::reset_link(&core, &cli_ctx(), &name, url, json).await?)
        }
        Command::Mail(cmd) => {
            let core = cli_core(&settings).await?;
            Ok(mail::run(&core, cmd).await?)
        }
        Command::AppToken(cmd) => {
            let core = cli_core(&settings).await?;
            Ok(user::app_token(&core, &cli_ctx(), cmd).await?)
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
                println!(
                    "{:<24} {:<22} {:<6} {:<20} {:<16} {:<16} REASON",
                    "TIME", "EVENT", "VIA", "USER", "CLIENT", "ACTOR"
                );
                for r in &rows {
                    println!(
                        "{:<24} {:<22} {:<6} {:<20} {:<16} {:<16} {}",
                        fixed_width_time(&r.at),
                        r.event,
                        r.front_end,
                        r.username.as_deref().unwrap_or("-"),
                        r.client_addr.as_deref().unwrap_or("-"),
                        r.actor.as_deref().unwrap_or("-"),
                        r.reason.as_deref().unwrap_or("")
                    );
                }
            }
            Ok(())
        }
    }
}

/// The context of a CLI command: audited with actor `cli:<os user>`, the name of the
/// effective user id (from `/etc/passwd`; `$USER` can say anything and is often unset under
/// cron, sudo or systemd), else `uid=<n>`.
fn cli_ctx() -> RequestContext {
    let user = os_user_name();
    RequestContext {
        actor: Some(format!("cli:{user}")),
        ..RequestContext::new(FrontEnd::Cli)
    }
}

#[cfg(unix)]
fn os_user_name() -> String {
    let uid = rustix::process::geteuid().as_raw();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|text| passwd_name(&text, uid))
        .unwrap_or_else(|| format!("uid={uid}"))
}

#[cfg(not(unix))]
fn os_user_name() -> String {
    std::env::var("USERNAME").unwrap_or_else(|_| "unknown".into())
}

/// The login name of `uid` in a passwd file (`name:x:uid:...` lines).
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?.parse::<u32>().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

/// An audit time as fixed-width RFC 3339 with milliseconds (`2026-11-23T09:31:47.500Z`), so
/// that columns line up; the stored text when it does not parse.
fn fixed_width_time(at: &str) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&format).ok())
        .unwrap_or_else(|| at.to_owned())
}

/// Prints what `db backup` or `db restore` did.
fn report_backup(
    what: &str,
    file: &std::path::Path,
    r: passgate_store::sqlite_backup::BackupReport,
    started: std::time::Instant,
    json: bool,
) {
    let secs = started.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::json!({"file": file.display().to_string(), "users": r.users,
                "bytes": r.bytes, "seconds": secs, "integrity": "ok"})
        );
    } else {
        println!(
            "{what} {}: {} users, {} bytes, integrity ok, {secs:.2} s",
            file.display(),
            r.users,
            r.bytes
        );
    }
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

async fn serve(settings: Settings, ready_file: Option<PathBuf>) -> Result<(), CliError> {
    let open_files = crate::conn::raise_open_file_limit();
    let mut limits = settings.connections.clone();
    limits.max_connections = crate::conn::fit_cap(
        limits.max_connections,
        open_files,
        crate::conn::reserve(settings.database.max_connections),
    );
    if limits.max_connections < settings.connections.max_connections {
        tracing::warn!(
            configured = settings.connections.max_connections,
            max_connections = limits.max_connections,
            open_file_limit = open_files,
            "connection cap lowered to fit the open-file limit"
        );
    }
    let tls = match &settings.tls {
        Some(t) => Some(crate::tls::Tls::new(t.files.clone())?),
        None => None,
    };
    // One server per SQLite file; `db restore` waits for this lock too.
    let _db_lock = match passgate_store::sqlite_file(&settings.database_url) {
        Some(file) => Some(passgate_store::sqlite_backup::lock(&file)?),
        None => None,
    };
    let core = crate::app::build_core(&settings, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let redirect = match settings.tls.as_ref().and_then(|t| t.redirect_listen) {
        Some(addr) => {
            let plain = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!(listen = %plain.local_addr()?, "redirecting plain HTTP to HTTPS");
            let router = crate::tls::redirect::router(
                settings.public_url.as_deref(),
                listener.local_addr()?.port(),
            );
            Some(tokio::spawn(crate::app::serve_with(
                plain,
                router,
                limits.clone(),
                crate::app::shutdown_signal(),
            )))
        }
        None => None,
    };
    if let Some(path) = ready_file {
        // Written whole, then renamed, so a reader never sees a partial address.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, format!("{}\n", listener.local_addr()?))?;
        std::fs::rename(&tmp, &path)?;
    }
    tracing::info!(
        listen = %listener.local_addr()?,
        database = %passgate_store::redact_url(&settings.database_url),
        hash_workers = core.pool().workers(),
        hash_max_wait_ms = u64::try_from(core.pool().max_wait().as_millis()).unwrap_or(u64::MAX),
        hash_thread_policy = ?settings.core.hash_thread_policy,
        refusal_pace_ms = settings.refusal_pace.as_secs_f64() * 1000.0,
        max_connections = limits.max_connections,
        header_timeout_secs = limits.header_timeout.as_secs(),
        idle_timeout_secs = limits.idle_timeout.as_secs(),
        https = tls.is_some(),
        "passgate listening"
    );
    let mail = crate::app::MailTask::start(&core, &settings, Arc::new(SystemClock))?;
    let router = crate::app::router(core, &settings);
    let reloader = tls.as_ref().map(crate::tls::Tls::spawn_reloader);
    crate::app::serve_tls(
        listener,
        router,
        limits,
        tls.as_ref().map(|t| t.acceptor()),
        crate::app::shutdown_signal(),
    )
    .await?;
    if let Some(r) = reloader {
        r.abort();
    }
    if let Some(r) = redirect {
        let _ = r.await;
    }
    if let Some(mail) = mail {
        mail.stop().await;
    }
    Ok(())
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
        (
            passgate_core::credential::policy::generate(&settings.core.policy),
            true,
        )
    };
    let core = crate::app::build_core(&settings, Arc::new(SystemClock)).await?;
    let user = core
        .create_user(
            &cli_ctx(),
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
        let list: Vec<_> = users.iter().map(user::user_json).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lookup_and_fixed_width_times() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nops:x:1000:1000::/home/ops:/bin/sh\n";
        assert_eq!(passwd_name(passwd, 1000).as_deref(), Some("ops"));
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 7), None);
        assert_eq!(
            fixed_width_time("2026-11-23T09:31:47.5Z"),
            "2026-11-23T09:31:47.500Z"
        );
        assert_eq!(
            fixed_width_time("2026-11-23T09:31:47Z"),
            "2026-11-23T09:31:47.000Z"
        );
        assert_eq!(fixed_width_time("garbage"), "garbage");
    }
}
