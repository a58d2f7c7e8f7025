//! The registry over real gRPC: field violations on the wire, and the change feed
//! streamed live and resumed from a sequence number.

use std::time::Duration;

use pyred_e2e::{rioja_tender as listing, spawn_stack};
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};
use tokio_stream::StreamExt as _;

#[tokio::test]
async fn bad_listings_come_back_with_their_fields_and_good_ones_are_stored() {
    let test = spawn_stack().await;
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let mut bad = listing("ader-bad");
    bad.location = Some(pb::Location {
        place_code: "99999".to_owned(),
        ..Default::default()
    });
    let response = registry
        .sync_listings(pb::SyncListingsRequest {
            source: "ader".to_owned(),
            upserts: vec![listing("ader-1"), bad],
            withdrawals: vec![],
            ..Default::default()
        })
        .await
        .expect("sync answers")
        .into_inner();
    assert_eq!(response.results[0].outcome, pb::SyncOutcome::Created as i32);
    assert_eq!(
        response.results[1].outcome,
        pb::SyncOutcome::Rejected as i32
    );
    assert_eq!(
        response.results[1].violations[0].field,
        "upserts[1].location.place_code"
    );
    let stored = registry
        .get_opportunity(pb::GetOpportunityRequest {
            id: "ader-1".to_owned(),
        })
        .await
        .expect("stored")
        .into_inner();
    let location = stored.location.expect("location");
    assert_eq!(location.place_name, "Logroño", "filled from the gazetteer");
    assert!((location.lat_or_zero() - 42.4667).abs() < 0.01);

    let status = registry
        .create_company(pb::CreateCompanyRequest {
            company: Some(pb::Company {
                name: "Chais de Condom".to_owned(),
                country: "FR".to_owned(),
                region: "FR-32".to_owned(),
                ..Default::default()
            }),
        })
        .await
        .expect_err("incomplete company");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let fields: Vec<String> = pyred_runtime::error::violations_of(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert!(
        fields.contains(&"company.language".to_owned())
            && fields.contains(&"company.description".to_owned())
            && fields.contains(&"company.location".to_owned()),
        "{fields:?}"
    );
    test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn the_change_feed_streams_live_and_resumes_without_repeats() {
    let test = spawn_stack().await;
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let mut live = registry
        .watch_changes(pb::WatchChangesRequest {
            since_seq: 0,
            follow: true,
        })
        .await
        .expect("stream opens")
        .into_inner();
    registry
        .sync_listings(pb::SyncListingsRequest {
            source: "ader".to_owned(),
            upserts: vec![listing("ader-1"), listing("ader-2"), listing("ader-3")],
            withdrawals: vec!["ader-1".to_owned()],
            ..Default::default()
        })
        .await
        .expect("sync");
    let mut seqs = Vec::new();
    while seqs.len() < 4 {
        let change = tokio::time::timeout(Duration::from_secs(10), live.next())
            .await
            .expect("a change arrives while following")
            .expect("stream open")
            .expect("no error");
        seqs.push((change.seq, change.id));
    }
    assert_eq!(
        seqs,
        [
            (1, "ader-1".to_owned()),
            (2, "ader-2".to_owned()),
            (3, "ader-3".to_owned()),
            (4, "ader-1".to_owned())
        ]
    );

    let resumed: Vec<i64> = registry
        .watch_changes(pb::WatchChangesRequest {
            since_seq: 2,
            follow: false,
        })
        .await
        .expect("stream opens")
        .into_inner()
        .map(|change| change.expect("no error").seq)
        .collect()
        .await;
    assert_eq!(
        resumed,
        [3, 4],
        "a consumer resuming after 2 sees 3 and 4 once"
    );
    drop(live);
    test.stack.stop().await.expect("clean stop");
}
