//! The authenticated caller of an RPC: its key, role and scope, and the checks a handler
//! makes against the object it is about to touch.
//!
//! Scopes: an admin and a service see everything; an adviser sees the firms of their
//! territory (ISO 3166-2 regions; a region also covers its provinces/departments) and
//! public listings; a firm sees its own company and public listings; an agency sees the
//! listings of its own source. A handler answers `NotFound` for an object outside the
//! caller's scope whenever `PermissionDenied` would reveal that the object exists.

use pyred_proto::v1 as pb;
use tonic::Status;

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, keys and audit included.
    Admin,
    /// A chamber adviser.
    Adviser,
    /// A firm (partner API).
    Firm,
    /// A publishing agency.
    Agency,
    /// Another Pyred service.
    Service,
}

impl Role {
    /// The name stored and shown (`admin`, `adviser`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Adviser => "adviser",
            Self::Firm => "firm",
            Self::Agency => "agency",
            Self::Service => "service",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "admin" => Self::Admin,
            "adviser" => Self::Adviser,
            "firm" => Self::Firm,
            "agency" => Self::Agency,
            "service" => Self::Service,
            _ => return None,
        })
    }

    /// The protobuf enum value.
    pub fn to_pb(self) -> pb::Role {
        match self {
            Self::Admin => pb::Role::Admin,
            Self::Adviser => pb::Role::Adviser,
            Self::Firm => pb::Role::Firm,
            Self::Agency => pb::Role::Agency,
            Self::Service => pb::Role::Service,
        }
    }

    /// From the protobuf enum value; `None` for unspecified or unknown.
    pub fn from_pb(value: i32) -> Option<Self> {
        match pb::Role::try_from(value).ok()? {
            pb::Role::Admin => Some(Self::Admin),
            pb::Role::Adviser => Some(Self::Adviser),
            pb::Role::Firm => Some(Self::Firm),
            pb::Role::Agency => Some(Self::Agency),
            pb::Role::Service => Some(Self::Service),
            pb::Role::Unspecified => None,
        }
    }
}

/// Listing states anyone authenticated may read: published, expired and fulfilled. A
/// draft (never published) and a withdrawn listing are seen only by their publisher,
/// admins and services (`docs/security.md`); the registry's reads and geo-search's
/// filter both follow this list.
pub const PUBLIC_OPPORTUNITY_STATUSES: [pb::OpportunityStatus; 3] = [
    pb::OpportunityStatus::Published,
    pb::OpportunityStatus::Expired,
    pb::OpportunityStatus::Fulfilled,
];

/// Whether a listing in `status` (a `pb::OpportunityStatus`) is public.
pub fn is_public_status(status: i32) -> bool {
    pb::OpportunityStatus::try_from(status).is_ok_and(|s| PUBLIC_OPPORTUNITY_STATUSES.contains(&s))
}

/// How much of a company a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyView {
    /// Everything, contact included.
    Full,
    /// The public fields (no contact): a public profile outside the caller's scope.
    Public,
    /// Nothing: it answers as if it did not exist.
    Hidden,
}

/// Whether `region` lies in `territory`: the domain's one rule, re-exported here where
/// callers' territories are read.
pub use pyred_domain::region::territory_covers;

/// A refusal for the caller's role: `PermissionDenied`, "a firm key may not …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {} key may not {what}", role.as_str())]
pub struct RoleRefused {
    /// The caller's role.
    pub role: Role,
    /// What it may not do ("create companies").
    pub what: String,
}

impl From<RoleRefused> for Status {
    fn from(refused: RoleRefused) -> Self {
        Status::permission_denied(refused.to_string())
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Key id (`service` for services, `anonymous` when authentication is off).
    pub key_id: String,
    /// The key's label.
    pub name: String,
    /// The role.
    pub role: Role,
    /// Adviser: regions of the territory.
    pub territory: Vec<String>,
    /// Firm: its company's id.
    pub company_id: String,
    /// Agency: its publisher code.
    pub source: String,
    /// Adviser: the organisation the adviser belongs to ("cci-gers"); empty when none.
    pub organisation: String,
}

impl Caller {
    /// Another Pyred service.
    pub fn service() -> Self {
        Self {
            key_id: "service".into(),
            name: "pyred service".into(),
            role: Role::Service,
            territory: Vec::new(),
            company_id: String::new(),
            source: String::new(),
            organisation: String::new(),
        }
    }

    /// Every caller when authentication is switched off.
    pub fn anonymous_admin() -> Self {
        Self {
            key_id: "anonymous".into(),
            name: "authentication disabled".into(),
            role: Role::Admin,
            territory: Vec::new(),
            company_id: String::new(),
            source: String::new(),
            organisation: String::new(),
        }
    }

    /// The caller the gate attached to `request`; `Unauthenticated` when none (a server
    /// without the gate).
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Self, Status> {
        request
            .extensions()
            .get::<Self>()
            .cloned()
            .ok_or_else(|| Status::unauthenticated("no credentials"))
    }

    /// Who did it, for workflow history: `Marie (key 3f2a…)`.
    pub fn actor(&self) -> String {
        if self.name.is_empty() {
            format!("key {}", self.key_id)
        } else {
            format!("{} (key {})", self.name, self.key_id)
        }
    }

    /// Admin or service: unrestricted.
    pub fn is_unrestricted(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Service)
    }

    /// Whether the caller's role is one of `roles` (admin and service always are).
    pub fn has_role(&self, roles: &[Role]) -> bool {
        self.is_unrestricted() || roles.contains(&self.role)
    }

    /// A [`RoleRefused`] (`PermissionDenied`) unless the role is one of `roles` (admin and
    /// service always are).
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), RoleRefused> {
        if self.has_role(roles) {
            Ok(())
        } else {
            Err(RoleRefused {
                role: self.role,
                what: what.to_owned(),
            })
        }
    }

    /// Whether `region` lies in the adviser's territory (a region covers its provinces).
    pub fn territory_covers(&self, region: &str) -> bool {
        territory_covers(&self.territory, region)
    }

    /// Whether [`Caller::sees_company`] depends on the company's region (an adviser's
    /// territory); for every other role the region may be left empty.
    pub fn sees_by_region(&self) -> bool {
        self.role == Role::Adviser
    }

    /// Whether the caller may see the company (`id`, `region`) at all.
    pub fn sees_company(&self, id: &str, region: &str) -> bool {
        match self.role {
            Role::Admin | Role::Service => true,
            Role::Adviser => self.territory_covers(region),
            Role::Firm => self.company_id == id,
            Role::Agency => false,
        }
    }

    /// How much of the company (`id`, `region`, `public` visibility) the caller may see.
    pub fn company_view(&self, id: &str, region: &str, public: bool) -> CompanyView {
        if self.sees_company(id, region) {
            CompanyView::Full
        } else if public && matches!(self.role, Role::Adviser | Role::Firm) {
            CompanyView::Public
        } else {
            CompanyView::Hidden
        }
    }

    /// How much of `company` the caller may see: the one reading of a stored company's id,
    /// region and visibility every service applies.
    pub fn view_of_company(&self, company: &pb::Company) -> CompanyView {
        let public = company.visibility == pb::Visibility::Public as i32;
        self.company_view(&company.id, &company.region, public)
    }

    /// Whether the caller may see a listing of `source` in this state.
    pub fn sees_opportunity(&self, source: &str, public: bool) -> bool {
        match self.role {
            Role::Admin | Role::Service => true,
            Role::Adviser | Role::Firm => public,
            Role::Agency => self.source == source,
        }
    }

    /// Whether the caller may change a listing of `source`.
    pub fn manages_source(&self, source: &str) -> bool {
        match self.role {
            Role::Admin | Role::Service => true,
            Role::Agency => self.source == source,
            Role::Adviser | Role::Firm => false,
        }
    }

    /// The protobuf description (no secret: there is none here).
    pub fn to_pb(&self) -> pb::ApiKey {
        pb::ApiKey {
            id: self.key_id.clone(),
            name: self.name.clone(),
            role: self.role.to_pb() as i32,
            territory: self.territory.clone(),
            company_id: self.company_id.clone(),
            source: self.source.clone(),
            organisation: self.organisation.clone(),
            ..pb::ApiKey::default()
        }
    }

    /// From the protobuf description.
    pub fn from_pb(key: &pb::ApiKey) -> Option<Self> {
        Some(Self {
            key_id: key.id.clone(),
            name: key.name.clone(),
            role: Role::from_pb(key.role)?,
            territory: key.territory.clone(),
            company_id: key.company_id.clone(),
            source: key.source.clone(),
            organisation: key.organisation.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adviser(territory: &[&str]) -> Caller {
        Caller {
            key_id: "k1".into(),
            name: "Marie".into(),
            role: Role::Adviser,
            territory: territory.iter().map(|t| (*t).to_owned()).collect(),
            company_id: String::new(),
            source: String::new(),
            organisation: String::new(),
        }
    }

    #[test]
    fn a_region_covers_its_provinces_but_not_its_neighbours() {
        let aragon = adviser(&["ES-AR"]);
        assert!(aragon.territory_covers("ES-Z"));
        assert!(aragon.territory_covers("ES-AR"));
        assert!(!aragon.territory_covers("ES-LO"));
        assert!(!aragon.territory_covers("FR-32"));
        let gers = adviser(&["FR-32"]);
        assert!(gers.sees_company("c1", "FR-32"));
        assert!(!gers.sees_company("c1", "ES-Z"));
    }

    #[test]
    fn firms_see_themselves_and_agencies_their_source() {
        let mut firm = adviser(&[]);
        firm.role = Role::Firm;
        firm.company_id = "c1".into();
        assert!(firm.sees_company("c1", "FR-32"));
        assert!(!firm.sees_company("c2", "FR-32"));
        assert_eq!(firm.company_view("c2", "FR-32", true), CompanyView::Public);
        assert_eq!(firm.company_view("c2", "FR-32", false), CompanyView::Hidden);
        assert_eq!(firm.company_view("c1", "FR-32", false), CompanyView::Full);
        assert!(firm.sees_opportunity("arex", true));
        assert!(!firm.sees_opportunity("arex", false));
        let mut agency = adviser(&[]);
        agency.role = Role::Agency;
        agency.source = "arex".into();
        assert_eq!(
            agency.company_view("c2", "FR-32", true),
            CompanyView::Hidden
        );
        assert!(agency.sees_opportunity("arex", false));
        assert!(!agency.sees_opportunity("ader", true));
        assert!(agency.manages_source("arex"));
        assert!(!agency.manages_source("ader"));
        assert_eq!(
            Status::from(
                agency
                    .require(&[Role::Adviser], "list companies")
                    .expect_err("refused")
            )
            .message(),
            "a agency key may not list companies"
        );
        assert!(Caller::service().require(&[], "anything").is_ok());
    }

    #[test]
    fn a_company_is_viewed_by_its_visibility() {
        let gers = adviser(&["FR-32"]);
        let mut company = pb::Company {
            id: "c1".into(),
            region: "ES-Z".into(),
            visibility: pb::Visibility::Public as i32,
            ..pb::Company::default()
        };
        assert_eq!(gers.view_of_company(&company), CompanyView::Public);
        company.visibility = pb::Visibility::Unspecified as i32;
        assert_eq!(gers.view_of_company(&company), CompanyView::Hidden);
        company.region = "FR-32".into();
        assert_eq!(gers.view_of_company(&company), CompanyView::Full);
        assert!(gers.sees_by_region());
        assert!(!Caller::service().sees_by_region());
    }

    #[test]
    fn roles_round_trip() {
        for role in [
            Role::Admin,
            Role::Adviser,
            Role::Firm,
            Role::Agency,
            Role::Service,
        ] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(Role::from_pb(role.to_pb() as i32), Some(role));
        }
        assert_eq!(Role::from_pb(0), None);
    }
}
