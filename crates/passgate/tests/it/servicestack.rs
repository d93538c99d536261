//! Interop with the real ServiceStack JavaScript client (`@servicestack/client` from npm,
//! installed by `.ci/run` with `npm ci` from the committed lockfile), with its defaults.
//!
//! Outside CI, without `node` or `node_modules`, the test says clearly that it was skipped;
//! under `CI=true` that is a failure.

use crate::harness::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/servicestack-client");

#[tokio::test]
async fn the_servicestack_client_works_with_its_defaults() -> TestResult {
    let ready = std::path::Path::new(DIR)
        .join("node_modules/@servicestack/client")
        .exists();
    if !ready {
        assert!(
            std::env::var("CI").is_err(),
            "CI=true but {DIR}/node_modules is missing: run `npm ci` there (bash .ci/run does)"
        );
        eprintln!("SKIPPED ServiceStack client test: run `npm ci` in {DIR} (bash .ci/run does)");
        return Ok(());
    }
    let s = TestServer::start().await?;
    s.add_user("ssclient", "correct horse battery staple")
        .await?;
    let out = tokio::process::Command::new("node")
        .current_dir(DIR)
        .arg("client.mjs")
        .arg(format!("http://{}", s.addr))
        .arg("ssclient")
        .arg("correct horse battery staple")
        .arg("a new passphrase from servicestack")
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ServiceStack client failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("SERVICESTACK CLIENT OK"), "{stdout}");
    Ok(())
}
