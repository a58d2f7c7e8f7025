//! Tests of the registry, the exposition format, the gRPC layer on a real tonic server
//! and the HTTP endpoint over a real socket.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::*;

/// One parsed sample: metric name and sorted labels.
type Key = (String, Vec<(String, String)>);

/// What a scrape holds: the samples, and each family's `# TYPE`.
#[derive(Debug, Default)]
struct Exposition {
    samples: BTreeMap<Key, f64>,
    types: BTreeMap<String, String>,
    helps: BTreeMap<String, String>,
}

impl Exposition {
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        labels.sort();
        self.samples.get(&(name.to_owned(), labels)).copied()
    }
}

/// A strict parser of the text format 0.0.4, enough to check what we write: every line
/// is a `# HELP`, a `# TYPE` or a sample of a family whose `# TYPE` came before.
fn parse(text: &str) -> Exposition {
    let mut exposition = Exposition::default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "must end with a newline"
    );
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP has a name and a text");
            assert!(
                exposition
                    .helps
                    .insert(name.to_owned(), help.to_owned())
                    .is_none(),
                "one HELP per family: {name}"
            );
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a name and a type");
            assert!(
                ["counter", "gauge", "histogram"].contains(&kind),
                "type {kind}"
            );
            assert!(
                exposition.helps.contains_key(name),
                "HELP before TYPE: {name}"
            );
            assert!(
                exposition
                    .types
                    .insert(name.to_owned(), kind.to_owned())
                    .is_none(),
                "one TYPE per family: {name}"
            );
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment {line}");
        let (name, labels, value) = parse_sample(line);
        let family = exposition
            .types
            .keys()
            .filter(|family| {
                name == **family
                    || ["_bucket", "_sum", "_count"]
                        .iter()
                        .any(|suffix| name == format!("{family}{suffix}"))
            })
            .max_by_key(|family| family.len())
            .unwrap_or_else(|| panic!("sample {name} before its TYPE"));
        if name != *family {
            assert_eq!(exposition.types[family], "histogram", "{line}");
        }
        let previous = exposition.samples.insert((name, labels), value);
        assert!(previous.is_none(), "duplicate sample {line}");
    }
    exposition
}

fn parse_sample(line: &str) -> (String, Vec<(String, String)>, f64) {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value in {line}"));
    let name = &line[..name_end];
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        "name {name}"
    );
    let mut labels = Vec::new();
    let mut rest = &line[name_end..];
    if let Some(after) = rest.strip_prefix('{') {
        let mut chars = after.char_indices().peekable();
        let end;
        loop {
            // label name
            let start = chars.peek().map(|(i, _)| *i).expect("label or }");
            if after[start..].starts_with('}') {
                end = Some(start + 1);
                break;
            }
            let eq = after[start..].find('=').expect("label =") + start;
            let key = after[start..eq].to_owned();
            assert!(after[eq + 1..].starts_with('"'), "quoted value in {line}");
            while let Some((i, _)) = chars.peek() {
                if *i > eq + 1 {
                    break;
                }
                chars.next();
            }
            let mut value = String::new();
            loop {
                let (_, c) = chars.next().expect("closing quote");
                match c {
                    '\\' => match chars.next().expect("escape").1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        other => panic!("bad escape \\{other} in {line}"),
                    },
                    '"' => break,
                    '\n' => panic!("raw newline in {line}"),
                    c => value.push(c),
                }
            }
            labels.push((key, value));
            match chars.next().expect(", or }") {
                (_, ',') => {}
                (i, '}') => {
                    end = Some(i + 1);
                    break;
                }
                (_, other) => panic!("unexpected {other} in {line}"),
            }
        }
        rest = &after[end.expect("labels closed")..];
    }
    let value = rest.strip_prefix(' ').expect("one space before the value");
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        number => number
            .parse()
            .unwrap_or_else(|_| panic!("value {number} in {line}")),
    };
    labels.sort();
    (name.to_owned(), labels, value)
}

#[test]
fn counters_and_gauges_render_in_the_text_format() {
    let metrics = Metrics::new();
    let ok = metrics.counter("pyred_test_total", "Calls made", &[("code", "OK")]);
    ok.inc();
    ok.inc_by(2);
    // Same name and labels (in any order) is the same counter.
    metrics
        .counter("pyred_test_total", "Calls made", &[("code", "OK")])
        .inc();
    metrics
        .counter("pyred_test_total", "Calls made", &[("code", "NOT_FOUND")])
        .inc();
    let gauge = metrics.gauge("pyred_temp", "A level", &[]);
    gauge.set(2.5);
    gauge.dec_by(1.0);
    metrics
        .gauge("pyred_infinite", "Unbounded", &[])
        .set(f64::INFINITY);

    let text = metrics.render();
    assert_eq!(
        text,
        "# HELP pyred_infinite Unbounded\n\
         # TYPE pyred_infinite gauge\n\
         pyred_infinite +Inf\n\
         # HELP pyred_temp A level\n\
         # TYPE pyred_temp gauge\n\
         pyred_temp 1.5\n\
         # HELP pyred_test_total Calls made\n\
         # TYPE pyred_test_total counter\n\
         pyred_test_total{code=\"NOT_FOUND\"} 1\n\
         pyred_test_total{code=\"OK\"} 4\n"
    );
    let parsed = parse(&text);
    assert_eq!(parsed.get("pyred_test_total", &[("code", "OK")]), Some(4.0));
    assert_eq!(parsed.types["pyred_test_total"], "counter");
}

#[test]
fn label_values_and_help_are_escaped() {
    let metrics = Metrics::new();
    let nasty = "a\"b\\c\nd}e,f=g";
    metrics
        .counter(
            "pyred_escape_total",
            "Back\\slash\nnewline",
            &[("source", nasty)],
        )
        .inc();
    let text = metrics.render();
    assert!(
        text.contains("pyred_escape_total{source=\"a\\\"b\\\\c\\nd}e,f=g\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("# HELP pyred_escape_total Back\\\\slash\\nnewline\n"));
    assert_eq!(text.lines().count(), 3, "no raw newline leaks: {text}");
    let parsed = parse(&text);
    assert_eq!(
        parsed.get("pyred_escape_total", &[("source", nasty)]),
        Some(1.0)
    );
}

#[test]
fn histogram_buckets_are_cumulative() {
    let metrics = Metrics::new();
    let histogram = metrics.histogram(
        "pyred_wait_seconds",
        "Waits",
        &[("method", "Search")],
        &[0.1, 1.0, 10.0],
    );
    for value in [0.05, 0.1, 0.5, 0.7, 5.0, 60.0] {
        histogram.observe(value);
    }
    let parsed = parse(&metrics.render());
    let bucket = |le| {
        parsed.get(
            "pyred_wait_seconds_bucket",
            &[("method", "Search"), ("le", le)],
        )
    };
    assert_eq!(bucket("0.1"), Some(2.0), "the bound is inclusive");
    assert_eq!(bucket("1"), Some(4.0));
    assert_eq!(bucket("10"), Some(5.0));
    assert_eq!(bucket("+Inf"), Some(6.0));
    assert_eq!(
        parsed.get("pyred_wait_seconds_count", &[("method", "Search")]),
        Some(6.0)
    );
    let sum = parsed
        .get("pyred_wait_seconds_sum", &[("method", "Search")])
        .expect("sum");
    assert!((sum - 66.35).abs() < 1e-9, "{sum}");
    assert_eq!(parsed.types["pyred_wait_seconds"], "histogram");
    // The same name and labels is the same histogram, with the family's buckets.
    metrics
        .histogram(
            "pyred_wait_seconds",
            "Waits",
            &[("method", "Search")],
            &[2.0],
        )
        .observe(0.5);
    let parsed = parse(&metrics.render());
    assert_eq!(
        parsed.get("pyred_wait_seconds_count", &[("method", "Search")]),
        Some(7.0)
    );
    assert_eq!(
        parsed.get(
            "pyred_wait_seconds_bucket",
            &[("method", "Search"), ("le", "1")]
        ),
        Some(5.0)
    );
}

#[test]
fn computed_gauges_are_read_at_scrape_time() {
    let metrics = Metrics::new();
    let applied = Arc::new(AtomicU64::new(0));
    let head = Arc::new(AtomicU64::new(0));
    let (a, h) = (applied.clone(), head.clone());
    metrics.feed_lag("geo-search", move || {
        let head = h.load(Ordering::Relaxed);
        (head > 0).then(|| head - a.load(Ordering::Relaxed))
    });
    let parsed = parse(&metrics.render());
    assert_eq!(
        parsed.get(FEED_LAG_EVENTS, &[("consumer", "geo-search")]),
        None,
        "an unknown head leaves the sample out"
    );
    head.store(120, Ordering::Relaxed);
    applied.store(100, Ordering::Relaxed);
    let parsed = parse(&metrics.render());
    assert_eq!(
        parsed.get(FEED_LAG_EVENTS, &[("consumer", "geo-search")]),
        Some(20.0)
    );
    applied.store(120, Ordering::Relaxed);
    let parsed = parse(&metrics.render());
    assert_eq!(
        parsed.get(FEED_LAG_EVENTS, &[("consumer", "geo-search")]),
        Some(0.0)
    );
}

#[test]
fn named_helpers_write_their_metrics() {
    let metrics = Metrics::new();
    metrics.index_documents(|| Some(100_000));
    let committed = SystemTime::now() - Duration::from_secs(90);
    metrics.index_last_commit(move || Some(committed));
    metrics.sync_listings("aragon-exterior").inc_by(25);
    metrics.sync_listings("aragon-exterior").inc_by(5);
    metrics.db_pool("registry", || PoolUse {
        size: 7,
        idle: 3,
        max: 10,
    });
    metrics.build_info("geo-search", "0.1.0");
    metrics.process();

    let parsed = parse(&metrics.render());
    assert_eq!(parsed.get(INDEX_DOCUMENTS, &[]), Some(100_000.0));
    let age = parsed
        .get(INDEX_LAST_COMMIT_AGE_SECONDS, &[])
        .expect("age sample");
    assert!(age >= 90.0, "{age}");
    assert_eq!(
        parsed.get(SYNC_LISTINGS_TOTAL, &[("source", "aragon-exterior")]),
        Some(30.0)
    );
    assert_eq!(parsed.types[SYNC_LISTINGS_TOTAL], "counter");
    assert_eq!(
        parsed.get(
            DB_POOL_CONNECTIONS,
            &[("database", "registry"), ("state", "in_use")]
        ),
        Some(4.0)
    );
    assert_eq!(
        parsed.get(
            DB_POOL_CONNECTIONS,
            &[("database", "registry"), ("state", "idle")]
        ),
        Some(3.0)
    );
    assert_eq!(
        parsed.get(DB_POOL_MAX_CONNECTIONS, &[("database", "registry")]),
        Some(10.0)
    );
    assert_eq!(
        parsed.get(
            BUILD_INFO,
            &[("service", "geo-search"), ("version", "0.1.0")]
        ),
        Some(1.0)
    );
    if cfg!(target_os = "linux") {
        let rss = parsed
            .get(PROCESS_RESIDENT_MEMORY_BYTES, &[])
            .expect("rss on linux");
        assert!(rss > 1_000_000.0, "{rss}");
    }
}

#[test]
#[should_panic(expected = "registered as a counter")]
fn one_name_has_one_type() {
    let metrics = Metrics::new();
    metrics.counter("pyred_x_total", "x", &[]).inc();
    let _ = metrics.gauge("pyred_x_total", "x", &[]);
}

#[test]
#[should_panic(expected = "must end in _total")]
fn counter_names_end_in_total() {
    // The encoder appends `_total` to a counter's base name: a name without it would
    // be exported under another name than the one the code spells.
    let _ = Metrics::new().counter("pyred_calls", "calls", &[]);
}

#[test]
#[should_panic(expected = "invalid label name")]
fn label_names_are_checked() {
    let _ = Metrics::new().counter("pyred_y_total", "y", &[("bad-name", "v")]);
}

/// A service whose response never comes: its future is dropped (timeout, client gone).
#[derive(Clone)]
struct Never;

impl tower::Service<::http::Request<()>> for Never {
    type Response = ::http::Response<String>;
    type Error = std::convert::Infallible;
    type Future = std::future::Pending<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: ::http::Request<()>) -> Self::Future {
        std::future::pending()
    }
}

#[test]
fn a_call_dropped_before_its_answer_counts_as_cancelled() {
    use tower::{Layer, Service};
    let metrics = Metrics::new();
    let mut service = metrics.grpc_layer().layer(Never);
    let request = ::http::Request::builder()
        .uri("/pyred.v1.GeoSearch/Search")
        .body(())
        .expect("request");
    drop(service.call(request));
    let parsed = parse(&metrics.render());
    let labels = [
        ("service", "pyred.v1.GeoSearch"),
        ("method", "Search"),
        ("code", "CANCELLED"),
    ];
    assert_eq!(parsed.get(RPC_REQUESTS_TOTAL, &labels), Some(1.0));
    assert_eq!(
        parsed.get(
            "pyred_rpc_duration_seconds_count",
            &[("service", "pyred.v1.GeoSearch"), ("method", "Search")]
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn grpc_layer_counts_calls_of_a_real_tonic_server_by_code() {
    use tonic_health::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

    let metrics = Metrics::new();
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("pyred.v1.GeoSearch", ServingStatus::Serving)
        .await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .layer(metrics.grpc_layer())
            .add_service(health)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                shutdown.clone().cancelled_owned(),
            ),
    );
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");

    let mut client = HealthClient::new(channel.clone());
    let serving = client
        .check(HealthCheckRequest {
            service: "pyred.v1.GeoSearch".to_owned(),
        })
        .await
        .expect("known service answers");
    assert_eq!(serving.get_ref().status, ServingStatus::Serving as i32);
    let missing = client
        .check(HealthCheckRequest {
            service: "pyred.v1.Nothing".to_owned(),
        })
        .await
        .expect_err("unknown service");
    assert_eq!(missing.code(), tonic::Code::NotFound);

    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    let unimplemented = grpc
        .unary::<_, HealthCheckResponse, _>(
            tonic::Request::new(HealthCheckRequest {
                service: String::new(),
            }),
            ::http::uri::PathAndQuery::from_static("/pyred.v1.Nope/Missing"),
            tonic_prost::ProstCodec::<HealthCheckRequest, HealthCheckResponse>::default(),
        )
        .await
        .expect_err("no such service");
    assert_eq!(unimplemented.code(), tonic::Code::Unimplemented);

    let parsed = parse(&metrics.render());
    let health = "grpc.health.v1.Health";
    let count = |service, method, code| {
        parsed.get(
            RPC_REQUESTS_TOTAL,
            &[("service", service), ("method", method), ("code", code)],
        )
    };
    assert_eq!(count(health, "Check", "OK"), Some(1.0), "{parsed:#?}");
    assert_eq!(count(health, "Check", "NOT_FOUND"), Some(1.0));
    assert_eq!(
        count("pyred.v1.Nope", "Missing", "UNIMPLEMENTED"),
        Some(1.0)
    );
    assert_eq!(
        parsed
            .samples
            .keys()
            .filter(|(name, _)| name == RPC_REQUESTS_TOTAL)
            .count(),
        3,
        "no other series: {parsed:#?}"
    );
    assert_eq!(
        parsed.get(
            "pyred_rpc_duration_seconds_count",
            &[("service", health), ("method", "Check")]
        ),
        Some(2.0)
    );
    assert_eq!(
        parsed.get(
            "pyred_rpc_duration_seconds_bucket",
            &[("service", health), ("method", "Check"), ("le", "+Inf")]
        ),
        Some(2.0)
    );

    shutdown.cancel();
    server.await.expect("join").expect("server stops cleanly");
}

async fn http_get(address: std::net::SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("read until close");
    response
}

#[tokio::test]
async fn http_endpoint_serves_metrics_over_tcp() {
    let metrics = Metrics::new();
    metrics.sync_listings("la-rioja").inc_by(7);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve(listener, metrics.clone(), shutdown.clone()));

    let response = http_get(
        address,
        "GET /metrics HTTP/1.1\r\nHost: pyred\r\nAccept: text/plain\r\n\r\n",
    )
    .await;
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    let mut head_lines = head.lines();
    assert_eq!(head_lines.next(), Some("HTTP/1.1 200 OK"));
    let headers: Vec<&str> = head_lines.collect();
    assert!(headers.contains(&"Content-Type: text/plain; version=0.0.4; charset=utf-8"));
    assert!(headers.contains(&format!("Content-Length: {}", body.len()).as_str()));
    let parsed = parse(body);
    assert_eq!(
        parsed.get(SYNC_LISTINGS_TOTAL, &[("source", "la-rioja")]),
        Some(7.0)
    );

    // A query string is fine; a HEAD has the headers only.
    let response = http_get(address, "HEAD /metrics?x=1 HTTP/1.1\r\nHost: p\r\n\r\n").await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\n"), "{response}");

    // Readiness mirrors set_ready: not ready until told, then ready, then not again.
    let ready = async |address| http_get(address, "GET /ready HTTP/1.1\r\nHost: p\r\n\r\n").await;
    let response = ready(address).await;
    assert!(response.starts_with("HTTP/1.1 503 "), "{response}");
    metrics.set_ready(true);
    let response = ready(address).await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nready\n"), "{response}");
    let scraped = http_get(address, "GET /metrics HTTP/1.1\r\n\r\n").await;
    let (_, scraped_body) = scraped.split_once("\r\n\r\n").expect("head and body");
    assert_eq!(parse(scraped_body).get(READY, &[]), Some(1.0), "{scraped}");
    metrics.set_ready(false);
    let response = ready(address).await;
    assert!(response.starts_with("HTTP/1.1 503 "), "{response}");
    let response = http_get(address, "GET /live HTTP/1.1\r\nHost: p\r\n\r\n").await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");

    let response = http_get(address, "GET / HTTP/1.1\r\nHost: p\r\n\r\n").await;
    assert!(
        response.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{response}"
    );
    let response = http_get(address, "GET /metricsx HTTP/1.0\r\n\r\n").await;
    assert!(
        response.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{response}"
    );
    let response = http_get(address, "POST /metrics HTTP/1.1\r\nHost: p\r\n\r\n").await;
    assert!(response.starts_with("HTTP/1.1 405 "), "{response}");
    assert!(response.contains("Allow: GET, HEAD\r\n"), "{response}");

    // An unfinished head one byte over the limit: the server has read all of it when it
    // refuses, so closing leaves nothing unread (no reset).
    let start = "GET /metrics HTTP/1.1\r\nX: ";
    let oversized = format!("{start}{}", "a".repeat(MAX_HEAD_BYTES + 1 - start.len()));
    let response = http_get(address, &oversized).await;
    assert!(response.starts_with("HTTP/1.1 431 "), "{response}");

    shutdown.cancel();
    server.await.expect("join").expect("stops on cancel");
    assert!(
        TcpStream::connect(address).await.is_err(),
        "listener closed after shutdown"
    );
}

/// A response body of one data frame then trailers carrying `grpc-status`.
struct TrailersBody {
    frames: std::collections::VecDeque<http_body::Frame<bytes_like::Bytes>>,
}

mod bytes_like {
    /// Data chunks as a plain vector (any `Buf` will do for the test).
    pub type Bytes = std::io::Cursor<Vec<u8>>;
}

impl http_body::Body for TrailersBody {
    type Data = bytes_like::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(self.frames.pop_front().map(Ok))
    }
}

/// A service answering with headers first and its status in the trailers, as a
/// streaming call that fails midway does.
#[derive(Clone)]
struct FailsInTrailers;

impl tower::Service<::http::Request<()>> for FailsInTrailers {
    type Response = ::http::Response<TrailersBody>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: ::http::Request<()>) -> Self::Future {
        let mut trailers = ::http::HeaderMap::new();
        trailers.insert("grpc-status", ::http::HeaderValue::from_static("13"));
        let frames = [
            http_body::Frame::data(std::io::Cursor::new(b"partial".to_vec())),
            http_body::Frame::trailers(trailers),
        ];
        std::future::ready(Ok(::http::Response::new(TrailersBody {
            frames: frames.into_iter().collect(),
        })))
    }
}

#[tokio::test]
async fn a_status_in_the_trailers_is_counted_when_the_body_ends() {
    use http_body::Body as _;
    use tower::{Layer, Service};
    let metrics = Metrics::new();
    let mut service = metrics.grpc_layer().layer(FailsInTrailers);
    let request = ::http::Request::builder()
        .uri("/pyred.v1.Matchmaking/WatchAlerts")
        .body(())
        .expect("request");
    let response = service.call(request).await.expect("infallible");
    let count = |code| {
        parse(&metrics.render()).get(
            RPC_REQUESTS_TOTAL,
            &[
                ("service", "pyred.v1.Matchmaking"),
                ("method", "WatchAlerts"),
                ("code", code),
            ],
        )
    };
    assert_eq!(count("INTERNAL"), None, "not counted before the trailers");
    let mut body = std::pin::pin!(response.into_body());
    let mut frames = 0;
    while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        frame.expect("infallible");
        frames += 1;
    }
    assert_eq!(frames, 2);
    assert_eq!(count("INTERNAL"), Some(1.0));
    assert_eq!(count("OK"), None);
    assert_eq!(count("CANCELLED"), None, "not counted again on drop");
}
