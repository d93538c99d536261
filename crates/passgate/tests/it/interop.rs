//! Interop with a real SOAP client: Python zeep generates its calls from the served WSDLs.
//!
//! Needs `PASSGATE_TEST_PYTHON` pointing at a Python with zeep (`.ci/run` creates one). On a
//! laptop without it the test says clearly that it was skipped; under `CI=true` a missing
//! interpreter is a failure, so CI never skips it silently.

use crate::harness::*;

/// The Python with zeep from `PASSGATE_TEST_PYTHON` (see [`test_python`]).
fn python_with_zeep(test: &str) -> Option<String> {
    test_python(test, "zeep")
}

#[tokio::test]
async fn zeep_authenticates_and_changes_a_password() -> TestResult {
    let Some(python) = python_with_zeep("zeep interop test") else {
        return Ok(());
    };
    let s = TestServer::start().await?;
    s.add_user("zeepuser", "correct horse battery staple")
        .await?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/zeep_client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg(format!("http://{}", s.addr))
        .arg("zeepuser")
        .arg("correct horse battery staple")
        .arg("a new passphrase from zeep")
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "zeep client failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("ZEEP OK"), "{stdout}");
    assert_eq!(
        s.login("zeepuser", "correct horse battery staple").await?,
        None
    );
    assert!(s
        .login("zeepuser", "a new passphrase from zeep")
        .await?
        .is_some());
    Ok(())
}

#[tokio::test]
async fn zeep_calls_the_admin_operations() -> TestResult {
    let Some(python) = python_with_zeep("zeep admin interop test") else {
        return Ok(());
    };
    let s = TestServer::start().await?;
    s.add_admin("zeepadmin", "correct horse battery staple")
        .await?;
    let target = s.add_user("zeeptarget", "another fine passphrase").await?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/zeep_admin.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg(format!("http://{}", s.addr))
        .arg("zeepadmin")
        .arg("correct horse battery staple")
        .arg(target.associate_id.get().to_string())
        .arg("set by zeep for the target")
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "zeep admin client failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("ZEEP ADMIN OK"), "{stdout}");
    let generated = stdout
        .lines()
        .find_map(|l| l.strip_prefix("GENERATED "))
        .ok_or("no generated password")?;
    assert!(s.login("zeeptarget", generated).await?.is_some());
    assert_eq!(
        s.login("zeeptarget", "set by zeep for the target").await?,
        None
    );
    Ok(())
}
