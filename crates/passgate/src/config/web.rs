//! `[web]`: the self-service pages under `/account/` (on by default) and their logo.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{env, env_parse, ConfigError};

/// Largest logo file accepted (it is held in memory and served from there).
pub const MAX_LOGO_BYTES: u64 = 256 * 1024;

/// `[web]` in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WebFile {
    enabled: Option<bool>,
    logo_file: Option<String>,
}

/// The pages' settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSettings {
    /// Serve `/account/` and `/.well-known/change-password` (default true).
    pub enabled: bool,
    /// A PNG, JPEG, WebP or SVG file shown instead of the built-in logo.
    pub logo_file: Option<PathBuf>,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            enabled: true,
            logo_file: None,
        }
    }
}

/// `[web]` with `PASSGATE_WEB_ENABLED` and `PASSGATE_WEB_LOGO_FILE` on top.
pub(super) fn web_settings(f: &WebFile) -> Result<WebSettings, ConfigError> {
    Ok(WebSettings {
        enabled: env_parse::<bool>("PASSGATE_WEB_ENABLED")?
            .or(f.enabled)
            .unwrap_or(true),
        logo_file: env("PASSGATE_WEB_LOGO_FILE")
            .or_else(|| f.logo_file.clone())
            .map(PathBuf::from),
    })
}

/// The absolute URL of the pages' reset page, the base of reset links: under `public_url`
/// when set, else under the listen address when it is a loopback one (a development
/// set-up; `https` when the listener has TLS). None otherwise: a link must never be built
/// from a request's `Host` header.
pub fn reset_page_url(public_url: Option<&str>, listen: SocketAddr, https: bool) -> Option<String> {
    match public_url {
        Some(u) => Some(format!("{}/account/reset", u.trim_end_matches('/'))),
        None if listen.ip().is_loopback() && listen.port() != 0 => {
            let scheme = if https { "https" } else { "http" };
            Some(format!("{scheme}://{listen}/account/reset"))
        }
        None => None,
    }
}

/// Reads the logo: its bytes and content type (by extension), within [`MAX_LOGO_BYTES`].
pub fn read_logo(path: &Path) -> Result<(Vec<u8>, String), ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        name: "web.logo_file",
        message,
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let kind = match ext.as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("svg") => "image/svg+xml",
        _ => return Err(invalid("must be a .png, .jpg, .webp or .svg file".into())),
    };
    let meta = std::fs::metadata(path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > MAX_LOGO_BYTES {
        return Err(invalid(format!("larger than {MAX_LOGO_BYTES} bytes")));
    }
    let bytes =
        std::fs::read(path).map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    Ok((bytes, kind.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_page_url_needs_a_public_or_loopback_address() -> Result<(), Box<dyn std::error::Error>>
    {
        let lo: SocketAddr = "127.0.0.1:8080".parse()?;
        let any: SocketAddr = "0.0.0.0:8080".parse()?;
        assert_eq!(
            reset_page_url(Some("https://id.example/"), any, false).as_deref(),
            Some("https://id.example/account/reset")
        );
        assert_eq!(
            reset_page_url(None, lo, false).as_deref(),
            Some("http://127.0.0.1:8080/account/reset")
        );
        assert_eq!(reset_page_url(None, any, false), None);
        assert_eq!(reset_page_url(None, "127.0.0.1:0".parse()?, false), None);
        Ok(())
    }

    #[test]
    fn logos_are_typed_and_bounded() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let svg = dir.path().join("l.svg");
        std::fs::write(&svg, "<svg/>")?;
        assert_eq!(read_logo(&svg)?.1, "image/svg+xml");
        let gif = dir.path().join("l.gif");
        std::fs::write(&gif, "GIF89a")?;
        assert!(read_logo(&gif).is_err());
        let big = dir.path().join("b.png");
        std::fs::write(&big, vec![0u8; MAX_LOGO_BYTES as usize + 1])?;
        assert!(read_logo(&big).is_err());
        Ok(())
    }
}
