//! Assembles a whole WSDL document: types, messages, portType, both bindings and the service.

use super::operations::Operation;
use super::schema::write_types;
use super::service::{Service, RESPONSE_HEADERS, TNS};

/// Root element start tag, with the namespace declarations of the original documents.
const DEFINITIONS_NAMESPACES: &str = concat!(
    " xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\"",
    " xmlns:wsam=\"http://www.w3.org/2007/05/addressing/metadata\"",
    " xmlns:wsx=\"http://schemas.xmlsoap.org/ws/2004/09/mex\"",
    " xmlns:wsap=\"http://schemas.xmlsoap.org/ws/2004/08/addressing/policy\"",
    " xmlns:msc=\"http://schemas.microsoft.com/ws/2005/12/wsdl/contract\"",
    " xmlns:wsp=\"http://schemas.xmlsoap.org/ws/2004/09/policy\"",
    " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"",
    " xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\"",
    " xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\"",
    " xmlns:soap12=\"http://schemas.xmlsoap.org/wsdl/soap12/\"",
    " xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\"",
    " xmlns:tns=\"http://www.superoffice.net/ws/crm/NetServer/Services84\"",
    " xmlns:wsa10=\"http://www.w3.org/2005/08/addressing\"",
    " xmlns:wsaw=\"http://www.w3.org/2006/05/addressing/wsdl\"",
    " xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"",
);

/// The two bindings: (binding/port name prefix, WSDL SOAP extension prefix).
const BINDINGS: [(&str, &str); 2] = [("BasicHttpBinding", "soap"), ("Soap12Binding", "soap12")];

/// Renders the WSDL of `service` advertising the supported operations named in `ops`
/// (original order, duplicates and unknown names ignored), located at `address`.
pub(crate) fn render(service: &Service, address: &str, ops: &[&str]) -> String {
    let advertised: Vec<&Operation> = service
        .operations
        .iter()
        .filter(|operation| ops.contains(&operation.name))
        .collect();

    let mut roots: Vec<&str> = service.request_headers.to_vec();
    roots.extend_from_slice(RESPONSE_HEADERS);
    for operation in &advertised {
        roots.push(operation.name);
        roots.push(operation.response);
    }

    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(&format!(
        "<wsdl:definitions name=\"{}\" targetNamespace=\"{TNS}\"{DEFINITIONS_NAMESPACES}>\n",
        service.definitions_name
    ));
    write_types(&mut out, service, &roots);
    write_messages(&mut out, service, &advertised);
    write_port_type(&mut out, service, &advertised);
    for (binding, soap) in BINDINGS {
        write_binding(&mut out, service, &advertised, binding, soap);
    }
    write_service(&mut out, service, address);
    out.push_str("</wsdl:definitions>\n");
    out
}

fn write_messages(out: &mut String, service: &Service, advertised: &[&Operation]) {
    let mut responses_written: Vec<&str> = Vec::new();
    for operation in advertised {
        let name = operation.name;
        write_message(out, &format!("{name}Request"), &[("parameters", name)]);
        write_header_message(
            out,
            &format!("{name}Request_Headers"),
            service.request_headers,
        );
        let response = operation.response;
        if !responses_written.contains(&response) {
            responses_written.push(response);
            write_message(out, response, &[("parameters", response)]);
            write_header_message(out, &format!("{response}_Headers"), RESPONSE_HEADERS);
        }
    }
}

fn write_header_message(out: &mut String, name: &str, headers: &[&str]) {
    let parts: Vec<(&str, &str)> = headers.iter().map(|h| (*h, *h)).collect();
    write_message(out, name, &parts);
}

/// `parts` are (part name, element local name).
fn write_message(out: &mut String, name: &str, parts: &[(&str, &str)]) {
    out.push_str(&format!("  <wsdl:message name=\"{name}\">\n"));
    for (part, element) in parts {
        out.push_str(&format!(
            "    <wsdl:part name=\"{part}\" element=\"tns:{element}\" />\n"
        ));
    }
    out.push_str("  </wsdl:message>\n");
}

fn write_port_type(out: &mut String, service: &Service, advertised: &[&Operation]) {
    let contract = service.contract;
    out.push_str(&format!("  <wsdl:portType name=\"{contract}\">\n"));
    for operation in advertised {
        let (name, response) = (operation.name, operation.response);
        out.push_str(&format!("    <wsdl:operation name=\"{name}\">\n"));
        out.push_str(&format!(
            "      <wsdl:input wsaw:Action=\"{TNS}/{contract}/{name}\" name=\"{name}Request\" message=\"tns:{name}Request\" />\n"
        ));
        out.push_str(&format!(
            "      <wsdl:output wsaw:Action=\"{TNS}/{contract}/{name}Response\" name=\"{response}\" message=\"tns:{response}\" />\n"
        ));
        out.push_str("    </wsdl:operation>\n");
    }
    out.push_str("  </wsdl:portType>\n");
}

/// One binding; `soap` is the prefix of the WSDL SOAP extension (`soap` for 1.1, `soap12`).
fn write_binding(
    out: &mut String,
    service: &Service,
    advertised: &[&Operation],
    binding: &str,
    soap: &str,
) {
    let contract = service.contract;
    out.push_str(&format!(
        "  <wsdl:binding name=\"{binding}_{contract}\" type=\"tns:{contract}\">\n"
    ));
    out.push_str(&format!(
        "    <{soap}:binding transport=\"http://schemas.xmlsoap.org/soap/http\" />\n"
    ));
    for operation in advertised {
        let (name, response) = (operation.name, operation.response);
        out.push_str(&format!("    <wsdl:operation name=\"{name}\">\n"));
        out.push_str(&format!(
            "      <{soap}:operation soapAction=\"{TNS}/{contract}/{name}\" style=\"document\" />\n"
        ));
        out.push_str(&format!("      <wsdl:input name=\"{name}Request\">\n"));
        for header in service.request_headers {
            out.push_str(&format!(
                "        <{soap}:header message=\"tns:{name}Request_Headers\" part=\"{header}\" use=\"literal\" />\n"
            ));
        }
        out.push_str(&format!("        <{soap}:body use=\"literal\" />\n"));
        out.push_str("      </wsdl:input>\n");
        out.push_str(&format!("      <wsdl:output name=\"{response}\">\n"));
        for header in RESPONSE_HEADERS {
            out.push_str(&format!(
                "        <{soap}:header message=\"tns:{response}_Headers\" part=\"{header}\" use=\"literal\" />\n"
            ));
        }
        out.push_str(&format!("        <{soap}:body use=\"literal\" />\n"));
        out.push_str("      </wsdl:output>\n");
        out.push_str("    </wsdl:operation>\n");
    }
    out.push_str("  </wsdl:binding>\n");
}

fn write_service(out: &mut String, service: &Service, address: &str) {
    let contract = service.contract;
    let location = quick_xml::escape::escape(address);
    out.push_str(&format!(
        "  <wsdl:service name=\"{}\">\n",
        service.definitions_name
    ));
    for (binding, soap) in BINDINGS {
        out.push_str(&format!(
            "    <wsdl:port name=\"{binding}_{contract}\" binding=\"tns:{binding}_{contract}\">\n"
        ));
        out.push_str(&format!(
            "      <{soap}:address location=\"{location}\" />\n"
        ));
        out.push_str("    </wsdl:port>\n");
    }
    out.push_str("  </wsdl:service>\n");
}
