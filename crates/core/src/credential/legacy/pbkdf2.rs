//! PBKDF2 in its exported forms (ASP.NET Identity v2/v3, Django, passlib and PHC strings) and
//! ServiceStack's salted SHA-256.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use subtle::ConstantTimeEq;

use super::limits::{self, MAX_OUTPUT_BYTES, MAX_SALT_BYTES, MIN_OUTPUT_BYTES};
use super::{LegacyFormat, LegacyHashError, Scheme};

/// Unpadded standard base64 (PHC strings), tolerant of padding and trailing bits.
const B64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The HMAC behind a PBKDF2 hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Prf {
    Sha1,
    Sha256,
    Sha512,
}

impl Prf {
    /// The HMAC's output length in bytes (PBKDF2's block size).
    fn digest_len(self) -> usize {
        match self {
            Prf::Sha1 => 20,
            Prf::Sha256 => 32,
            Prf::Sha512 => 64,
        }
    }
}

/// A PBKDF2 hash: parameters and the expected key.
#[derive(Clone)]
pub(super) struct Pbkdf2Hash {
    prf: Prf,
    iterations: u32,
    salt: Vec<u8>,
    expected: Vec<u8>,
}

impl Pbkdf2Hash {
    /// Checks the bounds and builds the hash.
    fn new(
        format: LegacyFormat,
        prf: Prf,
        iterations: u64,
        salt: Vec<u8>,
        expected: Vec<u8>,
    ) -> Result<Self, LegacyHashError> {
        let malformed = |reason| LegacyHashError::Malformed { format, reason };
        if iterations == 0 {
            return Err(malformed("zero iterations"));
        }
        if salt.len() > MAX_SALT_BYTES {
            return Err(malformed("salt longer than 64 bytes"));
        }
        if expected.len() < MIN_OUTPUT_BYTES || expected.len() > MAX_OUTPUT_BYTES {
            return Err(malformed("derived key not between 16 and 64 bytes"));
        }
        let blocks = u64::try_from(expected.len().div_ceil(prf.digest_len())).unwrap_or(u64::MAX);
        let (what, max) = match prf {
            Prf::Sha512 => (
                "iterations × blocks (HMAC-SHA512)",
                limits::MAX_PBKDF2_SHA512_WORK,
            ),
            _ => ("iterations × blocks", limits::MAX_PBKDF2_WORK),
        };
        limits::too_costly(format, what, iterations.saturating_mul(blocks), max)?;
        let iterations = u32::try_from(iterations).map_err(|_| malformed("iterations"))?;
        Ok(Pbkdf2Hash {
            prf,
            iterations,
            salt,
            expected,
        })
    }

    /// Constant-time comparison of the derived key.
    pub(super) fn verify(&self, password: &[u8]) -> bool {
        let mut out = zeroize::Zeroizing::new(vec![0u8; self.expected.len()]);
        match self.prf {
            Prf::Sha1 => {
                ::pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, &self.salt, self.iterations, &mut out)
            }
            Prf::Sha256 => ::pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                password,
                &self.salt,
                self.iterations,
                &mut out,
            ),
            Prf::Sha512 => ::pbkdf2::pbkdf2_hmac::<sha2::Sha512>(
                password,
                &self.salt,
                self.iterations,
                &mut out,
            ),
        }
        bool::from(out.as_slice().ct_eq(&self.expected))
    }
}

/// Decodes padded standard base64 (as .NET's `Convert.ToBase64String` writes it).
fn std_b64(format: LegacyFormat, s: &str) -> Result<Vec<u8>, LegacyHashError> {
    STANDARD.decode(s).map_err(|_| LegacyHashError::Malformed {
        format,
        reason: "invalid or truncated base64",
    })
}

/// ASP.NET Identity v2 (`0x00` ‖ salt(16) ‖ PBKDF2-HMAC-SHA1(1000 iterations, 32 bytes)) and
/// ASP.NET Core Identity v3 (`0x01` ‖ PRF ‖ iterations ‖ salt length, big-endian u32 each ‖
/// salt ‖ subkey), base64.
pub(super) fn parse_aspnet(
    format: LegacyFormat,
    body: &str,
) -> Result<Pbkdf2Hash, LegacyHashError> {
    let malformed = |reason| LegacyHashError::Malformed { format, reason };
    let raw = std_b64(format, body)?;
    match (format, raw.first()) {
        (LegacyFormat::AspnetIdentityV2, Some(0x00)) => {
            if raw.len() != 1 + 16 + 32 {
                return Err(malformed("not 49 bytes (0x00, 16-byte salt, 32-byte key)"));
            }
            Pbkdf2Hash::new(
                format,
                Prf::Sha1,
                1000,
                raw[1..17].to_vec(),
                raw[17..].to_vec(),
            )
        }
        (LegacyFormat::AspnetIdentityV3, Some(0x01)) => {
            let word = |at: usize| -> Result<u32, LegacyHashError> {
                raw.get(at..at + 4)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(u32::from_be_bytes)
                    .ok_or(malformed("header truncated"))
            };
            let prf = match word(1)? {
                0 => Prf::Sha1,
                1 => Prf::Sha256,
                2 => Prf::Sha512,
                _ => return Err(malformed("unknown PRF")),
            };
            let iterations = word(5)?;
            let salt_len = usize::try_from(word(9)?).unwrap_or(usize::MAX);
            if !(8..=MAX_SALT_BYTES).contains(&salt_len) {
                return Err(malformed("salt length not between 8 and 64 bytes"));
            }
            let salt = raw
                .get(13..13 + salt_len)
                .ok_or(malformed("salt truncated"))?;
            let key = &raw[13 + salt_len..];
            Pbkdf2Hash::new(
                format,
                prf,
                u64::from(iterations),
                salt.to_vec(),
                key.to_vec(),
            )
        }
        (LegacyFormat::AspnetIdentityV2, _) => Err(malformed("first byte is not 0x00")),
        _ => Err(malformed("first byte is not 0x01")),
    }
}

/// `servicestack-saltedhash$<salt base64>$<hash base64>`: SHA-256 of the UTF-8 password
/// followed by the decoded salt bytes (ServiceStack's `SaltedHash`, 4-byte salt by default).
pub(super) fn parse_salted_sha256(stored: &str) -> Result<Scheme, LegacyHashError> {
    let format = LegacyFormat::ServiceStackSaltedHash;
    let malformed = |reason| LegacyHashError::Malformed { format, reason };
    let mut parts = stored.splitn(3, '$').skip(1);
    let (Some(salt), Some(hash)) = (parts.next(), parts.next()) else {
        return Err(malformed("expected a hash and a salt"));
    };
    let salt = std_b64(format, salt)?;
    if salt.is_empty() || salt.len() > MAX_SALT_BYTES {
        return Err(malformed("salt not between 1 and 64 bytes"));
    }
    let expected = std_b64(format, hash)?;
    if expected.len() != 32 {
        return Err(malformed("hash is not 32 bytes (SHA-256)"));
    }
    Ok(Scheme::SaltedSha256 { salt, expected })
}

/// Django: `pbkdf2_sha256$<iterations>$<salt>$<base64 key>` (and `pbkdf2_sha1$`). The salt
/// is used as its UTF-8 text.
pub(super) fn parse_django(
    format: LegacyFormat,
    stored: &str,
) -> Result<Pbkdf2Hash, LegacyHashError> {
    let malformed = |reason| LegacyHashError::Malformed { format, reason };
    let parts: Vec<&str> = stored.splitn(5, '$').collect();
    let [_, iterations, salt, key] = parts.as_slice() else {
        return Err(malformed("expected algorithm$iterations$salt$hash"));
    };
    let iterations = parse_iterations(format, iterations)?;
    if salt.is_empty() || salt.len() > MAX_SALT_BYTES {
        return Err(malformed("salt not between 1 and 64 characters"));
    }
    let prf = if format == LegacyFormat::DjangoPbkdf2Sha1 {
        Prf::Sha1
    } else {
        Prf::Sha256
    };
    let key = std_b64(format, key)?;
    if key.len() != prf.digest_len() {
        return Err(malformed("hash is not the digest's length"));
    }
    Pbkdf2Hash::new(format, prf, iterations, salt.as_bytes().to_vec(), key)
}

/// passlib's `$pbkdf2[-sha256|-sha512]$<rounds>$<ab64 salt>$<ab64 key>` (ab64: `.` for `+`,
/// unpadded) and PHC `$pbkdf2-sha256$i=<rounds>[,l=<length>]$<b64 salt>$<b64 key>`.
pub(super) fn parse_modular(stored: &str) -> Result<Pbkdf2Hash, LegacyHashError> {
    let format = LegacyFormat::Pbkdf2;
    let malformed = |reason| LegacyHashError::Malformed { format, reason };
    let parts: Vec<&str> = stored.splitn(6, '$').collect();
    let [_, ident, params, salt, key] = parts.as_slice() else {
        return Err(malformed("expected $ident$rounds$salt$hash"));
    };
    let prf = match *ident {
        "pbkdf2" | "pbkdf2-sha1" => Prf::Sha1,
        "pbkdf2-sha256" => Prf::Sha256,
        "pbkdf2-sha512" => Prf::Sha512,
        _ => return Err(malformed("unknown PBKDF2 variant")),
    };
    let decode = |s: &str| -> Result<Vec<u8>, LegacyHashError> {
        let s = s.replace('.', "+");
        B64_LENIENT
            .decode(s)
            .map_err(|_| malformed("invalid or truncated base64"))
    };
    let (iterations, length) = if let Some(phc) = params.strip_prefix("i=") {
        // PHC: i=<rounds>[,l=<length>]
        let (i, l) = match phc.split_once(",l=") {
            Some((i, l)) => (i, Some(l)),
            None => (phc, None),
        };
        let length = l
            .map(|l| {
                l.parse::<usize>()
                    .map_err(|_| malformed("bad l= parameter"))
            })
            .transpose()?;
        (parse_iterations(format, i)?, length)
    } else {
        (parse_iterations(format, params)?, None)
    };
    let salt = decode(salt)?;
    if salt.len() < 8 {
        return Err(malformed("salt shorter than 8 bytes"));
    }
    let key = decode(key)?;
    match length {
        Some(l) if l != key.len() => {
            return Err(malformed("l= does not match the hash length"));
        }
        // passlib's form: always the digest's length.
        None if key.len() != prf.digest_len() => {
            return Err(malformed("hash is not the digest's length"));
        }
        _ => {}
    }
    Pbkdf2Hash::new(format, prf, iterations, salt, key)
}

/// A decimal iteration count of at most 10 digits (anything longer is over every limit).
fn parse_iterations(format: LegacyFormat, s: &str) -> Result<u64, LegacyHashError> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LegacyHashError::Malformed {
            format,
            reason: "iteration count is not a number of at most 10 digits",
        });
    }
    s.parse().map_err(|_| LegacyHashError::Malformed {
        format,
        reason: "iteration count",
    })
}
