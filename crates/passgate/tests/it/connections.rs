//! Connection management: header and idle timeouts, the connection cap, the Host rules
//! of RFC 9112 §3.2 and the WSDL address (see `src/conn/mod.rs`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{auth_envelope, TestResult, TestServer, PRINCIPAL, SOAP12};

/// What the issue asks of `/healthz` and a login while sockets are held: answer within 1 s.
pub const ANSWER_BOUND: Duration = Duration::from_secs(1);
/// Generous upper bound for "closed after its timeout", on a loaded machine.
const CLOSE_SLACK: Duration = Duration::from_secs(5);

pub const PASSWORD: &str = "correct horse battery staple";

/// A request head cut off in the middle of its headers.
pub fn half_head() -> Vec<u8> {
    format!("POST {PRINCIPAL} HTTP/1.1\r\nHost: passgate.test\r\nContent-Type: appl").into_bytes()
}

/// Opens `n` connections that have each sent half a request head.
pub async fn half_open(addr: SocketAddr, n: usize) -> Result<Vec<TcpStream>, std::io::Error> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(&half_head()).await?;
        v.push(s);
    }
    Ok(v)
}

/// Reads one response with a `Content-Length` from a kept-alive connection.
pub async fn read_response(s: &mut TcpStream) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(format!("connection closed after {} bytes", buf.len()).into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse())
            .transpose()?
            .unwrap_or(0);
        if buf.len() >= end + 4 + len {
            let status = head.split(' ').nth(1).ok_or("no status")?.parse::<u16>()?;
            let text = String::from_utf8_lossy(&buf[..end + 4 + len]).into_owned();
            return Ok((status, text));
        }
    }
}

/// Opens `n` kept-alive connections that each completed one `/healthz` and now sit idle.
pub async fn idle(
    addr: SocketAddr,
    n: usize,
) -> Result<Vec<TcpStream>, Box<dyn std::error::Error>> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: passgate.test\r\n\r\n")
            .await?;
        let (status, _) = read_response(&mut s).await?;
        assert_eq!(status, 200);
        v.push(s);
    }
    Ok(v)
}

/// True when the server closes `s` within `bound` (end of stream or reset).
pub async fn closed_within(s: &mut TcpStream, bound: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// One request on a new connection (`Connection: close`); the status and whole answer.
pub async fn raw(
    addr: SocketAddr,
    request: &str,
) -> Result<(u16, String), Box<dyn std::error::Error>> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(request.as_bytes()).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .ok_or_else(|| format!("no status in {text:?}"))?
        .parse()?;
    Ok((status, text))
}

/// `/healthz` and a SOAP login on fresh connections, each answered within [`ANSWER_BOUND`].
pub async fn health_and_login_answer(addr: SocketAddr, user: &str) -> TestResult {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let started = Instant::now();
    let r = client.get(format!("http://{addr}/healthz")).send().await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await?, "ok");
    let took = started.elapsed();
    assert!(took < ANSWER_BOUND, "/healthz took {took:?}");
    let started = Instant::now();
    let r = client
        .post(format!("http://{addr}{PRINCIPAL}"))
        .header("Content-Type", "application/soap+xml; charset=utf-8")
        .body(auth_envelope(SOAP12, user, PASSWORD))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let body = r.text().await?;
    let took = started.elapsed();
    assert!(body.contains("<Ticket>"), "{body}");
    assert!(took < ANSWER_BOUND, "the login took {took:?}");
    Ok(())
}

#[tokio::test]
async fn half_open_and_idle_connections_neither_block_service_nor_stay_open() -> TestResult {
    let server = TestServer::start_with(|s| {
        s.core.hash = crate::harness::fast_params();
        s.connections.header_timeout = Duration::from_secs(1);
        s.connections.idle_timeout = Duration::from_secs(4);
    })
    .await?;
    server.add_user("slow", PASSWORD).await?;
    let mut heads = half_open(server.addr, 200).await?;
    let mut idles = idle(server.addr, 200).await?;
    health_and_login_answer(server.addr, "slow").await?;

    // Half-open connections go after the header timeout ...
    for s in &mut heads {
        assert!(closed_within(s, Duration::from_secs(1) + CLOSE_SLACK).await);
    }
    // ... while idle ones, with a longer idle timeout, still serve their next request.
    let mut first = idles.remove(0);
    first
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: passgate.test\r\n\r\n")
        .await?;
    assert_eq!(read_response(&mut first).await?.0, 200);
    // Then they go after the idle timeout.
    idles.push(first);
    for s in &mut idles {
        assert!(closed_within(s, Duration::from_secs(4) + CLOSE_SLACK).await);
    }

    // A client that trickles its head one byte at a time is cut off by the header timeout.
    let mut s = TcpStream::connect(server.addr).await?;
    let started = Instant::now();
    let mut cut = false;
    for b in b"GET /healthz HTTP/1.1\r\nX-Slow: "
        .iter()
        .cycle()
        .take(200)
    {
        if s.write_all(&[*b]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(cut || closed_within(&mut s, CLOSE_SLACK).await);
    assert!(started.elapsed() < Duration::from_secs(1) + CLOSE_SLACK);
    Ok(())
}

#[tokio::test]
async fn at_the_cap_the_longest_waiting_connection_makes_room() -> TestResult {
    let server = TestServer::start_with(|s| {
        s.core.hash = crate::harness::fast_params();
        s.connections.max_connections = 8;
    })
    .await?;
    server.add_user("capped", PASSWORD).await?;
    let mut oldest = half_open(server.addr, 1).await?;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut held = idle(server.addr, 7).await?;
    // At the cap: the new connection is served, and the oldest waiting one closed for it.
    let (status, _) = raw(
        server.addr,
        "GET /healthz HTTP/1.1\r\nHost: passgate.test\r\nConnection: close\r\n\r\n",
    )
    .await?;
    assert_eq!(status, 200);
    assert!(closed_within(&mut oldest[0], CLOSE_SLACK).await);
    // Many more connections than the cap, all idle: service continues.
    held.extend(idle(server.addr, 30).await?);
    health_and_login_answer(server.addr, "capped").await?;
    drop(held);
    Ok(())
}

#[tokio::test]
async fn at_the_cap_slowly_fed_bodies_make_room_too() -> TestResult {
    let server = TestServer::start_with(|s| {
        s.core.hash = crate::harness::fast_params();
        s.connections.max_connections = 4;
    })
    .await?;
    // Four requests whose bodies are still arriving, the first one longest.
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(server.addr).await?;
        s.write_all(
            format!(
                "POST {PRINCIPAL} HTTP/1.1\r\nHost: passgate.test\r\nContent-Type: application/soap+xml\r\nContent-Length: 1000\r\n\r\n<s:Envelope"
            )
            .as_bytes(),
        )
        .await?;
        slow.push(s);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, _) = raw(
        server.addr,
        "GET /healthz HTTP/1.1\r\nHost: passgate.test\r\nConnection: close\r\n\r\n",
    )
    .await?;
    assert_eq!(status, 200);
    assert!(closed_within(&mut slow[0], CLOSE_SLACK).await);
    for s in &mut slow[1..] {
        assert!(!closed_within(s, Duration::from_millis(100)).await);
    }
    Ok(())
}

#[tokio::test]
async fn http11_requests_need_exactly_one_valid_host() -> TestResult {
    let server = TestServer::start().await?;
    let a = server.addr;
    for (request, expected) in [
        ("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", 400),
        (
            "GET /healthz HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: close\r\n\r\n",
            400,
        ),
        (
            "GET /healthz HTTP/1.1\r\nHost: a.test\r\nHost: a.test\r\nConnection: close\r\n\r\n",
            400,
        ),
        (
            "GET /healthz HTTP/1.1\r\nHost: a/b\r\nConnection: close\r\n\r\n",
            400,
        ),
        (
            "GET /healthz HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n",
            400,
        ),
        (
            "GET /healthz HTTP/1.0\r\nHost: a.test\r\nHost: b.test\r\n\r\n",
            400,
        ),
        (
            "GET /healthz HTTP/1.1\r\nHost: a.test:8080\r\nConnection: close\r\n\r\n",
            200,
        ),
        (
            "GET /healthz HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n",
            200,
        ),
        // HTTP/1.0 did not require Host.
        ("GET /healthz HTTP/1.0\r\n\r\n", 200),
    ] {
        let (status, text) = raw(a, request).await?;
        assert_eq!(status, expected, "{request:?}: {text}");
    }
    // On every route, before any front end sees the request.
    let (status, _) = raw(
        a,
        &format!("POST {PRINCIPAL} HTTP/1.1\r\nContent-Type: application/soap+xml\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    )
    .await?;
    assert_eq!(status, 400);
    Ok(())
}

#[tokio::test]
async fn the_wsdl_address_never_echoes_an_unchecked_host() -> TestResult {
    let server = TestServer::start().await?;
    let a = server.addr;
    let wsdl = |host: &str| {
        format!("GET /Remote/Services84/User.svc?wsdl HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
    };
    let (status, text) = raw(a, &wsdl("crm.example.com:81")).await?;
    assert_eq!(status, 200);
    assert!(text.contains("location=\"http://crm.example.com:81/Remote/Services84/User.svc\""));
    let (status, text) = raw(a, &wsdl("evil.example\"><x")).await?;
    assert_eq!(status, 400);
    assert!(!text.contains("evil"));
    // Without a Host (HTTP/1.0), the address the connection reached.
    let (status, text) = raw(a, "GET /Remote/Services84/User.svc?wsdl HTTP/1.0\r\n\r\n").await?;
    assert_eq!(status, 200);
    assert!(
        text.contains(&format!(
            "location=\"http://{a}/Remote/Services84/User.svc\""
        )),
        "{text}"
    );

    // With public_url set, the Host is ignored.
    let server = TestServer::start_with(|s| {
        s.core.hash = crate::harness::fast_params();
        s.public_url = Some("https://crm.example.com".into());
    })
    .await?;
    let (status, text) = raw(server.addr, &wsdl("other.example")).await?;
    assert_eq!(status, 200);
    assert!(text.contains("location=\"https://crm.example.com/Remote/Services84/User.svc\""));
    assert!(!text.contains("other.example"));
    Ok(())
}
