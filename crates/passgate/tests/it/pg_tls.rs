//! PostgreSQL over TLS: a PostgreSQL instance started by the test (the machine's own
//! binaries, run as the `postgres` OS user) with SSL on, a certificate authority and server
//! certificate made by the test, and a `pg_hba.conf` that refuses every connection without
//! TLS; passgate connects with `sslmode=verify-full` and `sslrootcert`. The machine's shared
//! server is never reconfigured. Needs root (to run initdb as `postgres`) and the server
//! binaries; skipped with a notice otherwise, and never under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::backup::soap_login_works;
use crate::cli::passgate;
use crate::harness::TestResult;
use crate::serve_process::{add_user, serve, sigterm};

/// The directory of the PostgreSQL server binaries, if installed.
fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn run(cmd: &mut Command) -> TestResult {
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}

fn openssl(dir: &Path, args: &[&str]) -> TestResult {
    run(Command::new("openssl").args(args).current_dir(dir))
}

/// A CA and a server certificate for 127.0.0.1 / localhost signed by it, in `dir`.
fn make_ca_and_server_cert(dir: &Path, ca: &str) -> TestResult {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let (subject, key, cert) = (
        format!("/CN={ca}"),
        format!("{ca}.key"),
        format!("{ca}.crt"),
    );
    let mut args = vec!["req", "-x509"];
    args.extend(ec);
    args.extend([
        "-days", "2", "-subj", &subject, "-keyout", &key, "-out", &cert,
    ]);
    openssl(dir, &args)?;
    let mut args = vec!["req", "-new"];
    args.extend(ec);
    args.extend([
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    openssl(dir, &args)?;
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n",
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.crt",
        ],
    )
}

/// A PostgreSQL instance of the test's own; stopped when dropped.
struct TlsPostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

impl TlsPostgres {
    /// Starts the instance, or None (with a notice) where this machine cannot.
    fn start() -> Result<Option<(TlsPostgres, PathBuf)>, Box<dyn std::error::Error>> {
        let is_root = rustix::process::geteuid().is_root();
        let bin = pg_bin();
        let runuser =
            Path::new("/usr/sbin/runuser").exists() || Path::new("/sbin/runuser").exists();
        let Some(bin) = bin.filter(|_| is_root && runuser) else {
            assert!(
                std::env::var("CI").is_err(),
                "CI=true but PostgreSQL over TLS cannot be tested here (needs root, runuser and \
                 /usr/lib/postgresql/*/bin)"
            );
            eprintln!("SKIPPED PostgreSQL TLS test: needs root, runuser and the PostgreSQL server binaries");
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let certs = dir.path().join("certs");
        std::fs::create_dir(&certs)?;
        // A CA the server does not use (its server.* are overwritten next), then the real one.
        make_ca_and_server_cert(&certs, "other-ca")?;
        make_ca_and_server_cert(&certs, "ca")?;
        let data = dir.path().join("data");
        run(Command::new("chown")
            .args(["-R", "postgres"])
            .arg(dir.path()))?;
        run(Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data))?;
        for f in ["server.crt", "server.key"] {
            std::fs::copy(certs.join(f), data.join(f))?;
        }
        run(Command::new("chown")
            .args(["postgres", "server.crt", "server.key"])
            .current_dir(&data))?;
        run(Command::new("chmod")
            .args(["600", "server.key"])
            .current_dir(&data))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nfsync = off\n",
            dir.path().display()
        );
        let mut pg_conf = std::fs::read_to_string(data.join("postgresql.conf"))?;
        pg_conf.push_str(&conf);
        std::fs::write(data.join("postgresql.conf"), pg_conf)?;
        // Without TLS nothing gets in: a connection that works proves TLS was used.
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )?;
        run(Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("log"))
            .args(["-w", "start"]))?;
        Ok(Some((
            TlsPostgres {
                bin,
                data,
                port,
                _dir: dir,
            },
            certs,
        )))
    }

    fn url(&self, query: &str) -> String {
        format!(
            "postgres://postgres:not-a-real-secret@127.0.0.1:{}/postgres?{query}",
            self.port
        )
    }
}

#[tokio::test]
async fn passgate_reaches_postgres_over_verified_tls_and_refuses_an_unknown_server() -> TestResult {
    let Some((pg, certs)) = TlsPostgres::start()? else {
        return Ok(());
    };
    let ca = certs.join("ca.crt").display().to_string();
    let other_ca = certs.join("other-ca.crt").display().to_string();
    let verified = pg.url(&format!("sslmode=verify-full&sslrootcert={ca}"));

    // Verified TLS: migrate, add a user, serve, sign in.
    add_user(&verified, "tls-db")?;
    let dir = tempfile::tempdir()?;
    let served = serve(dir.path(), &verified, None, &[]).await?;
    assert!(
        soap_login_works(served.addr, "tls-db").await,
        "no sign-in over verified TLS"
    );
    sigterm(&served.child)?;

    // Without TLS the server refuses (so the connections above were encrypted).
    let out = passgate(&pg.url("sslmode=disable"), &["user", "list"], None)?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("no encryption") || err.contains("pg_hba.conf"),
        "{err}"
    );
    // A server whose certificate another CA signed is not trusted.
    let out = passgate(
        &pg.url(&format!("sslmode=verify-full&sslrootcert={other_ca}")),
        &["user", "list"],
        None,
    )?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "an unknown CA was accepted");
    assert!(err.contains("cannot connect to PostgreSQL at"), "{err}");
    assert!(err.to_ascii_lowercase().contains("certificate"), "{err}");
    assert!(
        !err.contains("not-a-real-secret"),
        "password in an error: {err}"
    );
    Ok(())
}
