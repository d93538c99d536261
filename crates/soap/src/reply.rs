//! Writing SOAP replies: envelopes with the `ExceptionInfo`/`Succeeded` headers, and faults.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use quick_xml::escape::escape;

use crate::envelope::SoapVersion;
use crate::{TNS, XSI_NS};

/// The `ExceptionInfo` reply header (NetServer's error channel).
#[derive(Debug, Clone)]
pub struct ExceptionInfo {
    /// `ExceptionType`, e.g. `SoTicketInvalidException`.
    pub exception_type: &'static str,
    /// `Message`.
    pub message: String,
    /// `Parameters` (key, value) pairs.
    pub parameters: Vec<(String, String)>,
}

/// A SOAP reply: a body fragment plus the reply headers, or a fault.
#[derive(Debug)]
pub enum Reply {
    /// A normal envelope. `exception` set means `Succeeded` false.
    Envelope {
        /// The body's content (the `<OpResponse>` element), already serialised.
        body: String,
        /// The exception, if the operation failed.
        exception: Option<ExceptionInfo>,
    },
    /// A SOAP fault.
    Fault(Fault),
}

/// The SOAP 1.2 `Subcode` of a fault, named as WCF names them, so clients that print the
/// subcode (node-soap, WCF) show what went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subcode {
    /// The request could not be read (malformed, over a limit, a bad value).
    DeserializationFailed,
    /// The body's operation or the action is unknown or does not match.
    ActionNotSupported,
    /// The request cannot be handled now (hashing wait over budget).
    ServerTooBusy,
    /// A failure inside the server.
    InternalServiceFault,
}

/// WCF's dispatcher namespace, where its fault subcodes live.
pub const NS_DISPATCHER: &str =
    "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher";
/// WS-Addressing 1.0, home of `ActionNotSupported`.
pub const NS_ADDRESSING: &str = "http://www.w3.org/2005/08/addressing";

impl Subcode {
    /// (namespace, local name).
    pub fn qname(self) -> (&'static str, &'static str) {
        match self {
            Subcode::DeserializationFailed => (NS_DISPATCHER, "DeserializationFailed"),
            Subcode::ActionNotSupported => (NS_ADDRESSING, "ActionNotSupported"),
            Subcode::ServerTooBusy => (NS_DISPATCHER, "ServerTooBusy"),
            Subcode::InternalServiceFault => (NS_DISPATCHER, "InternalServiceFault"),
        }
    }
}

/// A SOAP fault.
#[derive(Debug)]
pub struct Fault {
    /// True for a client (1.1 `Client` / 1.2 `Sender`) fault, false for a server fault.
    pub client: bool,
    /// SOAP 1.2 `Subcode`.
    pub subcode: Subcode,
    /// `faultstring` / `Reason/Text`.
    pub message: String,
    /// HTTP status (500 for 1.1 client faults and server faults, 400 for 1.2 `Sender`, 503
    /// for overload).
    pub status: Option<StatusCode>,
    /// `Retry-After` seconds, for overload.
    pub retry_after: Option<u64>,
}

impl Fault {
    /// A client fault (bad request).
    pub fn client(message: impl Into<String>) -> Self {
        Fault {
            client: true,
            subcode: Subcode::DeserializationFailed,
            message: message.into(),
            status: None,
            retry_after: None,
        }
    }

    /// A client fault about the operation or action.
    pub fn action(message: impl Into<String>) -> Self {
        Fault {
            subcode: Subcode::ActionNotSupported,
            ..Fault::client(message)
        }
    }

    /// A server fault.
    pub fn server(message: impl Into<String>) -> Self {
        Fault {
            client: false,
            subcode: Subcode::InternalServiceFault,
            message: message.into(),
            status: None,
            retry_after: None,
        }
    }
}

/// Writes `<name>text</name>` with the text escaped.
pub fn element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&escape(text));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Writes an element for an optional string: `i:nil` when absent (WCF's form for nillable).
pub fn opt_element(out: &mut String, name: &str, text: Option<&str>) {
    match text {
        Some(t) => element(out, name, t),
        None => {
            out.push('<');
            out.push_str(name);
            out.push_str(&format!(r#" xmlns:i="{XSI_NS}" i:nil="true"/>"#));
        }
    }
}

fn content_type(version: SoapVersion) -> &'static str {
    match version {
        SoapVersion::V11 => "text/xml; charset=utf-8",
        SoapVersion::V12 => "application/soap+xml; charset=utf-8",
    }
}

fn exception_xml(out: &mut String, e: &ExceptionInfo) {
    out.push_str(&format!(r#"<ExceptionInfo xmlns="{TNS}">"#));
    element(out, "Message", &e.message);
    element(out, "FriendlyText", &e.message);
    element(out, "ExceptionType", e.exception_type);
    element(out, "Source", "passgate");
    if !e.parameters.is_empty() {
        out.push_str("<Parameters>");
        for (k, v) in &e.parameters {
            out.push_str("<SoExceptionInfoParametersKeyValuePair>");
            element(out, "Key", k);
            element(out, "Value", v);
            out.push_str("</SoExceptionInfoParametersKeyValuePair>");
        }
        out.push_str("</Parameters>");
    }
    out.push_str("</ExceptionInfo>");
}

impl Reply {
    /// Serialises the reply in the request's SOAP version.
    pub fn into_response(self, version: SoapVersion) -> Response {
        let ns = version.namespace();
        let mut out = String::with_capacity(1024);
        out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
        out.push_str(&format!(r#"<s:Envelope xmlns:s="{ns}">"#));
        let (status, retry_after) = match self {
            Reply::Envelope { body, exception } => {
                out.push_str("<s:Header>");
                if let Some(e) = &exception {
                    exception_xml(&mut out, e);
                }
                out.push_str(&format!(
                    r#"<Succeeded xmlns="{TNS}">{}</Succeeded>"#,
                    exception.is_none()
                ));
                out.push_str("</s:Header><s:Body>");
                out.push_str(&body);
                out.push_str("</s:Body>");
                (StatusCode::OK, None)
            }
            Reply::Fault(f) => {
                out.push_str("<s:Body><s:Fault>");
                let msg = escape(f.message.as_str());
                match (version, f.client) {
                    (SoapVersion::V11, client) => {
                        let code = if client { "s:Client" } else { "s:Server" };
                        out.push_str(&format!(
                            r#"<faultcode>{code}</faultcode><faultstring xml:lang="en-US">{msg}</faultstring>"#
                        ));
                    }
                    (SoapVersion::V12, client) => {
                        let code = if client { "s:Sender" } else { "s:Receiver" };
                        let (ns, local) = f.subcode.qname();
                        out.push_str(&format!(
                            r#"<s:Code><s:Value>{code}</s:Value><s:Subcode><s:Value xmlns:a="{ns}">a:{local}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{msg}</s:Text></s:Reason>"#
                        ));
                    }
                }
                out.push_str("</s:Fault></s:Body>");
                let status = f.status.unwrap_or(match (version, f.client) {
                    (SoapVersion::V12, true) => StatusCode::BAD_REQUEST,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                });
                (status, f.retry_after)
            }
        };
        out.push_str("</s:Envelope>");
        let mut resp = (status, out).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(version)),
        );
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}
