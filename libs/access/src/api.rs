//! The `pyred.v1.Access` service (keys; served by the registry, which holds them) and
//! the `pyred.v1.Audit` service (served by every service over its own log).

use std::sync::Arc;

use futures::future::BoxFuture;
use pyred_domain::IsoRegion;
use pyred_proto::v1 as pb;
use pyred_proto::v1::access_server::Access;
use pyred_proto::v1::audit_server::Audit;
use pyred_runtime::db::timestamp;
use pyred_runtime::error::FieldViolations;
use tonic::{Request, Response, Status};

use crate::audit::AuditLog;
use crate::caller::{Caller, Role};
use crate::store::{KeyError, KeyRecord, KeyStore};

/// Whether a company id exists (the registry answers; used to check a firm key's scope).
pub type CompanyExists = Arc<dyn Fn(String) -> BoxFuture<'static, bool> + Send + Sync>;

/// Keys administration and introspection.
#[derive(Clone)]
pub struct AccessApi {
    store: KeyStore,
    audit: AuditLog,
    company_exists: CompanyExists,
}

impl std::fmt::Debug for AccessApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessApi").finish_non_exhaustive()
    }
}

impl AccessApi {
    /// Serves `store`, auditing into `audit`.
    pub fn new(store: KeyStore, audit: AuditLog, company_exists: CompanyExists) -> Self {
        Self {
            store,
            audit,
            company_exists,
        }
    }
}

fn to_pb(record: &KeyRecord) -> pb::ApiKey {
    pb::ApiKey {
        created_at: Some(timestamp(record.created_at)),
        rotated_at: record.rotated_at.map(timestamp),
        revoked_at: record.revoked_at.map(timestamp),
        ..record.caller.to_pb()
    }
}

fn status(error: KeyError) -> Status {
    match error {
        KeyError::NotFound(id) => Status::not_found(format!("no key {id}")),
        KeyError::Revoked(id) => {
            Status::failed_precondition(format!("key {id} is revoked and cannot be rotated"))
        }
        KeyError::Database(error) => {
            tracing::error!(%error, "key store");
            Status::unavailable("key store unavailable")
        }
        KeyError::Random(error) => Status::internal(error),
    }
}

const ACCESS: &str = "pyred.v1.Access/";

impl AccessApi {
    async fn validate(&self, request: &pb::CreateKeyRequest) -> Result<Caller, Status> {
        let mut violations = FieldViolations::new();
        let name = request.name.trim();
        if name.chars().count() > 200 {
            violations.add("name", "must be at most 200 characters");
        }
        let role = Role::from_pb(request.role);
        match role {
            None => violations.add("role", "is required: admin, adviser, firm or agency"),
            Some(Role::Service) => violations.add(
                "role",
                "service credentials are configured, not issued as keys",
            ),
            Some(_) => {}
        }
        let mut territory = Vec::new();
        if role == Some(Role::Adviser) {
            if request.territory.is_empty() {
                violations.add(
                    "territory",
                    "an adviser key needs at least one region (FR-32, ES-AR, …)",
                );
            }
            for (index, zone) in request.territory.iter().enumerate() {
                match IsoRegion::parse(zone) {
                    Ok(region) => territory.push(region.as_str().to_owned()),
                    Err(error) => violations.add(format!("territory[{index}]"), error),
                }
            }
        } else if !request.territory.is_empty() {
            violations.add("territory", "only adviser keys have a territory");
        }
        if role == Some(Role::Firm) {
            if request.company_id.trim().is_empty() {
                violations.add("company_id", "a firm key needs its company's id");
            } else if !(self.company_exists)(request.company_id.trim().to_owned()).await {
                violations.add("company_id", "no such company");
            }
        } else if !request.company_id.is_empty() {
            violations.add("company_id", "only firm keys name a company");
        }
        let source = request.source.trim();
        if role == Some(Role::Agency) {
            if source.is_empty()
                || source.len() > 64
                || !source
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            {
                violations.add(
                    "source",
                    "an agency key needs its publisher code (lowercase letters, digits, - or _)",
                );
            }
        } else if !source.is_empty() {
            violations.add("source", "only agency keys name a source");
        }
        violations
            .into_result()
            .map_err(|invalid| invalid.to_status())?;
        Ok(Caller {
            key_id: String::new(),
            name: name.to_owned(),
            role: role.unwrap_or(Role::Firm),
            territory,
            company_id: request.company_id.trim().to_owned(),
            source: source.to_owned(),
        })
    }
}

#[tonic::async_trait]
impl Access for AccessApi {
    async fn create_key(
        &self,
        request: Request<pb::CreateKeyRequest>,
    ) -> Result<Response<pb::IssuedKey>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[], "manage keys")?;
        let result = async {
            let holder = self.validate(request.get_ref()).await?;
            let (record, secret) = self.store.create(holder).await.map_err(status)?;
            Ok(pb::IssuedKey {
                key: Some(to_pb(&record)),
                secret: secret.expose().to_owned(),
            })
        }
        .await;
        let object = result
            .as_ref()
            .ok()
            .and_then(|issued| issued.key.as_ref())
            .map_or_else(|| "key/".to_owned(), |key| format!("key/{}", key.id));
        self.audit
            .record(&caller, &format!("{ACCESS}CreateKey"), &object, &result)
            .await;
        result.map(Response::new)
    }

    async fn list_keys(
        &self,
        request: Request<pb::ListKeysRequest>,
    ) -> Result<Response<pb::ListKeysResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[], "list keys")?;
        let keys = self
            .store
            .list(request.get_ref().include_revoked)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListKeysResponse {
            keys: keys.iter().map(to_pb).collect(),
        }))
    }

    async fn rotate_key(
        &self,
        request: Request<pb::RotateKeyRequest>,
    ) -> Result<Response<pb::IssuedKey>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[], "manage keys")?;
        let id = request.get_ref().id.trim().to_owned();
        let result = self
            .store
            .rotate(&id)
            .await
            .map_err(status)
            .map(|(record, secret)| pb::IssuedKey {
                key: Some(to_pb(&record)),
                secret: secret.expose().to_owned(),
            });
        self.audit
            .record(
                &caller,
                &format!("{ACCESS}RotateKey"),
                &format!("key/{id}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    async fn revoke_key(
        &self,
        request: Request<pb::RevokeKeyRequest>,
    ) -> Result<Response<pb::ApiKey>, Status> {
        let caller = Caller::of(&request)?;
        caller.require(&[], "manage keys")?;
        let id = request.get_ref().id.trim().to_owned();
        let result = self
            .store
            .revoke(&id)
            .await
            .map_err(status)
            .map(|r| to_pb(&r));
        self.audit
            .record(
                &caller,
                &format!("{ACCESS}RevokeKey"),
                &format!("key/{id}"),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    async fn who_am_i(
        &self,
        request: Request<pb::WhoAmIRequest>,
    ) -> Result<Response<pb::Caller>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(pb::Caller {
            key: Some(caller.to_pb()),
        }))
    }

    async fn authenticate(
        &self,
        request: Request<pb::AuthenticateRequest>,
    ) -> Result<Response<pb::Caller>, Status> {
        let caller = Caller::of(&request)?;
        if caller.role != Role::Service {
            return Err(Status::permission_denied(
                "only Pyred services may introspect keys",
            ));
        }
        match self
            .store
            .verify(&request.get_ref().key)
            .await
            .map_err(status)?
        {
            Some(holder) => Ok(Response::new(pb::Caller {
                key: Some(holder.to_pb()),
            })),
            None => Err(Status::unauthenticated("unknown or revoked API key")),
        }
    }
}

/// A service's audit log over gRPC.
#[derive(Debug, Clone)]
pub struct AuditApi {
    log: AuditLog,
}

impl AuditApi {
    /// Serves `log`.
    pub fn new(log: AuditLog) -> Self {
        Self { log }
    }
}

#[tonic::async_trait]
impl Audit for AuditApi {
    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let caller = Caller::of(&request)?;
        if caller.role != Role::Admin {
            return Err(Status::permission_denied(
                "only an admin may read the audit log",
            ));
        }
        let events = self.log.list(request.get_ref()).await.map_err(|error| {
            tracing::error!(%error, "audit log");
            Status::unavailable("audit log unavailable")
        })?;
        Ok(Response::new(pb::ListAuditEventsResponse { events }))
    }
}
