//! Modular-crypt formats: bcrypt (`$2a$`, `$2b$`, `$2y$`) and SHA-crypt (`$5$`, `$6$`).

use subtle::ConstantTimeEq;

use super::limits::{self, MAX_BCRYPT_COST, MAX_SHA256_CRYPT_ROUNDS, MAX_SHA512_CRYPT_ROUNDS};
use super::{LegacyFormat, LegacyHashError};

/// The 64 characters of crypt's base64 (bcrypt uses the same set in another order).
fn is_crypt64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'/'
}

/// Checks `$2a$`/`$2b$`/`$2y$` + two-digit cost + 53 characters (22 salt, 31 hash); returns
/// the string. `$2x$` (crypt_blowfish's buggy mode) is refused: it computes another function.
pub(super) fn parse_bcrypt(format: LegacyFormat, s: &str) -> Result<String, LegacyHashError> {
    let malformed = |reason| LegacyHashError::Malformed { format, reason };
    let b = s.as_bytes();
    if b.len() != 60 {
        return Err(malformed("not 60 characters"));
    }
    if !(s.starts_with("$2a$") || s.starts_with("$2b$") || s.starts_with("$2y$")) {
        return Err(malformed("not $2a$, $2b$ or $2y$"));
    }
    if b[6] != b'$' || !b[4].is_ascii_digit() || !b[5].is_ascii_digit() {
        return Err(malformed("cost is not two digits"));
    }
    let cost = u32::from(b[4] - b'0') * 10 + u32::from(b[5] - b'0');
    if cost < 4 {
        return Err(malformed("cost below 4"));
    }
    limits::too_costly(format, "cost", u64::from(cost), u64::from(MAX_BCRYPT_COST))?;
    if !b[7..].iter().all(|&c| is_crypt64(c)) {
        return Err(malformed(
            "salt or hash has characters outside bcrypt's base64",
        ));
    }
    Ok(s.to_owned())
}

/// A SHA-crypt hash.
#[derive(Clone)]
pub(super) struct ShaCryptHash {
    sha512: bool,
    rounds: usize,
    salt: Vec<u8>,
    expected: Vec<u8>,
}

/// `$5$[rounds=N$]salt$hash` / `$6$…`: salt of at most 16 characters, hash of 43 / 86.
pub(super) fn parse_sha_crypt(
    format: LegacyFormat,
    s: &str,
) -> Result<ShaCryptHash, LegacyHashError> {
    let malformed = |reason| LegacyHashError::Malformed { format, reason };
    let sha512 = format == LegacyFormat::Sha512Crypt;
    let rest = &s[3..];
    let (rounds, rest) = match rest.strip_prefix("rounds=") {
        Some(r) => {
            let (n, rest) = r
                .split_once('$')
                .ok_or(malformed("rounds= not terminated"))?;
            if n.is_empty() || n.len() > 10 || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed("rounds is not a number of at most 10 digits"));
            }
            let n: u64 = n.parse().map_err(|_| malformed("rounds"))?;
            if n < 1000 {
                return Err(malformed("rounds below 1000"));
            }
            let max = if sha512 {
                MAX_SHA512_CRYPT_ROUNDS
            } else {
                MAX_SHA256_CRYPT_ROUNDS
            };
            limits::too_costly(format, "rounds", n, max)?;
            (usize::try_from(n).map_err(|_| malformed("rounds"))?, rest)
        }
        None => (5000, rest),
    };
    let (salt, hash) = rest
        .split_once('$')
        .ok_or(malformed("expected salt$hash"))?;
    if salt.is_empty() || salt.len() > 16 {
        return Err(malformed("salt not between 1 and 16 characters"));
    }
    if salt
        .bytes()
        .any(|b| b == b'$' || b == b':' || b.is_ascii_control())
    {
        return Err(malformed("salt has a forbidden character"));
    }
    let want = if sha512 { 86 } else { 43 };
    if hash.len() != want || !hash.bytes().all(is_crypt64) {
        return Err(malformed("hash is not the right length of crypt base64"));
    }
    Ok(ShaCryptHash {
        sha512,
        rounds,
        salt: salt.as_bytes().to_vec(),
        expected: hash.as_bytes().to_vec(),
    })
}

impl ShaCryptHash {
    /// Constant-time comparison of the encoded hash.
    pub(super) fn verify(&self, password: &[u8]) -> bool {
        let computed = if self.sha512 {
            sha_crypt::Sha512Params::new(self.rounds)
                .ok()
                .and_then(|p| sha_crypt::sha512_crypt_b64(password, &self.salt, &p).ok())
        } else {
            sha_crypt::Sha256Params::new(self.rounds)
                .ok()
                .and_then(|p| sha_crypt::sha256_crypt_b64(password, &self.salt, &p).ok())
        };
        computed.is_some_and(|c| bool::from(c.as_bytes().ct_eq(&self.expected)))
    }
}
