//! The examples in README.md ("Try it with curl") and docs/migration.md ("Try it") run as
//! written against the real binary, so the documentation cannot drift from what the server
//! does. Each `sh` block of that section
//! runs in bash with three mechanical substitutions: `cargo run -q -p passgate --` becomes the
//! built binary on the test's database, `http://127.0.0.1:8080` the test server's address, and
//! the placeholder `TICKET='7T:...'` the ticket the preceding login printed. Every
//! `# => expected` comment must then be found in what the commands printed (`...` in it
//! stands for any text).

use std::process::Command;

use crate::harness::TestResult;
use crate::multinode::Node;

const README: &str = include_str!("../../../../README.md");

const MIGRATION: &str = include_str!("../../../../docs/migration.md");

/// The `sh` code blocks of the section titled `title` of the Markdown text `doc`.
fn shell_blocks(doc: &str, title: &str) -> Vec<String> {
    let Some(start) = doc.find(&format!("## {title}\n")) else {
        return Vec::new();
    };
    let section = &doc[start + title.len() + 4..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .split("```sh\n")
        .skip(1)
        .filter_map(|b| b.split("```").next().map(str::to_owned))
        .collect()
}

/// The `# => ...` expectations of a block, each split at `...` into fragments to find in order.
fn expectations(block: &str) -> Vec<Vec<String>> {
    block
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# => "))
        .map(|e| {
            e.split("...")
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn found_in_order(haystack: &str, fragments: &[String]) -> bool {
    let mut rest = haystack;
    for f in fragments {
        match rest.find(f.as_str()) {
            Some(i) => rest = &rest[i + f.len()..],
            None => return false,
        }
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_curl_examples_work_as_documented() -> TestResult {
    let blocks = shell_blocks(README, "Try it with curl");
    assert!(blocks.len() >= 2, "README lost its curl examples");
    run_blocks(&blocks).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_example_works_as_documented() -> TestResult {
    let blocks = shell_blocks(MIGRATION, "Try it");
    assert_eq!(blocks.len(), 1, "docs/migration.md lost its example");
    run_blocks(&blocks).await
}

/// Runs `blocks` in order, in a scratch directory, against a fresh server and database.
async fn run_blocks(blocks: &[String]) -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("docs.db").display());
    let out = crate::cli::passgate(&db, &["migrate"], None)?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let node = Node::start(&db).await?;
    let base = node.url("");
    let log = dir.path().join("printed.txt");
    for block in blocks {
        let mut script = String::from(
            "set -euo pipefail\n\
             passgate() { \"$PASSGATE_BIN\" --database \"$PASSGATE_DB\" \"$@\"; }\n\
             curl() { command curl \"$@\" | tee -a \"$PRINTED\"; echo >> \"$PRINTED\"; }\n",
        );
        for line in block.lines() {
            let line = line
                .replace("cargo run -q -p passgate --", "passgate")
                .replace("http://127.0.0.1:8080", &base);
            if line.starts_with("TICKET='7T:...'") {
                script.push_str("TICKET=$(grep -o '7T:[^<]*' \"$PRINTED\" | tail -n 1)\n");
            } else {
                script.push_str(&line);
                script.push('\n');
            }
        }
        let run = tokio::task::spawn_blocking({
            let (db, log) = (db.clone(), log.clone());
            let work = dir.path().to_owned();
            move || {
                Command::new("bash")
                    .arg("-c")
                    .arg(script)
                    .current_dir(work)
                    .env("PASSGATE_BIN", env!("CARGO_BIN_EXE_passgate"))
                    .env("PASSGATE_DB", db)
                    .env("PRINTED", log)
                    .env("PASSGATE_ARGON2_MEMORY_KIB", "1024")
                    .env("PASSGATE_ARGON2_ITERATIONS", "1")
                    .output()
            }
        })
        .await??;
        let printed = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            run.status.success(),
            "a README example failed: {}\n{printed}",
            String::from_utf8_lossy(&run.stderr)
        );
        for fragments in expectations(block) {
            assert!(
                found_in_order(&printed, &fragments),
                "README promises {fragments:?}, the server printed:\n{printed}"
            );
        }
    }
    node.kill9().await?;
    Ok(())
}
