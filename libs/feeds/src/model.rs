//! The plain types every parser produces: [`Notice`], [`Tombstone`], [`Rejected`] with
//! its [`Problem`]s, the small code enums and the value helpers (CPV, dates) they share.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Which feed a notice came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Plataforma de Contratación del Sector Público (ATOM + CODICE).
    Placsp,
    /// Tenders Electronic Daily (eForms).
    Ted,
}

impl Source {
    /// Stable lowercase name: `placsp` or `ted`.
    pub fn slug(self) -> &'static str {
        match self {
            Source::Placsp => "placsp",
            Source::Ted => "ted",
        }
    }
}

/// A point in time as published, and the same instant in RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    /// RFC 3339 in UTC with exactly three fraction digits, e.g.
    /// `2018-01-03T08:09:05.263Z`: fixed width, so it sorts chronologically as text.
    pub utc: String,
    /// The value exactly as written in the document.
    pub original: String,
}

impl Version {
    /// Parse an RFC 3339 timestamp with an offset; `None` when it is not one.
    pub fn parse(original: &str) -> Option<Version> {
        let t = OffsetDateTime::parse(original.trim(), &Rfc3339).ok()?;
        let u = t.to_offset(time::UtcOffset::UTC);
        if !(0..=9999).contains(&u.year()) {
            return None;
        }
        let utc = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            u.year(),
            u8::from(u.month()),
            u.day(),
            u.hour(),
            u.minute(),
            u.second(),
            u.millisecond()
        );
        Some(Version {
            utc,
            original: original.to_owned(),
        })
    }
}

/// A money amount as written (decimal text) with its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amount {
    /// The decimal text, e.g. `433065.52`.
    pub value: String,
    /// ISO 4217 currency (`currencyID`), when given.
    pub currency: Option<String>,
}

impl Amount {
    /// The amount as a float (for ranking, not accounting).
    pub fn as_f64(&self) -> Option<f64> {
        self.value.parse().ok()
    }
}

/// A tender submission deadline, as published (PLACSP gives local Spanish time without
/// offset; eForms attaches an offset to the date and the time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM:SS` (fractions kept), when given.
    pub time: Option<String>,
    /// The UTC offset written with the date or time (`+01:00`, `Z`), when given.
    pub offset: Option<String>,
}

/// A place (of performance, or a contracting body's address).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Place {
    /// NUTS code (`cbc:CountrySubentityCode`), e.g. `ES243`.
    pub nuts: Option<String>,
    /// Postal code (`cbc:PostalZone`).
    pub postal_code: Option<String>,
    /// City (`cbc:CityName`).
    pub city: Option<String>,
    /// Country code as published (`ES` in CODICE, `ESP` in eForms).
    pub country: Option<String>,
}

impl Place {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.nuts.is_none()
            && self.postal_code.is_none()
            && self.city.is_none()
            && self.country.is_none()
    }
}

/// The contracting body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContractingBody {
    /// Name (`cac:PartyName/cbc:Name`).
    pub name: Option<String>,
    /// Spanish tax id (`cbc:ID[@schemeName="NIF"]`; eForms: `cbc:CompanyID`).
    pub nif: Option<String>,
    /// DIR3 code of the Spanish administration directory.
    pub dir3: Option<String>,
    /// Postal address.
    pub address: Place,
}

/// One lot of a tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lot {
    /// Lot number or id (`cbc:ID`, e.g. `1`, `LOT-0001`).
    pub id: String,
    /// Lot title.
    pub title: Option<String>,
    /// Lot CPV codes (8 digits).
    pub cpv: Vec<String>,
    /// Budget without taxes (PLACSP `TaxExclusiveAmount`; eForms the lot's estimated
    /// value BT-27, which is net of VAT).
    pub budget_without_taxes: Option<Amount>,
    /// NUTS of the lot's place of performance.
    pub nuts: Option<String>,
}

/// Procedure type, from CODICE `SyndicationTenderingProcessCode` or eForms
/// `procurement-procedure-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcedureType {
    /// Abierto (1), eForms `open`.
    Open,
    /// Restringido (2), eForms `restricted`.
    Restricted,
    /// Negociado sin publicidad (3), eForms `neg-wo-call`.
    NegotiatedWithoutPublication,
    /// Negociado con publicidad (4), eForms `neg-w-call`.
    NegotiatedWithPublication,
    /// Diálogo competitivo (5), eForms `comp-dial`.
    CompetitiveDialogue,
    /// Contrato menor (6).
    Minor,
    /// Derivado de acuerdo marco (7).
    FrameworkDerived,
    /// Concurso de proyectos (8).
    DesignContest,
    /// Abierto simplificado (9).
    OpenSimplified,
    /// Asociación para la innovación (10), eForms `innovation`.
    InnovationPartnership,
    /// Derivado de asociación para la innovación (11).
    InnovationPartnershipDerived,
    /// Basado en un sistema dinámico de adquisición (12).
    DynamicPurchasingSystem,
    /// Licitación con negociación (13).
    NegotiatedTender,
    /// Normas internas (100).
    InternalRules,
    /// Otros (999) and every other code (eForms `oth-single`, `oth-mult`, `comp-tend`…).
    Other,
}

impl ProcedureType {
    /// From a CODICE code (`1`..`13`, `100`, `999`); `None` for an unknown code.
    pub fn from_codice(code: &str) -> Option<ProcedureType> {
        use ProcedureType::*;
        Some(match code.trim() {
            "1" => Open,
            "2" => Restricted,
            "3" => NegotiatedWithoutPublication,
            "4" => NegotiatedWithPublication,
            "5" => CompetitiveDialogue,
            "6" => Minor,
            "7" => FrameworkDerived,
            "8" => DesignContest,
            "9" => OpenSimplified,
            "10" => InnovationPartnership,
            "11" => InnovationPartnershipDerived,
            "12" => DynamicPurchasingSystem,
            "13" => NegotiatedTender,
            "100" => InternalRules,
            "999" => Other,
            _ => return None,
        })
    }

    /// From an eForms `procurement-procedure-type` code; `None` for an unknown code.
    pub fn from_eforms(code: &str) -> Option<ProcedureType> {
        use ProcedureType::*;
        Some(match code.trim() {
            "open" => Open,
            "restricted" => Restricted,
            "neg-wo-call" => NegotiatedWithoutPublication,
            "neg-w-call" => NegotiatedWithPublication,
            "comp-dial" => CompetitiveDialogue,
            "innovation" => InnovationPartnership,
            "oth-single" | "oth-mult" | "comp-tend" | "exp-int-rail" => Other,
            _ => return None,
        })
    }

    /// Stable kebab-case name, e.g. `open`, `negotiated-without-publication`.
    pub fn slug(self) -> &'static str {
        use ProcedureType::*;
        match self {
            Open => "open",
            Restricted => "restricted",
            NegotiatedWithoutPublication => "negotiated-without-publication",
            NegotiatedWithPublication => "negotiated-with-publication",
            CompetitiveDialogue => "competitive-dialogue",
            Minor => "minor",
            FrameworkDerived => "framework-derived",
            DesignContest => "design-contest",
            OpenSimplified => "open-simplified",
            InnovationPartnership => "innovation-partnership",
            InnovationPartnershipDerived => "innovation-partnership-derived",
            DynamicPurchasingSystem => "dynamic-purchasing-system",
            NegotiatedTender => "negotiated-tender",
            InternalRules => "internal-rules",
            Other => "other",
        }
    }
}

/// Contract type, from CODICE `ContractCode` or eForms `contract-nature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContractType {
    /// Suministros (1), eForms `supplies`.
    Supplies,
    /// Servicios (2), eForms `services`.
    Services,
    /// Obras (3), eForms `works`.
    Works,
    /// Gestión de servicios públicos / concesión de servicios (21, 22).
    ServicesConcession,
    /// Concesión de obras (públicas) (31, 32).
    WorksConcession,
    /// eForms `combined`.
    Combined,
    /// Any other code (administrativo especial 7, privado 8, patrimonial 50, otros 999…).
    Other,
}

impl ContractType {
    /// From a CODICE `ContractCode`.
    pub fn from_codice(code: &str) -> ContractType {
        match code.trim() {
            "1" => ContractType::Supplies,
            "2" => ContractType::Services,
            "3" => ContractType::Works,
            "21" | "22" => ContractType::ServicesConcession,
            "31" | "32" => ContractType::WorksConcession,
            _ => ContractType::Other,
        }
    }

    /// From an eForms `contract-nature` code.
    pub fn from_eforms(code: &str) -> ContractType {
        match code.trim() {
            "supplies" => ContractType::Supplies,
            "services" => ContractType::Services,
            "works" => ContractType::Works,
            "combined" => ContractType::Combined,
            _ => ContractType::Other,
        }
    }

    /// Stable kebab-case name.
    pub fn slug(self) -> &'static str {
        match self {
            ContractType::Supplies => "supplies",
            ContractType::Services => "services",
            ContractType::Works => "works",
            ContractType::ServicesConcession => "services-concession",
            ContractType::WorksConcession => "works-concession",
            ContractType::Combined => "combined",
            ContractType::Other => "other",
        }
    }
}

/// PLACSP folder status (`cbc-place-ext:ContractFolderStatusCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FolderStatus {
    /// PRE: anuncio previo.
    Pre,
    /// PUB: en plazo (open for tenders).
    Pub,
    /// EV: pendiente de adjudicación (under evaluation).
    Ev,
    /// ADJ: adjudicada.
    Adj,
    /// RES: resuelta (formalised).
    Res,
    /// ANUL: anulada.
    Anul,
}

impl FolderStatus {
    /// From the code; `None` for any other value.
    pub fn from_code(code: &str) -> Option<FolderStatus> {
        Some(match code.trim() {
            "PRE" => FolderStatus::Pre,
            "PUB" => FolderStatus::Pub,
            "EV" => FolderStatus::Ev,
            "ADJ" => FolderStatus::Adj,
            "RES" => FolderStatus::Res,
            "ANUL" => FolderStatus::Anul,
            _ => return None,
        })
    }

    /// The code as published (`PUB`, `ADJ`…).
    pub fn code(self) -> &'static str {
        match self {
            FolderStatus::Pre => "PRE",
            FolderStatus::Pub => "PUB",
            FolderStatus::Ev => "EV",
            FolderStatus::Adj => "ADJ",
            FolderStatus::Res => "RES",
            FolderStatus::Anul => "ANUL",
        }
    }

    /// Whether firms can still tender (PRE or PUB).
    pub fn is_open(self) -> bool {
        matches!(self, FolderStatus::Pre | FolderStatus::Pub)
    }
}

/// The eForms notice a TED document is (its root element).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeForm {
    /// `PriorInformationNotice`: a tender announced ahead.
    PriorInformation,
    /// `ContractNotice`: a call for tenders (or its change).
    Contract,
    /// `ContractAwardNotice`: the result.
    Award,
}

/// One tender notice, whichever feed it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// The feed.
    pub source: Source,
    /// PLACSP: the atom `<id>` URL; TED: the publication number `NNNNNN-YYYY` (or the
    /// notice UUID when unpublished).
    pub external_id: String,
    /// PLACSP: the entry's `updated`; TED: `cbc:IssueDate` + `cbc:IssueTime`.
    pub version: Version,
    /// `cbc:ContractFolderID` (expediente).
    pub folder_id: Option<String>,
    /// Project title.
    pub title: String,
    /// Project description, or the title when absent.
    pub description: String,
    /// CPV codes of the project (8 digits, check digit stripped), in document order,
    /// without duplicates.
    pub cpv: Vec<String>,
    /// Lots, in document order.
    pub lots: Vec<Lot>,
    /// Budget without taxes (PLACSP `cac:BudgetAmount/cbc:TaxExclusiveAmount`).
    pub budget_without_taxes: Option<Amount>,
    /// Estimated value (PLACSP `EstimatedOverallContractAmount`; eForms BT-27).
    pub estimated_value: Option<Amount>,
    /// Tender submission deadline.
    pub deadline: Option<Deadline>,
    /// Publication date `YYYY-MM-DD` (see docs/feeds.md for the rule per feed).
    pub publication_date: Option<String>,
    /// Place of performance.
    pub place: Place,
    /// Contracting body.
    pub buyer: ContractingBody,
    /// Link to the official page.
    pub link: Option<String>,
    /// Procedure type, when the code is known.
    pub procedure: Option<ProcedureType>,
    /// The procedure code as published.
    pub procedure_code: Option<String>,
    /// Contract type.
    pub contract_type: Option<ContractType>,
    /// The contract type code as published.
    pub contract_type_code: Option<String>,
    /// PLACSP folder status (none for TED).
    pub status: Option<FolderStatus>,
    /// TED: which eForms notice the document is; none for PLACSP (whose folder
    /// status says where the tender stands).
    pub form: Option<NoticeForm>,
    /// ISO 639-1 language of the notice (`es` for PLACSP).
    pub language: String,
    /// Non-fatal problems: fields dropped because their value was unreadable.
    pub warnings: Vec<Problem>,
}

/// A PLACSP deleted entry (`at:deleted-entry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tombstone {
    /// The `ref` attribute: the atom id of the entry that is withdrawn.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The `when` attribute, parsed (when it is a valid RFC 3339 timestamp).
    pub when: Option<Version>,
    /// The `when` attribute as written.
    pub when_original: Option<String>,
    /// The `at:comment type` (`ANULADA`…), when given.
    pub reason: Option<String>,
}

/// One field-level problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where: `entry[3].cac:ProcurementProject/cbc:Name` (entries numbered from 1).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// An entry or notice that could not be read; the rest of the page is unaffected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The entry's id, when it had a readable one.
    pub entry_id: Option<String>,
    /// Why it was rejected (at least one).
    pub problems: Vec<Problem>,
}

/// Parse a CPV code: 8 digits, optionally followed by `-N` (the check digit, dropped).
pub fn parse_cpv(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let code = match raw.split_once('-') {
        Some((code, check)) if check.len() == 1 && check.bytes().all(|b| b.is_ascii_digit()) => {
            code
        }
        Some(_) => return None,
        None => raw,
    };
    (code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit())).then(|| code.to_owned())
}

/// Map an ISO 639-3 (or 639-2/B) code of an EU language to ISO 639-1; others lowercased.
pub fn iso639_1(code: &str) -> String {
    let upper = code.trim().to_ascii_uppercase();
    let short = match upper.as_str() {
        "SPA" => "es",
        "FRA" | "FRE" => "fr",
        "ENG" => "en",
        "DEU" | "GER" => "de",
        "ITA" => "it",
        "POR" => "pt",
        "NLD" | "DUT" => "nl",
        "POL" => "pl",
        "FIN" => "fi",
        "SWE" => "sv",
        "DAN" => "da",
        "EST" => "et",
        "ELL" | "GRE" => "el",
        "RON" | "RUM" => "ro",
        "SLK" | "SLO" => "sk",
        "SLV" => "sl",
        "CES" | "CZE" => "cs",
        "HUN" => "hu",
        "LIT" => "lt",
        "LAV" => "lv",
        "BUL" => "bg",
        "HRV" => "hr",
        "MLT" => "mt",
        "GLE" => "ga",
        "CAT" => "ca",
        "EUS" | "BAQ" => "eu",
        "GLG" => "gl",
        _ => return upper.to_ascii_lowercase(),
    };
    short.to_owned()
}

/// Split an `xsd:date` / `xsd:time` value into its value and trailing offset
/// (`2023-06-02+02:00` → (`2023-06-02`, `+02:00`); `07:03:25Z` → (`07:03:25`, `Z`)).
pub(crate) fn split_offset(value: &str) -> (&str, Option<&str>) {
    let v = value.trim();
    if let Some(stripped) = v.strip_suffix('Z') {
        return (stripped, Some("Z"));
    }
    // an offset is the last 6 characters `±HH:MM`, after the value itself
    if v.len() > 6 {
        let (head, tail) = v.split_at(v.len() - 6);
        let b = tail.as_bytes();
        if (b[0] == b'+' || b[0] == b'-') && b[3] == b':' && head.len() >= 8 {
            return (head, Some(tail));
        }
    }
    (v, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpv_codes() {
        assert_eq!(parse_cpv("90910000").as_deref(), Some("90910000"));
        assert_eq!(parse_cpv(" 45233142-6 ").as_deref(), Some("45233142"));
        assert_eq!(parse_cpv("9091000"), None);
        assert_eq!(parse_cpv("9091000X"), None);
        assert_eq!(parse_cpv("90910000-66"), None);
    }

    #[test]
    fn versions_normalise_to_utc() {
        let v = Version::parse("2018-01-03T09:09:05.263+01:00").expect("valid");
        assert_eq!(v.utc, "2018-01-03T08:09:05.263Z");
        assert!(Version::parse("2018-01-03").is_none());
    }

    #[test]
    fn offsets_split() {
        assert_eq!(
            split_offset("2023-06-02+02:00"),
            ("2023-06-02", Some("+02:00"))
        );
        assert_eq!(split_offset("2023-04-28Z"), ("2023-04-28", Some("Z")));
        assert_eq!(split_offset("2017-06-22"), ("2017-06-22", None));
        assert_eq!(split_offset("14:00:00"), ("14:00:00", None));
        assert_eq!(split_offset("14:00:00-05:00"), ("14:00:00", Some("-05:00")));
    }
}
