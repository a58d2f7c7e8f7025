//! The one change-feed reader every consumer uses (`pyred_runtime::feed`), over real
//! gRPC and TLS through a TCP relay the test can cut: changes come in order and once
//! each across broken connections, a non-following read stops at the registry's head,
//! and shutdown ends a read at once.

use std::sync::Arc;
use std::time::Duration;

use pyred_e2e::spawn_stack;
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::feed::{FeedOptions, follow_changes};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// A loopback TCP relay to `upstream`; `cut` drops every open connection.
struct Relay {
    address: String,
    cut: Arc<Notify>,
}

async fn relay(upstream: std::net::SocketAddr) -> Relay {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("https://{}", listener.local_addr().expect("addr"));
    let cut = Arc::new(Notify::new());
    let cuts = cut.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let cuts = cuts.clone();
            tokio::spawn(async move {
                let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    () = cuts.notified() => {}
                }
            });
        }
    });
    Relay { address, cut }
}

fn company(n: usize) -> pb::Company {
    pb::Company {
        name: format!("Firme {n}"),
        country: "FR".to_owned(),
        region: "FR-32".to_owned(),
        language: pb::Language::Fr as i32,
        description: "Usinage de précision.".to_owned(),
        offers: "Usinage".to_owned(),
        location: Some(pb::Location {
            place_code: "32013".to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_arrive_in_order_and_once_across_broken_connections() {
    let test = spawn_stack().await;
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let upstream: std::net::SocketAddr = test
        .stack
        .addresses
        .registry
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .parse()
        .expect("a loopback address");
    let relay = relay(upstream).await;
    let shutdown = CancellationToken::new();
    let options = FeedOptions {
        follow: true,
        max_message_bytes: 4 * 1024 * 1024,
    };
    let mut changes = follow_changes(test.channel(&relay.address), 0, options, shutdown.clone());
    let mut seen = Vec::new();
    for round in 0..3 {
        for n in 0..4 {
            registry
                .create_company(pb::CreateCompanyRequest {
                    company: Some(company(round * 10 + n)),
                })
                .await
                .expect("created");
        }
        while seen.len() < (round + 1) * 4 {
            let change = tokio::time::timeout(Duration::from_secs(20), changes.next())
                .await
                .expect("the feed keeps coming")
                .expect("not shut down");
            seen.push(change.seq);
        }
        // Break every connection through the relay: the reader reconnects by itself.
        relay.cut.notify_waiters();
    }
    let expected: Vec<i64> = (1..=12).collect();
    assert_eq!(seen, expected, "in order, once each");
    assert!(
        changes.interruptions() >= 1,
        "the cuts were noticed: {changes:?}"
    );
    assert_eq!(changes.last_seq(), 12);

    // Not following: from a position to the head, then the end.
    let mut rest = follow_changes(
        test.channel(&test.stack.addresses.registry),
        9,
        FeedOptions {
            follow: false,
            ..options
        },
        shutdown.clone(),
    );
    let mut tail = Vec::new();
    while let Some(change) = rest.next().await {
        tail.push(change.seq);
    }
    assert_eq!(tail, [10, 11, 12]);

    // Shutdown ends a waiting read.
    let waiting = tokio::spawn(async move { changes.next().await.map(|c| c.seq) });
    tokio::time::sleep(Duration::from_millis(100)).await;
    shutdown.cancel();
    let ended = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("ends on shutdown")
        .expect("joined");
    assert_eq!(ended, None);
}
