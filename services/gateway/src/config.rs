//! The gateway's settings: the `[gateway]` section of the shared configuration
//! (`PYRED__GATEWAY__PORT`, `PYRED__GATEWAY__SESSION_MINUTES`).

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
    /// From the `[gateway]` section (validated by the loader).
    pub fn from_settings(settings: &pyred_runtime::Settings) -> Self {
        Self {
            port: settings.gateway.port,
            session_minutes: settings.gateway.session_minutes,
        }
    }

    /// Idle lifetime of a session.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_minutes.saturating_mul(60))
    }
}
