//! The legacy verifiers against hashes made by the original implementations
//! (tests/fixtures/legacy_hashes.json, written by scripts/make-legacy-vectors.py with Django,
//! passlib, bcrypt and argon2-cffi, and the ASP.NET/ServiceStack byte layouts), and the
//! bounds that refuse malformed or absurdly costly hashes.

use passgate_core::credential::legacy::{LegacyFormat, LegacyHash, LegacyHashError, StoredFormat};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn vectors() -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/legacy_hashes.json"
    ))?;
    let v: Value = serde_json::from_str(&text)?;
    Ok(v["vectors"].as_array().cloned().unwrap_or_default())
}

fn field<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

#[test]
fn every_original_vector_verifies_and_only_with_its_password() -> TestResult {
    let vectors = vectors()?;
    assert!(vectors.len() >= 60, "fixture has {} vectors", vectors.len());
    let mut formats = std::collections::BTreeSet::new();
    for v in &vectors {
        let source = field(v, "source").unwrap_or("?");
        let password = field(v, "password").ok_or("no password")?;
        let hash = field(v, "passwordHash").ok_or("no hash")?;
        let parsed = LegacyHash::parse_import(hash, field(v, "hashFormat"), field(v, "salt"))
            .map_err(|e| format!("{source}: {e}"))?;
        formats.insert(parsed.format());
        assert!(parsed.verify(password), "{source}: right password refused");
        assert!(
            !parsed.verify(&format!("!{password}")),
            "{source}: wrong password accepted"
        );
        // (bcrypt ignores what follows the first 72 bytes, as the original does.)
        if password.len() < 72 {
            assert!(
                !parsed.verify(&format!("{password}!")),
                "{source}: longer password accepted"
            );
        }
        assert!(!parsed.verify(""), "{source}: empty password accepted");
        // What is stored reads back as the same hash.
        let stored = LegacyHash::parse_stored(parsed.stored())?;
        assert!(stored.verify(password), "{source}: stored form differs");
        let kind = StoredFormat::of(parsed.stored());
        if parsed.stored().starts_with("$argon2id$") {
            assert_eq!(kind, StoredFormat::Argon2id);
        } else {
            assert_eq!(kind, StoredFormat::Legacy(parsed.format()), "{source}");
        }
    }
    // Every format has at least one vector from an original implementation or layout.
    for f in passgate_core::credential::legacy::ALL_FORMATS {
        assert!(formats.contains(&f), "no vector for {f}");
    }
    Ok(())
}

#[test]
fn bcrypt_uses_the_first_72_bytes_like_the_original() -> TestResult {
    for v in vectors()? {
        let source = field(&v, "source").unwrap_or("?");
        if !source.contains("long password") {
            continue;
        }
        let password = field(&v, "password").ok_or("no password")?;
        let h = LegacyHash::parse_import(field(&v, "passwordHash").ok_or("no hash")?, None, None)?;
        let longer = format!("{password}tail");
        // Plain bcrypt ignores bytes past 72; Django's bcrypt_sha256 hashes them all.
        assert_eq!(
            h.verify(&longer),
            h.format() == LegacyFormat::Bcrypt,
            "{source}"
        );
    }
    Ok(())
}

fn refused(hash: &str, format: Option<&str>, salt: Option<&str>) -> LegacyHashError {
    match LegacyHash::parse_import(hash, format, salt) {
        Ok(h) => panic!("accepted {h:?}"),
        Err(e) => e,
    }
}

#[test]
fn malformed_hashes_are_refused_with_a_reason() {
    for bad in [
        "",
        "plaintext",
        "{SSHA}abcdef",
        "$1$salt$md5cryptisnotaccepted",
        "$2x$04$DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbuq5W",
        "md5$salt$abc",
        "$pbkdf2-md5$1000$HyMEIKR0zrk3ZqxVau09Rw$zzwJMAr7UWW7DV2Am0KKYBTibJnXsWOBYQlqX7Va7ww",
    ] {
        assert!(
            matches!(
                refused(bad, None, None),
                LegacyHashError::UnknownFormat | LegacyHashError::Malformed { .. }
            ),
            "{bad}"
        );
    }
    // Truncated or damaged.
    for bad in [
        "$2b$04$DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbuq5",
        "$2b$4$DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbuq5Wx",
        "$2b$04$DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbu*5W",
        "$6$zM9gA7FJk3HhT5pm$DPQoZdDaec0msg",
        "$6$rounds=10$zM9gA7FJk3HhT5pm$DPQoZdDaec0msg/xY9r1Mi61qa1n1TCIhTd2YmX7MjkET750iIcc6y74uxVi3A1DKp9P8LYEQsfEpCr8scaiI0",
        "$5$waytoolongsaltvalue123$AVRzcHUaU0QIxGrtinmW1nqFtNi5pyQuire6jwzqj/7",
        "pbkdf2_sha256$1200$8lde6urTTJ9R0C8nDv4OBW$ZRFa/rl/iUJra8t+ZxfXaXY3saKX",
        "pbkdf2_sha256$abc$8lde6urTTJ9R0C8nDv4OBW$ZRFa/rl/iUJra8t+ZxfXaXY3saKXa5H9+XV+TUfCK5M=",
        "pbkdf2_sha256$0$8lde6urTTJ9R0C8nDv4OBW$ZRFa/rl/iUJra8t+ZxfXaXY3saKXa5H9+XV+TUfCK5M=",
        "pbkdf2_sha256$1200$$ZRFa/rl/iUJra8t+ZxfXaXY3saKXa5H9+XV+TUfCK5M=",
        "$pbkdf2-sha256$1000$HyMEIKR0zrk3ZqxVau09Rw",
        "argon2$argon2id$v=19$m=256,t=1,p=2$bzg1UE1BczExRE5yUHJwZ1JUeVB1dA",
        "bcrypt_sha256$$2b$04$DDLHqM2tq2TzwQdIobPlNO6wNLhlreAvjUt2UMleSSVyowNGu/t6",
    ] {
        assert!(
            matches!(refused(bad, None, None), LegacyHashError::Malformed { .. }),
            "{bad}"
        );
    }
    // ASP.NET: truncated base64, wrong marker byte, salt length past the data.
    let v3 = "AQAAAAEAAAPoAAAAEBZVSFr1qHT56S6raJw4ZNiYjhXBwtF6FSah5aq9eVSSB7pahs8ZNCfB3np988H2Jg==";
    for bad in [
        &v3[..40],
        &v3[..v3.len() - 2],
        "AQAAAAEAAAPoAAAA/xZVSFr1qHT56S6r",
    ] {
        assert!(
            matches!(
                refused(bad, Some("aspnet-identity-v3"), None),
                LegacyHashError::Malformed { .. }
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        refused(v3, Some("aspnet-identity-v2"), None),
        LegacyHashError::Malformed { .. }
    ));
    // ServiceStack: the salt must be base64 and the hash 32 bytes.
    assert!(matches!(
        refused(
            "HqRxO9GXjD+Aw7uOfXTyX2K3XEf99PcXrOrXU2imYeE=",
            Some("servicestack-saltedhash"),
            Some("not base64!")
        ),
        LegacyHashError::Malformed { .. }
    ));
    assert!(matches!(
        refused(
            "HqRxO9GXjD+Aw7uOfXTyX2K3XEf99PcX",
            Some("servicestack-saltedhash"),
            Some("CJzrJA==")
        ),
        LegacyHashError::Malformed { .. }
    ));
}

#[test]
fn absurd_costs_are_refused_before_any_work() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    // ASP.NET v3 with 2^31 iterations.
    let mut raw = vec![0x01u8];
    raw.extend_from_slice(&1u32.to_be_bytes());
    raw.extend_from_slice(&0x8000_0000u32.to_be_bytes());
    raw.extend_from_slice(&16u32.to_be_bytes());
    raw.extend_from_slice(&[7u8; 16 + 32]);
    let costly = [
        (b64.encode(&raw), Some("aspnet-identity-v3")),
        (
            "pbkdf2_sha256$999999999$8lde6urTTJ9R0C8nDv4OBW$ZRFa/rl/iUJra8t+ZxfXaXY3saKXa5H9+XV+TUfCK5M=".to_owned(),
            None,
        ),
        (
            "$pbkdf2-sha512$5000000$8z4HQGhNidGak7I2xrhX6g$2Vn9vUF2mjhnx8qFeyYZfybwZoPcQPf1pKzR3Tm6IYUQzvSmvWDOt6UDcZfHpa5DuTxXf7WSYif9PFqseVg92Q".to_owned(),
            None,
        ),
        (
            "$2b$31$DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbuq5W".to_owned(),
            None,
        ),
        (
            "$6$rounds=999999999$Oob835.9eKhYrrWe$oJLH5wjWqYHllezwz.JFh/hcb6uP.378WwBOX1DsG8GbJINPBaoAWm2RnsQUAhgQJjVpZq19IZh5lTBZJ.Fpk.".to_owned(),
            None,
        ),
        (
            "argon2$argon2id$v=19$m=2097152,t=1,p=2$bzg1UE1BczExRE5yUHJwZ1JUeVB1dA$j/17wh+A279X56VCukJOf5gbiGkYcjuG0j5JPZ0Io58".to_owned(),
            None,
        ),
    ];
    for (hash, format) in costly {
        let e = refused(&hash, format, None);
        assert!(
            matches!(e, LegacyHashError::TooCostly { .. }),
            "{hash}: {e}"
        );
        assert!(e.to_string().contains("limit"), "{e}");
    }
    // An iteration count with more digits than any limit is malformed, not parsed.
    assert!(matches!(
        refused(
            "pbkdf2_sha256$99999999999999999999999$salt$ZRFa/rl/iUJra8t+ZxfXaXY3saKXa5H9+XV+TUfCK5M=",
            None,
            None
        ),
        LegacyHashError::Malformed { .. }
    ));
}

#[test]
fn the_defaults_of_the_source_systems_are_accepted() -> TestResult {
    // Django 5.2 (1,000,000 × PBKDF2-SHA256), ASP.NET Core 7+ (100,000 × HMAC-SHA512),
    // bcrypt cost 12, glibc's default SHA-crypt rounds, Django's argon2 (m=102400, t=2, p=8):
    // the limits are measured against these, so parsing must accept them.
    let ok = [
        ("pbkdf2_sha256$1000000$8lde6urTTJ9R0C8nDv4OBW$ZRFa/rl/iUJra8t+ZxfXaXY3saKXa5H9+XV+TUfCK5M=", None),
        ("$2b$12$DQq86ed2gbjTPGmJxNUHU.KXJgCGIZ7IrbuMxP79HtWfjYdFbuq5W", None),
        ("$6$rounds=5000$Oob835.9eKhYrrWe$oJLH5wjWqYHllezwz.JFh/hcb6uP.378WwBOX1DsG8GbJINPBaoAWm2RnsQUAhgQJjVpZq19IZh5lTBZJ.Fpk.", None),
        ("argon2$argon2id$v=19$m=102400,t=2,p=8$bzg1UE1BczExRE5yUHJwZ1JUeVB1dA$j/17wh+A279X56VCukJOf5gbiGkYcjuG0j5JPZ0Io58", None),
    ];
    for (hash, format) in ok {
        LegacyHash::parse_import(hash, format, None).map_err(|e| format!("{hash}: {e}"))?;
    }
    use base64::Engine;
    let mut raw = vec![0x01u8];
    raw.extend_from_slice(&2u32.to_be_bytes());
    raw.extend_from_slice(&100_000u32.to_be_bytes());
    raw.extend_from_slice(&16u32.to_be_bytes());
    raw.extend_from_slice(&[7u8; 16 + 32]);
    let v3 = base64::engine::general_purpose::STANDARD.encode(&raw);
    LegacyHash::parse_import(&v3, Some("aspnet-identity-v3"), None)?;
    Ok(())
}
