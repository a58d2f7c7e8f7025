//! The gateway's own settings, until `[gateway]` joins the shared configuration.
//!
//! Read from `PYRED_GATEWAY_PORT` and `PYRED_GATEWAY_SESSION_MINUTES` (single
//! underscores: a `PYRED__GATEWAY__…` variable would be an unknown key to the shared
//! loader today and stop every service).

use std::time::Duration;

/// Where the gateway listens and how long a console session lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySettings {
    /// TCP port; 0 picks a free one (tests).
    pub port: u16,
    /// Idle lifetime of a console session, in minutes.
    pub session_minutes: u64,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            port: 8443,
            session_minutes: 480,
        }
    }
}

impl GatewaySettings {
    /// Defaults overridden by `PYRED_GATEWAY_PORT` and `PYRED_GATEWAY_SESSION_MINUTES`.
    pub fn from_env() -> Result<Self, String> {
        let mut settings = Self::default();
        if let Ok(value) = std::env::var("PYRED_GATEWAY_PORT") {
            settings.port = value
                .parse()
                .map_err(|_| format!("PYRED_GATEWAY_PORT: {value:?} is not a port"))?;
        }
        if let Ok(value) = std::env::var("PYRED_GATEWAY_SESSION_MINUTES") {
            settings.session_minutes = value
                .parse()
                .ok()
                .filter(|minutes| (1..=10_080).contains(minutes))
                .ok_or_else(|| {
                    format!("PYRED_GATEWAY_SESSION_MINUTES: {value:?} is not 1..10080 minutes")
                })?;
        }
        Ok(settings)
    }

    /// Idle lifetime of a session.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_minutes.saturating_mul(60))
    }
}
