//! Shared harness of the gateway's end-to-end tests: the three services in-process with
//! the demo dataset, the gateway in front of them over HTTPS, keys of each role, and a
//! small HTTP/1.1 client (plain or TLS) for the API and for WebDriver.

#![allow(dead_code, clippy::unwrap_used, missing_docs)]

pub mod brokerage;
pub mod http;
pub mod webdriver;

use std::time::Duration;

use pyred_e2e::{TestStack, spawn_stack, test_settings};
use pyred_gateway::{Gateway, UpstreamUrls};
use pyred_proto::v1 as pb;
use pyred_runtime::Secret;
use tokio_util::sync::CancellationToken;

use pb::access_client::AccessClient;
use pb::company_registry_client::CompanyRegistryClient;
use pb::matchmaking_client::MatchmakingClient;

/// A stack with the demo data, a gateway in front, and keys.
pub struct World {
    pub test: TestStack,
    pub base_url: String,
    pub client: http::Client,
    pub admin: Secret,
    pub adviser: Secret,
    pub shutdown: CancellationToken,
    gateway_task: tokio::task::JoinHandle<()>,
}

impl World {
    pub async fn start() -> Self {
        let test = spawn_stack().await;
        let connector = test.connector();
        pyred::import::load_demo(&connector, &test.stack.addresses.registry)
            .await
            .expect("demo loads");
        let settings = test_settings(test.data_dir.path());
        let (base_url, shutdown, gateway_task) = spawn_gateway(&test, 0).await;
        let ca = std::fs::read(settings.tls_ca_file()).expect("dev CA");
        let client = http::Client::new(gateway_local(&base_url), Some(&ca));
        let admin = std::fs::read_to_string(test.data_dir.path().join("admin.key"))
            .map(|key| Secret::new(key.trim()))
            .expect("admin key of the stack");
        let mut world = Self {
            test,
            base_url,
            client,
            admin: admin.clone(),
            adviser: admin,
            shutdown,
            gateway_task,
        };
        world.adviser = world.key(pb::Role::Adviser, &["FR-32"], "", "").await;
        world.wait_indexed().await;
        world
    }

    /// Creates a key with the admin key.
    pub async fn key(
        &self,
        role: pb::Role,
        territory: &[&str],
        company_id: &str,
        source: &str,
    ) -> Secret {
        let issued = AccessClient::new(self.test.channel(&self.test.stack.addresses.registry))
            .create_key(pb::CreateKeyRequest {
                name: format!("gateway test {role:?}"),
                role: role as i32,
                territory: territory.iter().map(|t| (*t).to_owned()).collect(),
                company_id: company_id.to_owned(),
                source: source.to_owned(),
                ..Default::default()
            })
            .await
            .expect("key created")
            .into_inner();
        Secret::new(issued.secret)
    }

    pub fn registry(&self) -> CompanyRegistryClient<pyred_runtime::client::ServiceChannel> {
        CompanyRegistryClient::new(self.test.channel(&self.test.stack.addresses.registry))
    }

    pub fn registry_as(
        &self,
        key: &Secret,
    ) -> CompanyRegistryClient<pyred_runtime::client::ServiceChannel> {
        CompanyRegistryClient::new(
            self.test
                .channel_with_key(&self.test.stack.addresses.registry, key),
        )
    }

    pub fn matchmaking(&self) -> MatchmakingClient<pyred_runtime::client::ServiceChannel> {
        MatchmakingClient::new(self.test.channel(&self.test.stack.addresses.matchmaking))
    }

    pub fn matchmaking_as(
        &self,
        key: &Secret,
    ) -> MatchmakingClient<pyred_runtime::client::ServiceChannel> {
        MatchmakingClient::new(
            self.test
                .channel_with_key(&self.test.stack.addresses.matchmaking, key),
        )
    }

    /// Every company, with the admin key.
    pub async fn companies(&self) -> Vec<pb::Company> {
        let mut all = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .registry()
                .list_companies(pb::ListCompaniesRequest {
                    page: Some(pb::PageRequest {
                        page_size: 100,
                        page_token: token,
                    }),
                    ..Default::default()
                })
                .await
                .expect("companies")
                .into_inner();
            all.extend(page.companies);
            if page.next_page_token.is_empty() {
                return all;
            }
            token = page.next_page_token;
        }
    }

    /// The demo firm with this external id.
    pub async fn demo_firm(&self, external_id: &str) -> pb::Company {
        self.companies()
            .await
            .into_iter()
            .find(|c| c.external_id == external_id)
            .expect("demo firm present")
    }

    /// Waits until geo-search has indexed everything the registry holds.
    async fn wait_indexed(&self) {
        let geo = pb::geo_search_client::GeoSearchClient::new(
            self.test.channel(&self.test.stack.addresses.geo_search),
        );
        pyred_runtime::testing::wait_until(
            "the index to catch up with the registry",
            Duration::from_secs(60),
            || {
                let mut geo = geo.clone();
                async move {
                    let status = geo
                        .get_index_status(pb::GetIndexStatusRequest {})
                        .await
                        .expect("index status")
                        .into_inner();
                    (status.documents >= 71 && status.applied_seq >= status.registry_seq)
                        .then_some(())
                }
            },
        )
        .await;
    }

    /// Stops the gateway and starts a new one on the same port (the services keep
    /// running): what a gateway restart keeps — its port and its session store.
    pub async fn restart_gateway(&mut self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), &mut self.gateway_task)
            .await
            .expect("the gateway stops within 10 s, open streams included")
            .expect("the gateway task ends cleanly");
        let port: u16 = self.base_url.rsplit(':').next().unwrap().parse().unwrap();
        let (base_url, shutdown, gateway_task) = spawn_gateway(&self.test, port).await;
        assert_eq!(base_url, self.base_url, "same address after the restart");
        self.shutdown = shutdown;
        self.gateway_task = gateway_task;
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.gateway_task).await;
        self.test.stack.stop().await.expect("stack stops");
    }
}

/// The settings of the tests' gateways: those of `test`'s stack, sessions of 30 minutes
/// in `DATA_DIR/gateway.db`, on `port` (0: any free port).
pub fn gateway_settings(test: &TestStack, port: u16) -> pyred_runtime::Settings {
    let mut settings = test_settings(test.data_dir.path());
    settings.gateway.port = port;
    settings.gateway.session_minutes = 30;
    settings
}

/// A gateway in front of `test`'s services on `port` (0: any free port): its base URL,
/// its stop token and its task.
async fn spawn_gateway(
    test: &TestStack,
    port: u16,
) -> (String, CancellationToken, tokio::task::JoinHandle<()>) {
    spawn_gateway_with(test, &gateway_settings(test, port)).await
}

/// A gateway in front of `test`'s services with `settings` (its `[gateway]` section):
/// its base URL, its stop token and its task.
pub async fn spawn_gateway_with(
    test: &TestStack,
    settings: &pyred_runtime::Settings,
) -> (String, CancellationToken, tokio::task::JoinHandle<()>) {
    let urls = UpstreamUrls {
        registry: test.stack.addresses.registry.clone(),
        geo_search: test.stack.addresses.geo_search.clone(),
        matchmaking: test.stack.addresses.matchmaking.clone(),
    };
    let gateway = Gateway::build(settings, &urls)
        .await
        .expect("gateway binds");
    let base_url = gateway.base_url();
    assert!(
        base_url.starts_with("https://"),
        "TLS by default: {base_url}"
    );
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    let gateway_task = tokio::spawn(async move {
        gateway
            .run_until_stopped(token)
            .await
            .expect("gateway serves");
    });
    (base_url, shutdown, gateway_task)
}

/// Signs in on the gateway `client` talks to; returns the session cookie (checked for
/// its flags) and the page's CSRF token.
pub async fn sign_in(client: &http::Client, key: &str) -> (String, String) {
    let page = client.get("/console/login", &[]).await;
    assert_eq!(page.status, 200);
    let login_cookie = page
        .headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("pyred_login_csrf="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = login_cookie
        .trim_start_matches("pyred_login_csrf=")
        .to_owned();
    let form = format!("key={}&csrf={token}", key);
    let reply = client
        .send(
            "POST",
            "/console/login",
            &[("cookie", &login_cookie)],
            Some(("application/x-www-form-urlencoded", form.into_bytes())),
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.text());
    let session = reply
        .headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("pyred_session="))
        .unwrap()
        .to_owned();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(
            session.contains(flag),
            "session cookie lacks {flag}: {session}"
        );
    }
    assert!(!session.contains(key), "the key never goes into the cookie");
    let cookie = session.split(';').next().unwrap().to_owned();
    let dashboard = client.get("/console", &[("cookie", &cookie)]).await;
    assert_eq!(dashboard.status, 200);
    let html = dashboard.text();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    (cookie, csrf)
}

/// Buyer of [`tender`].
pub const TENDER_BUYER: &str = "Diputación Provincial de Zaragoza";
/// Official link of [`tender`] (with characters a page must escape).
pub const TENDER_URL: &str =
    "https://contrataciondelestado.es/wps/poc?uri=deeplink:detalle_licitacion&idEvl=pyred%2Btest";

/// A public tender of agency `arex` as read from an official feed: contracting body,
/// official link, procedure, stage, two lots, NUTS code, approximate place.
pub fn tender(external_id: &str) -> pb::Opportunity {
    pb::Opportunity {
        source: "arex".to_owned(),
        external_id: external_id.to_owned(),
        kind: pb::OpportunityKind::Tender as i32,
        title: "Suministro de vestuario para la brigada de incendios".to_owned(),
        description: "Contrato de suministro de vestuario y calzado para la brigada provincial de incendios forestales, en dos lotes.".to_owned(),
        language: pb::Language::Es as i32,
        location: Some(pb::Location {
            place_code: "50297".to_owned(),
            ..Default::default()
        }),
        region: "ES-AR".to_owned(),
        published: Some(pyred_gateway::json::today_plus(-1)),
        deadline: Some(pyred_gateway::json::today_plus(60)),
        buyer: Some(pb::ContractingBody {
            name: TENDER_BUYER.to_owned(),
            nif: "P5000000I".to_owned(),
            dir3: "L02000050".to_owned(),
        }),
        official_url: TENDER_URL.to_owned(),
        procedure: pb::ProcedureType::OpenSimplified as i32,
        tender_stage: pb::TenderStage::Open as i32,
        contract_type: pb::ContractType::Supplies as i32,
        lots: vec![
            pb::Lot {
                id: "1".to_owned(),
                title: "Vestuario de verano".to_owned(),
                cpv: vec!["18100000".to_owned()],
                budget_eur: Some(24_000.0),
            },
            pb::Lot {
                id: "2".to_owned(),
                title: "Calzado de seguridad".to_owned(),
                cpv: vec!["18830000".to_owned()],
                budget_eur: None,
            },
        ],
        location_approximate: true,
        nuts: "ES243".to_owned(),
        ..Default::default()
    }
}

fn gateway_local(base_url: &str) -> std::net::SocketAddr {
    base_url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .parse()
        .expect("socket address")
}

/// The trip by road the bundled travel model gives between a firm and a listing on
/// `day`, as matches carry it (minutes and km to a tenth).
pub fn expected_trip(
    firm: &pb::Company,
    listing: &pb::Opportunity,
    day: pyred_travel::Day,
) -> pyred_travel::Route {
    let point = |location: Option<&pb::Location>| {
        let (lat, lon) = location.and_then(pb::Location::point).unwrap();
        pyred_travel::Point::new(lat, lon).unwrap()
    };
    let tenth = |x: f64| (x * 10.0).round() / 10.0;
    let mut route = pyred_travel::TravelModel::bundled()
        .route(
            point(firm.location.as_ref()),
            point(listing.location.as_ref()),
            day,
        )
        .unwrap();
    route.minutes = tenth(route.minutes);
    route.km = tenth(route.km);
    route.closed_detour = route.closed_detour.map(|(c, m)| (c, tenth(m)));
    route
}
