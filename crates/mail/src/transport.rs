//! The SMTP connection: lettre's async transport over tokio with rustls, configured from
//! [`SmtpSettings`].

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP (only for a relay on the same host or a trusted network).
    None,
    /// STARTTLS, required: a server that does not offer it is an error, never a
    /// silent fall-back to plain text (usually port 587).
    StartTls,
    /// TLS from the first byte ("SMTPS", usually port 465).
    Implicit,
}

impl TlsMode {
    /// Parses `none`, `starttls` or `implicit`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::StartTls),
            "implicit" | "smtps" => Some(TlsMode::Implicit),
            _ => None,
        }
    }

    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::StartTls => "starttls",
            TlsMode::Implicit => "implicit",
        }
    }
}

/// Where and how to reach the SMTP server. `Debug` redacts the password.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// Host name (also the name the certificate must carry).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub tls: TlsMode,
    /// AUTH user name (AUTH is used only when set, and only over TLS unless `tls = none`).
    pub username: Option<String>,
    /// AUTH password.
    pub password: Option<SecretString>,
    /// Extra trusted CA certificate (PEM), for a server with a private CA.
    pub ca_file: Option<PathBuf>,
    /// Timeout of each SMTP command.
    pub timeout: Duration,
}

/// The transport could not be built.
#[derive(Debug, thiserror::Error)]
#[error("mail transport: {0}")]
pub struct TransportError(pub String);

/// Builds the transport. Connections are opened per batch of mails and reused within it
/// (lettre's pool), so an idle server holds no connection to the SMTP server.
pub fn build(s: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, TransportError> {
    let tls = match s.tls {
        TlsMode::None => Tls::None,
        TlsMode::StartTls => Tls::Required(tls_parameters(s)?),
        TlsMode::Implicit => Tls::Wrapper(tls_parameters(s)?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
        .port(s.port)
        .tls(tls)
        .timeout(Some(s.timeout));
    if let (Some(user), Some(password)) = (&s.username, &s.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose_secret().to_owned(),
        ));
    }
    Ok(builder.build())
}

fn tls_parameters(s: &SmtpSettings) -> Result<TlsParameters, TransportError> {
    let mut params = TlsParameters::builder(s.host.clone());
    if let Some(path) = &s.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| TransportError(format!("cannot read {}: {e}", path.display())))?;
        let cert = Certificate::from_pem(&pem).map_err(|e| {
            TransportError(format!("{} is not a PEM certificate: {e}", path.display()))
        })?;
        params = params.add_root_certificate(cert);
    }
    params
        .build_rustls()
        .map_err(|e| TransportError(e.to_string()))
}
