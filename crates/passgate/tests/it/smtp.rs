//! A real SMTP server for the tests: Python's aiosmtpd (`tests/mail/smtp_sink.py`, installed
//! by `.ci/run` into its virtualenv), run as a child process. Tests read what was actually
//! delivered over the wire.
//!
//! Needs `PASSGATE_TEST_PYTHON` pointing at a Python with aiosmtpd. Without it a test says
//! clearly that it was skipped; under `CI=true` that is a failure.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncBufReadExt;

/// A running SMTP server and the messages it stored.
pub struct SmtpSink {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: tokio::process::Child,
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

/// One delivered message.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// Envelope recipients.
    pub rcpt_tos: Vec<String>,
    /// The raw message (headers and MIME body).
    pub data: String,
    /// Whether the session was encrypted (STARTTLS or implicit TLS).
    pub tls: bool,
    /// The AUTH user name, when the client authenticated.
    pub login: Option<String>,
}

impl Delivered {
    /// The message with quoted-printable soft line breaks and `=3D` undone, so links and
    /// words can be searched for.
    pub fn text(&self) -> String {
        self.data
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=")
    }

    /// The header `name` (first occurrence).
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// The reset token in the message's link (`token=<32 hex>`).
    pub fn token(&self) -> Option<String> {
        let text = self.text();
        let at = text.find("token=")? + "token=".len();
        let token: String = text[at..].chars().take(32).collect();
        (token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())).then_some(token)
    }
}

/// The Python with aiosmtpd; None (with a notice) when unset outside CI.
pub fn python(test: &str) -> Option<String> {
    crate::harness::test_python(test, "aiosmtpd")
}

impl SmtpSink {
    /// Starts a server on a free port, storing into a fresh directory.
    pub async fn start(python: &str) -> Result<Self, Box<dyn std::error::Error>> {
        Self::start_with(python, &[]).await
    }

    /// Starts a server on a free port with the script's options (`--starttls CERT KEY`,
    /// `--implicit CERT KEY`, `--auth USER:PASS`).
    pub async fn start_with(
        python: &str,
        options: &[&str],
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().to_path_buf();
        let mut sink = Self::launch(python, 0, &dir, options).await?;
        sink._tmp = Some(tmp);
        Ok(sink)
    }

    /// Starts a server on `port` (0 = free), storing into `dir`.
    pub async fn start_at(
        python: &str,
        port: u16,
        dir: &Path,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        Self::launch(python, port, dir, &[]).await
    }

    async fn launch(
        python: &str,
        port: u16,
        dir: &Path,
        options: &[&str],
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mail/smtp_sink.py");
        let mut child = tokio::process::Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(dir)
            .args(options)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await??
            .ok_or("the SMTP server exited before listening")?;
        let port = line
            .strip_prefix("LISTENING ")
            .ok_or_else(|| format!("unexpected line from the SMTP server: {line}"))?
            .trim()
            .parse()?;
        Ok(SmtpSink {
            port,
            child,
            dir: dir.to_path_buf(),
            _tmp: None,
        })
    }

    /// Where messages are stored.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the server (its messages stay readable with [`read_dir`]).
    pub async fn stop(mut self) -> Result<(), Box<dyn std::error::Error>> {
        self.child.kill().await?;
        Ok(())
    }

    /// The messages delivered so far, in order.
    pub fn messages(&self) -> Result<Vec<Delivered>, Box<dyn std::error::Error>> {
        read_dir(&self.dir)
    }

    /// Waits until at least `n` messages arrived (at most `timeout`).
    pub async fn wait_for(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<Delivered>, Box<dyn std::error::Error>> {
        let start = std::time::Instant::now();
        loop {
            let got = self.messages()?;
            if got.len() >= n {
                return Ok(got);
            }
            if start.elapsed() > timeout {
                return Err(
                    format!("{} of {n} mails arrived within {timeout:?}", got.len()).into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The messages stored in `dir`, in order.
pub fn read_dir(dir: &Path) -> Result<Vec<Delivered>, Box<dyn std::error::Error>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p)?)?;
            Ok(Delivered {
                rcpt_tos: v["rcpt_tos"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                data: v["data"].as_str().unwrap_or("").to_owned(),
                tls: v["tls"].as_bool().unwrap_or(false),
                login: v["login"].as_str().map(str::to_owned),
            })
        })
        .collect()
}
