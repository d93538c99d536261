//! The self-service pages in a real browser: Debian's chromium driven by playwright-core
//! (`tests/web/run.mjs`, dependencies from its committed lockfile), against the real server
//! on a random port, with a real SMTP server for the reset mail. The script signs in,
//! watches the policy feedback, changes and resets passwords, ends sessions, tries forged
//! forms, runs axe-core on every page and saves screenshots (desktop and phone) under the
//! target directory. Outside CI a missing chromium, node or `node_modules` skips the test
//! with a notice; under `CI=true` it fails.

use std::path::{Path, PathBuf};
use std::time::Duration;

use passgate_core::audit::FrontEnd;
use passgate_core::domain::{Password, SessionKind};
use passgate_core::{CoreError, RequestContext};

use crate::harness::*;
use crate::smtp::{python, SmtpSink};

const OLD: &str = "correct horse battery staple";
/// carol's password as set by an administrator (to be changed at once).
const TEMP: &str = "temporary passphrase words 9";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The folder of the Node test, when chromium, node and its modules are all there.
fn tools() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web");
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let missing: Vec<&str> = [
        (!Path::new(CHROMIUM).exists(), "/usr/bin/chromium"),
        (!node, "node"),
        (
            !dir.join("node_modules/playwright-core").exists(),
            "tests/web/node_modules (npm ci)",
        ),
    ]
    .into_iter()
    .filter_map(|(gone, what)| gone.then_some(what))
    .collect();
    if missing.is_empty() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI=true but the browser test lacks {missing:?}: .ci/run installs them"
    );
    eprintln!("SKIPPED the browser test of the web pages: missing {missing:?} (bash .ci/run installs them)");
    None
}

/// A session of `name` made through the core as another front end would (with the client
/// details a SOAP or REST client would send).
async fn session_of(
    s: &TestServer,
    name: &str,
    kind: SessionKind,
    agent: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let ctx = RequestContext {
        front_end: match kind {
            SessionKind::SoapTicket => FrontEnd::Soap,
            _ => FrontEnd::Rest,
        },
        client_addr: Some("192.0.2.10".into()),
        user_agent: Some(agent.into()),
        actor: None,
    };
    let login = s
        .core
        .authenticate(&ctx, name, Password::new(OLD), kind)
        .await?;
    Ok(login.token.expose().to_owned())
}

async fn alive(s: &TestServer, token: &str) -> Result<bool, CoreError> {
    match s.core.resolve_session(Some(token)).await {
        Ok(_) => Ok(true),
        Err(CoreError::TicketInvalid) => Ok(false),
        Err(e) => Err(e),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_service_pages_in_a_real_browser() -> TestResult {
    let Some(dir) = tools() else {
        return Ok(());
    };
    let smtp = match python("reset part of the browser test") {
        Some(py) => Some(SmtpSink::start(&py).await?),
        None => None,
    };
    // A port known before the settings, so the public URL (and the reset links) match it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let s = TestServer::start_with(|st| {
        if let Some(sink) = &smtp {
            crate::reset::use_mail(st, sink.port);
        }
        st.core.hash = fast_params();
        st.listen = format!("127.0.0.1:{port}").parse().unwrap_or(st.listen);
        st.public_url = Some(base.clone());
        st.core
            .reset
            .allowed_urls
            .extend(passgate::config::reset_page_url(
                Some(&base),
                st.listen,
                false,
            ));
        st.system_name = "Acme CRM".into();
    })
    .await?;
    for name in ["alice", "bob", "carol", "dave", "erin", "fay"] {
        s.add_user(name, OLD).await?;
    }
    s.core
        .admin_set_password(
            &RequestContext::new(FrontEnd::Cli),
            "carol",
            Password::new(TEMP),
            true,
        )
        .await?;
    let alice_soap = session_of(&s, "alice", SessionKind::SoapTicket, "zeep/4.2").await?;
    let alice_rest = session_of(&s, "alice", SessionKind::RestSession, "Net3 portal").await?;
    let bob_soap = session_of(&s, "bob", SessionKind::SoapTicket, "SuperOffice CRM/10.3").await?;
    let bob_rest = session_of(&s, "bob", SessionKind::RestSession, "Net3 portal").await?;
    let dave_soap = session_of(&s, "dave", SessionKind::SoapTicket, "zeep/4.2").await?;

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    std::fs::create_dir_all(&shots)?;
    let input = serde_json::json!({
        "base": base,
        "password": OLD,
        "temporary": TEMP,
        "screenshots": shots,
        "mailDir": smtp.as_ref().map(|m| m.dir().display().to_string()),
        "tokens": {
            "aliceSoap": alice_soap, "aliceRest": alice_rest,
            "bobSoap": bob_soap, "bobRest": bob_rest, "daveSoap": dave_soap,
        },
    });
    // The script's output goes to a file, so it is shown even when the run times out.
    let log_path = shots.join("run.log");
    let log = std::fs::File::create(&log_path)?;
    let mut child = tokio::process::Command::new("node")
        .arg("run.mjs")
        .current_dir(&dir)
        .env("PASSGATE_WEB_TEST", input.to_string())
        .stdout(std::process::Stdio::from(log.try_clone()?))
        .stderr(std::process::Stdio::from(log))
        .kill_on_drop(true)
        .spawn()?;
    let status = tokio::time::timeout(Duration::from_secs(300), child.wait()).await;
    let stdout = std::fs::read_to_string(&log_path)?;
    eprintln!("{stdout}");
    assert!(
        matches!(status, Ok(Ok(s)) if s.success()),
        "the browser script failed or timed out: {status:?}"
    );
    assert!(stdout.contains("all browser checks passed"), "{stdout}");

    // What the script saw through the pages, checked once more from the core.
    assert!(
        !alive(&s, &alice_soap).await?,
        "the change ended alice's SOAP ticket"
    );
    assert!(
        !alive(&s, &alice_rest).await?,
        "the change ended alice's REST session"
    );
    assert!(
        !alive(&s, &bob_soap).await?,
        "everywhere else ended bob's SOAP ticket"
    );
    assert!(
        !alive(&s, &bob_rest).await?,
        "sign out this one ended bob's REST session"
    );
    assert!(
        alive(&s, &dave_soap).await?,
        "forged forms changed nothing for dave"
    );
    let dave_still = s
        .core
        .authenticate(
            &RequestContext::new(FrontEnd::Cli),
            "dave",
            Password::new(OLD),
            SessionKind::RestSession,
        )
        .await;
    assert!(dave_still.is_ok(), "dave's password is unchanged");
    let shot_count = std::fs::read_dir(&shots)?.count();
    assert!(shot_count >= 12, "screenshots saved: {shot_count}");
    if let Some(sink) = smtp {
        sink.stop().await?;
    }
    Ok(())
}
