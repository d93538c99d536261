//! `[webapi]`: where the SuperOffice WebAPI front end is served (`base`, with an optional
//! `{tenant}` placeholder filled from `tenant`, as in online URLs like `/Cust12345/api`).

use serde::Deserialize;

use super::{env, ConfigError};

/// Longest `webapi.base` after the tenant is filled in.
pub const MAX_WEBAPI_BASE: usize = 200;

/// `[webapi]` in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WebApiFile {
    base: Option<String>,
    tenant: Option<String>,
}

fn invalid(name: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        message: message.into(),
    }
}

/// The effective base path: `/api` by default; `{tenant}` replaced by `webapi.tenant`;
/// segments of letters, digits, `-`, `_`, `.`, `~` only; no trailing `/`.
pub(super) fn webapi_base(f: &WebApiFile) -> Result<String, ConfigError> {
    let base = env("PASSGATE_WEBAPI_BASE")
        .or_else(|| f.base.clone())
        .unwrap_or_else(|| "/api".to_owned());
    let tenant = env("PASSGATE_WEBAPI_TENANT").or_else(|| f.tenant.clone());
    let base = match (base.contains("{tenant}"), tenant) {
        (true, Some(t)) => {
            let ok = !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(invalid(
                    "webapi.tenant",
                    "use letters, digits, - and _ only",
                ));
            }
            base.replace("{tenant}", &t)
        }
        (true, None) => {
            return Err(invalid(
                "webapi.base",
                "contains {tenant} but webapi.tenant is not set",
            ))
        }
        (false, Some(_)) => {
            return Err(invalid(
                "webapi.tenant",
                "is set but webapi.base has no {tenant}",
            ))
        }
        (false, None) => base,
    };
    let base = base.trim_end_matches('/').to_owned();
    let segments_ok = base.strip_prefix('/').is_some_and(|rest| {
        !rest.is_empty()
            && rest.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
                    })
            })
    });
    if !segments_ok || base.len() > MAX_WEBAPI_BASE {
        return Err(invalid(
            "webapi.base",
            format!("must be a path like /api or /SuperOffice/api (segments of letters, digits, - _ . ~; at most {MAX_WEBAPI_BASE} characters)"),
        ));
    }
    let lower = base.to_ascii_lowercase();
    if lower == "/remote" || lower.starts_with("/remote/") {
        return Err(invalid(
            "webapi.base",
            "must not be under /Remote (the SOAP services)",
        ));
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(base: Option<&str>, tenant: Option<&str>) -> WebApiFile {
        WebApiFile {
            base: base.map(str::to_owned),
            tenant: tenant.map(str::to_owned),
        }
    }

    #[test]
    fn defaults_and_tenants() -> Result<(), ConfigError> {
        assert_eq!(webapi_base(&file(None, None))?, "/api");
        assert_eq!(
            webapi_base(&file(Some("/SuperOffice/api/"), None))?,
            "/SuperOffice/api"
        );
        assert_eq!(
            webapi_base(&file(Some("/{tenant}/api"), Some("Cust12345")))?,
            "/Cust12345/api"
        );
        Ok(())
    }

    #[test]
    fn refuses_bad_bases() {
        for (b, t) in [
            (Some("api"), None),
            (Some("/"), None),
            (Some("/a//b"), None),
            (Some("/a/../b"), None),
            (Some("/a b"), None),
            (Some("/{tenant}/api"), None),
            (Some("/api"), Some("x")),
            (Some("/{tenant}/api"), Some("a/b")),
            (Some("/Remote/api"), None),
        ] {
            assert!(webapi_base(&file(b, t)).is_err(), "{b:?} {t:?}");
        }
    }
}
