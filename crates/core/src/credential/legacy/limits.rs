//! The bounds on imported hashes. Each cost limit keeps one verification within about ten
//! default Argon2id verifications (m=19456 KiB, t=2, p=1), except where a current default of
//! a source system costs more: those defaults are accepted, and nothing above them (Django's
//! 1,200,000 PBKDF2-SHA256 iterations, about 13×; bcrypt cost 12, the default of Django,
//! Laravel and PHP 8.4, about 23×; passlib's 656,000 SHA-512-crypt rounds, about 23×).
//! `passgate bench --scenario legacy-cost` measures every limit against Argon2id on the
//! machine at hand; the figures are in docs/migration.md.

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
/// (a 32-byte key from HMAC-SHA1 is two blocks): Django 6.0's default.
pub const MAX_PBKDF2_WORK: u64 = 1_200_000;

/// Most PBKDF2-HMAC-SHA512 iterations accepted per output block (each costs about four
/// HMAC-SHA256 ones where SHA-256 has CPU instructions); OWASP's recommendation, twice
/// ASP.NET Core's default of 100,000.
pub const MAX_PBKDF2_SHA512_WORK: u64 = 210_000;

/// Highest bcrypt cost accepted (2^12 key-schedule rounds).
pub const MAX_BCRYPT_COST: u32 = 12;

/// Most SHA-256-crypt (`$5$`) rounds accepted; glibc's default is 5,000, passlib's 535,000.
pub const MAX_SHA256_CRYPT_ROUNDS: u64 = 1_000_000;

/// Most SHA-512-crypt (`$6$`) rounds accepted; glibc's default is 5,000, passlib's 656,000.
pub const MAX_SHA512_CRYPT_ROUNDS: u64 = 700_000;

/// Most Argon2 memory accepted, in KiB (128 MiB).
pub const MAX_ARGON2_M_KIB: u32 = 131_072;

/// Most Argon2 work accepted: memory (KiB) × passes. Django's default (102,400 × 2) and
/// argon2-cffi's (65,536 × 3) are inside; verifying an imported Argon2 hash allocates its
/// memory afresh, so this costs about ten of passgate's own (19456 × 2) verifications.
pub const MAX_ARGON2_WORK: u64 = 210_000;

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
