//! Console sessions: kept in memory, keyed by a random id sent in an HttpOnly cookie.
//!
//! The adviser's key stays on the server; the cookie holds only a 256-bit random session
//! id. A session ends after `session_minutes` without a request, or at sign-out. Each
//! session has its own CSRF token, required by every form post. The time of each key's
//! previous visit and the leads it was shown are kept (by key id, never the secret) for
//! "new leads since your last visit"; they are lost when the gateway restarts.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::upstream::{Bearer, KeyRole};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "pyred_session";
/// Name of the sign-in form's CSRF cookie (before any session exists).
pub const LOGIN_CSRF_COOKIE: &str = "pyred_login_csrf";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "pyred_lang";

/// A signed-in adviser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The key, ready for gRPC metadata.
    pub bearer: Bearer,
    /// Public id of the key.
    pub key_id: String,
    /// Role found at sign-in.
    pub role: KeyRole,
    /// Regions whose firms the key may follow (advisers); empty for admins (all).
    pub territory: BTreeSet<String>,
    /// Token every form must echo.
    pub csrf: String,
    expires: Instant,
}

/// All sessions of this gateway.
#[derive(Debug, Clone)]
pub struct Sessions {
    inner: Arc<Mutex<Inner>>,
    ttl: Duration,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<String, Session>,
}

/// 32 random bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    // The OS generator failing is not recoverable and would make tokens guessable.
    if getrandom::fill(&mut bytes).is_err() {
        panic!("the operating system's random generator failed");
    }
    hex::encode(bytes)
}

/// Seconds since 1970.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Sessions {
    /// No session yet; each lasts `ttl` after its last request.
    pub fn new(ttl: Duration) -> Self {
        Self {
            inner: Arc::default(),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Opens a session; returns its id.
    pub fn open(
        &self,
        bearer: Bearer,
        key_id: String,
        role: KeyRole,
        territory: BTreeSet<String>,
    ) -> String {
        let id = random_token();
        let now = Instant::now();
        let mut inner = self.lock();
        inner.sessions.retain(|_, session| session.expires > now);
        inner.sessions.insert(
            id.clone(),
            Session {
                bearer,
                key_id,
                role,
                territory,
                csrf: random_token(),
                expires: now + self.ttl,
            },
        );
        id
    }

    /// The live session of `id`, its lifetime extended.
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut inner = self.lock();
        let session = inner.sessions.get_mut(id)?;
        if session.expires <= now {
            inner.sessions.remove(id);
            return None;
        }
        session.expires = now + self.ttl;
        Some(session.clone())
    }

    /// Ends a session.
    pub fn close(&self, id: &str) {
        self.lock().sessions.remove(id);
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.lock()
            .sessions
            .values()
            .filter(|session| session.expires > now)
            .count()
    }

    /// True when no session is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: Path=/, SameSite=Strict, HttpOnly when asked, Secure under TLS.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<u64>,
    http_only: bool,
    secure: bool,
) -> String {
    let mut cookie = format!("{name}={value}; Path=/; SameSite=Strict");
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyred_runtime::Secret;

    #[test]
    fn sessions_expire_and_close() {
        let sessions = Sessions::new(Duration::from_millis(30));
        let bearer = Bearer::new(&Secret::new("pyred_abc_def")).expect("valid key");
        let id = sessions.open(
            bearer.clone(),
            "abc".into(),
            KeyRole::Adviser,
            BTreeSet::new(),
        );
        assert!(sessions.get(&id).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(sessions.get(&id).is_none(), "an idle session expires");
        let id = sessions.open(bearer, "abc".into(), KeyRole::Adviser, BTreeSet::new());
        assert!(sessions.get(&id).is_some_and(|s| s.key_id == "abc"));
        sessions.close(&id);
        assert!(sessions.get(&id).is_none());
    }

    #[test]
    fn cookies_parse_and_tokens_compare() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "a=1; pyred_session=xyz; b=2".parse().expect("header"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("xyz"));
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert_ne!(random_token(), random_token());
        let set = set_cookie(SESSION_COOKIE, "v", None, true, true);
        assert!(
            set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=Strict")
        );
    }
}
