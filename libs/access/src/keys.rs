//! API key format and hashing.
//!
//! A key reads `pyred_<id>_<secret>`: `id` is 12 hexadecimal characters, public, used to
//! find the stored record; `secret` is 256 random bits in base64url. Only the keyed hash
//! HMAC-SHA-256(server secret, secret) is stored, and a presented secret is compared with
//! it in constant time. A stolen database alone therefore yields no usable key, and the
//! keys' entropy makes a slow KDF unnecessary.

use hmac::{KeyInit, Mac};
use pyred_runtime::Secret;
use sha2::Sha256;

const PREFIX: &str = "pyred_";
const ID_LEN: usize = 12;

/// A key split into its public id and its secret part.
#[derive(PartialEq, Eq)]
pub struct ParsedKey<'a> {
    /// Public id.
    pub id: &'a str,
    /// Secret part.
    pub secret: &'a str,
}

impl std::fmt::Debug for ParsedKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParsedKey {{ id: {:?}, secret: *** }}", self.id)
    }
}

/// Splits a presented key; `None` when it does not have the key shape.
pub fn parse(key: &str) -> Option<ParsedKey<'_>> {
    let rest = key.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id_ok = id.len() == ID_LEN && id.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = secret.len() >= 32
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && secret_ok).then_some(ParsedKey { id, secret })
}

/// A fresh key id.
pub fn new_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0_u8; ID_LEN / 2];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// The whole key text for `id` and `secret`.
pub fn format(id: &str, secret: &str) -> String {
    format!("{PREFIX}{id}_{secret}")
}

/// A fresh key: `(id, whole key text)`.
pub fn generate() -> Result<(String, Secret), getrandom::Error> {
    let id = new_id()?;
    let secret = pyred_runtime::secrets::random_token()?;
    let key = Secret::new(format(&id, &secret));
    Ok((id, key))
}

/// Keyed hash of key secrets.
#[derive(Clone)]
pub struct KeyHasher {
    server_secret: Secret,
}

impl std::fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHasher(***)")
    }
}

impl KeyHasher {
    /// Hashes with `server_secret`.
    pub fn new(server_secret: Secret) -> Self {
        Self { server_secret }
    }

    fn mac(&self, secret: &str) -> Hmac {
        // HMAC accepts keys of any length.
        let mut mac = <Hmac as KeyInit>::new_from_slice(self.server_secret.expose().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(secret.as_bytes());
        mac
    }

    /// The stored form of `secret`, hex.
    pub fn hash(&self, secret: &str) -> String {
        hex::encode(self.mac(secret).finalize().into_bytes())
    }

    /// Whether `secret` hashes to `stored`, compared in constant time.
    pub fn verify(&self, secret: &str, stored: &str) -> bool {
        let Ok(expected) = hex::decode(stored) else {
            return false;
        };
        self.mac(secret).verify_slice(&expected).is_ok()
    }
}

type Hmac = hmac::Hmac<Sha256>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_verify_only_with_their_secret() {
        let (id, key) = generate().expect("randomness");
        let parsed = parse(key.expose()).expect("well formed");
        assert_eq!(parsed.id, id);
        assert_eq!(parsed.secret.len(), 43);
        let hasher = KeyHasher::new(Secret::new("server secret"));
        let stored = hasher.hash(parsed.secret);
        assert!(hasher.verify(parsed.secret, &stored));
        let (_, other) = generate().expect("randomness");
        let other = parse(other.expose()).expect("well formed");
        assert!(!hasher.verify(other.secret, &stored));
        // Another server secret gives another hash: the database alone is not enough.
        let elsewhere = KeyHasher::new(Secret::new("another secret"));
        assert!(!elsewhere.verify(parsed.secret, &stored));
        assert!(!format!("{parsed:?}").contains(parsed.secret));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "Bearer x",
            "pyred_",
            "pyred_123_abc",
            "pyred_zzzzzzzzzzzz_0123456789012345678901234567890123456789",
            "pyred_0123456789ab_short",
            "pyred_0123456789ab_0123456789012345678901234567890123456789!",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
