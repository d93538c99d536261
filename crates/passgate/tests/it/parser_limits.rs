//! Issue 16: bounded parsing through the real server. Deep nesting and attribute floods are
//! refused protocol-correctly on both SOAP endpoints and the REST binders, the server keeps
//! answering, and invalid percent-encoded UTF-8 is a 400 instead of U+FFFD.

use crate::harness::*;

const PW: &str = "correct horse battery staple";
const NEW: &str = "a brand new passphrase, long";
const DCS: &str = "http://schemas.datacontract.org/2004/07/N3TAPI.Services";

/// POSTs `body` with a SOAP 1.1 or 1.2 content type (chosen by `env_ns`).
async fn post_soap(
    s: &TestServer,
    path: &str,
    env_ns: &str,
    body: String,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let ct = if env_ns == SOAP12 {
        "application/soap+xml; charset=utf-8"
    } else {
        "text/xml; charset=utf-8"
    };
    let r = s
        .http
        .post(s.url(path))
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.text().await?))
}

/// Asserts a client fault in `env_ns`'s version whose text contains `needle`.
fn assert_client_fault(env_ns: &str, status: u16, body: &str, needle: &str) {
    assert_eq!(envelope_ns(body).as_deref(), Some(env_ns), "{body}");
    let text = if env_ns == SOAP12 {
        assert_eq!(status, 400, "{body}");
        assert_eq!(first_text(body, "Value").as_deref(), Some("s:Sender"));
        first_text(body, "Text")
    } else {
        assert_eq!(status, 500, "{body}");
        assert_eq!(first_text(body, "faultcode").as_deref(), Some("s:Client"));
        first_text(body, "faultstring")
    };
    let text = text.unwrap_or_default();
    assert!(text.contains(needle), "{text}");
    assert!(!text.contains("<a>") && !text.contains("secret"), "{text}");
}

#[tokio::test]
async fn deep_xml_is_a_client_fault_on_both_soap_endpoints() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("deep", PW).await?;
    // The report's request (4,000 unclosed levels), and one inside a real envelope's Body
    // with the rest of the 64 KiB spent on more levels.
    let bare = "<a>".repeat(4000);
    let wrapped = format!(
        r#"<s:Envelope xmlns:s="{SOAP12}"><s:Body><ChangeOwnPassword xmlns="{TNS}">{}</ChangeOwnPassword></s:Body></s:Envelope>"#,
        "<a>".repeat(20_000)
    );
    for path in [PRINCIPAL, USER] {
        for env_ns in [SOAP11, SOAP12] {
            for body in [&bare, &wrapped] {
                let (status, text) = post_soap(&s, path, env_ns, body.clone()).await?;
                assert_client_fault(env_ns, status, &text, "deeper than the limit of 64 levels");
            }
        }
    }
    let health = s.http.get(s.url("/healthz")).send().await?;
    assert_eq!(health.status().as_u16(), 200, "the server still answers");
    assert!(s.login("deep", PW).await?.is_some(), "and still logs in");
    Ok(())
}

#[tokio::test]
async fn attribute_floods_are_refused() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("flood", PW).await?;
    // The report's 9,000 attributes in 63 KB (duplicates: quadratic for roxmltree).
    let attrs = " a=\"1\"".repeat(9000);
    let soap = format!(r#"<s:Envelope xmlns:s="{SOAP12}"{attrs}><s:Body/></s:Envelope>"#);
    for path in [PRINCIPAL, USER] {
        let (status, text) = post_soap(&s, path, SOAP12, soap.clone()).await?;
        assert_client_fault(SOAP12, status, &text, "limit of 32 attributes");
    }
    // Spread over many elements: the document total.
    let spread = format!(
        r#"<s:Envelope xmlns:s="{SOAP11}"><s:Header>{}</s:Header><s:Body/></s:Envelope>"#,
        format!(
            "<h{}/>",
            (0..30).map(|i| format!(" a{i}=\"1\"")).collect::<String>()
        )
        .repeat(20)
    );
    let (status, text) = post_soap(&s, USER, SOAP11, spread).await?;
    assert_client_fault(SOAP11, status, &text, "limit of 256 attributes in total");
    let rest = format!(r#"<Security xmlns="{DCS}"{attrs}/>"#);
    let r = s
        .http
        .post(s.url("/security/credentials"))
        .header("Content-Type", "application/xml")
        .header("Accept", "application/json")
        .body(rest)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["responseStatus"]["errorCode"], "SerializationException");
    assert_eq!(
        v["responseStatus"]["errors"][0]["message"],
        "An XML element has more than the limit of 32 attributes (namespace declarations included)."
    );
    assert!(s.login("flood", PW).await?.is_some());
    Ok(())
}

/// PUTs `body` to `/logins/ChangePassword` and returns the status and the body text.
async fn put_change(
    s: &TestServer,
    query: &str,
    content_type: &str,
    body: String,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let r = s
        .http
        .put(s.url(&format!("/logins/ChangePassword{query}")))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.text().await?))
}

#[tokio::test]
async fn deep_and_wide_rest_bodies_are_400_response_status() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("rest", PW).await?;
    let sid = crate::rest::rest_login(&s, "rest", PW).await?;
    // XML: the error comes back as an XML ErrorResponse.
    let deep_xml = format!(
        r#"<ChangePassword xmlns="{DCS}"><sessionId>{sid}</sessionId>{}"#,
        "<password>".repeat(4000)
    );
    let (status, text) = put_change(&s, "", "application/xml", deep_xml).await?;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("<ErrorResponse ")
            && text.contains("<ErrorCode>SerializationException</ErrorCode>")
            && text.contains("The XML nests deeper than the limit of 64 levels."),
        "{text}"
    );
    let json_cases = [
        (
            format!(
                r#"{{"sessionId":"{sid}","password":"{PW}","newPassword":"{NEW}","x":{}1{}}}"#,
                "[".repeat(4000),
                "]".repeat(4000)
            ),
            "The JSON nests deeper than the limit of 64 levels.",
        ),
        (
            format!(
                r#"{{"sessionId":"{sid}","password":"{PW}","newPassword":"{NEW}","x":[{}0]}}"#,
                "0,".repeat(300)
            ),
            "The JSON has more than the limit of 256 members and array elements.",
        ),
    ];
    for (body, message) in json_cases {
        let (status, text) = put_change(&s, "", "application/json", body).await?;
        assert_eq!(status, 400, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text)?;
        assert_eq!(v["responseStatus"]["errorCode"], "SerializationException");
        assert_eq!(v["responseStatus"]["errors"][0]["fieldName"], "");
        assert_eq!(v["responseStatus"]["errors"][0]["message"], message);
    }
    // Too many pairs in a query string and in a form body.
    let many = "x=1&".repeat(300);
    let form = format!("{many}sessionId={sid}&password=a&newPassword=b");
    let (status, text) = put_change(&s, "", "application/x-www-form-urlencoded", form).await?;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("The form body has more than the limit of 256 fields."),
        "{text}"
    );
    let (status, text) =
        put_change(&s, &format!("?{many}"), "application/json", "{}".into()).await?;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("The query string has more than the limit of 256 fields."),
        "{text}"
    );
    let health = s.http.get(s.url("/healthz")).send().await?;
    assert_eq!(health.status().as_u16(), 200);
    assert!(s.login("rest", PW).await?.is_some(), "nothing changed");
    Ok(())
}

#[tokio::test]
async fn invalid_percent_encoded_utf8_is_400_not_u_fffd() -> TestResult {
    let s = TestServer::start().await?;
    // Before: `%FF` decoded to U+FFFD, so this password matched any invalid byte.
    let pw = format!("{PW}\u{fffd}");
    s.add_user("fffd", &pw).await?;
    let sent = "username=fffd&password=correct+horse+battery+staple%FF";
    let r = s
        .http
        .post(s.url("/security/credentials"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(sent)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await?;
    assert_eq!(v["responseStatus"]["errorCode"], "SerializationException");
    assert_eq!(
        v["responseStatus"]["errors"][0]["message"],
        "The form body is not valid UTF-8."
    );
    assert!(v.get("sessionId").is_none_or(serde_json::Value::is_null));
    let r = s
        .http
        .post(s.url(&format!("/security/credentials?{sent}")))
        .header("Accept", "application/json")
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await?;
    assert_eq!(
        v["responseStatus"]["errors"][0]["message"],
        "The query string is not valid UTF-8."
    );
    // The password itself, correctly encoded, still works.
    let ok = "username=fffd&password=correct+horse+battery+staple%EF%BF%BD";
    let r = s
        .http
        .post(s.url("/security/credentials"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(ok)
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    Ok(())
}
