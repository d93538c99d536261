//! The XML pre-check: one streaming pass with quick-xml that bounds nesting depth and
//! attribute counts before roxmltree (which recurses per level and checks duplicate
//! attributes quadratically) sees the document.
//!
//! quick-xml is a pull parser: it keeps only the stack of open names, never recurses, and its
//! attribute iterator is linear once its own duplicate check is disabled (duplicates are the
//! tree parser's business, and it only gets bounded attribute lists), and so are end-tag
//! names. Anything quick-xml cannot read is refused as malformed here, without a second
//! opinion: roxmltree is stricter than quick-xml, so a document it accepts is also read by
//! quick-xml (a property test and the `xml_precheck` fuzz target hold this).

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::{Kind, LimitError, MAX_ATTRIBUTES, MAX_ATTRIBUTES_PER_ELEMENT, MAX_DEPTH};

/// Checks `text` against [`MAX_DEPTH`], [`MAX_ATTRIBUTES_PER_ELEMENT`] and
/// [`MAX_ATTRIBUTES`] in linear time and constant stack.
pub fn check_xml(text: &str) -> Result<(), LimitError> {
    let mut reader = Reader::from_str(text);
    // End-tag names are the tree parser's business: roxmltree matches `</:a>` to `<a>`, and
    // the depth count only needs the number of end tags.
    reader.config_mut().check_end_names = false;
    let mut depth = 0usize;
    let mut attributes = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|_| LimitError::MalformedXml(reader.error_position()))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(LimitError::Depth(Kind::Xml));
                }
                attributes += count_attributes(&e, reader.buffer_position())?;
            }
            Event::Empty(e) => {
                if depth + 1 > MAX_DEPTH {
                    return Err(LimitError::Depth(Kind::Xml));
                }
                attributes += count_attributes(&e, reader.buffer_position())?;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Ok(()),
            _ => {}
        }
        if attributes > MAX_ATTRIBUTES {
            return Err(LimitError::Attributes);
        }
    }
}

/// Counts the attributes of one start tag, stopping past the per-element limit.
fn count_attributes(e: &BytesStart<'_>, position: u64) -> Result<usize, LimitError> {
    let mut n = 0;
    for attribute in e.attributes().with_checks(false) {
        attribute.map_err(|_| LimitError::MalformedXml(position))?;
        n += 1;
        if n > MAX_ATTRIBUTES_PER_ELEMENT {
            return Err(LimitError::AttributesPerElement);
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}{}", "<a>".repeat(levels), "</a>".repeat(levels))
    }

    #[test]
    fn depth_is_bounded_at_the_limit() {
        assert_eq!(check_xml(&nested(MAX_DEPTH)), Ok(()));
        assert_eq!(
            check_xml(&nested(MAX_DEPTH + 1)),
            Err(LimitError::Depth(Kind::Xml))
        );
        let empty_below = format!(
            "{}<b/>{}",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert_eq!(check_xml(&empty_below), Err(LimitError::Depth(Kind::Xml)));
        // The report's request: unclosed, 4,000 levels.
        assert_eq!(
            check_xml(&"<a>".repeat(4000)),
            Err(LimitError::Depth(Kind::Xml))
        );
    }

    #[test]
    fn attributes_are_bounded_per_element_and_in_total() {
        let attrs = |n: usize| (0..n).map(|i| format!(" a{i}=\"v\"")).collect::<String>();
        assert_eq!(
            check_xml(&format!("<r{}/>", attrs(MAX_ATTRIBUTES_PER_ELEMENT))),
            Ok(())
        );
        assert_eq!(
            check_xml(&format!("<r{}/>", attrs(MAX_ATTRIBUTES_PER_ELEMENT + 1))),
            Err(LimitError::AttributesPerElement)
        );
        let per = MAX_ATTRIBUTES_PER_ELEMENT;
        let children = MAX_ATTRIBUTES / per;
        let ok = format!("<r>{}</r>", format!("<c{}/>", attrs(per)).repeat(children));
        assert_eq!(check_xml(&ok), Ok(()));
        let over = format!(
            "<r>{}</r>",
            format!("<c{}/>", attrs(per)).repeat(children + 1)
        );
        assert_eq!(check_xml(&over), Err(LimitError::Attributes));
        // The report's 9,000 duplicate attributes: refused at the 33rd.
        let dup = format!("<r{}/>", " a=\"1\"".repeat(9000));
        assert_eq!(check_xml(&dup), Err(LimitError::AttributesPerElement));
    }

    #[test]
    fn malformed_names_a_position_only() {
        let e = check_xml("<a><secret").err();
        assert!(matches!(e, Some(LimitError::MalformedXml(_))));
        let text = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(!text.contains("secret"), "{text}");
    }

    /// Fuzz finding (`xml_precheck`): roxmltree accepts an end tag with an empty prefix,
    /// which quick-xml's end-name check refused; the pre-check must not refuse what the tree
    /// parser accepts.
    #[test]
    fn end_tag_with_an_empty_prefix_is_left_to_the_tree_parser() {
        for doc in [
            "<a></:a>",
            r#"<s:Envelope xmlns:s="urn:s"><s:Header><C xmlns="urn:t"><T/></:C></s:Header></s:Envelope>"#,
        ] {
            assert!(roxmltree::Document::parse(doc).is_ok(), "{doc}");
            assert_eq!(check_xml(doc), Ok(()), "{doc}");
        }
    }

    /// Roughly well-formed XML: elements with attributes, text, comments, CDATA, prefixes.
    fn xmlish() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            "[a-z &;#0-9]{0,8}".prop_map(|t| t.replace('&', "&amp;")),
            Just("<!-- c -->".to_owned()),
            Just("<![CDATA[x<y]]>".to_owned()),
            Just("<?pi x?>".to_owned()),
        ];
        leaf.prop_recursive(8, 64, 4, |inner| {
            (
                "[a-z]{1,3}(:[a-z]{1,3})?",
                proptest::collection::vec(("[a-z]{1,3}(:[a-z]{1,2})?", "[a-z<>\"]{0,4}"), 0..4),
                proptest::collection::vec(inner, 0..4),
                proptest::bool::ANY,
            )
                .prop_map(|(name, attrs, children, single)| {
                    let attrs: String = attrs
                        .iter()
                        .map(|(k, v)| {
                            let q = if single { '\'' } else { '"' };
                            format!(" {k}={q}{}{q}", v.replace(q, ""))
                        })
                        .collect();
                    format!("<{name}{attrs}>{}</{name}>", children.concat())
                })
        })
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = check_xml(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn accepts_what_roxmltree_accepts_within_the_limits(doc in xmlish()) {
            // xmlish() stays below the depth and per-element limits (9 levels, 3 attributes
            // per element); only the document total could be exceeded.
            if roxmltree::Document::parse(&doc).is_ok() {
                let r = check_xml(&doc);
                proptest::prop_assert!(matches!(r, Ok(()) | Err(LimitError::Attributes)), "{r:?}");
            }
        }
    }
}
