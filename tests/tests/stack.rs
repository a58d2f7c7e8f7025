//! The three services together over real gRPC: health, reflection, errors, shutdown.

use pyred_e2e::spawn_stack;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::matchmaking_client::MatchmakingClient;
use pyred_proto::v1::{self as pb};
use tokio_stream::StreamExt as _;
use tonic_health::pb::health_check_response::ServingStatus;

#[tokio::test]
async fn every_service_reports_serving_for_itself_and_overall() {
    let test = spawn_stack().await;
    for (_, grpc_name, url) in test.stack.addresses.services() {
        let mut health = tonic_health::pb::health_client::HealthClient::new(test.channel(url));
        for service in [grpc_name, ""] {
            let status = health
                .check(tonic_health::pb::HealthCheckRequest {
                    service: service.to_owned(),
                })
                .await
                .expect("health answers")
                .into_inner()
                .status;
            assert_eq!(status, ServingStatus::Serving as i32, "{url} {service:?}");
        }
        // A service that this server does not host is unknown to its health service.
        let unknown = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: "pyred.v1.Nope".to_owned(),
            })
            .await
            .expect_err("unknown service");
        assert_eq!(unknown.code(), tonic::Code::NotFound);
    }
    test.stack.stop().await.expect("clean stop");
}

async fn listed_services_v1(url: &str, test: &pyred_e2e::TestStack) -> Vec<String> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut client = ServerReflectionClient::new(test.channel(url));
    let request = tonic_reflection::pb::v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection v1 answers")
        .into_inner();
    let response = responses
        .next()
        .await
        .expect("one response")
        .expect("no error");
    match response.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
            names.sort();
            names
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

async fn listed_services_v1alpha(url: &str, test: &pyred_e2e::TestStack) -> Vec<String> {
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
    let mut client = ServerReflectionClient::new(test.channel(url));
    let request = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection v1alpha answers")
        .into_inner();
    let response = responses
        .next()
        .await
        .expect("one response")
        .expect("no error");
    match response.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
            names.sort();
            names
        }
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

#[tokio::test]
async fn reflection_lists_each_servers_own_service_in_v1_and_v1alpha() {
    let test = spawn_stack().await;
    for (_, grpc_name, url) in test.stack.addresses.services() {
        // Its own service, the audit log every service keeps, (registry) the keys and
        // (matchmaking) brokerage.
        let mut expected = vec![
            "grpc.health.v1.Health".to_owned(),
            grpc_name.to_owned(),
            "pyred.v1.Audit".to_owned(),
        ];
        if grpc_name == "pyred.v1.CompanyRegistry" {
            expected.push("pyred.v1.Access".to_owned());
        }
        if grpc_name == "pyred.v1.Matchmaking" {
            expected.push("pyred.v1.Brokerage".to_owned());
        }
        expected.sort();
        assert_eq!(listed_services_v1(url, &test).await, expected, "{url}");
        assert_eq!(listed_services_v1alpha(url, &test).await, expected, "{url}");
    }
    test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let test = spawn_stack().await;
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let status = registry
        .get_company(pb::GetCompanyRequest {
            id: "  ".to_owned(),
            ..Default::default()
        })
        .await
        .expect_err("empty id is refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let violations = pyred_runtime::error::violations_of(&status);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].0, "id");

    let mut matchmaking = MatchmakingClient::new(test.channel(&test.stack.addresses.matchmaking));
    let status = matchmaking
        .list_company_matches(pb::ListCompanyMatchesRequest {
            company_id: String::new(),
            ..Default::default()
        })
        .await
        .expect_err("empty company id is refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        pyred_runtime::error::violations_of(&status)[0].0,
        "company_id"
    );
    test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_missing_firm_is_not_found_across_two_services() {
    let test = spawn_stack().await;
    let mut matchmaking = MatchmakingClient::new(test.channel(&test.stack.addresses.matchmaking));
    let status = matchmaking
        .list_company_matches(pb::ListCompanyMatchesRequest {
            company_id: "gers-9999".to_owned(),
            ..Default::default()
        })
        .await
        .expect_err("no such firm");
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
    assert!(status.message().contains("gers-9999"), "{status:?}");
    test.stack.stop().await.expect("clean stop");
}

#[tokio::test]
async fn the_stack_file_appears_while_running_and_goes_on_stop() {
    let test = spawn_stack().await;
    test.stack.publish().expect("stack file written");
    let found = pyred::stack::StackAddresses::read(test.data_dir.path())
        .expect("readable")
        .expect("present");
    assert_eq!(found, test.stack.addresses);

    // A second stack on the same data directory refuses to start.
    let second = pyred::stack::start(pyred_e2e::test_settings(test.data_dir.path())).await;
    assert!(
        matches!(second, Err(pyred::stack::StackError::AlreadyRunning(_))),
        "second stack must refuse"
    );

    let registry_url = test.stack.addresses.registry.clone();
    let connector = test.connector();
    let data_dir = test.data_dir;
    test.stack.stop().await.expect("clean stop");
    assert!(
        pyred::stack::StackAddresses::read(data_dir.path())
            .expect("readable")
            .is_none(),
        "stack file removed on stop"
    );
    // Nothing listens any more.
    let channel = connector
        .with_timeout(std::time::Duration::from_secs(2))
        .channel(&registry_url)
        .expect("valid url");
    assert!(
        pyred_runtime::client::is_serving(&channel, "pyred.v1.CompanyRegistry")
            .await
            .is_err()
    );
}

fn listing(external_id: String) -> pb::Opportunity {
    pb::Opportunity {
        external_id,
        kind: pb::OpportunityKind::BusinessRequest as i32,
        title: "Busca proveedor de envases de vidrio".to_owned(),
        description: "Bodega de La Rioja busca botellas y cierres".to_owned(),
        language: pb::Language::Es as i32,
        location: Some(pb::Location {
            place_code: "26089".to_owned(),
            ..Default::default()
        }),
        region: "ES-RI".to_owned(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_requests_finish() {
    let test = spawn_stack().await;
    let registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let mut feed = registry
        .clone()
        .watch_changes(pb::WatchChangesRequest {
            since_seq: 0,
            follow: true,
        })
        .await
        .expect("feed opens")
        .into_inner();
    // Four concurrent batches of 1,000: the registry writes them one chunk at a time.
    let calls: Vec<_> = (0..4)
        .map(|b| {
            let mut registry = registry.clone();
            tokio::spawn(async move {
                registry
                    .sync_listings(pb::SyncListingsRequest {
                        source: "ader".to_owned(),
                        upserts: (0..1000)
                            .map(|i| listing(format!("ader-{b}-{i:04}")))
                            .collect(),
                        withdrawals: vec![],
                        ..Default::default()
                    })
                    .await
            })
        })
        .collect();
    // The first committed chunk: writing has begun and most of the 4,000 are still in flight.
    feed.next().await.expect("a change").expect("no error");
    drop(feed);
    test.stack.stop().await.expect("clean stop");
    for call in calls {
        let response = call
            .await
            .expect("task")
            .expect("an in-flight request completes during shutdown")
            .into_inner();
        assert_eq!(response.results.len(), 1000);
        assert!(
            response
                .results
                .iter()
                .all(|r| r.outcome == pb::SyncOutcome::Created as i32)
        );
    }
}
