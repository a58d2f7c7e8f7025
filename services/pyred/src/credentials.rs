//! Credentials of the `pyred` command: TLS as configured, and an API key.
//!
//! `pyred up` makes sure an admin key exists for its data directory: it creates one on
//! first start, prints it once, and keeps it in `data_dir/admin.key` (mode 0600); the
//! registry stores only its hash. Other subcommands run against that stack (same
//! `--data-dir`/`PYRED_DATA_DIR`) use that file without flags; `--key`/`PYRED_KEY`
//! overrides it.

use std::path::{Path, PathBuf};

use pyred_runtime::Secret;
use pyred_runtime::Settings;
use pyred_runtime::client::{ClientError, Connector};

/// Name of the admin key file in the data directory.
pub const ADMIN_KEY_FILE: &str = "admin.key";

/// Why credentials could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The key file could not be written or read.
    #[error(transparent)]
    File(#[from] pyred_runtime::secrets::SecretFileError),
    /// No randomness.
    #[error("no randomness for a new key: {0}")]
    Random(String),
    /// The channel settings are invalid.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// `data_dir/admin.key`.
pub fn admin_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(ADMIN_KEY_FILE)
}

/// The admin key of `data_dir`, created (mode 0600) when absent; `true` when created now.
pub fn ensure_admin_key(data_dir: &Path) -> Result<(Secret, bool), CredentialsError> {
    let path = admin_key_path(data_dir);
    let (_, fresh) =
        pyred_access::keys::generate().map_err(|e| CredentialsError::Random(e.to_string()))?;
    let created = pyred_runtime::secrets::create_private_file(&path, fresh.expose())?;
    let text = std::fs::read_to_string(&path).map_err(|error| {
        pyred_runtime::secrets::SecretFileError {
            path: path.clone(),
            reason: error.to_string(),
        }
    })?;
    Ok((Secret::new(text.trim()), created))
}

/// A connector for the `pyred` command: TLS as configured, and `key` (from `--key` or
/// `PYRED_KEY`), else the data directory's admin key file when it exists.
pub fn user_connector(
    settings: &Settings,
    key: Option<&str>,
    timeout: std::time::Duration,
) -> Result<Connector, CredentialsError> {
    let connector = Connector::from_settings(settings, timeout)?;
    let key = match key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(key) => Some(Secret::new(key)),
        None => std::fs::read_to_string(admin_key_path(&settings.data_dir))
            .ok()
            .map(|text| Secret::new(text.trim())),
    };
    Ok(match key {
        Some(key) => connector.with_key(&key)?,
        None => connector,
    })
}
