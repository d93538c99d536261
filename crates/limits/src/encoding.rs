//! Request bodies sent with `Content-Encoding` (PHP's SoapClient compresses requests on
//! demand): `gzip` and `deflate` are decoded with the same limit on the *decoded* size as a
//! plain body has, so a small compressed body that expands without end (a zip bomb) is
//! refused after at most `limit + 1` bytes of output; any other coding is named and refused.

use std::io::Read;

/// Why an encoded body is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A coding passgate does not decode (answered 415).
    #[error("Content-Encoding {0:?} is not supported (use gzip, deflate or none)")]
    Unsupported(String),
    /// The decoded body is larger than the limit (answered like any body over the limit).
    #[error("the decoded request body exceeds the limit of {0} bytes")]
    TooLarge(usize),
    /// The data is not valid for its coding.
    #[error("the request body is not valid {0} data")]
    Corrupt(&'static str),
}

/// Most codings listed in one `Content-Encoding` header.
const MAX_CODINGS: usize = 2;

/// Decodes `body` as `content_encoding` says (codings applied in the listed order are
/// removed in reverse), to at most `limit` bytes. No header, or `identity`: the body as is.
pub fn decode_body(
    content_encoding: Option<&str>,
    body: Vec<u8>,
    limit: usize,
) -> Result<Vec<u8>, DecodeError> {
    let Some(header) = content_encoding else {
        return Ok(body);
    };
    let codings: Vec<String> = header
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    if codings.len() > MAX_CODINGS {
        return Err(DecodeError::Unsupported(
            header.trim().chars().take(64).collect(),
        ));
    }
    let mut data = body;
    for coding in codings.iter().rev() {
        data = match coding.as_str() {
            "gzip" | "x-gzip" => {
                read_bounded(flate2::read::GzDecoder::new(&data[..]), limit, "gzip")?
            }
            "deflate" => read_bounded(flate2::read::ZlibDecoder::new(&data[..]), limit, "deflate")?,
            other => return Err(DecodeError::Unsupported(other.chars().take(32).collect())),
        };
    }
    Ok(data)
}

fn read_bounded(
    reader: impl Read,
    limit: usize,
    name: &'static str,
) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| DecodeError::Corrupt(name))?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge(limit));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = e.write_all(data);
        e.finish().unwrap_or_default()
    }

    #[test]
    fn gzip_and_deflate_round_trip() {
        let body = b"<Envelope>hello</Envelope>".to_vec();
        assert_eq!(
            decode_body(Some("gzip"), gzip(&body), 1000),
            Ok(body.clone())
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = z.write_all(&body);
        let deflated = z.finish().unwrap_or_default();
        assert_eq!(
            decode_body(Some("Deflate"), deflated, 1000),
            Ok(body.clone())
        );
        assert_eq!(decode_body(None, body.clone(), 1000), Ok(body.clone()));
        assert_eq!(decode_body(Some("identity"), body.clone(), 1000), Ok(body));
    }

    #[test]
    fn bombs_unknown_codings_and_garbage_are_refused() {
        let bomb = gzip(&vec![0u8; 10_000_000]);
        assert!(bomb.len() < 20_000);
        assert_eq!(
            decode_body(Some("gzip"), bomb, 65_536),
            Err(DecodeError::TooLarge(65_536))
        );
        assert_eq!(
            decode_body(Some("br"), vec![1, 2, 3], 100),
            Err(DecodeError::Unsupported("br".into()))
        );
        assert_eq!(
            decode_body(Some("gzip"), b"not gzip".to_vec(), 100),
            Err(DecodeError::Corrupt("gzip"))
        );
        assert!(decode_body(Some("gzip, gzip, gzip"), vec![], 100).is_err());
    }
}
