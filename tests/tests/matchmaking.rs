//! Matchmaking's workflow calls over real gRPC: field violations and missing matches.

use pyred_e2e::spawn_stack;
use pyred_proto::v1::matchmaking_client::MatchmakingClient;
use pyred_proto::v1::{self as pb};

#[tokio::test]
async fn workflow_calls_validate_and_name_their_fields() {
    let test = spawn_stack().await;
    let mut matchmaking = MatchmakingClient::new(test.channel(&test.stack.addresses.matchmaking));
    let status = matchmaking
        .update_match_status(pb::UpdateMatchStatusRequest {
            id: String::new(),
            status: pb::MatchStatus::Dismissed as i32,
            dismiss_reason: "  ".to_owned(),
            expected_version: 0,
        })
        .await
        .expect_err("no id, no reason");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let mut fields: Vec<String> = pyred_runtime::error::violations_of(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    fields.sort();
    assert_eq!(fields, ["dismiss_reason", "id"]);

    let status = matchmaking
        .update_match_status(pb::UpdateMatchStatusRequest {
            id: "gers-1~arex-1".to_owned(),
            status: pb::MatchStatus::Shortlisted as i32,
            ..Default::default()
        })
        .await
        .expect_err("no such match");
    assert_eq!(status.code(), tonic::Code::NotFound);

    let status = matchmaking
        .add_match_note(pb::AddMatchNoteRequest {
            id: "gers-1~arex-1".to_owned(),
            text: String::new(),
        })
        .await
        .expect_err("empty note");
    assert_eq!(pyred_runtime::error::violations_of(&status)[0].0, "text");
    let status = matchmaking
        .watch_alerts(pb::WatchAlertsRequest {
            min_score: 2.0,
            ..Default::default()
        })
        .await
        .expect_err("score above 1");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    test.stack.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firm_gets_scored_explained_leads_and_a_dismissed_one_stays_away() {
    let test = demo_stack().await;
    let mut matchmaking = MatchmakingClient::new(test.channel(&test.stack.addresses.matchmaking));
    let leads = |company: &str| pb::ListCompanyMatchesRequest {
        company_id: company.to_owned(),
        as_of: Some(demo_day()),
        ..Default::default()
    };
    let first = matchmaking
        .list_company_matches(leads("demo-gers-01"))
        .await
        .expect("leads")
        .into_inner()
        .matches;
    assert!(
        !first.is_empty(),
        "the foie gras firm has leads in the demo"
    );
    assert!(first.len() <= 10, "the default page is the ten best");
    assert!(first.iter().all(|m| (0.0..=1.0).contains(&m.score)));
    assert!(
        first.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );
    let top = &first[0];
    assert_eq!(top.status, pb::MatchStatus::Proposed as i32);
    assert!(!top.reasons.is_empty(), "every lead is explained");
    assert!(
        top.reasons
            .iter()
            .all(|r| !r.text_fr.is_empty() && !r.text_es.is_empty())
    );
    assert!(!top.opportunity_title.is_empty());

    // The feed follower may re-score the lead between our read and our write (optimistic
    // concurrency): as a client should, read it again and retry on FailedPrecondition.
    let mut version = top.version;
    for attempt in 0..5 {
        let result = matchmaking
            .update_match_status(pb::UpdateMatchStatusRequest {
                id: top.id.clone(),
                status: pb::MatchStatus::Dismissed as i32,
                dismiss_reason: "déjà client".to_owned(),
                expected_version: version,
            })
            .await;
        match result {
            Ok(_) => break,
            Err(status) if status.code() == tonic::Code::FailedPrecondition && attempt < 4 => {
                version = matchmaking
                    .get_match(pb::GetMatchRequest { id: top.id.clone() })
                    .await
                    .expect("the lead reads again")
                    .into_inner()
                    .version;
            }
            Err(status) => panic!("dismissed: {status:?}"),
        }
    }
    let again = matchmaking
        .list_company_matches(leads("demo-gers-01"))
        .await
        .expect("leads")
        .into_inner()
        .matches;
    assert!(
        again.iter().all(|m| m.opportunity_id != top.opportunity_id),
        "a dismissed lead is never proposed again"
    );
    let dismissed = matchmaking
        .get_match(pb::GetMatchRequest { id: top.id.clone() })
        .await
        .expect("kept")
        .into_inner();
    assert_eq!(dismissed.dismiss_reason, "déjà client");
    let judgments = matchmaking
        .export_judgments(pb::ExportJudgmentsRequest {})
        .await
        .expect("export")
        .into_inner();
    assert_eq!(judgments.count, 1);
    assert_eq!(
        judgments.tsv,
        format!(
            "company_id\topportunity_id\tgrade\ndemo-gers-01\t{}\t0\n",
            top.opportunity_id
        ),
        "a dismissal is a grade-0 judgment"
    );

    let firms = matchmaking
        .list_opportunity_matches(pb::ListOpportunityMatchesRequest {
            opportunity_id: again[0].opportunity_id.clone(),
            ..Default::default()
        })
        .await
        .expect("firms for a listing")
        .into_inner()
        .matches;
    assert!(firms.iter().any(|m| m.company_id == "demo-gers-01"));
    test.stack.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newly_synced_matching_listing_raises_an_alert_within_two_seconds() {
    use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
    use std::time::Duration;
    use tokio_stream::StreamExt as _;

    let test = spawn_stack().await;
    pyred::import::load_demo(
        &test.connector().with_timeout(Duration::from_secs(30)),
        &test.stack.addresses.registry,
    )
    .await
    .expect("demo loads");
    let mut matchmaking = MatchmakingClient::new(test.channel(&test.stack.addresses.matchmaking));
    let mut alerts = matchmaking
        .watch_alerts(pb::WatchAlertsRequest {
            company_ids: vec!["demo-gers-01".to_owned()],
            min_score: 0.0,
            since_seq: 0,
        })
        .await
        .expect("alerts open")
        .into_inner();
    // Let the follower finish with the demo set: wait for a second of quiet.
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_secs(1), alerts.next()).await {}

    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    registry
        .sync_listings(pb::SyncListingsRequest {
            source: "arex".to_owned(),
            upserts: vec![pb::Opportunity {
                external_id: "arex-alert-1".to_owned(),
                kind: pb::OpportunityKind::BusinessRequest as i32,
                title: "Distribuidor gourmet busca proveedor de foie gras y magret de pato"
                    .to_owned(),
                description: "Tiendas delicatessen de Zaragoza buscan un fabricante francés de \
                              foie gras entero, bloc de foie gras, confit y magret de pato."
                    .to_owned(),
                language: pb::Language::Es as i32,
                location: Some(pb::Location {
                    place_code: "50297".to_owned(),
                    ..Default::default()
                }),
                region: "ES-AR".to_owned(),
                ..Default::default()
            }],
            withdrawals: vec![],
            ..Default::default()
        })
        .await
        .expect("synced");
    let acknowledged = tokio::time::Instant::now();
    let alert = loop {
        let remaining = Duration::from_secs(2).saturating_sub(acknowledged.elapsed());
        let next = tokio::time::timeout(remaining, alerts.next())
            .await
            .expect("the alert arrives within 2 s of the sync")
            .expect("stream open")
            .expect("no error");
        if next.opportunity_id == "arex-alert-1" {
            break next;
        }
    };
    assert_eq!(alert.company_id, "demo-gers-01");
    assert!(alert.alert_seq > 0);
    assert!(!alert.reasons.is_empty());
    drop(alerts);
    test.stack.stop().await.expect("clean stop");
}

/// A stack with the demo data loaded.
async fn demo_stack() -> pyred_e2e::TestStack {
    let test = spawn_stack().await;
    pyred::import::load_demo(
        &test
            .connector()
            .with_timeout(std::time::Duration::from_secs(30)),
        &test.stack.addresses.registry,
    )
    .await
    .expect("demo loads");
    test
}

/// The day the demo's leads are scored on in these tests.
fn demo_day() -> pb::Date {
    pb::Date {
        year: 2026,
        month: 12,
        day: 1,
    }
}

fn point_of(location: Option<&pb::Location>) -> Option<pyred_travel::Point> {
    let (lat, lon) = location?.point()?;
    pyred_travel::Point::new(lat, lon).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_carry_their_road_trip_and_a_radius_in_hours_keeps_only_those_within_it() {
    use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
    let test = demo_stack().await;
    let mut matchmaking = MatchmakingClient::new(test.channel(&test.stack.addresses.matchmaking));
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let leads = |company: &str| pb::ListCompanyMatchesRequest {
        company_id: company.to_owned(),
        as_of: Some(demo_day()),
        page: Some(pb::PageRequest {
            page_size: 50,
            ..Default::default()
        }),
        ..Default::default()
    };
    let firm = "demo-gers-01";
    let before = matchmaking
        .list_company_matches(leads(firm))
        .await
        .expect("leads")
        .into_inner()
        .matches;
    assert!(before.len() >= 3, "{} leads", before.len());
    let company = registry
        .get_company(pb::GetCompanyRequest {
            id: firm.to_owned(),
            ..Default::default()
        })
        .await
        .expect("the firm")
        .into_inner();
    let from = point_of(company.location.as_ref()).expect("the demo firm has a position");
    let day = pyred_travel::Day::new(2026, 12, 1).expect("day");
    let model = pyred_travel::TravelModel::bundled();
    let mut minutes = Vec::new();
    for lead in &before {
        let listing = registry
            .get_opportunity(pb::GetOpportunityRequest {
                id: lead.opportunity_id.clone(),
            })
            .await
            .expect("the listing")
            .into_inner();
        let Some(to) = point_of(listing.location.as_ref()) else {
            assert!(lead.travel.is_none(), "no position, no trip");
            continue;
        };
        let route = model.route(from, to, day).expect("route");
        let travel = lead.travel.as_ref().expect("both places known: a trip");
        assert!(
            (travel.minutes - route.minutes).abs() <= 0.05 + 1e-9,
            "{} min stored, {} min by the model",
            travel.minutes,
            route.minutes
        );
        assert!((travel.km - route.km).abs() <= 0.05 + 1e-9);
        assert_eq!(
            travel.crossing,
            route
                .crossing
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default()
        );
        let reason = lead
            .reasons
            .iter()
            .find(|r| r.feature == "distance")
            .expect("a distance reason");
        assert!(
            reason
                .text_fr
                .contains(&pyred_matching::explain::duration_text(route.minutes)),
            "{}",
            reason.text_fr
        );
        minutes.push((lead.opportunity_id.clone(), travel.minutes));
    }
    minutes.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert!(
        minutes.len() >= 2 && minutes[0].1 + 5.0 < minutes[minutes.len() - 1].1,
        "{minutes:?}"
    );
    // A radius between the nearest and the farthest lead's driving time.
    let hours = (minutes[0].1 + minutes[minutes.len() - 1].1) / 2.0 / 60.0;
    let mut limited = company.clone();
    limited.service_radius_hours = Some(hours);
    registry
        .update_company(pb::UpdateCompanyRequest {
            company: Some(limited),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["service_radius_hours".to_owned()],
            }),
            expected_version: company.version,
        })
        .await
        .expect("radius in hours set");
    let beyond: Vec<&String> = minutes
        .iter()
        .filter(|(_, m)| *m > hours * 60.0)
        .map(|(id, _)| id)
        .collect();
    assert!(!beyond.is_empty());
    // The follower re-scores the firm on its change; a read re-scores too.
    let after = pyred_e2e::wait_until(
        "the leads beyond the radius to be withdrawn",
        std::time::Duration::from_secs(30),
        || {
            let mut matchmaking = matchmaking.clone();
            let beyond = &beyond;
            async move {
                let after = matchmaking
                    .list_company_matches(leads(firm))
                    .await
                    .expect("leads")
                    .into_inner()
                    .matches;
                after
                    .iter()
                    .all(|m| !beyond.contains(&&m.opportunity_id))
                    .then_some(after)
            }
        },
    )
    .await;
    assert!(!after.is_empty(), "the nearer leads stay");
    for lead in &after {
        assert!(
            !beyond.contains(&&lead.opportunity_id),
            "{} is beyond {hours:.2} h and still proposed",
            lead.opportunity_id
        );
        if let Some(travel) = &lead.travel {
            assert!(travel.minutes <= hours * 60.0 + 0.05);
        }
    }
    test.stack.stop().await.expect("clean stop");
}
