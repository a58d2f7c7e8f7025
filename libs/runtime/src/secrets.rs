//! Secrets the services share on one machine when the configuration gives none: the
//! service token, the key-hash secret and the gateway's session secret, each a random
//! 256-bit value kept in a file created once with mode 0600 under `data_dir/secrets/`.
//!
//! Creation is atomic (write a temporary file, then hard-link it to its name, which fails
//! when another process won the race), so services started together agree on one value.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::config::Secret;

/// Why a secret could not be read or created.
#[derive(Debug, thiserror::Error)]
#[error("secret file {path}: {reason}")]
pub struct SecretFileError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// The token of an `Authorization` header value in the Bearer scheme (RFC 6750), or
/// `None`. The scheme name is case-insensitive (RFC 9110 §11.1: `Bearer`, `bearer`,
/// `BEARER`); one or more spaces separate it from the token, which is trimmed.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// 32 random bytes from the operating system, base64url without padding (43 characters).
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Writes `contents` to `path` with mode 0600 unless `path` exists; returns whether this
/// call created it.
pub fn create_private_file(path: &Path, contents: &str) -> Result<bool, SecretFileError> {
    let fail = |reason: String| SecretFileError {
        path: path.to_path_buf(),
        reason,
    };
    if path.exists() {
        return Ok(false);
    }
    let dir = path
        .parent()
        .ok_or_else(|| fail("no parent directory".into()))?;
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary).map_err(|e| fail(e.to_string()))?;
        file.write_all(contents.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| fail(e.to_string()))?;
    }
    let linked = std::fs::hard_link(&temporary, path);
    let _removed = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(fail(error.to_string())),
    }
}

/// The configured secret, or the one in `path` (created with a random value when absent).
pub fn configured_or_file(
    configured: Option<&Secret>,
    path: &Path,
) -> Result<Secret, SecretFileError> {
    if let Some(secret) = configured {
        return Ok(secret.clone());
    }
    let token = random_token().map_err(|error| SecretFileError {
        path: path.to_path_buf(),
        reason: format!("no randomness: {error}"),
    })?;
    create_private_file(path, &token)?;
    let text = std::fs::read_to_string(path).map_err(|error| SecretFileError {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    let value = text.trim();
    if value.len() < 32 {
        return Err(SecretFileError {
            path: path.to_path_buf(),
            reason: "shorter than 32 characters".into(),
        });
    }
    Ok(Secret::new(value))
}

/// The service token of these settings (configured, or the shared file).
pub fn service_token(settings: &crate::Settings) -> Result<Secret, SecretFileError> {
    configured_or_file(
        settings.security.service_token.as_ref(),
        &settings.secrets_dir().join("service-token"),
    )
}

/// The registry's key-hash secret (configured, or the shared file).
pub fn key_hash_secret(settings: &crate::Settings) -> Result<Secret, SecretFileError> {
    configured_or_file(
        settings.security.key_hash_secret.as_ref(),
        &settings.secrets_dir().join("key-hash-secret"),
    )
}

/// The gateway's session-sealing secret (configured, or the shared file).
pub fn session_secret(settings: &crate::Settings) -> Result<Secret, SecretFileError> {
    configured_or_file(
        settings.gateway.session_secret.as_ref(),
        &settings.secrets_dir().join("session-secret"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for header in ["Bearer abc", "bearer abc", "BEARER  abc ", "BeArEr abc"] {
            assert_eq!(bearer_token(header), Some("abc"), "{header:?}");
        }
        for header in ["Basic abc", "Bearer", "Bearer  ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(header), None, "{header:?}");
        }
    }

    #[test]
    fn a_file_is_created_once_private_and_then_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secrets/token");
        let first = configured_or_file(None, &path).expect("created");
        let second = configured_or_file(None, &path).expect("read back");
        assert_eq!(first, second);
        assert_eq!(first.expose().len(), 43);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let configured = Secret::new("c".repeat(40));
        assert_eq!(
            configured_or_file(Some(&configured), &path).expect("configured wins"),
            configured
        );
    }

    #[test]
    fn two_tokens_differ() {
        assert_ne!(
            random_token().expect("random"),
            random_token().expect("random")
        );
    }
}
