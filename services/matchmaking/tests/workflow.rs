//! Matchmaking's storage and workflow suite, run on SQLite and (when
//! `PYRED_TEST_DATABASE_URL` is set) on a fresh PostgreSQL database.

use pyred_matchmaking::error::MatchError;
use pyred_matchmaking::store::{ScoredPair, Status, Store, match_id};
use pyred_proto::v1::{self as pb};
use pyred_runtime::Secret;

/// A store on the database at `url` (SQLite or PostgreSQL).
async fn open_store(url: Secret) -> Store {
    Store::open(&url).await.expect("open the store")
}

pyred_runtime::storage_suite! {
    open = open_store -> store;
    new_pairs_are_proposed_once_and_alerted_once,
    the_workflow_moves_forward_and_keeps_its_history,
    a_dismissed_lead_is_never_proposed_again,
    lists_are_best_first_and_filtered_by_status,
    outcomes_export_as_judgments,
    inboxes_keep_thresholds_and_read_marks_per_key,
}

fn pair(company: &str, opportunity: &str, score: f64) -> ScoredPair {
    ScoredPair {
        company_id: company.to_owned(),
        opportunity_id: opportunity.to_owned(),
        score,
        explanation: pb::Match {
            reasons: vec![pb::MatchReason {
                feature: "concepts".to_owned(),
                contribution: score,
                text_fr: "Besoin : mecanizado (usinage)".to_owned(),
                text_es: "Necesidad: mecanizado".to_owned(),
            }],
            distance_km: Some(233.0),
            opportunity_title: format!("Listing {opportunity}"),
            company_name: format!("Firm {company}"),
            ..Default::default()
        },
    }
}

async fn new_pairs_are_proposed_once_and_alerted_once(store: Store) {
    let proposed = store
        .record_scores(&[pair("gers-1", "arex-1", 0.8), pair("gers-1", "arex-2", 0.5)])
        .await
        .expect("recorded");
    assert_eq!(proposed.len(), 2);
    assert_eq!(store.last_alert_seq().await.expect("seq"), 2);
    let again = store
        .record_scores(&[pair("gers-1", "arex-1", 0.8), pair("gers-1", "arex-2", 0.6)])
        .await
        .expect("re-scored");
    assert!(again.is_empty(), "known pairs are not proposed again");
    assert_eq!(
        store.last_alert_seq().await.expect("seq"),
        2,
        "no new alert"
    );
    let rescored = store
        .get(&match_id("gers-1", "arex-2"))
        .await
        .expect("get")
        .expect("exists");
    assert!((rescored.score - 0.6).abs() < 1e-9);
    assert_eq!(rescored.version, 2);
    assert_eq!(rescored.reasons[0].text_fr, "Besoin : mecanizado (usinage)");
    let alerts = store.alerts_after(1, 10).await.expect("alerts");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].match_id, match_id("gers-1", "arex-2"));
}

async fn the_workflow_moves_forward_and_keeps_its_history(store: Store) {
    store
        .record_scores(&[pair("gers-2", "ader-1", 0.7)])
        .await
        .expect("recorded");
    let id = match_id("gers-2", "ader-1");
    for (next, actor) in [
        (Status::Shortlisted, "adviser-anne"),
        (Status::Contacted, "adviser-anne"),
        (Status::Meeting, "adviser-luis"),
        (Status::Won, "adviser-luis"),
    ] {
        let moved = store
            .change_status(&id, next, "", actor, 0)
            .await
            .expect("allowed move");
        assert_eq!(moved.status, next.to_pb() as i32);
    }
    let refused = store
        .change_status(&id, Status::Contacted, "", "adviser-anne", 0)
        .await
        .expect_err("won is final");
    assert!(matches!(refused, MatchError::InvalidTransition { .. }));
    assert_eq!(
        tonic::Status::from(refused).code(),
        tonic::Code::FailedPrecondition
    );
    let stale = store
        .change_status(&id, Status::Lost, "", "adviser-anne", 1)
        .await
        .expect_err("stale version");
    assert!(matches!(stale, MatchError::VersionConflict { .. }));
    let history = store.history(&id).await.expect("history");
    let moves: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|(_, who, from, to, _)| (who.as_str(), from.as_str(), to.as_str()))
        .collect();
    assert_eq!(
        moves,
        [
            ("adviser-anne", "proposed", "shortlisted"),
            ("adviser-anne", "shortlisted", "contacted"),
            ("adviser-luis", "contacted", "meeting"),
            ("adviser-luis", "meeting", "won"),
        ]
    );
    let noted = store
        .add_note(&id, "adviser-luis", "Commande de 3 000 pièces")
        .await
        .expect("note");
    assert_eq!(noted.notes.len(), 1);
    assert_eq!(noted.notes[0].author, "adviser-luis");
    let missing = store
        .add_note("nobody~nothing", "x", "y")
        .await
        .expect_err("no such match");
    assert!(matches!(missing, MatchError::NotFound { .. }));
}

async fn a_dismissed_lead_is_never_proposed_again(store: Store) {
    store
        .record_scores(&[pair("gers-3", "arex-9", 0.4)])
        .await
        .expect("recorded");
    let id = match_id("gers-3", "arex-9");
    let dismissed = store
        .change_status(
            &id,
            Status::Dismissed,
            "concurrent, pas client",
            "adviser-anne",
            0,
        )
        .await
        .expect("dismissed");
    assert_eq!(dismissed.dismiss_reason, "concurrent, pas client");
    let before = store.last_alert_seq().await.expect("seq");
    let proposed = store
        .record_scores(&[pair("gers-3", "arex-9", 0.95)])
        .await
        .expect("re-scored");
    assert!(proposed.is_empty());
    assert_eq!(store.last_alert_seq().await.expect("seq"), before);
    let kept = store.get(&id).await.expect("get").expect("kept");
    assert_eq!(kept.status, pb::MatchStatus::Dismissed as i32);
    assert!(
        (kept.score - 0.4).abs() < 1e-9,
        "a dismissed match is not re-scored"
    );
    let open = [
        Status::Proposed,
        Status::Shortlisted,
        Status::Contacted,
        Status::Meeting,
    ];
    let (listed, _) = store
        .list(Some("gers-3"), None, &open, 0, 10)
        .await
        .expect("list");
    assert!(listed.is_empty(), "not proposed again");
    assert_eq!(
        store
            .drop_proposed(Some("gers-3"), None)
            .await
            .expect("drop"),
        0,
        "worked matches are history"
    );
}

async fn lists_are_best_first_and_filtered_by_status(store: Store) {
    let pairs: Vec<ScoredPair> = (0..7)
        .map(|i| pair("gers-4", &format!("arex-{i}"), 0.1 * f64::from(i)))
        .collect();
    store.record_scores(&pairs).await.expect("recorded");
    store
        .change_status(
            &match_id("gers-4", "arex-6"),
            Status::Shortlisted,
            "",
            "a",
            0,
        )
        .await
        .expect("shortlisted");
    let (first, more) = store
        .list(Some("gers-4"), None, &[Status::Proposed], 0, 3)
        .await
        .expect("page");
    let ids: Vec<&str> = first.iter().map(|m| m.opportunity_id.as_str()).collect();
    assert_eq!(ids, ["arex-5", "arex-4", "arex-3"]);
    assert!(more);
    let (rest, more) = store
        .list(Some("gers-4"), None, &[Status::Proposed], 3, 10)
        .await
        .expect("page");
    assert_eq!(rest.len(), 3);
    assert!(!more);
    let (by_listing, _) = store
        .list(None, Some("arex-6"), &[Status::Shortlisted], 0, 10)
        .await
        .expect("page");
    assert_eq!(by_listing.len(), 1);
    assert_eq!(
        store
            .drop_proposed(None, Some("arex-5"))
            .await
            .expect("drop"),
        1
    );
}

async fn outcomes_export_as_judgments(store: Store) {
    store
        .record_scores(&[
            pair("gers-5", "a", 0.9),
            pair("gers-5", "b", 0.8),
            pair("gers-5", "c", 0.7),
        ])
        .await
        .expect("recorded");
    store
        .change_status(&match_id("gers-5", "a"), Status::Contacted, "", "x", 0)
        .await
        .expect("ok");
    store
        .change_status(&match_id("gers-5", "a"), Status::Won, "", "x", 0)
        .await
        .expect("ok");
    store
        .change_status(
            &match_id("gers-5", "b"),
            Status::Dismissed,
            "hors sujet",
            "x",
            0,
        )
        .await
        .expect("ok");
    let tsv = store.judgments_tsv().await.expect("export");
    assert_eq!(
        tsv,
        "company_id\topportunity_id\tgrade\ngers-5\ta\t3\ngers-5\tb\t0\n"
    );
}

#[allow(clippy::unwrap_used)]
async fn inboxes_keep_thresholds_and_read_marks_per_key(store: Store) {
    use pyred_matchmaking::inbox::{DEFAULT_MIN_SCORE, InboxScan};
    let scan = |min_score: f64| InboxScan {
        before_seq: 0,
        after_seq: 0,
        min_score,
        company_id: None,
        limit: 100,
    };
    assert!(store.inbox_alerts(scan(0.0)).await.unwrap().is_empty());
    store
        .record_scores(&[
            pair("c1", "o1", 0.9),
            pair("c1", "o2", 0.2),
            pair("c2", "o1", 0.5),
        ])
        .await
        .unwrap();
    // Newest first, threshold applied in the query, firm filter too.
    let rows = store.inbox_alerts(scan(0.3)).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), [3, 1]);
    assert!(rows.iter().all(|r| r.proposed));
    let own = store
        .inbox_alerts(InboxScan {
            company_id: Some("c2"),
            ..scan(0.0)
        })
        .await
        .unwrap();
    assert_eq!(own.iter().map(|r| r.seq).collect::<Vec<_>>(), [3]);
    let page = store
        .inbox_alerts(InboxScan {
            before_seq: 3,
            after_seq: 1,
            ..scan(0.0)
        })
        .await
        .unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), [2]);

    // Defaults, then a threshold that is kept; another key is untouched.
    let fresh = store.inbox_state("key-a").await.unwrap();
    assert!((fresh.min_score - DEFAULT_MIN_SCORE).abs() < 1e-12);
    assert_eq!(fresh.read_through_seq, 0);
    store.set_inbox_min_score("key-a", 0.75).await.unwrap();
    assert!((store.inbox_state("key-a").await.unwrap().min_score - 0.75).abs() < 1e-12);
    assert!(
        (store.inbox_state("key-b").await.unwrap().min_score - DEFAULT_MIN_SCORE).abs() < 1e-12
    );

    // Read one by one, then through a seq: marks below it are folded into it, and the
    // threshold survives the upsert; read-through never goes back.
    store.mark_alerts_read("key-a", &[2, 3], 0).await.unwrap();
    store.mark_alerts_read("key-a", &[3], 0).await.unwrap();
    assert_eq!(
        store.alerts_read_above("key-a", 0).await.unwrap(),
        [2, 3].into_iter().collect()
    );
    assert!(
        store
            .alerts_read_above("key-b", 0)
            .await
            .unwrap()
            .is_empty()
    );
    store.mark_alerts_read("key-a", &[], 2).await.unwrap();
    let state = store.inbox_state("key-a").await.unwrap();
    assert_eq!(state.read_through_seq, 2);
    assert!((state.min_score - 0.75).abs() < 1e-12);
    assert_eq!(
        store.alerts_read_above("key-a", 0).await.unwrap(),
        [3].into_iter().collect()
    );
    store.mark_alerts_read("key-a", &[], 1).await.unwrap();
    assert_eq!(
        store.inbox_state("key-a").await.unwrap().read_through_seq,
        2
    );

    // A lead worked on is no longer "proposed"; a dismissed one leaves the inbox.
    store
        .change_status(&match_id("c1", "o1"), Status::Shortlisted, "", "adviser", 0)
        .await
        .unwrap();
    store
        .change_status(
            &match_id("c2", "o1"),
            Status::Dismissed,
            "not ours",
            "adviser",
            0,
        )
        .await
        .unwrap();
    let rows = store.inbox_alerts(scan(0.0)).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| (r.seq, r.proposed)).collect::<Vec<_>>(),
        [(2, true), (1, false)]
    );
}
