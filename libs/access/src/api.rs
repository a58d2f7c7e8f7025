//! The `pyred.v1.Access` service (keys and organisations; served by the registry, which
//! holds them) and the `pyred.v1.Audit` service (served by every service over its own log).

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
use crate::caller::{Caller, Role, territory_covers};
use crate::organisation::{self, Organisation, OrganisationError, valid_source};
use crate::store::{KeyError, KeyRecord, KeyStore, Language};

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
        email: record.email.clone(),
        language: record.language.as_str().to_owned(),
        ..record.caller.to_pb()
    }
}

/// `PermissionDenied` unless the caller is an admin: issuing, rotating and revoking keys
/// is for people, never for a service token (a stolen service token must not mint keys).
fn require_admin(caller: &Caller, what: &str) -> Result<(), Status> {
    if caller.role == Role::Admin {
        Ok(())
    } else {
        Err(Status::permission_denied(format!(
            "a {} key may not {what}",
            caller.role.as_str()
        )))
    }
}

/// The longest address SMTP can carry (RFC 5321's 256-byte path less its brackets).
const EMAIL_MAX_BYTES: usize = 254;

/// A plausible e-mail address, trimmed and lowercase, or why not. Deliverability is the
/// mail relay's business; this catches typos and pasted junk before they are stored.
pub(crate) fn parse_email(text: &str) -> Result<String, &'static str> {
    let email = text.trim().to_lowercase();
    if email.len() > EMAIL_MAX_BYTES {
        return Err("must be at most 254 bytes");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("must be an address such as marie@cci-gers.fr (no @)");
    };
    if domain.contains('@') {
        return Err("must contain exactly one @");
    }
    if local.is_empty() {
        return Err("needs a name before the @");
    }
    let labels_ok = domain.split('.').all(|label| !label.is_empty());
    if !domain.contains('.') || !labels_ok {
        return Err("needs a domain with a dot after the @ (cci-gers.fr)");
    }
    Ok(email)
}

/// What `validate` makes of a `CreateKeyRequest`.
struct NewKey {
    holder: Caller,
    email: String,
    language: Language,
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

fn organisation_status(error: OrganisationError) -> Status {
    match error {
        OrganisationError::AlreadyExists(_) => Status::already_exists(error.to_string()),
        OrganisationError::NotFound(_) => Status::not_found(error.to_string()),
        OrganisationError::VersionConflict { .. } => Status::failed_precondition(error.to_string()),
        OrganisationError::Database(error) => {
            tracing::error!(%error, "organisation store");
            Status::unavailable("key store unavailable")
        }
    }
}

const ACCESS: &str = "pyred.v1.Access/";

/// An adviser key's territory: the regions given, each within the organisation's
/// territory when the key names one; the organisation's when none is given.
fn adviser_territory(
    request: &pb::CreateKeyRequest,
    organisation: Option<&Organisation>,
    violations: &mut FieldViolations,
) -> Vec<String> {
    if request.territory.is_empty() {
        if let Some(organisation) = organisation {
            return organisation.territory.clone();
        }
        if request.organisation.trim().is_empty() {
            violations.add(
                "territory",
                "an adviser key needs at least one region (FR-32, ES-AR, …)",
            );
        }
        return Vec::new();
    }
    let mut territory = Vec::new();
    for (index, zone) in request.territory.iter().enumerate() {
        match IsoRegion::parse(zone) {
            Ok(region) => {
                let outside =
                    organisation.filter(|o| !territory_covers(&o.territory, region.as_str()));
                if let Some(organisation) = outside {
                    violations.add(
                        format!("territory[{index}]"),
                        format!(
                            "{} is outside the territory of {} ({})",
                            region.as_str(),
                            organisation.id,
                            organisation.territory.join(", ")
                        ),
                    );
                }
                territory.push(region.as_str().to_owned());
            }
            Err(error) => violations.add(format!("territory[{index}]"), error),
        }
    }
    territory
}

impl AccessApi {
    /// The organisation a `CreateKeyRequest` names: only an adviser key may name one, and
    /// it must exist (else a violation on `organisation`).
    async fn key_organisation(
        &self,
        request: &pb::CreateKeyRequest,
        role: Option<Role>,
        violations: &mut FieldViolations,
    ) -> Result<Option<Organisation>, Status> {
        let id = request.organisation.trim();
        if id.is_empty() {
            return Ok(None);
        }
        if role != Some(Role::Adviser) {
            violations.add("organisation", "only adviser keys name an organisation");
            return Ok(None);
        }
        let found = self
            .store
            .organisation(id)
            .await
            .map_err(organisation_status)?;
        if found.is_none() {
            violations.add("organisation", "no such organisation");
        }
        Ok(found)
    }

    /// `UpdateOrganisation` after the role check: validate, find, keep the country, store.
    async fn change_organisation(&self, input: &pb::Organisation) -> Result<Organisation, Status> {
        let changed =
            organisation::validate(input, "organisation").map_err(|invalid| invalid.to_status())?;
        let Some(stored) = self
            .store
            .organisation(&changed.id)
            .await
            .map_err(organisation_status)?
        else {
            return Err(organisation_status(OrganisationError::NotFound(changed.id)));
        };
        if stored.country != changed.country {
            return Err(pyred_runtime::error::InvalidInput::single(
                "organisation.country",
                format!(
                    "cannot change ({} was created in {})",
                    stored.id, stored.country
                ),
            )
            .to_status());
        }
        self.store
            .update_organisation(changed)
            .await
            .map_err(organisation_status)
    }

    async fn validate(&self, request: &pb::CreateKeyRequest) -> Result<NewKey, Status> {
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
        let organisation = self
            .key_organisation(request, role, &mut violations)
            .await?;
        let mut territory = Vec::new();
        if role == Some(Role::Adviser) {
            territory = adviser_territory(request, organisation.as_ref(), &mut violations);
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
            if !valid_source(source) {
                violations.add(
                    "source",
                    "an agency key needs its publisher code (lowercase letters, digits, - or _)",
                );
            }
        } else if !source.is_empty() {
            violations.add("source", "only agency keys name a source");
        }
        // Any role may carry an address: advisers get the daily digest; a firm's or an
        // agency's address can serve later notices.
        let email = if request.email.trim().is_empty() {
            String::new()
        } else {
            parse_email(&request.email).unwrap_or_else(|reason| {
                violations.add("email", reason);
                String::new()
            })
        };
        let language = if request.language.trim().is_empty() {
            Language::default()
        } else {
            Language::parse(&request.language).unwrap_or_else(|| {
                violations.add("language", "must be fr, es or en");
                Language::default()
            })
        };
        violations
            .into_result()
            .map_err(|invalid| invalid.to_status())?;
        Ok(NewKey {
            holder: Caller {
                key_id: String::new(),
                name: name.to_owned(),
                role: role.unwrap_or(Role::Firm),
                territory,
                company_id: request.company_id.trim().to_owned(),
                source: source.to_owned(),
                organisation: organisation.map(|o| o.id).unwrap_or_default(),
            },
            email,
            language,
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
        require_admin(&caller, "manage keys")?;
        let result = async {
            let new = self.validate(request.get_ref()).await?;
            let (record, secret) = self
                .store
                .create(new.holder, new.email, new.language)
                .await
                .map_err(status)?;
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
        // Admins, and Pyred services with the service token (matchmaking's digests read
        // the advisers' addresses and languages here). No secret is ever listed.
        if !matches!(caller.role, Role::Admin | Role::Service) {
            return Err(Status::permission_denied(format!(
                "a {} key may not list keys",
                caller.role.as_str()
            )));
        }
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
        require_admin(&caller, "manage keys")?;
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
        require_admin(&caller, "manage keys")?;
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

    async fn create_organisation(
        &self,
        request: Request<pb::CreateOrganisationRequest>,
    ) -> Result<Response<pb::Organisation>, Status> {
        let caller = Caller::of(&request)?;
        require_admin(&caller, "manage organisations")?;
        let input = request.into_inner().organisation.unwrap_or_default();
        let result = async {
            let new = organisation::validate(&input, "organisation")
                .map_err(|invalid| invalid.to_status())?;
            self.store
                .create_organisation(new)
                .await
                .map_err(organisation_status)
        }
        .await
        .map(|stored| stored.to_pb());
        self.audit
            .record(
                &caller,
                &format!("{ACCESS}CreateOrganisation"),
                &format!("organisation/{}", input.id.trim()),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    async fn update_organisation(
        &self,
        request: Request<pb::UpdateOrganisationRequest>,
    ) -> Result<Response<pb::Organisation>, Status> {
        let caller = Caller::of(&request)?;
        require_admin(&caller, "manage organisations")?;
        let input = request.into_inner().organisation.unwrap_or_default();
        let result = self
            .change_organisation(&input)
            .await
            .map(|stored| stored.to_pb());
        self.audit
            .record(
                &caller,
                &format!("{ACCESS}UpdateOrganisation"),
                &format!("organisation/{}", input.id.trim()),
                &result,
            )
            .await;
        result.map(Response::new)
    }

    async fn list_organisations(
        &self,
        request: Request<pb::ListOrganisationsRequest>,
    ) -> Result<Response<pb::ListOrganisationsResponse>, Status> {
        // Any authenticated caller: the directory advisers pick a case's other side from
        // (names, territories, followed sources, the announcement address; no keys).
        Caller::of(&request)?;
        let organisations = self
            .store
            .organisations()
            .await
            .map_err(organisation_status)?;
        Ok(Response::new(pb::ListOrganisationsResponse {
            organisations: organisations.iter().map(Organisation::to_pb).collect(),
        }))
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
