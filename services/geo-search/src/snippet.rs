//! Snippets: fragments of a hit's texts, in its own language, with what matched marked.
//!
//! A word is highlighted when its analysed form (with the document language's analyzer)
//! is the stem of a query word by either analyzer (shared stems: `aeronaut`), when its folded spelling equals a query word or is one edit away
//! from a query word of 5 letters or more (typo tolerance), or when it belongs to a
//! glossary term of a concept the query shares — which is how a Spanish listing found
//! by a French query shows *why* it was found. Offsets are byte offsets in the snippet
//! text, which is a whole title or a window of about [`FRAGMENT_BYTES`] around the
//! densest highlights of a longer text.

use std::collections::{BTreeSet, HashSet};
use std::ops::Range;

use pyred_proto::v1 as pb;
use pyred_text::{Glossary, Language, analyze_tokens};

/// Target length of a fragment of a long text.
pub const FRAGMENT_BYTES: usize = 180;
/// Words this long or longer tolerate one edit.
pub const FUZZY_MIN_CHARS: usize = 5;
const ELLIPSIS: &str = "…";

/// The query as snippets need it.
#[derive(Debug, Default, Clone)]
pub struct QueryTerms {
    /// Query words analysed by the French and by the Spanish analyzer.
    pub stems: HashSet<String>,
    /// Query words folded (lowercase, no accents).
    pub folded: Vec<String>,
}

impl QueryTerms {
    fn folded_match(&self, word: &str) -> bool {
        self.folded.iter().any(|query| {
            query == word
                || (query.chars().count() >= FUZZY_MIN_CHARS && within_one_edit(query, word))
        })
    }
}

/// Whether `a` and `b` differ by at most one insertion, deletion, substitution or
/// transposition of adjacent characters (optimal string alignment distance ≤ 1).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match (ra.len(), rb.len()) {
        (0, 0) => true,
        (x, y) if x == y => {
            ra[1..] == rb[1..] || (x >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        (x, y) if x > y => ra[1..] == *rb,
        _ => *ra == rb[1..],
    }
}

/// The byte ranges of `text` (in `language`) that the query matches.
pub fn highlights(
    text: &str,
    language: Language,
    terms: &QueryTerms,
    glossary: &Glossary,
    concepts: &BTreeSet<String>,
) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let needs_tokens = !terms.stems.is_empty() || !concepts.is_empty();
    let tokens = if needs_tokens {
        analyze_tokens(text, language)
    } else {
        Vec::new()
    };
    for token in tokens.iter().filter(|t| terms.stems.contains(&t.text)) {
        ranges.push(token.offset_from..token.offset_to);
    }
    if !terms.folded.is_empty() {
        for token in analyze_tokens(text, Language::Unknown) {
            if terms.folded_match(&token.text) {
                ranges.push(token.offset_from..token.offset_to);
            }
        }
    }
    if !concepts.is_empty() {
        // The same tokens serve the glossary: the text is analysed once for both.
        let hits = match language {
            Language::Fr | Language::Es => glossary.extract_tokens(text, &tokens, language),
            Language::Unknown => glossary.extract(text, language),
        };
        for hit in hits {
            if concepts.contains(hit.id()) {
                ranges.push(hit.span.clone());
            }
        }
    }
    merge(ranges)
}

fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// The fragment of `text` to show with `ranges` highlighted: the whole text when short,
/// else a window of about `max_bytes` holding the most highlights, cut at spaces.
pub fn fragment(field: &str, text: &str, ranges: &[Range<usize>], max_bytes: usize) -> pb::Snippet {
    let to_pb = |text: String, ranges: Vec<Range<usize>>| pb::Snippet {
        field: field.to_owned(),
        text,
        highlights: ranges
            .into_iter()
            .filter_map(|r| {
                Some(pb::Highlight {
                    start: i32::try_from(r.start).ok()?,
                    end: i32::try_from(r.end).ok()?,
                })
            })
            .collect(),
    };
    if text.len() <= max_bytes {
        return to_pb(text.to_owned(), ranges.to_vec());
    }
    // The window start (a highlight's start, minus some context) keeping most highlights.
    let context = max_bytes / 6;
    let mut best = (0usize, 0usize);
    for (i, first) in ranges.iter().enumerate() {
        let start = first.start.saturating_sub(context);
        let inside = ranges[i..]
            .iter()
            .take_while(|r| r.end <= start + max_bytes)
            .count();
        if inside > best.1 {
            best = (start, inside);
        }
    }
    let mut start = floor_boundary(text, best.0);
    if start > 0 {
        // Begin at a word: just after the last space before the window.
        if let Some(space) = text[..start].rfind(char::is_whitespace)
            && start - space <= context
        {
            start = space + 1;
        }
        start = ceil_boundary(text, start);
    }
    let mut end = floor_boundary(text, start + max_bytes);
    if end < text.len()
        && let Some(space) = text[start..end].rfind(char::is_whitespace)
        && space > max_bytes / 2
    {
        end = start + space;
    }
    let prefix = if start > 0 { ELLIPSIS } else { "" };
    let suffix = if end < text.len() { ELLIPSIS } else { "" };
    let body = text[start..end].trim_end();
    let shift = prefix.len();
    let kept = ranges
        .iter()
        .filter(|r| r.start >= start && r.end <= start + body.len())
        .map(|r| (r.start - start + shift)..(r.end - start + shift))
        .collect();
    to_pb(format!("{prefix}{body}{suffix}"), kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_apart() {
        assert!(within_one_edit("usinage", "usinnage"));
        assert!(within_one_edit("usinage", "usinag"));
        assert!(within_one_edit("usinage", "usinsge"));
        assert!(within_one_edit("usinage", "usniage"));
        assert!(within_one_edit("usinage", "usinage"));
        assert!(!within_one_edit("usinage", "usnaige"));
        assert!(!within_one_edit("usinage", "usine"));
    }

    fn terms(query: &str) -> QueryTerms {
        let mut stems: HashSet<String> = pyred_text::analyze(query, Language::Fr)
            .into_iter()
            .collect();
        stems.extend(pyred_text::analyze(query, Language::Es));
        QueryTerms {
            stems,
            folded: pyred_text::analyze(query, Language::Unknown),
        }
    }

    #[test]
    fn matched_words_and_shared_concepts_are_highlighted() {
        let glossary = Glossary::embedded().expect("glossary");
        let text = "Taller de La Muela ofrece capacidad de mecanizado en cinco ejes para el sector aeronáutico";
        let concepts = BTreeSet::from(["machining".to_owned()]);
        let ranges = highlights(
            text,
            Language::Es,
            &terms("usinage aéronautique"),
            glossary,
            &concepts,
        );
        let marked: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
        assert!(marked.contains(&"aeronáutico"), "{marked:?}");
        assert!(
            marked.iter().any(|m| m.contains("mecanizado")),
            "{marked:?}"
        );
    }

    #[test]
    fn a_typo_still_highlights_the_word() {
        let glossary = Glossary::embedded().expect("glossary");
        let text = "Usinage de précision";
        let ranges = highlights(
            text,
            Language::Fr,
            &terms("usinnage"),
            glossary,
            &BTreeSet::new(),
        );
        assert_eq!(ranges, vec![Range { start: 0, end: 7 }]);
    }

    #[test]
    fn long_texts_are_cut_around_the_highlights_with_offsets_kept_valid() {
        let filler = "lorem ipsum dolor sit amet ".repeat(20);
        let text = format!("{filler}mecanizado de piezas {filler}");
        let start = filler.len();
        let marked = vec![Range {
            start,
            end: start + 10,
        }];
        let snippet = fragment("description", &text, &marked, FRAGMENT_BYTES);
        assert!(snippet.text.len() <= FRAGMENT_BYTES + 2 * ELLIPSIS.len());
        assert!(snippet.text.starts_with(ELLIPSIS) && snippet.text.ends_with(ELLIPSIS));
        let [highlight] = snippet.highlights.as_slice() else {
            panic!("one highlight: {snippet:?}");
        };
        let marked = &snippet.text[highlight.start as usize..highlight.end as usize];
        assert_eq!(marked, "mecanizado");
    }
}
