//! The JSON shapes of the partner API and their conversions to and from `pyred.v1`.
//!
//! Field names are the proto's; enums are lowercase words (`business_request`,
//! `advisers_only`); dates are `YYYY-MM-DD`; timestamps RFC 3339 in UTC. Output-only
//! fields (`id`, `version`, `status`, `withdrawal_reason`, `nace`, timestamps) are
//! accepted on input and ignored, so a read object can be sent back as is.

use pyred_proto::v1 as pb;
use serde::{Deserialize, Serialize};

// ----- enums -----

macro_rules! json_enum {
    ($(#[$doc:meta])* $name:ident : $pb:ty { $($variant:ident = $text:literal => $pbv:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name {
            $(
                #[doc = $text]
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every value as written in JSON.
            pub const ALL: &[&str] = &[$($text),+];

            /// From the proto enum's number; `None` when unspecified or unknown.
            pub fn from_pb(value: i32) -> Option<Self> {
                match <$pb>::try_from(value).ok()? {
                    $(<$pb>::$pbv => Some(Self::$variant),)+
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }

            /// The proto enum's number.
            pub fn to_pb(self) -> i32 {
                match self {
                    $(Self::$variant => <$pb>::$pbv as i32,)+
                }
            }

            /// The JSON word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// Parses the JSON word.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

json_enum!(
    /// Language of a text.
    LanguageJson: pb::Language { Fr = "fr" => Fr, Es = "es" => Es }
);
json_enum!(
    /// What a listing offers or asks for.
    KindJson: pb::OpportunityKind {
        BusinessOffer = "business_offer" => BusinessOffer,
        BusinessRequest = "business_request" => BusinessRequest,
        Partnership = "partnership" => Partnership,
        Tender = "tender" => Tender,
        TechnologyOffer = "technology_offer" => TechnologyOffer,
        TechnologyRequest = "technology_request" => TechnologyRequest,
    }
);
json_enum!(
    /// Lifecycle status of a listing.
    OpportunityStatusJson: pb::OpportunityStatus {
        Draft = "draft" => Draft,
        Published = "published" => Published,
        Expired = "expired" => Expired,
        Withdrawn = "withdrawn" => Withdrawn,
        Fulfilled = "fulfilled" => Fulfilled,
    }
);
json_enum!(
    /// Who may see a profile.
    VisibilityJson: pb::Visibility { Public = "public" => Public, AdvisersOnly = "advisers_only" => AdvisersOnly }
);
json_enum!(
    /// Scheme of a legal identifier.
    SchemeJson: pb::LegalIdScheme {
        Siren = "siren" => Siren,
        Siret = "siret" => Siret,
        Nif = "nif" => Nif,
        Other = "other" => Other,
    }
);
json_enum!(
    /// Where an adviser stands with a lead.
    MatchStatusJson: pb::MatchStatus {
        Proposed = "proposed" => Proposed,
        Shortlisted = "shortlisted" => Shortlisted,
        Contacted = "contacted" => Contacted,
        Meeting = "meeting" => Meeting,
        Won = "won" => Won,
        Lost = "lost" => Lost,
        Dismissed = "dismissed" => Dismissed,
    }
);
json_enum!(
    /// A lifecycle transition.
    StatusChangeJson: pb::StatusChange {
        Publish = "publish" => Publish,
        Withdraw = "withdraw" => Withdraw,
        Fulfil = "fulfil" => Fulfil,
        Extend = "extend" => Extend,
    }
);
json_enum!(
    /// Procedure type of a public tender.
    ProcedureJson: pb::ProcedureType {
        Open = "open" => Open,
        OpenSimplified = "open_simplified" => OpenSimplified,
        Restricted = "restricted" => Restricted,
        NegotiatedWithPublication = "negotiated_with_publication" => NegotiatedWithPublication,
        NegotiatedWithoutPublication = "negotiated_without_publication" => NegotiatedWithoutPublication,
        CompetitiveDialogue = "competitive_dialogue" => CompetitiveDialogue,
        InnovationPartnership = "innovation_partnership" => InnovationPartnership,
        DesignContest = "design_contest" => DesignContest,
        FrameworkDerived = "framework_derived" => FrameworkDerived,
        DynamicPurchasingSystem = "dynamic_purchasing_system" => DynamicPurchasingSystem,
        NegotiatedTender = "negotiated_tender" => NegotiatedTender,
        Minor = "minor" => Minor,
        InternalRules = "internal_rules" => InternalRules,
        Other = "other" => Other,
    }
);
json_enum!(
    /// Where a public tender stands in its publisher's workflow.
    TenderStageJson: pb::TenderStage {
        PriorNotice = "prior_notice" => PriorNotice,
        Open = "open" => Open,
        Evaluation = "evaluation" => Evaluation,
        Awarded = "awarded" => Awarded,
        Resolved = "resolved" => Resolved,
        Cancelled = "cancelled" => Cancelled,
    }
);
json_enum!(
    /// Contract type of a public tender.
    ContractTypeJson: pb::ContractType {
        Supplies = "supplies" => Supplies,
        Services = "services" => Services,
        Works = "works" => Works,
        ServicesConcession = "services_concession" => ServicesConcession,
        WorksConcession = "works_concession" => WorksConcession,
        Combined = "combined" => Combined,
        Other = "other" => Other,
    }
);
json_enum!(
    /// Which kind of record.
    EntityJson: pb::EntityKind { Company = "company" => Company, Opportunity = "opportunity" => Opportunity }
);

// ----- dates -----

/// `YYYY-MM-DD` of a proto date.
pub fn date_text(date: &pb::Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

/// A proto date from `YYYY-MM-DD`, only when that calendar day exists (`2024-13-01` and
/// `2023-02-29` are refused here, as the OpenAPI `format: date` says, before any call).
pub fn parse_date(text: &str) -> Option<pb::Date> {
    pyred_domain::Day::parse(text).ok().map(pb::Date::from)
}

/// Today (UTC) as a proto date, shifted by `offset_days`.
pub fn today_plus(offset_days: i64) -> pb::Date {
    let today = pyred_domain::Day::today();
    pb::Date::from(today.plus_days(offset_days).unwrap_or(today))
}

/// RFC 3339 (UTC, seconds) of a protobuf timestamp; empty for one outside the calendar
/// the services keep (years 1900–2200), which no service writes.
pub fn timestamp_text(timestamp: &prost_types::Timestamp) -> String {
    pyred_domain::utc_text(timestamp.seconds).unwrap_or_default()
}

fn opt_date(date: Option<&pb::Date>) -> Option<String> {
    date.map(date_text)
}

fn opt_time(timestamp: Option<&prost_types::Timestamp>) -> Option<String> {
    timestamp.map(timestamp_text)
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

// ----- companies -----

/// A legal identifier.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LegalIdJson {
    /// Scheme; inferred from the country when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<SchemeJson>,
    /// The identifier, any usual format on input, compact on output.
    pub value: String,
    /// Formatted for display; output only.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display: String,
}

/// A point and its place.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocationJson {
    /// Latitude (WGS84); absent takes the place's point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude (WGS84).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// INSEE or INE code.
    pub place_code: String,
    /// Name of the place; filled in by the registry.
    pub place_name: String,
}

/// A person to contact.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactJson {
    /// Full name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Phone number.
    pub phone: String,
}

/// A firm.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompanyJson {
    /// Registry id; output only.
    pub id: String,
    /// Publisher of the record.
    pub source: String,
    /// The publisher's identifier.
    pub external_id: String,
    /// Trading name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// SIRET/SIREN or NIF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_id: Option<LegalIdJson>,
    /// Activity codes as given (NACE, NAF or CNAE).
    pub activities: Vec<String>,
    /// NACE classes of the activities; output only.
    pub nace: Vec<String>,
    /// Language of the texts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageJson>,
    /// What the firm is and does.
    pub description: String,
    /// What it can provide.
    pub offers: String,
    /// What it looks for.
    pub seeks: String,
    /// Where it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationJson>,
    /// ISO 3166-2 region.
    pub region: String,
    /// Headcount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employees: Option<i32>,
    /// Working languages (ISO 639-1).
    pub languages: Vec<String>,
    /// Contact: shown only to callers allowed to see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactJson>,
    /// Who may see the profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<VisibilityJson>,
    /// Service radius, km.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_radius_km: Option<f64>,
    /// Service radius in hours of driving (more than 0, at most 24).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_radius_hours: Option<f64>,
    /// Version; output only.
    #[serde(skip_serializing_if = "is_zero")]
    pub version: i64,
    /// Creation time; output only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last change; output only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

fn location_json(location: &pb::Location) -> LocationJson {
    LocationJson {
        lat: location.lat,
        lon: location.lon,
        place_code: location.place_code.clone(),
        place_name: location.place_name.clone(),
    }
}

fn location_pb(location: &LocationJson) -> pb::Location {
    pb::Location {
        lat: location.lat,
        lon: location.lon,
        place_code: location.place_code.clone(),
        place_name: location.place_name.clone(),
    }
}

fn activities_pb(codes: &[String]) -> Vec<pb::ActivityCode> {
    codes
        .iter()
        .map(|code| pb::ActivityCode {
            nace: String::new(),
            given: code.clone(),
        })
        .collect()
}

impl From<&pb::Company> for CompanyJson {
    fn from(company: &pb::Company) -> Self {
        Self {
            id: company.id.clone(),
            source: company.source.clone(),
            external_id: company.external_id.clone(),
            name: company.name.clone(),
            country: company.country.clone(),
            legal_id: company.legal_id.as_ref().map(|id| LegalIdJson {
                scheme: SchemeJson::from_pb(id.scheme),
                value: id.value.clone(),
                display: id.display.clone(),
            }),
            activities: company.activities.iter().map(|a| a.given.clone()).collect(),
            nace: company.activities.iter().map(|a| a.nace.clone()).collect(),
            language: LanguageJson::from_pb(company.language),
            description: company.description.clone(),
            offers: company.offers.clone(),
            seeks: company.seeks.clone(),
            location: company.location.as_ref().map(location_json),
            region: company.region.clone(),
            employees: company.employees,
            languages: company.languages.clone(),
            contact: company.contact.as_ref().map(|contact| ContactJson {
                name: contact.name.clone(),
                email: contact.email.clone(),
                phone: contact.phone.clone(),
            }),
            visibility: VisibilityJson::from_pb(company.visibility),
            service_radius_km: company.service_radius_km,
            service_radius_hours: company.service_radius_hours,
            version: company.version,
            created_at: opt_time(company.created_at.as_ref()),
            updated_at: opt_time(company.updated_at.as_ref()),
        }
    }
}

impl CompanyJson {
    /// The proto message (output-only fields left out).
    pub fn to_pb(&self) -> pb::Company {
        pb::Company {
            id: String::new(),
            source: self.source.clone(),
            external_id: self.external_id.clone(),
            name: self.name.clone(),
            country: self.country.clone(),
            legal_id: self.legal_id.as_ref().map(|id| pb::LegalId {
                scheme: id.scheme.map(SchemeJson::to_pb).unwrap_or_default(),
                value: id.value.clone(),
                display: String::new(),
            }),
            activities: activities_pb(&self.activities),
            language: self.language.map(LanguageJson::to_pb).unwrap_or_default(),
            description: self.description.clone(),
            offers: self.offers.clone(),
            seeks: self.seeks.clone(),
            location: self.location.as_ref().map(location_pb),
            region: self.region.clone(),
            employees: self.employees,
            languages: self.languages.clone(),
            contact: self.contact.as_ref().map(|contact| pb::Contact {
                name: contact.name.clone(),
                email: contact.email.clone(),
                phone: contact.phone.clone(),
            }),
            visibility: self
                .visibility
                .map(VisibilityJson::to_pb)
                .unwrap_or_default(),
            service_radius_km: self.service_radius_km,
            service_radius_hours: self.service_radius_hours,
            ..Default::default()
        }
    }
}

// ----- opportunities -----

/// The contracting body of a public tender.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BuyerJson {
    /// Name ("Ayuntamiento de Zaragoza").
    pub name: String,
    /// Tax id (NIF) or other national registration number.
    pub nif: String,
    /// DIR3 code of the Spanish administration directory.
    pub dir3: String,
}

/// One lot of a public tender.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotJson {
    /// Lot number or identifier as published ("1", "LOT-0001"); required.
    pub id: String,
    /// Lot title.
    #[serde(default)]
    pub title: String,
    /// CPV codes of the lot.
    #[serde(default)]
    pub cpv: Vec<String>,
    /// Budget without taxes, euros.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_eur: Option<f64>,
}

/// A listing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpportunityJson {
    /// Registry id; output only.
    pub id: String,
    /// Publishing agency or chamber.
    pub source: String,
    /// The publisher's identifier.
    pub external_id: String,
    /// What it offers or asks for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<KindJson>,
    /// Title.
    pub title: String,
    /// Full text.
    pub description: String,
    /// Language of title and description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageJson>,
    /// Activity codes as given.
    pub activities: Vec<String>,
    /// NACE classes; output only.
    pub nace: Vec<String>,
    /// CPV codes.
    pub cpv: Vec<String>,
    /// Where it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationJson>,
    /// ISO 3166-2 region.
    pub region: String,
    /// Publication date, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Deadline, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Budget in euros.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_eur: Option<f64>,
    /// Status; output only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OpportunityStatusJson>,
    /// The publisher's version.
    pub source_version: i64,
    /// Version; output only.
    #[serde(skip_serializing_if = "is_zero")]
    pub version: i64,
    /// Creation time; output only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last change; output only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Day after which it has expired; output only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    /// Contracting body of a tender (who buys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer: Option<BuyerJson>,
    /// Link to the official notice (http or https).
    pub official_url: String,
    /// Procedure type of a tender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<ProcedureJson>,
    /// Lots of a tender, in the notice's order.
    pub lots: Vec<LotJson>,
    /// Where a tender stands in its publisher's workflow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tender_stage: Option<TenderStageJson>,
    /// Why the publisher withdrew it; output only.
    pub withdrawal_reason: String,
    /// The place is the province's capital standing for an unknown municipality.
    pub location_approximate: bool,
    /// NUTS code of the place of performance ("ES243").
    pub nuts: String,
    /// Contract type of a tender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_type: Option<ContractTypeJson>,
}

impl From<&pb::ContractingBody> for BuyerJson {
    fn from(buyer: &pb::ContractingBody) -> Self {
        Self {
            name: buyer.name.clone(),
            nif: buyer.nif.clone(),
            dir3: buyer.dir3.clone(),
        }
    }
}

impl From<&pb::Lot> for LotJson {
    fn from(lot: &pb::Lot) -> Self {
        Self {
            id: lot.id.clone(),
            title: lot.title.clone(),
            cpv: lot.cpv.clone(),
            budget_eur: lot.budget_eur,
        }
    }
}

impl From<&pb::Opportunity> for OpportunityJson {
    fn from(opportunity: &pb::Opportunity) -> Self {
        Self {
            id: opportunity.id.clone(),
            source: opportunity.source.clone(),
            external_id: opportunity.external_id.clone(),
            kind: KindJson::from_pb(opportunity.kind),
            title: opportunity.title.clone(),
            description: opportunity.description.clone(),
            language: LanguageJson::from_pb(opportunity.language),
            activities: opportunity
                .activities
                .iter()
                .map(|a| a.given.clone())
                .collect(),
            nace: opportunity
                .activities
                .iter()
                .map(|a| a.nace.clone())
                .collect(),
            cpv: opportunity.cpv.clone(),
            location: opportunity.location.as_ref().map(location_json),
            region: opportunity.region.clone(),
            published: opt_date(opportunity.published.as_ref()),
            deadline: opt_date(opportunity.deadline.as_ref()),
            budget_eur: opportunity.budget_eur,
            status: OpportunityStatusJson::from_pb(opportunity.status),
            source_version: opportunity.source_version,
            version: opportunity.version,
            created_at: opt_time(opportunity.created_at.as_ref()),
            updated_at: opt_time(opportunity.updated_at.as_ref()),
            expires_on: opt_date(opportunity.expires_on.as_ref()),
            buyer: opportunity.buyer.as_ref().map(BuyerJson::from),
            official_url: opportunity.official_url.clone(),
            procedure: ProcedureJson::from_pb(opportunity.procedure),
            lots: opportunity.lots.iter().map(LotJson::from).collect(),
            tender_stage: TenderStageJson::from_pb(opportunity.tender_stage),
            withdrawal_reason: opportunity.withdrawal_reason.clone(),
            location_approximate: opportunity.location_approximate,
            nuts: opportunity.nuts.clone(),
            contract_type: ContractTypeJson::from_pb(opportunity.contract_type),
        }
    }
}

impl OpportunityJson {
    /// The proto message; a date that does not parse becomes a violation at `path.field`.
    pub fn to_pb(&self, path: &str) -> Result<pb::Opportunity, crate::error::ApiError> {
        let date = |field: &str, text: &Option<String>| match text {
            None => Ok(None),
            Some(text) => parse_date(text).map(Some).ok_or_else(|| {
                crate::error::ApiError::invalid(
                    format!("{path}.{field}"),
                    "is not a YYYY-MM-DD date",
                )
            }),
        };
        Ok(pb::Opportunity {
            source: self.source.clone(),
            external_id: self.external_id.clone(),
            kind: self.kind.map(KindJson::to_pb).unwrap_or_default(),
            title: self.title.clone(),
            description: self.description.clone(),
            language: self.language.map(LanguageJson::to_pb).unwrap_or_default(),
            activities: activities_pb(&self.activities),
            cpv: self.cpv.clone(),
            location: self.location.as_ref().map(location_pb),
            region: self.region.clone(),
            published: date("published", &self.published)?,
            deadline: date("deadline", &self.deadline)?,
            budget_eur: self.budget_eur,
            source_version: self.source_version,
            buyer: self.buyer.as_ref().map(|buyer| pb::ContractingBody {
                name: buyer.name.clone(),
                nif: buyer.nif.clone(),
                dir3: buyer.dir3.clone(),
            }),
            official_url: self.official_url.clone(),
            procedure: self.procedure.map(ProcedureJson::to_pb).unwrap_or_default(),
            lots: self
                .lots
                .iter()
                .map(|lot| pb::Lot {
                    id: lot.id.clone(),
                    title: lot.title.clone(),
                    cpv: lot.cpv.clone(),
                    budget_eur: lot.budget_eur,
                })
                .collect(),
            tender_stage: self
                .tender_stage
                .map(TenderStageJson::to_pb)
                .unwrap_or_default(),
            location_approximate: self.location_approximate,
            nuts: self.nuts.clone(),
            contract_type: self
                .contract_type
                .map(ContractTypeJson::to_pb)
                .unwrap_or_default(),
            ..Default::default()
        })
    }
}

// ----- matches -----

/// One reason of a match.
#[derive(Debug, Clone, Serialize)]
pub struct ReasonJson {
    /// Feature name.
    pub feature: String,
    /// Contribution to the score.
    pub contribution: f64,
    /// Explanation in French.
    pub text_fr: String,
    /// Explanation in Spanish.
    pub text_es: String,
}

/// A note on a match.
#[derive(Debug, Clone, Serialize)]
pub struct NoteJson {
    /// Who wrote it.
    pub author: String,
    /// The note.
    pub text: String,
    /// When.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// A scored, explained lead.
#[derive(Debug, Clone, Serialize)]
pub struct MatchJson {
    /// Match id.
    pub id: String,
    /// Firm id.
    pub company_id: String,
    /// Listing id.
    pub opportunity_id: String,
    /// Score, 0..1.
    pub score: f64,
    /// Reasons, strongest first.
    pub reasons: Vec<ReasonJson>,
    /// Workflow status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<MatchStatusJson>,
    /// Why it was dismissed.
    pub dismiss_reason: String,
    /// Notes, oldest first.
    pub notes: Vec<NoteJson>,
    /// Distance, km.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// The trip by road on the day the match was scored; absent when a place is
    /// unknown or the match predates trips.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub travel: Option<TravelJson>,
    /// Listing title.
    pub opportunity_title: String,
    /// Firm name.
    pub company_name: String,
    /// Version.
    pub version: i64,
    /// Last scored or changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A trip by road between a firm and a listing, through the Pyrenean crossings open that
/// day (typical speeds, no traffic).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TravelJson {
    /// Driving time, minutes.
    pub minutes: f64,
    /// Road distance, km.
    pub km: f64,
    /// The crossing used (`somport-tunnel`); empty when the trip stays in one country.
    pub crossing: String,
    /// The fastest crossing when it was closed that day; else empty.
    pub closed_crossing: String,
    /// The extra minutes of the detour around `closed_crossing`; else 0.
    pub detour_minutes: f64,
}

impl From<&pb::TravelLeg> for TravelJson {
    fn from(leg: &pb::TravelLeg) -> Self {
        Self {
            minutes: leg.minutes,
            km: leg.km,
            crossing: leg.crossing.clone(),
            closed_crossing: leg.closed_crossing.clone(),
            detour_minutes: leg.detour_minutes,
        }
    }
}

impl From<&pb::Match> for MatchJson {
    fn from(m: &pb::Match) -> Self {
        Self {
            id: m.id.clone(),
            company_id: m.company_id.clone(),
            opportunity_id: m.opportunity_id.clone(),
            score: m.score,
            reasons: m
                .reasons
                .iter()
                .map(|r| ReasonJson {
                    feature: r.feature.clone(),
                    contribution: r.contribution,
                    text_fr: r.text_fr.clone(),
                    text_es: r.text_es.clone(),
                })
                .collect(),
            status: MatchStatusJson::from_pb(m.status),
            dismiss_reason: m.dismiss_reason.clone(),
            notes: m
                .notes
                .iter()
                .map(|n| NoteJson {
                    author: n.author.clone(),
                    text: n.text.clone(),
                    created_at: opt_time(n.created_at.as_ref()),
                })
                .collect(),
            distance_km: m.distance_km,
            travel: m.travel.as_ref().map(TravelJson::from),
            opportunity_title: m.opportunity_title.clone(),
            company_name: m.company_name.clone(),
            version: m.version,
            updated_at: opt_time(m.updated_at.as_ref()),
        }
    }
}

// ----- search -----

/// A highlighted fragment.
#[derive(Debug, Clone, Serialize)]
pub struct SnippetJson {
    /// Field.
    pub field: String,
    /// Text.
    pub text: String,
    /// Byte ranges `[start, end)` to highlight.
    pub highlights: Vec<[i32; 2]>,
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct HitJson {
    /// Company or opportunity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<EntityJson>,
    /// Registry id.
    pub id: String,
    /// Relevance.
    pub score: f32,
    /// Distance, km.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// Name or title.
    pub title: String,
    /// Language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageJson>,
    /// Fragments.
    pub snippets: Vec<SnippetJson>,
    /// Place name.
    pub place_name: String,
    /// Region.
    pub region: String,
    /// Kind (listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<KindJson>,
    /// Deadline (listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Publication date (listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Status (listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OpportunityStatusJson>,
    /// Shared glossary concepts.
    pub matched_concepts: Vec<String>,
    /// Publisher.
    pub source: String,
    /// The contracting body's name (tenders).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub buyer_name: String,
    /// The publisher's own page for the listing.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub official_url: String,
    /// Where a tender stands in its publisher's workflow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tender_stage: Option<TenderStageJson>,
    /// Driving time from the travel centre, minutes (travel searches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub travel_minutes: Option<f64>,
    /// The Pyrenean crossing of that route, when it changes country (`somport-tunnel`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub crossing: String,
}

impl From<&pb::SearchHit> for HitJson {
    fn from(hit: &pb::SearchHit) -> Self {
        Self {
            entity: EntityJson::from_pb(hit.entity),
            id: hit.id.clone(),
            score: hit.score,
            distance_km: hit.distance_km,
            title: hit.title.clone(),
            language: LanguageJson::from_pb(hit.language),
            snippets: hit
                .snippets
                .iter()
                .map(|s| SnippetJson {
                    field: s.field.clone(),
                    text: s.text.clone(),
                    highlights: s.highlights.iter().map(|h| [h.start, h.end]).collect(),
                })
                .collect(),
            place_name: hit.place_name.clone(),
            region: hit.region.clone(),
            kind: KindJson::from_pb(hit.kind),
            deadline: opt_date(hit.deadline.as_ref()),
            published: opt_date(hit.published.as_ref()),
            status: OpportunityStatusJson::from_pb(hit.status),
            matched_concepts: hit.matched_concepts.clone(),
            source: hit.source.clone(),
            buyer_name: hit.buyer_name.clone(),
            official_url: hit.official_url.clone(),
            tender_stage: TenderStageJson::from_pb(hit.tender_stage),
            travel_minutes: hit.travel_minutes,
            crossing: hit.crossing.clone(),
        }
    }
}

/// A facet value and its count.
#[derive(Debug, Clone, Serialize)]
pub struct FacetJson {
    /// Value.
    pub value: String,
    /// Count.
    pub count: i64,
}

/// Facet counts.
#[derive(Debug, Clone, Serialize, Default)]
pub struct FacetsJson {
    /// Per region.
    pub regions: Vec<FacetJson>,
    /// Per kind.
    pub kinds: Vec<FacetJson>,
    /// Per NACE division.
    pub nace_divisions: Vec<FacetJson>,
    /// Per language.
    pub languages: Vec<FacetJson>,
}

fn facets(counts: &[pb::FacetCount]) -> Vec<FacetJson> {
    counts
        .iter()
        .map(|c| FacetJson {
            value: c.value.clone(),
            count: c.count,
        })
        .collect()
}

impl From<&pb::Facets> for FacetsJson {
    fn from(f: &pb::Facets) -> Self {
        Self {
            regions: facets(&f.regions),
            kinds: facets(&f.kinds),
            nace_divisions: facets(&f.nace_divisions),
            languages: facets(&f.languages),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_in_utc() {
        assert_eq!(
            timestamp_text(&prost_types::Timestamp {
                seconds: 1_795_000_000,
                nanos: 0
            }),
            "2026-11-18T11:06:40Z"
        );
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            parse_date("2026-12-01"),
            Some(pb::Date {
                year: 2026,
                month: 12,
                day: 1
            })
        );
        assert_eq!(parse_date("2026-1-01"), None);
        assert_eq!(parse_date("soon"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("2023-02-29"), None);
        assert!(parse_date("2024-02-29").is_some());
    }

    #[test]
    fn enums_use_lowercase_words() {
        assert_eq!(
            KindJson::from_pb(pb::OpportunityKind::Tender as i32),
            Some(KindJson::Tender)
        );
        assert_eq!(KindJson::from_pb(0), None);
        assert_eq!(
            MatchStatusJson::parse("won").map(MatchStatusJson::to_pb),
            Some(pb::MatchStatus::Won as i32)
        );
    }

    #[test]
    fn tender_enums_cover_every_proto_value() {
        // Every defined value but UNSPECIFIED has a word, and the words are the proto
        // names without their prefix, lowercase.
        let check = |all: &[&str],
                     name: &dyn Fn(i32) -> Option<String>,
                     word: &dyn Fn(i32) -> Option<&'static str>| {
            let mut n = 0;
            for value in 1..64 {
                let Some(proto) = name(value) else { continue };
                assert_eq!(word(value), Some(proto.as_str()), "{proto}");
                n += 1;
            }
            assert_eq!(n, all.len());
        };
        let strip =
            |name: &str, prefix: &str| name.strip_prefix(prefix).map(str::to_ascii_lowercase);
        check(
            ProcedureJson::ALL,
            &|v| {
                strip(
                    pb::ProcedureType::try_from(v).ok()?.as_str_name(),
                    "PROCEDURE_TYPE_",
                )
            },
            &|v| ProcedureJson::from_pb(v).map(ProcedureJson::as_str),
        );
        check(
            TenderStageJson::ALL,
            &|v| {
                strip(
                    pb::TenderStage::try_from(v).ok()?.as_str_name(),
                    "TENDER_STAGE_",
                )
            },
            &|v| TenderStageJson::from_pb(v).map(TenderStageJson::as_str),
        );
        check(
            ContractTypeJson::ALL,
            &|v| {
                strip(
                    pb::ContractType::try_from(v).ok()?.as_str_name(),
                    "CONTRACT_TYPE_",
                )
            },
            &|v| ContractTypeJson::from_pb(v).map(ContractTypeJson::as_str),
        );
    }

    #[test]
    fn a_tender_round_trips_through_json() {
        let tender = pb::Opportunity {
            title: "Obras".into(),
            buyer: Some(pb::ContractingBody {
                name: "Ayuntamiento de Zaragoza".into(),
                nif: "P5030300G".into(),
                dir3: "L01502973".into(),
            }),
            official_url: "https://contrataciondelestado.es/x?a=1&b=2".into(),
            procedure: pb::ProcedureType::NegotiatedWithoutPublication as i32,
            lots: vec![pb::Lot {
                id: "1".into(),
                title: "Lote 1".into(),
                cpv: vec!["45233140".into()],
                budget_eur: Some(1500.5),
            }],
            tender_stage: pb::TenderStage::Evaluation as i32,
            withdrawal_reason: "ANULADA".into(),
            location_approximate: true,
            nuts: "ES243".into(),
            contract_type: pb::ContractType::WorksConcession as i32,
            ..Default::default()
        };
        let json = serde_json::to_value(OpportunityJson::from(&tender)).expect("serialises");
        assert_eq!(json["buyer"]["dir3"], "L01502973");
        assert_eq!(json["procedure"], "negotiated_without_publication");
        assert_eq!(json["tender_stage"], "evaluation");
        assert_eq!(json["contract_type"], "works_concession");
        assert_eq!(json["lots"][0]["budget_eur"], 1500.5);
        assert_eq!(json["location_approximate"], true);
        let back: OpportunityJson = serde_json::from_value(json).expect("reads back");
        let back = back.to_pb("opportunity").expect("converts");
        assert_eq!(back.buyer, tender.buyer);
        assert_eq!(back.lots, tender.lots);
        assert_eq!(
            (back.procedure, back.tender_stage, back.contract_type),
            (tender.procedure, tender.tender_stage, tender.contract_type)
        );
        assert_eq!(
            (
                back.official_url.as_str(),
                back.nuts.as_str(),
                back.location_approximate
            ),
            ("https://contrataciondelestado.es/x?a=1&b=2", "ES243", true)
        );
        assert_eq!(back.withdrawal_reason, "", "output only");
        // A listing without tender fields has none of the optional ones.
        let plain = serde_json::to_value(OpportunityJson::from(&pb::Opportunity::default()))
            .expect("serialises");
        for absent in ["buyer", "procedure", "tender_stage", "contract_type"] {
            assert!(plain.get(absent).is_none(), "{absent}");
        }
        assert_eq!(plain["lots"], serde_json::json!([]));
        // A lot needs its id; unknown words are refused.
        assert!(
            serde_json::from_value::<OpportunityJson>(
                serde_json::json!({"lots": [{"title": "x"}]})
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<OpportunityJson>(serde_json::json!({"procedure": "OPEN"}))
                .is_err()
        );
    }
}

// ----- brokerage -----

json_enum!(
    /// Where a brokerage case stands.
    CaseStatusJson: pb::CaseStatus {
        Proposed = "proposed" => Proposed,
        Accepted = "accepted" => Accepted,
        ConsentsAsked = "consents_asked" => ConsentsAsked,
        Introduced = "introduced" => Introduced,
        Meeting = "meeting" => Meeting,
        Won = "won" => Won,
        Lost = "lost" => Lost,
        Dropped = "dropped" => Dropped,
        Declined = "declined" => Declined,
        Refused = "refused" => Refused,
        Expired = "expired" => Expired,
    }
);
json_enum!(
    /// A firm's answer to a consent request.
    ConsentAnswerJson: pb::ConsentAnswer {
        Pending = "pending" => Pending,
        Yes = "yes" => Yes,
        No = "no" => No,
        Withdrawn = "withdrawn" => Withdrawn,
        Expired = "expired" => Expired,
    }
);
json_enum!(
    /// The legal form of a joint bid.
    ConsortiumFormJson: pb::ConsortiumForm {
        Ute = "ute" => Ute,
        Groupement = "groupement" => Groupement,
    }
);

impl CaseStatusJson {
    /// Whether the status is final (nothing moves the case on).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Won | Self::Lost | Self::Dropped | Self::Declined | Self::Refused | Self::Expired
        )
    }
}

/// One side of a case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseSideJson {
    /// The organisation's id.
    pub organisation: String,
    /// The firm's registry id; empty on side B until named.
    pub company_id: String,
    /// The firm's public name.
    pub company_name: String,
}

impl From<&pb::CaseSide> for CaseSideJson {
    fn from(side: &pb::CaseSide) -> Self {
        Self {
            organisation: side.organisation.clone(),
            company_id: side.company_id.clone(),
            company_name: side.company_name.clone(),
        }
    }
}

/// A firm's consent to be introduced.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentJson {
    /// The firm.
    pub company_id: String,
    /// Its answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<ConsentAnswerJson>,
    /// The key id of the adviser who asked.
    pub asked_by: String,
    /// When it was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked_at: Option<String>,
    /// When the answer is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    /// The key id that answered.
    pub answered_by: String,
    /// The adviser who answered on the firm's behalf; empty when the firm answered.
    pub answered_via_adviser: String,
    /// When it was answered (or withdrawn, or expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<String>,
}

impl From<&pb::Consent> for ConsentJson {
    fn from(consent: &pb::Consent) -> Self {
        Self {
            company_id: consent.company_id.clone(),
            answer: ConsentAnswerJson::from_pb(consent.answer),
            asked_by: consent.asked_by.clone(),
            asked_at: opt_time(consent.asked_at.as_ref()),
            due_at: opt_time(consent.due_at.as_ref()),
            answered_by: consent.answered_by.clone(),
            answered_via_adviser: consent.answered_via_adviser.clone(),
            answered_at: opt_time(consent.answered_at.as_ref()),
        }
    }
}

/// One event of a case's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct CaseEventJson {
    /// Position in the timeline, from 1.
    pub n: i64,
    /// When.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// A key id, or `system`.
    pub actor: String,
    /// The actor's organisation, when an adviser.
    pub actor_organisation: String,
    /// `opened`, `accepted`, `declined`, `consents_asked`, `consent_yes`, …
    pub kind: String,
    /// The status after the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<CaseStatusJson>,
    /// The firm a consent event is about.
    pub company_id: String,
    /// The note, or the reason of a decline or a drop.
    pub text: String,
}

impl From<&pb::CaseEvent> for CaseEventJson {
    fn from(event: &pb::CaseEvent) -> Self {
        Self {
            n: event.n,
            at: opt_time(event.at.as_ref()),
            actor: event.actor.clone(),
            actor_organisation: event.actor_organisation.clone(),
            kind: event.kind.clone(),
            status: CaseStatusJson::from_pb(event.status),
            company_id: event.company_id.clone(),
            text: event.text.clone(),
        }
    }
}

/// A brokerage case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseJson {
    /// `case_…`.
    pub id: String,
    /// Where it stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<CaseStatusJson>,
    /// The listing of the lead.
    pub opportunity_id: String,
    /// Its title.
    pub opportunity_title: String,
    /// The lead's id, when it came from a stored lead.
    pub match_id: String,
    /// The proposing side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side_a: Option<CaseSideJson>,
    /// The side it was proposed to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side_b: Option<CaseSideJson>,
    /// The key id of the adviser who opened it.
    pub opened_by: String,
    /// The two firms' consents, once asked.
    pub consents: Vec<ConsentJson>,
    /// The timeline, oldest first (empty in lists).
    pub events: Vec<CaseEventJson>,
    /// The consortium it belongs to.
    pub consortium_id: String,
    /// Version, for `version` in the case's actions.
    pub version: i64,
    /// When it was opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When it last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl From<&pb::Case> for CaseJson {
    fn from(case: &pb::Case) -> Self {
        Self {
            id: case.id.clone(),
            status: CaseStatusJson::from_pb(case.status),
            opportunity_id: case.opportunity_id.clone(),
            opportunity_title: case.opportunity_title.clone(),
            match_id: case.match_id.clone(),
            side_a: case.side_a.as_ref().map(CaseSideJson::from),
            side_b: case.side_b.as_ref().map(CaseSideJson::from),
            opened_by: case.opened_by.clone(),
            consents: case.consents.iter().map(ConsentJson::from).collect(),
            events: case.events.iter().map(CaseEventJson::from).collect(),
            consortium_id: case.consortium_id.clone(),
            version: case.version,
            created_at: opt_time(case.created_at.as_ref()),
            updated_at: opt_time(case.updated_at.as_ref()),
        }
    }
}

/// A consent request as the firm sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentRequestJson {
    /// The case.
    pub case_id: String,
    /// The listing.
    pub opportunity_id: String,
    /// Its title.
    pub opportunity_title: String,
    /// The other firm's public name, once named.
    pub other_company_name: String,
    /// Side A's organisation.
    pub organisation_a: String,
    /// Side B's organisation.
    pub organisation_b: String,
    /// This firm's consent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentJson>,
    /// The case's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<CaseStatusJson>,
}

impl From<&pb::ConsentRequest> for ConsentRequestJson {
    fn from(request: &pb::ConsentRequest) -> Self {
        Self {
            case_id: request.case_id.clone(),
            opportunity_id: request.opportunity_id.clone(),
            opportunity_title: request.opportunity_title.clone(),
            other_company_name: request.other_company_name.clone(),
            organisation_a: request.organisation_a.clone(),
            organisation_b: request.organisation_b.clone(),
            consent: request.consent.as_ref().map(ConsentJson::from),
            status: CaseStatusJson::from_pb(request.status),
        }
    }
}

/// A firm of an introduced case with its contact.
#[derive(Debug, Clone, Serialize)]
pub struct CaseContactJson {
    /// The firm.
    pub company_id: String,
    /// Its name.
    pub company_name: String,
    /// Its contact.
    pub contact: ContactJson,
}

impl From<&pb::CaseContact> for CaseContactJson {
    fn from(contact: &pb::CaseContact) -> Self {
        Self {
            company_id: contact.company_id.clone(),
            company_name: contact.company_name.clone(),
            contact: contact
                .contact
                .as_ref()
                .map(|c| ContactJson {
                    name: c.name.clone(),
                    email: c.email.clone(),
                    phone: c.phone.clone(),
                })
                .unwrap_or_default(),
        }
    }
}

/// Both firms' contacts.
#[derive(Debug, Clone, Serialize)]
pub struct CaseContactsJson {
    /// Side A's firm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side_a: Option<CaseContactJson>,
    /// Side B's firm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side_b: Option<CaseContactJson>,
}

impl From<&pb::CaseContacts> for CaseContactsJson {
    fn from(contacts: &pb::CaseContacts) -> Self {
        Self {
            side_a: contacts.side_a.as_ref().map(CaseContactJson::from),
            side_b: contacts.side_b.as_ref().map(CaseContactJson::from),
        }
    }
}

/// What a consortium member brings.
#[derive(Debug, Clone, Serialize)]
pub struct ConsortiumMemberJson {
    /// The firm.
    pub company_id: String,
    /// Its public name.
    pub company_name: String,
    /// Its region.
    pub region: String,
    /// Its own fit, 0..1.
    pub fit: f64,
    /// The tender's CPV codes it covers.
    pub covers_cpv: Vec<String>,
    /// The tender's requirements it covers.
    pub covers_requirements: Vec<String>,
    /// Why it is in the group, in French.
    pub reason_fr: String,
    /// Why it is in the group, in Spanish.
    pub reason_es: String,
}

/// A proposed joint bid.
#[derive(Debug, Clone, Serialize)]
pub struct ConsortiumJson {
    /// `cons_…`.
    pub id: String,
    /// Lead member first.
    pub members: Vec<ConsortiumMemberJson>,
    /// Ranking score, 0..1.
    pub score: f64,
    /// Share covered, 0..1.
    pub coverage: f64,
    /// What nobody covers.
    pub uncovered: Vec<String>,
    /// The legal form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<ConsortiumFormJson>,
    /// Whether it spans the border.
    pub cross_border: bool,
    /// Summary in French.
    pub summary_fr: String,
    /// Summary in Spanish.
    pub summary_es: String,
}

impl From<&pb::Consortium> for ConsortiumJson {
    fn from(consortium: &pb::Consortium) -> Self {
        Self {
            id: consortium.id.clone(),
            members: consortium
                .members
                .iter()
                .map(|m| ConsortiumMemberJson {
                    company_id: m.company_id.clone(),
                    company_name: m.company_name.clone(),
                    region: m.region.clone(),
                    fit: m.fit,
                    covers_cpv: m.covers_cpv.clone(),
                    covers_requirements: m.covers_requirements.clone(),
                    reason_fr: m.reason_fr.clone(),
                    reason_es: m.reason_es.clone(),
                })
                .collect(),
            score: consortium.score,
            coverage: consortium.coverage,
            uncovered: consortium.uncovered.clone(),
            form: ConsortiumFormJson::from_pb(consortium.form),
            cross_border: consortium.cross_border,
            summary_fr: consortium.summary_fr.clone(),
            summary_es: consortium.summary_es.clone(),
        }
    }
}

/// An organisation of the directory.
#[derive(Debug, Clone, Serialize)]
pub struct OrganisationJson {
    /// `cci-gers`.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// ISO 3166-1 country.
    pub country: String,
    /// ISO 3166-2 regions it follows.
    pub territory: Vec<String>,
    /// Publisher codes of the listings it follows.
    pub sources: Vec<String>,
    /// `fr`, `es` or `en`.
    pub language: String,
    /// Where cases addressed to it are announced.
    pub email: String,
    /// Version.
    pub version: i64,
}

impl From<&pb::Organisation> for OrganisationJson {
    fn from(o: &pb::Organisation) -> Self {
        Self {
            id: o.id.clone(),
            name: o.name.clone(),
            country: o.country.clone(),
            territory: o.territory.clone(),
            sources: o.sources.clone(),
            language: o.language.clone(),
            email: o.email.clone(),
            version: o.version,
        }
    }
}
