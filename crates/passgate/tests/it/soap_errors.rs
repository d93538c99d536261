//! Every applicable row of CONTRACT.md §1's outcome table, and hostile input.

use std::time::{Duration, Instant};

use crate::harness::*;

const PW: &str = "correct horse battery staple";

async fn fault(
    s: &TestServer,
    env_ns: &str,
    body: Vec<u8>,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let ct = if env_ns == SOAP12 {
        "application/soap+xml; charset=utf-8"
    } else {
        "text/xml; charset=utf-8"
    };
    let r = s
        .http
        .post(s.url(USER))
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.text().await?))
}

#[tokio::test]
async fn missing_bad_and_unknown_tickets() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("alice", PW).await?;
    let unknown = "7T:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    for ticket in [
        None,
        Some(""),
        Some("7T:1234abcxyzExample=="),
        Some("garbage"),
        Some(unknown),
    ] {
        let (status, body) = s
            .soap12(
                USER,
                change_envelope(SOAP12, ticket, PW, "another long passphrase"),
            )
            .await?;
        assert_eq!(status, 200, "{ticket:?}");
        assert_eq!(
            first_text(&body, "Succeeded").as_deref(),
            Some("false"),
            "{ticket:?}"
        );
        assert_eq!(
            first_text(&body, "ExceptionType").as_deref(),
            Some("SoTicketInvalidException")
        );
        assert_eq!(first_text(&body, "Response").as_deref(), Some("false"));
    }
    assert!(s.login("alice", PW).await?.is_some(), "nothing changed");
    Ok(())
}

#[tokio::test]
async fn malformed_xml_gives_a_client_fault_in_the_right_version() -> TestResult {
    let s = TestServer::start().await?;
    let (status, body) = fault(&s, SOAP11, b"<s:Envelope xmlns:s='x'><unclosed>".to_vec()).await?;
    assert_eq!(status, 500);
    assert_eq!(envelope_ns(&body).as_deref(), Some(SOAP11));
    assert_eq!(first_text(&body, "faultcode").as_deref(), Some("s:Client"));
    let (status, body) = fault(&s, SOAP12, b"not xml at all".to_vec()).await?;
    assert_eq!(status, 400);
    assert_eq!(envelope_ns(&body).as_deref(), Some(SOAP12));
    assert_eq!(first_text(&body, "Value").as_deref(), Some("s:Sender"));
    // Well-formed but not an envelope.
    let (status, body) = fault(&s, SOAP11, b"<ChangeOwnPassword/>".to_vec()).await?;
    assert_eq!(status, 500);
    assert!(first_text(&body, "faultstring").is_some_and(|m| m.contains("Envelope")));
    Ok(())
}

#[tokio::test]
async fn dtd_and_entity_bombs_are_refused_quickly() -> TestResult {
    let s = TestServer::start().await?;
    let mut lol = String::from(
        r#"<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY l0 "lollollollollollol">"#,
    );
    for i in 1..10 {
        let prev = format!("&l{};", i - 1).repeat(10);
        lol.push_str(&format!(r#"<!ENTITY l{i} "{prev}">"#));
    }
    lol.push_str(&format!(
        r#"]><s:Envelope xmlns:s="{SOAP12}"><s:Body><ChangeOwnPassword xmlns="{TNS}"><OldPassword>&l9;</OldPassword></ChangeOwnPassword></s:Body></s:Envelope>"#
    ));
    let xxe = format!(
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="{SOAP12}"><s:Body><GetSystemInfo xmlns="{TNS}">&e;</GetSystemInfo></s:Body></s:Envelope>"#
    );
    for doc in [lol, xxe] {
        let start = Instant::now();
        let (status, body) = fault(&s, SOAP12, doc.into_bytes()).await?;
        assert!(start.elapsed() < Duration::from_secs(1));
        assert_eq!(status, 400);
        assert!(
            first_text(&body, "Text").is_some_and(|m| m.contains("DTD")),
            "{body}"
        );
        assert!(!body.contains("root:"));
    }
    Ok(())
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_parsing() -> TestResult {
    let s = TestServer::start().await?;
    let big = vec![b'a'; 2 * 1024 * 1024];
    let (status, body) = fault(&s, SOAP11, big.clone()).await?;
    assert_eq!(status, 500);
    assert_eq!(first_text(&body, "faultcode").as_deref(), Some("s:Client"));
    assert!(first_text(&body, "faultstring").is_some_and(|m| m.contains("65536")));
    // Chunked (no Content-Length) is cut off too.
    let reply = raw_chunked_post(&s, USER, 2 * 1024 * 1024).await?;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(reply.contains("65536"));
    Ok(())
}

/// Sends `total` bytes with chunked transfer encoding over a raw socket; returns the reply.
async fn raw_chunked_post(
    s: &TestServer,
    path: &str,
    total: usize,
) -> Result<String, Box<dyn std::error::Error>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(s.addr).await?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/soap+xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await?;
    let chunk = vec![b'a'; 16 * 1024];
    let mut sent = 0;
    while sent < total {
        let frame = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.clone(),
            b"\r\n".to_vec(),
        ]
        .concat();
        if conn.write_all(&frame).await.is_err() {
            break; // the server stopped reading: that is the point
        }
        sent += chunk.len();
    }
    let _ = conn.write_all(b"0\r\n\r\n").await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut reply)).await;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[tokio::test]
async fn unknown_and_unimplemented_operations_are_client_faults_naming_them() -> TestResult {
    let s = TestServer::start().await?;
    for (path, op, expect) in [
        (USER, "GetUser", "GetUser of User.svc is not implemented"),
        (
            USER,
            "FrobnicateTheWidget",
            "Unknown operation FrobnicateTheWidget",
        ),
        (
            PRINCIPAL,
            "AuthenticateImplicit",
            "AuthenticateImplicit of SoPrincipal.svc is not implemented",
        ),
        (
            PRINCIPAL,
            "ChangeOwnPassword",
            "Unknown operation ChangeOwnPassword",
        ),
    ] {
        let body = format!(
            r#"<s:Envelope xmlns:s="{SOAP11}"><s:Body><{op} xmlns="{TNS}"/></s:Body></s:Envelope>"#
        );
        let r = s
            .http
            .post(s.url(path))
            .header("Content-Type", "text/xml")
            .body(body)
            .send()
            .await?;
        assert_eq!(r.status().as_u16(), 500);
        let text = r.text().await?;
        assert_eq!(first_text(&text, "faultcode").as_deref(), Some("s:Client"));
        assert!(
            first_text(&text, "faultstring").is_some_and(|m| m.contains(expect)),
            "{text}"
        );
    }
    // Right name, wrong namespace.
    let body = format!(
        r#"<s:Envelope xmlns:s="{SOAP12}"><s:Body><GetSystemInfo xmlns="urn:other"/></s:Body></s:Envelope>"#
    );
    let (status, text) = s.soap12(PRINCIPAL, body).await?;
    assert_eq!(status, 400);
    assert!(text.contains("Unknown operation"));
    Ok(())
}

#[tokio::test]
async fn soap_action_must_match_the_body() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("alice", PW).await?;
    let (status, body) = s
        .soap11(
            PRINCIPAL,
            "SoPrincipal/GetSystemInfo",
            auth_envelope(SOAP11, "alice", PW),
        )
        .await?;
    assert_eq!(status, 500);
    assert!(first_text(&body, "faultstring").is_some_and(|m| m.contains("does not match")));
    // SOAP 1.2 action parameter.
    let r = s
        .http
        .post(s.url(PRINCIPAL))
        .header(
            "Content-Type",
            format!(r#"application/soap+xml; charset=utf-8; action="{TNS}/SoPrincipal/AuthenticateUsernamePassword""#),
        )
        .body(auth_envelope(SOAP12, "alice", PW))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        first_text(&r.text().await?, "AuthenticationSucceeded").as_deref(),
        Some("true")
    );
    Ok(())
}

#[tokio::test]
async fn paths_match_case_insensitively_and_wsdl_is_served() -> TestResult {
    let s = TestServer::start().await?;
    for path in [
        "/remote/services84/user.svc?wsdl",
        "/REMOTE/Services84/User.svc?singleWsdl",
    ] {
        let r = s.http.get(s.url(path)).send().await?;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let text = r.text().await?;
        let doc = roxmltree::Document::parse(&text)?;
        assert_eq!(doc.root_element().attribute("name"), Some("WcfUserService"));
        assert!(text.contains(&format!("http://{}/Remote/Services84/User.svc", s.addr)));
        assert!(text.contains("ChangeOwnPassword"));
    }
    let r = s
        .http
        .get(s.url("/Remote/Services84/SoPrincipal.svc?wsdl"))
        .send()
        .await?;
    let text = r.text().await?;
    assert!(text.contains("AuthenticateUsernamePassword"));
    let r = s.http.delete(s.url(USER)).send().await?;
    assert_eq!(r.status().as_u16(), 405);
    Ok(())
}

#[tokio::test]
async fn bad_input_never_panics_and_changes_nothing() -> TestResult {
    let s = TestServer::start().await?;
    s.add_user("alice", PW).await?;
    let ticket = s.login("alice", PW).await?.ok_or("login")?;
    let hostile = [
        format!(
            r#"<s:Envelope xmlns:s="{SOAP12}"><s:Body><ChangeOwnPassword xmlns="{TNS}"><OldPassword><x><y/></x></OldPassword></ChangeOwnPassword></s:Body></s:Envelope>"#
        ),
        format!(
            r#"<s:Envelope xmlns:s="{SOAP12}"><s:Header><Credentials xmlns="{TNS}"><Ticket>{ticket}</Ticket></Credentials></s:Header><s:Body><ChangeOwnPassword xmlns="{TNS}"><OldPassword>&#0;</OldPassword></ChangeOwnPassword></s:Body></s:Envelope>"#
        ),
        format!(r#"<s:Envelope xmlns:s="{SOAP12}"><s:Body/></s:Envelope>"#),
        format!(
            r#"<s:Envelope xmlns:s="{SOAP12}"><s:Header><Credentials xmlns="{TNS}"><Ticket>{}</Ticket></Credentials></s:Header><s:Body><ChangeOwnPassword xmlns="{TNS}"><OldPassword>{PW}</OldPassword><NewPassword>{}</NewPassword></ChangeOwnPassword></s:Body></s:Envelope>"#,
            ticket,
            "x".repeat(5000)
        ),
        "\u{feff}<?xml version='1.0' encoding='utf-16'?><a/>".to_owned(),
    ];
    for doc in hostile {
        let (status, body) = s.soap12(USER, doc).await?;
        assert!(status == 200 || status == 400, "{status} {body}");
        assert_ne!(first_text(&body, "Response").as_deref(), Some("true"));
    }
    assert!(s.login("alice", PW).await?.is_some());
    Ok(())
}
