//! Parsing a SOAP request envelope into an owned, protocol-level value.
//!
//! roxmltree is used rather than a streaming parser because it resolves namespaces, refuses
//! any DTD by default (so entity-expansion bombs and external entities never run) and caps
//! the node count; bodies are at most 64 KiB, so a tree costs nothing that matters.
//! roxmltree's tokenizer recurses once per nesting level and its duplicate-attribute check is
//! quadratic, so every body first passes [`passgate_limits::xml::check_xml`] (depth and
//! attribute counts in one linear pass) and only a bounded document reaches the tree parser.

use std::fmt;

use passgate_limits::xml::check_xml;
use passgate_limits::LimitError;

use crate::{SOAP11_NS, SOAP12_NS, TNS, XSI_NS};

/// Most nodes a request may have (far above any legitimate password request).
const NODES_LIMIT: u32 = 20_000;

/// The SOAP version of a request (and therefore of its reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoapVersion {
    /// SOAP 1.1 (`text/xml`, `SOAPAction` header).
    V11,
    /// SOAP 1.2 (`application/soap+xml`).
    V12,
}

impl SoapVersion {
    /// The version a `Content-Type` announces (SOAP 1.1 unless it is `application/soap+xml`).
    pub fn from_content_type(ct: Option<&str>) -> Self {
        match ct {
            Some(ct)
                if ct
                    .trim()
                    .to_ascii_lowercase()
                    .starts_with("application/soap+xml") =>
            {
                SoapVersion::V12
            }
            _ => SoapVersion::V11,
        }
    }

    /// Envelope namespace.
    pub fn namespace(self) -> &'static str {
        match self {
            SoapVersion::V11 => SOAP11_NS,
            SoapVersion::V12 => SOAP12_NS,
        }
    }
}

/// A request parameter: a child of the operation element.
pub struct Param {
    /// Local name.
    pub name: String,
    /// Text content; `None` for `xsi:nil="true"`.
    pub value: Option<String>,
}

/// A parsed request. `Debug` shows names only, never values (they include passwords).
pub struct Envelope {
    /// SOAP version of the envelope.
    pub version: SoapVersion,
    /// `ApplicationToken` header, if present.
    pub application_token: Option<String>,
    /// `Credentials/Ticket` header, if present.
    pub ticket: Option<String>,
    /// Namespace of the body's first element.
    pub operation_ns: String,
    /// Local name of the body's first element (the operation).
    pub operation: String,
    /// The operation element's children, in document order.
    pub params: Vec<Param>,
}

impl Envelope {
    /// The text of parameter `name` (first occurrence); a missing or nil parameter takes the
    /// default, which for strings is empty (WCF's rule for `minOccurs=0`).
    pub fn string(&self, name: &str) -> String {
        self.params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    }

    /// An `xs:int` parameter; missing means 0, unparseable is an error naming the parameter.
    pub fn int(&self, name: &str) -> Result<i32, String> {
        match self
            .params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.as_deref())
        {
            None => Ok(0),
            Some(v) => v
                .trim()
                .parse::<i32>()
                .map_err(|_| format!("{name} is not a valid xs:int")),
        }
    }
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("version", &self.version)
            .field("operation", &self.operation)
            .field(
                "params",
                &self
                    .params
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("has_ticket", &self.ticket.is_some())
            .field("has_application_token", &self.application_token.is_some())
            .finish()
    }
}

/// Why a request is not a usable envelope. Each text is safe to return in a fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeError {
    /// Not well-formed XML, or forbidden constructs (DTD, entity declarations).
    Malformed(String),
    /// Well-formed, but not a SOAP envelope with a body operation.
    NotAnEnvelope(String),
    /// Over a parser limit (depth, attributes), found before the tree is built.
    Limit(LimitError),
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvelopeError::Malformed(m) | EnvelopeError::NotAnEnvelope(m) => f.write_str(m),
            EnvelopeError::Limit(e) => write!(f, "the request is refused: {e}"),
        }
    }
}

/// Parses a request body. DTDs (and with them every entity declaration) are refused.
pub fn parse_envelope(body: &[u8]) -> Result<Envelope, EnvelopeError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| EnvelopeError::Malformed("the request is not valid UTF-8".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_xml(text).map_err(|e| match e {
        LimitError::MalformedXml(at) => {
            EnvelopeError::Malformed(format!("the request is not well-formed XML (at byte {at})"))
        }
        other => EnvelopeError::Limit(other),
    })?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => EnvelopeError::Malformed(
            "DTDs and entity declarations are not allowed in requests".into(),
        ),
        other => EnvelopeError::Malformed(format!("the request is not well-formed XML: {other}")),
    })?;
    let root = doc.root_element();
    let version = match root.tag_name().namespace() {
        Some(SOAP11_NS) => SoapVersion::V11,
        Some(SOAP12_NS) => SoapVersion::V12,
        _ => {
            return Err(EnvelopeError::NotAnEnvelope(
                "the root element is not a SOAP 1.1 or 1.2 Envelope".into(),
            ))
        }
    };
    if root.tag_name().name() != "Envelope" {
        return Err(EnvelopeError::NotAnEnvelope(
            "the root element is not a SOAP Envelope".into(),
        ));
    }
    let ns = version.namespace();
    let mut env = Envelope {
        version,
        application_token: None,
        ticket: None,
        operation_ns: String::new(),
        operation: String::new(),
        params: Vec::new(),
    };
    let mut body = None;
    for child in root.children().filter(roxmltree::Node::is_element) {
        let name = child.tag_name();
        if name.namespace() == Some(ns) && name.name() == "Header" {
            for entry in child.children().filter(roxmltree::Node::is_element) {
                read_header(&mut env, entry);
            }
        } else if name.namespace() == Some(ns) && name.name() == "Body" {
            body = Some(child);
            break;
        } else {
            // The NetServer documentation puts headers straight under Envelope.
            read_header(&mut env, child);
        }
    }
    let body =
        body.ok_or_else(|| EnvelopeError::NotAnEnvelope("the envelope has no Body".into()))?;
    let op = body
        .children()
        .find(roxmltree::Node::is_element)
        .ok_or_else(|| EnvelopeError::NotAnEnvelope("the Body is empty".into()))?;
    env.operation = op.tag_name().name().to_owned();
    env.operation_ns = op.tag_name().namespace().unwrap_or("").to_owned();
    env.params = op
        .children()
        .filter(roxmltree::Node::is_element)
        .map(|p| Param {
            name: p.tag_name().name().to_owned(),
            value: if is_nil(p) { None } else { Some(text_of(p)) },
        })
        .collect();
    Ok(env)
}

fn read_header(env: &mut Envelope, entry: roxmltree::Node<'_, '_>) {
    let name = entry.tag_name();
    if !matches!(name.namespace(), Some(TNS) | None) {
        return; // WS-Addressing and other headers are not ours.
    }
    match name.name() {
        "ApplicationToken" if !is_nil(entry) => env.application_token = Some(text_of(entry)),
        "Credentials" => {
            if let Some(t) = entry
                .children()
                .find(|c| c.is_element() && c.tag_name().name() == "Ticket")
                .filter(|t| !is_nil(*t))
            {
                env.ticket = Some(text_of(t));
            }
        }
        _ => {}
    }
}

fn is_nil(node: roxmltree::Node<'_, '_>) -> bool {
    matches!(node.attribute((XSI_NS, "nil")), Some("true" | "1"))
}

fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants()
        .filter(roxmltree::Node::is_text)
        .filter_map(|t| t.text())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:User="http://www.superoffice.net/ws/crm/NetServer/Services84">
<User:ApplicationToken>1234567-1234-9876</User:ApplicationToken>
<User:Credentials><User:Ticket>7T:abc</User:Ticket></User:Credentials>
<SOAP-ENV:Body><User:ChangeOwnPassword>
<User:OldPassword xsi:type="xsd:string">old</User:OldPassword>
<User:NewPassword xsi:type="xsd:string">new</User:NewPassword>
</User:ChangeOwnPassword></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;

    #[test]
    fn parses_the_seed_request() -> Result<(), EnvelopeError> {
        let e = parse_envelope(SEED.as_bytes())?;
        assert_eq!(e.version, SoapVersion::V12);
        assert_eq!(e.ticket.as_deref(), Some("7T:abc"));
        assert_eq!(e.application_token.as_deref(), Some("1234567-1234-9876"));
        assert_eq!(e.operation, "ChangeOwnPassword");
        assert_eq!(e.operation_ns, TNS);
        assert_eq!(e.string("OldPassword"), "old");
        assert_eq!(e.string("NewPassword"), "new");
        assert_eq!(e.string("Missing"), "");
        assert!(!format!("{e:?}").contains("old"));
        Ok(())
    }

    #[test]
    fn headers_inside_header_element() -> Result<(), EnvelopeError> {
        let xml = format!(
            r#"<s:Envelope xmlns:s="{SOAP11_NS}"><s:Header><Credentials xmlns="{TNS}"><Ticket>7T:x</Ticket></Credentials><wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">a</wsa:Action></s:Header><s:Body><ChangeOwnPassword xmlns="{TNS}"><OldPassword xmlns:i="{XSI_NS}" i:nil="true"/></ChangeOwnPassword></s:Body></s:Envelope>"#
        );
        let e = parse_envelope(xml.as_bytes())?;
        assert_eq!(e.version, SoapVersion::V11);
        assert_eq!(e.ticket.as_deref(), Some("7T:x"));
        assert_eq!(e.params[0].value, None);
        Ok(())
    }

    #[test]
    fn refuses_dtds_and_entities() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>"#;
        assert!(matches!(
            parse_envelope(bomb.as_bytes()),
            Err(EnvelopeError::Malformed(_))
        ));
        let xxe = r#"<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#;
        assert!(matches!(
            parse_envelope(xxe.as_bytes()),
            Err(EnvelopeError::Malformed(_))
        ));
    }

    #[test]
    fn rejects_non_envelopes() {
        assert!(matches!(
            parse_envelope(b"<a/>"),
            Err(EnvelopeError::NotAnEnvelope(_))
        ));
        assert!(matches!(
            parse_envelope(b"<a"),
            Err(EnvelopeError::Malformed(_))
        ));
        assert!(matches!(
            parse_envelope(&[0xff, 0xfe]),
            Err(EnvelopeError::Malformed(_))
        ));
        let no_body = format!(r#"<s:Envelope xmlns:s="{SOAP11_NS}"/>"#);
        assert!(matches!(
            parse_envelope(no_body.as_bytes()),
            Err(EnvelopeError::NotAnEnvelope(_))
        ));
    }

    /// Runs `parse_envelope` on a thread with a tokio worker's stack (2 MiB).
    fn parse_on_worker_stack(body: String) -> Result<Result<Envelope, EnvelopeError>, String> {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || parse_envelope(body.as_bytes()))
            .map_err(|e| e.to_string())?
            .join()
            .map_err(|_| "parser panicked".to_owned())
    }

    /// Issue 16: 4,000 nested elements (and far more within the 64 KiB body limit) overflowed
    /// the worker's stack inside roxmltree's recursive tokenizer and aborted the process.
    #[test]
    fn deep_nesting_is_refused_without_recursing() -> Result<(), String> {
        for body in [
            "<a>".repeat(4000),
            "<a>".repeat(21_000),
            format!(
                r#"<s:Envelope xmlns:s="{SOAP12_NS}"><s:Body><X xmlns="{TNS}">{}</X></s:Body></s:Envelope>"#,
                "<P>".repeat(20_000)
            ),
        ] {
            let r = parse_on_worker_stack(body)?;
            assert!(
                matches!(r, Err(EnvelopeError::Limit(LimitError::Depth(_)))),
                "{r:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn attribute_floods_are_refused_before_the_tree() {
        let flood = format!(
            r#"<s:Envelope xmlns:s="{SOAP11_NS}"{}/>"#,
            " a=\"1\"".repeat(9000)
        );
        let r = parse_envelope(flood.as_bytes());
        assert!(
            matches!(
                r,
                Err(EnvelopeError::Limit(LimitError::AttributesPerElement))
            ),
            "{r:?}"
        );
        let message = r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("32 attributes"), "{message}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse_envelope(&bytes);
        }

        #[test]
        fn never_panics_on_xmlish_text(s in "[<>/a-zA-Z:=\"' &;!\\[\\]-]{0,300}") {
            let _ = parse_envelope(s.as_bytes());
        }

        #[test]
        fn param_values_round_trip(v in "[^<&\\u{0}-\\u{8}\\u{b}\\u{c}\\u{e}-\\u{1f}\\u{fffe}\\u{ffff}\\r]{0,64}") {
            let escaped = quick_xml::escape::escape(v.as_str());
            let xml = format!(r#"<s:Envelope xmlns:s="{SOAP12_NS}"><s:Body><X xmlns="{TNS}"><P>{escaped}</P></X></s:Body></s:Envelope>"#);
            let e = parse_envelope(xml.as_bytes());
            proptest::prop_assert!(e.is_ok());
            if let Ok(e) = e {
                proptest::prop_assert_eq!(e.string("P"), v);
            }
        }
    }
}
