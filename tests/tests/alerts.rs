//! Alert inboxes over real gRPC: an adviser's unread alerts are the territory's, a
//! firm's its own; a new matching listing arrives unread; read marks, "mark all" and the
//! threshold persist across a restart of the whole stack; bad requests name the field.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use pyred_e2e::spawn_stack;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::matchmaking_client::MatchmakingClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;
use pyred_runtime::error::violations_of;

async fn inbox(
    matchmaking: &mut MatchmakingClient<ServiceChannel>,
    request: pb::ListAlertsRequest,
) -> pb::ListAlertsResponse {
    matchmaking
        .list_alerts(request)
        .await
        .expect("the inbox answers")
        .into_inner()
}

fn unread(response: &pb::ListAlertsResponse) -> i64 {
    response
        .inbox
        .as_ref()
        .map_or(-1, |inbox| inbox.unread_count)
}

/// Waits until the follower has scored the demo set: two equal unread counts 1 s apart.
async fn settled(matchmaking: &mut MatchmakingClient<ServiceChannel>) -> pb::ListAlertsResponse {
    let mut last = inbox(matchmaking, pb::ListAlertsRequest::default()).await;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let next = inbox(matchmaking, pb::ListAlertsRequest::default()).await;
        if unread(&next) == unread(&last) && unread(&next) > 0 {
            return next;
        }
        last = next;
    }
    panic!("the demo's alerts never settled: {:?}", last.inbox);
}

fn foie_gras_request() -> pb::Opportunity {
    pb::Opportunity {
        external_id: "arex-inbox-1".to_owned(),
        kind: pb::OpportunityKind::BusinessRequest as i32,
        title: "Distribuidor gourmet busca proveedor de foie gras y magret de pato".to_owned(),
        description: "Tiendas delicatessen de Zaragoza buscan un fabricante francés de foie \
                      gras entero, bloc de foie gras, confit y magret de pato."
            .to_owned(),
        language: pb::Language::Es as i32,
        location: Some(pb::Location {
            place_code: "50297".to_owned(),
            ..Default::default()
        }),
        region: "ES-AR".to_owned(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inboxes_are_scoped_marked_read_and_survive_a_restart() {
    let test = spawn_stack().await;
    pyred::import::load_demo(
        &test.connector().with_timeout(Duration::from_secs(30)),
        &test.stack.addresses.registry,
    )
    .await
    .expect("demo loads");
    let key = |role: pb::Role| pb::CreateKeyRequest {
        name: format!("{role:?} inbox"),
        role: role as i32,
        ..Default::default()
    };
    let gers = test
        .issue_key(pb::CreateKeyRequest {
            territory: vec!["FR-32".into()],
            ..key(pb::Role::Adviser)
        })
        .await;
    let aragon = test
        .issue_key(pb::CreateKeyRequest {
            territory: vec!["ES-AR".into()],
            ..key(pb::Role::Adviser)
        })
        .await;
    let firm = test
        .issue_key(pb::CreateKeyRequest {
            company_id: "demo-gers-01".into(),
            ..key(pb::Role::Firm)
        })
        .await;
    let client = |key: &pyred_runtime::Secret| {
        MatchmakingClient::new(test.channel_with_key(&test.stack.addresses.matchmaking, key))
    };
    let mut adviser = client(&gers);

    // The Gers adviser's inbox: the demo's Gers firms, all unread, newest first.
    let first = settled(&mut adviser).await;
    let before = unread(&first);
    assert!(!first.alerts.is_empty());
    assert!(first.alerts.windows(2).all(|w| w[0].seq > w[1].seq));
    for alert in &first.alerts {
        let found = alert.r#match.as_ref().expect("the alert carries its lead");
        assert!(found.company_id.starts_with("demo-gers-"), "{found:?}");
        assert!(!alert.read);
        assert!(
            found.score >= 0.3,
            "below the default threshold: {}",
            found.score
        );
    }
    // Paging walks the whole inbox without repeats.
    let mut seen = std::collections::BTreeSet::new();
    let mut before_seq = 0;
    loop {
        let page = inbox(
            &mut adviser,
            pb::ListAlertsRequest {
                page_size: 7,
                before_seq,
                ..Default::default()
            },
        )
        .await;
        assert!(page.alerts.len() <= 7);
        for alert in &page.alerts {
            assert!(seen.insert(alert.seq), "alert {} listed twice", alert.seq);
        }
        if page.next_before_seq == 0 {
            break;
        }
        before_seq = page.next_before_seq;
    }
    assert_eq!(i64::try_from(seen.len()).unwrap(), before);

    // Another territory sees none of them; the firm only its own.
    let mut other = client(&aragon);
    let foreign = inbox(&mut other, pb::ListAlertsRequest::default()).await;
    assert_eq!(unread(&foreign), 0);
    assert!(foreign.alerts.is_empty());
    let mut own = client(&firm);
    let mine = inbox(&mut own, pb::ListAlertsRequest::default()).await;
    assert!(unread(&mine) > 0 && unread(&mine) < before);
    assert!(mine.alerts.iter().all(|alert| {
        alert.r#match.as_ref().map(|m| m.company_id.as_str()) == Some("demo-gers-01")
    }));

    // A new matching listing arrives unread, after the last seq the inbox reported.
    let last_seq = first.inbox.as_ref().unwrap().last_seq;
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    registry
        .sync_listings(pb::SyncListingsRequest {
            source: "arex".to_owned(),
            upserts: vec![foie_gras_request()],
            ..Default::default()
        })
        .await
        .expect("synced");
    let fresh = loop {
        let page = inbox(
            &mut adviser,
            pb::ListAlertsRequest {
                after_seq: last_seq,
                ..Default::default()
            },
        )
        .await;
        if let Some(alert) = page.alerts.iter().find(|alert| {
            alert.r#match.as_ref().is_some_and(|m| {
                m.company_id == "demo-gers-01" && m.opportunity_title.contains("foie gras")
            })
        }) {
            assert!(page.alerts.iter().all(|alert| alert.seq > last_seq));
            break alert.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!fresh.read);
    let with_fresh = unread(&inbox(&mut adviser, pb::ListAlertsRequest::default()).await);
    assert!(with_fresh > before);

    // Marked read: one less unread, listed as read, out of the unread-only list.
    let marked = adviser
        .mark_alerts_read(pb::MarkAlertsReadRequest {
            seqs: vec![fresh.seq],
            through_seq: 0,
        })
        .await
        .expect("marked")
        .into_inner();
    assert_eq!(marked.unread_count, with_fresh - 1);
    let listed = inbox(&mut adviser, pb::ListAlertsRequest::default()).await;
    let again = listed.alerts.iter().find(|a| a.seq == fresh.seq).unwrap();
    assert!(again.read);
    let unread_only = inbox(
        &mut adviser,
        pb::ListAlertsRequest {
            unread_only: true,
            page_size: 100,
            ..Default::default()
        },
    )
    .await;
    assert!(
        unread_only
            .alerts
            .iter()
            .all(|a| !a.read && a.seq != fresh.seq)
    );
    // The firm's inbox is its own: the adviser's mark did not read it there.
    let firm_view = inbox(&mut own, pb::ListAlertsRequest::default()).await;
    assert!(
        firm_view
            .alerts
            .iter()
            .any(|a| a.seq == fresh.seq && !a.read)
    );

    // A threshold above every score empties the unread count; it is kept.
    let strict = adviser
        .update_alert_inbox(pb::UpdateAlertInboxRequest { min_score: 0.999 })
        .await
        .expect("threshold set")
        .into_inner();
    assert_eq!(strict.unread_count, 0);
    assert!((strict.min_score - 0.999).abs() < 1e-12);

    // Bad requests name their field; an agency has no inbox.
    let refused = |status: tonic::Status| {
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        violations_of(&status)
            .into_iter()
            .map(|(field, _)| field)
            .collect::<Vec<_>>()
    };
    let status = adviser
        .list_alerts(pb::ListAlertsRequest {
            page_size: 101,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused(status), ["page_size"]);
    let status = adviser
        .mark_alerts_read(pb::MarkAlertsReadRequest {
            seqs: vec![fresh.seq, 0],
            through_seq: i64::MAX,
        })
        .await
        .unwrap_err();
    assert_eq!(refused(status), ["seqs[1]", "through_seq"]);
    let status = adviser
        .update_alert_inbox(pb::UpdateAlertInboxRequest { min_score: 1.5 })
        .await
        .unwrap_err();
    assert_eq!(refused(status), ["min_score"]);
    let agency = test
        .issue_key(pb::CreateKeyRequest {
            source: "arex".into(),
            ..key(pb::Role::Agency)
        })
        .await;
    let status = client(&agency)
        .list_alerts(pb::ListAlertsRequest::default())
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);

    // After a restart of everything: the threshold, the read mark and the firm's
    // unread alerts are as they were.
    let test = test.restart().await;
    let mut adviser =
        MatchmakingClient::new(test.channel_with_key(&test.stack.addresses.matchmaking, &gers));
    let kept = inbox(&mut adviser, pb::ListAlertsRequest::default()).await;
    assert!((kept.inbox.as_ref().unwrap().min_score - 0.999).abs() < 1e-12);
    assert_eq!(unread(&kept), 0);
    adviser
        .update_alert_inbox(pb::UpdateAlertInboxRequest { min_score: 0.3 })
        .await
        .expect("threshold back");
    let back = inbox(&mut adviser, pb::ListAlertsRequest::default()).await;
    assert_eq!(unread(&back), with_fresh - 1);
    assert!(back.alerts.iter().any(|a| a.seq == fresh.seq && a.read));

    // Mark all read through the newest: nothing unread.
    let newest = back.inbox.as_ref().unwrap().last_seq;
    let all = adviser
        .mark_alerts_read(pb::MarkAlertsReadRequest {
            seqs: vec![],
            through_seq: newest,
        })
        .await
        .expect("all marked")
        .into_inner();
    assert_eq!(all.unread_count, 0);
    assert!(
        inbox(&mut adviser, pb::ListAlertsRequest::default())
            .await
            .alerts
            .iter()
            .all(|a| a.read)
    );
    test.stack.stop().await.expect("clean stop");
}
