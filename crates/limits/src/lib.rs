//! passgate-limits: bounded, linear pre-checks for every document a front end receives from
//! the network, run *before* a tree parser allocates or recurses.
//!
//! Why a crate of its own: roxmltree recurses once per nesting level while tokenizing (its
//! `parse_element` → `parse_content` → `parse_element`), so about 3,000 nested elements
//! overflow a tokio worker's stack and abort the process; its duplicate-attribute and
//! duplicate-namespace checks are quadratic in the attributes of an element. serde_json stops
//! at depth 128 but has no member limit. Both SOAP and REST need the same checks, and the core
//! crate must not depend on quick-xml, so the checks live here, below the front ends and
//! beside the core. Each check is one forward pass with a constant amount of work per byte
//! and no recursion, so it cannot itself be the problem it guards against.

pub mod encoding;
pub mod json;
pub mod pairs;
pub mod xml;

/// Deepest nesting accepted in an XML or JSON document (elements, or objects and arrays).
pub const MAX_DEPTH: usize = 64;
/// Most attributes (namespace declarations included) on one XML element.
pub const MAX_ATTRIBUTES_PER_ELEMENT: usize = 32;
/// Most attributes (namespace declarations included) in one XML document.
pub const MAX_ATTRIBUTES: usize = 256;
/// Most object members plus array elements in one JSON document.
pub const MAX_JSON_MEMBERS: usize = 256;
/// Most name/value pairs in one query string or form body.
pub const MAX_PAIRS: usize = 256;

/// Why a document is refused before it is parsed. Messages name the limit and never quote
/// the input (it may hold a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("the {0} nests deeper than the limit of {MAX_DEPTH} levels")]
    Depth(Kind),
    /// An XML element with more than [`MAX_ATTRIBUTES_PER_ELEMENT`] attributes.
    #[error("an XML element has more than the limit of {MAX_ATTRIBUTES_PER_ELEMENT} attributes (namespace declarations included)")]
    AttributesPerElement,
    /// More than [`MAX_ATTRIBUTES`] attributes in the whole document.
    #[error("the XML has more than the limit of {MAX_ATTRIBUTES} attributes in total (namespace declarations included)")]
    Attributes,
    /// More than [`MAX_JSON_MEMBERS`] members and array elements.
    #[error("the JSON has more than the limit of {MAX_JSON_MEMBERS} members and array elements")]
    Members,
    /// More than [`MAX_PAIRS`] name/value pairs.
    #[error("the {0} has more than the limit of {MAX_PAIRS} fields")]
    Pairs(Kind),
    /// Percent-decoding gave bytes that are not UTF-8.
    #[error("the {0} is not valid UTF-8 once percent-decoded")]
    PercentUtf8(Kind),
    /// The XML is not well-formed at a byte offset (found by the pre-check's own scan).
    #[error("the XML is not well-formed (at byte {0})")]
    MalformedXml(u64),
}

/// Which kind of document a limit was hit in (for the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An XML document.
    Xml,
    /// A JSON document.
    Json,
    /// A URL query string.
    Query,
    /// A form-encoded body.
    Form,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Xml => "XML",
            Kind::Json => "JSON",
            Kind::Query => "query string",
            Kind::Form => "form body",
        })
    }
}
