//! passgate-store: implementations of [`passgate_core::store::Store`].
//!
//! SQLite is the embedded default (`sqlite://passgate.db`). Every method is one transaction
//! and every write transaction starts with a write, so SQLite takes its write lock up front
//! and waits on the busy timeout instead of failing on a lock upgrade.

mod rows;
pub mod sqlite;

use std::sync::Arc;

use passgate_core::store::Store;
use passgate_core::CoreError;

/// Opens the store a database URL names, creating the database if missing and applying
/// pending migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, CoreError> {
    if url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::connect(url).await?;
        store.migrate().await?;
        Ok(Arc::new(store))
    } else {
        Err(CoreError::InvalidInput(format!(
            "unsupported database URL scheme (expected sqlite://...): {}",
            redact_url(url)
        )))
    }
}

/// A database URL with any password removed, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            super::redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
