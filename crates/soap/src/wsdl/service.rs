//! Static description of the two services: names, headers, operations and schema fragments.

use super::operations::{Operation, SOPRINCIPAL_SUPPORTED, USER_SUPPORTED};

/// Target namespace of both services.
pub(crate) const TNS: &str = "http://www.superoffice.net/ws/crm/NetServer/Services84";
/// Namespace of the WCF array types (`ArrayOfstring`, `ArrayOfint`).
pub(crate) const ARRAYS_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";
/// Namespace of the WCF serialization primitives.
pub(crate) const SERIALIZATION_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/";
/// Namespace of `DSAParameters` (used by `SoSystemInfoCarrier` via `SignedPublicKey`).
pub(crate) const CRYPTOGRAPHY_NS: &str =
    "http://schemas.datacontract.org/2004/07/System.Security.Cryptography";

/// Response headers, in binding order; the same for every operation of both services.
pub(crate) const RESPONSE_HEADERS: &[&str] =
    &["ExceptionInfo", "ExtraInfo", "Succeeded", "TimeZone"];

/// Everything that differs between the `User` and `SoPrincipal` WSDLs.
#[derive(Debug)]
pub(crate) struct Service {
    /// Contract name: portType name and the path segment of every action URI.
    pub(crate) contract: &'static str,
    /// `wsdl:definitions` name, also used as the `wsdl:service` name.
    pub(crate) definitions_name: &'static str,
    /// Request headers, in binding order.
    pub(crate) request_headers: &'static [&'static str],
    /// Operations that may be advertised, in the original WSDL order.
    pub(crate) operations: &'static [Operation],
    /// Namespaces the tns schema imports, in the original order (emitted only when that
    /// schema is emitted).
    pub(crate) tns_imports: &'static [&'static str],
    /// Top-level definitions of the tns schema (verbatim from the original, original order),
    /// restricted to what the supported operations and the headers can need.
    pub(crate) tns_fragment: &'static str,
}

/// `Remote/Services84/User.svc`.
pub(crate) static USER: Service = Service {
    contract: "User",
    definitions_name: "WcfUserService",
    request_headers: &["ApplicationToken", "Credentials", "TimeZone"],
    operations: USER_SUPPORTED,
    tns_imports: &[ARRAYS_NS],
    tns_fragment: include_str!("user_tns.xsd"),
};

/// `Remote/Services84/SoPrincipal.svc`.
pub(crate) static SOPRINCIPAL: Service = Service {
    contract: "SoPrincipal",
    definitions_name: "WcfSoPrincipalService",
    request_headers: &["ApplicationToken"],
    operations: SOPRINCIPAL_SUPPORTED,
    tns_imports: &[CRYPTOGRAPHY_NS, ARRAYS_NS, SERIALIZATION_NS],
    tns_fragment: include_str!("soprincipal_tns.xsd"),
};
