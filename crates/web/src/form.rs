//! Form bodies of the pages: read within a small size limit, decoded by the strict, bounded
//! decoder every front end shares (`passgate_limits::pairs`, fuzzed as `rest_form`), then
//! only the named fields are kept. Unknown fields are ignored; a field sent twice is refused.

use axum::body::Body;
use http_body_util::BodyExt;
use passgate_limits::Kind;

/// Largest form body accepted by the pages (a few passwords, a token and a CSRF field).
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// Why a form was refused (never quotes the input: it may hold a password).
#[derive(Debug)]
pub enum FormError {
    /// Larger than [`MAX_FORM_BYTES`], unreadable, or not decodable.
    Malformed,
    /// A field appeared more than once.
    Duplicate,
}

/// The fields of one submitted form.
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Field names only: values may be passwords.
        let names: Vec<&str> = self.pairs.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Form").field("fields", &names).finish()
    }
}

impl Form {
    /// Reads and decodes a form body.
    pub async fn read(body: Body) -> Result<Form, FormError> {
        let limited = http_body_util::Limited::new(body, MAX_FORM_BYTES);
        let bytes = limited
            .collect()
            .await
            .map_err(|_| FormError::Malformed)?
            .to_bytes();
        Self::parse(&bytes)
    }

    /// Decodes a form body already in memory (the fuzz target's entry point).
    pub fn parse(bytes: &[u8]) -> Result<Form, FormError> {
        if bytes.len() > MAX_FORM_BYTES {
            return Err(FormError::Malformed);
        }
        let pairs = passgate_limits::pairs::parse_pairs(bytes, Kind::Form)
            .map_err(|_| FormError::Malformed)?;
        for (i, (name, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(FormError::Duplicate);
            }
        }
        Ok(Form { pairs })
    }

    /// The value of field `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of field `name`, or "" when missing.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }
}

impl Drop for Form {
    fn drop(&mut self) {
        // Values may be passwords; copies made by callers are `Password`s, which zeroize too.
        for (_, v) in &mut self.pairs {
            zeroize::Zeroize::zeroize(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_duplicates_and_limits() {
        let f = Form::parse(b"login=ann&password=a+b%21&csrf=x").ok();
        assert_eq!(f.as_ref().and_then(|f| f.get("password")), Some("a b!"));
        assert_eq!(f.as_ref().map(|f| f.text("missing")), Some(""));
        assert!(matches!(Form::parse(b"a=1&a=2"), Err(FormError::Duplicate)));
        assert!(matches!(Form::parse(b"p=%FF"), Err(FormError::Malformed)));
        let big = vec![b'a'; MAX_FORM_BYTES + 1];
        assert!(matches!(Form::parse(&big), Err(FormError::Malformed)));
        let f = Form::parse(b"password=secret").ok();
        assert!(!format!("{f:?}").contains("secret"));
    }
}
