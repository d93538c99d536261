//! Test harness: a real passgate server on 127.0.0.1:0 with a temporary database, a manual
//! clock, and every log line captured at trace level for the secrets test.
//!
//! The database is a temporary SQLite file, or a fresh PostgreSQL database (see
//! `passgate_store::testing`) when the test runs on that backend: tests declared with
//! [`both_backends!`] run once on each, and `PASSGATE_TEST_BACKEND=postgres` runs every
//! other test on PostgreSQL too.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use passgate::config::{Overrides, Settings};
use passgate_core::audit::FrontEnd;
use passgate_core::credential::HashParams;
use passgate_core::domain::{Email, Password, Role, Username};
use passgate_core::service::NewUserInput;
use passgate_core::store::UserRecord;
use passgate_core::{Core, ManualClock, RequestContext, Timestamp};
use passgate_store::testing::TestDatabase;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const TNS: &str = "http://www.superoffice.net/ws/crm/NetServer/Services84";
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged so far by any test in this binary.
pub fn captured_logs() -> String {
    LOGS.get()
        .and_then(|l| {
            l.lock()
                .ok()
                .map(|v| String::from_utf8_lossy(&v).into_owned())
        })
        .unwrap_or_default()
}

fn init_logging() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(Arc::clone(&buf));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        buf
    });
}

/// The database backend of a test server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh database on the PostgreSQL server of `PASSGATE_TEST_POSTGRES_URL`.
    Postgres,
}

tokio::task_local! {
    /// The backend chosen by [`on_backend`] for the servers a test starts.
    static BACKEND: Backend;
}

/// The backend for servers started now: the test's choice, else `PASSGATE_TEST_BACKEND`
/// (`postgres` or `sqlite`), else SQLite.
fn current_backend() -> Backend {
    BACKEND.try_with(|b| *b).unwrap_or_else(|_| {
        match std::env::var("PASSGATE_TEST_BACKEND").as_deref() {
            Ok("postgres") => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    })
}

/// Runs a test body with every server it starts on `backend`. On PostgreSQL without
/// `PASSGATE_TEST_POSTGRES_URL` the test is skipped with a notice (outside CI) or fails
/// (under `CI=true`).
pub async fn on_backend(
    backend: Backend,
    body: impl std::future::Future<Output = TestResult>,
) -> TestResult {
    if backend == Backend::Postgres && !passgate_store::testing::postgres_configured()? {
        return Ok(());
    }
    BACKEND.scope(backend, body).await
}

/// Runs the end-to-end test body `NAME` (a plain `async fn NAME() -> TestResult`) once per
/// backend, as the tests `NAME::sqlite` and `NAME::postgres`; the body starts servers as
/// usual and the harness picks the database.
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() -> crate::harness::TestResult {
                crate::harness::on_backend(crate::harness::Backend::Sqlite, super::$name()).await
            }

            #[tokio::test]
            async fn postgres() -> crate::harness::TestResult {
                crate::harness::on_backend(crate::harness::Backend::Postgres, super::$name()).await
            }
        }
    };
}

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub core: Arc<Core>,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    /// URL of the server's database (tests may break it on purpose).
    pub db_url: String,
    /// Which backend the database is.
    pub backend: Backend,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// The outbox sender, when the settings configure mail.
    _mail: Option<passgate::app::MailTask>,
    _dir: tempfile::TempDir,
    /// The PostgreSQL database, dropped after the server stopped (fields drop after `drop`).
    _pg: Option<TestDatabase>,
}

/// Cheap Argon2id parameters for tests that do not measure hashing.
pub fn fast_params() -> HashParams {
    HashParams {
        m_kib: 1024,
        t: 1,
        p: 1,
    }
}

impl TestServer {
    /// A server with cheap hashing.
    pub async fn start() -> Result<Self, Box<dyn std::error::Error>> {
        Self::start_with(|s| s.core.hash = fast_params()).await
    }

    /// A server whose settings `tweak` adjusts.
    pub async fn start_with(
        tweak: impl FnOnce(&mut Settings),
    ) -> Result<Self, Box<dyn std::error::Error>> {
        init_logging();
        let dir = tempfile::tempdir()?;
        let backend = current_backend();
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TestDatabase::create().await?.ok_or(
                "the PostgreSQL backend was chosen but PASSGATE_TEST_POSTGRES_URL is not set",
            )?),
        };
        let url = match &pg {
            Some(db) => db.url().to_owned(),
            None => format!("sqlite://{}", dir.path().join("test.db").display()),
        };
        let mut settings = Settings::load(
            None,
            &Overrides {
                database_url: Some(url.clone().into()),
                listen: Some("127.0.0.1:0".into()),
            },
        )?;
        // Throttled and failed attempts are answered at once in tests (the delays are real
        // time, not the clock); tests of the delays turn them back on.
        settings.core.throttle.refusal_delay = Duration::ZERO;
        settings.core.throttle.failure_delay = Duration::ZERO;
        tweak(&mut settings);
        let clock = Arc::new(ManualClock::new(Timestamp(1_800_000_000_000)));
        let core = passgate::app::build_core(&settings, clock.clone()).await?;
        let mail = passgate::app::MailTask::start(&core, &settings, clock.clone())?;
        let listener = tokio::net::TcpListener::bind(settings.listen).await?;
        let addr = listener.local_addr()?;
        let router = passgate::app::router(Arc::clone(&core), &settings);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(passgate::app::serve_with(
            listener,
            router,
            settings.connections.clone(),
            async move {
                let _ = rx.await;
            },
        ));
        Ok(TestServer {
            addr,
            core,
            clock,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            db_url: url,
            backend,
            shutdown: Some(tx),
            _mail: mail,
            _dir: dir,
            _pg: pg,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Creates a user directly through the core.
    pub async fn add_user(
        &self,
        name: &str,
        password: &str,
    ) -> Result<UserRecord, Box<dyn std::error::Error>> {
        self.add_user_with_role(name, password, Role::User).await
    }

    /// Creates an administrator directly through the core.
    pub async fn add_admin(
        &self,
        name: &str,
        password: &str,
    ) -> Result<UserRecord, Box<dyn std::error::Error>> {
        self.add_user_with_role(name, password, Role::Admin).await
    }

    async fn add_user_with_role(
        &self,
        name: &str,
        password: &str,
        role: Role,
    ) -> Result<UserRecord, Box<dyn std::error::Error>> {
        Ok(self
            .core
            .create_user(
                &RequestContext::new(FrontEnd::Cli),
                NewUserInput {
                    username: Username::parse(name)?,
                    email: Some(Email::parse(&format!("{name}@example.com"))?),
                    full_name: None,
                    role,
                    password: Password::new(password),
                },
            )
            .await?)
    }

    /// POSTs a SOAP 1.2 envelope to a service path.
    pub async fn soap12(&self, path: &str, body: String) -> Result<(u16, String), reqwest::Error> {
        let r = self
            .http
            .post(self.url(path))
            .header("Content-Type", "application/soap+xml; charset=utf-8")
            .body(body)
            .send()
            .await?;
        Ok((r.status().as_u16(), r.text().await?))
    }

    /// POSTs a SOAP 1.1 envelope with a SOAPAction.
    pub async fn soap11(
        &self,
        path: &str,
        action: &str,
        body: String,
    ) -> Result<(u16, String), reqwest::Error> {
        let r = self
            .http
            .post(self.url(path))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{TNS}/{action}\""))
            .body(body)
            .send()
            .await?;
        Ok((r.status().as_u16(), r.text().await?))
    }

    /// Logs in over SOAP 1.2; returns the ticket, or None when authentication failed.
    pub async fn login(
        &self,
        user: &str,
        password: &str,
    ) -> Result<Option<String>, Box<dyn std::error::Error>> {
        let (status, body) = self
            .soap12(PRINCIPAL, auth_envelope(SOAP12, user, password))
            .await?;
        assert_eq!(status, 200, "{body}");
        Ok(first_text(&body, "Ticket"))
    }

    /// A counter from `/metrics` (0 when absent).
    pub async fn metric(&self, series: &str) -> Result<f64, Box<dyn std::error::Error>> {
        let text = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await?
            .text()
            .await?;
        Ok(text
            .lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0))
    }

    /// Runs one SQL statement on the server's database from outside (to simulate failures).
    pub async fn sql(&self, statement: &str) -> Result<(), Box<dyn std::error::Error>> {
        use sqlx::Connection;
        match self.backend {
            Backend::Sqlite => {
                sqlite_conn(&self.db_url)?.execute_batch(statement)?;
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.db_url).await?;
                sqlx::query(statement).execute(&mut conn).await?;
                conn.close().await?;
            }
        }
        Ok(())
    }

    pub fn advance(&self, d: Duration) {
        self.clock.advance(d);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub const USER: &str = "/Remote/Services84/User.svc";
pub const PRINCIPAL: &str = "/Remote/Services84/SoPrincipal.svc";

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// AuthenticateUsernamePassword with headers inside `Header`.
pub fn auth_envelope(env_ns: &str, user: &str, password: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{env_ns}"><s:Header><ApplicationToken xmlns="{TNS}">app</ApplicationToken></s:Header><s:Body><AuthenticateUsernamePassword xmlns="{TNS}"><UserName>{}</UserName><Password>{}</Password></AuthenticateUsernamePassword></s:Body></s:Envelope>"#,
        esc(user),
        esc(password)
    )
}

/// ChangeOwnPassword with the ticket inside `Header`.
pub fn change_envelope(env_ns: &str, ticket: Option<&str>, old: &str, new: &str) -> String {
    let creds = ticket
        .map(|t| {
            format!(
                r#"<Credentials xmlns="{TNS}"><Ticket>{}</Ticket></Credentials>"#,
                esc(t)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{env_ns}"><s:Header>{creds}</s:Header><s:Body><ChangeOwnPassword xmlns="{TNS}"><OldPassword>{}</OldPassword><NewPassword>{}</NewPassword></ChangeOwnPassword></s:Body></s:Envelope>"#,
        esc(old),
        esc(new)
    )
}

/// The seed page's ChangeOwnPassword request, unchanged except for the ticket and the two
/// passwords.
pub fn seed_change_request(
    ticket: &str,
    old: &str,
    new: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/seeds/superoffice-user-changeownpassword.txt"
    );
    let page = std::fs::read_to_string(path)?;
    let start = page
        .find("ChangeOwnPassword Request\n")
        .ok_or("seed: no request")?
        + "ChangeOwnPassword Request\n".len();
    let end = page[start..]
        .find("</SOAP-ENV:Envelope>")
        .ok_or("seed: no end")?
        + start
        + "</SOAP-ENV:Envelope>".len();
    let request = &page[start..end];
    assert!(request.contains("7T:1234abcxyzExample=="));
    Ok(request
        .replace("7T:1234abcxyzExample==", &esc(ticket))
        .replace(
            r#"<User:OldPassword xsi:type="xsd:string"></User:OldPassword>"#,
            &format!(
                r#"<User:OldPassword xsi:type="xsd:string">{}</User:OldPassword>"#,
                esc(old)
            ),
        )
        .replace(
            r#"<User:NewPassword xsi:type="xsd:string"></User:NewPassword>"#,
            &format!(
                r#"<User:NewPassword xsi:type="xsd:string">{}</User:NewPassword>"#,
                esc(new)
            ),
        ))
}

/// Text of the first element with local name `name`.
pub fn first_text(xml: &str, name: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let node = doc
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)?;
    Some(node.text().unwrap_or("").to_owned())
}

/// Namespace of the reply's root element.
pub fn envelope_ns(xml: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    doc.root_element().tag_name().namespace().map(str::to_owned)
}

/// A SOAP 1.2 User.svc call of `op` with the ticket in `Header`; `params` is the XML of the
/// operation's parameters (already escaped), in WSDL order.
pub fn user_op_envelope(ticket: &str, op: &str, params: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP12}"><s:Header><Credentials xmlns="{TNS}"><Ticket>{}</Ticket></Credentials></s:Header><s:Body><{op} xmlns="{TNS}">{params}</{op}></s:Body></s:Envelope>"#,
        esc(ticket)
    )
}

/// Every text of element `name` in document order (e.g. each `Key` of `Parameters`).
pub fn all_texts(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].to_owned());
        rest = &after[j + close.len()..];
    }
    out
}

/// The Python from `PASSGATE_TEST_PYTHON` (`.ci/run` makes one with zeep, aiosmtpd and
/// schemathesis); None with a notice when it is unset on a laptop. Under `CI=true` a missing
/// interpreter fails the test: CI never skips it silently.
pub fn test_python(test: &str, needs: &str) -> Option<String> {
    let python = std::env::var("PASSGATE_TEST_PYTHON")
        .ok()
        .filter(|p| !p.is_empty());
    if python.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "CI=true but PASSGATE_TEST_PYTHON is not set: the {test} cannot be skipped in CI"
        );
        eprintln!(
            "SKIPPED {test}: set PASSGATE_TEST_PYTHON to a Python with {needs} (bash .ci/run does)"
        );
    }
    python
}

/// A direct connection to the SQLite database of `url` (from outside the server, as an
/// operator's tool would be), waiting up to 10 s for the server's write lock.
pub fn sqlite_conn(url: &str) -> Result<rusqlite::Connection, Box<dyn std::error::Error>> {
    let file = passgate_store::sqlite_file(url).ok_or("not a sqlite: URL")?;
    let conn = rusqlite::Connection::open(file)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}
