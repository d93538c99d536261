//! The open-file limit (`RLIMIT_NOFILE`) and the connection cap that fits under it.
//!
//! Every connection is a file descriptor. When the process runs out of them, `accept`
//! fails and so do the database, the log and the breach index, so the cap is kept below
//! the limit with a reserve for those. At start the soft limit is raised to the hard limit
//! where the system allows it (rustix: the workspace forbids `unsafe`, which a direct
//! `libc` call would need).

/// Descriptors kept free of connections: the listener, the runtime (epoll, event and timer
/// descriptors), standard streams, the breach index, SQLite's extra readers and writer,
/// refusal-pacing timers, and some slack.
const BASE_RESERVE: u64 = 64;
/// Descriptors per database pool connection (SQLite: the database and its WAL file; one
/// socket for PostgreSQL), with room to spare.
const PER_DB_CONNECTION: u64 = 3;

/// Descriptors reserved for everything but HTTP connections, given the database pool size.
pub fn reserve(db_max_connections: u32) -> u64 {
    BASE_RESERVE + PER_DB_CONNECTION * u64::from(db_max_connections)
}

/// The connection cap: the configured one, lowered to fit `soft_limit` (no limit when
/// `None`) minus `reserve`, and at least 1.
pub fn fit_cap(configured: usize, soft_limit: Option<u64>, reserve: u64) -> usize {
    match soft_limit {
        None => configured,
        Some(limit) => {
            let room = usize::try_from(limit.saturating_sub(reserve)).unwrap_or(usize::MAX);
            configured.min(room).max(1)
        }
    }
}

/// Raises the soft open-file limit to the hard limit where allowed, and returns the soft
/// limit in force afterwards (`None`: unlimited or unknown).
#[cfg(unix)]
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::debug!(error = %e, "cannot raise the open-file limit");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// Raises the soft open-file limit to the hard limit where allowed, and returns the soft
/// limit in force afterwards (`None`: unlimited or unknown).
#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_fits_under_the_limit_with_the_reserve() {
        assert_eq!(reserve(10), 94);
        assert_eq!(fit_cap(4096, None, 94), 4096);
        assert_eq!(fit_cap(4096, Some(1_048_576), 94), 4096);
        assert_eq!(fit_cap(4096, Some(1024), 94), 930);
        assert_eq!(fit_cap(100, Some(1024), 94), 100);
        assert_eq!(fit_cap(4096, Some(50), 94), 1);
    }

    #[cfg(unix)]
    #[test]
    fn raising_never_lowers_the_limit() {
        let before = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        let after = raise_open_file_limit();
        match (before, after) {
            (Some(b), Some(a)) => assert!(a >= b, "{a} < {b}"),
            (_, None) => {}
            (None, Some(a)) => panic!("an unlimited limit became {a}"),
        }
    }
}
