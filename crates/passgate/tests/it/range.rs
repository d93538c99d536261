//! The breached-password range API end to end: an index built by `passgate breach import
//! --full-hashes`, `GET /range/{prefix}` in the Pwned Passwords format (with and without
//! padding), bad prefixes, the client allow-list, and a compact index refused at start.

use std::io::Write;

use sha1::{Digest, Sha1};

use crate::harness::{fast_params, TestResult, TestServer};

fn sha1_upper(p: &str) -> String {
    Sha1::digest(p.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// A corpus of `passwords` (counts 1, 2, …) imported with or without whole hashes.
fn index(
    dir: &std::path::Path,
    passwords: &[&str],
    full: bool,
) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let mut lines: Vec<String> = passwords
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}:{}", sha1_upper(p), i + 1))
        .collect();
    lines.sort();
    let corpus = dir.join(if full { "full.txt" } else { "compact.txt" });
    let mut f = std::fs::File::create(&corpus)?;
    for l in &lines {
        writeln!(f, "{l}")?;
    }
    let out_path = dir.join(if full { "full.idx" } else { "compact.idx" });
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_passgate"));
    cmd.args(["breach", "import"])
        .arg(&corpus)
        .arg("--output")
        .arg(&out_path);
    if full {
        cmd.arg("--full-hashes");
    }
    let out = cmd.env_remove("PASSGATE_BREACH_INDEX").output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out_path)
}

#[tokio::test]
async fn ranges_answer_in_the_pwned_passwords_format() -> TestResult {
    let dir = tempfile::tempdir()?;
    let words: Vec<String> = (0..2000).map(|i| format!("leaked password {i}")).collect();
    let mut refs: Vec<&str> = words.iter().map(String::as_str).collect();
    refs.push("P@ssw0rd");
    let idx = index(dir.path(), &refs, true)?;
    let s = TestServer::start_with(move |c| {
        c.core.hash = fast_params();
        c.breach_index = Some(idx);
        c.breach_range_api = true;
    })
    .await?;
    let hash = sha1_upper("P@ssw0rd");
    let (prefix, suffix) = hash.split_at(5);
    let r = s
        .http
        .get(s.url(&format!("/range/{prefix}")))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, max-age=86400");
    assert!(r.headers()["content-type"]
        .to_str()?
        .starts_with("text/plain"));
    let body = r.text().await?;
    assert!(
        body.contains(&format!("{suffix}:{}\r\n", refs.len())),
        "{body}"
    );
    // Every line is a 35-digit suffix under this prefix, and every corpus hash with the
    // prefix is there.
    let expected: Vec<String> = refs
        .iter()
        .map(|p| sha1_upper(p))
        .filter(|h| h.starts_with(prefix))
        .map(|h| h[5..].to_owned())
        .collect();
    let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), expected.len());
    for e in &expected {
        assert!(lines.iter().any(|l| l.starts_with(&format!("{e}:"))));
    }
    // Lower-case prefixes too; padding hides the size.
    let r = s
        .http
        .get(s.url(&format!("/range/{}", prefix.to_lowercase())))
        .header("Add-Padding", "true")
        .send()
        .await?;
    let padded = r.text().await?;
    let lines: Vec<&str> = padded.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!((800..=1000).contains(&lines.len()), "{}", lines.len());
    assert!(padded.contains(&format!("{suffix}:{}", refs.len())));
    assert!(lines
        .iter()
        .all(|l| l.len() >= 37 && l.as_bytes()[35] == b':'));
    // A prefix nobody has: empty, 200.
    let mut empty = None;
    for p in 0..0xFFFFFu32 {
        let text = format!("{p:05X}");
        if !refs.iter().any(|w| sha1_upper(w).starts_with(&text)) {
            empty = Some(text);
            break;
        }
    }
    let r = s
        .http
        .get(s.url(&format!("/range/{}", empty.ok_or("no empty prefix")?)))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await?, "");
    // Bad prefixes.
    for bad in ["21BD", "21BD12", "21BDZ", "%2021BD"] {
        let r = s.http.get(s.url(&format!("/range/{bad}"))).send().await?;
        assert_eq!(r.status(), 400, "{bad}");
        assert_eq!(r.text().await?, "The hash prefix was not in a valid format");
    }
    Ok(())
}

#[tokio::test]
async fn the_allow_list_and_the_default_keep_the_range_api_closed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let idx = index(dir.path(), &["a leaked one"], true)?;
    // Off by default: no route (the REST front end answers 404 for unknown paths).
    let i = idx.clone();
    let s = TestServer::start_with(move |c| {
        c.core.hash = fast_params();
        c.breach_index = Some(i);
    })
    .await?;
    let r = s.http.get(s.url("/range/00000")).send().await?;
    assert_eq!(r.status(), 404);
    // On, but only for 10.0.0.0/8: the test client (127.0.0.1) is refused.
    let s = TestServer::start_with(move |c| {
        c.core.hash = fast_params();
        c.breach_index = Some(idx);
        c.breach_range_api = true;
        c.breach_range_allow = vec!["10.0.0.0/8".parse().unwrap_or_else(|_| unreachable!())];
    })
    .await?;
    let r = s.http.get(s.url("/range/00000")).send().await?;
    assert_eq!(r.status(), 403);
    Ok(())
}

#[tokio::test]
async fn a_compact_index_cannot_serve_ranges() -> TestResult {
    let dir = tempfile::tempdir()?;
    let idx = index(dir.path(), &["a leaked one"], false)?;
    let started = TestServer::start_with(move |c| {
        c.core.hash = fast_params();
        c.breach_index = Some(idx);
        c.breach_range_api = true;
    })
    .await;
    let err = started
        .err()
        .ok_or("a compact index was accepted")?
        .to_string();
    assert!(err.contains("--full-hashes"), "{err}");
    Ok(())
}
