//! The `wsdl:types` section: picks the schema definitions the advertised operations need.
//!
//! The tns fragment files hold top-level schema definitions copied verbatim from the original
//! WSDL, one per block starting with a line indented by six spaces (`      <xs:`). A block's
//! dependencies are read from its `tns:` references; a type also pulls in the global element of
//! the same name, as WCF always emits the pair.

use super::service::{Service, CRYPTOGRAPHY_NS, TNS};

const SERIALIZATION_SCHEMA: &str = include_str!("serialization.xsd");
const CRYPTOGRAPHY_SCHEMA: &str = include_str!("cryptography.xsd");
const ARRAYS_SCHEMA: &str = include_str!("arrays.xsd");

/// Start of a top-level definition line in a fragment file.
const TOP_LEVEL: &str = "      <xs:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Element,
    Type,
}

/// One top-level definition of a fragment file.
#[derive(Debug)]
struct Definition<'a> {
    kind: Kind,
    name: &'a str,
    text: &'a str,
}

/// Appends the complete `wsdl:types` element for `service`, with only the definitions reachable
/// from `roots` (global element names: header elements and request/response wrappers).
pub(crate) fn write_types(out: &mut String, service: &Service, roots: &[&str]) {
    let selected = select(service.tns_fragment, roots);
    let needs_crypto = selected.iter().any(|text| text.contains(CRYPTOGRAPHY_NS));

    out.push_str("  <wsdl:types>\n");
    out.push_str("    <xs:schema elementFormDefault=\"qualified\" targetNamespace=\"");
    out.push_str(TNS);
    out.push_str("\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n");
    for namespace in service.tns_imports {
        if *namespace != CRYPTOGRAPHY_NS || needs_crypto {
            out.push_str("      <xs:import namespace=\"");
            out.push_str(namespace);
            out.push_str("\" />\n");
        }
    }
    for text in &selected {
        out.push_str(text);
    }
    out.push_str("    </xs:schema>\n");
    out.push_str(SERIALIZATION_SCHEMA);
    if needs_crypto {
        out.push_str(CRYPTOGRAPHY_SCHEMA);
    }
    out.push_str(ARRAYS_SCHEMA);
    out.push_str("  </wsdl:types>\n");
}

/// Texts of the definitions reachable from the global elements `roots`, in fragment order.
fn select<'a>(fragment: &'a str, roots: &[&str]) -> Vec<&'a str> {
    let definitions = split(fragment);
    let mut included = vec![false; definitions.len()];
    let mut pending: Vec<(Kind, &str)> = roots.iter().map(|r| (Kind::Element, *r)).collect();
    while let Some((kind, name)) = pending.pop() {
        for (index, definition) in definitions.iter().enumerate() {
            if included[index] || definition.kind != kind || definition.name != name {
                continue;
            }
            included[index] = true;
            pending.extend(tns_references(definition.text).map(|r| (Kind::Type, r)));
            if kind == Kind::Type {
                pending.push((Kind::Element, definition.name));
            }
        }
    }
    definitions
        .iter()
        .zip(included)
        .filter(|(_, keep)| *keep)
        .map(|(definition, _)| definition.text)
        .collect()
}

/// Splits a fragment into its top-level definitions.
fn split(fragment: &str) -> Vec<Definition<'_>> {
    let mut definitions = Vec::new();
    let mut current: Option<(usize, Kind, &str)> = None;
    let mut offset = 0;
    for line in fragment.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(TOP_LEVEL) {
            if let Some((start, kind, name)) = current.take() {
                definitions.push(Definition {
                    kind,
                    name,
                    text: &fragment[start..offset],
                });
            }
            let kind = if rest.starts_with("element ") {
                Kind::Element
            } else {
                Kind::Type
            };
            current = Some((offset, kind, attribute(line, "name").unwrap_or_default()));
        }
        offset += line.len();
    }
    if let Some((start, kind, name)) = current {
        definitions.push(Definition {
            kind,
            name,
            text: &fragment[start..],
        });
    }
    definitions
}

/// Value of the first attribute `name` on `line`.
fn attribute<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!(" {name}=\"");
    let start = line.find(&marker)? + marker.len();
    let len = line[start..].find('"')?;
    Some(&line[start..start + len])
}

/// Local names of every `tns:` QName used as an attribute value in `text`.
fn tns_references(text: &str) -> impl Iterator<Item = &str> {
    text.split("\"tns:")
        .skip(1)
        .filter_map(|rest| rest.find('"').map(|end| &rest[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_split_into_named_definitions() {
        for fragment in [
            include_str!("user_tns.xsd"),
            include_str!("soprincipal_tns.xsd"),
        ] {
            let definitions = split(fragment);
            assert!(definitions.len() > 10);
            let joined: String = definitions.iter().map(|d| d.text).collect();
            assert_eq!(joined, fragment, "split must be lossless");
            for definition in &definitions {
                assert!(!definition.name.is_empty(), "{}", definition.text);
                // Every reference resolves to a type in the same fragment.
                for reference in tns_references(definition.text) {
                    assert!(
                        definitions
                            .iter()
                            .any(|d| d.kind == Kind::Type && d.name == reference),
                        "unresolved tns:{reference}"
                    );
                }
            }
        }
    }

    #[test]
    fn selection_follows_references_and_type_elements() {
        let selected = select(include_str!("user_tns.xsd"), &["Credentials"]);
        let names: Vec<_> = selected
            .iter()
            .filter_map(|t| attribute(t, "name"))
            .collect();
        assert_eq!(names, ["SoCredentials", "SoCredentials", "Credentials"]);
    }
}
