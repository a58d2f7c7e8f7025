//! The registry's policy, without a socket: each [`RegistryService`] operation decides
//! for the caller it is given — role, territory, source, the read that hides what the
//! caller may not see (answered as missing), the contact a public view leaves out — and
//! names in the call's audit note the object to audit, or nothing.

use pyred_access::{AuditNote, Caller, Role};
use pyred_proto::v1::{self as pb};
use pyred_registry::error::RegistryError;
use pyred_registry::registrar::Registrar;
use pyred_registry::service::RegistryService;
use pyred_registry::store::Store;
use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;

mod fixtures;
use fixtures::zaragoza_listing;

/// A service over a fresh SQLite store, with firm `gers` (FR-32, public, with a contact),
/// `zaragoza` (ES-Z, public) and `logrono` (ES-LO, advisers only) and listing `arex-1` of
/// `arex`.
async fn service(dir: &tempfile::TempDir) -> RegistryService {
    let url = pyred_runtime::db::testing::sqlite_url(dir.path(), "policy");
    let store = Store::open(&url).await.expect("store opens");
    let registrar = Registrar::new(store);
    for (id, region, visibility) in [
        ("gers", "FR-32", pb::Visibility::Public),
        ("zaragoza", "ES-Z", pb::Visibility::Public),
        ("logrono", "ES-LO", pb::Visibility::AdvisersOnly),
    ] {
        registrar
            .create_company(&firm(id, region, visibility))
            .await
            .expect("company stored");
    }
    registrar
        .create_opportunity(&pb::CreateOpportunityRequest {
            opportunity: Some(listing("arex-1", "arex")),
            draft: false,
        })
        .await
        .expect("listing stored");
    RegistryService::new(
        registrar,
        pyred_metrics::Metrics::new(),
        CancellationToken::new(),
    )
}

fn firm(id: &str, region: &str, visibility: pb::Visibility) -> pb::Company {
    let (place_code, lat, lon) = match region.trim() {
        "FR-32" => ("32013", 43.646, 0.586),
        "ES-Z" => ("50297", 41.656, -0.877),
        "ES-LO" => ("26089", 42.465, -2.445),
        "ES-HU" => ("22125", 42.136, -0.408),
        _ => ("44216", 40.344, -1.106),
    };
    pb::Company {
        external_id: id.to_owned(),
        name: format!("Firm {id}"),
        country: if region.starts_with("FR") { "FR" } else { "ES" }.to_owned(),
        activities: vec![pb::ActivityCode {
            nace: String::new(),
            given: "25.62".to_owned(),
        }],
        language: pb::Language::Fr as i32,
        description: "Usinage de précision".to_owned(),
        location: Some(pb::Location {
            lat: Some(lat),
            lon: Some(lon),
            place_code: place_code.to_owned(),
            place_name: String::new(),
        }),
        region: region.to_owned(),
        contact: Some(pb::Contact {
            name: "Jeanne Lafitte".to_owned(),
            email: format!("contact@{id}.example"),
            phone: String::new(),
        }),
        visibility: visibility as i32,
        ..Default::default()
    }
}

fn listing(external_id: &str, source: &str) -> pb::Opportunity {
    pb::Opportunity {
        source: source.to_owned(),
        ..zaragoza_listing(external_id, 0)
    }
}

fn caller(role: Role) -> Caller {
    Caller {
        key_id: format!("k-{}", role.as_str()),
        name: String::new(),
        role,
        territory: Vec::new(),
        company_id: String::new(),
        source: String::new(),
        organisation: String::new(),
    }
}

fn gers_adviser() -> Caller {
    Caller {
        territory: vec!["FR-32".to_owned()],
        ..caller(Role::Adviser)
    }
}

fn firm_key(company_id: &str) -> Caller {
    Caller {
        company_id: company_id.to_owned(),
        ..caller(Role::Firm)
    }
}

fn arex() -> Caller {
    Caller {
        source: "arex".to_owned(),
        ..caller(Role::Agency)
    }
}

/// The status a refusal answers, as the client sees it.
fn status(error: RegistryError) -> (tonic::Code, String) {
    let status = tonic::Status::from(error);
    (status.code(), status.message().to_owned())
}

fn get(id: &str) -> pb::GetCompanyRequest {
    pb::GetCompanyRequest {
        id: id.to_owned(),
        legal_id: String::new(),
    }
}

#[tokio::test]
async fn an_adviser_may_not_create_nor_move_a_firm_out_of_their_territory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = service(&dir).await;
    let note = AuditNote::default();
    let error = service
        .create_company(
            &gers_adviser(),
            &note,
            &pb::CreateCompanyRequest {
                company: Some(firm("huesca", "ES-HU", pb::Visibility::Public)),
            },
        )
        .await
        .expect_err("outside the territory");
    assert_eq!(
        status(error),
        (
            tonic::Code::PermissionDenied,
            "company.region: ES-HU is outside your territory".to_owned()
        )
    );
    assert_eq!(
        note.noted(),
        None,
        "a create refused up front is not audited"
    );

    let note = AuditNote::default();
    let error = service
        .update_company(
            &gers_adviser(),
            &note,
            &pb::UpdateCompanyRequest {
                company: Some(pb::Company {
                    id: " gers ".to_owned(),
                    region: "ES-Z".to_owned(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["region".to_owned()],
                }),
                expected_version: 0,
            },
        )
        .await
        .expect_err("moves out of the territory");
    assert_eq!(
        status(error),
        (
            tonic::Code::PermissionDenied,
            "company.region: ES-Z is outside your territory".to_owned()
        )
    );
    assert_eq!(note.noted().as_deref(), Some("company/gers"));

    // A firm of another territory is not theirs to change: it answers as missing.
    let error = service
        .erase_company_contact(
            &gers_adviser(),
            &AuditNote::default(),
            &pb::EraseCompanyContactRequest {
                id: "zaragoza".to_owned(),
            },
        )
        .await
        .expect_err("not theirs");
    assert_eq!(
        status(error),
        (
            tonic::Code::NotFound,
            "company zaragoza not found".to_owned()
        )
    );
}

#[tokio::test]
async fn a_role_refusal_names_the_role_and_audits_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = service(&dir).await;
    let note = AuditNote::default();
    let error = service
        .delete_company(
            &firm_key("gers"),
            &note,
            &pb::DeleteCompanyRequest {
                id: "gers".to_owned(),
                ..Default::default()
            },
        )
        .await
        .expect_err("a firm deletes nothing");
    assert_eq!(
        status(error),
        (
            tonic::Code::PermissionDenied,
            "a firm key may not delete companies".to_owned()
        )
    );
    assert_eq!(note.noted(), None);
    let refused = service
        .watch_changes(&gers_adviser(), &pb::WatchChangesRequest::default())
        .err()
        .expect("advisers do not follow the feed");
    assert_eq!(status(refused).0, tonic::Code::PermissionDenied);
}

#[tokio::test]
async fn a_firm_sees_itself_whole_others_public_ones_without_contact_and_no_more() {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = service(&dir).await;
    let firm = firm_key("gers");

    let note = AuditNote::default();
    let own = service
        .get_company(&firm, &note, &get("gers"))
        .await
        .expect("its own company");
    assert!(own.contact.is_some());
    assert_eq!(note.noted().as_deref(), Some("company/gers"));

    let note = AuditNote::default();
    let public = service
        .get_company(&firm, &note, &get("zaragoza"))
        .await
        .expect("a public profile");
    assert_eq!(public.contact, None);
    assert_eq!(note.noted(), None, "no personal data was read");

    let error = service
        .get_company(&firm, &AuditNote::default(), &get("logrono"))
        .await
        .expect_err("another firm's non-public company");
    assert_eq!(
        status(error),
        (
            tonic::Code::NotFound,
            "company logrono not found".to_owned()
        )
    );

    let page = service
        .list_companies(
            &firm,
            &AuditNote::default(),
            &pb::ListCompaniesRequest::default(),
        )
        .await
        .expect("a page");
    // Lists carry no contact (the store keeps contacts apart), so they audit nothing.
    let seen: Vec<_> = page.companies.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(seen, ["gers", "zaragoza"]);

    let batch = service
        .batch_get_companies(
            &firm,
            &pb::BatchGetRequest {
                ids: vec!["logrono".into(), "zaragoza".into()],
            },
        )
        .await
        .expect("a batch");
    assert_eq!(batch.companies.len(), 1);
    assert_eq!(batch.companies[0].contact, None);
}

#[tokio::test]
async fn a_service_reading_a_contact_is_not_audited() {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = service(&dir).await;
    let note = AuditNote::default();
    let company = service
        .get_company(&Caller::service(), &note, &get("logrono"))
        .await
        .expect("services see every company");
    assert!(company.contact.is_some());
    assert_eq!(note.noted(), None);

    let note = AuditNote::default();
    let company = service
        .get_company(&gers_adviser(), &note, &get("gers"))
        .await
        .expect("a firm of the territory");
    assert!(company.contact.is_some());
    assert_eq!(note.noted().as_deref(), Some("company/gers"));
}

#[tokio::test]
async fn an_import_names_the_first_company_outside_the_territory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = service(&dir).await;
    let note = AuditNote::default();
    let error = service
        .import_companies(
            &gers_adviser(),
            &note,
            &pb::ImportCompaniesRequest {
                source: "cci-gers".to_owned(),
                companies: vec![
                    firm("auch", "FR-32", pb::Visibility::Public),
                    firm("teruel", " ES-TE ", pb::Visibility::Public),
                ],
            },
        )
        .await
        .expect_err("one leaves the territory");
    assert_eq!(
        status(error),
        (
            tonic::Code::PermissionDenied,
            "companies[1].region: ES-TE is outside your territory".to_owned()
        )
    );
    assert_eq!(note.noted(), None);
}

#[tokio::test]
async fn an_agency_publishes_and_changes_only_its_own_source() {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = service(&dir).await;
    let note = AuditNote::default();
    let error = service
        .create_opportunity(
            &arex(),
            &note,
            &pb::CreateOpportunityRequest {
                opportunity: Some(listing("ader-1", "ader")),
                draft: false,
            },
        )
        .await
        .expect_err("another source");
    assert_eq!(
        status(error),
        (
            tonic::Code::PermissionDenied,
            "opportunity.source: this key publishes only as \"arex\"".to_owned()
        )
    );
    assert_eq!(note.noted(), None);

    let note = AuditNote::default();
    let created = service
        .create_opportunity(
            &arex(),
            &note,
            &pb::CreateOpportunityRequest {
                opportunity: Some(listing("arex-2", "arex")),
                draft: true,
            },
        )
        .await
        .expect("its own source");
    assert_eq!(note.noted(), Some(format!("opportunity/{}", created.id)));

    let ader = Caller {
        source: "ader".to_owned(),
        ..caller(Role::Agency)
    };
    let note = AuditNote::default();
    let error = service
        .change_opportunity_status(
            &ader,
            &note,
            &pb::ChangeOpportunityStatusRequest {
                id: "arex-1".to_owned(),
                change: pb::StatusChange::Withdraw as i32,
                ..Default::default()
            },
        )
        .await
        .expect_err("not its listing");
    assert_eq!(
        status(error),
        (
            tonic::Code::NotFound,
            "opportunity arex-1 not found".to_owned()
        )
    );
    assert_eq!(note.noted().as_deref(), Some("opportunity/arex-1"));

    let error = service
        .sync_listings(
            &ader,
            &AuditNote::default(),
            &pb::SyncListingsRequest {
                source: "arex".to_owned(),
                ..Default::default()
            },
        )
        .await
        .expect_err("another source");
    assert_eq!(
        status(error).1,
        "source: this key syncs only the listings of \"ader\""
    );

    // A draft is its publisher's alone; an adviser does not see it.
    let drafts = service
        .batch_get_opportunities(
            &gers_adviser(),
            &pb::BatchGetRequest {
                ids: vec![created.id.clone(), "arex-1".to_owned()],
            },
        )
        .await
        .expect("a batch");
    let ids: Vec<_> = drafts.opportunities.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["arex-1"]);
}

#[tokio::test]
async fn the_feed_streams_every_change_with_the_head() {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = service(&dir).await;
    let changes: Vec<_> = service
        .watch_changes(
            &Caller::service(),
            &pb::WatchChangesRequest {
                since_seq: 1,
                follow: false,
            },
        )
        .expect("a stream")
        .collect()
        .await;
    let seqs: Vec<_> = changes
        .into_iter()
        .map(|change| {
            let change = change.expect("a change");
            (change.seq, change.head_seq)
        })
        .collect();
    assert_eq!(seqs, [(2, 4), (3, 4), (4, 4)]);
    let error = service
        .watch_changes(
            &Caller::service(),
            &pb::WatchChangesRequest {
                since_seq: -1,
                follow: false,
            },
        )
        .err()
        .expect("a negative start");
    assert_eq!(status(error).0, tonic::Code::InvalidArgument);
}
