//! `sqlite:` database URLs: which file they name.
//!
//! The syntax is the one passgate has always accepted (it was sqlx's): `sqlite://FILE` or
//! `sqlite:FILE`, the file name percent-decoded, relative to the working directory unless it
//! starts with `/` (`sqlite:///var/lib/passgate/passgate.db`), and optional query parameters:
//! `mode=rwc` (the default: create the file if missing) or `mode=rw` (the file must exist).
//! Written by hand because it is these few lines; SQLite's own `file:` URIs are not used, so
//! a file name can never switch on a URI option.
//!
//! Refused, with a message: in-memory databases (`sqlite::memory:`, `mode=memory`; the
//! writer thread and the readers each open the file, and each would get its own empty
//! database), `mode=ro` (the server writes), and any other parameter.

use std::path::PathBuf;

use passgate_core::CoreError;

/// A parsed `sqlite:` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SqliteUrl {
    /// The database file.
    pub file: PathBuf,
    /// Create the file when it is missing (`mode=rwc`, the default).
    pub create: bool,
}

impl SqliteUrl {
    /// Parses `url`, or says what is wrong with it (never echoing the whole URL: it is the
    /// operator's own, but errors end up in logs).
    pub(crate) fn parse(url: &str) -> Result<Self, CoreError> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| invalid("it does not start with sqlite:"))?;
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut create = true;
        for (key, value) in query
            .map(|q| url::form_urlencoded::parse(q.as_bytes()))
            .into_iter()
            .flatten()
        {
            match (&*key, &*value) {
                ("mode", "rwc") => create = true,
                ("mode", "rw") => create = false,
                ("mode", "memory") => return Err(in_memory()),
                ("mode", "ro") => return Err(invalid(
                    "mode=ro: the server writes its database; use a backup for read-only copies",
                )),
                ("mode", other) => {
                    return Err(invalid(&format!(
                        "unknown mode {other:?} (expected rwc or rw)"
                    )))
                }
                ("cache", "private" | "shared") => {}
                (other, _) => {
                    return Err(invalid(&format!(
                        "unknown query parameter {other:?} (only mode is supported)"
                    )))
                }
            }
        }
        if path == ":memory:" {
            return Err(in_memory());
        }
        let decoded = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| invalid("the file name is not UTF-8 after percent-decoding"))?;
        if decoded.is_empty() {
            return Err(invalid("it names no file (sqlite://FILE)"));
        }
        Ok(SqliteUrl {
            file: PathBuf::from(&*decoded),
            create,
        })
    }
}

fn invalid(why: &str) -> CoreError {
    CoreError::InvalidInput(format!("invalid SQLite URL: {why}"))
}

fn in_memory() -> CoreError {
    CoreError::InvalidInput(
        "SQLite needs a database file (sqlite://FILE); in-memory databases are not supported"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(url: &str) -> Option<String> {
        SqliteUrl::parse(url)
            .ok()
            .map(|u| u.file.display().to_string())
    }

    #[test]
    fn names_the_file_as_before() {
        assert_eq!(file("sqlite://passgate.db").as_deref(), Some("passgate.db"));
        assert_eq!(file("sqlite:passgate.db").as_deref(), Some("passgate.db"));
        assert_eq!(file("sqlite:///var/x.db").as_deref(), Some("/var/x.db"));
        assert_eq!(file("sqlite://a%20b.db").as_deref(), Some("a b.db"));
        assert_eq!(file("sqlite://a.db?mode=rwc").as_deref(), Some("a.db"));
        assert_eq!(
            SqliteUrl::parse("sqlite://a.db?mode=rw")
                .map(|u| u.create)
                .ok(),
            Some(false)
        );
        assert_eq!(
            SqliteUrl::parse("sqlite://a.db").map(|u| u.create).ok(),
            Some(true)
        );
    }

    #[test]
    fn refuses_what_it_cannot_serve() {
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://a.db?mode=memory",
            "sqlite://a.db?mode=ro",
            "sqlite://a.db?mode=x",
            "sqlite://a.db?vfs=unix-none",
            "sqlite://",
            "sqlite://%FF.db",
            "postgres://h/db",
        ] {
            assert!(
                matches!(SqliteUrl::parse(url), Err(CoreError::InvalidInput(_))),
                "{url}"
            );
        }
    }
}
