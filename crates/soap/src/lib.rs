//! passgate-soap: the SuperOffice NetServer "Services84" SOAP front end.
//!
//! `Remote/Services84/SoPrincipal.svc` (log in, get a ticket) and `Remote/Services84/User.svc`
//! (password operations), SOAP 1.1 and 1.2, dispatched by the body's first element. Everything
//! about credentials is delegated to [`passgate_core::Core`]; errors are mapped to the SOAP
//! error channel in one place ([`errors`]).

mod envelope;
mod errors;
mod handler;
pub mod host;
mod ops;
mod reply;
pub mod wsdl;

pub use envelope::{parse_envelope, Envelope, SoapVersion};
pub use handler::{router, SoapState, SOPRINCIPAL_PATH, USER_PATH};

/// The NetServer Services84 target namespace.
pub const TNS: &str = "http://www.superoffice.net/ws/crm/NetServer/Services84";
/// SOAP 1.1 envelope namespace.
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace.
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// XML Schema instance namespace (for `nil`).
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
