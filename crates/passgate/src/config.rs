//! Configuration: defaults, then an optional TOML file, then `PASSGATE_*` environment
//! variables, then command-line flags; the result is typed and validated once.

use std::fmt::Display;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use passgate_core::credential::policy::Composition;
use passgate_core::credential::{HashParams, HashThreadPolicy, PolicyConfig};
use passgate_core::CoreConfig;
use serde::Deserialize;

mod env_names;
mod import;
mod mail;
mod tls;
mod web;
mod webapi;

pub use env_names::unknown as unknown_env;
pub use mail::{MAX_ALLOWED_URLS, MAX_MAIL_ATTEMPTS, MAX_RESETS_PER_HOUR, MAX_RESET_TTL_MINS};
pub use tls::TlsSettings;
pub use web::{read_logo, reset_page_url, WebSettings, MAX_LOGO_BYTES};
pub use webapi::MAX_WEBAPI_BASE;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default database.
pub const DEFAULT_DATABASE: &str = "sqlite://passgate.db";
/// Largest request body accepted by any front end.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Default least latency of an overload refusal, in milliseconds (see `Settings::refusal_pace`).
pub const DEFAULT_REFUSAL_PACE_MS: f64 = 2.0;
/// Upper bound of `argon2.refusal_pace_ms`: a refusal must stay quick.
pub const MAX_REFUSAL_PACE_MS: f64 = 100.0;
/// Upper bound of `argon2.max_wait_ms`: nobody waits a minute for a login.
pub const MAX_MAX_WAIT_MS: u64 = 60_000;

/// Largest `throttle.account_threshold`.
pub const MAX_ACCOUNT_THRESHOLD: u32 = 100;
/// Largest `throttle.address_limit`.
pub const MAX_ADDRESS_LIMIT: u32 = 1_000_000;
/// Largest `throttle.refusal_delay_ms` and `throttle.failure_delay_ms`.
pub const MAX_THROTTLE_DELAY_MS: u64 = 10_000;

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Errors in the configuration; each names the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// Path.
        path: String,
        /// Parser message.
        message: String,
    },
    /// A value is out of range or malformed.
    #[error("invalid setting {name}: {message}")]
    Invalid {
        /// Setting name.
        name: &'static str,
        /// Why.
        message: String,
    },
}

/// The file format; every field optional. (No `Debug`: the database URL may hold a password.)
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    public_url: Option<String>,
    system_name: Option<String>,
    request_timeout_secs: Option<u64>,
    trusted_proxy_header: Option<String>,
    mode: Option<String>,
    #[serde(default)]
    argon2: Argon2File,
    #[serde(default)]
    sessions: SessionsFile,
    #[serde(default)]
    policy: PolicyFile,
    #[serde(default)]
    throttle: ThrottleFile,
    #[serde(default)]
    breach: BreachFile,
    #[serde(default)]
    database: DatabaseFile,
    #[serde(default)]
    connections: ConnectionsFile,
    #[serde(default)]
    mail: mail::MailFile,
    #[serde(default)]
    reset: mail::ResetFile,
    #[serde(default)]
    webapi: webapi::WebApiFile,
    #[serde(default)]
    web: web::WebFile,
    #[serde(default)]
    tls: tls::TlsFile,
    #[serde(default)]
    import: import::ImportFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectionsFile {
    max: Option<usize>,
    header_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreachFile {
    index: Option<String>,
    min_count: Option<u32>,
    range_api: Option<bool>,
    range_allow: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseFile {
    max_connections: Option<u32>,
    acquire_timeout_secs: Option<u64>,
    statement_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThrottleFile {
    account_threshold: Option<u32>,
    account_base_delay_secs: Option<u64>,
    account_max_delay_secs: Option<u64>,
    address_limit: Option<u32>,
    address_window_secs: Option<u64>,
    address_block_secs: Option<u64>,
    refusal_delay_ms: Option<u64>,
    failure_delay_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Argon2File {
    memory_kib: Option<u32>,
    iterations: Option<u32>,
    parallelism: Option<u32>,
    workers: Option<usize>,
    /// Replaced by `max_wait_ms`; read only to name the replacement in the error.
    queue: Option<usize>,
    max_wait_ms: Option<u64>,
    thread_policy: Option<String>,
    refusal_pace_ms: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionsFile {
    idle_timeout_secs: Option<u64>,
    absolute_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    min_length: Option<usize>,
    max_length: Option<usize>,
    blocklist: Option<bool>,
    min_strength: Option<u8>,
    context_words: Option<Vec<String>>,
    min_digits: Option<usize>,
    min_lowercase: Option<usize>,
    min_uppercase: Option<usize>,
    min_special: Option<usize>,
    history: Option<usize>,
}

/// The effective settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Database URL (prints redacted).
    pub database_url: passgate_store::DatabaseUrl,
    /// Connection pool of the database.
    pub database: passgate_store::PoolSettings,
    /// Public base URL for WSDL addresses.
    pub public_url: Option<String>,
    /// Name of this installation (GetSystemInfo `CompanyName`).
    pub system_name: String,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Header carrying the client address from a trusted reverse proxy (off when None).
    pub trusted_proxy_header: Option<String>,
    /// Online mode: every SOAP call needs a registered `ApplicationToken` (`mode = "online"`).
    pub online: bool,
    /// Breached-password index file (checked on every new password when set).
    pub breach_index: Option<std::path::PathBuf>,
    /// Serve `GET /range/{prefix}` from the index (`breach.range_api`).
    pub breach_range_api: bool,
    /// Clients allowed to use the range API (`breach.range_allow`; empty: everyone).
    pub breach_range_allow: Vec<crate::range_api::Network>,
    /// Least time between a request's arrival and its overload refusal (503 with
    /// `Retry-After`); zero answers refusals as soon as they are decided.
    pub refusal_pace: Duration,
    /// HTTP connection limits: cap, header and idle timeouts, shutdown bound.
    pub connections: crate::conn::ConnLimits,
    /// The SMTP server and the outbox sender (None: mail is off).
    pub mail: Option<passgate_mail::MailSettings>,
    /// Base path of the SuperOffice WebAPI front end (`webapi.base`, default `/api`).
    pub webapi_base: String,
    /// The self-service pages under `/account/`.
    pub web: WebSettings,
    /// HTTPS on the listener (None: plain HTTP).
    pub tls: Option<TlsSettings>,
    /// Core settings.
    pub core: CoreConfig,
}

impl Settings {
    /// Whether clients reach passgate over HTTPS: TLS on the listener, or a `public_url`
    /// with `https` (TLS ended by a proxy in front). Cookies are then `Secure` and the
    /// pages send HSTS.
    pub fn https(&self) -> bool {
        self.tls.is_some()
            || self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Values given on the command line (they win over everything else).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--database`.
    pub database_url: Option<passgate_store::DatabaseUrl>,
    /// `--listen`.
    pub listen: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &'static str) -> Result<Option<T>, ConfigError> {
    env(name)
        .map(|v| {
            v.parse::<T>().map_err(|_| ConfigError::Invalid {
                name,
                message: format!("cannot parse {v:?}"),
            })
        })
        .transpose()
}

/// A number from the environment variable `env_name`, else from the file, else `default`;
/// refused (never clamped) unless it lies in `range`. `key` names the setting in errors.
fn ranged<T>(
    key: &'static str,
    env_name: &'static str,
    file: Option<T>,
    default: T,
    range: RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + Display + Copy,
{
    let (value, source) = match env_parse::<T>(env_name)? {
        Some(v) => (v, env_name),
        None => match file {
            Some(v) => (v, "the config file"),
            None => return Ok(default),
        },
    };
    if range.contains(&value) {
        return Ok(value);
    }
    Err(ConfigError::Invalid {
        name: key,
        message: format!(
            "must be between {} and {}, got {value} (from {source})",
            range.start(),
            range.end()
        ),
    })
}

/// Largest `connections.max`.
pub const MAX_CONNECTIONS_LIMIT: usize = 1_000_000;
/// Largest `connections.header_timeout_secs`.
pub const MAX_HEADER_TIMEOUT_SECS: u64 = 3_600;
/// Largest `connections.idle_timeout_secs`.
pub const MAX_IDLE_TIMEOUT_SECS: u64 = 86_400;
/// Time allowed, beyond the request timeout, to write the last responses at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// `[connections]` in the file, `PASSGATE_CONNECTIONS_*` in the environment. Shutdown is
/// bounded by the request timeout plus [`SHUTDOWN_GRACE`]: no running request can take longer.
fn connection_limits(
    f: &ConnectionsFile,
    request_timeout: Duration,
) -> Result<crate::conn::ConnLimits, ConfigError> {
    let d = crate::conn::ConnLimits::default();
    Ok(crate::conn::ConnLimits {
        max_connections: ranged(
            "connections.max",
            "PASSGATE_CONNECTIONS_MAX",
            f.max,
            d.max_connections,
            1..=MAX_CONNECTIONS_LIMIT,
        )?,
        header_timeout: Duration::from_secs(ranged(
            "connections.header_timeout_secs",
            "PASSGATE_CONNECTIONS_HEADER_TIMEOUT_SECS",
            f.header_timeout_secs,
            d.header_timeout.as_secs(),
            1..=MAX_HEADER_TIMEOUT_SECS,
        )?),
        idle_timeout: Duration::from_secs(ranged(
            "connections.idle_timeout_secs",
            "PASSGATE_CONNECTIONS_IDLE_TIMEOUT_SECS",
            f.idle_timeout_secs,
            d.idle_timeout.as_secs(),
            1..=MAX_IDLE_TIMEOUT_SECS,
        )?),
        shutdown_timeout: request_timeout.saturating_add(SHUTDOWN_GRACE),
    })
}

/// Pool settings: `[database]` in the file, `PASSGATE_DATABASE_*` in the environment.
fn database_settings(f: &DatabaseFile) -> Result<passgate_store::PoolSettings, ConfigError> {
    let defaults = passgate_store::PoolSettings::default();
    let max_connections = env_parse("PASSGATE_DATABASE_MAX_CONNECTIONS")?
        .or(f.max_connections)
        .unwrap_or(defaults.max_connections);
    if !(1..=1000).contains(&max_connections) {
        return Err(ConfigError::Invalid {
            name: "database.max_connections",
            message: "must be between 1 and 1000".into(),
        });
    }
    let secs = |name: &'static str, file: Option<u64>, default: Duration| {
        let v = env_parse::<u64>(name)?
            .or(file)
            .map_or(default, Duration::from_secs);
        if v.is_zero() {
            return Err(ConfigError::Invalid {
                name,
                message: "must be at least 1 second".into(),
            });
        }
        Ok(v)
    };
    Ok(passgate_store::PoolSettings {
        max_connections,
        acquire_timeout: secs(
            "PASSGATE_DATABASE_ACQUIRE_TIMEOUT_SECS",
            f.acquire_timeout_secs,
            defaults.acquire_timeout,
        )?,
        statement_timeout: secs(
            "PASSGATE_DATABASE_STATEMENT_TIMEOUT_SECS",
            f.statement_timeout_secs,
            defaults.statement_timeout,
        )?,
    })
}

impl Settings {
    /// Loads the settings: defaults < file < environment < overrides.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let read = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                Some((path.display().to_string(), text))
            }
            None => None,
        };
        let settings = Self::from_text(
            read.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
            overrides,
        )?;
        if let Some(logo) = &settings.web.logo_file {
            // Checked now so that a bad logo stops the start, not a page view.
            read_logo(logo)?;
        }
        Ok(settings)
    }

    /// Builds the settings from a config file's text, given as `(name for errors, TOML)`, or
    /// from defaults when `None`; the environment and `overrides` apply on top as in
    /// [`Settings::load`]. Reads no file, so the fuzz target and tests can drive it directly.
    pub fn from_text(
        file: Option<(&str, &str)>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let f = match file {
            Some((path, text)) => {
                toml::from_str::<FileConfig>(text).map_err(|e| ConfigError::Parse {
                    path: path.to_owned(),
                    message: e.message().to_owned(),
                })?
            }
            None => FileConfig::default(),
        };
        let defaults = CoreConfig::default();
        let listen_text = overrides
            .listen
            .clone()
            .or_else(|| env("PASSGATE_LISTEN"))
            .or(f.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_text.parse().map_err(|_| ConfigError::Invalid {
            name: "listen",
            message: format!("{listen_text:?} is not an address like 127.0.0.1:8080"),
        })?;
        let database_url = overrides
            .database_url
            .clone()
            .or_else(|| env("PASSGATE_DATABASE_URL").map(Into::into))
            .or(f.database_url.map(Into::into))
            .unwrap_or_else(|| DEFAULT_DATABASE.into());
        let database = database_settings(&f.database)?;
        let hash = HashParams {
            m_kib: env_parse("PASSGATE_ARGON2_MEMORY_KIB")?
                .or(f.argon2.memory_kib)
                .unwrap_or(defaults.hash.m_kib),
            t: env_parse("PASSGATE_ARGON2_ITERATIONS")?
                .or(f.argon2.iterations)
                .unwrap_or(defaults.hash.t),
            p: env_parse("PASSGATE_ARGON2_PARALLELISM")?
                .or(f.argon2.parallelism)
                .unwrap_or(defaults.hash.p),
        };
        hash.validate().map_err(|e| ConfigError::Invalid {
            name: "argon2",
            message: e.to_string(),
        })?;
        let idle = env_parse("PASSGATE_SESSION_IDLE_SECS")?
            .or(f.sessions.idle_timeout_secs)
            .map_or(defaults.session_idle, Duration::from_secs);
        let absolute = env_parse("PASSGATE_SESSION_ABSOLUTE_SECS")?
            .or(f.sessions.absolute_timeout_secs)
            .map_or(defaults.session_absolute, Duration::from_secs);
        if idle.is_zero() || absolute.is_zero() {
            return Err(ConfigError::Invalid {
                name: "sessions",
                message: "timeouts must be positive".into(),
            });
        }
        let system_name = env("PASSGATE_SYSTEM_NAME")
            .or(f.system_name)
            .unwrap_or_else(|| "passgate".to_owned());
        let policy = policy_config(&f.policy, &f.breach, &defaults.policy, &system_name)?;
        let t = passgate_core::throttle::ThrottleConfig::default();
        let secs = |name: &'static str,
                    file: Option<u64>,
                    default: Duration|
         -> Result<Duration, ConfigError> {
            let v = env_parse::<u64>(name)?
                .or(file)
                .map_or(default, Duration::from_secs);
            if v.is_zero() {
                return Err(ConfigError::Invalid {
                    name,
                    message: "must be at least 1 second".into(),
                });
            }
            Ok(v)
        };
        let throttle = passgate_core::throttle::ThrottleConfig {
            account_threshold: ranged(
                "throttle.account_threshold",
                "PASSGATE_THROTTLE_ACCOUNT_THRESHOLD",
                f.throttle.account_threshold,
                t.account_threshold,
                1..=MAX_ACCOUNT_THRESHOLD,
            )?,
            account_base_delay: secs(
                "PASSGATE_THROTTLE_ACCOUNT_BASE_DELAY_SECS",
                f.throttle.account_base_delay_secs,
                t.account_base_delay,
            )?,
            account_max_delay: secs(
                "PASSGATE_THROTTLE_ACCOUNT_MAX_DELAY_SECS",
                f.throttle.account_max_delay_secs,
                t.account_max_delay,
            )?,
            address_limit: ranged(
                "throttle.address_limit",
                "PASSGATE_THROTTLE_ADDRESS_LIMIT",
                f.throttle.address_limit,
                t.address_limit,
                1..=MAX_ADDRESS_LIMIT,
            )?,
            address_window: secs(
                "PASSGATE_THROTTLE_ADDRESS_WINDOW_SECS",
                f.throttle.address_window_secs,
                t.address_window,
            )?,
            address_block: secs(
                "PASSGATE_THROTTLE_ADDRESS_BLOCK_SECS",
                f.throttle.address_block_secs,
                t.address_block,
            )?,
            refusal_delay: Duration::from_millis(ranged(
                "throttle.refusal_delay_ms",
                "PASSGATE_THROTTLE_REFUSAL_DELAY_MS",
                f.throttle.refusal_delay_ms,
                duration_ms(t.refusal_delay),
                0..=MAX_THROTTLE_DELAY_MS,
            )?),
            failure_delay: Duration::from_millis(ranged(
                "throttle.failure_delay_ms",
                "PASSGATE_THROTTLE_FAILURE_DELAY_MS",
                f.throttle.failure_delay_ms,
                duration_ms(t.failure_delay),
                0..=MAX_THROTTLE_DELAY_MS,
            )?),
        };
        if throttle.account_base_delay > throttle.account_max_delay {
            return Err(ConfigError::Invalid {
                name: "throttle.account_base_delay_secs",
                message: format!(
                    "must not exceed throttle.account_max_delay_secs ({} > {})",
                    throttle.account_base_delay.as_secs(),
                    throttle.account_max_delay.as_secs()
                ),
            });
        }
        if f.argon2.queue.is_some() || env("PASSGATE_ARGON2_QUEUE").is_some() {
            return Err(ConfigError::Invalid {
                name: "argon2.queue",
                message: "admission is now decided by waiting time: remove argon2.queue \
                          (PASSGATE_ARGON2_QUEUE) and set argon2.max_wait_ms if the 1 s \
                          default does not suit"
                    .into(),
            });
        }
        let web = web::web_settings(&f.web)?;
        let tls = tls::tls_settings(&f.tls)?;
        let public_url = env("PASSGATE_PUBLIC_URL").or(f.public_url);
        // The pages' own reset page is always an allowed base for reset links.
        let own_reset_page = web
            .enabled
            .then(|| web::reset_page_url(public_url.as_deref(), listen, tls.is_some()))
            .flatten();
        let reset = mail::reset_config(&f.reset, own_reset_page)?;
        let (mail_settings, mail_policy) = mail::mail_settings(&f.mail, reset.token_ttl)?;
        let core = CoreConfig {
            reset,
            mail: mail_policy,
            throttle,
            hash,
            hash_workers: env_parse("PASSGATE_ARGON2_WORKERS")?
                .or(f.argon2.workers)
                .unwrap_or(0),
            hash_max_wait: max_wait(
                env_parse("PASSGATE_ARGON2_MAX_WAIT_MS")?.or(f.argon2.max_wait_ms),
                defaults.hash_max_wait,
            )?,
            hash_thread_policy: thread_policy(
                env("PASSGATE_ARGON2_THREAD_POLICY").or(f.argon2.thread_policy),
            )?,
            session_idle: idle,
            session_absolute: absolute,
            policy,
            import: import::import_config(&f.import)?,
            ..defaults
        };
        let request_timeout_secs: u64 = env_parse("PASSGATE_REQUEST_TIMEOUT_SECS")?
            .or(f.request_timeout_secs)
            .unwrap_or(30);
        if request_timeout_secs == 0 {
            return Err(ConfigError::Invalid {
                name: "request_timeout_secs",
                message: "must be at least 1".into(),
            });
        }
        if core.hash_max_wait >= Duration::from_secs(request_timeout_secs) {
            return Err(ConfigError::Invalid {
                name: "argon2.max_wait_ms",
                message: "must be shorter than request_timeout_secs".into(),
            });
        }
        let mode = env("PASSGATE_MODE")
            .or(f.mode)
            .unwrap_or_else(|| "onsite".to_owned());
        let online = match mode.to_ascii_lowercase().as_str() {
            "onsite" => false,
            "online" => true,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "mode",
                    message: format!("{mode:?} is neither \"onsite\" nor \"online\""),
                })
            }
        };
        let request_timeout = Duration::from_secs(request_timeout_secs);
        let connections = connection_limits(&f.connections, request_timeout)?;
        let webapi_base = webapi::webapi_base(&f.webapi)?;
        let breach_index = env("PASSGATE_BREACH_INDEX")
            .or(f.breach.index)
            .map(std::path::PathBuf::from);
        let breach_range_api = env_parse::<bool>("PASSGATE_BREACH_RANGE_API")?
            .or(f.breach.range_api)
            .unwrap_or(false);
        if breach_range_api && breach_index.is_none() {
            return Err(ConfigError::Invalid {
                name: "breach.range_api",
                message: "needs breach.index (built with `passgate breach import --full-hashes`)"
                    .into(),
            });
        }
        let breach_range_allow = match env("PASSGATE_BREACH_RANGE_ALLOW") {
            Some(list) => list.split(',').map(|s| s.trim().to_owned()).collect(),
            None => f.breach.range_allow.unwrap_or_default(),
        }
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|message| ConfigError::Invalid {
                name: "breach.range_allow",
                message,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
        Ok(Settings {
            breach_range_api,
            breach_range_allow,
            online,
            connections,
            mail: mail_settings,
            webapi_base,
            listen,
            database_url,
            database,
            public_url,
            web,
            tls,
            system_name,
            request_timeout,
            trusted_proxy_header: env("PASSGATE_TRUSTED_PROXY_HEADER")
                .or(f.trusted_proxy_header)
                .map(|h| h.to_ascii_lowercase()),
            breach_index,
            refusal_pace: refusal_pace(
                env_parse::<f64>("PASSGATE_ARGON2_REFUSAL_PACE_MS")?.or(f.argon2.refusal_pace_ms),
            )?,
            core,
        })
    }
}

/// `argon2.thread_policy`: `batch` (default) or `normal`.
fn thread_policy(value: Option<String>) -> Result<HashThreadPolicy, ConfigError> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("batch") => Ok(HashThreadPolicy::Batch),
        Some("normal") => Ok(HashThreadPolicy::Normal),
        Some(other) => Err(ConfigError::Invalid {
            name: "argon2.thread_policy",
            message: format!("{other:?} is neither \"batch\" nor \"normal\""),
        }),
    }
}

/// `argon2.max_wait_ms`, checked against 1..=`MAX_MAX_WAIT_MS`.
fn max_wait(ms: Option<u64>, default: Duration) -> Result<Duration, ConfigError> {
    match ms {
        None => Ok(default),
        Some(ms) if (1..=MAX_MAX_WAIT_MS).contains(&ms) => Ok(Duration::from_millis(ms)),
        Some(_) => Err(ConfigError::Invalid {
            name: "argon2.max_wait_ms",
            message: format!("must be between 1 and {MAX_MAX_WAIT_MS}"),
        }),
    }
}

/// `argon2.refusal_pace_ms` (fractions allowed), checked against 0..=`MAX_REFUSAL_PACE_MS`.
fn refusal_pace(ms: Option<f64>) -> Result<Duration, ConfigError> {
    let ms = ms.unwrap_or(DEFAULT_REFUSAL_PACE_MS);
    if !(0.0..=MAX_REFUSAL_PACE_MS).contains(&ms) {
        return Err(ConfigError::Invalid {
            name: "argon2.refusal_pace_ms",
            message: format!("must be between 0 and {MAX_REFUSAL_PACE_MS}"),
        });
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

/// The password policy: file values, overridden by `PASSGATE_POLICY_*` (and the older
/// `PASSGATE_PASSWORD_{MIN,MAX}_LENGTH`), validated against the documented bounds.
fn policy_config(
    f: &PolicyFile,
    breach: &BreachFile,
    defaults: &PolicyConfig,
    system_name: &str,
) -> Result<PolicyConfig, ConfigError> {
    let d = defaults;
    let count = |name: &'static str, file: Option<usize>, default: usize| {
        env_parse::<usize>(name).map(|v| v.or(file).unwrap_or(default))
    };
    let context_words = match env("PASSGATE_POLICY_CONTEXT_WORDS") {
        Some(list) => list
            .split(',')
            .map(|w| w.trim().to_owned())
            .filter(|w| !w.is_empty())
            .collect(),
        None => f.context_words.clone().unwrap_or_default(),
    };
    let policy = PolicyConfig {
        min_chars: count("PASSGATE_PASSWORD_MIN_LENGTH", f.min_length, d.min_chars)?,
        max_chars: count("PASSGATE_PASSWORD_MAX_LENGTH", f.max_length, d.max_chars)?,
        blocklist: env_parse("PASSGATE_POLICY_BLOCKLIST")?
            .or(f.blocklist)
            .unwrap_or(d.blocklist),
        min_strength: env_parse("PASSGATE_POLICY_MIN_STRENGTH")?
            .or(f.min_strength)
            .unwrap_or(d.min_strength),
        service_name: system_name.to_owned(),
        context_words,
        composition: Composition {
            min_digits: count("PASSGATE_POLICY_MIN_DIGITS", f.min_digits, 0)?,
            min_lowercase: count("PASSGATE_POLICY_MIN_LOWERCASE", f.min_lowercase, 0)?,
            min_uppercase: count("PASSGATE_POLICY_MIN_UPPERCASE", f.min_uppercase, 0)?,
            min_special: count("PASSGATE_POLICY_MIN_SPECIAL", f.min_special, 0)?,
        },
        history: count("PASSGATE_POLICY_HISTORY", f.history, d.history)?,
        breach_min_count: env_parse("PASSGATE_BREACH_MIN_COUNT")?
            .or(breach.min_count)
            .unwrap_or(d.breach_min_count),
    };
    policy.validate().map_err(|message| ConfigError::Invalid {
        name: "policy",
        message,
    })?;
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_text_parses_without_a_file_and_names_the_source() -> Result<(), ConfigError> {
        let s = Settings::from_text(
            Some(("inline.toml", "[argon2]\nrefusal_pace_ms = 0.5\n")),
            &Overrides::default(),
        )?;
        assert_eq!(s.refusal_pace, Duration::from_micros(500));
        let e = Settings::from_text(Some(("inline.toml", "[[")), &Overrides::default()).err();
        assert!(
            matches!(&e, Some(ConfigError::Parse { path, .. }) if path == "inline.toml"),
            "{e:?}"
        );
        Ok(())
    }

    #[test]
    fn overload_settings_from_the_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.toml");
        let s = Settings::load(None, &Overrides::default())?;
        assert_eq!(s.refusal_pace, Duration::from_millis(2));
        assert_eq!(s.core.hash_thread_policy, HashThreadPolicy::Batch);
        assert_eq!(s.core.hash_max_wait, Duration::from_secs(1));
        std::fs::write(
            &path,
            "[argon2]\nrefusal_pace_ms = 0.25\nthread_policy = \"Normal\"\nmax_wait_ms = 250\n",
        )?;
        let s = Settings::load(Some(&path), &Overrides::default())?;
        assert_eq!(s.refusal_pace, Duration::from_micros(250));
        assert_eq!(s.core.hash_thread_policy, HashThreadPolicy::Normal);
        assert_eq!(s.core.hash_max_wait, Duration::from_millis(250));
        for bad in [
            "max_wait_ms = 0",
            "max_wait_ms = 60001",
            "queue = 4",
            "refusal_pace_ms = -1.0",
            "refusal_pace_ms = 101.0",
            "refusal_pace_ms = nan",
            "thread_policy = \"idle\"",
        ] {
            std::fs::write(&path, format!("[argon2]\n{bad}\n"))?;
            assert!(
                Settings::load(Some(&path), &Overrides::default()).is_err(),
                "{bad} was accepted"
            );
        }
        // The budget must end before the request timeout.
        std::fs::write(
            &path,
            "request_timeout_secs = 2\n[argon2]\nmax_wait_ms = 2000\n",
        )?;
        assert!(Settings::load(Some(&path), &Overrides::default()).is_err());
        Ok(())
    }

    #[test]
    fn out_of_range_numbers_are_refused_not_clamped() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.toml");
        for (bad, key, range) in [
            (
                "[throttle]\naccount_threshold = 0",
                "throttle.account_threshold",
                "between 1 and 100",
            ),
            (
                "[throttle]\naccount_threshold = 101",
                "throttle.account_threshold",
                "between 1 and 100",
            ),
            (
                "[throttle]\naddress_limit = 0",
                "throttle.address_limit",
                "between 1 and 1000000",
            ),
            (
                "[throttle]\nrefusal_delay_ms = 10001",
                "throttle.refusal_delay_ms",
                "between 0 and 10000",
            ),
            (
                "[throttle]\nfailure_delay_ms = 60000",
                "throttle.failure_delay_ms",
                "between 0 and 10000",
            ),
            (
                "[throttle]\naccount_base_delay_secs = 7200",
                "throttle.account_base_delay_secs",
                "must not exceed",
            ),
            (
                "[connections]\nmax = 0",
                "connections.max",
                "between 1 and 1000000",
            ),
            (
                "[connections]\nheader_timeout_secs = 0",
                "connections.header_timeout_secs",
                "between 1 and 3600",
            ),
            (
                "[connections]\nidle_timeout_secs = 86401",
                "connections.idle_timeout_secs",
                "between 1 and 86400",
            ),
        ] {
            std::fs::write(&path, format!("{bad}\n"))?;
            match Settings::load(Some(&path), &Overrides::default()) {
                Err(ConfigError::Invalid { name, message }) => {
                    assert_eq!(name, key, "{bad}");
                    assert!(message.contains(range), "{bad}: {message}");
                }
                Err(other) => panic!("{bad}: {other}"),
                Ok(_) => panic!("{bad} was accepted"),
            }
        }
        std::fs::write(
            &path,
            "[throttle]\naccount_threshold = 100\nrefusal_delay_ms = 0\nfailure_delay_ms = 10000\n\
             [connections]\nmax = 16\nheader_timeout_secs = 2\nidle_timeout_secs = 5\n",
        )?;
        let s = Settings::load(Some(&path), &Overrides::default())?;
        assert_eq!(s.core.throttle.account_threshold, 100);
        assert_eq!(s.core.throttle.refusal_delay, Duration::ZERO);
        assert_eq!(s.core.throttle.failure_delay, Duration::from_secs(10));
        assert_eq!(s.connections.max_connections, 16);
        assert_eq!(s.connections.header_timeout, Duration::from_secs(2));
        assert_eq!(s.connections.idle_timeout, Duration::from_secs(5));
        assert_eq!(s.connections.shutdown_timeout, Duration::from_secs(31));
        Ok(())
    }

    #[test]
    fn file_values_apply_and_unknown_keys_fail() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9999\"\n[argon2]\nmemory_kib = 1024\niterations = 1\n[policy]\nmin_length = 12\n",
        )?;
        let s = Settings::load(Some(&path), &Overrides::default())?;
        assert_eq!(s.listen.port(), 9999);
        assert_eq!(s.core.hash.m_kib, 1024);
        assert_eq!(s.core.policy.min_chars, 12);
        let o = Overrides {
            listen: Some("127.0.0.1:7777".into()),
            database_url: Some("sqlite://x.db".into()),
        };
        let s = Settings::load(Some(&path), &o)?;
        assert_eq!(s.listen.port(), 7777);
        assert_eq!(s.database_url, "sqlite://x.db");
        assert_eq!(s.database, passgate_store::PoolSettings::default());
        std::fs::write(
            &path,
            "[database]\nmax_connections = 4\nacquire_timeout_secs = 3\nstatement_timeout_secs = 7\n",
        )?;
        let s = Settings::load(Some(&path), &Overrides::default())?;
        assert_eq!(s.database.max_connections, 4);
        assert_eq!(s.database.acquire_timeout, Duration::from_secs(3));
        assert_eq!(s.database.statement_timeout, Duration::from_secs(7));
        std::fs::write(&path, "[database]\nmax_connections = 0\n")?;
        assert!(matches!(
            Settings::load(Some(&path), &Overrides::default()),
            Err(ConfigError::Invalid { .. })
        ));
        std::fs::write(&path, "bogus = 1\n")?;
        assert!(matches!(
            Settings::load(Some(&path), &Overrides::default()),
            Err(ConfigError::Parse { .. })
        ));
        std::fs::write(&path, "[policy]\nmin_length = 4\n")?;
        assert!(matches!(
            Settings::load(Some(&path), &Overrides::default()),
            Err(ConfigError::Invalid { .. })
        ));
        Ok(())
    }
}
