//! Bounded XML reading: quick-xml's streaming reader turned into a small element tree.
//!
//! Feed documents are read once, front to back, by [`quick_xml::NsReader`]; each element
//! becomes a [`Node`] in an arena ([`Doc`]) that the PLACSP and TED mappers query by
//! short paths such as `cac:ProcurementProject/cbc:Name`. The reader never expands
//! entities: a `<!DOCTYPE` of any kind is refused, and only the five predefined entities
//! and numeric character references are resolved. Input size, element depth and element
//! count are bounded by [`Limits`], so memory stays proportional to a capped input.
//!
//! Names are matched on the namespace URI when the document declares it, and on the
//! prefix (then the local name alone) when it does not, because PLACSP hands out bare
//! `<entry>` fragments with no declarations and uses varying prefixes (`ns7`, …).

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use crate::error::FeedError;

/// Bounds applied to every document before and while it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes (default 64 MiB).
    pub max_bytes: usize,
    /// Deepest accepted element nesting (default 128; real feeds stay under 20).
    pub max_depth: usize,
    /// Most elements accepted in one document (default 2,000,000).
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024 * 1024,
            max_depth: 128,
            max_elements: 2_000_000,
        }
    }
}

/// The namespace family of an element, from its URI (or, undeclared, its prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    Atom,
    Tombstone,
    Cac,
    Cbc,
    PlaceCac,
    PlaceCbc,
    Ext,
    Efac,
    Efbc,
    Efext,
    /// Bound to a namespace we do not classify: matched on the local name only.
    Other,
    /// No namespace, or an undeclared prefix we do not know: local name only.
    Loose,
}

impl Ns {
    fn from_uri(uri: &str) -> Ns {
        let place = uri.contains("place-ext");
        if uri == "http://www.w3.org/2005/Atom" {
            Ns::Atom
        } else if uri == "http://purl.org/atompub/tombstones/1.0" {
            Ns::Tombstone
        } else if uri.contains("CommonAggregateComponents") {
            if place { Ns::PlaceCac } else { Ns::Cac }
        } else if uri.contains("CommonBasicComponents") {
            if place { Ns::PlaceCbc } else { Ns::Cbc }
        } else if uri.contains("CommonExtensionComponents") {
            Ns::Ext
        } else if uri.contains("eforms-ubl-extension-aggregate-components") {
            Ns::Efac
        } else if uri.contains("eforms-ubl-extension-basic-components") {
            Ns::Efbc
        } else if uri.contains("eforms-ubl-extensions") {
            Ns::Efext
        } else {
            Ns::Other
        }
    }

    /// The family a conventional prefix stands for (used for undeclared prefixes and in
    /// query paths).
    fn from_prefix(prefix: &str) -> Ns {
        match prefix {
            "" | "atom" => Ns::Atom,
            "at" => Ns::Tombstone,
            "cac" => Ns::Cac,
            "cbc" => Ns::Cbc,
            "cac-place-ext" => Ns::PlaceCac,
            "cbc-place-ext" => Ns::PlaceCbc,
            "ext" => Ns::Ext,
            "efac" => Ns::Efac,
            "efbc" => Ns::Efbc,
            "efext" => Ns::Efext,
            _ => Ns::Loose,
        }
    }
}

/// One element: its name, attributes (local name → unescaped value) and direct text.
#[derive(Debug)]
pub(crate) struct Node {
    pub ns: Ns,
    pub local: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<usize>,
}

/// A parsed document: an arena of nodes, the root at index 0.
#[derive(Debug)]
pub(crate) struct Doc {
    nodes: Vec<Node>,
}

/// One step of a query path, e.g. `cac:ProcurementProject`.
fn step_matches(node: &Node, step: &str) -> bool {
    let (prefix, local) = match step.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", step),
    };
    if node.local != local {
        return false;
    }
    match node.ns {
        Ns::Other | Ns::Loose => true,
        ns => ns == Ns::from_prefix(prefix),
    }
}

impl Doc {
    /// The root element.
    pub fn root(&self) -> usize {
        0
    }

    /// The node at `id`.
    pub fn node(&self, id: usize) -> &Node {
        &self.nodes[id]
    }

    /// Direct children of `id` matching `step`.
    pub fn children<'a>(&'a self, id: usize, step: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.nodes[id]
            .children
            .iter()
            .copied()
            .filter(move |c| step_matches(&self.nodes[*c], step))
    }

    /// First direct child of `id` matching `step`.
    pub fn child(&self, id: usize, step: &str) -> Option<usize> {
        self.children(id, step).next()
    }

    /// Every node reached from `id` by the `/`-separated `path`, in document order.
    pub fn all(&self, id: usize, path: &str) -> Vec<usize> {
        let mut current = vec![id];
        for step in path.split('/').filter(|s| !s.is_empty()) {
            let mut next = Vec::new();
            for n in current {
                next.extend(self.children(n, step));
            }
            current = next;
        }
        current
    }

    /// First node reached from `id` by `path`.
    pub fn find(&self, id: usize, path: &str) -> Option<usize> {
        self.all(id, path).into_iter().next()
    }

    /// The trimmed direct text of `id`, `None` when empty.
    pub fn text(&self, id: usize) -> Option<&str> {
        let t = self.nodes[id].text.trim();
        (!t.is_empty()).then_some(t)
    }

    /// The trimmed text of the first node at `path` below `id` that has text.
    pub fn text_at(&self, id: usize, path: &str) -> Option<&str> {
        self.all(id, path).into_iter().find_map(|n| self.text(n))
    }

    /// The value of attribute `name` (local name) of `id`.
    pub fn attr(&self, id: usize, name: &str) -> Option<&str> {
        self.nodes[id]
            .attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn xml_err(position: u64, source: quick_xml::Error) -> FeedError {
    FeedError::Xml { position, source }
}

/// Read `bytes` into a [`Doc`], enforcing `limits` and refusing any DTD.
pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Doc, FeedError> {
    if bytes.len() > limits.max_bytes {
        return Err(FeedError::TooLarge {
            size: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| FeedError::NotUtf8 {
        position: e.valid_up_to(),
    })?;

    let mut reader = NsReader::from_str(text);
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut root_closed = false;

    loop {
        let position = reader.buffer_position();
        let (ns, event) = match reader.read_resolved_event() {
            Ok((resolved, event)) => {
                let ns = match &resolved {
                    ResolveResult::Bound(uri) => Ns::from_uri(uri.as_ref()),
                    ResolveResult::Unbound => Ns::Loose,
                    ResolveResult::Unknown(prefix) => Ns::from_prefix(prefix),
                };
                (ns, event)
            }
            Err(e) => return Err(xml_err(reader.error_position(), e)),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                if root_closed {
                    return Err(FeedError::Malformed {
                        position,
                        reason: "content after the root element".into(),
                    });
                }
                if nodes.len() >= limits.max_elements {
                    return Err(FeedError::TooManyElements {
                        max: limits.max_elements,
                    });
                }
                if stack.len() + 1 > limits.max_depth {
                    return Err(FeedError::TooDeep {
                        position,
                        max: limits.max_depth,
                    });
                }
                let mut attrs = Vec::new();
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| xml_err(position, e.into()))?;
                    let key = attr.key;
                    if key.as_ref() == "xmlns"
                        || key.prefix().is_some_and(|p| p.as_ref() == "xmlns")
                    {
                        continue;
                    }
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| xml_err(position, e))?
                        .into_owned();
                    attrs.push((key.local_name().as_ref().to_owned(), value));
                }
                let id = nodes.len();
                nodes.push(Node {
                    ns,
                    local: e.local_name().as_ref().to_owned(),
                    attrs,
                    text: String::new(),
                    children: Vec::new(),
                });
                if let Some(parent) = stack.last() {
                    nodes[*parent].children.push(id);
                }
                if empty {
                    if stack.is_empty() {
                        root_closed = true;
                    }
                } else {
                    stack.push(id);
                }
            }
            Event::End(_) => {
                stack.pop();
                if stack.is_empty() {
                    root_closed = true;
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                if let Some(cur) = stack.last() {
                    nodes[*cur].text.push_str(&content);
                } else if !content.trim().is_empty() {
                    return Err(FeedError::Malformed {
                        position,
                        reason: "text outside the root element".into(),
                    });
                }
            }
            Event::CData(c) => {
                if let Some(cur) = stack.last() {
                    nodes[*cur].text.push_str(&c.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(ch)) => ch.to_string(),
                    Ok(None) => {
                        let name = r.xml10_content();
                        match name.as_ref() {
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "amp" => "&".into(),
                            "apos" => "'".into(),
                            "quot" => "\"".into(),
                            other => {
                                return Err(FeedError::UndeclaredEntity {
                                    position,
                                    name: other.to_owned(),
                                });
                            }
                        }
                    }
                    Err(e) => return Err(xml_err(position, e)),
                };
                if let Some(cur) = stack.last() {
                    nodes[*cur].text.push_str(&ch);
                }
            }
            Event::DocType(_) => return Err(FeedError::Doctype { position }),
            Event::Decl(d) => {
                if let Some(enc) = d.encoding() {
                    let enc = enc.map_err(|e| xml_err(position, e.into()))?;
                    let lower = enc.to_ascii_lowercase();
                    if lower != "utf-8"
                        && lower != "utf8"
                        && lower != "us-ascii"
                        && lower != "ascii"
                    {
                        return Err(FeedError::UnsupportedEncoding {
                            encoding: enc.into_owned(),
                        });
                    }
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        let open = stack
            .iter()
            .map(|i| nodes[*i].local.as_str())
            .collect::<Vec<_>>()
            .join("/");
        return Err(FeedError::Truncated { open });
    }
    if nodes.is_empty() {
        return Err(FeedError::Empty);
    }
    Ok(Doc { nodes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_predefined_and_numeric_references_only() {
        let doc = parse(b"<a>x &amp; &#243;&#x41;</a>", &Limits::default()).expect("parses");
        assert_eq!(doc.text(0), Some("x & \u{f3}A"));
        let err = parse(b"<a>&foo;</a>", &Limits::default()).expect_err("refused");
        assert!(matches!(err, FeedError::UndeclaredEntity { .. }), "{err}");
    }

    #[test]
    fn matches_undeclared_prefixes_and_bound_uris() {
        let doc = parse(
            b"<r xmlns:x='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'><x:Name>a</x:Name><cbc:Name>b</cbc:Name><cac:Name>c</cac:Name></r>",
            &Limits::default(),
        )
        .expect("parses");
        let texts: Vec<_> = doc
            .children(0, "cbc:Name")
            .filter_map(|n| doc.text(n))
            .collect();
        assert_eq!(texts, ["a", "b"]);
    }

    #[test]
    fn depth_is_bounded() {
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        assert!(parse(b"<a><b><c/></b></a>", &limits).is_ok());
        let err = parse(b"<a><b><c><d/></c></b></a>", &limits).expect_err("too deep");
        assert!(matches!(err, FeedError::TooDeep { .. }), "{err}");
    }
}
