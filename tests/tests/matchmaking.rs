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
