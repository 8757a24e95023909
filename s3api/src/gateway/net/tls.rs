//! HTTPS on the S3 port: rustls (the `ring` provider, no C build beyond
//! ring's own), HTTP/2 and HTTP/1.1 offered by ALPN, and the certificate
//! and key read from PEM files that can be replaced while the gateway runs:
//! [`Tls::reload`] (on SIGHUP) reads them again, and new connections get
//! the new certificate while open ones keep theirs. A file that does not
//! load is logged and the certificate in use stays.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Where the certificate chain and its key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, PEM, leaf first.
    pub cert: PathBuf,
    /// The private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why the certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file is missing, unreadable or not PEM of the right kind.
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    /// rustls refused the pair (e.g. the key does not match).
    #[error("certificate {cert} with key {key}: {source}")]
    Rustls { cert: PathBuf, key: PathBuf, source: rustls::Error },
}

/// The TLS state of a listener: the files and the configuration made from
/// them. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tls {
    files: TlsFiles,
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl Tls {
    /// Loads `files`.
    pub fn load(files: TlsFiles) -> Result<Self, TlsError> {
        let config = server_config(&files)?;
        Ok(Self { files, current: Arc::new(RwLock::new(config)) })
    }

    /// Reads the files again; on success new connections use them, on
    /// failure the error is returned and the configuration in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let config = server_config(&self.files)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = config;
        Ok(())
    }

    /// [`Tls::reload`], logged.
    pub fn reload_logged(&self) {
        match self.reload() {
            Ok(()) => tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded"),
            Err(e) => {
                tracing::error!(error = %e, "TLS reload failed; keeping the certificate in use")
            }
        }
    }

    /// An acceptor with the current configuration.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner)))
    }
}

fn file_error(path: &Path, message: impl ToString) -> TlsError {
    TlsError::File { path: path.to_path_buf(), message: message.to_string() }
}

/// A rustls server configuration for `files`, offering h2 and http/1.1.
fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| file_error(&files.cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(&files.cert, e))?;
    if certs.is_empty() {
        return Err(file_error(&files.cert, "no PEM certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| file_error(&files.key, e))?;
    let rustls_error =
        |source| TlsError::Rustls { cert: files.cert.clone(), key: files.key.clone(), source };
    // ring rather than aws-lc-rs: no cmake/C toolchain beyond ring's own
    // build. rustls 0.23.48 deprecates it for lacking post-quantum key
    // exchange; the classical suites it offers are still rustls's defaults.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(rustls_error)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(rustls_error)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
