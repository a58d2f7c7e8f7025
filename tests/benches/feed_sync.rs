//! Feed ingestion cost, parse to searchable.
//!
//! ```sh
//! cargo bench -p pyred-e2e --bench feed_sync
//! PYRED_BENCH_FEED_ENTRIES=10000 cargo bench -p pyred-e2e --bench feed_sync
//! ```
//!
//! 1. Parse throughput of `pyred_feeds` on real-shaped data: a 500-entry PLACSP page
//!    built as `tests/feed_follower.rs` builds its pages (the header of the real
//!    `full-20-entries.atom`, the real Zaragoza entry as the template of every entry, only
//!    its atom id, folder id, `updated`, title, status `PUB` and deadline changed), alone
//!    and then with the territory check and the mapping to listings; the real 20-entry
//!    page as is; the real TED eForms notices of `libs/feeds/tests/data/ted/`. Each is
//!    repeated for at least 2 s.
//! 2. Parse + map + apply into an in-process stack (`pyred_e2e::spawn_stack`, TLS, admin
//!    key): `Syncer::sync_local` of a directory of pages of 500 distinct in-territory
//!    entries (`PYRED_BENCH_FEED_ENTRIES`, default 2,000), all new; the time until
//!    geo-search has indexed them all; the same directory again (a replay, all unchanged).
//! 3. Freshness: 10 times, after 1 s of quiet, one page with one new live entry whose
//!    title has a unique word is synced, and geo-search `Search` is polled every 10 ms
//!    until the hit appears (the registry's change feed is watched too, to split the time).
//!
//! Figures only: nothing is asserted about time. The outcome counts are checked, so a
//! figure never describes work that was not done.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pyred_domain::Gazetteer;
use pyred_feed_sync::mapping::{self, Mapped};
use pyred_feed_sync::source::SourceSpec;
use pyred_feed_sync::sync::{Format, Summary, SyncConfig, Syncer};
use pyred_feeds::{Limits, ParsedNotice, Territory};
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_proto::v1::{self as pb};
use pyred_runtime::client::ServiceChannel;

const PAGE_ENTRIES: usize = 500;
const MIN_TIME: Duration = Duration::from_secs(2);
const FRESHNESS_RUNS: usize = 10;
/// Quiet time before each freshness run.
const FRESHNESS_GAP: Duration = Duration::from_secs(1);
const PATIENCE: Duration = Duration::from_secs(300);

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../libs/feeds/tests/data");
const TEMPLATE_FOLDER: &str = "0365170-17";
const TEMPLATE_UPDATED: &str = "<updated>2018-01-24T09:59:55+01:00</updated>";
const TEMPLATE_STATUS: &str = ">ADJ</cbc-place-ext:ContractFolderStatusCode>";
const TEMPLATE_DEADLINE: &str = "<cbc:EndDate>2017-07-10</cbc:EndDate>";

fn data(path: &str) -> PathBuf {
    Path::new(DATA).join(path)
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("{open}"));
    let end = text[start..]
        .find(close)
        .unwrap_or_else(|| panic!("{close}"));
    &text[start..start + end + close.len()]
}

fn replace_exactly(text: &str, from: &str, to: &str, times: usize) -> String {
    assert_eq!(
        text.matches(from).count(),
        times,
        "{from:?} in the template"
    );
    text.replace(from, to)
}

/// The `updated` of generated entry `i`: 2018-01-03 from 10:00 (+01:00), 10 ms apart.
fn stamp(i: usize) -> String {
    let ms = 10 * 3_600_000 + i * 10;
    assert!(ms < 24 * 3_600_000, "too many entries for one day");
    let (h, m, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("2018-01-03T{h:02}:{m:02}:{s:02}.{f:03}+01:00")
}

/// The pieces of the real samples the pages are made of.
struct Template {
    /// `<?xml …?>`, the `<feed …>` start tag, its `<author>`, `<id>` and `<title>`.
    head: String,
    /// The Zaragoza entry without its XML declaration, and its title as written.
    entry: String,
    title: String,
    /// A deadline a year from today, so that the `PUB` entries are live.
    deadline: String,
}

impl Template {
    fn load() -> Template {
        let full = std::fs::read_to_string(data("placsp/full-20-entries.atom")).expect("sample");
        let header = &full[..full.find("<entry>").expect("entries")];
        let feed_at = header.find("<feed ").expect("feed element");
        let feed_end = feed_at + header[feed_at..].find('>').expect("feed tag end");
        let head = [
            &header[..=feed_end],
            between(header, "<author>", "</author>"),
            between(header, "<id>", "</id>"),
            between(header, "<title>", "</title>"),
        ]
        .join("\n    ");
        let zaragoza =
            std::fs::read_to_string(data("placsp/zaragoza_ayto_codice_entry_0365170-17.xml"))
                .expect("sample");
        let entry = zaragoza[zaragoza.find("<entry").expect("entry")..].to_owned();
        let title = between(&entry, "<title>", "</title>")
            .trim_start_matches("<title>")
            .trim_end_matches("</title>")
            .to_owned();
        let deadline = pyred_domain::Day::today()
            .plus_days(365)
            .expect("a day next year")
            .to_string();
        Template {
            head,
            entry,
            title,
            deadline,
        }
    }

    /// The template as the entry of `folder`, updated at `stamp(i)`, live (`PUB`, a
    /// deadline next year), with `note` appended to its title.
    fn entry(&self, folder: &str, i: usize, note: &str) -> String {
        let xml = replace_exactly(&self.entry, TEMPLATE_FOLDER, folder, 5);
        let updated = format!("<updated>{}</updated>", stamp(i));
        let xml = replace_exactly(&xml, TEMPLATE_UPDATED, &updated, 1);
        let title = format!("{} ({note})", self.title);
        let xml = replace_exactly(&xml, &self.title, &title, 2);
        let status = ">PUB</cbc-place-ext:ContractFolderStatusCode>";
        let xml = replace_exactly(&xml, TEMPLATE_STATUS, status, 1);
        let deadline = format!("<cbc:EndDate>{}</cbc:EndDate>", self.deadline);
        replace_exactly(&xml, TEMPLATE_DEADLINE, &deadline, 1)
    }

    /// A page of entries `(folder, i, note)`, newest first.
    fn page(&self, entries: &[(String, usize, String)]) -> Vec<u8> {
        let newest = entries.iter().map(|e| e.1).max().expect("entries");
        let mut out = format!(
            "{}\n    <link href=\"https://contrataciondelestado.es/sindicacion/bench.atom\" rel=\"self\"/>\n    <updated>{}</updated>",
            self.head,
            stamp(newest)
        );
        for (folder, i, note) in entries.iter().rev() {
            out.push_str("\n    ");
            out.push_str(&self.entry(folder, *i, note));
        }
        out.push_str("\n</feed>\n");
        out.into_bytes()
    }
}

fn folder(i: usize) -> String {
    format!("9{i:06}-26")
}

/// Runs `work` (which handles `items` items and `bytes` bytes) until `MIN_TIME` has passed.
fn repeat(items: usize, bytes: usize, mut work: impl FnMut()) -> (f64, f64) {
    work(); // warm up
    let started = Instant::now();
    let mut rounds = 0_usize;
    while rounds < 3 || started.elapsed() < MIN_TIME {
        work();
        rounds += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    (
        (rounds * items) as f64 / seconds,
        (rounds * bytes) as f64 / seconds / 1e6,
    )
}

fn mb(bytes: usize) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn thousands(value: f64) -> String {
    let digits = format!("{value:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

struct Table(Vec<[String; 3]>);

impl Table {
    fn row(&mut self, step: &str, work: String, figure: String) {
        self.0.push([step.to_owned(), work, figure]);
    }

    fn print(&self) {
        println!("| step | work | figure |");
        println!("|---|---|---|");
        for [step, work, figure] in &self.0 {
            println!("| {step} | {work} | {figure} |");
        }
    }
}

fn parse_figures(template: &Template, table: &mut Table) {
    let limits = Limits::default();
    let entries: Vec<_> = (0..PAGE_ENTRIES)
        .map(|i| (folder(i), i, format!("expediente {i}")))
        .collect();
    let page = template.page(&entries);
    let parsed = pyred_feeds::placsp::parse_page(&page, &limits).expect("page parses");
    assert_eq!(
        (parsed.notices.len(), parsed.rejected.len()),
        (PAGE_ENTRIES, 0)
    );
    let (per_s, mb_s) = repeat(PAGE_ENTRIES, page.len(), || {
        black_box(pyred_feeds::placsp::parse_page(black_box(&page), &limits).expect("parse"));
    });
    table.row(
        "parse PLACSP page, generated",
        format!("{PAGE_ENTRIES} entries, {}", mb(page.len())),
        format!("{} entries/s, {mb_s:.1} MB/s", thousands(per_s)),
    );

    let territory = Territory::default();
    let gazetteer = Gazetteer::embedded();
    let map_page = || {
        let parsed = pyred_feeds::placsp::parse_page(&page, &limits).expect("parse");
        parsed
            .notices
            .iter()
            .filter(|notice| territory.check(notice).is_some())
            .filter(|notice| matches!(mapping::listing(notice, gazetteer), Mapped::Listing { .. }))
            .count()
    };
    assert_eq!(map_page(), PAGE_ENTRIES, "every entry is ours and maps");
    let (per_s, _) = repeat(PAGE_ENTRIES, page.len(), || {
        black_box(map_page());
    });
    table.row(
        "parse + territory + map, generated",
        format!("{PAGE_ENTRIES} entries"),
        format!("{} entries/s", thousands(per_s)),
    );

    let real = std::fs::read(data("placsp/full-20-entries.atom")).expect("sample");
    let parsed = pyred_feeds::placsp::parse_page(&real, &limits).expect("real page parses");
    let count = parsed.notices.len() + parsed.rejected.len();
    let (per_s, mb_s) = repeat(count, real.len(), || {
        black_box(pyred_feeds::placsp::parse_page(black_box(&real), &limits).expect("parse"));
    });
    table.row(
        "parse PLACSP page, real `full-20-entries.atom`",
        format!(
            "{count} entries + {} tombstones, {}",
            parsed.tombstones.len(),
            mb(real.len())
        ),
        format!("{} entries/s, {mb_s:.1} MB/s", thousands(per_s)),
    );

    for (label, folders) in [
        (
            "parse TED eForms, real (`eforms-real-*`)",
            &["ted/eforms-real-es-fr", "ted/eforms-real-other"][..],
        ),
        (
            "parse TED eForms, converted by the OP (`eforms-converted-*`)",
            &["ted/eforms-converted-from-tedxml-es-fr"][..],
        ),
    ] {
        let mut notices = Vec::new();
        for dir in folders {
            for file in std::fs::read_dir(data(dir)).expect("ted folder") {
                notices.push(std::fs::read(file.expect("file").path()).expect("notice"));
            }
        }
        let read = notices
            .iter()
            .filter(|bytes| {
                matches!(
                    pyred_feeds::ted::parse_notice(bytes, &limits).expect("eForms parses"),
                    ParsedNotice::Notice(_)
                )
            })
            .count();
        let bytes: usize = notices.iter().map(Vec::len).sum();
        let (per_s, mb_s) = repeat(notices.len(), bytes, || {
            for notice in &notices {
                black_box(pyred_feeds::ted::parse_notice(black_box(notice), &limits).expect("p"));
            }
        });
        table.row(
            label,
            format!(
                "{} notices ({read} read, {} rejected), {}",
                notices.len(),
                notices.len() - read,
                mb(bytes)
            ),
            format!("{} notices/s, {mb_s:.1} MB/s", thousands(per_s)),
        );
    }
}

async fn sync(syncer: &Syncer, path: &Path) -> Summary {
    let spec = SourceSpec::parse(&path.display().to_string()).expect("source");
    let summary = syncer.sync_local(&spec).await.expect("sync runs");
    assert_eq!(
        (summary.failed_documents, summary.rejected),
        (0, 0),
        "{:?}",
        summary.rejects
    );
    summary
}

async fn registry_head(registry: &mut CompanyRegistryClient<ServiceChannel>) -> i64 {
    let mut stream = registry
        .watch_changes(pb::WatchChangesRequest {
            since_seq: 0,
            follow: false,
        })
        .await
        .expect("watch")
        .into_inner();
    let mut head = 0;
    while let Some(change) = stream.message().await.expect("stream") {
        head = head.max(change.seq);
    }
    head
}

async fn wait_indexed(geo: &mut GeoSearchClient<ServiceChannel>, seq: i64) {
    let started = Instant::now();
    loop {
        let status = geo
            .get_index_status(pb::GetIndexStatusRequest {})
            .await
            .expect("index status")
            .into_inner();
        if status.applied_seq >= seq {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "index stuck below {seq}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn found(geo: &mut GeoSearchClient<ServiceChannel>, word: &str, id: &str) -> bool {
    geo.search(pb::SearchRequest {
        query: word.to_owned(),
        filters: Some(pb::SearchFilters {
            entity: pb::EntityKind::Opportunity as i32,
            sources: vec!["placsp".to_owned()],
            ..Default::default()
        }),
        page: Some(pb::PageRequest {
            page_size: 20,
            page_token: String::new(),
        }),
        skip_snippets: true,
        ..Default::default()
    })
    .await
    .expect("search answers")
    .into_inner()
    .hits
    .iter()
    .any(|hit| hit.id == id)
}

fn median_max(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let n = times.len();
    let median = (times[(n - 1) / 2] + times[n / 2]).as_secs_f64() / 2.0;
    (median * 1e3, times[n - 1].as_secs_f64() * 1e3)
}

async fn stack_figures(template: &Template, n: usize, table: &mut Table) {
    let test = pyred_e2e::spawn_stack().await;
    let channel = test.channel(&test.stack.addresses.registry);
    let mut registry = CompanyRegistryClient::new(channel.clone());
    let mut geo = GeoSearchClient::new(test.channel(&test.stack.addresses.geo_search));
    let syncer = Syncer::new(channel, SyncConfig::new(Format::Placsp));
    let work = tempfile::tempdir().expect("temp dir");
    let pages_dir = work.path().join("pages");
    std::fs::create_dir(&pages_dir).expect("pages dir");
    let pages = n.div_ceil(PAGE_ENTRIES);
    for (k, chunk) in (0..n).collect::<Vec<_>>().chunks(PAGE_ENTRIES).enumerate() {
        let entries: Vec<_> = chunk
            .iter()
            .map(|&i| (folder(i), i, format!("expediente {i}")))
            .collect();
        std::fs::write(
            pages_dir.join(format!("page-{k:04}.atom")),
            template.page(&entries),
        )
        .expect("page written");
    }

    let started = Instant::now();
    let first = sync(&syncer, &pages_dir).await;
    let synced = started.elapsed();
    assert_eq!((first.entries, first.stored.created), (n as u64, n as u64));
    wait_indexed(&mut geo, registry_head(&mut registry).await).await;
    let indexed = started.elapsed();
    let work_label = format!("{n} entries, {pages} pages of ≤ {PAGE_ENTRIES}");
    table.row(
        "sync directory, all new (parse + map + `SyncListings`)",
        work_label.clone(),
        format!(
            "{} entries/s ({:.2} s)",
            thousands(n as f64 / synced.as_secs_f64()),
            synced.as_secs_f64()
        ),
    );
    table.row(
        "… until geo-search has indexed them all",
        work_label.clone(),
        format!(
            "{} entries/s ({:.2} s from the sync's start)",
            thousands(n as f64 / indexed.as_secs_f64()),
            indexed.as_secs_f64()
        ),
    );

    let started = Instant::now();
    let replay = sync(&syncer, &pages_dir).await;
    let replayed = started.elapsed();
    assert_eq!(
        (
            replay.stored.created,
            replay.stored.updated,
            replay.stored.unchanged
        ),
        (0, 0, n as u64)
    );
    table.row(
        "sync the same directory again (replay, all unchanged)",
        work_label,
        format!(
            "{} entries/s ({:.2} s)",
            thousands(n as f64 / replayed.as_secs_f64()),
            replayed.as_secs_f64()
        ),
    );

    // Every change of the registry's feed from here on, stamped as it arrives.
    let since_seq = registry_head(&mut registry).await;
    let mut feed = registry
        .watch_changes(pb::WatchChangesRequest {
            since_seq,
            follow: true,
        })
        .await
        .expect("watch")
        .into_inner();
    let (arrivals, mut arrived) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(async move {
        while let Ok(Some(change)) = feed.message().await {
            if arrivals.send((change.seq, Instant::now())).is_err() {
                return;
            }
        }
    });
    let mut calls = Vec::new();
    let mut fed = Vec::new();
    let mut visible = Vec::new();
    for run in 0..FRESHNESS_RUNS {
        let word = format!("pyredfresco{}", char::from(b'a' + run as u8));
        let i = n + run;
        let page = template.page(&[(format!("8{run:06}-26"), i, word.clone())]);
        let path = work.path().join(format!("fresh-{run}.atom"));
        std::fs::write(&path, page).expect("page written");
        let id = format!("placsp-8{run:06}-26");
        // An idle stack, as between two polls of a follower: geo-search commits at most
        // every 200 ms, so a change right after a commit would wait for the next one.
        tokio::time::sleep(FRESHNESS_GAP).await;
        while arrived.try_recv().is_ok() {} // changes of earlier runs
        let started = Instant::now();
        let summary = sync(&syncer, &path).await;
        calls.push(started.elapsed());
        assert_eq!(summary.stored.created, 1);
        while !found(&mut geo, &word, &id).await {
            assert!(started.elapsed() < PATIENCE, "{id} never searchable");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        visible.push(started.elapsed());
        let (_, at) = arrived.recv().await.expect("the change is on the feed");
        fed.push(at.duration_since(started));
    }
    watcher.abort();
    let (call_median, call_max) = median_max(calls);
    let (fed_median, fed_max) = median_max(fed);
    let (median, max) = median_max(visible);
    table.row(
        "freshness: sync call alone",
        format!("1 new entry, {FRESHNESS_RUNS} runs"),
        format!("median {call_median:.1} ms, max {call_max:.1} ms"),
    );
    table.row(
        "freshness: sync call start → change on the registry's feed (`WatchChanges`)",
        format!("1 new entry, {FRESHNESS_RUNS} runs"),
        format!("median {fed_median:.1} ms, max {fed_max:.1} ms"),
    );
    table.row(
        "freshness: sync call start → `Search` finds it (polled every 10 ms)",
        format!("1 new entry, {FRESHNESS_RUNS} runs"),
        format!("median {median:.1} ms, max {max:.1} ms"),
    );
    test.stack.stop().await.expect("stack stops");
}

fn main() {
    let n: usize = std::env::var("PYRED_BENCH_FEED_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    println!("feed ingestion benchmark, {cores} cores, {n} entries through the stack\n");
    let template = Template::load();
    let mut table = Table(Vec::new());
    parse_figures(&template, &mut table);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(stack_figures(&template, n, &mut table));
    table.print();
}
