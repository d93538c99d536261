//! Compressed request bodies (PHP's SoapClient sends them with `SOAP_COMPRESSION_GZIP`):
//! gzip and deflate are decoded under the same size limit as plain bodies, other codings are
//! refused with 415 naming them, and SOAP 1.2 faults carry WCF's subcodes.

use std::io::Write;

use crate::harness::*;

const PW: &str = "correct horse battery staple";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

async fn post(
    s: &TestServer,
    path: &str,
    content_type: &str,
    encoding: &str,
    body: Vec<u8>,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let r = s
        .http
        .post(s.url(path))
        .header("Content-Type", content_type)
        .header("Content-Encoding", encoding)
        .body(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.text().await?))
}

#[tokio::test]
async fn gzip_bodies_work_and_bombs_and_unknown_codings_are_refused() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("zip", PW).await?;
    let soap12 = "application/soap+xml; charset=utf-8";
    let env = auth_envelope(SOAP12, "zip", PW);
    let (st, body) = post(&s, PRINCIPAL, soap12, "gzip", gzip(env.as_bytes())).await?;
    assert_eq!(st, 200, "{body}");
    assert!(first_text(&body, "Ticket").is_some(), "{body}");
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(env.as_bytes())?;
    let (st, body) = post(&s, PRINCIPAL, soap12, "deflate", z.finish()?).await?;
    assert_eq!(st, 200, "{body}");

    // 10 MB of zeros in ~10 KB: refused at the 64 KiB decoded limit.
    let bomb = gzip(&vec![b' '; 10_000_000]);
    assert!(bomb.len() < 64 * 1024);
    let (st, body) = post(&s, PRINCIPAL, soap12, "gzip", bomb.clone()).await?;
    assert_eq!(st, 400, "{body}");
    assert!(body.contains("exceeds the limit"), "{body}");
    let (st, body) = post(&s, PRINCIPAL, soap12, "br", env.clone().into_bytes()).await?;
    assert_eq!(st, 415, "{body}");
    assert!(
        body.contains("Content-Encoding &quot;br&quot; is not supported"),
        "{body}"
    );
    let (st, body) = post(&s, PRINCIPAL, soap12, "gzip", b"not gzip at all".to_vec()).await?;
    assert_eq!(st, 400);
    assert!(body.contains("not valid gzip data"), "{body}");
    // SOAP 1.2 faults carry a subcode.
    assert!(
        body.contains("<s:Subcode><s:Value xmlns:a=\"http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher\">a:DeserializationFailed</s:Value></s:Subcode>"),
        "{body}"
    );
    let wrong_ns = env.replace(
        "<AuthenticateUsernamePassword xmlns=\"",
        "<AuthenticateUsernamePassword xmlns=\"urn:other:",
    );
    let (_, body) = post(&s, PRINCIPAL, soap12, "identity", wrong_ns.into_bytes()).await?;
    assert!(body.contains("a:ActionNotSupported"), "{body}");

    // REST: the same rules.
    let json = serde_json::json!({"username": "zip", "password": PW}).to_string();
    let (st, body) = post(
        &s,
        "/security/credentials",
        "application/json",
        "gzip",
        gzip(json.as_bytes()),
    )
    .await?;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("sessionId"));
    let (st, body) = post(
        &s,
        "/security/credentials",
        "application/json",
        "gzip",
        bomb,
    )
    .await?;
    assert_eq!(st, 413, "{body}");
    let (st, body) = post(
        &s,
        "/security/credentials",
        "application/json",
        "compress",
        json.into_bytes(),
    )
    .await?;
    assert_eq!(st, 415, "{body}");
    assert!(
        body.contains("UnsupportedMediaType") && body.contains("compress"),
        "{body}"
    );
    Ok(())
}
