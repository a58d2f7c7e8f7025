//! From parsed notices to registry listings: the field-by-field mapping of
//! `docs/feeds.md`, the place resolved through the gazetteer, the folder status onto the
//! listing's lifecycle, and tombstones onto versioned withdrawals.
//!
//! Nothing here talks to the network; [`crate::sync`] sends what this produces.

use pyred_domain::{Gazetteer, Place as GazetteerPlace};
use pyred_feeds::{
    ContractType, FolderStatus, Notice, NoticeForm, Problem, ProcedureType, Source, Tombstone,
    Version,
};
use pyred_proto::v1 as pb;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Registry bounds the mapping keeps to (the registry checks them again).
const TITLE_CHARS: usize = 300;
const DESCRIPTION_CHARS: usize = 10_000;
const BUYER_NAME_CHARS: usize = 300;
const CODES: usize = 20;
const LOTS: usize = 500;
const LOT_ID_CHARS: usize = 50;
const URL_CHARS: usize = 2000;
const CODE_CHARS: usize = 20;

/// What a notice becomes.
#[derive(Debug)]
pub enum Mapped {
    /// A listing to upsert, with the non-fatal problems met on the way.
    Listing {
        /// The listing, keyed by `external_id`.
        listing: Box<pb::Opportunity>,
        /// Fields dropped or adjusted (kept for the summary, never fatal).
        warnings: Vec<Problem>,
    },
    /// The notice cannot become a listing.
    Rejected(Vec<Problem>),
}

/// The registry key of a feed entry: `placsp-19163035` for the atom id
/// `https://contrataciondelestado.es/sindicacion/licitacionesPerfilContratante/19163035`,
/// `ted-<procedure id>` for an eForms notice (all notices of one procedure share it, so
/// the award ends the listing the contract notice opened). An id whose last segment is
/// not a plain token gets a stable hash instead.
pub fn external_id(source: Source, id: &str) -> String {
    let id = id.trim();
    let last = id.trim_end_matches('/').rsplit('/').next().unwrap_or(id);
    let plain = !last.is_empty()
        && last.len() <= 100
        && last
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if plain {
        format!("{}-{last}", source.slug())
    } else {
        format!("{}-h{:016x}", source.slug(), fnv1a(id.as_bytes()))
    }
}

/// The key of a notice (see [`external_id`]).
pub fn notice_key(notice: &Notice) -> String {
    match (notice.source, notice.folder_id.as_deref()) {
        (Source::Ted, Some(folder)) if !folder.trim().is_empty() => {
            external_id(Source::Ted, folder)
        }
        (source, _) => external_id(source, &notice.external_id),
    }
}

/// FNV-1a, 64 bits: a stable short key for odd identifiers.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A feed version as the registry's `source_version`: Unix milliseconds.
pub fn source_version(version: &Version) -> Option<i64> {
    let t = OffsetDateTime::parse(&version.utc, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// A tombstone as a versioned withdrawal; `Err` with the problem when its `when` is
/// missing or unreadable (the withdrawal could not be ordered against the entries).
pub fn tombstone(source: Source, tombstone: &Tombstone) -> Result<pb::Tombstone, Problem> {
    let version = tombstone
        .when
        .as_ref()
        .and_then(source_version)
        .ok_or_else(|| Problem {
            field: "at:deleted-entry/@when".to_owned(),
            reason: format!(
                "is not an RFC 3339 timestamp: {:?}",
                tombstone.when_original.as_deref().unwrap_or("")
            ),
        })?;
    Ok(pb::Tombstone {
        external_id: external_id(source, &tombstone.reference),
        reason: tombstone
            .reason
            .as_deref()
            .map(|r| truncate(r, 200))
            .unwrap_or_default(),
        source_version: version,
    })
}

/// Maps one notice that is inside the territory.
pub fn listing(notice: &Notice, gazetteer: &Gazetteer) -> Mapped {
    let mut warnings = Vec::new();
    let mut problems = Vec::new();
    let warn = |warnings: &mut Vec<Problem>, field: &str, reason: String| {
        warnings.push(Problem {
            field: field.to_owned(),
            reason,
        });
    };
    let Some(source_version) = source_version(&notice.version) else {
        problems.push(Problem {
            field: "updated".to_owned(),
            reason: format!("is not a timestamp: {:?}", notice.version.original),
        });
        return Mapped::Rejected(problems);
    };
    let title = clean(&notice.title);
    if title.is_empty() {
        problems.push(Problem {
            field: "cac:ProcurementProject/cbc:Name".to_owned(),
            reason: "is empty".to_owned(),
        });
    }
    let language = match notice.language.as_str() {
        "es" => pb::Language::Es,
        "fr" => pb::Language::Fr,
        other => {
            // Pyred analyses French and Spanish; a notice in another language is read
            // with the analyser of the country it is about.
            let fallback = if is_french(notice) {
                pb::Language::Fr
            } else {
                pb::Language::Es
            };
            warn(
                &mut warnings,
                "language",
                format!("{other:?} is not analysed; read as {fallback:?}"),
            );
            fallback
        }
    };
    let place = resolve_place(notice, gazetteer);
    let Some(place) = place else {
        problems.push(Problem {
            field: "place".to_owned(),
            reason: "names no municipality, province or postal code of Aragón, La Rioja or Gers"
                .to_owned(),
        });
        return Mapped::Rejected(problems);
    };
    if !problems.is_empty() {
        return Mapped::Rejected(problems);
    }
    if place.approximate {
        warn(
            &mut warnings,
            "place",
            format!(
                "no municipality named; {} stands for it",
                place.place.display_name()
            ),
        );
    }

    let mut cpv: Vec<String> = Vec::new();
    for code in notice
        .cpv
        .iter()
        .chain(notice.lots.iter().flat_map(|lot| lot.cpv.iter()))
    {
        if !cpv.contains(code) {
            if cpv.len() == CODES {
                warn(
                    &mut warnings,
                    "cpv",
                    format!("more than {CODES} codes; the project's and the first lots' kept"),
                );
                break;
            }
            cpv.push(code.clone());
        }
    }
    if notice.lots.len() > LOTS {
        warn(
            &mut warnings,
            "lots",
            format!("{} lots; the first {LOTS} kept", notice.lots.len()),
        );
    }
    let lots = notice
        .lots
        .iter()
        .take(LOTS)
        .enumerate()
        .map(|(i, lot)| pb::Lot {
            id: {
                let id = truncate(&clean(&lot.id), LOT_ID_CHARS);
                if id.is_empty() {
                    (i + 1).to_string()
                } else {
                    id
                }
            },
            title: lot
                .title
                .as_deref()
                .map(|t| truncate(&clean(t), TITLE_CHARS))
                .unwrap_or_default(),
            cpv: lot.cpv.iter().take(CODES).cloned().collect(),
            budget_eur: lot.budget_without_taxes.as_ref().and_then(euros),
        })
        .collect();

    let budget_eur = notice
        .budget_without_taxes
        .as_ref()
        .or(notice.estimated_value.as_ref())
        .and_then(euros);
    let published = notice
        .publication_date
        .as_deref()
        .and_then(date)
        .or_else(|| date(&notice.version.utc));
    let deadline = notice.deadline.as_ref().and_then(|d| date(&d.date));
    // Seen on amended and awarded folders: the deadline of the first call, before the
    // latest publication. The listing ends at the deadline the notice gives, so the
    // publication is taken back to that day (the registry refuses the reverse order).
    let published = match (published, deadline) {
        (Some(p), Some(d)) if (d.year, d.month, d.day) < (p.year, p.month, p.day) => {
            warn(
                &mut warnings,
                "deadline",
                format!(
                    "{:04}-{:02}-{:02} is before the publication date; publication taken as that day",
                    d.year, d.month, d.day
                ),
            );
            Some(d)
        }
        (p, _) => p,
    };

    let (status, stage) = lifecycle(notice);
    let full_description = clean(&notice.description);
    let description = if full_description.is_empty() {
        title.clone()
    } else {
        full_description
    };
    let nuts = notice
        .place
        .nuts
        .iter()
        .chain(notice.lots.iter().filter_map(|lot| lot.nuts.as_ref()))
        .map(|code| code.trim().to_ascii_uppercase())
        .find(|code| is_nuts(code))
        .unwrap_or_default();
    let official_url = notice
        .link
        .as_deref()
        .map(str::trim)
        .filter(|url| {
            (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= URL_CHARS
                && !url.chars().any(char::is_whitespace)
        })
        .unwrap_or_default()
        .to_owned();
    if official_url.is_empty() && notice.link.is_some() {
        warn(
            &mut warnings,
            "link",
            "is not an absolute http(s) address; dropped".to_owned(),
        );
    }
    let buyer = buyer(notice, &mut warnings);

    let listing = pb::Opportunity {
        source: String::new(),
        external_id: notice_key(notice),
        kind: pb::OpportunityKind::Tender as i32,
        title: truncate(&title, TITLE_CHARS),
        description: truncate(&description, DESCRIPTION_CHARS),
        language: language as i32,
        cpv,
        location: Some(pb::Location {
            lat: Some(place.lat),
            lon: Some(place.lon),
            place_code: place.place.code().as_str().to_owned(),
            place_name: String::new(),
        }),
        region: place.place.region().as_str().to_owned(),
        published,
        deadline,
        budget_eur,
        status: status as i32,
        source_version,
        buyer,
        official_url,
        procedure: procedure(notice.procedure) as i32,
        lots,
        tender_stage: stage as i32,
        withdrawal_reason: if status == pb::OpportunityStatus::Withdrawn {
            "ANUL".to_owned()
        } else {
            String::new()
        },
        location_approximate: place.approximate,
        nuts,
        contract_type: contract_type(notice.contract_type) as i32,
        ..Default::default()
    };
    Mapped::Listing {
        listing: Box::new(listing),
        warnings,
    }
}

/// The listing's lifecycle and the tender's stage: an award or a resolution ends the
/// listing as fulfilled, an annulment withdraws it; anything else is live.
fn lifecycle(notice: &Notice) -> (pb::OpportunityStatus, pb::TenderStage) {
    use pb::OpportunityStatus::{Fulfilled, Published, Withdrawn};
    use pb::TenderStage as S;
    match (notice.status, notice.form) {
        (Some(FolderStatus::Pre), _) => (Published, S::PriorNotice),
        (Some(FolderStatus::Pub), _) => (Published, S::Open),
        (Some(FolderStatus::Ev), _) => (Published, S::Evaluation),
        (Some(FolderStatus::Adj), _) => (Fulfilled, S::Awarded),
        (Some(FolderStatus::Res), _) => (Fulfilled, S::Resolved),
        (Some(FolderStatus::Anul), _) => (Withdrawn, S::Cancelled),
        (None, Some(NoticeForm::Award)) => (Fulfilled, S::Awarded),
        (None, Some(NoticeForm::PriorInformation)) => (Published, S::PriorNotice),
        (None, Some(NoticeForm::Contract)) => (Published, S::Open),
        (None, None) => (Published, S::Unspecified),
    }
}

fn procedure(procedure: Option<ProcedureType>) -> pb::ProcedureType {
    use pb::ProcedureType as P;
    match procedure {
        None => P::Unspecified,
        Some(ProcedureType::Open) => P::Open,
        Some(ProcedureType::OpenSimplified) => P::OpenSimplified,
        Some(ProcedureType::Restricted) => P::Restricted,
        Some(ProcedureType::NegotiatedWithPublication) => P::NegotiatedWithPublication,
        Some(ProcedureType::NegotiatedWithoutPublication) => P::NegotiatedWithoutPublication,
        Some(ProcedureType::CompetitiveDialogue) => P::CompetitiveDialogue,
        Some(
            ProcedureType::InnovationPartnership | ProcedureType::InnovationPartnershipDerived,
        ) => P::InnovationPartnership,
        Some(ProcedureType::DesignContest) => P::DesignContest,
        Some(ProcedureType::FrameworkDerived) => P::FrameworkDerived,
        Some(ProcedureType::DynamicPurchasingSystem) => P::DynamicPurchasingSystem,
        Some(ProcedureType::NegotiatedTender) => P::NegotiatedTender,
        Some(ProcedureType::Minor) => P::Minor,
        Some(ProcedureType::InternalRules) => P::InternalRules,
        Some(ProcedureType::Other) => P::Other,
    }
}

fn contract_type(contract: Option<ContractType>) -> pb::ContractType {
    use pb::ContractType as C;
    match contract {
        None => C::Unspecified,
        Some(ContractType::Supplies) => C::Supplies,
        Some(ContractType::Services) => C::Services,
        Some(ContractType::Works) => C::Works,
        Some(ContractType::ServicesConcession) => C::ServicesConcession,
        Some(ContractType::WorksConcession) => C::WorksConcession,
        Some(ContractType::Combined) => C::Combined,
        Some(ContractType::Other) => C::Other,
    }
}

fn buyer(notice: &Notice, warnings: &mut Vec<Problem>) -> Option<pb::ContractingBody> {
    let body = &notice.buyer;
    let mut code = |field: &str, value: Option<&String>| -> String {
        let Some(value) = value else {
            return String::new();
        };
        let compact: String = value
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect::<String>()
            .to_uppercase();
        if compact.is_empty()
            || compact.chars().count() > CODE_CHARS
            || !compact.chars().all(|c| c.is_ascii_alphanumeric())
        {
            warnings.push(Problem {
                field: field.to_owned(),
                reason: format!("{value:?} is not a code of letters and digits; dropped"),
            });
            return String::new();
        }
        compact
    };
    let nif = code("buyer.nif", body.nif.as_ref());
    let dir3 = code("buyer.dir3", body.dir3.as_ref());
    let name = body
        .name
        .as_deref()
        .map(|n| truncate(&clean(n), BUYER_NAME_CHARS))
        .unwrap_or_default();
    (!(name.is_empty() && nif.is_empty() && dir3.is_empty())).then_some(pb::ContractingBody {
        name,
        nif,
        dir3,
    })
}

/// Where the listing is placed, and whether that is only approximate.
struct Placed<'a> {
    place: &'a GazetteerPlace,
    lat: f64,
    lon: f64,
    approximate: bool,
}

/// The provinces Pyred covers: NUTS 3 code, postal/INE province prefix, capital's code,
/// and the postal codes of the capital (`first..=last`).
const PROVINCES: &[(&str, &str, &str, u32, u32)] = &[
    ("ES241", "22", "22125", 22001, 22006), // Huesca
    ("ES242", "44", "44216", 44001, 44003), // Teruel
    ("ES243", "50", "50297", 50001, 50022), // Zaragoza
    ("ES230", "26", "26089", 26001, 26009), // La Rioja: Logroño
    ("FRJ24", "32", "32013", 32000, 32000), // Gers: Auch
    ("FR623", "32", "32013", 32000, 32000), // Gers before NUTS 2016
];

/// Resolves the place of performance: the municipality its city names (within the
/// province its postal code or NUTS code gives), else the capital when the postal code
/// is the capital's, else the province's capital flagged approximate; a NUTS 2 code
/// alone (ES24 Aragón) gives Zaragoza, approximate. The contracting body's address
/// stands in, approximate, when the place of performance says nothing usable.
fn resolve_place<'a>(notice: &Notice, gazetteer: &'a Gazetteer) -> Option<Placed<'a>> {
    let performance = &notice.place;
    let lot_nuts = notice.lots.iter().filter_map(|lot| lot.nuts.as_deref());
    let nuts: Vec<String> = performance
        .nuts
        .as_deref()
        .into_iter()
        .chain(lot_nuts)
        .map(|code| code.trim().to_ascii_uppercase())
        .collect();
    if let Some(placed) = place_from(
        gazetteer,
        &nuts,
        performance.postal_code.as_deref(),
        performance.city.as_deref(),
    ) {
        return Some(placed);
    }
    let address = &notice.buyer.address;
    let nuts: Vec<String> = address
        .nuts
        .iter()
        .map(|code| code.trim().to_ascii_uppercase())
        .collect();
    place_from(
        gazetteer,
        &nuts,
        address.postal_code.as_deref(),
        address.city.as_deref(),
    )
    .map(|mut placed| {
        // The buyer's seat, not the place of performance: never exact.
        placed.approximate = true;
        placed
    })
}

fn place_from<'a>(
    gazetteer: &'a Gazetteer,
    nuts: &[String],
    postal_code: Option<&str>,
    city: Option<&str>,
) -> Option<Placed<'a>> {
    let postal = postal_code
        .map(str::trim)
        .filter(|code| code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()));
    let by_postal = postal.and_then(|code| {
        PROVINCES
            .iter()
            .find(|(_, prefix, ..)| code.starts_with(prefix))
    });
    let by_nuts = nuts
        .iter()
        .find_map(|code| PROVINCES.iter().find(|(nuts3, ..)| code.starts_with(nuts3)));
    let province = by_postal.or(by_nuts);
    let Some(&(_, prefix, capital, first, last)) = province else {
        // A NUTS 2 code alone: the region's main city, approximate.
        let capital = nuts.iter().find_map(|code| match code.as_str() {
            "ES24" => Some("50297"),
            "ES23" => Some("26089"),
            "FRJ2" => None,
            _ => None,
        })?;
        return exact(gazetteer.by_code(capital)?, true);
    };
    // French communes carry their postal codes: the one commune of a postal code.
    if let Some(code) = postal {
        let of_code: Vec<&GazetteerPlace> = gazetteer
            .places()
            .iter()
            .filter(|place| place.postal_codes().iter().any(|p| p == code))
            .collect();
        if let Some(city) = city {
            let known = gazetteer.by_name(city);
            let named = of_code
                .iter()
                .find(|place| known.iter().any(|k| k.code() == place.code()));
            if let Some(place) = named {
                return exact(place, false);
            }
        }
        if of_code.len() == 1 {
            return exact(of_code[0], false);
        }
    }
    if let Some(city) = city {
        let candidates: Vec<&GazetteerPlace> = gazetteer
            .by_name(city)
            .into_iter()
            .filter(|place| place.code().as_str().starts_with(prefix))
            .collect();
        if let Some(place) = candidates.first() {
            return exact(place, false);
        }
    }
    if let Some(code) = postal.and_then(|code| code.parse::<u32>().ok())
        && (first..=last).contains(&code)
    {
        return exact(gazetteer.by_code(capital)?, false);
    }
    exact(gazetteer.by_code(capital)?, true)
}

fn exact(place: &GazetteerPlace, approximate: bool) -> Option<Placed<'_>> {
    let point = place.point()?;
    Some(Placed {
        place,
        lat: point.lat(),
        lon: point.lon(),
        approximate: approximate || place.is_approximate(),
    })
}

fn is_french(notice: &Notice) -> bool {
    let country = notice
        .place
        .country
        .as_deref()
        .or(notice.buyer.address.country.as_deref())
        .unwrap_or("");
    matches!(country.trim(), "FR" | "FRA")
        || notice
            .place
            .nuts
            .as_deref()
            .is_some_and(|n| n.starts_with("FR"))
}

/// A NUTS code of any level: two letters, then 1..3 letters or digits.
fn is_nuts(code: &str) -> bool {
    let bytes = code.as_bytes();
    (2..=5).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..].iter().all(u8::is_ascii_alphanumeric)
}

/// An amount in euros (amounts in another currency are not converted: dropped).
fn euros(amount: &pyred_feeds::Amount) -> Option<f64> {
    let eur = amount
        .currency
        .as_deref()
        .is_none_or(|c| c.eq_ignore_ascii_case("EUR"));
    amount
        .as_f64()
        .filter(|v| eur && v.is_finite() && (0.0..=1e12).contains(v))
}

/// `YYYY-MM-DD…` as a date.
fn date(text: &str) -> Option<pb::Date> {
    let text = text.trim();
    let year = text.get(..4)?.parse().ok()?;
    let month = text.get(5..7)?.parse().ok()?;
    let day = text.get(8..10)?.parse().ok()?;
    (text.get(4..5) == Some("-") && text.get(7..8) == Some("-")).then_some(pb::Date {
        year,
        month,
        day,
    })
}

/// Whitespace collapsed, control characters dropped.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().filter(|c| !c.is_control()));
    }
    out
}

/// At most `max` characters, cut at a word boundary with an ellipsis.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_and_stable() {
        assert_eq!(
            external_id(
                Source::Placsp,
                "https://contrataciondelestado.es/sindicacion/licitacionesPerfilContratante/19163035"
            ),
            "placsp-19163035"
        );
        let odd = external_id(Source::Placsp, "urn:x:a b?c");
        assert!(odd.starts_with("placsp-h") && odd.len() == 24, "{odd}");
        assert_eq!(odd, external_id(Source::Placsp, "urn:x:a b?c"));
    }

    #[test]
    fn versions_are_milliseconds() {
        let v = Version::parse("2018-01-03T09:09:05.263+01:00").expect("valid");
        assert_eq!(source_version(&v), Some(1_514_966_945_263));
    }

    #[test]
    fn truncation_keeps_words() {
        let long = "palabra ".repeat(100);
        let cut = truncate(long.trim(), 300);
        assert!(cut.chars().count() <= 300);
        assert!(cut.ends_with("palabra…"), "{cut}");
        assert_eq!(truncate("corto", 300), "corto");
    }

    #[test]
    fn places_resolve_by_city_postal_code_or_province() {
        let g = Gazetteer::embedded();
        let nuts = |c: &str| vec![c.to_owned()];
        let huesca_town =
            place_from(g, &nuts("ES241"), Some("22300"), Some("Barbastro")).expect("Barbastro");
        assert_eq!(huesca_town.place.name(), "Barbastro");
        assert!(!huesca_town.approximate);
        let capital = place_from(g, &[], Some("50003"), None).expect("Zaragoza");
        assert_eq!(capital.place.code().as_str(), "50297");
        assert!(!capital.approximate);
        let unknown = place_from(g, &nuts("ES242"), Some("44500"), None).expect("Teruel");
        assert_eq!(unknown.place.code().as_str(), "44216");
        assert!(unknown.approximate);
        let region = place_from(g, &nuts("ES24"), None, None).expect("Aragón");
        assert_eq!(region.place.code().as_str(), "50297");
        assert!(region.approximate);
        let gers = place_from(g, &nuts("FRJ24"), Some("32000"), Some("Auch")).expect("Auch");
        assert_eq!(gers.place.code().as_str(), "32013");
        assert!(place_from(g, &nuts("ES300"), Some("28001"), Some("Madrid")).is_none());
    }
}
