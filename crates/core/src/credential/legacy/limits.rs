//! The bounds on imported hashes. Each cost limit keeps one verification within about ten
//! default Argon2id verifications (m=19456 KiB, t=2, p=1: about 25–40 ms on one core of a
//! current server, so roughly 0.3–0.4 s); the measured times are in docs/migration.md. The
//! defaults of the systems passgate imports from are all inside them (Django 5.2's 1,000,000
//! PBKDF2-SHA256 iterations, ASP.NET Core's 100,000 PBKDF2-SHA512, bcrypt cost 12, glibc's
//! 5,000 SHA-crypt rounds).

use super::{LegacyFormat, LegacyHashError};

/// Longest hash string (and salt column) accepted, in bytes.
pub const MAX_HASH_LEN: usize = 512;

/// Longest salt accepted, in bytes after decoding.
pub const MAX_SALT_BYTES: usize = 64;

/// Shortest derived key or digest accepted, in bytes (shorter ones are truncated exports).
pub const MIN_OUTPUT_BYTES: usize = 16;

/// Longest derived key accepted, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 64;

/// Most PBKDF2 iterations accepted with HMAC-SHA1 or HMAC-SHA256, counted per output block
/// (a 32-byte key from HMAC-SHA1 is two blocks).
pub const MAX_PBKDF2_WORK: u64 = 1_200_000;

/// Most PBKDF2-HMAC-SHA512 iterations accepted per output block (SHA-512 has twice the
/// block size, and each iteration costs about 1.5 times an HMAC-SHA256 one on 64-bit cores).
pub const MAX_PBKDF2_SHA512_WORK: u64 = 800_000;

/// Highest bcrypt cost accepted (2^12 key-schedule rounds, about 0.25 s).
pub const MAX_BCRYPT_COST: u32 = 12;

/// Most SHA-crypt rounds accepted (`$5$` and `$6$`); glibc's default is 5,000.
pub const MAX_SHA_CRYPT_ROUNDS: u64 = 500_000;

/// Most Argon2 memory accepted, in KiB (256 MiB).
pub const MAX_ARGON2_M_KIB: u32 = 262_144;

/// Most Argon2 work accepted: memory (KiB) × passes, ten times passgate's default 19456 × 2.
pub const MAX_ARGON2_WORK: u64 = 389_120;

/// Most Argon2 lanes accepted.
pub const MAX_ARGON2_LANES: u32 = 16;

pub(super) fn too_costly(
    format: LegacyFormat,
    what: &'static str,
    value: u64,
    max: u64,
) -> Result<(), LegacyHashError> {
    if value > max {
        Err(LegacyHashError::TooCostly {
            format,
            what,
            value,
            max,
        })
    } else {
        Ok(())
    }
}

pub(super) fn check_argon2(
    format: LegacyFormat,
    m_kib: u32,
    t: u32,
    p: u32,
) -> Result<(), LegacyHashError> {
    too_costly(
        format,
        "memory (KiB)",
        u64::from(m_kib),
        u64::from(MAX_ARGON2_M_KIB),
    )?;
    too_costly(format, "lanes", u64::from(p), u64::from(MAX_ARGON2_LANES))?;
    too_costly(
        format,
        "memory × passes",
        u64::from(m_kib) * u64::from(t),
        MAX_ARGON2_WORK,
    )
}
