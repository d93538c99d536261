//! The examples in README.md ("Try it with curl") and docs/migration.md ("Try it") run as
//! written against the real binary, so the documentation cannot drift from what the server
//! does. Each `sh` block of those sections runs in bash with two mechanical substitutions:
//! `cargo run -q --release -p passgate --` (or without `--release`) becomes the built binary
//! on the test's database, and `http://127.0.0.1:8080` the test server's address. Every
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
             curl() { command curl \"$@\" | tee -a \"$PRINTED\"; echo >> \"$PRINTED\"; }\n\
             echo() { builtin echo \"$@\" | tee -a \"$PRINTED\"; }\n",
        );
        for line in block.lines() {
            let line = line
                .replace("cargo run -q --release -p passgate --", "passgate")
                .replace("cargo run -q -p passgate --", "passgate")
                .replace("http://127.0.0.1:8080", &base);
            script.push_str(&line);
            script.push('\n');
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

const CONFIGURATION: &str = include_str!("../../../../docs/configuration.md");

/// The first fenced block of language `lang` after the heading `heading` in configuration.md.
fn configuration_block(heading: &str, lang: &str) -> Option<String> {
    let start = CONFIGURATION.find(heading)?;
    let rest = &CONFIGURATION[start..];
    let open = format!("```{lang}\n");
    let body = &rest[rest.find(&open)? + open.len()..];
    Some(body[..body.find("```")?].to_owned())
}

/// Makes every file the example names, under `root` (its stand-in for `/`).
fn make_example_files(root: &std::path::Path) -> TestResult {
    let var = root.join("var/lib/passgate");
    let etc = root.join("etc/passgate");
    std::fs::create_dir_all(&var)?;
    std::fs::create_dir_all(&etc)?;
    std::fs::write(etc.join("smtp-password"), "example\n")?;
    std::fs::write(
        etc.join("logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>\n",
    )?;
    let pwned = root.join("pwned.txt");
    std::fs::write(&pwned, "000000005AD76BD555C1D6D771DE417A4B87E4B4:3\n")?;
    let out = Command::new(env!("CARGO_BIN_EXE_passgate"))
        .args(["breach", "import"])
        .arg(&pwned)
        .arg("--output")
        .arg(var.join("pwned.idx"))
        .env_remove("PASSGATE_DATABASE_URL")
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args([
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=crm.example.com",
            "-keyout",
        ])
        .arg(etc.join("privkey.pem"))
        .arg("-out")
        .arg(etc.join("fullchain.pem"))
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

#[test]
fn the_documented_configuration_file_and_environment_pass_config_check() -> TestResult {
    let toml = configuration_block("## Example configuration file", "toml")
        .ok_or("configuration.md lost its example file")?;
    let env = configuration_block("The same deployment using only the environment", "sh")
        .ok_or("configuration.md lost its environment example")?;
    let dir = tempfile::tempdir()?;
    let root = dir.path().display().to_string();
    make_example_files(dir.path())?;
    let relocate = |text: &str| {
        text.replace("/var/lib/passgate", &format!("{root}/var/lib/passgate"))
            .replace("/etc/passgate", &format!("{root}/etc/passgate"))
    };
    let file = dir.path().join("passgate.toml");
    std::fs::write(&file, relocate(&toml))?;
    let out = Command::new(env!("CARGO_BIN_EXE_passgate"))
        .arg("--config")
        .arg(&file)
        .args(["config", "check"])
        .env_remove("PASSGATE_DATABASE_URL")
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the documented file fails config check:\n{stderr}"
    );
    assert!(stderr.contains("configuration OK"), "{stderr}");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_passgate"));
    cmd.args(["config", "check"])
        .env_remove("PASSGATE_DATABASE_URL");
    let mut vars = 0;
    for line in relocate(&env).lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        cmd.env(k.trim(), v.trim().trim_matches('"'));
        vars += 1;
    }
    assert!(vars >= 3, "the environment example lost its variables");
    let out = cmd.output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the documented environment fails config check:\n{stderr}"
    );
    Ok(())
}
