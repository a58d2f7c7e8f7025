//! One request crossing two services is one trace: matchmaking calls the registry, both
//! export their spans over OTLP to a collector run by this test, and the spans share a
//! trace id. Alone in its binary because it installs the process-wide subscriber.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span;
use pyred_proto::v1::{self as pb, matchmaking_client::MatchmakingClient};

/// A minimal OTLP/gRPC trace collector that keeps every span it receives.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().expect("collector lock");
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_crossing_two_services_is_one_trace() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind collector");
    let collector_address = listener.local_addr().expect("collector address");
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(collector.clone()))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);

    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = pyred_e2e::test_settings(data_dir.path());
    settings.telemetry.otlp_endpoint = Some(format!("http://{collector_address}"));
    let telemetry =
        pyred_runtime::telemetry::init("pyred-e2e", &settings.logging, &settings.telemetry)
            .expect("telemetry starts");
    let stack = pyred::stack::start(settings).await.expect("stack starts");
    stack
        .wait_healthy(Duration::from_secs(30))
        .await
        .expect("healthy");

    let channel = stack
        .connector()
        .with_timeout(Duration::from_secs(10))
        .channel(&stack.addresses.matchmaking)
        .expect("valid address");
    let status = MatchmakingClient::new(channel)
        .list_company_matches(pb::ListCompanyMatchesRequest {
            company_id: "gers-4040".to_owned(),
            ..Default::default()
        })
        .await
        .expect_err("unknown firm");
    assert_eq!(status.code(), tonic::Code::NotFound);

    stack.stop().await.expect("clean stop");
    telemetry.shutdown().await; // flushes the batch exporter into the collector

    let spans = collector.spans.lock().expect("collector lock").clone();
    let named = |name: &str| -> Vec<Span> {
        spans
            .iter()
            .filter(|span| span.name == name)
            .cloned()
            .collect()
    };
    let matchmaking = named("pyred.v1.Matchmaking/ListCompanyMatches");
    let registry = named("pyred.v1.CompanyRegistry/GetCompany");
    assert_eq!(matchmaking.len(), 1, "spans received: {:?}", names(&spans));
    assert_eq!(registry.len(), 1, "spans received: {:?}", names(&spans));
    assert_eq!(matchmaking[0].trace_id.len(), 16);
    assert_eq!(
        matchmaking[0].trace_id, registry[0].trace_id,
        "the registry's span continues matchmaking's trace"
    );
    assert!(
        !registry[0].parent_span_id.is_empty(),
        "the registry's span has a remote parent"
    );
    assert!(
        matchmaking[0].parent_span_id.is_empty(),
        "the first service starts the trace"
    );
    // The parent of the registry's span is a span of that same trace, on the caller's side.
    assert!(
        spans
            .iter()
            .any(|span| span.span_id == registry[0].parent_span_id
                && span.trace_id == registry[0].trace_id),
        "the caller's span was exported too"
    );
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|span| span.name.as_str()).collect()
}
