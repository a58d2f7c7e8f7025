//! Channels to the three gRPC services, shared by every request.
//!
//! One lazily connected channel per service (TLS as configured, trace context and
//! deadline added by [`pyred_runtime::client`]); each call carries the key of the person
//! or program the gateway acts for, never a key of its own, so the services'
//! authentication, roles and object checks apply exactly as to a direct gRPC caller.

use pyred_proto::v1 as pb;
use pyred_runtime::client::{ClientError, Connector, ServiceChannel};
use pyred_runtime::{Secret, Settings};
use tonic::metadata::{Ascii, MetadataValue};

use pb::access_client::AccessClient;
use pb::brokerage_client::BrokerageClient;
use pb::company_registry_client::CompanyRegistryClient;
use pb::geo_search_client::GeoSearchClient;
use pb::matchmaking_client::MatchmakingClient;

/// The three services' addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrls {
    /// company-registry (also serves `Access`).
    pub registry: String,
    /// geo-search.
    pub geo_search: String,
    /// matchmaking.
    pub matchmaking: String,
}

impl UpstreamUrls {
    /// The addresses the settings name.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            registry: settings.registry.url.clone(),
            geo_search: settings.geo_search.url.clone(),
            matchmaking: settings.matchmaking.url.clone(),
        }
    }
}

/// Shared channels to the services.
#[derive(Debug, Clone)]
pub struct Upstream {
    registry: ServiceChannel,
    geo_search: ServiceChannel,
    matchmaking: ServiceChannel,
}

/// A caller's key as a ready `authorization` value.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(***)")
    }
}

impl Bearer {
    /// `Bearer <key>`; `None` when the key cannot travel in a header.
    pub fn new(key: &Secret) -> Option<Self> {
        let key = key.expose().trim();
        if key.is_empty() || key.len() > 512 {
            return None;
        }
        format!("Bearer {key}").parse().ok().map(Self)
    }

    /// The public id of a `pyred_<id>_<secret>` key (never the secret), for per-key
    /// bookkeeping such as the last visit; the whole key's length otherwise.
    pub fn key_id(key: &Secret) -> String {
        let mut parts = key.expose().splitn(3, '_');
        match (parts.next(), parts.next()) {
            (Some("pyred"), Some(id)) if !id.is_empty() => id.to_owned(),
            _ => "unknown".to_owned(),
        }
    }

    /// Wraps `message` in a request carrying this key.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        request
    }
}

impl Upstream {
    /// Channels to `urls` with the settings' TLS, without credentials of their own.
    pub fn connect(settings: &Settings, urls: &UpstreamUrls) -> Result<Self, ClientError> {
        let connector = Connector::from_settings(settings, settings.server.client_timeout())?;
        Ok(Self {
            registry: connector.channel(&urls.registry)?,
            geo_search: connector.channel(&urls.geo_search)?,
            matchmaking: connector.channel(&urls.matchmaking)?,
        })
    }

    /// company-registry.
    pub fn registry(&self) -> CompanyRegistryClient<ServiceChannel> {
        CompanyRegistryClient::new(self.registry.clone())
    }

    /// The registry's key service.
    pub fn access(&self) -> AccessClient<ServiceChannel> {
        AccessClient::new(self.registry.clone())
    }

    /// geo-search.
    pub fn geo_search(&self) -> GeoSearchClient<ServiceChannel> {
        GeoSearchClient::new(self.geo_search.clone())
    }

    /// matchmaking.
    pub fn matchmaking(&self) -> MatchmakingClient<ServiceChannel> {
        MatchmakingClient::new(self.matchmaking.clone())
    }

    /// Brokerage cases and consortia (`pyred.v1.Brokerage`), served by the matchmaking
    /// server on its address.
    pub fn brokerage(&self) -> BrokerageClient<ServiceChannel> {
        BrokerageClient::new(self.matchmaking.clone())
    }
}

/// What a key may do, as far as the gateway can tell (there is no "who am I" call yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyRole {
    /// Everything.
    Admin,
    /// A chamber adviser.
    Adviser,
    /// A firm or an agency (neither may list a listing's firms).
    Partner,
}

/// A key's role and (advisers) territory, from `pyred.v1.Access/WhoAmI`.
pub async fn probe_role(
    upstream: &Upstream,
    bearer: &Bearer,
) -> Result<(KeyRole, std::collections::BTreeSet<String>), tonic::Status> {
    let key = upstream
        .access()
        .who_am_i(bearer.request(pb::WhoAmIRequest {}))
        .await?
        .into_inner()
        .key
        .unwrap_or_default();
    let role = match pb::Role::try_from(key.role) {
        Ok(pb::Role::Admin) => KeyRole::Admin,
        Ok(pb::Role::Adviser) => KeyRole::Adviser,
        _ => KeyRole::Partner,
    };
    Ok((role, key.territory.into_iter().collect()))
}
