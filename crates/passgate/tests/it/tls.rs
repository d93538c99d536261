//! HTTPS on the listener: real clients (Python's ssl module, zeep, curl) against the real
//! `passgate serve` with certificates made by the test (openssl), certificate renewal
//! without a restart, the redirecting plain-HTTP listener, and bad files refused at start.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::connections::PASSWORD;
use crate::harness::{test_python, TestResult};
use crate::serve_process::{add_user, serve, sigterm};

/// A self-signed certificate for 127.0.0.1 (an EC P-256 key) in `dir`: (cert, key) paths.
pub(crate) fn make_certificate(
    dir: &Path,
    name: &str,
) -> Result<(String, String), Box<dyn std::error::Error>> {
    let cert = dir.join(format!("{name}.crt")).display().to_string();
    let key = dir.join(format!("{name}.key")).display().to_string();
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN=passgate test {name}"),
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
            &key,
            "-out",
            &cert,
        ])
        .output()?;
    if !out.status.success() {
        return Err(format!("openssl: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok((cert, key))
}

/// A certificate that expired in 2020 (openssl `ca` is the 3.0 tool that sets dates).
fn make_expired_certificate(dir: &Path) -> Result<(String, String), Box<dyn std::error::Error>> {
    std::fs::write(dir.join("index.txt"), "")?;
    std::fs::write(dir.join("serial"), "01\n")?;
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
         default_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
    )?;
    let run = |args: &[&str]| -> TestResult {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()?;
        if !out.status.success() {
            return Err(format!("openssl: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        Ok(())
    };
    run(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "expired.key",
        "-out",
        "expired.csr",
        "-subj",
        "/CN=expired",
    ])?;
    run(&[
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-selfsign",
        "-keyfile",
        "expired.key",
        "-in",
        "expired.csr",
        "-startdate",
        "20200101000000Z",
        "-enddate",
        "20200102000000Z",
        "-out",
        "expired.crt",
    ])?;
    Ok((
        dir.join("expired.crt").display().to_string(),
        dir.join("expired.key").display().to_string(),
    ))
}

fn free_port() -> Result<u16, std::io::Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn curl(args: &[&str]) -> Result<(bool, String), Box<dyn std::error::Error>> {
    let out = Command::new("curl")
        .args(["-sS", "-m", "10"])
        .args(args)
        .output()?;
    Ok((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

#[tokio::test]
async fn https_with_real_clients_renewal_without_restart_and_a_redirecting_listener() -> TestResult
{
    let Some(py) = test_python("HTTPS test", "zeep") else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let (cert, key) = make_certificate(dir.path(), "first")?;
    let (new_cert, new_key) = make_certificate(dir.path(), "second")?;
    let db = format!("sqlite://{}", dir.path().join("tls.db").display());
    add_user(&db, "tls")?;
    let redirect_port = free_port()?.to_string();
    let redirect_listen = format!("127.0.0.1:{redirect_port}");
    let served = serve(
        dir.path(),
        &db,
        None,
        &[
            ("PASSGATE_TLS_CERT", cert.as_str()),
            ("PASSGATE_TLS_KEY", key.as_str()),
            ("PASSGATE_TLS_RELOAD_SECS", "1"),
            ("PASSGATE_TLS_REDIRECT_LISTEN", redirect_listen.as_str()),
        ],
    )
    .await?;
    let port = served.addr.port().to_string();
    let base = format!("https://127.0.0.1:{port}");

    // curl trusts the test's certificate and nothing else.
    let (ok, body) = curl(&["--cacert", &cert, &format!("{base}/healthz")])?;
    assert!(ok && body == "ok", "{body}");
    let (ok, _) = curl(&[&format!("{base}/healthz")])?;
    assert!(!ok, "an unknown certificate must not be trusted");
    // Plain HTTP on the TLS port gets no answer.
    let (ok, _) = curl(&[&format!("http://127.0.0.1:{port}/healthz")])?;
    assert!(!ok);
    // The WSDL names its https address; the pages send HSTS and Secure __Host- cookies.
    let (_, wsdl) = curl(&[
        "--cacert",
        &cert,
        &format!("{base}/Remote/Services84/SoPrincipal.svc?wsdl"),
    ])?;
    assert!(
        wsdl.contains(&format!(
            "location=\"{base}/Remote/Services84/SoPrincipal.svc\""
        )),
        "{wsdl}"
    );
    let (_, head) = curl(&[
        "--cacert",
        &cert,
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("{base}/account/signin"),
    ])?;
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("strict-transport-security: max-age=31536000"),
        "{head}"
    );
    assert!(head.contains("set-cookie: __host-passgate-form="), "{head}");
    assert!(head.contains("; secure"), "{head}");
    // The plain listener redirects to the same path over HTTPS and answers /healthz.
    let plain = format!("http://127.0.0.1:{redirect_port}");
    let (_, redirect) = curl(&[
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("{plain}/account/signin?x=1"),
    ])?;
    assert!(redirect.starts_with("HTTP/1.1 308"), "{redirect}");
    assert!(
        redirect
            .to_ascii_lowercase()
            .contains(&format!("location: {base}/account/signin?x=1")),
        "{redirect}"
    );
    let (ok, body) = curl(&[&format!("{plain}/healthz")])?;
    assert!(ok && body == "ok", "{body}");
    let (_, login) = curl(&[
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-X",
        "POST",
        "-d",
        "x",
        &format!("{plain}/Remote/Services84/SoPrincipal.svc"),
    ])?;
    assert!(
        login.starts_with("HTTP/1.1 308"),
        "nothing but redirects in clear: {login}"
    );

    // Python: TLS version and ALPN, zeep over HTTPS, renewal, a broken renewal.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/https_client.py");
    let out = tokio::process::Command::new(&py)
        .args([
            script, &port, &cert, &key, &new_cert, &new_key, "tls", PASSWORD,
        ])
        .output()
        .await?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    eprintln!("HTTPS client observed: {v}");
    assert_eq!(v["healthz"], serde_json::json!([200, "ok"]));
    assert!(v["version"] == "TLSv1.3", "{v}");
    assert_eq!(v["alpn"], "http/1.1");
    assert_eq!(v["first_cert_is_old"], true);
    assert_eq!(v["tls11_refused"], true);
    assert_eq!(
        v["wsdl_address"],
        format!("{base}/Remote/Services84/SoPrincipal.svc")
    );
    assert_eq!(v["zeep_ticket"], true);
    assert_eq!(
        v["new_cert_served"], true,
        "the renewed certificate was never served"
    );
    assert_eq!(
        v["kept_alive_after_renewal"],
        serde_json::json!([200, "ok"])
    );
    assert_eq!(v["kept_cert_is_old"], true);
    assert_eq!(v["after_broken_file"], serde_json::json!([200, true]));
    sigterm(&served.child)?;
    Ok(())
}

/// `passgate serve` with the given TLS files: (exit success, stderr).
fn serve_once(
    dir: &Path,
    cert: &str,
    key: &str,
) -> Result<(bool, String), Box<dyn std::error::Error>> {
    let db = format!("sqlite://{}", dir.join("bad.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_passgate"))
        .args(["--database", &db, "serve", "--listen", "127.0.0.1:0"])
        .env("PASSGATE_TLS_CERT", cert)
        .env("PASSGATE_TLS_KEY", key)
        .env_remove("PASSGATE_DATABASE_URL")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let started = std::time::Instant::now();
    while child.try_wait()?.is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            return Err("serve kept running with bad TLS files".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output()?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn missing_mismatched_expired_or_malformed_files_stop_the_server_with_a_clear_error() -> TestResult
{
    let dir = tempfile::tempdir()?;
    let (cert, key) = make_certificate(dir.path(), "good")?;
    let (_, other_key) = make_certificate(dir.path(), "other")?;
    let (expired, expired_key) = make_expired_certificate(dir.path())?;
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "hello\n")?;
    let garbage = garbage.display().to_string();
    let missing = dir.path().join("missing.pem").display().to_string();
    for (cert, key, expect) in [
        (missing.as_str(), key.as_str(), format!("cannot read {missing}")),
        (cert.as_str(), other_key.as_str(), format!("the key in {other_key} does not belong to the certificate in {cert}")),
        (expired.as_str(), expired_key.as_str(), format!("the certificate in {expired} is valid from 2020-01-01T00:00:00Z to 2020-01-02T00:00:00Z, not now")),
        (garbage.as_str(), key.as_str(), format!("{garbage} holds no usable PEM certificate")),
        (cert.as_str(), garbage.as_str(), format!("{garbage} holds no usable PEM private key")),
    ] {
        let (ok, stderr) = serve_once(dir.path(), cert, key)?;
        assert!(!ok, "started with {cert} / {key}");
        assert!(stderr.contains(&expect), "expected {expect:?} in:\n{stderr}");
        assert!(!stderr.contains("PRIVATE KEY"), "key material in the log:\n{stderr}");
    }
    Ok(())
}
