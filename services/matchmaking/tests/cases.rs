//! Brokerage's storage suite (cases, consents, timelines, expiry, withdrawal, the lead
//! that follows), run on SQLite and (when `PYRED_TEST_DATABASE_URL` is set) on a fresh
//! PostgreSQL database.

use pyred_matchmaking::brokerage::BrokerError;
use pyred_matchmaking::brokerage::case::{Answer, CaseStatus, EventKind};
use pyred_matchmaking::brokerage::store::{
    CaseChange, CaseFilter, CaseStore, ConsentWrite, NewCase, NewEvent,
};
use pyred_matchmaking::store::{ScoredPair, Store, match_id};
use pyred_proto::v1::{self as pb};
use pyred_runtime::Secret;

/// A store on the database at `url` (SQLite or PostgreSQL).
async fn open_store(url: Secret) -> Store {
    Store::open(&url).await.expect("open the store")
}

pyred_runtime::storage_suite! {
    open = open_store -> store;
    a_case_runs_from_lead_to_introduction_and_moves_the_lead,
    a_stale_version_changes_nothing,
    overdue_consents_expire_and_only_those,
    an_erased_firm_withdraws_its_consents_before_the_introduction,
    lists_filter_by_organisation_side_status_and_firm,
}

const DAY: i64 = 86_400_000_000;

async fn lead(store: &Store, company: &str, opportunity: &str) -> String {
    store
        .record_scores(&[ScoredPair {
            company_id: company.to_owned(),
            opportunity_id: opportunity.to_owned(),
            score: 0.7,
            explanation: pb::Match::default(),
        }])
        .await
        .expect("lead recorded");
    match_id(company, opportunity)
}

fn new_case(id: &str, match_id: &str, company_b: &str) -> NewCase {
    NewCase {
        id: id.to_owned(),
        opportunity_id: "arex-1".to_owned(),
        opportunity_title: "Mecanizado de piezas aeronáuticas".to_owned(),
        match_id: match_id.to_owned(),
        side_a: pb::CaseSide {
            organisation: "cci-gers".to_owned(),
            company_id: "gers-1".to_owned(),
            company_name: "Usinage d'Auch".to_owned(),
        },
        side_b: pb::CaseSide {
            organisation: "arex".to_owned(),
            company_id: company_b.to_owned(),
            company_name: if company_b.is_empty() {
                String::new()
            } else {
                "Talleres Ebro".to_owned()
            },
        },
        opened_by: "key-a".to_owned(),
        consortium_id: String::new(),
    }
}

fn by(actor: &str, organisation: &str, kind: EventKind, company: &str) -> NewEvent {
    NewEvent {
        actor: actor.to_owned(),
        actor_organisation: organisation.to_owned(),
        kind,
        company_id: company.to_owned(),
        text: String::new(),
    }
}

fn ask(company: &str, due_at: i64) -> ConsentWrite {
    ConsentWrite::Ask {
        company_id: company.to_owned(),
        asked_by: "key-a".to_owned(),
        due_at,
    }
}

/// Opens, accepts and asks both firms, due at `due_at`; answers the case.
async fn asked(cases: &CaseStore, id: &str, match_id: &str, now: i64, due_at: i64) -> pb::Case {
    let opened = cases
        .open(
            &new_case(id, match_id, ""),
            &[by("key-a", "cci-gers", EventKind::Opened, "")],
            now,
        )
        .await
        .expect("opened");
    let accepted = cases
        .apply(
            id,
            opened.version,
            &CaseChange {
                status: Some(CaseStatus::Accepted),
                company_b: Some(("es-1".to_owned(), "Talleres Ebro".to_owned())),
                events: vec![by("key-b", "arex", EventKind::Accepted, "")],
                lead_actor: "key-b".to_owned(),
                ..CaseChange::default()
            },
            now,
        )
        .await
        .expect("accepted");
    cases
        .apply(
            id,
            accepted.version,
            &CaseChange {
                status: Some(CaseStatus::ConsentsAsked),
                consents: vec![ask("gers-1", due_at), ask("es-1", due_at)],
                events: vec![by("key-a", "cci-gers", EventKind::ConsentsAsked, "")],
                lead_actor: "key-a".to_owned(),
                ..CaseChange::default()
            },
            now,
        )
        .await
        .expect("asked")
}

fn answer(company: &str, answer: Answer, via: &str) -> ConsentWrite {
    ConsentWrite::Answer {
        company_id: company.to_owned(),
        answer,
        by: format!("key-{company}"),
        via: via.to_owned(),
    }
}

async fn lead_status(store: &Store, id: &str) -> i32 {
    store.get(id).await.expect("read").expect("lead").status
}

async fn a_case_runs_from_lead_to_introduction_and_moves_the_lead(store: Store) {
    let cases = CaseStore::new(store.clone());
    let lead = lead(&store, "gers-1", "arex-1").await;
    let case = asked(&cases, "case_1", &lead, 1_000, 1_000 + 14 * DAY).await;
    assert_eq!(
        lead_status(&store, &lead).await,
        pb::MatchStatus::Shortlisted as i32,
        "opening a case shortlists its lead"
    );
    assert_eq!(case.status, pb::CaseStatus::ConsentsAsked as i32);
    assert_eq!(case.side_b.as_ref().expect("side b").company_id, "es-1");
    assert_eq!(case.consents.len(), 2);
    assert_eq!(
        case.consents[0].company_id, "gers-1",
        "side A's consent first"
    );
    assert!(
        case.consents
            .iter()
            .all(|c| c.answer == pb::ConsentAnswer::Pending as i32)
    );
    let one = cases
        .apply(
            "case_1",
            case.version,
            &CaseChange {
                consents: vec![answer("gers-1", Answer::Yes, "")],
                events: vec![by("key-gers-1", "", EventKind::ConsentYes, "gers-1")],
                ..CaseChange::default()
            },
            2_000,
        )
        .await
        .expect("first yes");
    assert_eq!(one.status, pb::CaseStatus::ConsentsAsked as i32);
    let again = cases
        .apply(
            "case_1",
            one.version,
            &CaseChange {
                consents: vec![answer("gers-1", Answer::No, "")],
                ..CaseChange::default()
            },
            2_500,
        )
        .await;
    assert!(
        matches!(again, Err(BrokerError::Precondition(_))),
        "an answered consent is not answered twice: {again:?}"
    );
    let both = cases
        .apply(
            "case_1",
            one.version,
            &CaseChange {
                status: Some(CaseStatus::Introduced),
                consents: vec![answer("es-1", Answer::Yes, "key-b")],
                events: vec![
                    by("key-b", "arex", EventKind::ConsentYes, "es-1"),
                    by("system", "", EventKind::Introduced, ""),
                ],
                lead_actor: "key-b".to_owned(),
                ..CaseChange::default()
            },
            3_000,
        )
        .await
        .expect("second yes");
    assert_eq!(both.status, pb::CaseStatus::Introduced as i32);
    let es = both
        .consents
        .iter()
        .find(|c| c.company_id == "es-1")
        .expect("es consent");
    assert_eq!(es.answered_via_adviser, "key-b");
    assert_eq!(es.answered_by, "key-es-1");
    let kinds: Vec<&str> = both.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "accepted",
            "consents_asked",
            "consent_yes",
            "consent_yes",
            "introduced"
        ]
    );
    let numbers: Vec<i64> = both.events.iter().map(|e| e.n).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
    assert_eq!(
        lead_status(&store, &lead).await,
        pb::MatchStatus::Contacted as i32,
        "an introduction marks the lead contacted"
    );
}

async fn a_stale_version_changes_nothing(store: Store) {
    let cases = CaseStore::new(store.clone());
    let opened = cases
        .open(&new_case("case_2", "", "es-1"), &[], 1_000)
        .await
        .expect("opened");
    let change = CaseChange {
        status: Some(CaseStatus::Declined),
        events: vec![by("key-b", "arex", EventKind::Declined, "")],
        ..CaseChange::default()
    };
    let stale = cases
        .apply("case_2", opened.version + 1, &change, 2_000)
        .await;
    assert!(matches!(stale, Err(BrokerError::VersionConflict { .. })));
    let unchanged = cases.get("case_2").await.expect("read").expect("case");
    assert_eq!(unchanged.status, pb::CaseStatus::Proposed as i32);
    assert_eq!(unchanged.version, opened.version);
    assert!(unchanged.events.is_empty());
    let missing = cases.apply("case_nope", 1, &change, 2_000).await;
    assert!(matches!(missing, Err(BrokerError::NotFound { .. })));
}

async fn overdue_consents_expire_and_only_those(store: Store) {
    let cases = CaseStore::new(store.clone());
    asked(&cases, "case_due", "", 1_000, 1_000 + DAY).await;
    asked(&cases, "case_later", "", 1_000, 1_000 + 10 * DAY).await;
    assert!(
        cases
            .expire_due(1_000 + DAY - 1, None)
            .await
            .expect("sweep")
            .is_empty(),
        "nothing is due a microsecond early"
    );
    let closed = cases.expire_due(1_000 + DAY, None).await.expect("sweep");
    assert_eq!(closed, ["case_due"]);
    let expired = cases.get("case_due").await.expect("read").expect("case");
    assert_eq!(expired.status, pb::CaseStatus::Expired as i32);
    assert!(
        expired
            .consents
            .iter()
            .all(|c| c.answer == pb::ConsentAnswer::Expired as i32 && c.answered_by == "system")
    );
    assert_eq!(
        expired
            .events
            .iter()
            .filter(|e| e.kind == "consent_expired")
            .count(),
        2
    );
    let later = cases.get("case_later").await.expect("read").expect("case");
    assert_eq!(later.status, pb::CaseStatus::ConsentsAsked as i32);
    assert!(
        cases
            .expire_due(1_000 + 2 * DAY, None)
            .await
            .expect("sweep again")
            .is_empty(),
        "an expired case is not closed twice"
    );
}

async fn an_erased_firm_withdraws_its_consents_before_the_introduction(store: Store) {
    let cases = CaseStore::new(store.clone());
    let pending = asked(&cases, "case_w", "", 1_000, 1_000 + 14 * DAY).await;
    cases
        .apply(
            "case_w",
            pending.version,
            &CaseChange {
                consents: vec![answer("es-1", Answer::Yes, "")],
                ..CaseChange::default()
            },
            2_000,
        )
        .await
        .expect("yes");
    let done = asked(&cases, "case_done", "", 1_000, 1_000 + 14 * DAY).await;
    cases
        .apply(
            "case_done",
            done.version,
            &CaseChange {
                status: Some(CaseStatus::Introduced),
                consents: vec![
                    answer("gers-1", Answer::Yes, ""),
                    answer("es-1", Answer::Yes, ""),
                ],
                ..CaseChange::default()
            },
            2_000,
        )
        .await
        .expect("introduced");
    let closed = cases
        .withdraw_consents("es-1", 3_000)
        .await
        .expect("withdraw");
    assert_eq!(closed, ["case_w"], "an introduced case keeps its consents");
    let refused = cases.get("case_w").await.expect("read").expect("case");
    assert_eq!(refused.status, pb::CaseStatus::Refused as i32);
    let es = refused
        .consents
        .iter()
        .find(|c| c.company_id == "es-1")
        .expect("consent");
    assert_eq!(es.answer, pb::ConsentAnswer::Withdrawn as i32);
    let gers = refused
        .consents
        .iter()
        .find(|c| c.company_id == "gers-1")
        .expect("consent");
    assert_eq!(
        gers.answer,
        pb::ConsentAnswer::Pending as i32,
        "only the erased firm's consent is withdrawn"
    );
    assert_eq!(
        refused.events.last().map(|e| e.kind.as_str()),
        Some("consent_withdrawn")
    );
    let kept = cases.get("case_done").await.expect("read").expect("case");
    assert_eq!(kept.status, pb::CaseStatus::Introduced as i32);
}

async fn lists_filter_by_organisation_side_status_and_firm(store: Store) {
    let cases = CaseStore::new(store.clone());
    cases
        .open(&new_case("case_x", "", ""), &[], 1_000)
        .await
        .expect("x");
    let mut other = new_case("case_y", "", "es-9");
    other.side_a.organisation = "arex".to_owned();
    other.side_a.company_id = "es-9".to_owned();
    other.side_b = pb::CaseSide {
        organisation: "ader".to_owned(),
        company_id: "rioja-1".to_owned(),
        company_name: "Bodegas".to_owned(),
    };
    cases.open(&other, &[], 2_000).await.expect("y");
    let ids = |found: Vec<pb::Case>| found.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let list = |filter: CaseFilter| {
        let cases = cases.clone();
        async move { cases.list(&filter, 0, 10).await.expect("list").0 }
    };
    let of = |organisation: &str, side_a: Option<bool>| CaseFilter {
        organisation: organisation.to_owned(),
        side_a,
        ..CaseFilter::default()
    };
    assert_eq!(
        ids(list(of("arex", None)).await),
        ["case_y", "case_x"],
        "newest first"
    );
    assert_eq!(ids(list(of("arex", Some(true))).await), ["case_y"]);
    assert_eq!(ids(list(of("arex", Some(false))).await), ["case_x"]);
    assert_eq!(ids(list(of("cci-gers", None)).await), ["case_x"]);
    assert!(list(of("ader", Some(true))).await.is_empty());
    assert_eq!(
        ids(list(CaseFilter {
            company_id: "rioja-1".to_owned(),
            ..CaseFilter::default()
        })
        .await),
        ["case_y"]
    );
    assert!(
        list(CaseFilter {
            statuses: vec![CaseStatus::Accepted],
            ..CaseFilter::default()
        })
        .await
        .is_empty()
    );
    let (page, more) = cases
        .list(&CaseFilter::default(), 0, 1)
        .await
        .expect("page");
    assert_eq!((page.len(), more), (1, true));
}
