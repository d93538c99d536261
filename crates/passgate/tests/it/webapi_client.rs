//! SuperOffice's official TypeScript client, `@superoffice/webapi` from npm (pinned by
//! tests/webapi-client/package-lock.json), drives the WebAPI front end of two real servers,
//! one onsite and one online (tests/webapi-client/run.js lists the checks). `bash .ci/run`
//! installs the client with `npm ci`; without `node_modules` (or node) the test says that it
//! skipped, except under `CI=true`, where that is a failure.

use std::path::PathBuf;

use passgate_core::audit::FrontEnd;
use passgate_core::RequestContext;

use crate::harness::*;

const OLD: &str = "correct horse battery staple";

/// The client folder, when its packages are installed (see the module docs).
fn client_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webapi-client"));
    let installed = dir
        .join("node_modules/@superoffice/webapi/package.json")
        .is_file();
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok();
    if installed && node {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the official WebAPI client is not installed: run `npm ci` in {} (.ci/run does)",
        dir.display()
    );
    eprintln!(
        "SKIPPED the @superoffice/webapi client test: run `npm ci` in {} (bash .ci/run does) and have node on PATH",
        dir.display()
    );
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_typescript_client_works() -> TestResult {
    let Some(dir) = client_dir() else {
        return Ok(());
    };
    let onsite = TestServer::start().await?;
    onsite.add_user("alice", OLD).await?;
    onsite.add_user("carol", OLD).await?;
    onsite.add_admin("root", OLD).await?;
    let bob = onsite.add_user("bob", OLD).await?;
    let ticket = onsite.login("alice", OLD).await?.ok_or("login failed")?;

    let online = TestServer::start_with(|c| {
        c.core.hash = fast_params();
        c.online = true;
    })
    .await?;
    online.add_user("alice", OLD).await?;
    let token = online
        .core
        .add_app_token(&RequestContext::new(FrontEnd::Cli), "ts-client")
        .await?;
    let login =
        auth_envelope(SOAP12, "alice", OLD).replace(">app<", &format!(">{}<", token.expose()));
    let (_, reply) = online.soap12(PRINCIPAL, login).await?;
    let online_ticket = first_text(&reply, "Ticket").ok_or("online login failed")?;

    let out = tokio::process::Command::new("node")
        .arg("run.js")
        .current_dir(&dir)
        .env("PASSGATE_URL", format!("http://{}", onsite.addr))
        .env("TICKET", &ticket)
        .env("BOB_ID", bob.associate_id.get().to_string())
        .env("ONLINE_URL", format!("http://{}", online.addr))
        .env("ONLINE_TICKET", &online_ticket)
        .env("APP_TOKEN", token.expose())
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the official client failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("all WebAPI client checks passed"),
        "{stdout}"
    );
    // The calls really reached the WebAPI front end (and the passwords really changed).
    assert!(onsite.login("alice", OLD).await?.is_none());
    assert!(onsite
        .login("bob", "a brand new passphrase, long")
        .await?
        .is_some());
    let ok = onsite
        .metric("passgate_requests_total{front_end=\"webapi\",operation=\"ChangeOwnPassword\",outcome=\"ok\"}")
        .await?;
    assert_eq!(ok, 2.0);
    Ok(())
}
