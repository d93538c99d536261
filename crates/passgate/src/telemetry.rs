//! Logging setup. Request spans carry method and path only (status and latency are logged at
//! debug level): never a body, a query string (REST clients may put session ids there) or a
//! header value.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `PASSGATE_LOG` (or `RUST_LOG`) sets the filter, default
/// `default_level`; `PASSGATE_LOG_FORMAT=json` switches to JSON lines. Colours only when
/// stderr is a terminal and `NO_COLOR` is unset: a file or a pipe gets plain text.
pub fn init(default_level: &str) {
    let filter = std::env::var("PASSGATE_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default_level));
    let json = std::env::var("PASSGATE_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
