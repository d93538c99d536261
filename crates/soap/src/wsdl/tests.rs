//! Structural checks of the generated WSDLs, parsed with `roxmltree`.

#![allow(clippy::expect_used)] // Test code: a failed expectation is a failed test.

use super::*;
use roxmltree::{Document, Node};

const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
const SOAP11: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
const XS: &str = "http://www.w3.org/2001/XMLSchema";
const WSAW: &str = "http://www.w3.org/2006/05/addressing/wsdl";
const TNS: &str = "http://www.superoffice.net/ws/crm/NetServer/Services84";

const USER_SUPPORTED: &[&str] = &[
    "ChangeOwnPassword",
    "ChangePassword",
    "ChangePasswordFromName",
    "SetPassword",
    "SetPasswordFromName",
    "SetGeneratedPassword",
    "SetGeneratedPasswordFromName",
    "GenerateNewPasswordForExternalUser",
    "IsPasswordValid",
    "IsPasswordValidWithReason",
];
const SOPRINCIPAL_SUPPORTED: &[&str] = &["AuthenticateUsernamePassword", "GetSystemInfo"];
const ADDRESS: &str = "http://127.0.0.1:9/Remote/Services84/User.svc";

/// Parses a generated WSDL; a test failure (panic) if it is not well-formed.
fn parse(text: &str) -> Document<'_> {
    match Document::parse(text) {
        Ok(d) => d,
        Err(e) => panic!("WSDL is not well-formed: {e}"),
    }
}

fn children<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Vec<Node<'a, 'i>> {
    node.children()
        .filter(|n| n.is_element() && n.tag_name().namespace() == Some(ns))
        .filter(|n| n.tag_name().name() == name)
        .collect()
}

fn named<'a, 'i>(node: Node<'a, 'i>, ns: &str, tag: &str, name: &str) -> Option<Node<'a, 'i>> {
    children(node, ns, tag)
        .into_iter()
        .find(|n| n.attribute("name") == Some(name))
}

/// Resolves a QName attribute value against the namespaces in scope at `node`.
fn qname<'a>(node: Node<'_, '_>, value: &'a str) -> (String, &'a str) {
    let (prefix, local) = value.split_once(':').unwrap_or(("", value));
    let prefix = if prefix.is_empty() {
        None
    } else {
        Some(prefix)
    };
    let ns = node.lookup_namespace_uri(prefix).unwrap_or_default();
    (ns.to_owned(), local)
}

/// Checks one operation across messages, portType and both bindings.
fn check_operation(
    root: Node<'_, '_>,
    contract: &str,
    op: &str,
    response: &str,
    request_headers: &[&str],
) {
    let request = named(root, WSDL, "message", &format!("{op}Request"))
        .unwrap_or_else(|| panic!("missing {}", "request message"));
    let part = children(request, WSDL, "part");
    assert_eq!(part.len(), 1);
    assert_eq!(part[0].attribute("name"), Some("parameters"));
    assert_eq!(
        part[0].attribute("element"),
        Some(format!("tns:{op}").as_str())
    );
    let headers = named(root, WSDL, "message", &format!("{op}Request_Headers"))
        .unwrap_or_else(|| panic!("missing {}", "headers"));
    let names: Vec<_> = children(headers, WSDL, "part")
        .iter()
        .filter_map(|p| p.attribute("name"))
        .collect();
    assert_eq!(names, request_headers);
    assert!(named(root, WSDL, "message", response).is_some());
    assert!(named(root, WSDL, "message", &format!("{response}_Headers")).is_some());

    let action = format!("{TNS}/{contract}/{op}");
    let port_type =
        named(root, WSDL, "portType", contract).unwrap_or_else(|| panic!("missing {}", "portType"));
    let operation = named(port_type, WSDL, "operation", op)
        .unwrap_or_else(|| panic!("missing {}", "portType operation"));
    let input = children(operation, WSDL, "input")[0];
    assert_eq!(input.attribute((WSAW, "Action")), Some(action.as_str()));
    assert_eq!(
        input.attribute("message"),
        Some(format!("tns:{op}Request").as_str())
    );
    let output = children(operation, WSDL, "output")[0];
    let output_action = format!("{action}Response");
    assert_eq!(
        output.attribute((WSAW, "Action")),
        Some(output_action.as_str())
    );
    assert_eq!(
        output.attribute("message"),
        Some(format!("tns:{response}").as_str())
    );

    for (binding, soap) in [("BasicHttpBinding", SOAP11), ("Soap12Binding", SOAP12)] {
        let binding = named(root, WSDL, "binding", &format!("{binding}_{contract}"))
            .unwrap_or_else(|| panic!("missing {}", "binding"));
        let operation = named(binding, WSDL, "operation", op)
            .unwrap_or_else(|| panic!("missing {}", "binding operation"));
        let soap_operation = children(operation, soap, "operation");
        assert_eq!(soap_operation.len(), 1);
        assert_eq!(
            soap_operation[0].attribute("soapAction"),
            Some(action.as_str())
        );
        assert_eq!(soap_operation[0].attribute("style"), Some("document"));
        let input = children(operation, WSDL, "input")[0];
        let parts: Vec<_> = children(input, soap, "header")
            .iter()
            .filter_map(|h| h.attribute("part"))
            .collect();
        assert_eq!(parts, request_headers);
        assert_eq!(children(input, soap, "body").len(), 1);
        let output = children(operation, WSDL, "output")[0];
        let parts: Vec<_> = children(output, soap, "header")
            .iter()
            .filter_map(|h| h.attribute("part"))
            .collect();
        assert_eq!(
            parts,
            ["ExceptionInfo", "ExtraInfo", "Succeeded", "TimeZone"]
        );
    }
}

/// Every message part element and every schema type reference resolves to a definition.
fn check_references_resolve(doc: &Document<'_>) {
    let schemas: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.has_tag_name((XS, "schema")))
        .collect();
    let defined = |ns: &str, tag: &str, local: &str| {
        schemas
            .iter()
            .filter(|s| s.attribute("targetNamespace") == Some(ns))
            .any(|s| {
                children(*s, XS, tag)
                    .iter()
                    .any(|d| d.attribute("name") == Some(local))
            })
    };
    for node in doc.descendants().filter(|n| n.is_element()) {
        if node.has_tag_name((WSDL, "part")) {
            let (ns, local) = qname(node, node.attribute("element").unwrap_or_default());
            assert!(
                defined(&ns, "element", local),
                "missing element {ns} {local}"
            );
        }
        if node.tag_name().namespace() != Some(XS) {
            continue;
        }
        for attribute in ["type", "base"] {
            let Some(value) = node.attribute(attribute) else {
                continue;
            };
            let (ns, local) = qname(node, value);
            if ns == XS {
                continue;
            }
            assert!(
                defined(&ns, "complexType", local) || defined(&ns, "simpleType", local),
                "missing type {ns} {local}"
            );
        }
    }
}

fn global_names(doc: &Document<'_>, tag: &str) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name((XS, "schema")) && n.attribute("targetNamespace") == Some(TNS))
        .flat_map(|s| children(s, XS, tag))
        .filter_map(|n| n.attribute("name").map(str::to_owned))
        .collect()
}

fn operation_names(root: Node<'_, '_>, parent: &str) -> Vec<String> {
    children(root, WSDL, parent)
        .into_iter()
        .flat_map(|p| children(p, WSDL, "operation"))
        .filter_map(|o| o.attribute("name").map(str::to_owned))
        .collect()
}

#[test]
fn original_operation_lists() {
    assert_eq!(USER_ORIGINAL_OPERATIONS.len(), 75);
    assert_eq!(SOPRINCIPAL_ORIGINAL_OPERATIONS.len(), 4);
    for list in [USER_ORIGINAL_OPERATIONS, SOPRINCIPAL_ORIGINAL_OPERATIONS] {
        for (i, op) in list.iter().enumerate() {
            assert!(!list[..i].contains(op), "duplicate {op}");
        }
    }
    for op in USER_SUPPORTED {
        assert!(USER_ORIGINAL_OPERATIONS.contains(op));
    }
    for op in SOPRINCIPAL_SUPPORTED {
        assert!(SOPRINCIPAL_ORIGINAL_OPERATIONS.contains(op));
    }
}

#[test]
fn user_wsdl_advertises_every_supported_operation() {
    let text = user_wsdl(ADDRESS, USER_SUPPORTED);
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    let doc = parse(&text);
    let root = doc.root_element();
    assert_eq!(root.attribute("name"), Some("WcfUserService"));
    assert_eq!(root.attribute("targetNamespace"), Some(TNS));
    for op in USER_SUPPORTED {
        check_operation(
            root,
            "User",
            op,
            &format!("{op}Response"),
            &["ApplicationToken", "Credentials", "TimeZone"],
        );
    }
    check_references_resolve(&doc);
    // Original WSDL order, whatever the order of `ops`.
    let expected: Vec<&str> = USER_ORIGINAL_OPERATIONS
        .iter()
        .copied()
        .filter(|op| USER_SUPPORTED.contains(op))
        .collect();
    assert_eq!(operation_names(root, "portType"), expected);
    assert_eq!(operation_names(root, "binding").len(), 2 * expected.len());
    let types = global_names(&doc, "complexType");
    for needed in [
        "UserValidationResult",
        "Carrier",
        "TableRight",
        "FieldPropertyDictionary",
    ] {
        assert!(types.contains(&needed.to_owned()), "{needed}");
    }
    let elements = global_names(&doc, "element");
    for header in [
        "ApplicationToken",
        "Credentials",
        "TimeZone",
        "ExceptionInfo",
        "ExtraInfo",
        "Succeeded",
    ] {
        assert!(elements.contains(&header.to_owned()), "{header}");
    }
}

#[test]
fn soprincipal_wsdl_advertises_every_supported_operation() {
    let text = soprincipal_wsdl(
        "http://127.0.0.1:9/Remote/Services84/SoPrincipal.svc",
        SOPRINCIPAL_SUPPORTED,
    );
    let doc = parse(&text);
    let root = doc.root_element();
    assert_eq!(root.attribute("name"), Some("WcfSoPrincipalService"));
    check_operation(
        root,
        "SoPrincipal",
        "AuthenticateUsernamePassword",
        "AuthenticateResponse",
        &["ApplicationToken"],
    );
    check_operation(
        root,
        "SoPrincipal",
        "GetSystemInfo",
        "GetSystemInfoResponse",
        &["ApplicationToken"],
    );
    check_references_resolve(&doc);
    assert_eq!(
        operation_names(root, "portType"),
        ["GetSystemInfo", "AuthenticateUsernamePassword"]
    );
    assert!(text.contains(
        "targetNamespace=\"http://schemas.datacontract.org/2004/07/System.Security.Cryptography\""
    ));
    let types = global_names(&doc, "complexType");
    for needed in [
        "SoPrincipalCarrier",
        "SoCredentials",
        "SoSystemInfoCarrier",
        "LicenseInfo",
        "GrantedModuleLicense",
    ] {
        assert!(types.contains(&needed.to_owned()), "{needed}");
    }
    // No request header other than ApplicationToken exists in SoPrincipal.
    assert!(!global_names(&doc, "element").contains(&"Credentials".to_owned()));
}

#[test]
fn unadvertised_operations_are_absent() {
    let text = user_wsdl(
        ADDRESS,
        &["ChangeOwnPassword", "GetUser", "Bogus", "ChangeOwnPassword"],
    );
    let doc = parse(&text);
    let root = doc.root_element();
    assert_eq!(operation_names(root, "portType"), ["ChangeOwnPassword"]);
    assert_eq!(
        operation_names(root, "binding"),
        ["ChangeOwnPassword", "ChangeOwnPassword"]
    );
    for absent in [
        "SetPassword",
        "GetUser",
        "Bogus",
        "IsPasswordValidWithReason",
    ] {
        assert!(named(root, WSDL, "message", &format!("{absent}Request")).is_none());
        assert!(!global_names(&doc, "element").contains(&absent.to_owned()));
    }
    let types = global_names(&doc, "complexType");
    assert!(!types.contains(&"UserValidationResult".to_owned()));
    assert!(!types.contains(&"Carrier".to_owned()));
    assert!(!global_names(&doc, "simpleType").contains(&"UserType".to_owned()));
    check_references_resolve(&doc);

    let text = soprincipal_wsdl(
        ADDRESS,
        &["AuthenticateUsernamePassword", "AuthenticateImplicit"],
    );
    let doc = parse(&text);
    assert_eq!(
        operation_names(doc.root_element(), "portType"),
        ["AuthenticateUsernamePassword"]
    );
    assert!(!text.contains("System.Security.Cryptography"));
    assert!(!text.contains("SoSystemInfoCarrier"));
    check_references_resolve(&doc);

    let text = soprincipal_wsdl(ADDRESS, &["GetSystemInfo"]);
    let doc = parse(&text);
    assert!(!text.contains("AuthenticateResponse"));
    assert!(!text.contains("SoPrincipalCarrier"));
    check_references_resolve(&doc);

    let text = user_wsdl(ADDRESS, &[]);
    let doc = parse(&text);
    assert!(operation_names(doc.root_element(), "portType").is_empty());
    check_references_resolve(&doc);
}

#[test]
fn address_is_escaped_in_both_ports() {
    let address = "https://h.example/a?x=1&y=\"2\"<'3'>";
    for text in [
        user_wsdl(address, USER_SUPPORTED),
        soprincipal_wsdl(address, SOPRINCIPAL_SUPPORTED),
    ] {
        assert!(!text.contains(address));
        let doc = parse(&text);
        let locations: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name((SOAP11, "address")) || n.has_tag_name((SOAP12, "address")))
            .filter_map(|n| n.attribute("location"))
            .collect();
        assert_eq!(locations, [address, address]);
    }
}

#[test]
fn service_has_one_port_per_binding() {
    let text = user_wsdl(ADDRESS, USER_SUPPORTED);
    let doc = parse(&text);
    let service = named(doc.root_element(), WSDL, "service", "WcfUserService")
        .unwrap_or_else(|| panic!("missing {}", "service"));
    let ports: Vec<_> = children(service, WSDL, "port")
        .iter()
        .map(|p| {
            (
                p.attribute("name").unwrap_or_default(),
                p.attribute("binding").unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        ports,
        [
            ("BasicHttpBinding_User", "tns:BasicHttpBinding_User"),
            ("Soap12Binding_User", "tns:Soap12Binding_User"),
        ]
    );
}

/// Blocks copied verbatim from the original Services84 WSDLs must appear unchanged.
#[test]
fn original_blocks_are_reproduced_verbatim() {
    let user = user_wsdl(ADDRESS, USER_SUPPORTED);
    let blocks = [
        r#"    <wsdl:operation name="ChangeOwnPassword">
      <wsdl:input wsaw:Action="http://www.superoffice.net/ws/crm/NetServer/Services84/User/ChangeOwnPassword" name="ChangeOwnPasswordRequest" message="tns:ChangeOwnPasswordRequest" />
      <wsdl:output wsaw:Action="http://www.superoffice.net/ws/crm/NetServer/Services84/User/ChangeOwnPasswordResponse" name="ChangeOwnPasswordResponse" message="tns:ChangeOwnPasswordResponse" />
    </wsdl:operation>
"#,
        r#"  <wsdl:binding name="BasicHttpBinding_User" type="tns:User">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" />
"#,
        r#"  <wsdl:message name="ChangeOwnPasswordRequest_Headers">
    <wsdl:part name="ApplicationToken" element="tns:ApplicationToken" />
    <wsdl:part name="Credentials" element="tns:Credentials" />
    <wsdl:part name="TimeZone" element="tns:TimeZone" />
  </wsdl:message>
"#,
    ];
    for block in blocks {
        assert!(user.contains(block), "missing:\n{block}");
    }

    let soprincipal = soprincipal_wsdl(ADDRESS, SOPRINCIPAL_SUPPORTED);
    let block = r#"    <wsdl:operation name="AuthenticateUsernamePassword">
      <soap:operation soapAction="http://www.superoffice.net/ws/crm/NetServer/Services84/SoPrincipal/AuthenticateUsernamePassword" style="document" />
      <wsdl:input name="AuthenticateUsernamePasswordRequest">
        <soap:header message="tns:AuthenticateUsernamePasswordRequest_Headers" part="ApplicationToken" use="literal" />
        <soap:body use="literal" />
      </wsdl:input>
      <wsdl:output name="AuthenticateResponse">
        <soap:header message="tns:AuthenticateResponse_Headers" part="ExceptionInfo" use="literal" />
        <soap:header message="tns:AuthenticateResponse_Headers" part="ExtraInfo" use="literal" />
        <soap:header message="tns:AuthenticateResponse_Headers" part="Succeeded" use="literal" />
        <soap:header message="tns:AuthenticateResponse_Headers" part="TimeZone" use="literal" />
        <soap:body use="literal" />
      </wsdl:output>
    </wsdl:operation>
"#;
    assert!(soprincipal.contains(block), "missing:\n{block}");
}
