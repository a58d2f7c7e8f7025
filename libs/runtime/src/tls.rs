//! TLS of every gRPC server and client (rustls through tonic), and a local development
//! certificate authority.
//!
//! With `tls.enabled` (the default) servers present `tls.cert_file`/`tls.key_file` and
//! clients trust `tls.ca_file`. When `tls.dev_certificates` is set and those files are
//! missing, [`ensure_dev_certificates`] creates a CA and a certificate for `localhost`,
//! `127.0.0.1` and `::1` under `data_dir/tls/`, atomically (a whole directory renamed
//! into place), so services starting together agree on one CA. Plaintext is served only
//! when `tls.enabled = false`, with a warning.

use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

use crate::Settings;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file is missing or unreadable.
    #[error("{key}: cannot read {path}: {reason}")]
    File {
        /// The configuration key naming the file.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// Certificate generation failed.
    #[error("cannot create development certificates in {dir}: {reason}")]
    Generate {
        /// The directory.
        dir: PathBuf,
        /// What failed.
        reason: String,
    },
}

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::File {
        key,
        path: path.to_path_buf(),
        reason: error.to_string(),
    })
}

/// Creates the development CA and server certificate under `data_dir/tls` when the
/// settings ask for them and any of the three files is missing. Returns whether it did.
pub fn ensure_dev_certificates(settings: &Settings) -> Result<bool, TlsError> {
    if !settings.tls.enabled || !settings.tls.dev_certificates {
        return Ok(false);
    }
    let files = [
        settings.tls_ca_file(),
        settings.tls_cert_file(),
        settings.tls_key_file(),
    ];
    if files.iter().all(|file| file.exists()) {
        return Ok(false);
    }
    let dir = settings.data_dir.join("tls");
    let fail = |reason: String| TlsError::Generate {
        dir: dir.clone(),
        reason,
    };
    let (ca_pem, server_pem, server_key) = generate_dev_pki().map_err(|e| fail(e.to_string()))?;
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| fail(e.to_string()))?;
    let staging = settings
        .data_dir
        .join(format!(".tls.{}.tmp", std::process::id()));
    let _stale = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| fail(e.to_string()))?;
    crate::secrets::create_private_file(&staging.join("server.key"), &server_key)
        .map_err(|e| fail(e.to_string()))?;
    std::fs::write(staging.join("ca.pem"), ca_pem).map_err(|e| fail(e.to_string()))?;
    std::fs::write(staging.join("server.pem"), server_pem).map_err(|e| fail(e.to_string()))?;
    match std::fs::rename(&staging, &dir) {
        Ok(()) => {
            tracing::warn!(dir = %dir.display(), "created a development certificate authority and a localhost certificate; give tls.cert_file, tls.key_file and tls.ca_file in production");
            Ok(true)
        }
        Err(_) if dir.join("server.pem").exists() => {
            // Another process created them first: use theirs.
            let _removed = std::fs::remove_dir_all(&staging);
            Ok(false)
        }
        Err(error) => {
            let _removed = std::fs::remove_dir_all(&staging);
            Err(fail(error.to_string()))
        }
    }
}

/// A CA certificate, and a server certificate and key for localhost, all PEM.
fn generate_dev_pki() -> Result<(String, String, String), rcgen::Error> {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
        KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "Pyred development CA");
    ca_params.distinguished_name = name;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate()?;
    let mut server_params = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "localhost");
    server_params.distinguished_name = name;
    let server_cert = server_params.signed_by(&server_key, &issuer)?;
    Ok((ca_cert.pem(), server_cert.pem(), server_key.serialize_pem()))
}

/// The servers' TLS configuration, or `None` for plaintext (warned about).
pub fn server_config(settings: &Settings) -> Result<Option<ServerTlsConfig>, TlsError> {
    if !settings.tls.enabled {
        tracing::warn!("TLS is OFF (tls.enabled = false): gRPC is served in plaintext");
        return Ok(None);
    }
    ensure_dev_certificates(settings)?;
    let cert = read("tls.cert_file", &settings.tls_cert_file())?;
    let key = read("tls.key_file", &settings.tls_key_file())?;
    Ok(Some(
        ServerTlsConfig::new().identity(Identity::from_pem(cert, key)),
    ))
}

/// The clients' TLS configuration (trusting `tls.ca_file`), or `None` for plaintext.
pub fn client_config(settings: &Settings) -> Result<Option<ClientTlsConfig>, TlsError> {
    if !settings.tls.enabled {
        return Ok(None);
    }
    ensure_dev_certificates(settings)?;
    let ca = read("tls.ca_file", &settings.tls_ca_file())?;
    Ok(Some(
        ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca)),
    ))
}
