//! TLS to PostgreSQL through rustls (with the ring provider ureq already brings), with libpq's
//! `sslmode` meanings:
//!
//! * `disable`: never TLS.
//! * `prefer` (the default, as libpq): TLS when the server offers it, the certificate not
//!   checked; plain otherwise.
//! * `require`: TLS or no connection; the certificate is not checked, unless a CA is given
//!   (`sslrootcert`), in which case it is checked as for `verify-ca` (libpq does the same).
//! * `verify-ca`: TLS, the server's certificate chain checked against the CA.
//! * `verify-full`: as `verify-ca`, and the certificate names the host connected to.
//!
//! The CA is `sslrootcert=FILE` (PEM, one or more certificates), `sslrootcert=system` for the
//! public web's authorities (Mozilla's list, `webpki-roots`), or `~/.postgresql/root.crt` when
//! it exists; `PGSSLMODE` and `PGSSLROOTCERT` apply when the URL names neither. The driver
//! (`postgres`) knows only disable/prefer/require: the URL is given to it without the TLS
//! parameters, which are read here.

use crate::StoreError;
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text.trim() {
            "disable" => SslMode::Disable,
            // `allow` (plain first, TLS if refused) is served as `prefer`: TLS when offered.
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(StoreError::Invalid(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                )));
            }
        })
    }
}

/// The TLS parameters taken out of a connection URL, and the URL without them.
#[derive(Debug)]
pub(crate) struct TlsSettings {
    pub mode: SslMode,
    /// `sslrootcert`: a PEM file, or `system`.
    pub root_cert: Option<String>,
    /// The URL as the driver gets it (no TLS parameters).
    pub url: String,
}

/// Splits the TLS parameters off `url`; `env` answers PGSSLMODE / PGSSLROOTCERT.
pub(crate) fn split_url(
    url: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<TlsSettings, StoreError> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut mode = None;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8_lossy()
            .to_string();
        match key {
            "sslmode" => mode = Some(SslMode::parse(&value)?),
            "sslrootcert" => root_cert = Some(value),
            "sslcert" | "sslkey" | "sslpassword" | "sslcrl" => {
                return Err(StoreError::Invalid(format!(
                    "{key}: client certificates are not supported; authenticate with a password over sslmode=verify-full"
                )));
            }
            _ => kept.push(pair),
        }
    }
    let mode = match mode {
        Some(m) => m,
        None => match env("PGSSLMODE") {
            Some(m) if !m.trim().is_empty() => SslMode::parse(&m)?,
            _ => SslMode::Prefer,
        },
    };
    let root_cert = root_cert.or_else(|| env("PGSSLROOTCERT").filter(|v| !v.trim().is_empty()));
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(TlsSettings {
        mode,
        root_cert,
        url,
    })
}

/// The driver's sslmode for ours: TLS or not; the checking is the connector's.
pub(crate) fn driver_mode(mode: SslMode) -> postgres::config::SslMode {
    match mode {
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Prefer => postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            postgres::config::SslMode::Require
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The CA certificates `sslrootcert` names (or the default file), `None` when there are none.
fn roots(root_cert: Option<&str>) -> Result<Option<RootCertStore>, StoreError> {
    let path = match root_cert {
        Some("system") => {
            return Ok(Some(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }));
        }
        Some(p) => PathBuf::from(p),
        None => match std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".postgresql/root.crt"))
            .filter(|p| p.is_file())
        {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let shown = path.display().to_string();
    let bytes = std::fs::read(&path).map_err(|e| {
        StoreError::Invalid(format!("sslrootcert {shown}: cannot read the CA file: {e}"))
    })?;
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| {
            StoreError::Invalid(format!(
                "sslrootcert {shown}: not a PEM certificate file: {e}"
            ))
        })?;
        store.add(cert).map_err(|e| {
            StoreError::Invalid(format!(
                "sslrootcert {shown}: a certificate is unusable: {e}"
            ))
        })?;
    }
    if store.is_empty() {
        return Err(StoreError::Invalid(format!(
            "sslrootcert {shown}: holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(Some(store))
}

/// The connector for these settings.
pub(crate) fn connector(settings: &TlsSettings) -> Result<MakeRustls, StoreError> {
    let provider = provider();
    let roots = match settings.mode {
        SslMode::Disable => None,
        _ => roots(settings.root_cert.as_deref())?,
    };
    let verifier: Arc<dyn ServerCertVerifier> = match (settings.mode, roots) {
        (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
            return Err(StoreError::Invalid(format!(
                "sslmode={} needs the CA that signed the server's certificate: add sslrootcert=/path/to/ca.pem to the URL (or sslrootcert=system for a public authority)",
                if settings.mode == SslMode::VerifyCa {
                    "verify-ca"
                } else {
                    "verify-full"
                }
            )));
        }
        (SslMode::Disable | SslMode::Prefer | SslMode::Require, None) => {
            Arc::new(Unchecked(provider.clone()))
        }
        (mode, Some(roots)) => {
            let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider.clone(),
            )
            .build()
            .map_err(|e| StoreError::Invalid(format!("sslrootcert: {e}")))?;
            if mode == SslMode::VerifyFull {
                webpki
            } else {
                Arc::new(ChainOnly(webpki))
            }
        }
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Invalid(format!("TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustls(Arc::new(config)))
}

/// `require` without a CA (libpq's meaning): encrypted, the certificate not checked. The
/// handshake's signatures are still verified.
#[derive(Debug)]
struct Unchecked(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to the CA; the name in the certificate is not compared.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The driver's TLS hook over rustls.
#[derive(Clone)]
pub(crate) struct MakeRustls(Arc<rustls::ClientConfig>);

impl<S> MakeTlsConnect<S> for MakeRustls
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<RustlsConnect, io::Error> {
        let name = ServerName::try_from(domain.to_string()).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{domain} is not a host name TLS can check: {e}"),
            )
        })?;
        Ok(RustlsConnect {
            name,
            connector: tokio_rustls::TlsConnector::from(self.0.clone()),
        })
    }
}

pub(crate) struct RustlsConnect {
    name: ServerName<'static>,
    connector: tokio_rustls::TlsConnector,
}

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            self.connector
                .connect(self.name, stream)
                .await
                .map(|s| RustlsStream(Box::new(s)))
        })
    }
}

pub(crate) struct RustlsStream<S>(Box<tokio_rustls::client::TlsStream<S>>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM without channel binding (libpq's `channel_binding=prefer` falls back alike).
        ChannelBinding::none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn tls_parameters_are_taken_out_of_the_url() {
        let s = split_url(
            "postgres://u:p@db:5432/posture?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x",
            no_env,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.mode, SslMode::VerifyFull);
        assert_eq!(s.root_cert.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(s.url, "postgres://u:p@db:5432/posture?application_name=x");
        let s = split_url("postgres://db/x", |k| {
            (k == "PGSSLMODE").then(|| "require".to_string())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.mode, s.url.as_str()),
            (SslMode::Require, "postgres://db/x")
        );
        assert_eq!(
            split_url("postgres://db/x", no_env)
                .unwrap_or_else(|e| panic!("{e}"))
                .mode,
            SslMode::Prefer
        );
        let e = split_url("postgres://db/x?sslmode=sometimes", no_env)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("sslmode=sometimes"), "{e}");
    }

    #[test]
    fn verification_needs_a_ca_and_a_readable_one() {
        let settings = |mode, root: Option<&str>| TlsSettings {
            mode,
            root_cert: root.map(str::to_string),
            url: String::new(),
        };
        let err = |s: TlsSettings| {
            connector(&s)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        if std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".postgresql/root.crt"))
            .is_none_or(|p| !p.is_file())
        {
            assert!(err(settings(SslMode::VerifyFull, None)).contains("sslrootcert"));
        }
        assert!(
            err(settings(SslMode::VerifyCa, Some("/nonexistent/ca.pem")))
                .contains("sslrootcert /nonexistent/ca.pem: cannot read")
        );
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let junk = dir.path().join("ca.pem");
        std::fs::write(&junk, "not a certificate").unwrap_or_else(|e| panic!("{e}"));
        assert!(err(settings(SslMode::VerifyFull, junk.to_str())).contains("holds no certificate"));
        assert!(connector(&settings(SslMode::Require, None)).is_ok());
        assert!(connector(&settings(SslMode::VerifyFull, Some("system"))).is_ok());
    }
}
