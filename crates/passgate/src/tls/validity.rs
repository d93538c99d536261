//! The validity period of an X.509 certificate, read from its DER encoding.
//!
//! rustls checks that a key matches its certificate but not the certificate's dates (a
//! server has no reason to), and passgate wants to refuse an expired certificate at start
//! with a clear message rather than let every client fail its handshake. Reading two fields
//! does not justify an X.509 crate and its parser stack, so this walks the fixed path
//! `Certificate → tbsCertificate → validity` by hand: no recursion, every length checked
//! against the bytes that remain before it is used, at most seven elements read.
//! Fuzzed as `tls_validity`.

/// When a certificate starts and stops being valid, in seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// `notBefore`.
    pub not_before: i64,
    /// `notAfter`.
    pub not_after: i64,
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const VERSION: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// One DER element: (tag, contents, the bytes after it).
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        // Long form: 1 to 4 length bytes (a certificate is far below 4 GiB).
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// Reads the validity period of the DER certificate `der`, or None if it is not shaped
/// like an X.509 certificate.
pub fn validity(der: &[u8]) -> Option<Validity> {
    let (tag, cert, _) = element(der)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, tbs, _) = element(cert)?;
    if tag != SEQUENCE {
        return None;
    }
    let (mut tag, _, mut rest) = element(tbs)?;
    if tag == VERSION {
        let (t, _, r) = element(rest)?;
        (tag, rest) = (t, r);
    }
    if tag != INTEGER {
        return None; // serialNumber
    }
    let (tag, _, rest) = element(rest)?; // signature AlgorithmIdentifier
    if tag != SEQUENCE {
        return None;
    }
    let (tag, _, rest) = element(rest)?; // issuer Name
    if tag != SEQUENCE {
        return None;
    }
    let (tag, period, _) = element(rest)?;
    if tag != SEQUENCE {
        return None;
    }
    let (t1, before, rest) = element(period)?;
    let (t2, after, _) = element(rest)?;
    Some(Validity {
        not_before: time(t1, before)?,
        not_after: time(t2, after)?,
    })
}

/// `UTCTime` (`YYMMDDHHMMSSZ`, years 1950–2049 per RFC 5280) or `GeneralizedTime`
/// (`YYYYMMDDHHMMSSZ`) as Unix seconds.
fn time(tag: u8, text: &[u8]) -> Option<i64> {
    let digits = |s: &[u8]| -> Option<i32> {
        s.iter().try_fold(0i32, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + i32::from(b - b'0'))
        })
    };
    let (year, rest) = match (tag, text.len()) {
        (UTC_TIME, 13) => {
            let yy = digits(&text[..2])?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &text[2..])
        }
        (GENERALIZED_TIME, 15) => (digits(&text[..4])?, &text[4..]),
        _ => return None,
    };
    if rest.last() != Some(&b'Z') {
        return None;
    }
    let part = |i: usize| digits(&rest[i..i + 2]).and_then(|v| u8::try_from(v).ok());
    let month = time::Month::try_from(part(0)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, part(2)?).ok()?;
    let clock = time::Time::from_hms(part(4)?, part(6)?, part(8)?).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, clock)
            .assume_utc()
            .unix_timestamp(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_both_encodings() {
        assert_eq!(time(UTC_TIME, b"700101000000Z"), Some(0));
        assert_eq!(time(UTC_TIME, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(
            time(GENERALIZED_TIME, b"20500101000000Z"),
            Some(2_524_608_000)
        );
        assert_eq!(time(UTC_TIME, b"701301000000Z"), None, "month 13");
        assert_eq!(time(UTC_TIME, b"700101000000+"), None);
        assert_eq!(time(GENERALIZED_TIME, b"700101000000Z"), None);
    }

    #[test]
    fn truncated_and_oversized_lengths_are_refused() {
        assert_eq!(element(&[0x30, 0x05, 1, 2]), None);
        assert_eq!(element(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(element(&[0x30, 0x80]), None);
        assert_eq!(validity(&[]), None);
        for n in 0..40 {
            assert_eq!(validity(&vec![0x30; n]), None);
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = validity(&bytes);
        }
    }
}
