//! `[import]`: users imported with the password hashes of another system
//! (`passgate user import`, docs/migration.md).

use std::time::Duration;

use passgate_core::settings::ImportConfig;
use serde::Deserialize;

use super::{env, env_parse, ConfigError};

/// Longest `import.max_legacy_age_days` accepted (about 27 years).
pub const MAX_LEGACY_AGE_DAYS: u32 = 10_000;

/// `[import]` in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImportFile {
    require_change: Option<bool>,
    max_legacy_age_days: Option<u32>,
}

/// `import.require_change` (`PASSGATE_IMPORT_REQUIRE_CHANGE`, default false) and
/// `import.max_legacy_age_days` (`PASSGATE_IMPORT_MAX_LEGACY_AGE_DAYS`, 0 or unset: never).
pub(super) fn import_config(f: &ImportFile) -> Result<ImportConfig, ConfigError> {
    let require_change = match env("PASSGATE_IMPORT_REQUIRE_CHANGE") {
        Some(v) => match v.as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "import.require_change",
                    message: "PASSGATE_IMPORT_REQUIRE_CHANGE must be true or false".into(),
                })
            }
        },
        None => f.require_change.unwrap_or(false),
    };
    let days = env_parse::<u32>("PASSGATE_IMPORT_MAX_LEGACY_AGE_DAYS")?
        .or(f.max_legacy_age_days)
        .unwrap_or(0);
    if days > MAX_LEGACY_AGE_DAYS {
        return Err(ConfigError::Invalid {
            name: "import.max_legacy_age_days",
            message: format!("must be at most {MAX_LEGACY_AGE_DAYS} (0: never expire)"),
        });
    }
    Ok(ImportConfig {
        require_change,
        max_legacy_age: (days > 0).then(|| Duration::from_secs(u64::from(days) * 86_400)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_limits() -> Result<(), ConfigError> {
        let c = import_config(&ImportFile::default())?;
        assert_eq!(c, ImportConfig::default());
        let c = import_config(&ImportFile {
            require_change: Some(true),
            max_legacy_age_days: Some(90),
        })?;
        assert!(c.require_change);
        assert_eq!(c.max_legacy_age, Some(Duration::from_secs(90 * 86_400)));
        assert!(import_config(&ImportFile {
            require_change: None,
            max_legacy_age_days: Some(MAX_LEGACY_AGE_DAYS + 1),
        })
        .is_err());
        Ok(())
    }

    #[test]
    fn the_table_in_a_file() -> Result<(), ConfigError> {
        let text = "[import]\nrequire_change = true\nmax_legacy_age_days = 30\n";
        let s = super::super::Settings::from_text(
            Some(("t.toml", text)),
            &super::super::Overrides::default(),
        )?;
        assert!(s.core.import.require_change);
        assert_eq!(
            s.core.import.max_legacy_age,
            Some(Duration::from_secs(30 * 86_400))
        );
        let typo = "[import]\nrequire_changes = true\n";
        assert!(super::super::Settings::from_text(
            Some(("t.toml", typo)),
            &super::super::Overrides::default()
        )
        .is_err());
        Ok(())
    }
}
