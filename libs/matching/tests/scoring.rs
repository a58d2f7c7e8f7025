//! The scoring model on small synthetic records: direction, liveness, bounds, reasons,
//! sector adjacency, service radius, both ranking directions.
//!
//! The fixtures are written here (no data set on disk is needed); they use ordinary
//! trade wording, in French for the Gers firms and in Spanish for the listings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pyred_domain::Day;
use pyred_matching::{CompanyProfile, CorpusStats, Feature, Matcher, OpportunityProfile};
use pyred_proto::v1 as pb;

const AUCH: (f64, f64, &str) = (43.6465, 0.5855, "Auch");
const ZARAGOZA: (f64, f64, &str) = (41.6561, -0.8773, "Zaragoza");
const LOGRONO: (f64, f64, &str) = (42.4667, -2.45, "Logroño");
const CONDOM: (f64, f64, &str) = (43.958, 0.372, "Condom");

fn day(text: &str) -> Day {
    Day::parse(text).unwrap()
}

fn date(text: &str) -> pb::Date {
    day(text).into()
}

fn location((lat, lon, place): (f64, f64, &str)) -> Option<pb::Location> {
    Some(pb::Location {
        lat: Some(lat),
        lon: Some(lon),
        place_code: String::new(),
        place_name: place.to_owned(),
    })
}

fn codes(list: &[&str]) -> Vec<pb::ActivityCode> {
    list.iter()
        .map(|c| pb::ActivityCode {
            nace: String::new(),
            given: (*c).to_owned(),
        })
        .collect()
}

struct Firm<'a> {
    id: &'a str,
    nace: &'a [&'a str],
    description: &'a str,
    offers: &'a str,
    seeks: &'a str,
}

fn firm(f: &Firm<'_>) -> pb::Company {
    pb::Company {
        external_id: f.id.to_owned(),
        name: f.id.to_owned(),
        country: "FR".to_owned(),
        activities: codes(f.nace),
        language: pb::Language::Fr as i32,
        description: f.description.to_owned(),
        offers: f.offers.to_owned(),
        seeks: f.seeks.to_owned(),
        location: location(AUCH),
        region: "FR-32".to_owned(),
        employees: Some(40),
        languages: vec!["fr".to_owned(), "es".to_owned()],
        ..Default::default()
    }
}

fn listing(
    id: &str,
    kind: pb::OpportunityKind,
    nace: &[&str],
    title: &str,
    description: &str,
) -> pb::Opportunity {
    pb::Opportunity {
        external_id: id.to_owned(),
        source: "arex".to_owned(),
        kind: kind as i32,
        title: title.to_owned(),
        description: description.to_owned(),
        language: pb::Language::Es as i32,
        activities: codes(nace),
        location: location(ZARAGOZA),
        region: "ES-AR".to_owned(),
        published: Some(date("2026-10-01")),
        deadline: Some(date("2027-03-15")),
        ..Default::default()
    }
}

const AS_OF: &str = "2026-12-01";

fn machinist() -> pb::Company {
    firm(&Firm {
        id: "fr-usinage",
        nace: &["25.62B"],
        description: "Atelier d'usinage de précision sous-traitant de l'aéronautique, certifié EN 9100.",
        offers: "Usinage de pièces aéronautiques en aluminium et en titane, fraisage 5 axes, tournage.",
        seeks: "Cherche de nouveaux donneurs d'ordre dans l'aéronautique et le ferroviaire en Espagne.",
    })
}

fn tank_maker() -> pb::Company {
    firm(&Firm {
        id: "fr-cuves",
        nace: &["25.29Z"],
        description: "Chaudronnerie spécialisée dans les cuves en acier inoxydable pour les caves.",
        offers: "Cuves inox thermorégulées, cuves de vinification, fermenteurs.",
        seeks: "Cherche des caves et des coopératives viticoles clientes en Espagne.",
    })
}

fn foie_gras_maker() -> pb::Company {
    firm(&Firm {
        id: "fr-foie-gras",
        nace: &["10.12Z"],
        description: "Conserverie familiale de canards gras du Gers.",
        offers: "Foie gras mi-cuit, magrets, confits de canard en conserve.",
        seeks: "Cherche des importateurs et des distributeurs en Espagne pour l'épicerie fine.",
    })
}

fn machining_request() -> pb::Opportunity {
    listing(
        "es-req-mecanizado",
        pb::OpportunityKind::BusinessRequest,
        &["30.30"],
        "Fabricante aeronáutico de Zaragoza busca taller de mecanizado de piezas aeronáuticas",
        "Empresa de aeroestructuras con planta en Zaragoza. Necesita un proveedor de \
         mecanizado de precisión de piezas de aluminio y titanio con certificación EN 9100.",
    )
}

fn machining_competitor() -> pb::Opportunity {
    listing(
        "es-off-mecanizado",
        pb::OpportunityKind::BusinessOffer,
        &["25.62"],
        "Taller de mecanizado de Utebo ofrece capacidad de mecanizado de piezas aeronáuticas",
        "Taller con certificación EN 9100 y centros de fresado de cinco ejes. Busca clientes \
         del sector aeronáutico en Francia.",
    )
}

fn tank_request(nace: &[&str]) -> pb::Opportunity {
    listing(
        "es-req-depositos",
        pb::OpportunityKind::BusinessRequest,
        nace,
        "Bodega de La Rioja busca depósitos de acero inoxidable para su sala de fermentación",
        "Bodega familiar con 40 hectáreas de viñedo. Necesita doce depósitos de acero \
         inoxidable con camisa de refrigeración para la vendimia.",
    )
}

fn tank_competitor() -> pb::Opportunity {
    listing(
        "es-off-depositos",
        pb::OpportunityKind::BusinessOffer,
        &["25.29"],
        "Calderería riojana ofrece depósitos de acero inoxidable a bodegas francesas",
        "Fabricante de depósitos de vinificación en acero inoxidable. Busca clientes en Francia.",
    )
}

fn duck_request() -> pb::Opportunity {
    listing(
        "es-req-pato",
        pb::OpportunityKind::BusinessRequest,
        &["46.39"],
        "Distribuidor gourmet de Zaragoza busca fabricante francés de conservas de pato",
        "Distribuidor de productos delicatessen para tiendas especializadas. Quiere \
         incorporar foie gras, magret y confit de pato del suroeste de Francia.",
    )
}

fn duck_competitor() -> pb::Opportunity {
    listing(
        "es-off-pato",
        pb::OpportunityKind::BusinessOffer,
        &["10.12"],
        "Fabricante aragonés de conservas de pato busca distribuidores en Francia",
        "Elaboramos foie gras, magret y confit de pato. Busca importadores y distribuidores \
         en Francia.",
    )
}

fn unrelated() -> pb::Opportunity {
    listing(
        "es-req-software",
        pb::OpportunityKind::TechnologyRequest,
        &["86.10"],
        "Hospital privado busca plataforma de gestión de citas en la nube",
        "Hospital con 200 camas. Necesita un programa informático de gestión de citas.",
    )
}

struct World {
    matcher: Matcher,
    companies: Vec<CompanyProfile>,
    listings: Vec<OpportunityProfile>,
    stats: CorpusStats,
}

fn world(companies: &[pb::Company], listings: &[pb::Opportunity]) -> World {
    let matcher = Matcher::new().unwrap();
    let companies: Vec<CompanyProfile> = companies
        .iter()
        .map(|c| matcher.company(c).unwrap())
        .collect();
    let listings: Vec<OpportunityProfile> = listings
        .iter()
        .map(|o| matcher.opportunity(o).unwrap())
        .collect();
    let stats = CorpusStats::from_profiles(&companies, &listings);
    World {
        matcher,
        companies,
        listings,
        stats,
    }
}

fn standard_world() -> World {
    world(
        &[machinist(), tank_maker(), foie_gras_maker()],
        &[
            machining_request(),
            machining_competitor(),
            tank_request(&["11.02"]),
            tank_competitor(),
            duck_request(),
            duck_competitor(),
            unrelated(),
        ],
    )
}

fn ranking(w: &World, company: &str, top: usize) -> Vec<String> {
    let company = w.companies.iter().find(|c| c.id == company).unwrap();
    w.matcher
        .matches_for_company(company, &w.listings, &w.stats, day(AS_OF), top)
        .into_iter()
        .map(|s| s.opportunity_id)
        .collect()
}

fn position(ranking: &[String], id: &str) -> Option<usize> {
    ranking.iter().position(|x| x == id)
}

#[test]
fn a_competitors_offer_never_outranks_a_matching_request() {
    let w = standard_world();
    for (company, request, competitor) in [
        ("fr-usinage", "es-req-mecanizado", "es-off-mecanizado"),
        ("fr-cuves", "es-req-depositos", "es-off-depositos"),
        ("fr-foie-gras", "es-req-pato", "es-off-pato"),
    ] {
        let ranked = ranking(&w, company, 100);
        let request_at = position(&ranked, request).expect("the matching request is proposed");
        assert_eq!(request_at, 0, "{company}: {ranked:?}");
        if let Some(competitor_at) = position(&ranked, competitor) {
            assert!(competitor_at > request_at, "{company}: {ranked:?}");
        }
    }
}

#[test]
fn the_competitor_is_demoted_by_the_direction_feature() {
    let w = standard_world();
    let company = w.companies.iter().find(|c| c.id == "fr-foie-gras").unwrap();
    let competitor = w.listings.iter().find(|o| o.id == "es-off-pato").unwrap();
    let scored = w
        .matcher
        .score(company, competitor, &w.stats, day(AS_OF))
        .unwrap();
    assert!(
        scored.breakdown.direction < 1.0,
        "{:?}",
        scored.breakdown.direction
    );
    let reasons = w.matcher.explain(company, competitor, &scored, day(AS_OF));
    assert!(
        reasons
            .iter()
            .any(|r| r.feature == Feature::Direction && r.text_fr.contains("concurrent")),
        "{reasons:?}"
    );
}

#[test]
fn an_expired_or_closed_listing_is_never_proposed() {
    let mut expired = machining_request();
    expired.external_id = "es-expired".to_owned();
    expired.deadline = Some(date("2026-11-30"));
    let mut withdrawn = machining_request();
    withdrawn.external_id = "es-withdrawn".to_owned();
    withdrawn.status = pb::OpportunityStatus::Withdrawn as i32;
    let mut expired_by_registry = machining_request();
    expired_by_registry.external_id = "es-expires-on".to_owned();
    expired_by_registry.deadline = None;
    expired_by_registry.expires_on = Some(date("2026-11-01"));
    let mut no_deadline_old = machining_request();
    no_deadline_old.external_id = "es-old".to_owned();
    no_deadline_old.deadline = None;
    no_deadline_old.published = Some(date("2025-11-01"));
    let mut not_yet_published = machining_request();
    not_yet_published.external_id = "es-future".to_owned();
    not_yet_published.published = Some(date("2026-12-02"));
    let mut last_day = machining_request();
    last_day.external_id = "es-last-day".to_owned();
    last_day.deadline = Some(date(AS_OF));

    let w = world(
        &[machinist()],
        &[
            expired.clone(),
            withdrawn,
            expired_by_registry,
            no_deadline_old,
            not_yet_published,
            last_day,
        ],
    );
    let ranked = ranking(&w, "fr-usinage", 100);
    assert_eq!(
        ranked,
        ["es-last-day"],
        "only the listing whose deadline is today is live"
    );

    // Nor the other way round: an expired listing gets no firm.
    let listing = w.listings.iter().find(|o| o.id == "es-expired").unwrap();
    let firms =
        w.matcher
            .companies_for_opportunity(listing, &w.companies, &w.stats, day(AS_OF), 10);
    assert!(firms.is_empty());
    // Switching liveness off (ablation) proposes it again: the filter is what excludes it.
    let lax = w
        .matcher
        .clone()
        .with_features(pyred_matching::FeatureSet::all().without(Feature::Liveness));
    assert!(
        lax.score(&w.companies[0], listing, &w.stats, day(AS_OF))
            .is_some()
    );
}

#[test]
fn scores_stay_within_zero_and_one() {
    let mut bare = pb::Company {
        external_id: "bare".to_owned(),
        name: "X".to_owned(),
        description: "x".to_owned(),
        ..Default::default()
    };
    bare.employees = Some(0);
    let mut huge = tank_request(&["11.02"]);
    huge.external_id = "huge".to_owned();
    huge.budget_eur = Some(1e12);
    huge.location = None;
    let mut empty = unrelated();
    empty.external_id = "empty".to_owned();
    empty.title = "—".to_owned();
    empty.description = ".".to_owned();
    let companies = [machinist(), tank_maker(), foie_gras_maker(), bare];
    let listings = [
        machining_request(),
        machining_competitor(),
        tank_request(&[]),
        tank_competitor(),
        duck_request(),
        duck_competitor(),
        unrelated(),
        huge,
        empty,
    ];
    let w = world(&companies, &listings);
    let mut heavy = pyred_matching::Weights::default();
    heavy.set("relevance", 50.0).unwrap();
    heavy.set("sector", 50.0).unwrap();
    heavy.set("gate", 0.0).unwrap();
    for matcher in [w.matcher.clone(), w.matcher.clone().with_weights(heavy)] {
        for company in &w.companies {
            for listing in &w.listings {
                let scored = matcher
                    .score(company, listing, &w.stats, day(AS_OF))
                    .unwrap();
                assert!(
                    scored.score.is_finite() && (0.0..=1.0).contains(&scored.score),
                    "{} × {}: {}",
                    company.id,
                    listing.id,
                    scored.score
                );
                for reason in matcher.explain(company, listing, &scored, day(AS_OF)) {
                    assert!((0.0..=1.0).contains(&reason.contribution), "{reason:?}");
                }
            }
        }
    }
}

#[test]
fn reasons_quote_the_shared_concepts_in_both_languages() {
    let w = standard_world();
    let company = w.companies.iter().find(|c| c.id == "fr-usinage").unwrap();
    let lead = w
        .matcher
        .matches_for_company(company, &w.listings, &w.stats, day(AS_OF), 1)
        .pop()
        .unwrap();
    assert_eq!(lead.opportunity_id, "es-req-mecanizado");
    let concepts = lead
        .reasons
        .iter()
        .find(|r| r.feature == Feature::Concepts)
        .expect("a concepts reason");
    // French: the listing's Spanish words with the French label, then the firm's words.
    assert!(
        concepts.text_fr.starts_with("Besoin : "),
        "{}",
        concepts.text_fr
    );
    assert!(
        concepts.text_fr.contains("titanio (titane)"),
        "{}",
        concepts.text_fr
    );
    assert!(
        concepts.text_fr.contains("votre offre : "),
        "{}",
        concepts.text_fr
    );
    // Spanish: the listing's words as written, the firm's French words with the
    // Spanish label.
    assert!(
        concepts.text_es.starts_with("Necesidad: "),
        "{}",
        concepts.text_es
    );
    assert!(
        concepts.text_es.contains("titanio, "),
        "{}",
        concepts.text_es
    );
    assert!(
        concepts.text_es.contains("titane (titanio)"),
        "{}",
        concepts.text_es
    );
    assert!(concepts.contribution > 0.0);
    // The summary carries the evidence an adviser checks: place, distance, deadline.
    let summary = pyred_matching::explain::summary_fr(&lead.reasons);
    // By road from the Gers, through the crossing the travel model chose that day.
    let trip = lead.breakdown.travel.expect("both places are known");
    let crossing = trip.crossing.expect("the trip changes country");
    let time = pyred_matching::explain::duration_text(trip.minutes);
    assert!(
        summary.contains(&format!(
            "Zaragoza : {time} par {} ({:.0} km)",
            crossing.name_fr(),
            trip.km
        )),
        "{summary}"
    );
    let summary_es = pyred_matching::explain::summary_es(&lead.reasons);
    assert!(
        summary_es.contains(&format!("Zaragoza: {time} por {}", crossing.name_es())),
        "{summary_es}"
    );
    assert!(
        trip.km > lead.breakdown.distance_km.expect("km"),
        "roads are longer than the crow flies"
    );
    assert!(summary.contains("échéance 15/03/2027"), "{summary}");
    let contributions: f64 = lead.reasons.iter().map(|r| r.contribution).sum();
    assert!(
        contributions <= lead.score + 1e-9,
        "{contributions} > {}",
        lead.score
    );
    assert!(
        contributions > 0.5 * lead.score,
        "{contributions} vs {}",
        lead.score
    );
    let listing = w
        .listings
        .iter()
        .find(|o| o.id == lead.opportunity_id)
        .unwrap();
    let proto = lead.to_match(company, listing);
    assert_eq!(proto.company_id, "fr-usinage");
    assert_eq!(proto.status, pb::MatchStatus::Proposed as i32);
    assert!(proto.distance_km.is_some_and(|d| d > 200.0 && d < 300.0));
    assert!(
        proto
            .reasons
            .iter()
            .any(|r| r.feature == "concepts" && !r.text_es.is_empty())
    );
}

#[test]
fn nace_adjacency_lifts_a_supplier_of_the_listings_sector() {
    let coded = tank_request(&["11.02"]);
    let mut uncoded = tank_request(&[]);
    uncoded.external_id = "es-req-depositos-sin-codigo".to_owned();
    let w = world(
        &[tank_maker(), machinist(), foie_gras_maker()],
        &[
            coded,
            uncoded,
            machining_request(),
            duck_request(),
            unrelated(),
        ],
    );
    let company = &w.companies[0];
    let with_code = w
        .matcher
        .score(company, &w.listings[0], &w.stats, day(AS_OF))
        .unwrap();
    let without_code = w
        .matcher
        .score(company, &w.listings[1], &w.stats, day(AS_OF))
        .unwrap();
    let pair = with_code.breakdown.adjacent.expect("25.29 sells to 11.02");
    assert_eq!(pair.supplier.code(), "25.29");
    assert_eq!(pair.customer.code(), "11.02");
    assert!(with_code.score > without_code.score);
    let reasons = w
        .matcher
        .explain(company, &w.listings[0], &with_code, day(AS_OF));
    let adjacency = reasons
        .iter()
        .find(|r| r.feature == Feature::Adjacency)
        .unwrap_or_else(|| panic!("an adjacency reason in {reasons:#?}"));
    assert!(adjacency.text_fr.contains("25.29") && adjacency.text_fr.contains("11.02"));
    // Switched off, the two listings score the same.
    let blind = w.matcher.clone().with_features(
        pyred_matching::FeatureSet::all()
            .without(Feature::Adjacency)
            .without(Feature::Sector),
    );
    let a = blind
        .score(company, &w.listings[0], &w.stats, day(AS_OF))
        .unwrap()
        .score;
    let b = blind
        .score(company, &w.listings[1], &w.stats, day(AS_OF))
        .unwrap()
        .score;
    assert!((a - b).abs() < 1e-12, "{a} vs {b}");
}

#[test]
fn a_service_radius_excludes_listings_beyond_it() {
    let mut local_firm = tank_maker();
    local_firm.external_id = "fr-cuves-local".to_owned();
    local_firm.service_radius_km = Some(100.0);
    let far = tank_request(&["11.02"]);
    let mut near = tank_request(&["11.02"]);
    near.external_id = "fr-req-cuves".to_owned();
    near.location = location(CONDOM);
    near.region = "FR-32".to_owned();
    let w = world(&[local_firm, tank_maker()], &[far, near]);
    assert_eq!(ranking(&w, "fr-cuves-local", 10), ["fr-req-cuves"]);
    assert_eq!(ranking(&w, "fr-cuves", 10).len(), 2);
    // And from the listing's side: the far listing does not get the limited firm.
    let far = w
        .listings
        .iter()
        .find(|o| o.id == "es-req-depositos")
        .unwrap();
    let firms: Vec<String> = w
        .matcher
        .companies_for_opportunity(far, &w.companies, &w.stats, day(AS_OF), 10)
        .into_iter()
        .map(|s| s.company_id)
        .collect();
    assert_eq!(firms, ["fr-cuves"]);
}

#[test]
fn distance_breaks_ties_but_does_not_exclude() {
    let zaragoza = tank_request(&["11.02"]);
    let mut logrono = tank_request(&["11.02"]);
    logrono.external_id = "es-req-depositos-logrono".to_owned();
    logrono.location = location(LOGRONO);
    logrono.region = "ES-RI".to_owned();
    let w = world(&[tank_maker()], &[zaragoza, logrono]);
    let scored =
        w.matcher
            .matches_for_company(&w.companies[0], &w.listings, &w.stats, day(AS_OF), 10);
    assert_eq!(scored.len(), 2);
    let (near, far) = (&scored[0], &scored[1]);
    // By default the nearer is the one fewer minutes away by road…
    let minutes = |s: &pyred_matching::Scored| s.breakdown.travel.map(|t| t.minutes);
    assert!(
        minutes(near) < minutes(far),
        "{:?} vs {:?}",
        minutes(near),
        minutes(far)
    );
    assert!(
        far.score > 0.8 * near.score,
        "{} vs {}",
        far.score,
        near.score
    );
    // …and with the straight-line measure, the one fewer km away as the crow flies.
    let straight = w
        .matcher
        .clone()
        .with_distance_measure(pyred_matching::DistanceMeasure::StraightLine);
    let scored =
        straight.matches_for_company(&w.companies[0], &w.listings, &w.stats, day(AS_OF), 10);
    assert!(scored[0].breakdown.distance_km < scored[1].breakdown.distance_km);
}

#[test]
fn both_directions_rank_the_right_firm_first() {
    let w = standard_world();
    for (listing, expected) in [
        ("es-req-mecanizado", "fr-usinage"),
        ("es-req-depositos", "fr-cuves"),
        ("es-req-pato", "fr-foie-gras"),
    ] {
        let opportunity = w.listings.iter().find(|o| o.id == listing).unwrap();
        let firms =
            w.matcher
                .companies_for_opportunity(opportunity, &w.companies, &w.stats, day(AS_OF), 3);
        assert_eq!(
            firms.first().map(|s| s.company_id.as_str()),
            Some(expected),
            "{listing}"
        );
        assert!(firms.windows(2).all(|p| p[0].score >= p[1].score));
    }
}

#[test]
fn a_listing_without_kind_is_refused_at_the_boundary() {
    let matcher = Matcher::new().unwrap();
    let mut listing = machining_request();
    listing.kind = pb::OpportunityKind::Unspecified as i32;
    assert!(matcher.opportunity(&listing).is_err());
    let mut listing = machining_request();
    listing.deadline = Some(pb::Date {
        year: 2027,
        month: 2,
        day: 30,
    });
    assert!(matcher.opportunity(&listing).is_err());
}

#[test]
fn a_service_radius_in_hours_excludes_listings_farther_by_road() {
    let zaragoza = tank_request(&["11.02"]);
    let mut logrono = tank_request(&["11.02"]);
    logrono.external_id = "es-req-depositos-logrono".to_owned();
    logrono.location = location(LOGRONO);
    logrono.region = "ES-RI".to_owned();
    let probe = world(&[tank_maker()], &[zaragoza.clone(), logrono.clone()]);
    let minutes: Vec<f64> = probe
        .listings
        .iter()
        .map(|o| {
            probe
                .matcher
                .trip(&probe.companies[0], o, day(AS_OF))
                .unwrap()
                .minutes
        })
        .collect();
    let (near, far) = if minutes[0] < minutes[1] {
        (0, 1)
    } else {
        (1, 0)
    };
    assert!(minutes[far] - minutes[near] > 10.0, "{minutes:?}");
    let mut limited = tank_maker();
    limited.external_id = "fr-cuves-heures".to_owned();
    limited.service_radius_hours = Some((minutes[near] + minutes[far]) / 2.0 / 60.0);
    let w = world(&[limited, tank_maker()], &[zaragoza, logrono]);
    let ids = [&w.listings[0].id, &w.listings[1].id];
    assert_eq!(ranking(&w, "fr-cuves-heures", 10), [ids[near].clone()]);
    assert_eq!(ranking(&w, "fr-cuves", 10).len(), 2);
    // From the far listing's side, the limited firm is out too.
    let firms: Vec<String> = w
        .matcher
        .companies_for_opportunity(&w.listings[far], &w.companies, &w.stats, day(AS_OF), 10)
        .into_iter()
        .map(|s| s.company_id)
        .collect();
    assert_eq!(firms, ["fr-cuves"]);
}

#[test]
fn a_crossing_closed_that_day_changes_the_trip_and_the_reason() {
    // Aínsa lies just south of the Bielsa tunnel, closed for avalanche risk on
    // 18–19 January 2026 (libs/travel/data/crossings.csv).
    let mut ainsa = tank_request(&["11.02"]);
    ainsa.location = location((42.41547, 0.14008, "Aínsa"));
    ainsa.published = Some(date("2025-12-01"));
    let w = world(&[tank_maker()], &[ainsa]);
    let lead = |on: &str| {
        w.matcher
            .matches_for_company(&w.companies[0], &w.listings, &w.stats, day(on), 1)
            .pop()
            .unwrap()
    };
    let open = lead("2026-01-20");
    let closed = lead("2026-01-18");
    let (t_open, t_closed) = (
        open.breakdown.travel.unwrap(),
        closed.breakdown.travel.unwrap(),
    );
    assert_eq!(
        t_open.crossing.map(|c| c.id().as_str()),
        Some("bielsa-tunnel")
    );
    assert!(t_open.closed_detour.is_none());
    assert_ne!(
        t_closed.crossing.map(|c| c.id().as_str()),
        Some("bielsa-tunnel")
    );
    let (which, detour) = t_closed.closed_detour.unwrap();
    assert_eq!(which.id().as_str(), "bielsa-tunnel");
    assert!((detour - (t_closed.minutes - t_open.minutes)).abs() < 1e-6);
    assert!(detour > 30.0, "{detour} min");
    let reason = |s: &pyred_matching::Scored| {
        s.reasons
            .iter()
            .find(|r| r.feature == Feature::Distance)
            .cloned()
            .unwrap()
    };
    assert!(
        !reason(&open).text_fr.contains("fermé"),
        "{}",
        reason(&open).text_fr
    );
    let r = reason(&closed);
    let extra = pyred_matching::explain::duration_text(detour);
    assert!(
        r.text_fr.contains(&format!(
            "le tunnel d'Aragnouet-Bielsa est fermé ce jour-là (détour de {extra})"
        )),
        "{}",
        r.text_fr
    );
    assert!(
        r.text_es.contains(&format!(
            "el túnel de Bielsa-Aragnouet está cerrado ese día (rodeo de {extra})"
        )),
        "{}",
        r.text_es
    );
    // And the nearer-by-road listing scores higher on the distance term.
    assert!(open.breakdown.distance > closed.breakdown.distance);
}
