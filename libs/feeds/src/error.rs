//! The errors that make a whole document unreadable (as opposed to one bad entry, which
//! is a [`crate::Rejected`] and leaves the rest of the page usable).

/// Why a feed document could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The input is larger than [`crate::Limits::max_bytes`].
    #[error("document of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// Elements nest deeper than [`crate::Limits::max_depth`].
    #[error("elements nest deeper than {max} levels at byte {position}")]
    TooDeep {
        /// Byte offset of the element that went too deep.
        position: u64,
        /// The configured limit.
        max: usize,
    },
    /// More elements than [`crate::Limits::max_elements`].
    #[error("document has more than {max} elements")]
    TooManyElements {
        /// The configured limit.
        max: usize,
    },
    /// The document carries a `<!DOCTYPE`: DTDs (and so entity declarations) are refused.
    #[error(
        "document type declaration at byte {position} refused: DTDs and entity declarations are not accepted"
    )]
    Doctype {
        /// Byte offset of the declaration.
        position: u64,
    },
    /// A reference to an entity other than the five predefined ones.
    #[error(
        "undeclared entity &{name}; at byte {position} (only the predefined entities and character references are resolved)"
    )]
    UndeclaredEntity {
        /// Byte offset of the reference.
        position: u64,
        /// The entity name.
        name: String,
    },
    /// The input is not UTF-8.
    #[error("document is not valid UTF-8 (first bad byte at {position})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        position: usize,
    },
    /// The XML declaration names an encoding other than UTF-8 / US-ASCII.
    #[error("unsupported document encoding {encoding:?} (only UTF-8 and US-ASCII are read)")]
    UnsupportedEncoding {
        /// The declared encoding.
        encoding: String,
    },
    /// The XML is not well formed (reported by quick-xml).
    #[error("malformed XML at byte {position}")]
    Xml {
        /// Byte offset where the reader stopped.
        position: u64,
        /// The reader's error.
        #[source]
        source: quick_xml::Error,
    },
    /// The XML is not well formed (found by this crate).
    #[error("malformed XML at byte {position}: {reason}")]
    Malformed {
        /// Byte offset of the problem.
        position: u64,
        /// What is wrong.
        reason: String,
    },
    /// The document ends while elements are still open.
    #[error("document ends inside <{open}> (truncated?)")]
    Truncated {
        /// The open elements, outermost first, `/`-separated.
        open: String,
    },
    /// The document holds no element.
    #[error("document holds no element")]
    Empty,
    /// The root element is not an ATOM `<feed>` or `<entry>`.
    #[error("not an ATOM feed: root element is <{root}>, expected <feed> or <entry>")]
    NotAtom {
        /// Local name of the root element.
        root: String,
    },
    /// The root element is not an eForms notice.
    #[error("not an eForms notice: root element is <{root}>")]
    NotEforms {
        /// Local name of the root element.
        root: String,
    },
    /// An older TED XML (`TED_EXPORT`, R2.0.x) notice, which this crate does not read.
    #[error(
        "TED XML R2.0.x schema not supported (root <TED_EXPORT>, version {version}); use the eForms notice"
    )]
    TedXmlUnsupported {
        /// The `VERSION` attribute of the root, or `unknown`.
        version: String,
    },
}
