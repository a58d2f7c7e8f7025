//! Real PLACSP pages through `pyred-feed-sync` into a running stack (registry over gRPC
//! on loopback): what is ours is stored with its tender fields, the rest is counted,
//! tombstones withdraw, the twice-published folder ends in its newer state whatever the
//! order of its two pages, and replaying everything changes nothing.
//!
//! The files are the real samples of `libs/feeds/tests/data` (PROVENANCE.md there).
//! Where a test needs a real record inside the territory that the samples do not hold,
//! it relocates a real one by rewriting its NUTS code only, and says so.

use std::path::{Path, PathBuf};

use pyred_e2e::registry_last_seq;
use pyred_e2e::spawn_stack;
use pyred_feed_sync::source::SourceSpec;
use pyred_feed_sync::sync::{Format, Summary, SyncConfig, Syncer};
use pyred_proto::v1::{self as pb, company_registry_client::CompanyRegistryClient};
use pyred_runtime::client::ServiceChannel;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../libs/feeds/tests/data");

fn data(path: &str) -> PathBuf {
    Path::new(DATA).join(path)
}

fn syncer(channel: ServiceChannel, source: &str) -> Syncer {
    let mut config = SyncConfig::new(Format::Placsp);
    config.source = source.to_owned();
    Syncer::new(channel, config)
}

async fn sync_path(syncer: &Syncer, path: &Path) -> Summary {
    let spec = SourceSpec::parse(&path.display().to_string()).expect("source");
    syncer.sync_local(&spec).await.expect("sync runs")
}

async fn get(registry: &mut CompanyRegistryClient<ServiceChannel>, id: &str) -> pb::Opportunity {
    registry
        .get_opportunity(pb::GetOpportunityRequest { id: id.to_owned() })
        .await
        .unwrap_or_else(|status| panic!("{id}: {status}"))
        .into_inner()
}

async fn listings_of(
    registry: &mut CompanyRegistryClient<ServiceChannel>,
    source: &str,
) -> Vec<pb::Opportunity> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = registry
            .list_opportunities(pb::ListOpportunitiesRequest {
                source: source.to_owned(),
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token,
                }),
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner();
        all.extend(page.opportunities);
        if page.next_page_token.is_empty() {
            return all;
        }
        token = page.next_page_token;
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_pages_import_what_is_ours_and_replays_change_nothing() {
    let test = spawn_stack().await;
    let channel = test.channel(&test.stack.addresses.registry);
    let mut registry = CompanyRegistryClient::new(channel.clone());
    let placsp = syncer(channel.clone(), "placsp");

    // Every raw page and entry of the samples, as a directory.
    let first = sync_path(&placsp, &data("placsp")).await;
    assert_eq!(first.failed_documents, 0, "{:?}", first.rejects);
    assert_eq!(first.rejected, 0, "{:?}", first.rejects);
    assert_eq!(
        first.stored.created, 1,
        "only the Zaragoza entry is ours: {first:?}"
    );
    assert_eq!(first.out_of_territory + first.stored.created, first.entries);
    assert!(first.entries >= 30, "{first:?}");
    assert!(first.tombstones >= 4, "{first:?}");
    let zaragoza = get(&mut registry, "placsp-0365170-17").await;
    assert_eq!(zaragoza.source, "placsp");
    assert_eq!(
        zaragoza.status,
        pb::OpportunityStatus::Fulfilled as i32,
        "ADJ"
    );
    assert_eq!(zaragoza.tender_stage, pb::TenderStage::Awarded as i32);
    assert_eq!(zaragoza.cpv, ["34100000"]);
    assert_eq!(
        zaragoza.buyer.as_ref().map(|b| b.name.as_str()),
        Some("Consejero de Servicios Públicos y Personal del Ayuntamiento de Zaragoza")
    );
    assert!(zaragoza.official_url.ends_with("expediente=0365170-17"));
    assert_eq!(
        zaragoza.location.as_ref().map(|l| l.place_name.as_str()),
        Some("Zaragoza")
    );
    assert!(zaragoza.location_approximate);

    // Everything again, and again as a zip: nothing moves.
    let head = registry_last_seq(&mut registry).await;
    let replay = sync_path(&placsp, &data("placsp")).await;
    assert_eq!(
        (
            replay.stored.created,
            replay.stored.updated,
            replay.stored.withdrawn
        ),
        (0, 0, 0)
    );
    assert_eq!(replay.stored.unchanged, 1 + replay.tombstones, "{replay:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    let zip_path = dir.path().join("2026-11.zip");
    {
        let file = std::fs::File::create(&zip_path).expect("zip file");
        let mut zip = zip::ZipWriter::new(file);
        for entry in std::fs::read_dir(data("placsp")).expect("dir") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned();
            if !(name.ends_with(".atom") || name.ends_with(".xml")) {
                continue;
            }
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .expect("zip entry");
            std::io::Write::write_all(&mut zip, &std::fs::read(&path).expect("read"))
                .expect("zip write");
        }
        zip.finish().expect("zip");
    }
    let zipped = sync_path(&placsp, &zip_path).await;
    assert_eq!(
        zipped.entries, replay.entries,
        "the same pages as the directory"
    );
    assert_eq!(
        (
            zipped.stored.created,
            zipped.stored.updated,
            zipped.stored.withdrawn
        ),
        (0, 0, 0)
    );
    assert_eq!(
        registry_last_seq(&mut registry).await,
        head,
        "no feed movement on replays"
    );

    // The directory held the real 2026 tombstone of …/19163035, whose entry is not in
    // the samples: it is kept. A real entry relocated under that id and older than the
    // tombstone (the Zaragoza entry, 2018) then arrives: it is stored withdrawn, with
    // the tombstone's reason, as if the pages had come in the feed's order.
    let tombstone = std::fs::read_to_string(data("placsp/sample-06-tombstone.xml")).expect("read");
    let when = attribute(&tombstone, "when");
    let reference = attribute(&tombstone, "ref");
    assert!(
        when.as_str() > "2018-01-24",
        "the tombstone is newer than the entry"
    );
    let entry = std::fs::read_to_string(data("placsp/zaragoza_ayto_codice_entry_0365170-17.xml"))
        .expect("read")
        .replace(
            "https://agregacion.contrataciondelsectorpublico.gob.es/coleccion/licitaciones/401/entry/0365170-17",
            &reference,
        )
        .replace(">ADJ<", ">PUB<");
    let late = sync_path(&placsp, &write(dir.path(), "entry.xml", entry.as_bytes())).await;
    assert_eq!(late.stored.created, 1, "{late:?}");
    let record = get(&mut registry, "placsp-19163035").await;
    assert_eq!(record.status, pb::OpportunityStatus::Withdrawn as i32);
    assert_eq!(record.withdrawal_reason, "ANULADA");
    // A version newer than the tombstone opens it again; the tombstone replayed after
    // it changes nothing.
    let reopened = entry
        .replace("2018-01-24T09:59:55+01:00", "2027-01-04T10:00:00+01:00")
        .replace("<cbc:EndDate>2017-07-10<", "<cbc:EndDate>2099-07-10<");
    let newer = sync_path(
        &placsp,
        &write(dir.path(), "entry-2027.xml", reopened.as_bytes()),
    )
    .await;
    assert_eq!(newer.stored.updated, 1, "{newer:?}");
    assert_eq!(
        get(&mut registry, "placsp-19163035").await.status,
        pb::OpportunityStatus::Published as i32
    );
    let again = sync_path(&placsp, &data("placsp/sample-06-tombstone.xml")).await;
    assert_eq!(
        (again.stored.unchanged, again.stored.withdrawn),
        (1, 0),
        "{again:?}"
    );
    let record = get(&mut registry, "placsp-19163035").await;
    assert_eq!(record.status, pb::OpportunityStatus::Published as i32);
    assert_eq!(record.withdrawal_reason, "");
}

fn attribute(xml: &str, name: &str) -> String {
    let key = format!("{name}=\"");
    let start = xml.find(&key).map(|i| i + key.len()).expect("attribute");
    let end = xml[start..].find('"').expect("closing quote") + start;
    xml[start..end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_twice_published_folder_ends_in_its_newer_state_whatever_the_order() {
    let test = spawn_stack().await;
    let channel = test.channel(&test.stack.addresses.registry);
    let registry = CompanyRegistryClient::new(channel.clone());
    // The real pair: the same atom id …/20283724 (folder 905451/26), updated on
    // 2026-09-17 then 2026-09-21. It is in Barcelona (ES511): relocated to Zaragoza by
    // rewriting its NUTS code only. Each is a bare entry without namespace
    // declarations, as cut from the feed: wrapped in the feed's element.
    let dir = tempfile::tempdir().expect("temp dir");
    let wrap = |name: &str| {
        let entry = std::fs::read_to_string(data(&format!("placsp/{name}")))
            .expect("read")
            .replace(">ES511<", ">ES243<");
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:cac-place-ext=\"urn:dgpe:names:draft:codice-place-ext:schema:xsd:CommonAggregateComponents-2\" xmlns:cbc-place-ext=\"urn:dgpe:names:draft:codice-place-ext:schema:xsd:CommonBasicComponents-2\" xmlns:cac=\"urn:dgpe:names:draft:codice:schema:xsd:CommonAggregateComponents-2\" xmlns:cbc=\"urn:dgpe:names:draft:codice:schema:xsd:CommonBasicComponents-2\"><id>x</id><title>x</title><updated>2026-09-22T00:00:00Z</updated>{entry}</feed>"
        )
    };
    let older = write(
        dir.path(),
        "older.atom",
        wrap("01_amb_correction_placsp-001.xml.fragment").as_bytes(),
    );
    let newer = write(
        dir.path(),
        "newer.atom",
        wrap("01_amb_correction_placsp-002.xml.fragment").as_bytes(),
    );

    let mut ends = Vec::new();
    for order in [[&older, &newer], [&newer, &older]] {
        // A fresh stack per order: the same registry would see the second order as a replay.
        let stack = if ends.is_empty() {
            None
        } else {
            Some(spawn_stack().await)
        };
        let (channel, mut registry) = match &stack {
            Some(other) => {
                let channel = other.channel(&other.stack.addresses.registry);
                (channel.clone(), CompanyRegistryClient::new(channel))
            }
            None => (channel.clone(), registry.clone()),
        };
        let syncer = syncer(channel, "placsp");
        for page in order {
            let summary = sync_path(&syncer, page).await;
            assert_eq!(summary.rejected, 0, "{:?}", summary.rejects);
        }
        let stored = listings_of(&mut registry, "placsp").await;
        assert_eq!(stored.len(), 1, "one listing per folder: {stored:?}");
        ends.push(stored.into_iter().next().expect("one"));
    }
    let (a, b) = (&ends[0], &ends[1]);
    // 2026-09-21T22:00:26.651+02:00, the newer entry's `updated`.
    assert_eq!(a.source_version, 1_790_020_826_651);
    assert_eq!(b.source_version, a.source_version);
    for field in [
        (a.title.as_str(), b.title.as_str()),
        (a.description.as_str(), b.description.as_str()),
        (a.official_url.as_str(), b.official_url.as_str()),
    ] {
        assert_eq!(field.0, field.1);
    }
    assert_eq!(a.cpv, b.cpv);
    assert_eq!(a.status, b.status);
    assert_eq!(a.tender_stage, b.tender_stage);
    assert!(
        a.official_url.ends_with("/300888482"),
        "the newer link: {}",
        a.official_url
    );
}
