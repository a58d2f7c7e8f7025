//! The gate in front of every RPC: who is calling, and may they call now.
//!
//! A request carries `authorization: Bearer <key>`. The service token (shared by the
//! services, compared in constant time) makes the caller a service; any other key is
//! resolved by a [`Verifier`] — the key store itself in the registry, introspection
//! (`pyred.v1.Access/Authenticate`) elsewhere. Resolved keys are cached for at most
//! `security.auth_cache_millis` (≤ 1 s), keyed by a SHA-256 of the key, so a revoked key
//! stops working everywhere within that delay. Each key then takes a token from its
//! bucket; an empty bucket answers `ResourceExhausted` with a retry delay. Missing or
//! unknown keys answer `Unauthenticated`. With `security.authentication = false` every
//! caller is an admin — logged as a warning at start.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyred_proto::tonic_types::{ErrorDetails, StatusExt};
use pyred_proto::v1 as pb;
use pyred_proto::v1::access_client::AccessClient;
use pyred_runtime::Secret;
use pyred_runtime::client::ServiceChannel;
use pyred_runtime::gate::Gate;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::{Code, Status};

use crate::caller::{Caller, Role};
use crate::limit::RateLimiter;
use crate::store::KeyStore;

/// How keys are resolved.
#[derive(Debug, Clone)]
pub enum Verifier {
    /// In the registry: the key store.
    Local(KeyStore),
    /// Elsewhere: introspection at the registry, with the service token.
    Remote(AccessClient<ServiceChannel>),
}

impl Verifier {
    async fn verify(&self, key: &str) -> Result<Option<Caller>, Status> {
        match self {
            Self::Local(store) => store.verify(key).await.map_err(|error| {
                tracing::error!(%error, "key store unavailable");
                Status::unavailable("cannot check the API key now; retry")
            }),
            Self::Remote(client) => {
                let mut client = client.clone();
                match client
                    .authenticate(pb::AuthenticateRequest {
                        key: key.to_owned(),
                    })
                    .await
                {
                    Ok(response) => {
                        Ok(response.into_inner().key.as_ref().and_then(Caller::from_pb))
                    }
                    Err(status) if status.code() == Code::Unauthenticated => Ok(None),
                    Err(status) => {
                        tracing::warn!(code = ?status.code(), message = status.message(), "key introspection failed");
                        Err(Status::unavailable("cannot check the API key now; retry"))
                    }
                }
            }
        }
    }
}

/// Authentication and rate limits of one service.
pub struct Authenticator {
    enabled: bool,
    verifier: Verifier,
    service_token: Secret,
    ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], (Instant, Caller)>>,
    limiter: RateLimiter,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("enabled", &self.enabled)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator for a service with these settings.
    pub fn new(
        settings: &pyred_runtime::Settings,
        verifier: Verifier,
        service_token: Secret,
    ) -> Self {
        if !settings.security.authentication {
            tracing::warn!(
                "AUTHENTICATION IS OFF (security.authentication = false): every caller acts as an admin. Never expose this server."
            );
        }
        Self {
            enabled: settings.security.authentication,
            verifier,
            service_token,
            ttl: Duration::from_millis(settings.security.auth_cache_millis),
            cache: Mutex::new(HashMap::new()),
            limiter: RateLimiter::new(
                settings.security.rate_limit_per_second,
                settings.security.rate_limit_burst,
            ),
        }
    }

    /// Who presents `headers`, or why they may not call.
    pub async fn authenticate(&self, headers: &http::HeaderMap) -> Result<Caller, Status> {
        if !self.enabled {
            return Ok(Caller::anonymous_admin());
        }
        let Some(value) = headers.get(http::header::AUTHORIZATION) else {
            return Err(Status::unauthenticated(
                "an API key is required: send `authorization: Bearer <key>`",
            ));
        };
        let key = value
            .to_str()
            .ok()
            .and_then(pyred_runtime::secrets::bearer_token)
            .ok_or_else(|| Status::unauthenticated("authorization must read `Bearer <key>`"))?;
        if bool::from(key.as_bytes().ct_eq(self.service_token.expose().as_bytes())) {
            return Ok(Caller::service());
        }
        let fingerprint: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let now = Instant::now();
        if let Some(caller) = self.cached(&fingerprint, now) {
            return Ok(caller);
        }
        match self.verifier.verify(key).await? {
            Some(caller) => {
                self.remember(fingerprint, now, &caller);
                Ok(caller)
            }
            None => Err(Status::unauthenticated("unknown or revoked API key")),
        }
    }

    fn cached(&self, fingerprint: &[u8; 32], now: Instant) -> Option<Caller> {
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .get(fingerprint)
            .filter(|(at, _)| now.duration_since(*at) < self.ttl)
            .map(|(_, caller)| caller.clone())
    }

    fn remember(&self, fingerprint: [u8; 32], now: Instant, caller: &Caller) {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() > 10_000 {
            let ttl = self.ttl;
            cache.retain(|_, (at, _)| now.duration_since(*at) < ttl);
        }
        cache.insert(fingerprint, (now, caller.clone()));
    }

    /// Takes a token from the caller's bucket; services are not limited.
    pub fn admit(&self, caller: &Caller) -> Result<(), Status> {
        if caller.role == Role::Service || !self.enabled {
            return Ok(());
        }
        self.limiter.take(&caller.key_id).map_err(|wait| {
            Status::with_error_details(
                Code::ResourceExhausted,
                format!(
                    "rate limit of this API key reached; retry in {} ms",
                    wait.as_millis().max(1)
                ),
                ErrorDetails::with_retry_info(Some(wait)),
            )
        })
    }

    /// The gate for `pyred_runtime::server::Protection`: authenticates, limits, and
    /// attaches the [`Caller`] to the request.
    pub fn gate(self: Arc<Self>) -> Gate {
        Arc::new(move |mut request: http::Request<tonic::body::Body>| {
            let this = self.clone();
            Box::pin(async move {
                let caller = this.authenticate(request.headers()).await?;
                this.admit(&caller)?;
                request.extensions_mut().insert(caller);
                Ok(request)
            })
        })
    }
}
