//! Password hashes imported from other systems (`passgate user import`, docs/migration.md):
//! parsing with hard bounds, verification, and the names of the accepted formats.
//!
//! A legacy hash is kept in `users.password_hash` until the user's next successful sign-in
//! or password change, which replaces it with the configured Argon2id hash (see
//! [`crate::credential::Argon2Worker::verify`] and `service/authenticate.rs`). Self-describing
//! strings (PHC, modular crypt, Django) are stored as they were given; the three formats that
//! are not self-describing are stored with their name as a prefix:
//! `aspnet-identity-v2$<base64>`, `aspnet-identity-v3$<base64>` and
//! `servicestack-saltedhash$<salt base64>$<hash base64>`. A user imported without a hash is
//! stored as [`NO_PASSWORD`], which no password matches (the user must reset it).
//!
//! # Limits
//! Every string is at most [`MAX_HASH_LEN`] bytes and every salt at most [`MAX_SALT_BYTES`];
//! costs are capped so that no accepted hash takes more than about ten default Argon2id
//! verifications (m=19456 KiB, t=2) to check: see [`limits`]. A hash over a limit is refused
//! at import with the limit in the message; nothing is ever computed for it.

mod crypt;
pub mod limits;
mod pbkdf2;

use std::fmt;

use passgate_argon2::password_hash::PasswordHash;
use subtle::ConstantTimeEq;

pub use limits::{MAX_HASH_LEN, MAX_SALT_BYTES};

/// The stored value of a user who has no password yet (imported without a hash): it matches
/// no password, and its verification still costs one Argon2id run.
pub const NO_PASSWORD: &str = "!";

/// A format of password hash that passgate verifies but does not produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LegacyFormat {
    /// ASP.NET Identity v2: `0x00`, 16-byte salt, PBKDF2-HMAC-SHA1 (1,000 iterations), base64.
    AspnetIdentityV2,
    /// ASP.NET Core Identity v3, also ServiceStack's default `IPasswordHasher`: `0x01`, PRF,
    /// iterations, salt length (big-endian u32 each), salt, PBKDF2 subkey, base64.
    AspnetIdentityV3,
    /// ServiceStack's older `SaltedHash`: base64(SHA-256(UTF-8 password ‖ salt)), salt kept
    /// apart (base64, 4 bytes by default).
    ServiceStackSaltedHash,
    /// Django `pbkdf2_sha256$iterations$salt$hash`.
    DjangoPbkdf2Sha256,
    /// Django `pbkdf2_sha1$iterations$salt$hash`.
    DjangoPbkdf2Sha1,
    /// Django `argon2$argon2id$v=19$m=…,t=…,p=…$salt$hash` (a PHC string behind `argon2`).
    DjangoArgon2,
    /// Django `bcrypt_sha256$$2b$…`: bcrypt of the hex SHA-256 of the password.
    DjangoBcryptSha256,
    /// Django `bcrypt$$2b$…`: plain bcrypt behind a `bcrypt$` tag.
    DjangoBcrypt,
    /// bcrypt `$2a$`, `$2b$`, `$2y$` (cost 04..=[`limits::MAX_BCRYPT_COST`]).
    Bcrypt,
    /// PBKDF2 in passlib's modular-crypt form (`$pbkdf2$`, `$pbkdf2-sha256$`,
    /// `$pbkdf2-sha512$` with rounds) or as a PHC string (`$pbkdf2-sha256$i=…,l=…$…`).
    Pbkdf2,
    /// Argon2 PHC strings (`$argon2id$`, `$argon2i$`, `$argon2d$`) with other parameters.
    Argon2,
    /// SHA-crypt `$5$` (SHA-256) from Unix systems.
    Sha256Crypt,
    /// SHA-crypt `$6$` (SHA-512) from Unix systems.
    Sha512Crypt,
}

/// Every legacy format, in the order the documentation lists them.
pub const ALL_FORMATS: [LegacyFormat; 13] = [
    LegacyFormat::AspnetIdentityV2,
    LegacyFormat::AspnetIdentityV3,
    LegacyFormat::ServiceStackSaltedHash,
    LegacyFormat::DjangoPbkdf2Sha256,
    LegacyFormat::DjangoPbkdf2Sha1,
    LegacyFormat::DjangoArgon2,
    LegacyFormat::DjangoBcryptSha256,
    LegacyFormat::DjangoBcrypt,
    LegacyFormat::Bcrypt,
    LegacyFormat::Pbkdf2,
    LegacyFormat::Argon2,
    LegacyFormat::Sha256Crypt,
    LegacyFormat::Sha512Crypt,
];

impl LegacyFormat {
    /// The name used in import files (`hashFormat`), `/metrics` and `user list --json`.
    pub fn name(self) -> &'static str {
        match self {
            LegacyFormat::AspnetIdentityV2 => "aspnet-identity-v2",
            LegacyFormat::AspnetIdentityV3 => "aspnet-identity-v3",
            LegacyFormat::ServiceStackSaltedHash => "servicestack-saltedhash",
            LegacyFormat::DjangoPbkdf2Sha256 => "django-pbkdf2-sha256",
            LegacyFormat::DjangoPbkdf2Sha1 => "django-pbkdf2-sha1",
            LegacyFormat::DjangoArgon2 => "django-argon2",
            LegacyFormat::DjangoBcryptSha256 => "django-bcrypt-sha256",
            LegacyFormat::DjangoBcrypt => "django-bcrypt",
            LegacyFormat::Bcrypt => "bcrypt",
            LegacyFormat::Pbkdf2 => "pbkdf2",
            LegacyFormat::Argon2 => "argon2",
            LegacyFormat::Sha256Crypt => "sha256-crypt",
            LegacyFormat::Sha512Crypt => "sha512-crypt",
        }
    }

    /// The format with this name.
    pub fn from_name(name: &str) -> Option<LegacyFormat> {
        ALL_FORMATS.into_iter().find(|f| f.name() == name)
    }

    /// True for the formats that an import file must name in `hashFormat` (the hash alone
    /// does not say what it is).
    pub fn needs_explicit_name(self) -> bool {
        matches!(
            self,
            LegacyFormat::AspnetIdentityV2
                | LegacyFormat::AspnetIdentityV3
                | LegacyFormat::ServiceStackSaltedHash
        )
    }
}

impl fmt::Display for LegacyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a hash was refused. The message names the problem, never the hash or a part of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyHashError {
    /// The string is not one of the accepted formats.
    #[error("unknown hash format (see docs/migration.md for the accepted ones)")]
    UnknownFormat,
    /// `hashFormat` names no accepted format.
    #[error("unknown hashFormat {0:?}")]
    UnknownFormatName(String),
    /// The string looks like `format` but is not well formed.
    #[error("malformed {format} hash: {reason}")]
    Malformed {
        /// The format it claimed to be.
        format: LegacyFormat,
        /// What is wrong.
        reason: &'static str,
    },
    /// The hash asks for more work than passgate accepts.
    #[error("{format} hash too costly to verify: {what} {value} is over the limit {max}")]
    TooCostly {
        /// The format.
        format: LegacyFormat,
        /// Which parameter.
        what: &'static str,
        /// Its value.
        value: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// The string is longer than [`MAX_HASH_LEN`].
    #[error("hash longer than {MAX_HASH_LEN} bytes")]
    TooLong,
    /// A salt was given for a format that keeps its salt inside the hash, or none for one
    /// that needs it.
    #[error("{0}")]
    Salt(&'static str),
    /// `hashFormat` does not match what the hash says it is.
    #[error("hashFormat {given} does not match the hash, which is {found}")]
    FormatMismatch {
        /// The name given.
        given: LegacyFormat,
        /// The format the string has.
        found: LegacyFormat,
    },
}

/// The computation behind a legacy hash, with its parameters already bounded.
#[derive(Clone)]
enum Scheme {
    Pbkdf2(pbkdf2::Pbkdf2Hash),
    SaltedSha256 { salt: Vec<u8>, expected: Vec<u8> },
    Bcrypt { hash: String, sha256_hex: bool },
    ShaCrypt(crypt::ShaCryptHash),
    Argon2 { phc: String },
}

/// A parsed, bounded legacy hash. `Debug` shows the format only.
#[derive(Clone)]
pub struct LegacyHash {
    format: LegacyFormat,
    scheme: Scheme,
    stored: String,
}

impl fmt::Debug for LegacyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LegacyHash({}, <redacted>)", self.format)
    }
}

/// What a stored `password_hash` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoredFormat {
    /// Argon2id with any parameters (passgate's own, or imported and as good).
    Argon2id,
    /// No password ([`NO_PASSWORD`]).
    None,
    /// A legacy format.
    Legacy(LegacyFormat),
}

impl StoredFormat {
    /// `argon2id`, `none`, or the legacy format's name.
    pub fn name(self) -> &'static str {
        match self {
            StoredFormat::Argon2id => "argon2id",
            StoredFormat::None => "none",
            StoredFormat::Legacy(f) => f.name(),
        }
    }

    /// The format of a stored value, judged by its prefix only (cheap; for listings and
    /// metrics): the legacy format its prefix claims, `None` for [`NO_PASSWORD`] and any
    /// value that claims nothing.
    pub fn of(stored: &str) -> StoredFormat {
        if stored.starts_with("$argon2id$") {
            return StoredFormat::Argon2id;
        }
        match detect(stored) {
            Some(f) => StoredFormat::Legacy(f),
            None => StoredFormat::None,
        }
    }
}

/// The format a string claims by its prefix (no validation).
fn detect(s: &str) -> Option<LegacyFormat> {
    let f = if s.starts_with("aspnet-identity-v2$") {
        LegacyFormat::AspnetIdentityV2
    } else if s.starts_with("aspnet-identity-v3$") {
        LegacyFormat::AspnetIdentityV3
    } else if s.starts_with("servicestack-saltedhash$") {
        LegacyFormat::ServiceStackSaltedHash
    } else if s.starts_with("pbkdf2_sha256$") {
        LegacyFormat::DjangoPbkdf2Sha256
    } else if s.starts_with("pbkdf2_sha1$") {
        LegacyFormat::DjangoPbkdf2Sha1
    } else if s.starts_with("argon2$") {
        LegacyFormat::DjangoArgon2
    } else if s.starts_with("bcrypt_sha256$") {
        LegacyFormat::DjangoBcryptSha256
    } else if s.starts_with("bcrypt$") {
        LegacyFormat::DjangoBcrypt
    } else if s.starts_with("$2a$") || s.starts_with("$2b$") || s.starts_with("$2y$") {
        LegacyFormat::Bcrypt
    } else if s.starts_with("$pbkdf2$") || s.starts_with("$pbkdf2-sha") {
        LegacyFormat::Pbkdf2
    } else if s.starts_with("$argon2") {
        LegacyFormat::Argon2
    } else if s.starts_with("$5$") {
        LegacyFormat::Sha256Crypt
    } else if s.starts_with("$6$") {
        LegacyFormat::Sha512Crypt
    } else {
        return None;
    };
    Some(f)
}

impl LegacyHash {
    /// Parses a hash from an import file: `hash` as exported, `format` the optional
    /// `hashFormat` name, `salt` the separate salt column (ServiceStack's `SaltedHash` only).
    pub fn parse_import(
        hash: &str,
        format: Option<&str>,
        salt: Option<&str>,
    ) -> Result<LegacyHash, LegacyHashError> {
        if hash.len() > MAX_HASH_LEN || salt.is_some_and(|s| s.len() > MAX_HASH_LEN) {
            return Err(LegacyHashError::TooLong);
        }
        let given = format
            .map(|n| {
                LegacyFormat::from_name(n)
                    .ok_or_else(|| LegacyHashError::UnknownFormatName(limited(n)))
            })
            .transpose()?;
        let stored = match given {
            Some(LegacyFormat::ServiceStackSaltedHash) => {
                let salt = salt.ok_or(LegacyHashError::Salt(
                    "servicestack-saltedhash needs the salt column",
                ))?;
                format!("servicestack-saltedhash${salt}${hash}")
            }
            Some(f @ (LegacyFormat::AspnetIdentityV2 | LegacyFormat::AspnetIdentityV3)) => {
                format!("{}${hash}", f.name())
            }
            _ => hash.to_owned(),
        };
        if salt.is_some() && given != Some(LegacyFormat::ServiceStackSaltedHash) {
            return Err(LegacyHashError::Salt(
                "a salt column is only accepted with hashFormat servicestack-saltedhash",
            ));
        }
        if given.is_none() && detect(hash).is_some_and(LegacyFormat::needs_explicit_name) {
            return Err(LegacyHashError::UnknownFormat);
        }
        let parsed = LegacyHash::parse_stored(&stored)?;
        if let Some(given) = given {
            if given != parsed.format {
                return Err(LegacyHashError::FormatMismatch {
                    given,
                    found: parsed.format,
                });
            }
        }
        Ok(parsed)
    }

    /// Parses a stored legacy hash (as [`LegacyHash::stored`] wrote it).
    pub fn parse_stored(stored: &str) -> Result<LegacyHash, LegacyHashError> {
        if stored.len() > MAX_HASH_LEN {
            return Err(LegacyHashError::TooLong);
        }
        let format = detect(stored).ok_or(LegacyHashError::UnknownFormat)?;
        let scheme = match format {
            LegacyFormat::AspnetIdentityV2 | LegacyFormat::AspnetIdentityV3 => {
                let body = stored
                    .split_once('$')
                    .map(|(_, b)| b)
                    .ok_or(LegacyHashError::UnknownFormat)?;
                Scheme::Pbkdf2(pbkdf2::parse_aspnet(format, body)?)
            }
            LegacyFormat::ServiceStackSaltedHash => pbkdf2::parse_salted_sha256(stored)?,
            LegacyFormat::DjangoPbkdf2Sha256 | LegacyFormat::DjangoPbkdf2Sha1 => {
                Scheme::Pbkdf2(pbkdf2::parse_django(format, stored)?)
            }
            LegacyFormat::Pbkdf2 => Scheme::Pbkdf2(pbkdf2::parse_modular(stored)?),
            LegacyFormat::DjangoBcrypt => Scheme::Bcrypt {
                hash: crypt::parse_bcrypt(format, strip(stored, "bcrypt$"))?,
                sha256_hex: false,
            },
            LegacyFormat::DjangoBcryptSha256 => Scheme::Bcrypt {
                hash: crypt::parse_bcrypt(format, strip(stored, "bcrypt_sha256$"))?,
                sha256_hex: true,
            },
            LegacyFormat::Bcrypt => Scheme::Bcrypt {
                hash: crypt::parse_bcrypt(format, stored)?,
                sha256_hex: false,
            },
            LegacyFormat::Sha256Crypt | LegacyFormat::Sha512Crypt => {
                Scheme::ShaCrypt(crypt::parse_sha_crypt(format, stored)?)
            }
            LegacyFormat::DjangoArgon2 => Scheme::Argon2 {
                phc: parse_argon2(format, strip(stored, "argon2"))?,
            },
            LegacyFormat::Argon2 => Scheme::Argon2 {
                phc: parse_argon2(format, stored)?,
            },
        };
        Ok(LegacyHash {
            format,
            scheme,
            stored: stored.to_owned(),
        })
    }

    /// The format.
    pub fn format(&self) -> LegacyFormat {
        self.format
    }

    /// The value to keep in `users.password_hash`.
    pub fn stored(&self) -> &str {
        &self.stored
    }

    /// Whether `password` (UTF-8, as the original system received it) matches, in constant
    /// time with respect to the stored value.
    pub fn verify(&self, password: &str) -> bool {
        let pw = password.as_bytes();
        match &self.scheme {
            Scheme::Pbkdf2(h) => h.verify(pw),
            Scheme::SaltedSha256 { salt, expected } => {
                use sha2::{Digest, Sha256};
                let mut d = Sha256::new();
                d.update(pw);
                d.update(salt);
                bool::from(d.finalize().as_slice().ct_eq(expected))
            }
            Scheme::Bcrypt { hash, sha256_hex } => {
                let result = if *sha256_hex {
                    use sha2::{Digest, Sha256};
                    let digest = Sha256::digest(pw);
                    let mut hex = zeroize::Zeroizing::new(String::with_capacity(64));
                    for b in digest {
                        hex.push_str(&format!("{b:02x}"));
                    }
                    bcrypt::verify(hex.as_bytes(), hash)
                } else {
                    bcrypt::verify(pw, hash)
                };
                // Parsing already checked everything bcrypt checks: an error cannot happen,
                // and would mean "no match" anyway.
                result.unwrap_or(false)
            }
            Scheme::ShaCrypt(h) => h.verify(pw),
            Scheme::Argon2 { phc } => verify_argon2(phc, pw),
        }
    }
}

fn strip<'a>(s: &'a str, prefix: &str) -> &'a str {
    s.strip_prefix(prefix).unwrap_or(s)
}

/// At most 40 characters of an operator-supplied name, for an error message.
fn limited(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Checks an Argon2 PHC string's shape and bounds; returns it.
fn parse_argon2(format: LegacyFormat, phc: &str) -> Result<String, LegacyHashError> {
    let malformed = |reason| LegacyHashError::Malformed { format, reason };
    let parsed = PasswordHash::new(phc).map_err(|_| malformed("not a PHC string"))?;
    passgate_argon2::Algorithm::try_from(parsed.algorithm)
        .map_err(|_| malformed("unknown algorithm"))?;
    if let Some(v) = parsed.version {
        passgate_argon2::Version::try_from(v).map_err(|_| malformed("unknown version"))?;
    }
    let params =
        passgate_argon2::Params::try_from(&parsed).map_err(|_| malformed("bad parameters"))?;
    let salt = parsed.salt.ok_or(malformed("no salt"))?;
    let mut buf = [0u8; MAX_SALT_BYTES];
    let salt = salt
        .decode_b64(&mut buf)
        .map_err(|_| malformed("bad salt"))?;
    if salt.len() < 8 {
        return Err(malformed("salt shorter than 8 bytes"));
    }
    let out = parsed.hash.ok_or(malformed("no hash"))?;
    if out.len() < 16 {
        return Err(malformed("hash shorter than 16 bytes"));
    }
    limits::check_argon2(format, params.m_cost(), params.t_cost(), params.p_cost())?;
    Ok(phc.to_owned())
}

fn verify_argon2(phc: &str, pw: &[u8]) -> bool {
    use passgate_argon2::PasswordVerifier;
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    passgate_argon2::Argon2::default()
        .verify_password(pw, &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for f in ALL_FORMATS {
            assert_eq!(LegacyFormat::from_name(f.name()), Some(f));
        }
        assert_eq!(LegacyFormat::from_name("md5"), None);
    }

    #[test]
    fn debug_and_errors_never_show_the_hash() {
        let hash = "$2b$04$DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbuq5W";
        let h = LegacyHash::parse_import(hash, None, None);
        assert!(matches!(&h, Ok(h) if h.format() == LegacyFormat::Bcrypt));
        assert!(!format!("{h:?}").contains("DQq86"));
        let bad = "$2b$04$DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbuq5";
        let e = LegacyHash::parse_import(bad, None, None);
        assert!(e.is_err());
        assert!(!format!("{e:?}").contains("DQq86"));
    }

    #[test]
    fn stored_format_by_prefix() {
        assert_eq!(
            StoredFormat::of("$argon2id$v=19$m=64,t=1,p=1$x$y"),
            StoredFormat::Argon2id
        );
        assert_eq!(StoredFormat::of(NO_PASSWORD), StoredFormat::None);
        assert_eq!(
            StoredFormat::of("$6$salt$hash"),
            StoredFormat::Legacy(LegacyFormat::Sha512Crypt)
        );
        assert_eq!(
            StoredFormat::of("servicestack-saltedhash$a$b"),
            StoredFormat::Legacy(LegacyFormat::ServiceStackSaltedHash)
        );
    }

    #[test]
    fn aspnet_needs_its_name() {
        let v3 =
            "AQAAAAEAAAPoAAAAEBZVSFr1qHT56S6raJw4ZNiYjhXBwtF6FSah5aq9eVSSB7pahs8ZNCfB3np988H2Jg==";
        assert_eq!(
            LegacyHash::parse_import(v3, None, None).err(),
            Some(LegacyHashError::UnknownFormat)
        );
        assert!(LegacyHash::parse_import(v3, Some("aspnet-identity-v3"), None).is_ok());
        assert!(matches!(
            LegacyHash::parse_import(v3, Some("aspnet-identity-v2"), None),
            Err(LegacyHashError::Malformed { .. })
        ));
        assert!(matches!(
            LegacyHash::parse_import(v3, Some("md5"), None),
            Err(LegacyHashError::UnknownFormatName(_))
        ));
        // A stored-form prefix typed into the file is not a way around hashFormat.
        let tagged = format!("aspnet-identity-v3${v3}");
        assert_eq!(
            LegacyHash::parse_import(&tagged, None, None).err(),
            Some(LegacyHashError::UnknownFormat)
        );
    }

    #[test]
    fn format_mismatch_and_salt_misuse_are_refused() {
        let bc = "$2b$04$DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbuq5W";
        assert!(matches!(
            LegacyHash::parse_import(bc, Some("sha512-crypt"), None),
            Err(LegacyHashError::FormatMismatch { .. })
        ));
        assert!(matches!(
            LegacyHash::parse_import(bc, None, Some("c2FsdA==")),
            Err(LegacyHashError::Salt(_))
        ));
        assert!(matches!(
            LegacyHash::parse_import("x", Some("servicestack-saltedhash"), None),
            Err(LegacyHashError::Salt(_))
        ));
        assert_eq!(
            LegacyHash::parse_import(&"a".repeat(MAX_HASH_LEN + 1), None, None).err(),
            Some(LegacyHashError::TooLong)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any string, under any format name, with or without a salt: refused, or parsed
        /// into a hash whose stored form reads back as the same format. Never a panic.
        #[test]
        fn any_input_is_refused_or_round_trips(
            prefix in proptest::sample::select(vec![
                "", "$2b$04$", "$5$", "$6$rounds=1000$", "pbkdf2_sha256$1000$", "$pbkdf2-sha256$",
                "argon2$argon2id$v=19$m=64,t=1,p=1$", "$argon2i$v=19$m=64,t=1,p=1$", "bcrypt$",
                "bcrypt_sha256$$2b$04$", "AQAAAA", "AAAA",
            ]),
            body in "[A-Za-z0-9./+=$,]{0,90}",
            format in proptest::option::of(0usize..ALL_FORMATS.len()),
            salt in proptest::option::of("[A-Za-z0-9+/=$]{0,12}"),
        ) {
            let hash = format!("{prefix}{body}");
            let name = format.map(|i| ALL_FORMATS[i].name());
            if let Ok(h) = LegacyHash::parse_import(&hash, name, salt.as_deref()) {
                let again = LegacyHash::parse_stored(h.stored());
                proptest::prop_assert!(matches!(&again, Ok(a) if a.format() == h.format()));
                let _ = h.verify("password");
            }
        }
    }

    #[test]
    fn argon2_costs_are_bounded() {
        // m = 4 GiB: refused before anything is allocated.
        let huge = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(matches!(
            LegacyHash::parse_import(huge, None, None),
            Err(LegacyHashError::TooCostly { .. })
        ));
        let slow = "$argon2id$v=19$m=65536,t=100,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(matches!(
            LegacyHash::parse_import(slow, None, None),
            Err(LegacyHashError::TooCostly { .. })
        ));
    }
}
