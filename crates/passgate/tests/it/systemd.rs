//! The systemd unit in contrib/: `systemd-analyze verify` accepts it (with ExecStart pointed
//! at the binary under test), and it keeps its sandboxing. Skipped with a notice where
//! systemd-analyze is not installed.

use std::process::Command;

use crate::harness::TestResult;

const UNIT: &str = include_str!("../../../../contrib/systemd/passgate.service");

#[test]
fn the_unit_verifies_and_is_sandboxed() -> TestResult {
    for key in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "StateDirectory=passgate",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "CapabilityBoundingSet=\n",
    ] {
        assert!(UNIT.contains(key), "the unit lost {key:?}");
    }
    let Ok(version) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("SKIPPED systemd unit check: systemd-analyze is not installed");
        return Ok(());
    };
    assert!(version.status.success());
    let dir = tempfile::tempdir()?;
    let unit = dir.path().join("passgate.service");
    std::fs::write(
        &unit,
        UNIT.replace("/usr/local/bin/passgate", env!("CARGO_BIN_EXE_passgate")),
    )?;
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.trim().is_empty(), "{text}");
    Ok(())
}
