//! Strict `application/x-www-form-urlencoded` decoding for query strings and form bodies.
//!
//! `url::form_urlencoded` replaces invalid UTF-8 with U+FFFD, so a password containing U+FFFD
//! would match any invalid byte; this decoder refuses it instead, and bounds the pair count.
//! The splitting rules are the WHATWG ones `form_urlencoded` follows: pairs separated by `&`,
//! empty pairs skipped, name and value split at the first `=`, `+` is a space.

use std::borrow::Cow;

use percent_encoding::percent_decode;

use crate::{Kind, LimitError, MAX_PAIRS};

/// Decodes `input` into name/value pairs; at most [`MAX_PAIRS`], each valid UTF-8 after
/// percent-decoding. `kind` (query or form) names the input in errors.
pub fn parse_pairs(input: &[u8], kind: Kind) -> Result<Vec<(String, String)>, LimitError> {
    let mut pairs = Vec::new();
    for segment in input.split(|&b| b == b'&').filter(|s| !s.is_empty()) {
        if pairs.len() == MAX_PAIRS {
            return Err(LimitError::Pairs(kind));
        }
        let (name, value) = match segment.iter().position(|&b| b == b'=') {
            Some(i) => (&segment[..i], &segment[i + 1..]),
            None => (segment, &[][..]),
        };
        pairs.push((decode(name, kind)?, decode(value, kind)?));
    }
    Ok(pairs)
}

fn decode(raw: &[u8], kind: Kind) -> Result<String, LimitError> {
    let spaced: Cow<'_, [u8]> = if raw.contains(&b'+') {
        Cow::Owned(
            raw.iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    };
    let bytes: Vec<u8> = percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|_| LimitError::PercentUtf8(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn decodes_like_form_urlencoded() -> Result<(), LimitError> {
        assert_eq!(
            parse_pairs(b"a=1&&b=x+y%2B%3D&c&d==e&%C3%A9=%E2%82%AC", Kind::Query)?,
            owned(&[
                ("a", "1"),
                ("b", "x y+="),
                ("c", ""),
                ("d", "=e"),
                ("é", "€")
            ])
        );
        assert_eq!(parse_pairs(b"", Kind::Form)?, Vec::new());
        assert_eq!(
            parse_pairs(b"a=%zz%4", Kind::Form)?,
            owned(&[("a", "%zz%4")])
        );
        Ok(())
    }

    #[test]
    fn invalid_utf8_is_refused_not_replaced() {
        for bad in [&b"password=%FF"[..], b"%C3=x", b"p=%ED%A0%80", b"p=\xff"] {
            assert_eq!(
                parse_pairs(bad, Kind::Form),
                Err(LimitError::PercentUtf8(Kind::Form))
            );
        }
    }

    #[test]
    fn pair_count_is_bounded() {
        let at = "a=1&".repeat(MAX_PAIRS);
        assert_eq!(
            parse_pairs(at.as_bytes(), Kind::Query).map(|p| p.len()),
            Ok(MAX_PAIRS)
        );
        let over = "a=1&".repeat(MAX_PAIRS + 1);
        assert_eq!(
            parse_pairs(over.as_bytes(), Kind::Query),
            Err(LimitError::Pairs(Kind::Query))
        );
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_form_urlencoded_on_valid_input(s in "[a-z=&+%0-9A-F€ ]{0,64}") {
            let lossy: Vec<(String, String)> = url::form_urlencoded::parse(s.as_bytes())
                .map(|(a, b)| (a.into_owned(), b.into_owned()))
                .collect();
            match parse_pairs(s.as_bytes(), Kind::Query) {
                Ok(p) => proptest::prop_assert_eq!(p, lossy),
                Err(e) => proptest::prop_assert!(
                    lossy.iter().any(|(a, b)| a.contains('\u{fffd}') || b.contains('\u{fffd}'))
                        || matches!(e, LimitError::Pairs(_)),
                    "{e:?}"
                ),
            }
        }
    }
}
