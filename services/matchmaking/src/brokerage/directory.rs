//! The organisations directory as brokerage reads it: `pyred.v1.Access/ListOrganisations`
//! on the registry, cached for a few seconds, and the rule that routes a listing to the
//! organisation that follows it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pyred_access::caller::territory_covers;
use pyred_proto::v1 as pb;
use pyred_proto::v1::access_client::AccessClient;
use pyred_runtime::client::ServiceChannel;
use tokio::sync::Mutex;

use super::error::BrokerError;

/// How long a read of the directory is reused.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// The last read of the directory and when it was made.
type Cached = Option<(Instant, Arc<Vec<pb::Organisation>>)>;

/// The organisations, read from the registry.
#[derive(Debug, Clone)]
pub struct Directory {
    registry: ServiceChannel,
    cache: Arc<Mutex<Cached>>,
}

impl Directory {
    /// Reads through the registry channel (service credentials).
    pub fn new(registry: ServiceChannel) -> Self {
        Self {
            registry,
            cache: Arc::new(Mutex::new(None)),
        }
    }

    /// Every organisation.
    pub async fn all(&self) -> Result<Arc<Vec<pb::Organisation>>, BrokerError> {
        let mut cache = self.cache.lock().await;
        if let Some((at, organisations)) = cache.as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return Ok(organisations.clone());
        }
        let organisations = Arc::new(
            AccessClient::new(self.registry.clone())
                .list_organisations(pb::ListOrganisationsRequest {})
                .await
                .map_err(BrokerError::Directory)?
                .into_inner()
                .organisations,
        );
        *cache = Some((Instant::now(), organisations.clone()));
        Ok(organisations)
    }

    /// One organisation by id.
    pub async fn get(&self, id: &str) -> Result<Option<pb::Organisation>, BrokerError> {
        Ok(self.all().await?.iter().find(|o| o.id == id).cloned())
    }

    /// The organisation a listing goes to, other than `except`: the one that follows its
    /// source, else the one whose territory holds its region.
    pub async fn following(
        &self,
        opportunity: &pb::Opportunity,
        except: &str,
    ) -> Result<Option<pb::Organisation>, BrokerError> {
        let all = self.all().await?;
        let others = || all.iter().filter(|o| o.id != except);
        let by_source = others().find(|o| o.sources.contains(&opportunity.source));
        let by_region = || {
            others().find(|o| {
                !opportunity.region.is_empty()
                    && territory_covers(&o.territory, &opportunity.region)
            })
        };
        Ok(by_source.or_else(by_region).cloned())
    }
}
