//! The registry's storage suite: every test runs once on SQLite and once on PostgreSQL
//! (a fresh database per test, when `PYRED_TEST_DATABASE_URL` is set), through the same
//! operations the gRPC adapter calls.

use std::collections::HashSet;

use prost::Message as _;
use pyred_proto::v1::{self as pb};
use pyred_registry::error::RegistryError;
use pyred_registry::registrar::Registrar;
use pyred_registry::store::Store;
use pyred_runtime::Secret;

mod fixtures;
use fixtures::zaragoza_listing;

/// A store on the database at `url` (SQLite or PostgreSQL), and that URL.
async fn open_store(url: Secret) -> (Store, Secret) {
    (Store::open(&url).await.expect("open the store"), url)
}

pyred_runtime::storage_suite! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    open = open_store -> (store, url);
    company_round_trip_normalises_and_finds_by_legal_id,
    bad_company_reports_every_field_at_once,
    stale_version_fails_and_changes_nothing,
    duplicates_are_refused,
    delete_and_erasure_reach_the_feed_without_personal_data,
    companies_list_with_filters_and_pages,
    opportunity_lifecycle_and_expiry,
    bad_listings_name_their_fields,
    sync_is_idempotent_and_versioned,
    replaying_ten_thousand_listings_changes_nothing,
    concurrent_writers_leave_a_gap_free_ordered_feed,
    opportunities_list_with_filters,
    opportunity_update_applies_the_mask_and_checks_the_version,
    feed_semantics_tombstones_publisher_endings_and_cursor,
    tender_fields_are_checked_and_stored,
    service_radius_in_hours_is_checked_stored_and_masked,
}

fn violation_fields(error: RegistryError) -> Vec<String> {
    match error {
        RegistryError::InvalidInput(invalid) => {
            invalid.violations.into_iter().map(|v| v.field).collect()
        }
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn auch_company(external_id: &str) -> pb::Company {
    pb::Company {
        source: "cci-gers".to_owned(),
        external_id: external_id.to_owned(),
        name: "  Usinage Gascon  ".to_owned(),
        country: "fr".to_owned(),
        legal_id: Some(pb::LegalId {
            scheme: 0,
            value: "732 829 320 00074".to_owned(),
            display: String::new(),
        }),
        activities: vec![pb::ActivityCode {
            nace: String::new(),
            given: "25.62B".to_owned(),
        }],
        language: pb::Language::Fr as i32,
        description: "Atelier d'usinage de pièces aéronautiques".to_owned(),
        offers: "Usinage de précision 5 axes".to_owned(),
        seeks: "Donneurs d'ordre en Aragon".to_owned(),
        location: Some(pb::Location {
            lat: Some(43.646),
            lon: Some(0.586),
            place_code: "32013".to_owned(),
            place_name: String::new(),
        }),
        region: "FR-32".to_owned(),
        employees: Some(24),
        languages: vec!["fr".to_owned(), "ES".to_owned()],
        contact: Some(pb::Contact {
            name: "Jeanne Lafitte".to_owned(),
            email: "jeanne@usinage-gascon.fr".to_owned(),
            phone: "+33 5 62 00 00 00".to_owned(),
        }),
        visibility: pb::Visibility::Public as i32,
        ..Default::default()
    }
}

async fn feed(store: &Store) -> Vec<pb::Change> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let batch = store.changes_after(after, 1000).await.expect("feed");
        if batch.is_empty() {
            return all;
        }
        for change in batch {
            after = change.seq;
            all.push(change.to_pb().expect("decodes"));
        }
    }
}

async fn company_round_trip_normalises_and_finds_by_legal_id(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    let created = registrar
        .create_company(&auch_company("gers-0100"))
        .await
        .expect("valid company");
    assert_eq!(created.id, "gers-0100", "the publisher's id is the id");
    assert_eq!(created.name, "Usinage Gascon");
    assert_eq!(created.country, "FR");
    assert_eq!(created.version, 1);
    let legal = created.legal_id.clone().expect("legal id kept");
    assert_eq!(legal.scheme, pb::LegalIdScheme::Siret as i32);
    assert_eq!(legal.value, "73282932000074");
    assert_eq!(legal.display, "732 829 320 00074");
    assert_eq!(created.activities[0].nace, "25.62");
    assert_eq!(created.activities[0].given, "25.62B");
    assert_eq!(created.languages, ["fr", "es"]);
    let location = created.location.clone().expect("location");
    assert_eq!(location.place_name, "Auch");

    let by_id = registrar
        .get_company(&pb::GetCompanyRequest {
            id: "gers-0100".to_owned(),
            legal_id: String::new(),
        })
        .await
        .expect("found");
    assert_eq!(
        by_id.contact.as_ref().map(|c| c.email.as_str()),
        Some("jeanne@usinage-gascon.fr")
    );
    let by_legal = registrar
        .get_company(&pb::GetCompanyRequest {
            id: String::new(),
            legal_id: "73282932000074".to_owned(),
        })
        .await
        .expect("found by siret");
    assert_eq!(by_legal.id, "gers-0100");
    let by_siren = registrar
        .get_company(&pb::GetCompanyRequest {
            id: String::new(),
            legal_id: "732-829-320 00074".to_owned(),
        })
        .await
        .expect("found by formatted siret");
    assert_eq!(by_siren, by_legal);
    let by_siren_only = registrar
        .get_company(&pb::GetCompanyRequest {
            id: String::new(),
            legal_id: "732 829 320".to_owned(),
        })
        .await
        .expect("found by the SIREN of its SIRET");
    assert_eq!(by_siren_only.id, "gers-0100");
    let unknown = registrar
        .get_company(&pb::GetCompanyRequest {
            id: String::new(),
            legal_id: "552 100 554".to_owned(),
        })
        .await
        .expect_err("valid SIREN, no such company");
    assert!(
        matches!(unknown, RegistryError::NotFound { .. }),
        "{unknown:?}"
    );

    let changes = feed(&store).await;
    assert_eq!(changes.len(), 1);
    let Some(pb::change::Record::Company(announced)) = &changes[0].record else {
        panic!("company payload expected");
    };
    assert_eq!(announced.name, "Usinage Gascon");
    assert!(
        announced.contact.is_none(),
        "the feed never carries contacts"
    );
}

async fn bad_company_reports_every_field_at_once(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    let mut company = auch_company("gers-0101");
    company.name = "   ".to_owned();
    company.legal_id = Some(pb::LegalId {
        scheme: 0,
        value: "73282932000075".to_owned(),
        display: String::new(),
    });
    company.activities.push(pb::ActivityCode {
        nace: String::new(),
        given: "99.99".to_owned(),
    });
    company.contact = Some(pb::Contact {
        name: "X".to_owned(),
        email: "not-an-email".to_owned(),
        phone: "call me".to_owned(),
    });
    company.employees = Some(-3);
    company.languages.push("french".to_owned());
    company.language = 0;
    let fields = violation_fields(
        registrar
            .create_company(&company)
            .await
            .expect_err("invalid"),
    );
    for expected in [
        "company.name",
        "company.legal_id.value",
        "company.activities[1]",
        "company.contact.email",
        "company.contact.phone",
        "company.employees",
        "company.languages[2]",
        "company.language",
    ] {
        assert!(
            fields.iter().any(|f| f == expected),
            "{expected} missing from {fields:?}"
        );
    }

    let mut unknown_place = auch_company("gers-0102");
    unknown_place
        .location
        .as_mut()
        .expect("location")
        .place_code = "32999".to_owned();
    let fields = violation_fields(
        registrar
            .create_company(&unknown_place)
            .await
            .expect_err("unknown commune"),
    );
    assert_eq!(fields, ["company.location.place_code"]);

    let mut far_point = auch_company("gers-0103");
    far_point.location.as_mut().expect("location").lat = Some(44.2); // ~60 km north of Auch
    let fields = violation_fields(
        registrar
            .create_company(&far_point)
            .await
            .expect_err("far from Auch"),
    );
    assert_eq!(fields, ["company.location.lat"]);

    let mut wrong_region = auch_company("gers-0104");
    wrong_region.region = "ES-AR".to_owned();
    let fields = violation_fields(
        registrar
            .create_company(&wrong_region)
            .await
            .expect_err("Auch is not in Aragón"),
    );
    assert!(fields.contains(&"company.region".to_owned()), "{fields:?}");
    assert!(
        fields.contains(&"company.location.place_code".to_owned()),
        "{fields:?}"
    );

    let mut nif_in_france = auch_company("gers-0105");
    nif_in_france.legal_id = Some(pb::LegalId {
        scheme: pb::LegalIdScheme::Nif as i32,
        value: "B12345674".to_owned(),
        display: String::new(),
    });
    let fields = violation_fields(
        registrar
            .create_company(&nif_in_france)
            .await
            .expect_err("NIF for a French firm"),
    );
    assert_eq!(fields, ["company.legal_id.scheme"]);

    assert!(feed(&store).await.is_empty(), "nothing was written");
}

async fn stale_version_fails_and_changes_nothing(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    registrar
        .create_company(&auch_company("gers-0110"))
        .await
        .expect("created");
    let update = |name: &str, expected_version| pb::UpdateCompanyRequest {
        company: Some(pb::Company {
            id: "gers-0110".to_owned(),
            name: name.to_owned(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["name".to_owned()],
        }),
        expected_version,
    };
    let updated = registrar
        .update_company(&update("Usinage Gascon SAS", 1))
        .await
        .expect("fresh version");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.name, "Usinage Gascon SAS");
    assert_eq!(
        updated.offers, "Usinage de précision 5 axes",
        "unmasked fields kept"
    );
    assert_eq!(
        updated.contact.as_ref().map(|c| c.name.as_str()),
        Some("Jeanne Lafitte")
    );

    let stale = registrar
        .update_company(&update("Autre nom", 1))
        .await
        .expect_err("stale");
    assert!(
        matches!(stale, RegistryError::VersionConflict { .. }),
        "{stale:?}"
    );
    let status = tonic::Status::from(stale);
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);

    let bad_mask = registrar
        .update_company(&pb::UpdateCompanyRequest {
            company: Some(pb::Company {
                id: "gers-0110".to_owned(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["version".to_owned()],
            }),
            expected_version: 0,
        })
        .await
        .expect_err("version is not writable");
    assert_eq!(violation_fields(bad_mask), ["update_mask.paths[0]"]);

    let invalid = registrar
        .update_company(&update("", 2))
        .await
        .expect_err("empty name");
    assert_eq!(violation_fields(invalid), ["company.name"]);

    let stored = registrar
        .get_company(&pb::GetCompanyRequest {
            id: "gers-0110".to_owned(),
            legal_id: String::new(),
        })
        .await
        .expect("still there");
    assert_eq!(stored.name, "Usinage Gascon SAS");
    assert_eq!(stored.version, 2);
    assert_eq!(
        feed(&store).await.len(),
        2,
        "create + one successful update"
    );
}

async fn duplicates_are_refused(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    registrar
        .create_company(&auch_company("gers-0120"))
        .await
        .expect("created");
    let again = registrar
        .create_company(&auch_company("gers-0120"))
        .await
        .expect_err("same id");
    assert!(
        matches!(again, RegistryError::AlreadyExists(_)),
        "{again:?}"
    );
    let same_siret = registrar
        .create_company(&auch_company("gers-0121"))
        .await
        .expect_err("same siret");
    assert!(
        matches!(&same_siret, RegistryError::AlreadyExists(m) if m.contains("legal id")),
        "{same_siret:?}"
    );
    assert_eq!(
        tonic::Status::from(same_siret).code(),
        tonic::Code::AlreadyExists
    );
    assert_eq!(feed(&store).await.len(), 1);
}

async fn delete_and_erasure_reach_the_feed_without_personal_data(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    registrar
        .create_company(&auch_company("gers-0130"))
        .await
        .expect("created");
    let mut second = auch_company("gers-0131");
    second.legal_id = None;
    registrar.create_company(&second).await.expect("created");

    let erased = registrar
        .erase_contact(&pb::EraseCompanyContactRequest {
            id: "gers-0130".to_owned(),
        })
        .await
        .expect("erased");
    assert!(erased.contact.is_none());
    let reread = registrar
        .get_company(&pb::GetCompanyRequest {
            id: "gers-0130".to_owned(),
            legal_id: String::new(),
        })
        .await
        .expect("the firm stays");
    assert!(reread.contact.is_none(), "the contact is gone");
    assert_eq!(reread.name, "Usinage Gascon");

    let seq = registrar
        .delete_company(&pb::DeleteCompanyRequest {
            id: "gers-0131".to_owned(),
            expected_version: 0,
        })
        .await
        .expect("deleted");
    let missing = registrar
        .get_company(&pb::GetCompanyRequest {
            id: "gers-0131".to_owned(),
            legal_id: String::new(),
        })
        .await
        .expect_err("gone");
    assert!(matches!(missing, RegistryError::NotFound { .. }));

    let changes = feed(&store).await;
    let ops: Vec<(String, i32)> = changes.iter().map(|c| (c.id.clone(), c.op)).collect();
    assert_eq!(
        ops,
        [
            ("gers-0130".to_owned(), pb::ChangeOp::Upsert as i32),
            ("gers-0131".to_owned(), pb::ChangeOp::Upsert as i32),
            ("gers-0130".to_owned(), pb::ChangeOp::Erase as i32),
            ("gers-0131".to_owned(), pb::ChangeOp::Delete as i32),
        ]
    );
    assert_eq!(changes[3].seq, seq);
    for change in &changes {
        if let Some(pb::change::Record::Company(company)) = &change.record {
            let bytes = company.encode_to_vec();
            assert!(
                !bytes.windows(b"jeanne@".len()).any(|w| w == b"jeanne@"),
                "no personal data in the feed"
            );
        }
    }
}

async fn companies_list_with_filters_and_pages(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    for i in 0..7 {
        let mut company = auch_company(&format!("gers-02{i:02}"));
        company.legal_id = None;
        company.name = if i % 2 == 0 {
            format!("Élevage {i}")
        } else {
            format!("Usine {i}")
        };
        if i == 3 {
            company.activities = vec![pb::ActivityCode {
                nace: String::new(),
                given: "1013".to_owned(),
            }];
        }
        registrar.create_company(&company).await.expect("created");
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = registrar
            .list_companies(&pb::ListCompaniesRequest {
                page: Some(pb::PageRequest {
                    page_size: 3,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .expect("page");
        assert!(page.companies.len() <= 3);
        seen.extend(page.companies.into_iter().map(|c| c.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        7,
        "no duplicates across pages"
    );

    let list = |request: pb::ListCompaniesRequest| {
        let registrar = registrar.clone();
        async move {
            registrar
                .list_companies(&request)
                .await
                .expect("list")
                .companies
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(pb::ListCompaniesRequest {
            nace_prefix: "10".to_owned(),
            ..Default::default()
        })
        .await,
        ["gers-0203"]
    );
    assert_eq!(
        list(pb::ListCompaniesRequest {
            nace_prefix: "C".to_owned(),
            ..Default::default()
        })
        .await
        .len(),
        7
    );
    assert_eq!(
        list(pb::ListCompaniesRequest {
            name_prefix: "elevage".to_owned(),
            ..Default::default()
        })
        .await
        .len(),
        4
    );
    assert!(
        list(pb::ListCompaniesRequest {
            region: "ES-AR".to_owned(),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    let bad = registrar
        .list_companies(&pb::ListCompaniesRequest {
            page: Some(pb::PageRequest {
                page_size: 2,
                page_token: "zz".to_owned(),
            }),
            nace_prefix: "99.99".to_owned(),
            ..Default::default()
        })
        .await
        .expect_err("bad token and prefix");
    let mut fields = violation_fields(bad);
    fields.sort();
    assert_eq!(fields, ["nace_prefix", "page.page_token"]);
}

async fn opportunity_lifecycle_and_expiry(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    let mut listing = zaragoza_listing("arex-2026-0500", 1);
    listing.deadline = None;
    let created = registrar
        .create_opportunity(&pb::CreateOpportunityRequest {
            opportunity: Some(listing),
            draft: true,
        })
        .await
        .expect("created");
    assert_eq!(created.id, "arex-2026-0500");
    assert_eq!(created.status, pb::OpportunityStatus::Draft as i32);
    assert_eq!(
        created.expires_on,
        Some(pb::Date {
            year: 2027,
            month: 11,
            day: 2
        }),
        "365 days after publication"
    );
    assert_eq!(created.activities[0].nace, "25.62");
    assert_eq!(
        created.location.as_ref().map(|l| l.place_name.as_str()),
        Some("Zaragoza")
    );

    let change =
        |change: pb::StatusChange, deadline: Option<pb::Date>| pb::ChangeOpportunityStatusRequest {
            id: "arex-2026-0500".to_owned(),
            change: change as i32,
            new_deadline: deadline,
            expected_version: 0,
        };
    let published = registrar
        .change_status(&change(pb::StatusChange::Publish, None))
        .await
        .expect("publish");
    assert_eq!(published.status, pb::OpportunityStatus::Published as i32);
    let extended = registrar
        .change_status(&change(
            pb::StatusChange::Extend,
            Some(pb::Date {
                year: 2031,
                month: 1,
                day: 31,
            }),
        ))
        .await
        .expect("extend");
    assert_eq!(
        extended.expires_on,
        Some(pb::Date {
            year: 2031,
            month: 1,
            day: 31
        })
    );
    let fulfilled = registrar
        .change_status(&change(pb::StatusChange::Fulfil, None))
        .await
        .expect("fulfil");
    assert_eq!(fulfilled.status, pb::OpportunityStatus::Fulfilled as i32);
    let refused = registrar
        .change_status(&change(pb::StatusChange::Withdraw, None))
        .await
        .expect_err("fulfilled");
    assert_eq!(
        tonic::Status::from(refused).code(),
        tonic::Code::FailedPrecondition
    );
    let past = registrar
        .change_status(&change(
            pb::StatusChange::Extend,
            Some(pb::Date {
                year: 2020,
                month: 1,
                day: 1,
            }),
        ))
        .await
        .expect_err("a fulfilled listing is not extended");
    assert_eq!(
        tonic::Status::from(past).code(),
        tonic::Code::FailedPrecondition
    );

    let mut old = zaragoza_listing("arex-2025-0001", 1);
    old.published = Some(pb::Date {
        year: 2025,
        month: 1,
        day: 10,
    });
    old.deadline = Some(pb::Date {
        year: 2025,
        month: 6,
        day: 30,
    });
    let expired = registrar
        .create_opportunity(&pb::CreateOpportunityRequest {
            opportunity: Some(old),
            draft: false,
        })
        .await
        .expect("created");
    assert_eq!(
        expired.status,
        pb::OpportunityStatus::Expired as i32,
        "past its deadline"
    );
    assert_eq!(feed(&store).await.len(), 5);
}

async fn bad_listings_name_their_fields(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    let mut listing = zaragoza_listing("arex-2026-0600", 1);
    listing.title = String::new();
    listing.kind = 0;
    listing.cpv = vec![
        "45233140-2".to_owned(),
        "45233140-3".to_owned(),
        "4523".to_owned(),
    ];
    listing.deadline = Some(pb::Date {
        year: 2026,
        month: 10,
        day: 1,
    });
    listing.budget_eur = Some(-5.0);
    listing.location.as_mut().expect("location").place_code = "50999".to_owned();
    let fields = violation_fields(
        registrar
            .create_opportunity(&pb::CreateOpportunityRequest {
                opportunity: Some(listing),
                draft: false,
            })
            .await
            .expect_err("invalid"),
    );
    for expected in [
        "opportunity.title",
        "opportunity.kind",
        "opportunity.cpv[1]",
        "opportunity.cpv[2]",
        "opportunity.deadline",
        "opportunity.budget_eur",
        "opportunity.location.place_code",
    ] {
        assert!(
            fields.iter().any(|f| f == expected),
            "{expected} missing from {fields:?}"
        );
    }
    assert!(
        !fields.iter().any(|f| f == "opportunity.cpv[0]"),
        "a valid check digit passes"
    );
    assert!(feed(&store).await.is_empty());
}

fn outcomes(response: &pb::SyncListingsResponse) -> Vec<pb::SyncOutcome> {
    response
        .results
        .iter()
        .map(|r| pb::SyncOutcome::try_from(r.outcome).expect("known outcome"))
        .collect()
}

async fn sync_is_idempotent_and_versioned(store: Store, _url: Secret) {
    use pb::SyncOutcome::{Created, Rejected, Unchanged, Updated, Withdrawn};
    let registrar = Registrar::new(store.clone());
    let mut bad = zaragoza_listing("arex-2026-0702", 1);
    bad.title = String::new();
    let batch = pb::SyncListingsRequest {
        source: "arex".to_owned(),
        upserts: vec![
            zaragoza_listing("arex-2026-0700", 1),
            bad,
            zaragoza_listing("arex-2026-0701", 3),
        ],
        withdrawals: vec!["arex-2026-0701".to_owned(), "arex-nope".to_owned()],
        ..Default::default()
    };
    let first = registrar.sync_listings(&batch).await.expect("sync");
    assert_eq!(
        outcomes(&first),
        [Created, Rejected, Created, Withdrawn, Rejected]
    );
    assert_eq!(first.results[1].violations[0].field, "upserts[1].title");
    assert_eq!(first.results[4].violations[0].field, "withdrawals[1]");
    let feed_after_first = feed(&store).await;
    assert_eq!(
        first.last_seq,
        feed_after_first.last().map(|c| c.seq).unwrap_or_default()
    );

    let replay = registrar.sync_listings(&batch).await.expect("replay");
    assert_eq!(
        outcomes(&replay),
        [Unchanged, Rejected, Unchanged, Unchanged, Rejected]
    );
    assert_eq!(replay.last_seq, 0, "nothing committed");
    assert_eq!(
        feed(&store).await.len(),
        feed_after_first.len(),
        "the feed did not move"
    );

    let older = registrar
        .sync_listings(&pb::SyncListingsRequest {
            source: "arex".to_owned(),
            upserts: vec![zaragoza_listing("arex-2026-0701", 2)],
            withdrawals: vec![],
            ..Default::default()
        })
        .await
        .expect("older");
    assert_eq!(
        outcomes(&older),
        [Unchanged],
        "an older version never overwrites a newer one"
    );

    let newer = registrar
        .sync_listings(&pb::SyncListingsRequest {
            source: "arex".to_owned(),
            upserts: vec![
                zaragoza_listing("arex-2026-0701", 4),
                zaragoza_listing("arex-2026-0700", 2),
            ],
            withdrawals: vec![],
            ..Default::default()
        })
        .await
        .expect("newer");
    assert_eq!(outcomes(&newer), [Updated, Updated]);
    let republished = registrar
        .get_opportunity("arex-2026-0701")
        .await
        .expect("found");
    assert_eq!(
        republished.status,
        pb::OpportunityStatus::Published as i32,
        "a newer version republishes"
    );
    assert_eq!(republished.source_version, 4);
    assert!(republished.description.ends_with("versión 4"));

    let foreign = registrar
        .sync_listings(&pb::SyncListingsRequest {
            source: "ader".to_owned(),
            upserts: vec![zaragoza_listing("arex-2026-0700", 9)],
            withdrawals: vec!["arex-2026-0700".to_owned()],
            ..Default::default()
        })
        .await
        .expect("other source");
    assert_eq!(
        outcomes(&foreign),
        [Rejected, Rejected],
        "a publisher cannot touch another's listings"
    );
    assert_eq!(
        registrar
            .get_opportunity("arex-2026-0700")
            .await
            .expect("kept")
            .source_version,
        2
    );

    let repeated = registrar
        .sync_listings(&pb::SyncListingsRequest {
            source: "arex".to_owned(),
            upserts: vec![
                zaragoza_listing("arex-2026-0703", 1),
                zaragoza_listing("arex-2026-0703", 2),
            ],
            withdrawals: vec![],
            ..Default::default()
        })
        .await
        .expect("repeated key");
    assert_eq!(
        outcomes(&repeated),
        [Created, Updated],
        "a key repeated in one batch is created once"
    );
    assert_eq!(
        registrar
            .get_opportunity("arex-2026-0703")
            .await
            .expect("found")
            .source_version,
        2
    );

    let empty_source = registrar
        .sync_listings(&pb::SyncListingsRequest {
            source: String::new(),
            upserts: vec![],
            withdrawals: vec![],
            ..Default::default()
        })
        .await
        .expect_err("source required");
    assert_eq!(violation_fields(empty_source), ["source"]);
}

async fn replaying_ten_thousand_listings_changes_nothing(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    let batches: Vec<pb::SyncListingsRequest> = (0..20)
        .map(|b| pb::SyncListingsRequest {
            source: "arex".to_owned(),
            upserts: (0..500)
                .map(|i| zaragoza_listing(&format!("arex-bulk-{b:02}-{i:03}"), 1))
                .collect(),
            withdrawals: vec![],
            ..Default::default()
        })
        .collect();
    for batch in &batches {
        let response = registrar.sync_listings(batch).await.expect("sync");
        assert!(
            outcomes(&response)
                .iter()
                .all(|o| *o == pb::SyncOutcome::Created)
        );
    }
    let last = store.last_seq().await.expect("seq");
    assert_eq!(last, 10_000);
    for batch in &batches {
        let response = registrar.sync_listings(batch).await.expect("replay");
        assert!(
            outcomes(&response)
                .iter()
                .all(|o| *o == pb::SyncOutcome::Unchanged)
        );
        assert_eq!(response.last_seq, 0);
    }
    assert_eq!(
        store.last_seq().await.expect("seq"),
        last,
        "the feed is unchanged"
    );
    let listed = registrar
        .list_opportunities(&pb::ListOpportunitiesRequest {
            page: Some(pb::PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .expect("list");
    assert!(
        listed.opportunities.iter().all(|o| o.version == 1),
        "no record was rewritten"
    );
}

async fn concurrent_writers_leave_a_gap_free_ordered_feed(store: Store, url: Secret) {
    // Two stores on one database stand for two registry replicas: only the database-level
    // lock (advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite) serialises them.
    let replicas = [
        Registrar::new(store.clone()),
        Registrar::new(Store::open(&url).await.expect("second replica")),
    ];
    // A reader follows the feed while writers run, as a consumer would.
    let reader_store = store.clone();
    let reader = tokio::spawn(async move {
        let mut cursor = 0;
        let mut seen = Vec::new();
        while seen.len() < 400 {
            let batch = reader_store.changes_after(cursor, 50).await.expect("feed");
            for change in batch {
                assert_eq!(
                    change.seq,
                    cursor + 1,
                    "the reader never skips a sequence number"
                );
                cursor = change.seq;
                seen.push(change.entity_id);
            }
            tokio::task::yield_now().await;
        }
        seen
    });
    let mut writers = Vec::new();
    for w in 0..8 {
        let registrar = replicas[w % 2].clone();
        writers.push(tokio::spawn(async move {
            for b in 0..5 {
                let batch = pb::SyncListingsRequest {
                    source: "arex".to_owned(),
                    upserts: (0..10)
                        .map(|i| zaragoza_listing(&format!("arex-w{w}-{b}-{i}"), 1))
                        .collect(),
                    withdrawals: vec![],
                    ..Default::default()
                };
                registrar
                    .sync_listings(&batch)
                    .await
                    .expect("concurrent sync");
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    let seen = tokio::time::timeout(std::time::Duration::from_secs(60), reader)
        .await
        .expect("reader finishes")
        .expect("reader");
    assert_eq!(seen.len(), 400);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        400,
        "each change once"
    );
    let changes = feed(&store).await;
    let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=400).collect::<Vec<_>>());
}

async fn opportunities_list_with_filters(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    let mut tender = zaragoza_listing("pcsp-1", 1);
    tender.source = "pcsp".to_owned();
    tender.kind = pb::OpportunityKind::Tender as i32;
    tender.cpv = vec!["45233140-2".to_owned()];
    tender.activities = vec![pb::ActivityCode {
        nace: "42.11".to_owned(),
        given: String::new(),
    }];
    let mut logrono = zaragoza_listing("ader-1", 1);
    logrono.source = "ader".to_owned();
    logrono.region = "ES-RI".to_owned();
    logrono.location = Some(pb::Location {
        lat: Some(42.4667),
        lon: Some(-2.45),
        place_code: "26089".to_owned(),
        place_name: String::new(),
    });
    logrono.published = Some(pb::Date {
        year: 2026,
        month: 9,
        day: 1,
    });
    for listing in [zaragoza_listing("arex-1", 1), tender, logrono] {
        registrar
            .create_opportunity(&pb::CreateOpportunityRequest {
                opportunity: Some(listing),
                draft: false,
            })
            .await
            .expect("created");
    }
    let ids = |request: pb::ListOpportunitiesRequest| {
        let registrar = registrar.clone();
        async move {
            registrar
                .list_opportunities(&request)
                .await
                .expect("list")
                .opportunities
                .into_iter()
                .map(|o| o.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        ids(pb::ListOpportunitiesRequest {
            source: "pcsp".to_owned(),
            ..Default::default()
        })
        .await,
        ["pcsp-1"]
    );
    assert_eq!(
        ids(pb::ListOpportunitiesRequest {
            kind: pb::OpportunityKind::Tender as i32,
            ..Default::default()
        })
        .await,
        ["pcsp-1"]
    );
    assert_eq!(
        ids(pb::ListOpportunitiesRequest {
            region: "es-ri".to_owned(),
            ..Default::default()
        })
        .await,
        ["ader-1"]
    );
    assert_eq!(
        ids(pb::ListOpportunitiesRequest {
            nace_prefix: "F".to_owned(),
            ..Default::default()
        })
        .await,
        ["pcsp-1"]
    );
    assert_eq!(
        ids(pb::ListOpportunitiesRequest {
            nace_prefix: "25.6".to_owned(),
            ..Default::default()
        })
        .await,
        ["ader-1", "arex-1"]
    );
    assert_eq!(
        ids(pb::ListOpportunitiesRequest {
            published: Some(pb::DateRange {
                from: None,
                to: Some(pb::Date {
                    year: 2026,
                    month: 10,
                    day: 1
                })
            }),
            ..Default::default()
        })
        .await,
        ["ader-1"]
    );
    assert_eq!(
        ids(pb::ListOpportunitiesRequest {
            status: pb::OpportunityStatus::Published as i32,
            ..Default::default()
        })
        .await
        .len(),
        3
    );
    assert!(
        ids(pb::ListOpportunitiesRequest {
            status: pb::OpportunityStatus::Expired as i32,
            ..Default::default()
        })
        .await
        .is_empty()
    );
}

async fn opportunity_update_applies_the_mask_and_checks_the_version(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    registrar
        .create_opportunity(&pb::CreateOpportunityRequest {
            opportunity: Some(zaragoza_listing("arex-2026-0800", 1)),
            draft: false,
        })
        .await
        .expect("created");
    let update =
        |title: &str, deadline: Option<pb::Date>, expected_version| pb::UpdateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                id: "arex-2026-0800".to_owned(),
                title: title.to_owned(),
                deadline,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["title".to_owned(), "deadline".to_owned()],
            }),
            expected_version,
        };
    let updated = registrar
        .update_opportunity(&update(
            "Mecanizado CNC de 5 ejes",
            Some(pb::Date {
                year: 2031,
                month: 5,
                day: 1,
            }),
            1,
        ))
        .await
        .expect("fresh version");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.title, "Mecanizado CNC de 5 ejes");
    assert_eq!(
        updated.expires_on,
        Some(pb::Date {
            year: 2031,
            month: 5,
            day: 1
        }),
        "expiry follows the deadline"
    );
    assert!(
        updated.description.starts_with("Fabricante busca"),
        "unmasked fields kept"
    );
    assert_eq!(updated.source_version, 1);

    let stale = registrar
        .update_opportunity(&update("Otro", None, 1))
        .await
        .expect_err("stale");
    assert_eq!(
        tonic::Status::from(stale).code(),
        tonic::Code::FailedPrecondition
    );
    let bad = registrar
        .update_opportunity(&update(
            "",
            Some(pb::Date {
                year: 2031,
                month: 2,
                day: 30,
            }),
            2,
        ))
        .await
        .expect_err("empty title and no such day");
    let mut fields = violation_fields(bad);
    fields.sort();
    assert_eq!(fields, ["opportunity.deadline", "opportunity.title"]);
    let missing = registrar
        .update_opportunity(&pb::UpdateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                id: "arex-nope".to_owned(),
                ..Default::default()
            }),
            update_mask: None,
            expected_version: 0,
        })
        .await
        .expect_err("no such listing");
    assert!(matches!(missing, RegistryError::NotFound { .. }));
    assert_eq!(
        feed(&store).await.len(),
        2,
        "create + one successful update"
    );
}

async fn sync_one(
    registrar: &Registrar,
    upserts: Vec<pb::Opportunity>,
    tombstones: Vec<pb::Tombstone>,
) -> pb::SyncListingsResponse {
    registrar
        .sync_listings(&pb::SyncListingsRequest {
            source: "arex".to_owned(),
            upserts,
            tombstones,
            ..Default::default()
        })
        .await
        .expect("sync")
}

fn tombstone(external_id: &str, source_version: i64) -> pb::Tombstone {
    pb::Tombstone {
        external_id: external_id.to_owned(),
        reason: "ANULADA".to_owned(),
        source_version,
    }
}

fn stored_status(record: &pb::Opportunity) -> pb::OpportunityStatus {
    pb::OpportunityStatus::try_from(record.status).expect("known status")
}

async fn feed_semantics_tombstones_publisher_endings_and_cursor(store: Store, _url: Secret) {
    use pb::OpportunityStatus::{Fulfilled, Published, Withdrawn};
    use pb::SyncOutcome::{Created, Unchanged, Updated};
    let registrar = Registrar::new(store.clone());

    // A tombstone newer than the listing withdraws it, with its reason; a replay of it
    // and of the older entry changes nothing.
    let live = zaragoza_listing("placsp-1", 10);
    assert_eq!(
        outcomes(&sync_one(&registrar, vec![live.clone()], vec![]).await),
        [Created]
    );
    let withdrawn = sync_one(&registrar, vec![], vec![tombstone("placsp-1", 20)]).await;
    assert_eq!(outcomes(&withdrawn), [pb::SyncOutcome::Withdrawn]);
    let record = registrar.get_opportunity("placsp-1").await.expect("stored");
    assert_eq!(stored_status(&record), Withdrawn);
    assert_eq!(record.withdrawal_reason, "ANULADA");
    assert_eq!(record.source_version, 20);
    let seq = store.last_seq().await.expect("seq");
    let replay = sync_one(
        &registrar,
        vec![live.clone()],
        vec![tombstone("placsp-1", 20)],
    )
    .await;
    assert_eq!(outcomes(&replay), [Unchanged, Unchanged]);
    assert_eq!(
        store.last_seq().await.expect("seq"),
        seq,
        "no feed movement"
    );
    // An older tombstone does not withdraw a newer version.
    let newer = zaragoza_listing("placsp-1", 30);
    assert_eq!(
        outcomes(&sync_one(&registrar, vec![newer], vec![]).await),
        [Updated]
    );
    let older = sync_one(&registrar, vec![], vec![tombstone("placsp-1", 20)]).await;
    assert_eq!(outcomes(&older), [Unchanged]);
    let record = registrar.get_opportunity("placsp-1").await.expect("stored");
    assert_eq!(stored_status(&record), Published);
    assert_eq!(record.withdrawal_reason, "", "a newer entry opens it again");

    // Out of order: the tombstone first, then the older entry it withdrew: stored
    // withdrawn; a newer entry still opens it.
    let first = sync_one(&registrar, vec![], vec![tombstone("placsp-2", 50)]).await;
    assert_eq!(outcomes(&first), [Unchanged]);
    assert_eq!(first.results[0].id, "");
    let late = sync_one(&registrar, vec![zaragoza_listing("placsp-2", 40)], vec![]).await;
    assert_eq!(outcomes(&late), [Created]);
    let record = registrar.get_opportunity("placsp-2").await.expect("stored");
    assert_eq!(stored_status(&record), Withdrawn);
    assert_eq!(record.withdrawal_reason, "ANULADA");
    let seq = store.last_seq().await.expect("seq");
    let again = sync_one(&registrar, vec![zaragoza_listing("placsp-2", 40)], vec![]).await;
    assert_eq!(outcomes(&again), [Unchanged]);
    assert_eq!(store.last_seq().await.expect("seq"), seq);
    // A pending tombstone older than the entry does not hold.
    sync_one(&registrar, vec![], vec![tombstone("placsp-3", 5)]).await;
    sync_one(&registrar, vec![zaragoza_listing("placsp-3", 6)], vec![]).await;
    let record = registrar.get_opportunity("placsp-3").await.expect("stored");
    assert_eq!(stored_status(&record), Published);

    // The publisher ends a listing itself: awarded → fulfilled, and the same version
    // sent again as live does not reopen it; a newer live version does.
    let mut awarded = zaragoza_listing("placsp-4", 1);
    awarded.status = Fulfilled as i32;
    assert_eq!(
        outcomes(&sync_one(&registrar, vec![awarded.clone()], vec![]).await),
        [Created]
    );
    let record = registrar.get_opportunity("placsp-4").await.expect("stored");
    assert_eq!(stored_status(&record), Fulfilled);
    let same = sync_one(&registrar, vec![zaragoza_listing("placsp-4", 1)], vec![]).await;
    assert_eq!(outcomes(&same), [Unchanged]);
    assert_eq!(
        outcomes(&sync_one(&registrar, vec![awarded], vec![]).await),
        [Unchanged]
    );
    let mut draft = zaragoza_listing("placsp-5", 1);
    draft.status = pb::OpportunityStatus::Draft as i32;
    let refused = sync_one(&registrar, vec![draft], vec![]).await;
    assert_eq!(refused.results[0].violations[0].field, "upserts[0].status");

    // The cursor: stored once the batch is applied, never moved back, readable.
    let missing = registrar
        .feed_cursor(&pb::GetFeedCursorRequest {
            source: "arex".to_owned(),
            feed: "https://example.org/feed.atom".to_owned(),
        })
        .await;
    assert!(matches!(missing, Err(RegistryError::NotFound { .. })));
    for position in ["2026-11-30T08:00:00.000Z", "2026-11-29T08:00:00.000Z"] {
        registrar
            .sync_listings(&pb::SyncListingsRequest {
                source: "arex".to_owned(),
                cursor: Some(pb::FeedCursor {
                    feed: "https://example.org/feed.atom".to_owned(),
                    position: position.to_owned(),
                    updated_at: None,
                }),
                ..Default::default()
            })
            .await
            .expect("cursor alone");
    }
    let cursor = registrar
        .feed_cursor(&pb::GetFeedCursorRequest {
            source: "arex".to_owned(),
            feed: "https://example.org/feed.atom".to_owned(),
        })
        .await
        .expect("cursor");
    assert_eq!(cursor.position, "2026-11-30T08:00:00.000Z");
    assert!(cursor.updated_at.is_some());
    let bad = registrar
        .sync_listings(&pb::SyncListingsRequest {
            source: "arex".to_owned(),
            cursor: Some(pb::FeedCursor::default()),
            ..Default::default()
        })
        .await
        .expect_err("empty cursor");
    assert_eq!(violation_fields(bad), ["cursor.feed", "cursor.position"]);
}

async fn tender_fields_are_checked_and_stored(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    let mut tender = zaragoza_listing("placsp-19163035", 1);
    tender.kind = pb::OpportunityKind::Tender as i32;
    tender.buyer = Some(pb::ContractingBody {
        name: "Ayuntamiento de Zaragoza".to_owned(),
        nif: "p-5030300-g".to_owned(),
        dir3: "L01502973".to_owned(),
    });
    tender.official_url =
        "https://contrataciondelestado.es/wps/poc?uri=deeplink:detalle_licitacion&idEvl=abc"
            .to_owned();
    tender.procedure = pb::ProcedureType::Open as i32;
    tender.contract_type = pb::ContractType::Services as i32;
    tender.tender_stage = pb::TenderStage::Open as i32;
    tender.nuts = "es243".to_owned();
    tender.lots = vec![
        pb::Lot {
            id: "1".to_owned(),
            title: "Lote 1".to_owned(),
            cpv: vec!["45233140-2".to_owned(), "45233140".to_owned()],
            budget_eur: Some(1000.0),
        },
        pb::Lot {
            id: "2".to_owned(),
            title: String::new(),
            cpv: vec![],
            budget_eur: None,
        },
    ];
    let created = sync_one(&registrar, vec![tender.clone()], vec![]).await;
    assert_eq!(
        outcomes(&created),
        [pb::SyncOutcome::Created],
        "{created:?}"
    );
    let record = registrar
        .get_opportunity("placsp-19163035")
        .await
        .expect("stored");
    let buyer = record.buyer.as_ref().expect("buyer");
    assert_eq!(buyer.nif, "P5030300G");
    assert_eq!(record.nuts, "ES243");
    assert_eq!(record.lots.len(), 2);
    assert_eq!(
        record.lots[0].cpv,
        ["45233140-2"],
        "one code, as first given"
    );
    assert_eq!(record.procedure, pb::ProcedureType::Open as i32);
    // The change feed carries them to the index.
    let last = feed(&store).await.pop().expect("a change");
    match last.record {
        Some(pb::change::Record::Opportunity(o)) => {
            assert_eq!(o.official_url, tender.official_url);
            assert_eq!(o.lots.len(), 2);
        }
        other => panic!("expected an opportunity, got {other:?}"),
    }

    let mut bad = tender.clone();
    bad.external_id = "placsp-bad".to_owned();
    bad.official_url = "javascript:alert(1)".to_owned();
    bad.procedure = 99;
    bad.nuts = "E".to_owned();
    bad.buyer = Some(pb::ContractingBody {
        name: "x".repeat(301),
        nif: "Ñ123".to_owned(),
        dir3: String::new(),
    });
    bad.lots.push(pb::Lot {
        id: "1".to_owned(),
        title: String::new(),
        cpv: vec!["123".to_owned()],
        budget_eur: Some(-1.0),
    });
    let rejected = sync_one(&registrar, vec![bad], vec![]).await;
    let fields: Vec<&str> = rejected.results[0]
        .violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(
        fields,
        [
            // Unknown enum numbers come first: the sweep runs before the field rules.
            "upserts[0].procedure",
            "upserts[0].buyer.name",
            "upserts[0].buyer.nif",
            "upserts[0].official_url",
            "upserts[0].lots[2].id",
            "upserts[0].lots[2].cpv[0]",
            "upserts[0].lots[2].budget_eur",
            "upserts[0].nuts",
        ]
    );
    assert!(
        registrar.get_opportunity("placsp-bad").await.is_err(),
        "nothing stored"
    );
}

async fn service_radius_in_hours_is_checked_stored_and_masked(store: Store, _url: Secret) {
    let registrar = Registrar::new(store.clone());
    for hours in [0.0, -1.5, 24.01, f64::NAN, f64::INFINITY] {
        let mut company = auch_company("gers-0120");
        company.service_radius_hours = Some(hours);
        let fields = violation_fields(
            registrar
                .create_company(&company)
                .await
                .expect_err("out of range"),
        );
        assert_eq!(fields, ["company.service_radius_hours"], "{hours} hours");
    }
    assert!(feed(&store).await.is_empty(), "nothing was written");

    let mut company = auch_company("gers-0120");
    company.service_radius_km = Some(250.0);
    company.service_radius_hours = Some(24.0);
    let created = registrar
        .create_company(&company)
        .await
        .expect("24 hours is the upper bound, included");
    assert_eq!(created.service_radius_hours, Some(24.0));
    let read = |id: &str| pb::GetCompanyRequest {
        id: id.to_owned(),
        legal_id: String::new(),
    };
    let stored = registrar
        .get_company(&read("gers-0120"))
        .await
        .expect("found");
    assert_eq!(stored.service_radius_hours, Some(24.0));
    assert_eq!(stored.service_radius_km, Some(250.0));

    // A mask naming only the hours changes only them, even when the message carries
    // other values.
    let update = |hours: Option<f64>, expected_version| pb::UpdateCompanyRequest {
        company: Some(pb::Company {
            id: "gers-0120".to_owned(),
            name: "Nom ignoré".to_owned(),
            service_radius_km: Some(10.0),
            service_radius_hours: hours,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["service_radius_hours".to_owned()],
        }),
        expected_version,
    };
    let updated = registrar
        .update_company(&update(Some(2.5), 1))
        .await
        .expect("masked update");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.service_radius_hours, Some(2.5));
    assert_eq!(updated.service_radius_km, Some(250.0), "unmasked km kept");
    assert_eq!(updated.name, "Usinage Gascon", "unmasked name kept");
    let stored = registrar
        .get_company(&read("gers-0120"))
        .await
        .expect("found");
    assert_eq!(stored, updated);

    let refused = registrar
        .update_company(&update(Some(30.0), 2))
        .await
        .expect_err("more than 24 hours");
    assert_eq!(violation_fields(refused), ["company.service_radius_hours"]);

    let cleared = registrar
        .update_company(&update(None, 2))
        .await
        .expect("a masked absent radius clears it");
    assert_eq!(cleared.service_radius_hours, None);
    assert_eq!(cleared.service_radius_km, Some(250.0));
    assert_eq!(
        feed(&store).await.len(),
        3,
        "create + two successful updates"
    );
}
