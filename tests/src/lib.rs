//! Harness for Pyred's end-to-end tests: [`spawn_stack`] starts company-registry,
//! geo-search and matchmaking in this process, each on a free loopback port with a fresh
//! data directory, exactly as `pyred up` does, and waits until all three are SERVING.

use std::time::Duration;

use pyred::stack::{self, RunningStack};
use pyred_runtime::Settings;
use pyred_runtime::client::{self, ServiceChannel};
/// Waits for an event by polling it (shared with the services' own tests).
pub use pyred_runtime::testing::wait_until;

/// A running stack and the temporary directory holding its data.
pub struct TestStack {
    /// The stack.
    pub stack: RunningStack,
    /// Its data directory, removed on drop.
    pub data_dir: tempfile::TempDir,
}

impl TestStack {
    /// A channel to one of the services' addresses, over TLS with the admin key.
    pub fn channel(&self, url: &str) -> ServiceChannel {
        self.connector().channel(url).expect("valid stack address")
    }

    /// The stack's connector (TLS, admin key, 10 s deadline).
    pub fn connector(&self) -> client::Connector {
        self.stack.connector().with_timeout(Duration::from_secs(10))
    }

    /// A channel to `url` presenting `key` instead of the admin key.
    pub fn channel_with_key(&self, url: &str, key: &pyred_runtime::Secret) -> ServiceChannel {
        self.connector()
            .with_key(key)
            .and_then(|connector| connector.channel(url))
            .expect("valid stack address and key")
    }

    /// A new API key issued by the admin (the answer's secret).
    pub async fn issue_key(
        &self,
        request: pyred_proto::v1::CreateKeyRequest,
    ) -> pyred_runtime::Secret {
        let mut access = pyred_proto::v1::access_client::AccessClient::new(
            self.channel(&self.stack.addresses.registry),
        );
        pyred_runtime::Secret::new(
            access
                .create_key(request)
                .await
                .expect("the admin issues keys")
                .into_inner()
                .secret,
        )
    }

    /// Stops every service and starts them again on the same data directory (new
    /// ports): what a restart of the whole stack keeps.
    pub async fn restart(self) -> TestStack {
        let TestStack { stack, data_dir } = self;
        stack.stop().await.expect("clean stop");
        let stack = stack::start(test_settings(data_dir.path()))
            .await
            .expect("stack restarts");
        stack
            .wait_healthy(Duration::from_secs(30))
            .await
            .expect("stack becomes healthy again");
        TestStack { stack, data_dir }
    }
}

/// Settings for a stack on free ports inside `data_dir`.
pub fn test_settings(data_dir: &std::path::Path) -> Settings {
    let mut settings = Settings::with_data_dir(data_dir).expect("default settings load");
    settings.registry.port = 0;
    settings.geo_search.port = 0;
    settings.matchmaking.port = 0;
    settings.registry.metrics_port = 0;
    settings.geo_search.metrics_port = 0;
    settings.matchmaking.metrics_port = 0;
    settings.gateway.port = 0;
    settings.sync.metrics_port = 0;
    settings.server.shutdown_grace_secs = 15;
    settings
}

/// Starts the three services and waits until they all report SERVING.
pub async fn spawn_stack() -> TestStack {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let stack = stack::start(test_settings(data_dir.path()))
        .await
        .expect("stack starts");
    stack
        .wait_healthy(Duration::from_secs(30))
        .await
        .expect("stack becomes healthy");
    TestStack { stack, data_dir }
}

/// The sequence number of the registry's newest change (0 for an empty feed): what
/// geo-search must have applied before a test reads the index.
pub async fn registry_last_seq(
    registry: &mut pyred_proto::v1::company_registry_client::CompanyRegistryClient<ServiceChannel>,
) -> i64 {
    let mut stream = registry
        .watch_changes(pyred_proto::v1::WatchChangesRequest {
            since_seq: 0,
            follow: false,
        })
        .await
        .expect("the registry's feed opens")
        .into_inner();
    let mut last = 0;
    while let Some(change) = stream.message().await.expect("the feed streams") {
        last = last.max(change.seq);
    }
    last
}

/// A valid Spanish tender of La Rioja (Logroño, CPV 44611500), for tests that need one
/// listing the registry accepts.
pub fn rioja_tender(external_id: &str) -> pyred_proto::v1::Opportunity {
    use pyred_proto::v1 as pb;
    pb::Opportunity {
        external_id: external_id.to_owned(),
        kind: pb::OpportunityKind::Tender as i32,
        title: "Suministro de depósitos de acero inoxidable".to_owned(),
        description: "Bodega de Logroño licita depósitos de inox para vinificación".to_owned(),
        language: pb::Language::Es as i32,
        cpv: vec!["44611500".to_owned()],
        location: Some(pb::Location {
            place_code: "26089".to_owned(),
            ..Default::default()
        }),
        region: "ES-RI".to_owned(),
        published: Some(pb::Date {
            year: 2026,
            month: 11,
            day: 20,
        }),
        deadline: Some(pb::Date {
            year: 2030,
            month: 1,
            day: 31,
        }),
        ..Default::default()
    }
}
