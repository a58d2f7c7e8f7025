//! The on-disk tantivy index and the registry sequence number it reflects.
//!
//! The last applied change-feed sequence number travels in each commit's payload, so
//! that after a restart the index knows exactly where to resume.

use std::path::Path;

use tantivy::schema::{STORED, STRING, Schema};
use tantivy::{Index, IndexReader, ReloadPolicy};

/// Why the index could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The directory could not be created.
    #[error("cannot create the index directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// tantivy failed.
    #[error("index failure: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// A commit payload is not a sequence number.
    #[error("corrupt commit payload {0:?}")]
    Payload(String),
}

/// The search index.
#[derive(Clone)]
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

fn schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_text_field("id", STRING | STORED);
    builder.add_text_field("entity", STRING | STORED);
    builder.build()
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (and the directory) when absent.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
        let directory =
            tantivy::directory::MmapDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
        let index = Index::open_or_create(directory, schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Self { index, reader })
    }

    /// Number of searchable documents.
    pub fn documents(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The registry sequence number of the last committed change, 0 for a new index.
    pub fn applied_seq(&self) -> Result<i64, IndexError> {
        let metas = self.index.load_metas()?;
        match metas.payload {
            None => Ok(0),
            Some(payload) => payload
                .trim()
                .parse()
                .map_err(|_| IndexError::Payload(payload.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_index_is_empty_at_sequence_zero_and_reopens() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("index");
        let index = SearchIndex::open(&path).expect("create");
        assert_eq!(index.documents(), 0);
        assert_eq!(index.applied_seq().expect("seq"), 0);
        drop(index);
        let reopened = SearchIndex::open(&path).expect("reopen");
        assert_eq!(reopened.applied_seq().expect("seq"), 0);
    }
}
