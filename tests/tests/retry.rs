//! The channels' one retry policy over real gRPC and TLS: through a relay that drops
//! the first connections, an RPC declared idempotent (`pyred_proto::idempotency`) is
//! sent again and answers, and one that is not is sent once and fails — nothing is
//! written twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pyred_e2e::spawn_stack;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};
use tokio::net::{TcpListener, TcpStream};

/// A loopback relay to `upstream` that drops the first `refuse` connections it accepts
/// and relays the others.
async fn flaky_relay(upstream: std::net::SocketAddr, refuse: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("https://{}", listener.local_addr().expect("addr"));
    let left = Arc::new(AtomicUsize::new(refuse));
    let counter = left.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            if counter
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
            {
                drop(inbound);
                continue;
            }
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (address, left)
}

fn firm() -> pb::Company {
    pb::Company {
        name: "Chais de Condom".to_owned(),
        country: "FR".to_owned(),
        region: "FR-32".to_owned(),
        language: pb::Language::Fr as i32,
        description: "Négociant en armagnac.".to_owned(),
        offers: "Armagnac".to_owned(),
        location: Some(pb::Location {
            place_code: "32107".to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_calls_are_sent_again_and_others_never() {
    let test = spawn_stack().await;
    let upstream: std::net::SocketAddr = test
        .stack
        .addresses
        .registry
        .trim_start_matches("https://")
        .parse()
        .expect("a loopback address");
    let mut direct = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let stored = direct
        .create_company(pb::CreateCompanyRequest {
            company: Some(firm()),
        })
        .await
        .expect("created")
        .into_inner();

    // A read through a relay that drops its first two connections: retried, answered.
    let (address, left) = flaky_relay(upstream, 2).await;
    let mut flaky = CompanyRegistryClient::new(test.channel(&address));
    let read = flaky
        .get_company(pb::GetCompanyRequest {
            id: stored.id.clone(),
            ..Default::default()
        })
        .await
        .expect("an idempotent read rides over dropped connections")
        .into_inner();
    assert_eq!(read.id, stored.id);
    assert_eq!(left.load(Ordering::Acquire), 0, "both drops were met");

    // A create through a relay that drops its first connection: sent once, fails.
    let (address, left) = flaky_relay(upstream, 1).await;
    let mut flaky = CompanyRegistryClient::new(test.channel(&address));
    let mut second = firm();
    second.name = "Chais de Nogaro".to_owned();
    let created = flaky
        .create_company(pb::CreateCompanyRequest {
            company: Some(second),
        })
        .await;
    assert_eq!(
        created.expect_err("not sent again").code(),
        tonic::Code::Unavailable
    );
    assert_eq!(left.load(Ordering::Acquire), 0);
    let all = direct
        .list_companies(pb::ListCompaniesRequest::default())
        .await
        .expect("list")
        .into_inner()
        .companies;
    assert_eq!(all.len(), 1, "nothing was created by the failed call");
}
