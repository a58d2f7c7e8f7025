//! Where feed documents come from: the `SOURCE` argument of `pyred sync placsp|ted`.
//!
//! [`SourceSpec::parse`] turns the command-line string into a URL (fetched page by page by
//! the sync loop through [`crate::fetch`]) or a local path: a single file, a directory, or a
//! `.zip` archive such as the PLACSP monthly archives, which hold several `.atom` pages.
//!
//! [`SourceSpec::local_documents`] enumerates the local documents in a deterministic order
//! and reads them lazily, one at a time, so memory stays bounded by the largest accepted
//! document:
//!
//! - a directory gives its files recursively, sorted by path, keeping `.atom`, `.xml` and
//!   `.zip` files; the entries of each `.zip` are expanded in place;
//! - a zip gives its entries sorted by name, keeping `.atom` and `.xml` entries and skipping
//!   directories, `__MACOSX/` and `._*` resource forks. Entries are read into memory, never
//!   extracted to disk, so a name such as `../x.atom` is only a label and is harmless.
//!
//! A document over the `max_bytes` limit, an unreadable file or a corrupt nested archive is
//! an error for that item only: the iterator goes on with the next one, and the caller
//! counts the failure. The size is checked from the file metadata or the zip header before
//! reading, and again while reading, since zip headers can lie.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use zip::ZipArchive;
use zip::result::ZipError;

/// The first bytes of a zip file that holds at least one entry.
const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// Extensions (lowercase, without the dot) of the documents the parsers read.
const DOCUMENT_EXTENSIONS: [&str; 2] = ["atom", "xml"];

/// Why a source could not be opened, or one of its documents could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The source string is empty.
    #[error("empty source: give a file, a directory, a .zip or an https:// url")]
    Empty,
    /// The source is a URL whose scheme is neither `http` nor `https`.
    #[error(
        "unsupported scheme {scheme:?} in source {input:?}: only http:// and https:// urls are fetched"
    )]
    UnsupportedScheme {
        /// The source as given.
        input: String,
        /// The scheme found before `://`.
        scheme: String,
    },
    /// The path does not exist.
    #[error("source {} does not exist", path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The path exists but is neither a regular file nor a directory.
    #[error("source {} is neither a file nor a directory", path.display())]
    NotAFile {
        /// The path as given.
        path: PathBuf,
    },
    /// A URL source was asked for local documents.
    #[error("source {url} is a url: it is fetched, not read from disk")]
    NotLocal {
        /// The URL.
        url: String,
    },
    /// A file, a directory or a zip entry could not be read.
    #[error("cannot read {name}: {source}")]
    Read {
        /// The path, or `archive.zip!entry`.
        name: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A document is larger than the limit; it was not read (or not read past the limit).
    #[error("{name} is larger than the {max_bytes}-byte limit")]
    TooLarge {
        /// The path, or `archive.zip!entry`.
        name: String,
        /// The limit in force.
        max_bytes: usize,
    },
    /// A zip archive is corrupt or uses an unsupported feature.
    #[error("{} is not a readable zip archive: {source}", archive.display())]
    CorruptZip {
        /// The archive path.
        archive: PathBuf,
        /// The underlying error.
        #[source]
        source: ZipError,
    },
    /// One entry of a zip archive cannot be opened (encrypted, unsupported compression…).
    #[error("cannot open {name}: {source}")]
    ZipEntry {
        /// `archive.zip!entry`.
        name: String,
        /// The underlying error.
        #[source]
        source: ZipError,
    },
}

/// The `SOURCE` argument, parsed: a URL, or a local file, directory or zip archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// An `http://` or `https://` URL, as given.
    Url(String),
    /// A single local file, read as one document whatever its extension.
    File(PathBuf),
    /// A directory, walked recursively.
    Dir(PathBuf),
    /// A zip archive (by its `.zip` extension or its magic bytes).
    Zip(PathBuf),
}

impl SourceSpec {
    /// Parses the command-line string: a URL when it starts with `http://` or `https://`
    /// (any case), an error for any other `scheme://`, else a path that must exist.
    pub fn parse(input: &str) -> Result<SourceSpec, SourceError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(SourceError::Empty);
        }
        if let Some(scheme) = url_scheme(trimmed) {
            return if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
                Ok(SourceSpec::Url(trimmed.to_owned()))
            } else {
                Err(SourceError::UnsupportedScheme {
                    input: input.to_owned(),
                    scheme: scheme.to_owned(),
                })
            };
        }
        // A path is taken as given: file names may legitimately start or end with spaces.
        let path = PathBuf::from(input);
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(SourceError::NotFound { path });
            }
            Err(source) => {
                return Err(SourceError::Read {
                    name: path.display().to_string(),
                    source,
                });
            }
        };
        if metadata.is_dir() {
            Ok(SourceSpec::Dir(path))
        } else if !metadata.is_file() {
            Err(SourceError::NotAFile { path })
        } else if has_extension(&path, "zip") || starts_with_zip_magic(&path)? {
            Ok(SourceSpec::Zip(path))
        } else {
            Ok(SourceSpec::File(path))
        }
    }

    /// Whether this source is fetched over HTTP rather than read from disk.
    pub fn is_url(&self) -> bool {
        matches!(self, SourceSpec::Url(_))
    }

    /// The local documents of a file, directory or zip, in order, each at most `max_bytes`.
    ///
    /// Errors here are about the source as a whole (an unreadable directory, a corrupt
    /// top-level zip, a URL); errors yielded by the iterator are about one document.
    pub fn local_documents(&self, max_bytes: usize) -> Result<LocalDocuments, SourceError> {
        let (pending, archive) = match self {
            SourceSpec::Url(url) => return Err(SourceError::NotLocal { url: url.clone() }),
            SourceSpec::File(path) => (vec![Pending::File(path.clone())], None),
            SourceSpec::Zip(path) => (Vec::new(), Some(OpenArchive::open(path)?)),
            SourceSpec::Dir(path) => {
                let mut found = Vec::new();
                walk(path, &mut found)?;
                found.sort();
                let pending = found
                    .into_iter()
                    .map(|path| {
                        if has_extension(&path, "zip") {
                            Pending::Zip(path)
                        } else {
                            Pending::File(path)
                        }
                    })
                    .collect();
                (pending, None)
            }
        };
        Ok(LocalDocuments {
            max_bytes,
            pending: pending.into_iter(),
            archive,
        })
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Url(url) => f.write_str(url),
            SourceSpec::File(path) | SourceSpec::Dir(path) | SourceSpec::Zip(path) => {
                write!(f, "{}", path.display())
            }
        }
    }
}

impl std::str::FromStr for SourceSpec {
    type Err = SourceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        SourceSpec::parse(input)
    }
}

/// One document read into memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The path, or `archive.zip!entry/name.atom` for a zip entry: for messages and logs.
    pub name: String,
    /// The whole document, at most the `max_bytes` limit.
    pub bytes: Vec<u8>,
}

/// The local documents of a source, read one at a time (see [`SourceSpec::local_documents`]).
///
/// Each item is a document or the error for that document alone; iteration goes on after
/// an error.
pub struct LocalDocuments {
    max_bytes: usize,
    pending: std::vec::IntoIter<Pending>,
    archive: Option<OpenArchive>,
}

impl fmt::Debug for LocalDocuments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalDocuments")
            .field("max_bytes", &self.max_bytes)
            .field("pending", &self.pending.len())
            .field("archive", &self.archive.as_ref().map(|a| &a.path))
            .finish()
    }
}

impl Iterator for LocalDocuments {
    type Item = Result<Document, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(archive) = &mut self.archive {
                if let Some(entry) = archive.entries.next() {
                    return Some(archive.read_entry(entry, self.max_bytes));
                }
                self.archive = None;
            }
            match self.pending.next()? {
                Pending::File(path) => return Some(read_file(&path, self.max_bytes)),
                Pending::Zip(path) => match OpenArchive::open(&path) {
                    Ok(archive) => self.archive = Some(archive),
                    Err(error) => return Some(Err(error)),
                },
            }
        }
    }
}

/// A path still to read, in order.
enum Pending {
    File(PathBuf),
    Zip(PathBuf),
}

/// A zip archive being read: its kept entries, sorted by name, still to read.
struct OpenArchive {
    path: PathBuf,
    zip: ZipArchive<BufReader<File>>,
    entries: std::vec::IntoIter<(String, usize)>,
}

impl OpenArchive {
    /// Opens the archive and lists its document entries (reads the central directory only).
    fn open(path: &Path) -> Result<OpenArchive, SourceError> {
        let file = File::open(path).map_err(|source| SourceError::Read {
            name: path.display().to_string(),
            source,
        })?;
        // Even an I/O error here (a truncated file) means the archive is unusable.
        let zip =
            ZipArchive::new(BufReader::new(file)).map_err(|source| SourceError::CorruptZip {
                archive: path.to_path_buf(),
                source,
            })?;
        let mut entries: Vec<(String, usize)> = (0..zip.len())
            .filter_map(|index| {
                let name = zip.name_for_index(index)?;
                is_document_entry(name).then(|| (name.to_owned(), index))
            })
            .collect();
        entries.sort();
        Ok(OpenArchive {
            path: path.to_path_buf(),
            zip,
            entries: entries.into_iter(),
        })
    }

    /// Reads one entry into memory, refusing it past `max_bytes` whatever its header says.
    fn read_entry(
        &mut self,
        (entry_name, index): (String, usize),
        max_bytes: usize,
    ) -> Result<Document, SourceError> {
        let name = format!("{}!{entry_name}", self.path.display());
        let entry = match self.zip.by_index(index) {
            Ok(entry) => entry,
            Err(source) => return Err(SourceError::ZipEntry { name, source }),
        };
        let declared = entry.size();
        if declared > max_bytes as u64 {
            return Err(SourceError::TooLarge { name, max_bytes });
        }
        let capacity = usize::try_from(declared)
            .unwrap_or(max_bytes)
            .min(max_bytes);
        read_bounded(entry, name, capacity, max_bytes)
    }
}

/// Reads a whole file, refusing it from its metadata length, or past `max_bytes` if it grew.
fn read_file(path: &Path, max_bytes: usize) -> Result<Document, SourceError> {
    let name = path.display().to_string();
    let file = match File::open(path) {
        Ok(file) => file,
        Err(source) => return Err(SourceError::Read { name, source }),
    };
    let length = match file.metadata() {
        Ok(metadata) => metadata.len(),
        Err(source) => return Err(SourceError::Read { name, source }),
    };
    if length > max_bytes as u64 {
        return Err(SourceError::TooLarge { name, max_bytes });
    }
    let capacity = usize::try_from(length).unwrap_or(max_bytes).min(max_bytes);
    read_bounded(file, name, capacity, max_bytes)
}

/// Reads at most `max_bytes + 1` bytes: one byte more than the limit proves it is exceeded.
fn read_bounded(
    reader: impl Read,
    name: String,
    capacity: usize,
    max_bytes: usize,
) -> Result<Document, SourceError> {
    let limit = (max_bytes as u64).saturating_add(1);
    let mut bytes = Vec::with_capacity(capacity);
    if let Err(source) = reader.take(limit).read_to_end(&mut bytes) {
        return Err(SourceError::Read { name, source });
    }
    if bytes.len() > max_bytes {
        return Err(SourceError::TooLarge { name, max_bytes });
    }
    Ok(Document { name, bytes })
}

/// Collects the document and zip files under `dir`, recursively (order fixed later).
///
/// Symbolic links to files are followed; links to directories are not, so a link loop
/// cannot make the walk endless.
fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let read_error = |source| SourceError::Read {
        name: dir.display().to_string(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(read_error)?;
        if file_type.is_dir() {
            walk(&path, found)?;
            continue;
        }
        let is_file = file_type.is_file()
            || (file_type.is_symlink() && std::fs::metadata(&path).is_ok_and(|m| m.is_file()));
        if is_file && is_kept_file(&path) {
            found.push(path);
        }
    }
    Ok(())
}

/// Whether a file found in a directory is read: a document or a zip, not a resource fork.
fn is_kept_file(path: &Path) -> bool {
    let resource_fork = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with("._"));
    !resource_fork
        && (has_extension(path, "zip")
            || DOCUMENT_EXTENSIONS
                .iter()
                .any(|extension| has_extension(path, extension)))
}

/// Whether a zip entry is a document: not a directory, not macOS metadata, `.atom`/`.xml`.
fn is_document_entry(name: &str) -> bool {
    if name.ends_with('/') || name.starts_with("__MACOSX/") || name.contains("/__MACOSX/") {
        return false;
    }
    let file_name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if file_name.starts_with("._") {
        return false;
    }
    match file_name.rsplit_once('.') {
        Some((stem, extension)) => {
            !stem.is_empty()
                && DOCUMENT_EXTENSIONS
                    .iter()
                    .any(|kept| extension.eq_ignore_ascii_case(kept))
        }
        None => false,
    }
}

/// Whether the path ends with `.extension`, ignoring case.
fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension()
        .and_then(|found| found.to_str())
        .is_some_and(|found| found.eq_ignore_ascii_case(extension))
}

/// Whether the file starts with the zip local-header signature.
fn starts_with_zip_magic(path: &Path) -> Result<bool, SourceError> {
    let read_error = |source| SourceError::Read {
        name: path.display().to_string(),
        source,
    };
    let file = File::open(path).map_err(read_error)?;
    let mut head = Vec::with_capacity(ZIP_MAGIC.len());
    file.take(ZIP_MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(read_error)?;
    Ok(head == ZIP_MAGIC)
}

/// The scheme of `scheme://…` (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn url_scheme(input: &str) -> Option<&str> {
    let (scheme, _) = input.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_entries_are_filtered_by_name() {
        assert!(is_document_entry("2026/page_3.atom"));
        assert!(is_document_entry("PAGE.XML"));
        assert!(is_document_entry("../outside.atom"));
        assert!(!is_document_entry("2026/"));
        assert!(!is_document_entry("__MACOSX/2026/._page_3.atom"));
        assert!(!is_document_entry("2026/._page_3.atom"));
        assert!(!is_document_entry("readme.txt"));
        assert!(!is_document_entry(".atom"));
        assert!(!is_document_entry("atom"));
    }

    #[test]
    fn reading_stops_one_byte_past_the_limit() {
        // An endless reader: only the bound makes this return.
        let result = read_bounded(io::repeat(b'a'), "endless".to_owned(), 0, 16);
        assert!(matches!(
            result,
            Err(SourceError::TooLarge { max_bytes: 16, .. })
        ));
        let result = read_bounded(io::repeat(b'a').take(16), "exact".to_owned(), 16, 16);
        assert!(matches!(result, Ok(doc) if doc.bytes.len() == 16));
    }

    #[test]
    fn schemes_are_recognised_only_before_a_double_slash() {
        assert_eq!(url_scheme("https://x"), Some("https"));
        assert_eq!(url_scheme("ftp://x"), Some("ftp"));
        assert_eq!(url_scheme("./dir://x"), None);
        assert_eq!(url_scheme("C:\\feeds"), None);
        assert_eq!(url_scheme("://x"), None);
    }
}
