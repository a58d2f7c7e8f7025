//! Brokerage end to end over real gRPC and TLS (issue 19, decision 0018): a CCI Gers
//! adviser opens a case from a Gers firm's lead on an Aragón Exterior listing, the AREX
//! adviser accepts it naming a Zaragoza firm, both firms consent with their own keys, and
//! only then do the two advisers read each other's firm's contact — audited. A refusal,
//! an erasure and every foreign caller reveal nothing.

use std::time::Duration;

use pyred_e2e::{TestStack, spawn_stack, wait_until};
use pyred_proto::prost_types::FieldMask;
use pyred_proto::v1::access_client::AccessClient;
use pyred_proto::v1::audit_client::AuditClient;
use pyred_proto::v1::brokerage_client::BrokerageClient;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::matchmaking_client::MatchmakingClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::Secret;
use pyred_runtime::client::ServiceChannel;
use tonic::Code;

/// The Gers firm of the cases (a demo firm that machines aircraft parts).
const GERS_FIRM: &str = "demo-gers-04";

struct World {
    test: TestStack,
    gers_firm: pb::Company,
    zaragoza_firm: pb::Company,
    /// Arex listings among the Gers firm's leads, and those leads' ids.
    listings: Vec<pb::Opportunity>,
    lead_ids: Vec<String>,
    gers: Party,
    arex: Party,
    ader: Party,
    no_org: Party,
    firm_gers: Party,
    firm_zaragoza: Party,
    agency: Party,
}

/// A key and what it calls with.
struct Party {
    key_id: String,
    brokerage: BrokerageClient<ServiceChannel>,
}

fn organisation(
    id: &str,
    name: &str,
    country: &str,
    region: &str,
    source: &str,
) -> pb::Organisation {
    pb::Organisation {
        id: id.to_owned(),
        name: name.to_owned(),
        country: country.to_owned(),
        territory: vec![region.to_owned()],
        sources: vec![source.to_owned()],
        ..Default::default()
    }
}

fn contact(name: &str, email: &str) -> Option<pb::Contact> {
    Some(pb::Contact {
        name: name.to_owned(),
        email: email.to_owned(),
        phone: "+34 976 00 00 00".to_owned(),
    })
}

fn zaragoza_firm() -> pb::Company {
    pb::Company {
        name: "Talleres Aeronáuticos del Ebro".to_owned(),
        country: "ES".to_owned(),
        region: "ES-Z".to_owned(),
        language: pb::Language::Es as i32,
        description: "Compramos piezas mecanizadas para aeronáutica.".to_owned(),
        seeks: "Mecanizado de piezas aeronáuticas".to_owned(),
        location: Some(pb::Location {
            place_code: "50297".to_owned(),
            ..Default::default()
        }),
        languages: vec!["es".to_owned()],
        contact: contact("Lucía Martín", "lucia@talleres-ebro.es"),
        ..Default::default()
    }
}

async fn party(test: &TestStack, key: Secret) -> Party {
    let channel = test.channel_with_key(&test.stack.addresses.registry, &key);
    let key_id = AccessClient::new(channel)
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .expect("the key authenticates")
        .into_inner()
        .key
        .expect("a key")
        .id;
    Party {
        key_id,
        brokerage: BrokerageClient::new(
            test.channel_with_key(&test.stack.addresses.matchmaking, &key),
        ),
    }
}

fn adviser(name: &str, organisation: &str) -> pb::CreateKeyRequest {
    pb::CreateKeyRequest {
        name: name.to_owned(),
        role: pb::Role::Adviser as i32,
        organisation: organisation.to_owned(),
        ..Default::default()
    }
}

fn firm(name: &str, company_id: &str) -> pb::CreateKeyRequest {
    pb::CreateKeyRequest {
        name: name.to_owned(),
        role: pb::Role::Firm as i32,
        company_id: company_id.to_owned(),
        ..Default::default()
    }
}

async fn world() -> World {
    let test = spawn_stack().await;
    pyred::import::load_demo(
        &test.connector().with_timeout(Duration::from_secs(30)),
        &test.stack.addresses.registry,
    )
    .await
    .expect("demo loads");
    let mut access = AccessClient::new(test.channel(&test.stack.addresses.registry));
    for organisation in [
        organisation("cci-gers", "CCI Gers", "FR", "FR-32", "cci-gers"),
        organisation("arex", "Aragón Exterior", "ES", "ES-AR", "arex"),
        organisation("ader", "ADER La Rioja", "ES", "ES-RI", "ader"),
    ] {
        access
            .create_organisation(pb::CreateOrganisationRequest {
                organisation: Some(organisation),
            })
            .await
            .expect("the admin creates organisations");
    }
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let mut gers = registry
        .get_company(pb::GetCompanyRequest {
            id: GERS_FIRM.to_owned(),
            ..Default::default()
        })
        .await
        .expect("the demo firm")
        .into_inner();
    gers.contact = contact("Paul Savès", "paul@saves-usinage.fr");
    let gers_firm = registry
        .update_company(pb::UpdateCompanyRequest {
            company: Some(gers),
            update_mask: Some(FieldMask {
                paths: vec!["contact".to_owned()],
            }),
            expected_version: 0,
        })
        .await
        .expect("the admin gives the firm a contact")
        .into_inner();
    let zaragoza_firm = registry
        .create_company(pb::CreateCompanyRequest {
            company: Some(zaragoza_firm()),
        })
        .await
        .expect("a Zaragoza firm")
        .into_inner();
    let mut matchmaking = MatchmakingClient::new(test.channel(&test.stack.addresses.matchmaking));
    let leads = matchmaking
        .list_company_matches(pb::ListCompanyMatchesRequest {
            company_id: GERS_FIRM.to_owned(),
            as_of: Some(pb::Date {
                year: 2026,
                month: 12,
                day: 1,
            }),
            page: Some(pb::PageRequest {
                page_size: 50,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("the firm's leads")
        .into_inner()
        .matches;
    let mut listings = Vec::new();
    let mut lead_ids = Vec::new();
    for lead in &leads {
        let listing = registry
            .get_opportunity(pb::GetOpportunityRequest {
                id: lead.opportunity_id.clone(),
            })
            .await
            .expect("the lead's listing")
            .into_inner();
        if listing.source == "arex" {
            listings.push(listing);
            lead_ids.push(lead.id.clone());
        }
    }
    assert!(
        listings.len() >= 3,
        "the machining firm has arex leads: {}",
        listings.len()
    );
    let gers = party(
        &test,
        test.issue_key(adviser("Marie (CCI Gers)", "cci-gers"))
            .await,
    )
    .await;
    let arex = party(
        &test,
        test.issue_key(adviser("Javier (AREX)", "arex")).await,
    )
    .await;
    let ader = party(&test, test.issue_key(adviser("Ana (ADER)", "ader")).await).await;
    let no_org = party(
        &test,
        test.issue_key(pb::CreateKeyRequest {
            name: "adviser without organisation".to_owned(),
            role: pb::Role::Adviser as i32,
            territory: vec!["FR-32".to_owned(), "ES-AR".to_owned()],
            ..Default::default()
        })
        .await,
    )
    .await;
    let firm_gers = party(&test, test.issue_key(firm("Savès", &gers_firm.id)).await).await;
    let firm_zaragoza = party(&test, test.issue_key(firm("Ebro", &zaragoza_firm.id)).await).await;
    let agency = party(
        &test,
        test.issue_key(pb::CreateKeyRequest {
            name: "arex feed".to_owned(),
            role: pb::Role::Agency as i32,
            source: "arex".to_owned(),
            ..Default::default()
        })
        .await,
    )
    .await;
    World {
        test,
        gers_firm,
        zaragoza_firm,
        listings,
        lead_ids,
        gers,
        arex,
        ader,
        no_org,
        firm_gers,
        firm_zaragoza,
        agency,
    }
}

fn code<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Code {
    match result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

impl World {
    async fn open(&mut self, listing: usize) -> pb::Case {
        self.gers
            .brokerage
            .open_case(pb::OpenCaseRequest {
                company_id: self.gers_firm.id.clone(),
                opportunity_id: self.listings[listing].id.clone(),
                note: "Savès usine des pièces de train d'atterrissage.".to_owned(),
                ..Default::default()
            })
            .await
            .expect("the Gers adviser opens a case")
            .into_inner()
    }

    /// Opens, accepts naming the Zaragoza firm, and asks both consents.
    async fn asked(&mut self, listing: usize) -> pb::Case {
        let case = self.open(listing).await;
        let accepted = self
            .arex
            .brokerage
            .accept_case(pb::AcceptCaseRequest {
                id: case.id.clone(),
                counterpart_company_id: self.zaragoza_firm.id.clone(),
                note: "Talleres Ebro busca proveedor.".to_owned(),
                version: case.version,
            })
            .await
            .expect("AREX accepts")
            .into_inner();
        self.gers
            .brokerage
            .ask_consents(pb::AskConsentsRequest {
                id: case.id.clone(),
                version: accepted.version,
            })
            .await
            .expect("the Gers adviser asks both firms")
            .into_inner()
    }

    async fn lead_status(&self, listing: usize) -> i32 {
        let mut matchmaking =
            MatchmakingClient::new(self.test.channel(&self.test.stack.addresses.matchmaking));
        matchmaking
            .get_match(pb::GetMatchRequest {
                id: self.lead_ids[listing].clone(),
            })
            .await
            .expect("the lead")
            .into_inner()
            .status
    }

    async fn contacts_audited(&self, case_id: &str) -> Vec<pb::AuditEvent> {
        let mut audit = AuditClient::new(self.test.channel(&self.test.stack.addresses.matchmaking));
        audit
            .list_audit_events(pb::ListAuditEventsRequest {
                object_prefix: format!("case/{case_id}"),
                ..Default::default()
            })
            .await
            .expect("the admin reads the audit log")
            .into_inner()
            .events
            .into_iter()
            .filter(|event| event.rpc.ends_with("GetCaseContacts"))
            .collect()
    }
}

fn answer(case: &pb::Case, yes: bool) -> pb::AnswerConsentRequest {
    pb::AnswerConsentRequest {
        id: case.id.clone(),
        company_id: String::new(),
        answer: if yes {
            pb::ConsentAnswer::Yes
        } else {
            pb::ConsentAnswer::No
        } as i32,
    }
}

fn contacts(case: &pb::Case) -> pb::GetCaseContactsRequest {
    pb::GetCaseContactsRequest {
        id: case.id.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_chambers_introduce_two_firms_only_after_both_consent() {
    let mut w = world().await;
    let case = w.open(0).await;
    assert_eq!(case.status, pb::CaseStatus::Proposed as i32);
    let side_b = case.side_b.clone().expect("side b");
    assert_eq!(
        side_b.organisation, "arex",
        "routed by the listing's source"
    );
    assert!(side_b.company_id.is_empty());
    assert_eq!(
        w.lead_status(0).await,
        pb::MatchStatus::Shortlisted as i32,
        "the lead follows the case"
    );
    let again = w
        .gers
        .brokerage
        .open_case(pb::OpenCaseRequest {
            company_id: w.gers_firm.id.clone(),
            opportunity_id: w.listings[0].id.clone(),
            ..Default::default()
        })
        .await;
    assert_eq!(code(again), Code::AlreadyExists);

    // The AREX adviser sees it among the cases proposed to AREX; ADER does not.
    let proposed_to_arex = w
        .arex
        .brokerage
        .list_cases(pb::ListCasesRequest {
            side: "b".to_owned(),
            ..Default::default()
        })
        .await
        .expect("AREX lists")
        .into_inner()
        .cases;
    assert_eq!(proposed_to_arex.len(), 1);
    assert_eq!(proposed_to_arex[0].id, case.id);
    let ader_cases = w
        .ader
        .brokerage
        .list_cases(pb::ListCasesRequest::default())
        .await
        .expect("ADER lists")
        .into_inner()
        .cases;
    assert!(ader_cases.is_empty());

    // Only side B accepts, and names a firm of its own territory.
    let by_a = w
        .gers
        .brokerage
        .accept_case(pb::AcceptCaseRequest {
            id: case.id.clone(),
            counterpart_company_id: w.zaragoza_firm.id.clone(),
            ..Default::default()
        })
        .await;
    assert_eq!(code(by_a), Code::PermissionDenied);
    let unnamed = w
        .arex
        .brokerage
        .accept_case(pb::AcceptCaseRequest {
            id: case.id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("a firm must be named");
    assert_eq!(unnamed.code(), Code::InvalidArgument);
    assert!(
        unnamed.message().contains("counterpart_company_id"),
        "{unnamed:?}"
    );
    let accepted = w
        .arex
        .brokerage
        .accept_case(pb::AcceptCaseRequest {
            id: case.id.clone(),
            counterpart_company_id: w.zaragoza_firm.id.clone(),
            note: "Talleres Ebro busca proveedor de piezas.".to_owned(),
            version: case.version,
        })
        .await
        .expect("AREX accepts")
        .into_inner();
    assert_eq!(accepted.status, pb::CaseStatus::Accepted as i32);
    let stale = w
        .gers
        .brokerage
        .ask_consents(pb::AskConsentsRequest {
            id: case.id.clone(),
            version: case.version,
        })
        .await;
    assert_eq!(
        code(stale),
        Code::FailedPrecondition,
        "a stale version is refused"
    );
    let asked = w
        .gers
        .brokerage
        .ask_consents(pb::AskConsentsRequest {
            id: case.id.clone(),
            version: accepted.version,
        })
        .await
        .expect("consents asked")
        .into_inner();
    assert_eq!(asked.consents.len(), 2);
    let due = asked.consents[0].due_at.expect("due").seconds
        - asked.consents[0].asked_at.expect("asked").seconds;
    assert_eq!(due, 14 * 86_400, "fourteen days by default");

    // Nothing is revealed while consents are pending.
    for party in [&mut w.gers, &mut w.arex] {
        assert_eq!(
            code(party.brokerage.get_case_contacts(contacts(&case)).await),
            Code::FailedPrecondition
        );
    }
    // The firm asked sees its request, never a contact.
    let requests = w
        .firm_zaragoza
        .brokerage
        .list_my_consents(pb::ListMyConsentsRequest { pending_only: true })
        .await
        .expect("the firm lists its requests")
        .into_inner()
        .requests;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].other_company_name, w.gers_firm.name);
    assert_eq!(requests[0].organisation_b, "arex");

    // A firm answers only for itself.
    let for_other = w
        .firm_gers
        .brokerage
        .answer_consent(pb::AnswerConsentRequest {
            company_id: w.zaragoza_firm.id.clone(),
            ..answer(&case, true)
        })
        .await;
    assert_eq!(code(for_other), Code::NotFound);
    let one = w
        .firm_gers
        .brokerage
        .answer_consent(answer(&case, true))
        .await
        .expect("the Gers firm agrees")
        .into_inner();
    assert_eq!(one.status, pb::CaseStatus::ConsentsAsked as i32);
    assert!(
        one.events.is_empty(),
        "a firm does not read the advisers' timeline"
    );
    assert_eq!(
        code(w.arex.brokerage.get_case_contacts(contacts(&case)).await),
        Code::FailedPrecondition,
        "one yes reveals nothing"
    );
    let both = w
        .firm_zaragoza
        .brokerage
        .answer_consent(answer(&case, true))
        .await
        .expect("the Zaragoza firm agrees")
        .into_inner();
    assert_eq!(both.status, pb::CaseStatus::Introduced as i32);
    assert_eq!(
        w.lead_status(0).await,
        pb::MatchStatus::Contacted as i32,
        "an introduction marks the lead contacted"
    );

    // Now both advisers read both contacts; each read is audited.
    let refused_reads = w.contacts_audited(&case.id).await;
    assert_eq!(
        refused_reads.len(),
        3,
        "refused attempts are audited too: {refused_reads:?}"
    );
    assert!(
        refused_reads
            .iter()
            .all(|e| e.outcome == "FAILED_PRECONDITION")
    );
    for party in [&mut w.gers, &mut w.arex] {
        let found = party
            .brokerage
            .get_case_contacts(contacts(&case))
            .await
            .expect("the case's advisers read the contacts")
            .into_inner();
        let email = |side: Option<pb::CaseContact>| {
            side.and_then(|s| s.contact)
                .map(|c| c.email)
                .unwrap_or_default()
        };
        assert_eq!(email(found.side_a), "paul@saves-usinage.fr");
        assert_eq!(email(found.side_b), "lucia@talleres-ebro.es");
    }
    for party in [
        &mut w.ader,
        &mut w.no_org,
        &mut w.firm_gers,
        &mut w.firm_zaragoza,
        &mut w.agency,
    ] {
        let result = party.brokerage.get_case_contacts(contacts(&case)).await;
        assert!(
            matches!(code(result), Code::NotFound | Code::PermissionDenied),
            "no one else reads them"
        );
    }
    let reads = w.contacts_audited(&case.id).await;
    let ok: Vec<&str> = reads
        .iter()
        .filter(|event| event.outcome == "OK")
        .map(|event| event.key_id.as_str())
        .collect();
    assert_eq!(ok.len(), 2, "one read per adviser of the case: {reads:?}");
    assert!(ok.contains(&w.gers.key_id.as_str()) && ok.contains(&w.arex.key_id.as_str()));

    // The case goes on; the lead follows; the timeline tells who did what.
    let meeting = w
        .arex
        .brokerage
        .update_case_status(pb::UpdateCaseStatusRequest {
            id: case.id.clone(),
            status: pb::CaseStatus::Meeting as i32,
            ..Default::default()
        })
        .await
        .expect("a meeting")
        .into_inner();
    assert_eq!(w.lead_status(0).await, pb::MatchStatus::Meeting as i32);
    let kinds: Vec<&str> = meeting.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "accepted",
            "consents_asked",
            "consent_yes",
            "consent_yes",
            "introduced",
            "status"
        ]
    );
    assert_eq!(meeting.events[1].actor, w.arex.key_id);
    assert_eq!(meeting.events[1].actor_organisation, "arex");
    assert_eq!(meeting.events[3].actor, w.firm_gers.key_id);
    let back = w
        .gers
        .brokerage
        .update_case_status(pb::UpdateCaseStatusRequest {
            id: case.id.clone(),
            status: pb::CaseStatus::Introduced as i32,
            ..Default::default()
        })
        .await;
    assert_eq!(
        code(back),
        Code::InvalidArgument,
        "introduced is not set by hand"
    );
    let note = w
        .gers
        .brokerage
        .add_case_note(pb::AddCaseNoteRequest {
            id: case.id.clone(),
            text: "Rendez-vous à Saragosse le 12 janvier.".to_owned(),
        })
        .await
        .expect("a note")
        .into_inner();
    assert_eq!(
        note.events.last().map(|e| e.text.as_str()),
        Some("Rendez-vous à Saragosse le 12 janvier.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_or_an_erasure_reveals_nothing_to_anyone() {
    let mut w = world().await;
    let refused = w.asked(0).await;
    w.firm_gers
        .brokerage
        .answer_consent(answer(&refused, true))
        .await
        .expect("the Gers firm agrees");
    let closed = w
        .firm_zaragoza
        .brokerage
        .answer_consent(answer(&refused, false))
        .await
        .expect("the Zaragoza firm refuses")
        .into_inner();
    assert_eq!(closed.status, pb::CaseStatus::Refused as i32);
    for party in [&mut w.gers, &mut w.arex] {
        assert_eq!(
            code(party.brokerage.get_case_contacts(contacts(&refused)).await),
            Code::FailedPrecondition
        );
    }
    let late = w
        .firm_gers
        .brokerage
        .update_case_status(pb::UpdateCaseStatusRequest {
            id: refused.id.clone(),
            status: pb::CaseStatus::Meeting as i32,
            ..Default::default()
        })
        .await;
    assert_eq!(code(late), Code::NotFound);
    assert!(
        w.contacts_audited(&refused.id)
            .await
            .iter()
            .all(|e| e.outcome != "OK")
    );
    assert_eq!(
        w.lead_status(0).await,
        pb::MatchStatus::Shortlisted as i32,
        "a refused case leaves the lead where it was"
    );

    // An adviser may record the answer of a firm it follows, and only that firm's.
    let pending = w.asked(1).await;
    let foreign = w
        .gers
        .brokerage
        .answer_consent(pb::AnswerConsentRequest {
            company_id: w.zaragoza_firm.id.clone(),
            ..answer(&pending, true)
        })
        .await;
    assert_eq!(code(foreign), Code::PermissionDenied);
    let via = w
        .gers
        .brokerage
        .answer_consent(pb::AnswerConsentRequest {
            company_id: w.gers_firm.id.clone(),
            ..answer(&pending, true)
        })
        .await
        .expect("the Gers adviser records the firm's yes")
        .into_inner();
    let recorded = via
        .consents
        .iter()
        .find(|c| c.company_id == w.gers_firm.id)
        .expect("consent");
    assert_eq!(recorded.answered_via_adviser, w.gers.key_id);

    // Erasing the Zaragoza firm's contact withdraws its pending consent: refused.
    let mut registry = CompanyRegistryClient::new(w.test.channel(&w.test.stack.addresses.registry));
    registry
        .erase_company_contact(pb::EraseCompanyContactRequest {
            id: w.zaragoza_firm.id.clone(),
        })
        .await
        .expect("the admin erases the contact");
    let status = wait_until(
        "the erasure to refuse the pending case",
        Duration::from_secs(30),
        || {
            let mut brokerage = w.gers.brokerage.clone();
            let id = pending.id.clone();
            async move {
                let status = brokerage
                    .get_case(pb::GetCaseRequest { id })
                    .await
                    .expect("the case")
                    .into_inner()
                    .status;
                (status == pb::CaseStatus::Refused as i32).then_some(status)
            }
        },
    )
    .await;
    assert_eq!(
        status,
        pb::CaseStatus::Refused as i32,
        "withdrawn by the erasure"
    );
    let case = w
        .arex
        .brokerage
        .get_case(pb::GetCaseRequest {
            id: pending.id.clone(),
        })
        .await
        .expect("the case")
        .into_inner();
    let withdrawn = case
        .consents
        .iter()
        .find(|c| c.company_id == w.zaragoza_firm.id)
        .expect("consent");
    assert_eq!(withdrawn.answer, pb::ConsentAnswer::Withdrawn as i32);
    assert_eq!(
        case.events.last().map(|e| e.kind.as_str()),
        Some("consent_withdrawn")
    );
    assert_eq!(
        code(w.gers.brokerage.get_case_contacts(contacts(&pending)).await),
        Code::FailedPrecondition
    );
}

/// Every brokerage RPC, called by every kind of caller on a case that is not theirs:
/// none succeeds (the matrix of issue 19), and inputs name their fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_foreign_caller_touches_a_case() {
    let mut w = world().await;
    let case = w.asked(2).await;
    let id = case.id.clone();
    let mut successes = Vec::new();
    let callers: [(&str, &mut Party); 5] = [
        ("ader adviser", &mut w.ader),
        ("adviser without organisation", &mut w.no_org),
        ("agency", &mut w.agency),
        ("firm of the case (adviser RPCs)", &mut w.firm_gers),
        ("other firm (adviser RPCs)", &mut w.firm_zaragoza),
    ];
    for (who, party) in callers {
        let b = &mut party.brokerage;
        let firm = who.starts_with("firm") || who.starts_with("other firm");
        let mut calls: Vec<(&str, Code)> = vec![
            (
                "GetCase",
                code(b.get_case(pb::GetCaseRequest { id: id.clone() }).await),
            ),
            (
                "AcceptCase",
                code(
                    b.accept_case(pb::AcceptCaseRequest {
                        id: id.clone(),
                        counterpart_company_id: w.zaragoza_firm.id.clone(),
                        ..Default::default()
                    })
                    .await,
                ),
            ),
            (
                "DeclineCase",
                code(
                    b.decline_case(pb::DeclineCaseRequest {
                        id: id.clone(),
                        reason: "no".to_owned(),
                        version: 0,
                    })
                    .await,
                ),
            ),
            (
                "AskConsents",
                code(
                    b.ask_consents(pb::AskConsentsRequest {
                        id: id.clone(),
                        version: 0,
                    })
                    .await,
                ),
            ),
            (
                "GetCaseContacts",
                code(
                    b.get_case_contacts(pb::GetCaseContactsRequest { id: id.clone() })
                        .await,
                ),
            ),
            (
                "UpdateCaseStatus",
                code(
                    b.update_case_status(pb::UpdateCaseStatusRequest {
                        id: id.clone(),
                        status: pb::CaseStatus::Dropped as i32,
                        reason: "x".to_owned(),
                        version: 0,
                    })
                    .await,
                ),
            ),
            (
                "AddCaseNote",
                code(
                    b.add_case_note(pb::AddCaseNoteRequest {
                        id: id.clone(),
                        text: "x".to_owned(),
                    })
                    .await,
                ),
            ),
            (
                "OpenCase",
                code(
                    b.open_case(pb::OpenCaseRequest {
                        company_id: w.gers_firm.id.clone(),
                        opportunity_id: w.listings[0].id.clone(),
                        ..Default::default()
                    })
                    .await,
                ),
            ),
            (
                "OpenConsortiumCases",
                code(
                    b.open_consortium_cases(pb::OpenConsortiumCasesRequest {
                        opportunity_id: w.listings[0].id.clone(),
                        company_id: w.gers_firm.id.clone(),
                        member_company_ids: vec![w.zaragoza_firm.id.clone()],
                        consortium_id: "cons_x".to_owned(),
                        note: String::new(),
                    })
                    .await,
                ),
            ),
        ];
        if !firm {
            // Answers for a firm by a caller that does not follow it.
            calls.push((
                "AnswerConsent",
                code(
                    b.answer_consent(pb::AnswerConsentRequest {
                        company_id: w.gers_firm.id.clone(),
                        ..answer(&case, true)
                    })
                    .await,
                ),
            ));
            calls.push((
                "ListMyConsents",
                code(
                    b.list_my_consents(pb::ListMyConsentsRequest::default())
                        .await,
                ),
            ));
        }
        for (rpc, found) in calls {
            if found == Code::Ok {
                successes.push(format!("{who} {rpc}"));
            }
        }
        // Lists show no foreign case.
        if let Ok(listed) = b.list_cases(pb::ListCasesRequest::default()).await
            && listed.get_ref().cases.iter().any(|c| c.id == id)
        {
            successes.push(format!("{who} ListCases"));
        }
    }
    assert!(
        successes.is_empty(),
        "cross-tenant successes: {successes:?}"
    );
    let unchanged = w
        .gers
        .brokerage
        .get_case(pb::GetCaseRequest { id: id.clone() })
        .await
        .expect("the case")
        .into_inner();
    assert_eq!(unchanged.status, pb::CaseStatus::ConsentsAsked as i32);
    assert_eq!(unchanged.version, case.version, "nothing was written");

    // Bad input names its field.
    let bad = w
        .gers
        .brokerage
        .open_case(pb::OpenCaseRequest {
            company_id: " ".to_owned(),
            opportunity_id: "x".repeat(200),
            note: "é".repeat(4001),
            ..Default::default()
        })
        .await
        .expect_err("invalid");
    assert_eq!(bad.code(), Code::InvalidArgument);
    for field in ["company_id", "opportunity_id", "note"] {
        assert!(bad.message().contains(field), "{field}: {bad:?}");
    }
    let no_answer = w
        .firm_gers
        .brokerage
        .answer_consent(pb::AnswerConsentRequest {
            id: id.clone(),
            company_id: String::new(),
            answer: pb::ConsentAnswer::Pending as i32,
        })
        .await
        .expect_err("pending is not an answer");
    assert!(no_answer.message().contains("answer"), "{no_answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consortium_opens_one_case_per_member_followed_elsewhere() {
    let mut w = world().await;
    let tender = w.listings[0].id.clone();
    let opened = w
        .gers
        .brokerage
        .open_consortium_cases(pb::OpenConsortiumCasesRequest {
            opportunity_id: tender.clone(),
            company_id: w.gers_firm.id.clone(),
            member_company_ids: vec![w.zaragoza_firm.id.clone(), "demo-gers-10".to_owned()],
            consortium_id: "cons_test".to_owned(),
            note: "Candidature groupée.".to_owned(),
        })
        .await
        .expect("consortium cases")
        .into_inner()
        .cases;
    assert_eq!(
        opened.len(),
        1,
        "a member of the adviser's own territory needs no hand-off"
    );
    let case = &opened[0];
    let side_b = case.side_b.clone().expect("side b");
    assert_eq!(side_b.organisation, "arex", "the Zaragoza firm is AREX's");
    assert_eq!(side_b.company_id, w.zaragoza_firm.id);
    assert_eq!(case.consortium_id, "cons_test");
    assert!(
        case.match_id.is_empty(),
        "a joint bid is firm to firm, not a lead"
    );
    let again = w
        .gers
        .brokerage
        .open_consortium_cases(pb::OpenConsortiumCasesRequest {
            opportunity_id: tender,
            company_id: w.gers_firm.id.clone(),
            member_company_ids: vec![w.zaragoza_firm.id.clone()],
            consortium_id: "cons_test".to_owned(),
            note: String::new(),
        })
        .await
        .expect("idempotent")
        .into_inner()
        .cases;
    assert!(again.is_empty(), "an open case is not opened twice");
    // Side B accepts without naming anyone: the member is already named.
    w.arex
        .brokerage
        .accept_case(pb::AcceptCaseRequest {
            id: case.id.clone(),
            ..Default::default()
        })
        .await
        .expect("AREX accepts the named member");
    let accepted = w
        .arex
        .brokerage
        .list_cases(pb::ListCasesRequest {
            statuses: vec![pb::CaseStatus::Accepted as i32],
            company_id: w.zaragoza_firm.id.clone(),
            ..Default::default()
        })
        .await
        .expect("filtered list")
        .into_inner()
        .cases;
    assert_eq!(accepted.len(), 1);
    let bad_side = w
        .arex
        .brokerage
        .list_cases(pb::ListCasesRequest {
            side: "c".to_owned(),
            ..Default::default()
        })
        .await
        .expect_err("no side c");
    assert!(bad_side.message().contains("side"), "{bad_side:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joint_bids_group_visible_firms_that_cover_a_tender() {
    let mut w = world().await;
    let mut registry = CompanyRegistryClient::new(w.test.channel(&w.test.stack.addresses.registry));
    let tenders: Vec<pb::Opportunity> = registry
        .list_opportunities(pb::ListOpportunitiesRequest {
            page: Some(pb::PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            status: pb::OpportunityStatus::Published as i32,
            ..Default::default()
        })
        .await
        .expect("listings")
        .into_inner()
        .opportunities
        .into_iter()
        .filter(|o| o.kind == pb::OpportunityKind::Tender as i32)
        .collect();
    assert!(!tenders.is_empty());
    let as_of = Some(pb::Date {
        year: 2026,
        month: 12,
        day: 1,
    });
    let mut proposed = 0;
    for tender in &tenders {
        let answer = w
            .gers
            .brokerage
            .propose_consortia(pb::ProposeConsortiaRequest {
                opportunity_id: tender.id.clone(),
                as_of,
                ..Default::default()
            })
            .await
            .expect("proposals")
            .into_inner();
        assert!(!answer.requirements.is_empty(), "a tender asks something");
        for consortium in &answer.consortia {
            proposed += 1;
            assert!((2..=4).contains(&consortium.members.len()));
            assert!((0.0..=1.0).contains(&consortium.coverage));
            assert_eq!(
                consortium.form,
                pb::ConsortiumForm::Ute as i32,
                "a Spanish tender calls for a UTE"
            );
            for member in &consortium.members {
                assert_eq!(
                    member.region, "FR-32",
                    "the Gers adviser sees no firm outside the territory unless public"
                );
                assert!(!member.reason_fr.is_empty() && !member.reason_es.is_empty());
            }
        }
        if proposed > 0 && !answer.consortia.is_empty() {
            let anchored = w
                .gers
                .brokerage
                .propose_consortia(pb::ProposeConsortiaRequest {
                    opportunity_id: tender.id.clone(),
                    anchor_company_id: answer.consortia[0].members[1].company_id.clone(),
                    as_of,
                    ..Default::default()
                })
                .await
                .expect("anchored proposals")
                .into_inner();
            let anchor = &answer.consortia[0].members[1].company_id;
            assert!(
                anchored
                    .consortia
                    .iter()
                    .all(|c| c.members.iter().any(|m| &m.company_id == anchor)),
                "every proposal holds the anchor"
            );
        }
    }
    assert!(proposed > 0, "some demo tender gets a joint bid");
    let tender = tenders[0].id.clone();
    let ask = |limit: i32| pb::ProposeConsortiaRequest {
        opportunity_id: tender.clone(),
        limit,
        ..Default::default()
    };
    assert_eq!(
        code(w.firm_gers.brokerage.propose_consortia(ask(0)).await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(w.agency.brokerage.propose_consortia(ask(0)).await),
        Code::PermissionDenied
    );
    let too_many = w
        .gers
        .brokerage
        .propose_consortia(ask(21))
        .await
        .expect_err("at most 20");
    assert!(too_many.message().contains("limit"), "{too_many:?}");
    let not_tender = w
        .gers
        .brokerage
        .propose_consortia(pb::ProposeConsortiaRequest {
            opportunity_id: w.listings[0].id.clone(),
            ..Default::default()
        })
        .await;
    assert_eq!(code(not_tender), Code::FailedPrecondition);
    let foreign_anchor = w
        .gers
        .brokerage
        .propose_consortia(pb::ProposeConsortiaRequest {
            opportunity_id: tender.clone(),
            anchor_company_id: w.zaragoza_firm.id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("the anchor is the adviser's firm");
    assert!(foreign_anchor.message().contains("anchor_company_id"));
}
