//! Local sources: parsing the `SOURCE` argument, walking directories and zips in order,
//! and the per-document size limit, on real temporary files and archives.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use pyred_feed_sync::source::{Document, SourceError, SourceSpec};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

type TestResult = Result<(), Box<dyn Error>>;

const MAX: usize = 1024;

/// Writes `entries` (name, bytes) in this order, deflated; a name ending in `/` is a directory.
fn write_zip(path: &Path, entries: &[(&str, &[u8])]) -> TestResult {
    let mut zip = ZipWriter::new(fs::File::create(path)?);
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in entries {
        if name.ends_with('/') {
            zip.add_directory(*name, options)?;
        } else {
            zip.start_file(*name, options)?;
            zip.write_all(bytes)?;
        }
    }
    zip.finish()?;
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> TestResult {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, bytes)?;
    Ok(())
}

/// Each item as `Ok(name)` or `Err(message)`, documents checked to hold `name`'s bytes.
fn outline(
    items: impl Iterator<Item = Result<Document, SourceError>>,
) -> Vec<Result<String, String>> {
    items
        .map(|item| item.map(|doc| doc.name).map_err(|error| error.to_string()))
        .collect()
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn urls_and_schemes_are_told_apart() -> TestResult {
    assert_eq!(
        SourceSpec::parse("https://contrataciondelestado.es/sindicacion/x.atom")?,
        SourceSpec::Url("https://contrataciondelestado.es/sindicacion/x.atom".into())
    );
    assert_eq!(
        SourceSpec::parse("HTTP://127.0.0.1:8080/feed")?,
        SourceSpec::Url("HTTP://127.0.0.1:8080/feed".into())
    );
    let error = SourceSpec::parse("ftp://ted.europa.eu/feed.atom");
    match &error {
        Err(SourceError::UnsupportedScheme { scheme, .. }) => assert_eq!(scheme, "ftp"),
        other => return Err(format!("expected an unsupported scheme, got {other:?}").into()),
    }
    let message = error.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("\"ftp\""), "{message}");
    assert!(matches!(
        SourceSpec::parse("file:///tmp/feed.atom"),
        Err(SourceError::UnsupportedScheme { .. })
    ));
    assert!(matches!(SourceSpec::parse("  "), Err(SourceError::Empty)));
    let url = SourceSpec::parse("https://example.org/feed")?;
    assert!(url.is_url());
    assert!(matches!(
        url.local_documents(MAX),
        Err(SourceError::NotLocal { .. })
    ));
    Ok(())
}

#[test]
fn a_missing_path_is_named() -> TestResult {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("nowhere/feed.atom");
    match SourceSpec::parse(&display(&missing)) {
        Err(error @ SourceError::NotFound { .. }) => {
            assert!(error.to_string().contains(&display(&missing)), "{error}");
        }
        other => return Err(format!("expected not found, got {other:?}").into()),
    }
    Ok(())
}

#[test]
fn paths_are_classified_by_kind_extension_and_magic() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("page.atom");
    write(&file, b"<feed/>")?;
    let upper_zip = dir.path().join("ARCHIVE.ZIP");
    write_zip(&upper_zip, &[("a.atom", b"<feed/>")])?;
    let disguised = dir.path().join("download.bin");
    write_zip(&disguised, &[("a.atom", b"<feed/>")])?;

    assert_eq!(
        SourceSpec::parse(&display(&file))?,
        SourceSpec::File(file.clone())
    );
    assert_eq!(
        SourceSpec::parse(&display(dir.path()))?,
        SourceSpec::Dir(dir.path().into())
    );
    assert_eq!(
        SourceSpec::parse(&display(&upper_zip))?,
        SourceSpec::Zip(upper_zip.clone())
    );
    assert_eq!(
        SourceSpec::parse(&display(&disguised))?,
        SourceSpec::Zip(disguised.clone())
    );

    let docs: Vec<Document> = SourceSpec::File(file.clone())
        .local_documents(MAX)?
        .collect::<Result<_, _>>()?;
    assert_eq!(
        docs,
        [Document {
            name: display(&file),
            bytes: b"<feed/>".to_vec()
        }]
    );
    Ok(())
}

#[test]
fn a_directory_is_walked_recursively_in_path_order() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    // Created out of order, so the file system's own order cannot pass for sorting.
    write(&root.join("b/2.atom"), b"b2")?;
    write(&root.join("a.xml"), b"a")?;
    write(&root.join("notes.txt"), b"skipped")?;
    write(&root.join("b/1.ATOM"), b"b1")?;
    write(&root.join("b/._1.atom"), b"resource fork")?;
    write(&root.join("c/deep/er/0.atom"), b"deep")?;
    fs::create_dir_all(root.join("empty"))?;
    write_zip(
        &root.join("b/10.zip"),
        &[("z.atom", b"z"), ("m.xml", b"m"), ("readme.md", b"no")],
    )?;

    let items = SourceSpec::parse(&display(root))?.local_documents(MAX)?;
    let docs: Vec<Document> = items.collect::<Result<_, _>>()?;
    let names: Vec<&str> = docs.iter().map(|doc| doc.name.as_str()).collect();
    let zip = display(&root.join("b/10.zip"));
    let expected = [
        display(&root.join("a.xml")),
        display(&root.join("b/1.ATOM")),
        format!("{zip}!m.xml"),
        format!("{zip}!z.atom"),
        display(&root.join("b/2.atom")),
        display(&root.join("c/deep/er/0.atom")),
    ];
    assert_eq!(names, expected);
    let bytes: Vec<&[u8]> = docs.iter().map(|doc| doc.bytes.as_slice()).collect();
    assert_eq!(bytes, [&b"a"[..], b"b1", b"m", b"z", b"b2", b"deep"]);
    Ok(())
}

#[test]
fn a_zip_gives_its_document_entries_sorted_by_name() -> TestResult {
    let dir = tempfile::tempdir()?;
    let archive = dir
        .path()
        .join("licitacionesPerfilesContratanteCompleto3_202601.zip");
    write_zip(
        &archive,
        &[
            ("2026/", b""),
            ("2026/page_3.atom", b"p3"),
            ("__MACOSX/2026/._page_3.atom", b"junk"),
            ("2026/page_1.atom", b"p1"),
            ("index.html", b"no"),
            ("../escape.atom", b"label only"),
            ("2026/PAGE_2.XML", b"p2"),
        ],
    )?;
    let items = SourceSpec::parse(&display(&archive))?.local_documents(MAX)?;
    let docs: Vec<Document> = items.collect::<Result<_, _>>()?;
    let a = display(&archive);
    let names: Vec<String> = docs.iter().map(|doc| doc.name.clone()).collect();
    assert_eq!(
        names,
        [
            format!("{a}!../escape.atom"),
            format!("{a}!2026/PAGE_2.XML"),
            format!("{a}!2026/page_1.atom"),
            format!("{a}!2026/page_3.atom"),
        ]
    );
    assert_eq!(docs[2].bytes, b"p1");
    // Nothing was extracted next to the archive.
    let mut listing: Vec<PathBuf> = fs::read_dir(dir.path())?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    listing.sort();
    assert_eq!(listing, [archive]);
    Ok(())
}

#[test]
fn a_too_large_document_is_reported_alone() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    let big = vec![b'x'; MAX + 1];
    let exact = vec![b'y'; MAX];
    write_zip(
        &root.join("pages.zip"),
        &[("1.atom", b"one"), ("2.atom", &big), ("3.atom", &exact)],
    )?;
    write(&root.join("z-big.atom"), &big)?;
    write(&root.join("z-small.atom"), b"small")?;

    let items = outline(SourceSpec::parse(&display(root))?.local_documents(MAX)?);
    let zip = display(&root.join("pages.zip"));
    assert_eq!(
        items,
        [
            Ok(format!("{zip}!1.atom")),
            Err(format!("{zip}!2.atom is larger than the 1024-byte limit")),
            Ok(format!("{zip}!3.atom")),
            Err(format!(
                "{} is larger than the 1024-byte limit",
                display(&root.join("z-big.atom"))
            )),
            Ok(display(&root.join("z-small.atom"))),
        ]
    );
    Ok(())
}

#[test]
fn a_corrupt_zip_is_named() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    let corrupt = root.join("broken.zip");
    write(&corrupt, b"PK\x03\x04 this is not really an archive")?;
    write(&root.join("ok.atom"), b"ok")?;

    match SourceSpec::parse(&display(&corrupt))?.local_documents(MAX) {
        Err(error @ SourceError::CorruptZip { .. }) => {
            assert!(error.to_string().contains("broken.zip"), "{error}");
        }
        other => return Err(format!("expected a corrupt zip, got {other:?}").into()),
    }

    // Inside a directory, the broken archive is one failed item and the walk goes on.
    let items: Vec<_> = SourceSpec::parse(&display(root))?
        .local_documents(MAX)?
        .collect();
    assert_eq!(items.len(), 2);
    assert!(
        matches!(&items[0], Err(SourceError::CorruptZip { archive, .. }) if *archive == corrupt)
    );
    assert!(matches!(&items[1], Ok(doc) if doc.bytes == b"ok"));
    Ok(())
}

/// Rewrites the uncompressed size of `entry` in its local and central headers.
fn forge_uncompressed_size(archive: &Path, entry: &str, size: u32) -> TestResult {
    let mut bytes = fs::read(archive)?;
    let mut patched = 0;
    // (signature, offset of the uncompressed size, offset of the name) for each header kind.
    for (signature, size_at, name_at) in [(b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)] {
        let mut at = 0;
        while let Some(found) = bytes[at..].windows(4).position(|w| w == signature) {
            let start = at + found;
            let name = bytes.get(start + name_at..start + name_at + entry.len());
            if name == Some(entry.as_bytes()) {
                bytes[start + size_at..start + size_at + 4].copy_from_slice(&size.to_le_bytes());
                patched += 1;
            }
            at = start + 4;
        }
    }
    if patched != 2 {
        return Err(format!("patched {patched} headers of {entry}, expected 2").into());
    }
    fs::write(archive, bytes)?;
    Ok(())
}

#[test]
fn a_zip_entry_whose_header_understates_its_size_is_stopped_at_the_limit() -> TestResult {
    let dir = tempfile::tempdir()?;
    let archive = dir.path().join("lying.zip");
    // 100 KiB of one byte deflate to a few hundred bytes: a small bomb with a small header.
    let bomb = vec![b'a'; 100 * 1024];
    write_zip(
        &archive,
        &[
            ("a.atom", b"first"),
            ("bomb.atom", &bomb),
            ("c.atom", b"last"),
        ],
    )?;
    forge_uncompressed_size(&archive, "bomb.atom", 10)?;

    let items = outline(SourceSpec::parse(&display(&archive))?.local_documents(MAX)?);
    let a = display(&archive);
    assert_eq!(
        items,
        [
            Ok(format!("{a}!a.atom")),
            Err(format!("{a}!bomb.atom is larger than the 1024-byte limit")),
            Ok(format!("{a}!c.atom")),
        ]
    );
    Ok(())
}
