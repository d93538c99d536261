//! HTTPS served by passgate itself: rustls with the ring provider, TLS 1.2 and 1.3 with
//! rustls' default suites (AEAD only: AES-GCM and ChaCha20-Poly1305 with ECDHE), ALPN
//! `http/1.1` (passgate speaks HTTP/1.1 only).
//!
//! The certificate chain and key are PEM files (`tls.cert`, `tls.key`). At start a missing,
//! unreadable, mismatched, expired or not-yet-valid pair stops the server with a message
//! naming the file. While it runs, the files are watched (every `tls.reload_secs`, and at
//! once on SIGHUP) and a changed pair is loaded for the next handshakes: connections already
//! open keep the certificate they began with, and a pair that fails the same checks is
//! refused with an error in the log while the previous certificate stays in use. This is
//! what certbot and other ACME clients need: they replace the files and send SIGHUP (or
//! do nothing, and the next poll picks the files up).

pub mod redirect;
mod validity;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

pub use validity::{validity, Validity};

/// Default interval between checks of the certificate files.
pub const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(60);
/// Largest certificate or key file read (a long chain is a few KiB).
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Where the certificate and key are, and how often to look for new ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// How often the files are checked for changes.
    pub reload_interval: Duration,
}

/// Why a certificate and key cannot be used. Never quotes the key.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_PEM_BYTES`].
    #[error("{path} is larger than {MAX_PEM_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The certificate file holds no PEM certificate, or a malformed one.
    #[error("{path} holds no usable PEM certificate ({reason})")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key file holds no usable PEM private key.
    #[error("{path} holds no usable PEM private key ({reason})")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong (from rustls; it never quotes key material).
        reason: String,
    },
    /// The key is not the certificate's.
    #[error("the key in {key} does not belong to the certificate in {cert}")]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// The leaf certificate has expired or is not valid yet.
    #[error("the certificate in {path} is valid from {not_before} to {not_after}, not now")]
    OutsideValidity {
        /// The file.
        path: PathBuf,
        /// Start of validity (RFC 3339).
        not_before: String,
        /// End of validity (RFC 3339).
        not_after: String,
    },
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

fn read_pem(path: &Path) -> Result<Vec<u8>, TlsError> {
    let read = |source| TlsError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if meta.len() > MAX_PEM_BYTES {
        return Err(TlsError::TooLarge {
            path: path.to_owned(),
        });
    }
    std::fs::read(path).map_err(read)
}

/// The ring provider. rustls 0.23.48 marks it deprecated because ring has no post-quantum
/// hybrid key exchange (X25519MLKEM768); aws-lc-rs has one but adds a large C build (and
/// CMake on some hosts) to every build of passgate, while ring is already built for SMTP.
/// The classical groups (X25519, P-256, P-384) stay secure today; docs/operations.md says so.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A loaded certificate chain and key, checked, with the leaf's validity period.
pub struct Loaded {
    key: Arc<CertifiedKey>,
    /// The leaf certificate's validity.
    pub validity: Validity,
}

/// Reads and checks the pair in `files` at time `now`.
pub fn load(files: &TlsFiles, now: SystemTime) -> Result<Loaded, TlsError> {
    let cert_pem = read_pem(&files.cert)?;
    let cert_error = |reason: String| TlsError::Certificate {
        path: files.cert.clone(),
        reason,
    };
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(e.to_string()))?;
    let leaf = chain
        .first()
        .ok_or_else(|| cert_error("no CERTIFICATE block".to_owned()))?;
    let validity =
        validity(leaf).ok_or_else(|| cert_error("not an X.509 certificate".to_owned()))?;
    let unix_now = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    if unix_now < validity.not_before || unix_now > validity.not_after {
        return Err(TlsError::OutsideValidity {
            path: files.cert.clone(),
            not_before: rfc3339(validity.not_before),
            not_after: rfc3339(validity.not_after),
        });
    }
    let mut key_pem = read_pem(&files.key)?;
    let parsed = PrivateKeyDer::from_pem_slice(&key_pem);
    zeroize::Zeroize::zeroize(&mut key_pem);
    let key_error = |reason: String| TlsError::Key {
        path: files.key.clone(),
        reason,
    };
    let key = parsed.map_err(|e| key_error(e.to_string()))?;
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| key_error(e.to_string()))?;
    let certified = CertifiedKey::new(chain, signing);
    match certified.keys_match() {
        Ok(()) => {}
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            return Err(TlsError::Mismatch {
                cert: files.cert.clone(),
                key: files.key.clone(),
            })
        }
        Err(e) => return Err(cert_error(e.to_string())),
    }
    Ok(Loaded {
        key: Arc::new(certified),
        validity,
    })
}

/// The certificate presented to new handshakes; replaced on reload.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.read().ok().map(|k| Arc::clone(&k))
    }
}

/// What the files looked like when last loaded (a change in any of these means reload).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp(Vec<Option<(SystemTime, u64)>>);

impl Stamp {
    fn of(files: &TlsFiles) -> Stamp {
        Stamp(
            [&files.cert, &files.key]
                .iter()
                .map(|p| {
                    std::fs::metadata(p)
                        .ok()
                        .and_then(|m| Some((m.modified().ok()?, m.len())))
                })
                .collect(),
        )
    }
}

/// HTTPS for the listener: the acceptor and the reloadable certificate behind it.
pub struct Tls {
    files: TlsFiles,
    current: Arc<Current>,
    acceptor: TlsAcceptor,
    stamp: std::sync::Mutex<Stamp>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("files", &self.files).finish()
    }
}

impl Tls {
    /// Loads the pair (refusing a bad one) and builds the acceptor.
    pub fn new(files: TlsFiles) -> Result<Arc<Tls>, TlsError> {
        let stamp = Stamp::of(&files);
        let loaded = load(&files, SystemTime::now())?;
        tracing::info!(
            cert = %files.cert.display(),
            not_after = %rfc3339(loaded.validity.not_after),
            "TLS certificate loaded"
        );
        let current = Arc::new(Current(RwLock::new(loaded.key)));
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Certificate {
                path: files.cert.clone(),
                reason: e.to_string(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(&current) as Arc<dyn ResolvesServerCert>);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(Tls {
            files,
            current,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            stamp: std::sync::Mutex::new(stamp),
        }))
    }

    /// The acceptor for new connections.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }

    /// Loads the files again when they changed since the last load (or always, when
    /// `force`). Returns whether a new certificate is now in use; a bad pair is logged
    /// and the previous certificate kept.
    pub fn reload(&self, force: bool) -> bool {
        let stamp = Stamp::of(&self.files);
        let Ok(mut last) = self.stamp.lock() else {
            return false;
        };
        if !force && *last == stamp {
            return false;
        }
        // Remembered even when the load fails, so a bad pair is reported once, not on
        // every poll; the next change to either file is tried again.
        *last = stamp;
        match load(&self.files, SystemTime::now()) {
            Ok(loaded) => {
                if let Ok(mut current) = self.current.0.write() {
                    *current = loaded.key;
                }
                tracing::info!(
                    cert = %self.files.cert.display(),
                    not_after = %rfc3339(loaded.validity.not_after),
                    "TLS certificate reloaded; new connections use it"
                );
                true
            }
            Err(e) => {
                tracing::error!(
                    error = %e,
                    "TLS certificate reload failed; the previous certificate stays in use"
                );
                false
            }
        }
    }

    /// Watches the files (every reload interval, and on SIGHUP) until the task is aborted.
    pub fn spawn_reloader(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let tls = Arc::clone(self);
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut tick = tokio::time::interval(tls.files.reload_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                #[cfg(unix)]
                let hangup = async {
                    match hup.as_mut() {
                        Some(s) => s.recv().await,
                        None => std::future::pending().await,
                    }
                };
                #[cfg(not(unix))]
                let hangup = std::future::pending::<Option<()>>();
                let force = tokio::select! {
                    _ = tick.tick() => false,
                    _ = hangup => {
                        tracing::info!("SIGHUP: reloading the TLS certificate");
                        true
                    }
                };
                let tls = Arc::clone(&tls);
                let _ = tokio::task::spawn_blocking(move || tls.reload(force)).await;
            }
        })
    }
}
