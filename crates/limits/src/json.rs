//! The JSON pre-scan: one pass over the bytes that bounds nesting depth and the number of
//! members before serde_json builds a value (its own recursion limit is 128, and it has no
//! member limit).
//!
//! Hand-written because it is twelve lines of state machine: it only needs to know whether a
//! byte is inside a string. Syntax is left to serde_json; up to the first syntax error the
//! brackets seen here are exactly the value's nesting, so the bound holds for everything
//! serde_json reads.

use crate::{Kind, LimitError, MAX_DEPTH, MAX_JSON_MEMBERS};

/// Checks `body` against [`MAX_DEPTH`] and [`MAX_JSON_MEMBERS`]. Members are counted as the
/// separators between them plus one per object or array, an upper bound that is exact for
/// non-empty containers.
pub fn check_json(body: &[u8]) -> Result<(), LimitError> {
    let mut depth = 0usize;
    let mut members = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                members += 1;
                if depth > MAX_DEPTH {
                    return Err(LimitError::Depth(Kind::Json));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => members += 1,
            _ => continue,
        }
        if members > MAX_JSON_MEMBERS {
            return Err(LimitError::Members);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_bounded_at_the_limit() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(check_json(nested(MAX_DEPTH).as_bytes()), Ok(()));
        assert_eq!(
            check_json(nested(MAX_DEPTH + 1).as_bytes()),
            Err(LimitError::Depth(Kind::Json))
        );
        assert_eq!(
            check_json("{\"a\":".repeat(4000).as_bytes()),
            Err(LimitError::Depth(Kind::Json))
        );
    }

    #[test]
    fn brackets_and_commas_inside_strings_do_not_count() {
        let s = format!(r#"{{"a":"{}\"{}"}}"#, "[{,".repeat(1000), "\\\\");
        assert_eq!(check_json(s.as_bytes()), Ok(()));
    }

    #[test]
    fn members_are_bounded() {
        let obj = |n: usize| {
            let m: Vec<String> = (0..n).map(|i| format!("\"m{i}\":1")).collect();
            format!("{{{}}}", m.join(","))
        };
        assert_eq!(check_json(obj(MAX_JSON_MEMBERS).as_bytes()), Ok(()));
        assert_eq!(
            check_json(obj(MAX_JSON_MEMBERS + 1).as_bytes()),
            Err(LimitError::Members)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = check_json(&bytes);
        }

        #[test]
        fn accepts_what_serde_accepts_within_the_limits(
            v in proptest::collection::vec(("[a-z\"\\\\\\[{},]{0,6}", proptest::prelude::any::<i32>()), 0..20)
        ) {
            let map: serde_json::Map<String, serde_json::Value> =
                v.into_iter().map(|(k, n)| (k.clone(), serde_json::json!([k, n, {"x": []}]))).collect();
            let text = serde_json::Value::Object(map).to_string();
            proptest::prop_assert_eq!(check_json(text.as_bytes()), Ok(()));
        }
    }
}
