//! Access control over real gRPC and TLS: the role × object matrix on every service,
//! revocation within a second, plaintext refused, missing keys and rate limits.
//!
//! One stack holds the demo firms (Gers) and listings; the admin gives two firms
//! contacts (A advisers-only, B public) and issues keys: a Gers adviser, an Aragón
//! adviser, firm A, firm B, agencies `arex` and `ader`. Each case calls an RPC with one
//! key on an object it owns or does not own and asserts the status code; the test then
//! checks that no call on an object outside the caller's scope succeeded.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use pyred_e2e::{TestStack, spawn_stack, wait_until};
use pyred_proto::prost_types::FieldMask;
use pyred_proto::v1::access_client::AccessClient;
use pyred_proto::v1::audit_client::AuditClient;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::matchmaking_client::MatchmakingClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::Secret;
use tokio_stream::StreamExt as _;
use tonic::Code;

struct World {
    test: TestStack,
    firm_a: pb::Company,
    firm_b: pb::Company,
    arex_listing: pb::Opportunity,
    ader_listing: pb::Opportunity,
    arex_draft: pb::Opportunity,
    keys: Keys,
}

struct Keys {
    adviser_gers: Secret,
    adviser_aragon: Secret,
    firm_a: Secret,
    firm_b: Secret,
    arex: Secret,
    ader: Secret,
}

async fn issue(
    access: &mut AccessClient<pyred_runtime::client::ServiceChannel>,
    request: pb::CreateKeyRequest,
) -> Secret {
    Secret::new(
        access
            .create_key(request)
            .await
            .expect("admin creates keys")
            .into_inner()
            .secret,
    )
}

async fn world() -> World {
    let test = spawn_stack().await;
    pyred::import::load_demo(
        &test.connector().with_timeout(Duration::from_secs(30)),
        &test.stack.addresses.registry,
    )
    .await
    .expect("demo loads");
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let companies = registry
        .list_companies(pb::ListCompaniesRequest {
            page: Some(pb::PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .expect("admin lists")
        .into_inner()
        .companies;
    let with_contact = |company: &pb::Company, email: &str, visibility: pb::Visibility| {
        let mut changed = company.clone();
        changed.contact = Some(pb::Contact {
            name: "Claire Dupont".into(),
            email: email.into(),
            phone: "+33 5 62 00 00 00".into(),
        });
        changed.visibility = visibility as i32;
        let mut registry = registry.clone();
        async move {
            registry
                .update_company(pb::UpdateCompanyRequest {
                    company: Some(changed),
                    update_mask: Some(FieldMask {
                        paths: vec!["contact".into(), "visibility".into()],
                    }),
                    expected_version: 0,
                })
                .await
                .expect("admin updates")
                .into_inner()
        }
    };
    let firm_a = with_contact(&companies[0], "a@example.fr", pb::Visibility::AdvisersOnly).await;
    let firm_b = with_contact(&companies[1], "b@example.fr", pb::Visibility::Public).await;
    let listings = registry
        .list_opportunities(pb::ListOpportunitiesRequest {
            page: Some(pb::PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            status: pb::OpportunityStatus::Published as i32,
            ..Default::default()
        })
        .await
        .expect("admin lists")
        .into_inner()
        .opportunities;
    let of = |source: &str| {
        listings
            .iter()
            .find(|o| o.source == source)
            .cloned()
            .expect("a demo listing of the source")
    };
    let (arex_listing, ader_listing) = (of("arex"), of("ader"));
    let mut draft = arex_listing.clone();
    draft.id = String::new();
    draft.external_id = "arex-draft-1".into();
    let arex_draft = registry
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(draft),
            draft: true,
        })
        .await
        .expect("admin creates a draft")
        .into_inner();

    let mut access = AccessClient::new(test.channel(&test.stack.addresses.registry));
    let key = |role: pb::Role| pb::CreateKeyRequest {
        name: format!("{role:?}"),
        role: role as i32,
        ..Default::default()
    };
    let keys = Keys {
        adviser_gers: issue(
            &mut access,
            pb::CreateKeyRequest {
                territory: vec!["FR-32".into()],
                email: "marie@cci-gers.fr".into(),
                language: "es".into(),
                ..key(pb::Role::Adviser)
            },
        )
        .await,
        adviser_aragon: issue(
            &mut access,
            pb::CreateKeyRequest {
                territory: vec!["ES-AR".into()],
                ..key(pb::Role::Adviser)
            },
        )
        .await,
        firm_a: issue(
            &mut access,
            pb::CreateKeyRequest {
                company_id: firm_a.id.clone(),
                ..key(pb::Role::Firm)
            },
        )
        .await,
        firm_b: issue(
            &mut access,
            pb::CreateKeyRequest {
                company_id: firm_b.id.clone(),
                ..key(pb::Role::Firm)
            },
        )
        .await,
        arex: issue(
            &mut access,
            pb::CreateKeyRequest {
                source: "arex".into(),
                ..key(pb::Role::Agency)
            },
        )
        .await,
        ader: issue(
            &mut access,
            pb::CreateKeyRequest {
                source: "ader".into(),
                ..key(pb::Role::Agency)
            },
        )
        .await,
    };
    World {
        test,
        firm_a,
        firm_b,
        arex_listing,
        ader_listing,
        arex_draft,
        keys,
    }
}

fn code<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Code {
    match result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

/// One row of the matrix, as answered.
struct Case {
    what: String,
    /// The object belongs to the caller (or is public to it).
    owned: bool,
    expected: Code,
    got: Code,
}

/// One row of the matrix, to be called: who does what on which object, what it must
/// answer, and the call itself (not sent until its table is run).
struct Row<'a> {
    what: String,
    owned: bool,
    expected: Code,
    call: Pin<Box<dyn Future<Output = Code> + 'a>>,
}

/// A row of a table: `call` is any gRPC call, only its status is kept.
fn row<'a, T: 'a>(
    what: impl Into<String>,
    owned: bool,
    expected: Code,
    call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>> + 'a,
) -> Row<'a> {
    Row {
        what: what.into(),
        owned,
        expected,
        call: Box::pin(async move { code(call.await) }),
    }
}

/// The answers of the matrix, gathered table by table and checked at the end.
#[derive(Default)]
struct Matrix {
    cases: Vec<Case>,
}

impl Matrix {
    /// Records one answer already got (a call whose reply the test reads further).
    fn check(&mut self, what: &str, owned: bool, expected: Code, got: Code) {
        self.cases.push(Case {
            what: what.to_owned(),
            owned,
            expected,
            got,
        });
    }

    /// Sends a table's calls one after the other, in order (a row may depend on what
    /// an earlier one changed), and records their answers.
    async fn run(&mut self, rows: Vec<Row<'_>>) {
        for row in rows {
            let got = row.call.await;
            self.check(&row.what, row.owned, row.expected, got);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_reaches_only_its_own_objects_on_every_service() {
    let w = world().await;
    let t = &w.test;
    let a = &t.stack.addresses;
    let registry = |key: &Secret| CompanyRegistryClient::new(t.channel_with_key(&a.registry, key));
    let geo = |key: &Secret| GeoSearchClient::new(t.channel_with_key(&a.geo_search, key));
    let matchmaking =
        |key: &Secret| MatchmakingClient::new(t.channel_with_key(&a.matchmaking, key));
    let k = &w.keys;
    let mut m = Matrix::default();
    let get_company = |id: &str| pb::GetCompanyRequest {
        id: id.to_owned(),
        legal_id: String::new(),
    };

    // --- company-registry: companies ---
    // A firm reads itself with its contact; another advisers-only firm does not exist
    // for it; a public one shows without contact.
    let own = registry(&k.firm_a)
        .get_company(get_company(&w.firm_a.id))
        .await;
    assert!(
        own.as_ref().is_ok_and(|c| c.get_ref().contact.is_some()),
        "{own:?}"
    );
    m.check("firm A GetCompany A", true, Code::Ok, code(own));
    m.run(vec![row(
        "firm B GetCompany A (advisers only)",
        false,
        Code::NotFound,
        registry(&k.firm_b).get_company(get_company(&w.firm_a.id)),
    )])
    .await;
    let public_b = registry(&k.firm_a)
        .get_company(get_company(&w.firm_b.id))
        .await
        .expect("public profile");
    assert!(
        public_b.get_ref().contact.is_none(),
        "another firm's contact must never show"
    );
    m.run(vec![
        row(
            "agency GetCompany",
            false,
            Code::PermissionDenied,
            registry(&k.arex).get_company(get_company(&w.firm_a.id)),
        ),
        row(
            "Gers adviser GetCompany A",
            true,
            Code::Ok,
            registry(&k.adviser_gers).get_company(get_company(&w.firm_a.id)),
        ),
        row(
            "Aragón adviser GetCompany A (outside territory)",
            false,
            Code::NotFound,
            registry(&k.adviser_aragon).get_company(get_company(&w.firm_a.id)),
        ),
    ])
    .await;
    let aragon_b = registry(&k.adviser_aragon)
        .get_company(get_company(&w.firm_b.id))
        .await
        .expect("public profile");
    assert!(
        aragon_b.get_ref().contact.is_none(),
        "contacts only inside the territory"
    );

    let rename = |company: &pb::Company, name: &str| pb::UpdateCompanyRequest {
        company: Some(pb::Company {
            name: name.to_owned(),
            ..company.clone()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["name".into()],
        }),
        expected_version: 0,
    };
    m.run(vec![
        row(
            "firm A UpdateCompany A",
            true,
            Code::Ok,
            registry(&k.firm_a).update_company(rename(&w.firm_a, "Nom A")),
        ),
        row(
            "firm A UpdateCompany B",
            false,
            Code::NotFound,
            registry(&k.firm_a).update_company(rename(&w.firm_b, "Pris")),
        ),
        row(
            "Aragón adviser UpdateCompany A",
            false,
            Code::NotFound,
            registry(&k.adviser_aragon).update_company(rename(&w.firm_a, "Pris")),
        ),
        row(
            "agency UpdateCompany A",
            false,
            Code::PermissionDenied,
            registry(&k.arex).update_company(rename(&w.firm_a, "Pris")),
        ),
        row(
            "firm A EraseCompanyContact B",
            false,
            Code::NotFound,
            registry(&k.firm_a).erase_company_contact(pb::EraseCompanyContactRequest {
                id: w.firm_b.id.clone(),
            }),
        ),
        row(
            "firm B DeleteCompany B",
            true,
            Code::PermissionDenied,
            registry(&k.firm_b).delete_company(pb::DeleteCompanyRequest {
                id: w.firm_b.id.clone(),
                expected_version: 0,
            }),
        ),
        row(
            "Aragón adviser DeleteCompany B",
            false,
            Code::NotFound,
            registry(&k.adviser_aragon).delete_company(pb::DeleteCompanyRequest {
                id: w.firm_b.id.clone(),
                expected_version: 0,
            }),
        ),
    ])
    .await;
    let mut new_firm = w.firm_a.clone();
    new_firm.id = String::new();
    new_firm.external_id = "new-firm".into();
    new_firm.legal_id = None;
    m.run(vec![
        row(
            "Aragón adviser CreateCompany in Gers",
            false,
            Code::PermissionDenied,
            registry(&k.adviser_aragon).create_company(pb::CreateCompanyRequest {
                company: Some(new_firm.clone()),
            }),
        ),
        row(
            "firm CreateCompany",
            false,
            Code::PermissionDenied,
            registry(&k.firm_a).create_company(pb::CreateCompanyRequest {
                company: Some(new_firm.clone()),
            }),
        ),
        row(
            "agency ImportCompanies",
            false,
            Code::PermissionDenied,
            registry(&k.arex).import_companies(pb::ImportCompaniesRequest {
                source: "arex".into(),
                companies: vec![new_firm.clone()],
            }),
        ),
        row(
            "Aragón adviser ImportCompanies of Gers",
            false,
            Code::PermissionDenied,
            registry(&k.adviser_aragon).import_companies(pb::ImportCompaniesRequest {
                source: "cci".into(),
                companies: vec![new_firm.clone()],
            }),
        ),
    ])
    .await;
    let listed = registry(&k.adviser_aragon)
        .list_companies(pb::ListCompaniesRequest::default())
        .await
        .expect("advisers list")
        .into_inner();
    assert!(
        listed
            .companies
            .iter()
            .all(|c| c.contact.is_none() && c.id != w.firm_a.id),
        "an Aragón adviser lists no Gers contact nor advisers-only firm"
    );
    let listed = registry(&k.firm_b)
        .list_companies(pb::ListCompaniesRequest::default())
        .await
        .expect("firms list")
        .into_inner();
    assert!(
        listed
            .companies
            .iter()
            .all(|c| c.id == w.firm_b.id || c.contact.is_none()),
        "a firm lists no other firm's contact"
    );
    m.run(vec![row(
        "agency ListCompanies",
        false,
        Code::PermissionDenied,
        registry(&k.arex).list_companies(pb::ListCompaniesRequest::default()),
    )])
    .await;

    // --- company-registry: listings ---
    let get_listing = |id: &str| pb::GetOpportunityRequest { id: id.to_owned() };
    m.run(vec![
        row(
            "arex GetOpportunity own",
            true,
            Code::Ok,
            registry(&k.arex).get_opportunity(get_listing(&w.arex_listing.id)),
        ),
        row(
            "arex GetOpportunity ader's",
            false,
            Code::NotFound,
            registry(&k.arex).get_opportunity(get_listing(&w.ader_listing.id)),
        ),
        row(
            "firm GetOpportunity public",
            true,
            Code::Ok,
            registry(&k.firm_a).get_opportunity(get_listing(&w.ader_listing.id)),
        ),
        row(
            "firm GetOpportunity draft",
            false,
            Code::NotFound,
            registry(&k.firm_a).get_opportunity(get_listing(&w.arex_draft.id)),
        ),
        row(
            "adviser GetOpportunity draft",
            false,
            Code::NotFound,
            registry(&k.adviser_gers).get_opportunity(get_listing(&w.arex_draft.id)),
        ),
        row(
            "arex GetOpportunity own draft",
            true,
            Code::Ok,
            registry(&k.arex).get_opportunity(get_listing(&w.arex_draft.id)),
        ),
    ])
    .await;
    let withdraw = |id: &str| pb::ChangeOpportunityStatusRequest {
        id: id.to_owned(),
        change: pb::StatusChange::Withdraw as i32,
        new_deadline: None,
        expected_version: 0,
    };
    m.run(vec![
        row(
            "ader withdraws arex's listing",
            false,
            Code::NotFound,
            registry(&k.ader).change_opportunity_status(withdraw(&w.arex_listing.id)),
        ),
        row(
            "firm withdraws a listing",
            false,
            Code::PermissionDenied,
            registry(&k.firm_a).change_opportunity_status(withdraw(&w.arex_listing.id)),
        ),
        row(
            "adviser withdraws a listing",
            false,
            Code::PermissionDenied,
            registry(&k.adviser_gers).change_opportunity_status(withdraw(&w.arex_listing.id)),
        ),
    ])
    .await;
    let retitle = |o: &pb::Opportunity| pb::UpdateOpportunityRequest {
        opportunity: Some(pb::Opportunity {
            title: "Nuevo título".into(),
            ..o.clone()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["title".into()],
        }),
        expected_version: 0,
    };
    m.run(vec![
        row(
            "ader UpdateOpportunity arex's",
            false,
            Code::NotFound,
            registry(&k.ader).update_opportunity(retitle(&w.arex_listing)),
        ),
        row(
            "arex UpdateOpportunity own",
            true,
            Code::Ok,
            registry(&k.arex).update_opportunity(retitle(&w.arex_listing)),
        ),
    ])
    .await;
    let sync = |source: &str| pb::SyncListingsRequest {
        source: source.to_owned(),
        upserts: vec![],
        withdrawals: vec![w.arex_listing.external_id.clone()],
        ..Default::default()
    };
    m.run(vec![
        row(
            "ader SyncListings as arex",
            false,
            Code::PermissionDenied,
            registry(&k.ader).sync_listings(sync("arex")),
        ),
        row(
            "firm SyncListings",
            false,
            Code::PermissionDenied,
            registry(&k.firm_a).sync_listings(sync("arex")),
        ),
    ])
    .await;
    let mut as_arex = w.ader_listing.clone();
    as_arex.id = String::new();
    as_arex.external_id = "smuggled".into();
    m.run(vec![row(
        "ader CreateOpportunity as arex",
        false,
        Code::PermissionDenied,
        registry(&k.ader).create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                source: "arex".into(),
                ..as_arex
            }),
            draft: false,
        }),
    )])
    .await;
    let theirs = registry(&k.ader)
        .list_opportunities(pb::ListOpportunitiesRequest {
            source: "arex".into(),
            ..Default::default()
        })
        .await
        .expect("lists")
        .into_inner();
    assert!(
        theirs.opportunities.is_empty(),
        "an agency never lists another source"
    );
    let mine = registry(&k.ader)
        .list_opportunities(pb::ListOpportunitiesRequest::default())
        .await
        .expect("lists")
        .into_inner();
    assert!(
        !mine.opportunities.is_empty() && mine.opportunities.iter().all(|o| o.source == "ader")
    );
    let public = registry(&k.firm_a)
        .list_opportunities(pb::ListOpportunitiesRequest {
            page: Some(pb::PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .expect("lists")
        .into_inner();
    assert!(
        public.opportunities.iter().all(|o| o.id != w.arex_draft.id),
        "drafts are not public"
    );
    for key in [&k.firm_a, &k.adviser_gers, &k.arex] {
        m.run(vec![row(
            "WatchChanges (feed carries contacts)",
            false,
            Code::PermissionDenied,
            registry(key).watch_changes(pb::WatchChangesRequest {
                since_seq: 0,
                follow: false,
            }),
        )])
        .await;
    }

    // --- geo-search ---
    let search = pb::SearchRequest {
        query: "usinage".into(),
        ..Default::default()
    };
    m.run(vec![row(
        "agency Search",
        false,
        Code::PermissionDenied,
        geo(&k.arex).search(search.clone()),
    )])
    .await;
    let hits = geo(&k.firm_b)
        .search(pb::SearchRequest {
            query: w.firm_a.name.clone(),
            ..Default::default()
        })
        .await
        .expect("firms search")
        .into_inner();
    assert!(
        hits.hits.iter().all(|h| h.id != w.firm_a.id),
        "an advisers-only firm never shows in another firm's search"
    );
    let hits = geo(&k.firm_a)
        .search(pb::SearchRequest {
            query: w.firm_a.name.clone(),
            ..Default::default()
        })
        .await
        .expect("firms search")
        .into_inner();
    assert!(
        hits.hits.iter().any(|h| h.id == w.firm_a.id),
        "a firm finds itself"
    );
    m.run(vec![
        row(
            "firm RebuildIndex",
            false,
            Code::PermissionDenied,
            geo(&k.firm_a).rebuild_index(pb::RebuildIndexRequest::default()),
        ),
        row(
            "adviser GetIndexStatus",
            false,
            Code::PermissionDenied,
            geo(&k.adviser_gers).get_index_status(pb::GetIndexStatusRequest::default()),
        ),
        row(
            "firm SuggestPlaces",
            true,
            Code::Ok,
            geo(&k.firm_a).suggest_places(pb::SuggestPlacesRequest {
                prefix: "Zarag".into(),
                limit: 3,
            }),
        ),
    ])
    .await;

    // --- matchmaking ---
    let leads = |id: &str| pb::ListCompanyMatchesRequest {
        company_id: id.to_owned(),
        ..Default::default()
    };
    let own_leads = matchmaking(&k.firm_a)
        .list_company_matches(leads(&w.firm_a.id))
        .await;
    m.check(
        "firm A ListCompanyMatches A",
        true,
        Code::Ok,
        code(own_leads),
    );
    m.run(vec![
        row(
            "firm B ListCompanyMatches A",
            false,
            Code::NotFound,
            matchmaking(&k.firm_b).list_company_matches(leads(&w.firm_a.id)),
        ),
        row(
            "Aragón adviser ListCompanyMatches A",
            false,
            Code::NotFound,
            matchmaking(&k.adviser_aragon).list_company_matches(leads(&w.firm_a.id)),
        ),
        row(
            "agency ListCompanyMatches",
            false,
            Code::PermissionDenied,
            matchmaking(&k.arex).list_company_matches(leads(&w.firm_a.id)),
        ),
    ])
    .await;
    let gers = matchmaking(&k.adviser_gers)
        .list_company_matches(leads(&w.firm_a.id))
        .await
        .expect("the Gers adviser sees A's leads")
        .into_inner();
    let lead = gers.matches.first().expect("firm A has leads").clone();
    let get = pb::GetMatchRequest {
        id: lead.id.clone(),
    };
    m.run(vec![
        row(
            "firm A GetMatch own",
            true,
            Code::Ok,
            matchmaking(&k.firm_a).get_match(get.clone()),
        ),
        row(
            "firm B GetMatch A's",
            false,
            Code::NotFound,
            matchmaking(&k.firm_b).get_match(get.clone()),
        ),
        row(
            "Aragón adviser GetMatch A's",
            false,
            Code::NotFound,
            matchmaking(&k.adviser_aragon).get_match(get.clone()),
        ),
    ])
    .await;
    let shortlist = pb::UpdateMatchStatusRequest {
        id: lead.id.clone(),
        status: pb::MatchStatus::Shortlisted as i32,
        ..Default::default()
    };
    m.run(vec![
        row(
            "firm A UpdateMatchStatus (read only)",
            true,
            Code::PermissionDenied,
            matchmaking(&k.firm_a).update_match_status(shortlist.clone()),
        ),
        row(
            "Aragón adviser UpdateMatchStatus A's",
            false,
            Code::NotFound,
            matchmaking(&k.adviser_aragon).update_match_status(shortlist.clone()),
        ),
    ])
    .await;
    let moved = matchmaking(&k.adviser_gers)
        .update_match_status(shortlist.clone())
        .await
        .expect("the Gers adviser works A's leads")
        .into_inner();
    assert_eq!(moved.status, pb::MatchStatus::Shortlisted as i32);
    let note = pb::AddMatchNoteRequest {
        id: lead.id.clone(),
        text: "Appeler lundi".into(),
    };
    m.run(vec![row(
        "Aragón adviser AddMatchNote A's",
        false,
        Code::NotFound,
        matchmaking(&k.adviser_aragon).add_match_note(note.clone()),
    )])
    .await;
    let noted = matchmaking(&k.adviser_gers)
        .add_match_note(note)
        .await
        .expect("notes")
        .into_inner();
    assert!(
        noted.notes.iter().any(|n| n.author.contains("(key ")),
        "the actor is the caller's key: {:?}",
        noted.notes
    );
    m.run(vec![row(
        "firm A ListOpportunityMatches",
        false,
        Code::PermissionDenied,
        matchmaking(&k.firm_a).list_opportunity_matches(pb::ListOpportunityMatchesRequest {
            opportunity_id: lead.opportunity_id.clone(),
            ..Default::default()
        }),
    )])
    .await;
    let firms = matchmaking(&k.adviser_aragon)
        .list_opportunity_matches(pb::ListOpportunityMatchesRequest {
            opportunity_id: lead.opportunity_id.clone(),
            ..Default::default()
        })
        .await
        .expect("advisers list firms")
        .into_inner();
    assert!(
        firms.matches.is_empty(),
        "an Aragón adviser sees no Gers firm: {:?}",
        firms
            .matches
            .iter()
            .map(|m| &m.company_id)
            .collect::<Vec<_>>()
    );
    m.run(vec![row(
        "adviser ExportJudgments",
        false,
        Code::PermissionDenied,
        matchmaking(&k.adviser_gers).export_judgments(pb::ExportJudgmentsRequest {}),
    )])
    .await;

    // --- keys and audit ---
    for key in [&k.adviser_gers, &k.firm_a, &k.arex] {
        m.run(vec![
            row(
                "non-admin CreateKey",
                false,
                Code::PermissionDenied,
                AccessClient::new(t.channel_with_key(&a.registry, key)).create_key(
                    pb::CreateKeyRequest {
                        role: pb::Role::Admin as i32,
                        ..Default::default()
                    },
                ),
            ),
            row(
                "non-admin Authenticate",
                false,
                Code::PermissionDenied,
                AccessClient::new(t.channel_with_key(&a.registry, key)).authenticate(
                    pb::AuthenticateRequest {
                        key: key.expose().to_owned(),
                    },
                ),
            ),
            row(
                "non-admin ListAuditEvents",
                false,
                Code::PermissionDenied,
                AuditClient::new(t.channel_with_key(&a.matchmaking, key))
                    .list_audit_events(pb::ListAuditEventsRequest::default()),
            ),
        ])
        .await;
    }
    let audit = AuditClient::new(t.channel(&a.registry))
        .list_audit_events(pb::ListAuditEventsRequest {
            object_prefix: format!("company/{}", w.firm_a.id),
            ..Default::default()
        })
        .await
        .expect("admin reads the audit log")
        .into_inner();
    assert!(
        audit
            .events
            .iter()
            .any(|e| e.rpc.ends_with("/GetCompany") && e.role == pb::Role::Firm as i32),
        "a personal-data read is audited: {:?}",
        audit.events
    );
    assert!(
        audit
            .events
            .iter()
            .any(|e| e.rpc.ends_with("/UpdateCompany") && e.outcome == "NOT_FOUND"),
        "a refused write is audited too"
    );
    let listed = AccessClient::new(t.channel(&a.registry))
        .list_keys(pb::ListKeysRequest::default())
        .await
        .expect("admin lists keys")
        .into_inner();
    assert!(listed.keys.len() >= 7);
    let text = format!("{listed:?}{audit:?}");
    assert!(
        !text.contains(k.firm_a.expose()),
        "no secret is ever listed"
    );
    // Other Pyred services read the keys with the service token (matchmaking's digests:
    // the advisers' addresses and languages); they never manage them.
    let service =
        pyred_runtime::client::Connector::for_service(&pyred_e2e::test_settings(t.data_dir.path()))
            .expect("service connector")
            .channel(&a.registry)
            .expect("registry address");
    let by_service = AccessClient::new(service.clone())
        .list_keys(pb::ListKeysRequest::default())
        .await;
    m.check(
        "service ListKeys",
        true,
        Code::Ok,
        by_service
            .as_ref()
            .map_or_else(tonic::Status::code, |_| Code::Ok),
    );
    if let Ok(by_service) = &by_service {
        let gers = by_service
            .get_ref()
            .keys
            .iter()
            .find(|key| key.email == "marie@cci-gers.fr")
            .expect("the Gers adviser's address is listed");
        assert_eq!(gers.language, "es");
        assert_eq!(gers.territory, vec!["FR-32".to_owned()]);
        let text = format!("{:?}", by_service.get_ref());
        for key in [&k.adviser_gers, &k.firm_a, &k.arex] {
            assert!(
                !text.contains(key.expose()),
                "no secret is listed to services"
            );
        }
    }
    m.run(vec![
        row(
            "service CreateKey",
            false,
            Code::PermissionDenied,
            AccessClient::new(service.clone()).create_key(pb::CreateKeyRequest {
                role: pb::Role::Admin as i32,
                ..Default::default()
            }),
        ),
        row(
            "service CreateOrganisation",
            false,
            Code::PermissionDenied,
            AccessClient::new(service.clone())
                .create_organisation(pb::CreateOrganisationRequest::default()),
        ),
        row(
            "service RevokeKey",
            false,
            Code::PermissionDenied,
            AccessClient::new(service).revoke_key(pb::RevokeKeyRequest {
                id: "000000000000".into(),
            }),
        ),
    ])
    .await;

    // --- the rest of the matrix: what each role may do on its own objects, and every
    // remaining RPC refused to the roles that may not call it ---
    let admin = t.channel(&a.registry);
    let mut registry_admin = CompanyRegistryClient::new(admin.clone());
    for (who, key) in [
        ("firm", &k.firm_a),
        ("adviser", &k.adviser_gers),
        ("agency", &k.arex),
    ] {
        m.run(vec![
            row(
                format!("{who} ListKeys"),
                false,
                Code::PermissionDenied,
                AccessClient::new(t.channel_with_key(&a.registry, key))
                    .list_keys(pb::ListKeysRequest::default()),
            ),
            row(
                format!("{who} RotateKey"),
                false,
                Code::PermissionDenied,
                AccessClient::new(t.channel_with_key(&a.registry, key)).rotate_key(
                    pb::RotateKeyRequest {
                        id: "000000000000".into(),
                    },
                ),
            ),
            row(
                format!("{who} RevokeKey"),
                false,
                Code::PermissionDenied,
                AccessClient::new(t.channel_with_key(&a.registry, key)).revoke_key(
                    pb::RevokeKeyRequest {
                        id: "000000000000".into(),
                    },
                ),
            ),
            // Organisations: only admins write them; every role reads the directory.
            row(
                format!("{who} CreateOrganisation"),
                false,
                Code::PermissionDenied,
                AccessClient::new(t.channel_with_key(&a.registry, key)).create_organisation(
                    pb::CreateOrganisationRequest {
                        organisation: Some(pb::Organisation {
                            id: "rogue".into(),
                            name: "Rogue".into(),
                            country: "FR".into(),
                            territory: vec!["FR-32".into()],
                            ..Default::default()
                        }),
                    },
                ),
            ),
            row(
                format!("{who} UpdateOrganisation"),
                false,
                Code::PermissionDenied,
                AccessClient::new(t.channel_with_key(&a.registry, key)).update_organisation(
                    pb::UpdateOrganisationRequest {
                        organisation: Some(pb::Organisation {
                            id: "rogue".into(),
                            version: 1,
                            ..Default::default()
                        }),
                    },
                ),
            ),
            row(
                format!("{who} ListOrganisations"),
                true,
                Code::Ok,
                AccessClient::new(t.channel_with_key(&a.registry, key))
                    .list_organisations(pb::ListOrganisationsRequest {}),
            ),
        ])
        .await;
        for service in [&a.registry, &a.geo_search] {
            m.run(vec![row(
                format!("{who} ListAuditEvents"),
                false,
                Code::PermissionDenied,
                AuditClient::new(t.channel_with_key(service, key))
                    .list_audit_events(pb::ListAuditEventsRequest::default()),
            )])
            .await;
        }
    }
    m.run(vec![
        row(
            "agency GetIndexStatus",
            false,
            Code::PermissionDenied,
            geo(&k.arex).get_index_status(pb::GetIndexStatusRequest::default()),
        ),
        row(
            "agency RebuildIndex",
            false,
            Code::PermissionDenied,
            geo(&k.arex).rebuild_index(pb::RebuildIndexRequest::default()),
        ),
        row(
            "adviser RebuildIndex",
            false,
            Code::PermissionDenied,
            geo(&k.adviser_gers).rebuild_index(pb::RebuildIndexRequest::default()),
        ),
        row(
            "agency SuggestPlaces",
            true,
            Code::Ok,
            geo(&k.arex).suggest_places(pb::SuggestPlacesRequest {
                prefix: "Hue".into(),
                limit: 2,
            }),
        ),
        row(
            "adviser Search",
            true,
            Code::Ok,
            geo(&k.adviser_gers).search(search.clone()),
        ),
    ])
    .await;
    let gers_hits = geo(&k.adviser_gers)
        .search(pb::SearchRequest {
            query: w.firm_a.name.clone(),
            ..Default::default()
        })
        .await
        .expect("search")
        .into_inner();
    assert!(
        gers_hits.hits.iter().any(|h| h.id == w.firm_a.id),
        "an adviser finds the advisers-only firms of the territory"
    );
    let aragon_hits = geo(&k.adviser_aragon)
        .search(pb::SearchRequest {
            query: w.firm_a.name.clone(),
            ..Default::default()
        })
        .await
        .expect("search")
        .into_inner();
    assert!(
        aragon_hits.hits.iter().all(|h| h.id != w.firm_a.id),
        "not those of another territory"
    );
    m.run(vec![
        row(
            "agency WatchAlerts",
            false,
            Code::PermissionDenied,
            matchmaking(&k.arex).watch_alerts(pb::WatchAlertsRequest::default()),
        ),
        row(
            "agency GetMatch",
            false,
            Code::PermissionDenied,
            matchmaking(&k.arex).get_match(get.clone()),
        ),
        row(
            "firm AddMatchNote own",
            true,
            Code::PermissionDenied,
            matchmaking(&k.firm_a).add_match_note(pb::AddMatchNoteRequest {
                id: lead.id.clone(),
                text: "x".into(),
            }),
        ),
        row(
            "firm ExportJudgments",
            false,
            Code::PermissionDenied,
            matchmaking(&k.firm_a).export_judgments(pb::ExportJudgmentsRequest {}),
        ),
        row(
            "agency ListOpportunityMatches own listing",
            true,
            Code::PermissionDenied,
            matchmaking(&k.arex).list_opportunity_matches(pb::ListOpportunityMatchesRequest {
                opportunity_id: w.arex_listing.id.clone(),
                ..Default::default()
            }),
        ),
    ])
    .await;
    let gers_firms = matchmaking(&k.adviser_gers)
        .list_opportunity_matches(pb::ListOpportunityMatchesRequest {
            opportunity_id: lead.opportunity_id.clone(),
            ..Default::default()
        })
        .await
        .expect("the Gers adviser lists firms")
        .into_inner();
    assert!(
        gers_firms
            .matches
            .iter()
            .any(|m| m.company_id == w.firm_a.id),
        "the Gers adviser sees Gers firms for the listing"
    );
    m.run(vec![
        row(
            "admin ExportJudgments",
            true,
            Code::Ok,
            MatchmakingClient::new(t.channel(&a.matchmaking))
                .export_judgments(pb::ExportJudgmentsRequest {}),
        ),
        // A firm asking for another firm's alerts explicitly is answered as for a firm it
        // cannot see; with no filter, its stream never carries another firm's lead.
        row(
            "firm B WatchAlerts of firm A",
            false,
            Code::NotFound,
            matchmaking(&k.firm_b).watch_alerts(pb::WatchAlertsRequest {
                company_ids: vec![w.firm_a.id.clone()],
                min_score: 0.0,
                since_seq: 1,
            }),
        ),
    ])
    .await;
    let mut alerts = matchmaking(&k.firm_b)
        .watch_alerts(pb::WatchAlertsRequest {
            company_ids: vec![],
            min_score: 0.0,
            since_seq: 1,
        })
        .await
        .expect("stream opens")
        .into_inner();
    let first = tokio::time::timeout(Duration::from_millis(800), alerts.next()).await;
    assert!(
        !matches!(first, Ok(Some(Ok(ref m))) if m.company_id == w.firm_a.id),
        "firm B received firm A's alert: {first:?}"
    );
    let mut own_alerts = matchmaking(&k.firm_a)
        .watch_alerts(pb::WatchAlertsRequest {
            company_ids: vec![],
            min_score: 0.0,
            since_seq: 1,
        })
        .await
        .expect("stream opens")
        .into_inner();
    let own = tokio::time::timeout(Duration::from_secs(5), own_alerts.next())
        .await
        .expect("an own alert arrives")
        .expect("stream open")
        .expect("alert");
    assert_eq!(own.company_id, w.firm_a.id, "a firm's alerts are its own");

    // Batch reads filter exactly as the single reads do, and never carry contacts.
    let ids = vec![
        w.firm_a.id.clone(),
        w.firm_b.id.clone(),
        "missing".to_owned(),
    ];
    let seen = registry(&k.firm_b)
        .batch_get_companies(pb::BatchGetRequest { ids: ids.clone() })
        .await
        .expect("firms batch-read")
        .into_inner()
        .companies;
    assert_eq!(
        seen.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec![w.firm_b.id.as_str()],
        "firm B sees itself only (A is advisers-only)"
    );
    assert!(
        seen.iter().all(|c| c.contact.is_none()),
        "batch reads never carry contacts"
    );
    let seen = registry(&k.adviser_gers)
        .batch_get_companies(pb::BatchGetRequest { ids: ids.clone() })
        .await
        .expect("advisers batch-read")
        .into_inner()
        .companies;
    assert_eq!(seen.len(), 2);
    m.run(vec![row(
        "agency BatchGetCompanies",
        false,
        Code::PermissionDenied,
        registry(&k.arex).batch_get_companies(pb::BatchGetRequest { ids }),
    )])
    .await;
    let listing_ids = vec![
        w.arex_listing.id.clone(),
        w.ader_listing.id.clone(),
        w.arex_draft.id.clone(),
    ];
    let seen = registry(&k.ader)
        .batch_get_opportunities(pb::BatchGetRequest {
            ids: listing_ids.clone(),
        })
        .await
        .expect("agencies batch-read")
        .into_inner()
        .opportunities;
    assert!(
        seen.iter().all(|o| o.source == "ader") && seen.len() == 1,
        "an agency batch-reads its own listings only"
    );
    let seen = registry(&k.firm_a)
        .batch_get_opportunities(pb::BatchGetRequest { ids: listing_ids })
        .await
        .expect("firms batch-read")
        .into_inner()
        .opportunities;
    assert!(
        seen.iter().all(|o| o.id != w.arex_draft.id) && seen.len() == 2,
        "drafts are not public"
    );
    let too_many = registry(&k.firm_a)
        .batch_get_opportunities(pb::BatchGetRequest {
            ids: vec!["x".to_owned(); 1001],
        })
        .await
        .expect_err("over the limit");
    assert_eq!(too_many.code(), Code::InvalidArgument);
    assert!(
        pyred_runtime::error::violations_of(&too_many)
            .iter()
            .any(|(field, _)| field == "ids")
    );

    // Owned writes succeed: an agency publishes, changes and withdraws its own listing,
    // syncs its own source; an adviser creates, imports, erases and deletes in territory;
    // a firm erases its own contact.
    let mut fresh = w.arex_listing.clone();
    fresh.id = String::new();
    fresh.external_id = "arex-owned-1".into();
    let created = registry(&k.arex)
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(fresh.clone()),
            draft: false,
        })
        .await;
    let created_id = created
        .as_ref()
        .map(|o| o.get_ref().id.clone())
        .unwrap_or_default();
    m.check("arex CreateOpportunity own", true, Code::Ok, code(created));
    m.run(vec![
        row(
            "arex ChangeOpportunityStatus own",
            true,
            Code::Ok,
            registry(&k.arex).change_opportunity_status(withdraw(&created_id)),
        ),
        row(
            "arex SyncListings own",
            true,
            Code::Ok,
            registry(&k.arex).sync_listings(pb::SyncListingsRequest {
                source: "arex".into(),
                upserts: vec![pb::Opportunity {
                    external_id: "arex-owned-2".into(),
                    ..fresh.clone()
                }],
                withdrawals: vec![],
                ..Default::default()
            }),
        ),
        row(
            "admin SyncListings any source",
            true,
            Code::Ok,
            registry_admin.sync_listings(pb::SyncListingsRequest {
                source: "ader".into(),
                upserts: vec![],
                withdrawals: vec![],
                ..Default::default()
            }),
        ),
    ])
    .await;
    let mut gers_firm = w.firm_a.clone();
    gers_firm.id = String::new();
    gers_firm.external_id = "gers-owned-1".into();
    gers_firm.legal_id = None;
    gers_firm.name = "Atelier Test Gers".into();
    let made = registry(&k.adviser_gers)
        .create_company(pb::CreateCompanyRequest {
            company: Some(gers_firm.clone()),
        })
        .await;
    let made_id = made
        .as_ref()
        .map(|c| c.get_ref().id.clone())
        .unwrap_or_default();
    m.check(
        "Gers adviser CreateCompany in territory",
        true,
        Code::Ok,
        code(made),
    );
    m.run(vec![
        row(
            "Gers adviser ImportCompanies in territory",
            true,
            Code::Ok,
            registry(&k.adviser_gers).import_companies(pb::ImportCompaniesRequest {
                source: "cci-gers".into(),
                companies: vec![pb::Company {
                    external_id: "gers-owned-2".into(),
                    name: "Atelier Import Gers".into(),
                    ..gers_firm.clone()
                }],
            }),
        ),
        row(
            "firm A EraseCompanyContact own",
            true,
            Code::Ok,
            registry(&k.firm_a).erase_company_contact(pb::EraseCompanyContactRequest {
                id: w.firm_a.id.clone(),
            }),
        ),
        row(
            "Gers adviser DeleteCompany in territory",
            true,
            Code::Ok,
            registry(&k.adviser_gers).delete_company(pb::DeleteCompanyRequest {
                id: made_id.clone(),
                expected_version: 0,
            }),
        ),
        row(
            "agency DeleteCompany",
            false,
            Code::PermissionDenied,
            registry(&k.arex).delete_company(pb::DeleteCompanyRequest {
                id: w.firm_b.id.clone(),
                expected_version: 0,
            }),
        ),
        row(
            "agency EraseCompanyContact",
            false,
            Code::PermissionDenied,
            registry(&k.arex).erase_company_contact(pb::EraseCompanyContactRequest {
                id: w.firm_b.id.clone(),
            }),
        ),
        row(
            "firm ImportCompanies",
            false,
            Code::PermissionDenied,
            registry(&k.firm_a).import_companies(pb::ImportCompaniesRequest {
                source: "x".into(),
                companies: vec![],
            }),
        ),
        row(
            "adviser CreateOpportunity",
            false,
            Code::PermissionDenied,
            registry(&k.adviser_gers).create_opportunity(pb::CreateOpportunityRequest {
                opportunity: Some(fresh.clone()),
                draft: false,
            }),
        ),
        row(
            "firm UpdateOpportunity",
            false,
            Code::PermissionDenied,
            registry(&k.firm_a).update_opportunity(retitle(&w.arex_listing)),
        ),
        row(
            "admin WatchChanges",
            true,
            Code::Ok,
            registry_admin.watch_changes(pb::WatchChangesRequest {
                since_seq: 0,
                follow: false,
            }),
        ),
    ])
    .await;

    let cases = m.cases;
    let wrong: Vec<String> = cases
        .iter()
        .filter(|c| c.got != c.expected)
        .map(|c| format!("{}: expected {:?}, got {:?}", c.what, c.expected, c.got))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    let cross_tenant_successes = cases
        .iter()
        .filter(|c| !c.owned && c.got == Code::Ok)
        .count();
    assert_eq!(cross_tenant_successes, 0);
    eprintln!(
        "access matrix: {} cases ({} on objects outside the caller's scope), 0 cross-tenant successes",
        cases.len(),
        cases.iter().filter(|c| !c.owned).count()
    );
    assert!(cases.len() >= 90, "{} cases", cases.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_stops_everywhere_within_a_second() {
    let test = spawn_stack().await;
    let a = &test.stack.addresses;
    let mut access = AccessClient::new(test.channel(&a.registry));
    let issued = access
        .create_key(pb::CreateKeyRequest {
            name: "éphémère".into(),
            role: pb::Role::Adviser as i32,
            territory: vec!["FR-32".into()],
            ..Default::default()
        })
        .await
        .expect("created")
        .into_inner();
    let key = Secret::new(issued.secret.clone());
    let search = || GeoSearchClient::new(test.channel_with_key(&a.geo_search, &key));
    let registry = || CompanyRegistryClient::new(test.channel_with_key(&a.registry, &key));
    // Warm every cache.
    search()
        .suggest_places(pb::SuggestPlacesRequest {
            prefix: "Auch".into(),
            limit: 1,
        })
        .await
        .expect("works before");
    registry()
        .list_opportunities(pb::ListOpportunitiesRequest::default())
        .await
        .expect("works before");
    let revoked_at = tokio::time::Instant::now();
    access
        .revoke_key(pb::RevokeKeyRequest {
            id: issued.key.expect("key").id,
        })
        .await
        .expect("revoked");
    // Within a second of asking for the revocation, both services refuse the key.
    wait_until(
        "geo-search and the registry to refuse the revoked key",
        Duration::from_secs(1).saturating_sub(revoked_at.elapsed()),
        || async {
            let geo = search()
                .suggest_places(pb::SuggestPlacesRequest {
                    prefix: "Auch".into(),
                    limit: 1,
                })
                .await;
            let reg = registry()
                .list_opportunities(pb::ListOpportunitiesRequest::default())
                .await;
            (code(geo) == Code::Unauthenticated && code(reg) == Code::Unauthenticated).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn no_key_a_bad_key_and_plaintext_are_refused() {
    let test = spawn_stack().await;
    let a = &test.stack.addresses;
    let anonymous = test.stack.connector().with_timeout(Duration::from_secs(5));
    // A connector without a key: TLS only.
    let settings = pyred_e2e::test_settings(test.data_dir.path());
    let keyless =
        pyred_runtime::client::Connector::from_settings(&settings, Duration::from_secs(5))
            .expect("tls");
    for url in [&a.registry, &a.geo_search, &a.matchmaking] {
        let mut health =
            tonic_health::pb::health_client::HealthClient::new(keyless.channel(url).expect("url"));
        health
            .check(tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect("health needs no key (probes)");
    }
    let got = code(
        CompanyRegistryClient::new(keyless.channel(&a.registry).expect("url"))
            .list_opportunities(pb::ListOpportunitiesRequest::default())
            .await,
    );
    assert_eq!(got, Code::Unauthenticated);
    let got = code(
        MatchmakingClient::new(keyless.channel(&a.matchmaking).expect("url"))
            .export_judgments(pb::ExportJudgmentsRequest {})
            .await,
    );
    assert_eq!(got, Code::Unauthenticated);
    let forged = Secret::new("pyred_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let got = code(
        GeoSearchClient::new(
            keyless
                .clone()
                .with_key(&forged)
                .expect("key")
                .channel(&a.geo_search)
                .expect("url"),
        )
        .suggest_places(pb::SuggestPlacesRequest {
            prefix: "Hu".into(),
            limit: 1,
        })
        .await,
    );
    assert_eq!(got, Code::Unauthenticated);
    // Plaintext HTTP/2 to a TLS server fails; it never reaches a handler.
    let plain = pyred_runtime::client::Connector::plain(Duration::from_secs(3))
        .with_key(&Secret::new("x"))
        .expect("key");
    let got = CompanyRegistryClient::new(plain.channel(&a.registry).expect("url"))
        .list_opportunities(pb::ListOpportunitiesRequest::default())
        .await;
    assert!(
        matches!(
            code(got),
            Code::Unavailable | Code::Unknown | Code::Internal
        ),
        "plaintext must be refused"
    );
    drop(anonymous);
}

#[tokio::test]
async fn a_key_over_its_rate_gets_resource_exhausted_with_a_retry_delay() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = pyred_e2e::test_settings(data_dir.path());
    settings.security.rate_limit_per_second = 1.0;
    settings.security.rate_limit_burst = 3;
    let stack = pyred::stack::start(settings).await.expect("starts");
    stack
        .wait_healthy(Duration::from_secs(30))
        .await
        .expect("healthy");
    let mut geo = GeoSearchClient::new(
        stack
            .connector()
            .channel(&stack.addresses.geo_search)
            .expect("url"),
    );
    let mut codes = Vec::new();
    let mut exhausted = None;
    for _ in 0..6 {
        match geo
            .suggest_places(pb::SuggestPlacesRequest {
                prefix: "Ta".into(),
                limit: 1,
            })
            .await
        {
            Ok(_) => codes.push(Code::Ok),
            Err(status) => {
                codes.push(status.code());
                exhausted.get_or_insert(status);
            }
        }
    }
    assert_eq!(&codes[..3], &[Code::Ok; 3], "{codes:?}");
    let status = exhausted.expect("the burst is spent");
    assert_eq!(status.code(), Code::ResourceExhausted);
    use pyred_proto::tonic_types::StatusExt as _;
    let retry = status
        .get_details_retry_info()
        .and_then(|r| r.retry_delay)
        .expect("a retry delay");
    assert!(
        retry > Duration::ZERO && retry <= Duration::from_secs(1),
        "{retry:?}"
    );
    let _stream = tokio_stream::iter([1]).next().await;
    stack.stop().await.expect("stops");
}

/// A codec that sends the given bytes as the request message, unchecked: what a broken
/// or hostile client puts on the wire.
#[derive(Debug, Clone, Default)]
struct RawCodec;

#[derive(Debug, Clone, Default)]
struct RawEncoder;

impl tonic::codec::Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: Vec<u8>,
        buf: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        use pyred_proto::prost::bytes::BufMut as _;
        buf.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = RawEncoder;
    type Decoder = pyred_proto::tonic_prost::ProstDecoder<()>;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        pyred_proto::tonic_prost::ProstDecoder::default()
    }
}

/// Sends `bytes` as the request of the unary RPC `path` (`/pkg.Service/Method`).
async fn raw_call(
    channel: pyred_runtime::client::ServiceChannel,
    path: &'static str,
    bytes: Vec<u8>,
) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("channel ready");
    grpc.unary(
        tonic::Request::new(bytes),
        tonic::codegen::http::uri::PathAndQuery::from_static(path),
        RawCodec,
    )
    .await
    .expect_err("an undecodable request is refused")
}

/// The registry's view of a company, for before/after comparisons.
async fn stored_company(
    registry: &mut CompanyRegistryClient<pyred_runtime::client::ServiceChannel>,
    id: &str,
) -> pb::Company {
    registry
        .get_company(pb::GetCompanyRequest {
            id: id.to_owned(),
            legal_id: String::new(),
        })
        .await
        .expect("admin reads")
        .into_inner()
}

/// What an import or sync item's outcome says, as the status a single write would give.
fn item_code(item: &pb::SyncItemResult) -> Code {
    match pb::SyncOutcome::try_from(item.outcome) {
        Ok(pb::SyncOutcome::Rejected) => {
            if item
                .violations
                .iter()
                .any(|v| v.description.contains("not found"))
            {
                Code::NotFound
            } else {
                Code::InvalidArgument
            }
        }
        Ok(_) => Code::Ok,
        Err(_) => Code::Unknown,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upserts_of_foreign_records_not_live_search_and_undecodable_messages() {
    let w = world().await;
    let t = &w.test;
    let a = &t.stack.addresses;
    let registry = |key: &Secret| CompanyRegistryClient::new(t.channel_with_key(&a.registry, key));
    let geo = |key: &Secret| GeoSearchClient::new(t.channel_with_key(&a.geo_search, key));
    let matchmaking =
        |key: &Secret| MatchmakingClient::new(t.channel_with_key(&a.matchmaking, key));
    let mut admin = CompanyRegistryClient::new(t.channel(&a.registry));
    let k = &w.keys;
    let mut cases: Vec<Case> = Vec::new();
    let mut check = |what: &str, owned: bool, expected: Code, got: Code| {
        cases.push(Case {
            what: what.to_owned(),
            owned,
            expected,
            got,
        });
    };

    // An Aragón firm, followed by the Aragón adviser.
    let mut aragon_firm = w.firm_a.clone();
    aragon_firm.id = String::new();
    aragon_firm.external_id = "aragon-firm-1".into();
    aragon_firm.source = "arex-firms".into();
    aragon_firm.legal_id = None;
    aragon_firm.name = "Talleres Ebro".into();
    aragon_firm.region = "ES-Z".into();
    aragon_firm.location = Some(pb::Location {
        lat: Some(41.6488),
        lon: Some(-0.8891),
        place_code: "50297".into(),
        place_name: "Zaragoza".into(),
    });
    aragon_firm.country = "ES".into();
    let aragon_firm = registry(&k.adviser_aragon)
        .create_company(pb::CreateCompanyRequest {
            company: Some(aragon_firm),
        })
        .await
        .expect("the Aragón adviser creates a firm of its territory")
        .into_inner();

    // --- ImportCompanies onto an existing record of another territory, both ways.
    // The attacker's payload is valid for its own territory (`template`) and carries the
    // victim's key.
    let takeover = |victim: &pb::Company, template: &pb::Company| pb::ImportCompaniesRequest {
        source: victim.source.clone(),
        companies: vec![pb::Company {
            id: String::new(),
            source: victim.source.clone(),
            external_id: victim.external_id.clone(),
            name: "Empresa Usurpadora".into(),
            contact: Some(pb::Contact {
                name: "Intruso".into(),
                email: "intruso@example.es".into(),
                phone: "+34 976 00 00 00".into(),
            }),
            legal_id: None,
            version: 0,
            ..template.clone()
        }],
    };
    for (what, key, victim, template) in [
        (
            "Aragón adviser ImportCompanies onto a Gers firm (advisers only)",
            &k.adviser_aragon,
            &w.firm_a,
            &aragon_firm,
        ),
        (
            "Aragón adviser ImportCompanies onto a Gers firm (public)",
            &k.adviser_aragon,
            &w.firm_b,
            &aragon_firm,
        ),
        (
            "Gers adviser ImportCompanies onto an Aragón firm",
            &k.adviser_gers,
            &aragon_firm,
            &w.firm_a,
        ),
    ] {
        let before = stored_company(&mut admin, &victim.id).await;
        let response = registry(key)
            .import_companies(takeover(victim, template))
            .await
            .expect("the batch is answered item by item")
            .into_inner();
        let item = &response.results[0];
        check(what, false, Code::NotFound, item_code(item));
        assert_eq!(
            item.violations[0].field, "companies[0].external_id",
            "{what}: {item:?}"
        );
        assert_eq!(response.last_seq, 0, "{what}: nothing committed");
        let after = stored_company(&mut admin, &victim.id).await;
        assert_eq!(after, before, "{what}: the victim firm is unchanged");
    }
    // The same import by the adviser who follows the firm goes through.
    let mut own = takeover(&w.firm_a, &w.firm_a);
    own.companies[0].name = "Nouveau nom par le conseiller du Gers".into();
    own.companies[0].contact = w.firm_a.contact.clone();
    let response = registry(&k.adviser_gers)
        .import_companies(own)
        .await
        .expect("own territory")
        .into_inner();
    check(
        "Gers adviser ImportCompanies onto its own firm",
        true,
        Code::Ok,
        item_code(&response.results[0]),
    );
    assert_eq!(
        stored_company(&mut admin, &w.firm_a.id).await.name,
        "Nouveau nom par le conseiller du Gers"
    );

    // --- SyncListings between agencies: another agency's external id and source.
    let before = admin
        .get_opportunity(pb::GetOpportunityRequest {
            id: w.arex_listing.id.clone(),
        })
        .await
        .expect("admin reads")
        .into_inner();
    let mut overwrite = w.arex_listing.clone();
    overwrite.id = String::new();
    overwrite.source = "ader".into();
    overwrite.title = "Título sustituido por otra agencia".into();
    overwrite.source_version += 1000;
    let response = registry(&k.ader)
        .sync_listings(pb::SyncListingsRequest {
            source: "ader".into(),
            upserts: vec![overwrite.clone()],
            withdrawals: vec![w.arex_listing.external_id.clone()],
            ..Default::default()
        })
        .await
        .expect("answered item by item")
        .into_inner();
    for (i, item) in response.results.iter().enumerate() {
        check(
            &format!("ader SyncListings item {i} onto an arex listing"),
            false,
            Code::InvalidArgument,
            item_code(item),
        );
    }
    check(
        "ader SyncListings as arex",
        false,
        Code::PermissionDenied,
        code(
            registry(&k.ader)
                .sync_listings(pb::SyncListingsRequest {
                    source: "arex".into(),
                    upserts: vec![w.arex_listing.clone()],
                    withdrawals: vec![w.arex_listing.external_id.clone()],
                    ..Default::default()
                })
                .await,
        ),
    );
    let after = admin
        .get_opportunity(pb::GetOpportunityRequest {
            id: w.arex_listing.id.clone(),
        })
        .await
        .expect("admin reads")
        .into_inner();
    assert_eq!(after, before, "arex's listing is unchanged");

    // --- Search with include_not_live: a draft is found by no one but admins.
    let geo_admin = GeoSearchClient::new(t.channel(&a.geo_search));
    let not_live = |query: &str| pb::SearchRequest {
        query: query.to_owned(),
        filters: Some(pb::SearchFilters {
            include_not_live: true,
            entity: pb::EntityKind::Opportunity as i32,
            ..Default::default()
        }),
        page: Some(pb::PageRequest {
            page_size: 100,
            page_token: String::new(),
        }),
        facets: true,
        ..Default::default()
    };
    let everything = wait_until("the draft to be indexed", Duration::from_secs(30), || {
        let mut geo_admin = geo_admin.clone();
        let request = not_live("");
        let draft = &w.arex_draft.id;
        async move {
            let found = geo_admin
                .search(request)
                .await
                .expect("admin searches")
                .into_inner();
            found
                .hits
                .iter()
                .any(|hit| &hit.id == draft)
                .then_some(found)
        }
    })
    .await;
    for (what, key) in [
        ("Gers adviser", &k.adviser_gers),
        ("Aragón adviser", &k.adviser_aragon),
        ("firm A", &k.firm_a),
    ] {
        for query in ["", w.arex_draft.title.as_str()] {
            let found = geo(key)
                .search(not_live(query))
                .await
                .expect("search")
                .into_inner();
            let leaks = found.hits.iter().any(|hit| hit.id == w.arex_draft.id);
            check(
                &format!("{what} Search include_not_live {query:?} finds arex's draft"),
                false,
                Code::NotFound,
                if leaks { Code::Ok } else { Code::NotFound },
            );
            if query.is_empty() {
                assert_eq!(found.total, everything.total - 1, "{what}: the total");
                let kinds: i64 = found
                    .facets
                    .as_ref()
                    .map(|f| f.kinds.iter().map(|k| k.count).sum())
                    .unwrap_or_default();
                assert_eq!(kinds, found.total, "{what}: facets count no draft");
            }
        }
    }
    check(
        "agency Search",
        false,
        Code::PermissionDenied,
        code(geo(&k.arex).search(not_live("")).await),
    );

    // --- WatchAlerts filtered on a company outside the caller's scope.
    for (what, key, company, owned, expected) in [
        (
            "firm A WatchAlerts of firm B",
            &k.firm_a,
            &w.firm_b.id,
            false,
            Code::NotFound,
        ),
        (
            "Aragón adviser WatchAlerts of firm A",
            &k.adviser_aragon,
            &w.firm_a.id,
            false,
            Code::NotFound,
        ),
        (
            "Gers adviser WatchAlerts of firm A",
            &k.adviser_gers,
            &w.firm_a.id,
            true,
            Code::Ok,
        ),
        (
            "firm A WatchAlerts of itself",
            &k.firm_a,
            &w.firm_a.id,
            true,
            Code::Ok,
        ),
    ] {
        let got = code(
            matchmaking(key)
                .watch_alerts(pb::WatchAlertsRequest {
                    company_ids: vec![company.clone()],
                    min_score: 0.0,
                    since_seq: 0,
                })
                .await,
        );
        check(what, owned, expected, got);
    }

    let wrong: Vec<String> = cases
        .iter()
        .filter(|c| c.got != c.expected)
        .map(|c| format!("{}: expected {:?}, got {:?}", c.what, c.expected, c.got))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(
        cases
            .iter()
            .filter(|c| !c.owned && c.got == Code::Ok)
            .count(),
        0
    );

    // --- Undecodable requests: InvalidArgument with the decoder's reason, everywhere.
    let bodies: [(&str, Vec<u8>); 5] = [
        ("invalid UTF-8 in a string", vec![0x0a, 0x02, 0xff, 0xfe]),
        ("truncated varint", vec![0x10, 0xff]),
        ("length past the end", vec![0x0a, 0x09, b'a']),
        ("wrong wire type", vec![0x0b]),
        ("tag 0", vec![0x00, 0x01]),
    ];
    let paths: [(&str, &'static str); 4] = [
        (a.registry.as_str(), "/pyred.v1.CompanyRegistry/GetCompany"),
        (a.geo_search.as_str(), "/pyred.v1.GeoSearch/Search"),
        (
            a.matchmaking.as_str(),
            "/pyred.v1.Matchmaking/ListCompanyMatches",
        ),
        (a.matchmaking.as_str(), "/pyred.v1.Matchmaking/GetMatch"),
    ];
    for (url, path) in paths {
        for (what, bytes) in &bodies {
            let status = raw_call(
                t.channel_with_key(url, &k.adviser_gers),
                path,
                bytes.clone(),
            )
            .await;
            assert_eq!(
                status.code(),
                Code::InvalidArgument,
                "{path} with {what}: {status:?}"
            );
            assert!(
                status.message().contains("cannot be decoded"),
                "{path} with {what}: {}",
                status.message()
            );
        }
    }
}
