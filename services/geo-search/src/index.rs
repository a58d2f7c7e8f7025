//! The on-disk index generations and the one being served.
//!
//! `index_dir` holds numbered generations (`gen-000001/`, …), each a complete tantivy
//! index, and a `CURRENT` file naming the one in service. A [`Generation`] carries its
//! own writer; every commit stores the registry sequence number of the last applied
//! change as the commit payload, so a restart resumes exactly there. After a commit the
//! reader is reloaded at once (manual reload policy), which is what makes a change
//! searchable well under a second.
//!
//! A rebuild fills a new generation in a fresh directory while searches keep using the
//! current one; [`IndexStore::install`] then writes `CURRENT` (temporary file, fsync,
//! rename, fsync of the directory) and swaps the in-memory pointer. The previous
//! generation's directory is removed when the last search using it ends. At start-up,
//! generations other than the current one (an interrupted rebuild) are removed, and a
//! generation whose schema differs from this build's is replaced by an empty one that
//! the feed refills from sequence 0.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use pyred_proto::v1 as pb;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::document::{DocumentBuilder, Operation};
use crate::schema::{self, Fields};

/// Name of the file naming the generation in service.
pub const CURRENT_FILE: &str = "CURRENT";
const GENERATION_PREFIX: &str = "gen-";
/// Memory of a generation's writer (one indexing thread).
const WRITER_MEMORY_BYTES: usize = 48_000_000;

/// Why the index could not be opened, written or read.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A file or directory of the index could not be created, read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// tantivy failed.
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// A commit payload is not a sequence number.
    #[error("corrupt commit payload {0:?}")]
    Payload(String),
    /// The generation no longer accepts writes (it was replaced).
    #[error("index generation {0} is closed")]
    Closed(u64),
    /// A directory meant for a new generation already holds an index of another schema.
    #[error("index generation {0} has another schema")]
    SchemaMismatch(u64),
    /// A lock protecting the writer was poisoned by a panic.
    #[error("index writer lock poisoned")]
    Poisoned,
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> IndexError + 'a {
    move |source| IndexError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// One complete tantivy index and the sequence number it reflects.
pub struct Generation {
    number: u64,
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter<TantivyDocument>>>,
    fields: Fields,
    builder: DocumentBuilder,
    applied_seq: AtomicI64,
    retired: AtomicBool,
    /// When this process last committed the generation, µs since the epoch (0: not yet).
    committed_at: AtomicI64,
}

impl std::fmt::Debug for Generation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generation")
            .field("number", &self.number)
            .field("dir", &self.dir)
            .field("applied_seq", &self.applied_seq())
            .finish_non_exhaustive()
    }
}

fn generation_name(number: u64) -> String {
    format!("{GENERATION_PREFIX}{number:06}")
}

fn generation_number(name: &str) -> Option<u64> {
    name.strip_prefix(GENERATION_PREFIX)?.parse().ok()
}

/// The sequence number stored in an index's last commit; 0 for a new index.
fn committed_seq(index: &Index) -> Result<i64, IndexError> {
    match index.load_metas()?.payload {
        None => Ok(0),
        Some(payload) => payload
            .trim()
            .parse()
            .map_err(|_| IndexError::Payload(payload.clone())),
    }
}

impl Generation {
    /// Opens (or creates) the generation `number` in `dir`. `Ok(None)` when an index is
    /// there but with another schema.
    fn open(number: u64, dir: PathBuf) -> Result<Option<Self>, IndexError> {
        std::fs::create_dir_all(&dir).map_err(io("cannot create", &dir))?;
        let (schema, fields) = schema::build();
        let directory =
            tantivy::directory::MmapDirectory::open(&dir).map_err(tantivy::TantivyError::from)?;
        let index = if Index::exists(&directory).map_err(tantivy::TantivyError::from)? {
            let index = Index::open(directory)?;
            if index.schema() != schema {
                return Ok(None);
            }
            index
        } else {
            Index::create(directory, schema, tantivy::IndexSettings::default())?
        };
        pyred_text::register_analyzers(index.tokenizers());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        let applied = committed_seq(&index)?;
        let glossary = pyred_text::Glossary::embedded().map_err(|error| {
            IndexError::Tantivy(tantivy::TantivyError::InternalError(error.to_string()))
        })?;
        let builder = DocumentBuilder::new(
            fields.clone(),
            glossary,
            pyred_domain::Gazetteer::embedded(),
        );
        Ok(Some(Self {
            number,
            dir,
            index,
            reader,
            writer: Mutex::new(Some(writer)),
            fields,
            builder,
            applied_seq: AtomicI64::new(applied),
            committed_at: AtomicI64::new(0),
            retired: AtomicBool::new(false),
        }))
    }

    /// The generation's number (`gen-000003` → 3).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The field handles.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The tantivy index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// A searcher on the last commit.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// The sequence number of the last committed and searchable change.
    pub fn applied_seq(&self) -> i64 {
        self.applied_seq.load(Ordering::Acquire)
    }

    /// Number of searchable documents.
    pub fn documents(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// When this process last committed the generation.
    pub fn committed_at(&self) -> Option<std::time::SystemTime> {
        let micros = self.committed_at.load(Ordering::Acquire);
        (micros > 0).then(|| {
            std::time::UNIX_EPOCH
                + std::time::Duration::from_micros(u64::try_from(micros).unwrap_or(0))
        })
    }

    fn writer(&self) -> Result<MutexGuard<'_, Option<IndexWriter<TantivyDocument>>>, IndexError> {
        self.writer.lock().map_err(|_| IndexError::Poisoned)
    }

    /// Adds the operations of `changes` to the writer, uncommitted.
    pub fn apply(&self, changes: &[pb::Change]) -> Result<(), IndexError> {
        let guard = self.writer()?;
        let writer = guard.as_ref().ok_or(IndexError::Closed(self.number))?;
        for change in changes {
            match self.builder.operation(change) {
                Some(Operation::Upsert { key, document }) => {
                    writer.delete_term(Term::from_field_text(self.fields.key, &key));
                    writer.add_document(*document)?;
                }
                Some(Operation::Delete { key }) => {
                    writer.delete_term(Term::from_field_text(self.fields.key, &key));
                }
                None => {
                    tracing::warn!(seq = change.seq, "change names no record; skipped");
                }
            }
        }
        Ok(())
    }

    /// Commits what was applied with `seq` as the payload, then makes it searchable.
    pub fn commit(&self, seq: i64) -> Result<(), IndexError> {
        {
            let mut guard = self.writer()?;
            let writer = guard.as_mut().ok_or(IndexError::Closed(self.number))?;
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&seq.to_string());
            prepared.commit()?;
        }
        self.reader.reload()?;
        self.applied_seq.store(seq, Ordering::Release);
        self.committed_at
            .store(pyred_runtime::db::now_micros(), Ordering::Release);
        Ok(())
    }

    /// Drops what was applied since the last commit (after a failed commit, so that the
    /// feed can resume cleanly from the committed sequence number).
    pub fn rollback(&self) {
        let Ok(mut guard) = self.writer.lock() else {
            return;
        };
        if let Some(writer) = guard.as_mut()
            && let Err(error) = writer.rollback()
        {
            tracing::error!(generation = self.number, %error, "index rollback failed");
        }
    }

    /// Stops the writer and its merges; the generation stays searchable.
    fn close(&self) {
        let writer = match self.writer.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(writer) = writer
            && let Err(error) = writer.wait_merging_threads()
        {
            tracing::warn!(generation = self.number, %error, "merge threads ended with an error");
        }
    }

    /// Marks the generation for removal once nothing uses it any more.
    fn retire(&self) {
        self.close();
        self.retired.store(true, Ordering::Release);
    }
}

impl Drop for Generation {
    fn drop(&mut self) {
        if self.retired.load(Ordering::Acquire) {
            if let Err(error) = std::fs::remove_dir_all(&self.dir) {
                tracing::warn!(dir = %self.dir.display(), %error, "cannot remove a replaced index generation");
            } else {
                tracing::info!(dir = %self.dir.display(), "replaced index generation removed");
            }
        }
    }
}

/// The index generations of `index_dir` and the one in service.
pub struct IndexStore {
    root: PathBuf,
    current: ArcSwap<Generation>,
    registry_seq: AtomicI64,
    rebuilding: AtomicBool,
    rebuild_seq: AtomicI64,
    install_lock: Mutex<()>,
}

impl std::fmt::Debug for IndexStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexStore")
            .field("root", &self.root)
            .field("current", &self.current.load().number)
            .finish_non_exhaustive()
    }
}

impl IndexStore {
    /// Opens the generation `CURRENT` names in `root` (creating a first one), and removes
    /// any other generation directory.
    pub fn open(root: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(root).map_err(io("cannot create", root))?;
        let named = match std::fs::read_to_string(root.join(CURRENT_FILE)) {
            Ok(text) => generation_number(text.trim()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(io("cannot read", &root.join(CURRENT_FILE))(error)),
        };
        let existing = Self::generation_numbers(root)?;
        let next = existing.iter().copied().max().unwrap_or(0) + 1;
        let opened = match named {
            Some(number) if existing.contains(&number) => {
                Generation::open(number, root.join(generation_name(number)))?
            }
            _ => None,
        };
        let generation = match opened {
            Some(generation) => generation,
            None => {
                if let Some(number) = named {
                    tracing::warn!(
                        generation = number,
                        "index generation missing or built with another schema; starting a new one from sequence 0"
                    );
                }
                let generation = Generation::open(next, root.join(generation_name(next)))?
                    .ok_or(IndexError::SchemaMismatch(next))?;
                write_current(root, next)?;
                generation
            }
        };
        for number in existing {
            if number != generation.number {
                let dir = root.join(generation_name(number));
                tracing::info!(dir = %dir.display(), "removing an index generation not in service");
                std::fs::remove_dir_all(&dir).map_err(io("cannot remove", &dir))?;
            }
        }
        tracing::info!(
            generation = generation.number,
            applied_seq = generation.applied_seq(),
            documents = generation.documents(),
            "index open"
        );
        Ok(Self {
            root: root.to_path_buf(),
            current: ArcSwap::from_pointee(generation),
            registry_seq: AtomicI64::new(0),
            rebuilding: AtomicBool::new(false),
            rebuild_seq: AtomicI64::new(0),
            install_lock: Mutex::new(()),
        })
    }

    fn generation_numbers(root: &Path) -> Result<Vec<u64>, IndexError> {
        let mut numbers = Vec::new();
        for entry in std::fs::read_dir(root).map_err(io("cannot list", root))? {
            let entry = entry.map_err(io("cannot list", root))?;
            if entry.path().is_dir()
                && let Some(number) = entry.file_name().to_str().and_then(generation_number)
            {
                numbers.push(number);
            }
        }
        Ok(numbers)
    }

    /// The generation in service.
    pub fn current(&self) -> Arc<Generation> {
        self.current.load_full()
    }

    /// A new, empty generation in a fresh directory, not in service.
    pub fn create_generation(&self) -> Result<Arc<Generation>, IndexError> {
        let _guard = self.install_lock.lock().map_err(|_| IndexError::Poisoned)?;
        let existing = Self::generation_numbers(&self.root)?;
        let number = existing
            .iter()
            .copied()
            .chain([self.current.load().number])
            .max()
            .unwrap_or(0)
            + 1;
        let dir = self.root.join(generation_name(number));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io("cannot remove", &dir))?;
        }
        let generation =
            Generation::open(number, dir)?.ok_or(IndexError::SchemaMismatch(number))?;
        Ok(Arc::new(generation))
    }

    /// Puts `generation` in service: `CURRENT` first (durably), then the in-memory
    /// pointer; the previous generation is closed and removed once unused.
    pub fn install(&self, generation: Arc<Generation>) -> Result<(), IndexError> {
        let _guard = self.install_lock.lock().map_err(|_| IndexError::Poisoned)?;
        write_current(&self.root, generation.number)?;
        let previous = self.current.swap(generation);
        previous.retire();
        Ok(())
    }

    /// Discards a generation that will not be installed.
    pub fn discard(&self, generation: Arc<Generation>) {
        generation.retire();
    }

    /// Records the highest sequence number seen on the feed.
    pub fn saw_registry_seq(&self, seq: i64) {
        self.registry_seq.fetch_max(seq, Ordering::AcqRel);
    }

    /// The highest sequence number seen on the feed.
    pub fn registry_seq(&self) -> i64 {
        self.registry_seq.load(Ordering::Acquire)
    }

    /// Marks a rebuild as started; false when one already runs.
    pub fn begin_rebuild(&self) -> bool {
        let started = self
            .rebuilding
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if started {
            self.rebuild_seq.store(0, Ordering::Release);
        }
        started
    }

    /// Records the progress of the running rebuild.
    pub fn rebuild_progress(&self, seq: i64) {
        self.rebuild_seq.store(seq, Ordering::Release);
    }

    /// Marks the rebuild as over (installed or abandoned).
    pub fn end_rebuild(&self) {
        self.rebuild_seq.store(0, Ordering::Release);
        self.rebuilding.store(false, Ordering::Release);
    }

    /// Whether a rebuild runs, and the sequence number it has reached.
    pub fn rebuild_state(&self) -> (bool, i64) {
        (
            self.rebuilding.load(Ordering::Acquire),
            self.rebuild_seq.load(Ordering::Acquire),
        )
    }

    /// The status reported by `GetIndexStatus`.
    pub fn status(&self) -> pb::IndexStatus {
        let current = self.current();
        let (rebuilding, rebuild_seq) = self.rebuild_state();
        pb::IndexStatus {
            applied_seq: current.applied_seq(),
            registry_seq: self.registry_seq().max(current.applied_seq()),
            documents: i64::try_from(current.documents()).unwrap_or(i64::MAX),
            rebuilding,
            generation: i64::try_from(current.number).unwrap_or(i64::MAX),
            rebuild_seq,
        }
    }

    /// Stops the writer of the generation in service (at shutdown).
    pub fn close(&self) {
        self.current.load().close();
    }
}

/// Writes `CURRENT` so that it names generation `number`, atomically and durably.
fn write_current(root: &Path, number: u64) -> Result<(), IndexError> {
    use std::io::Write as _;
    let path = root.join(CURRENT_FILE);
    let temporary = root.join(format!("{CURRENT_FILE}.tmp"));
    {
        let mut file = std::fs::File::create(&temporary).map_err(io("cannot write", &temporary))?;
        file.write_all(format!("{}\n", generation_name(number)).as_bytes())
            .map_err(io("cannot write", &temporary))?;
        file.sync_all().map_err(io("cannot sync", &temporary))?;
    }
    std::fs::rename(&temporary, &path).map_err(io("cannot rename", &temporary))?;
    std::fs::File::open(root)
        .and_then(|dir| dir.sync_all())
        .map_err(io("cannot sync", root))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(seq: i64, id: &str, title: &str) -> pb::Change {
        pb::Change {
            seq,
            entity: pb::EntityKind::Opportunity as i32,
            id: id.to_owned(),
            op: pb::ChangeOp::Upsert as i32,
            version: 1,
            record: Some(pb::change::Record::Opportunity(pb::Opportunity {
                id: id.to_owned(),
                title: title.to_owned(),
                description: title.to_owned(),
                language: pb::Language::Es as i32,
                status: pb::OpportunityStatus::Published as i32,
                ..Default::default()
            })),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_store_is_empty_at_sequence_zero_and_reopens_where_it_committed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = IndexStore::open(dir.path()).expect("create");
        let current = store.current();
        assert_eq!((current.documents(), current.applied_seq()), (0, 0));
        current
            .apply(&[
                change(1, "opp_1", "Mecanizado"),
                change(2, "opp_1", "Mecanizado CNC"),
            ])
            .expect("apply");
        current.commit(2).expect("commit");
        assert_eq!((current.documents(), current.applied_seq()), (1, 2));
        store.close();
        drop((current, store));
        let reopened = IndexStore::open(dir.path()).expect("reopen");
        assert_eq!(reopened.current().applied_seq(), 2);
        assert_eq!(reopened.current().documents(), 1);
    }

    #[test]
    fn installing_a_generation_switches_current_and_removes_the_old_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = IndexStore::open(dir.path()).expect("create");
        let old_dir = dir.path().join(generation_name(store.current().number()));
        let new = store.create_generation().expect("new generation");
        new.apply(&[change(7, "opp_7", "Depósitos")])
            .expect("apply");
        new.commit(7).expect("commit");
        let number = new.number();
        store.install(new).expect("install");
        assert_eq!(store.current().number(), number);
        assert_eq!(store.current().applied_seq(), 7);
        assert!(
            !old_dir.exists(),
            "the replaced generation is removed once unused"
        );
        let text = std::fs::read_to_string(dir.path().join(CURRENT_FILE)).expect("CURRENT");
        assert_eq!(text.trim(), generation_name(number));
        store.close();
        drop(store);
        let reopened = IndexStore::open(dir.path()).expect("reopen");
        assert_eq!(reopened.current().number(), number);
    }

    #[test]
    fn a_generation_of_another_schema_is_replaced_by_an_empty_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let old = dir.path().join(generation_name(1));
        std::fs::create_dir_all(&old).expect("dir");
        let mut builder = tantivy::schema::Schema::builder();
        builder.add_text_field("id", tantivy::schema::STRING);
        let index = Index::create_in_dir(&old, builder.build()).expect("old index");
        let mut writer: IndexWriter = index.writer(15_000_000).expect("writer");
        let mut prepared = writer.prepare_commit().expect("prepare");
        prepared.set_payload("42");
        prepared.commit().expect("commit");
        drop((writer, index));
        write_current(dir.path(), 1).expect("CURRENT");

        let store = IndexStore::open(dir.path()).expect("open");
        let current = store.current();
        assert_eq!(current.number(), 2);
        assert_eq!(
            current.applied_seq(),
            0,
            "refilled from the start of the feed"
        );
        assert!(!old.exists());
        let text = std::fs::read_to_string(dir.path().join(CURRENT_FILE)).expect("CURRENT");
        assert_eq!(text.trim(), generation_name(2));
    }

    #[test]
    fn a_leftover_rebuild_directory_is_removed_at_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = IndexStore::open(dir.path()).expect("create");
        let orphan = store.create_generation().expect("new generation");
        let orphan_dir = dir.path().join(generation_name(orphan.number()));
        orphan.close();
        drop(orphan);
        store.close();
        drop(store);
        assert!(orphan_dir.exists());
        let reopened = IndexStore::open(dir.path()).expect("reopen");
        assert!(!orphan_dir.exists());
        assert_eq!(reopened.current().number(), 1);
    }
}
