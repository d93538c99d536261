//! WSDL documents for `Remote/Services84/User.svc` and `Remote/Services84/SoPrincipal.svc`.
//!
//! The documents reproduce the original NetServer Services84 WSDLs (definitions, schemas,
//! messages, portType, `BasicHttpBinding_*` SOAP 1.1 binding, actions and header layout) for the
//! operations passgate advertises, with two deliberate differences: only the schema definitions
//! the advertised operations and the SOAP headers transitively need are included, and a SOAP 1.2
//! binding (`Soap12Binding_User` / `Soap12Binding_SoPrincipal`) with its own port is added next
//! to the original one. Both ports share the given address.

mod document;
mod operations;
mod schema;
mod service;

#[cfg(test)]
mod tests;

pub use operations::{SOPRINCIPAL_ORIGINAL_OPERATIONS, USER_ORIGINAL_OPERATIONS};

/// WSDL for `User.svc` advertising only `ops`, with `soap:address` (and `soap12:address`) set
/// to `address` (XML-escaped).
///
/// Supported operations: `ChangeOwnPassword`, `ChangePassword`, `ChangePasswordFromName`,
/// `SetPassword`, `SetPasswordFromName`, `SetGeneratedPassword`, `SetGeneratedPasswordFromName`,
/// `GenerateNewPasswordForExternalUser`, `IsPasswordValid`, `IsPasswordValidWithReason`.
/// Other names are skipped; operations appear in the original WSDL order whatever the order
/// of `ops`.
pub fn user_wsdl(address: &str, ops: &[&str]) -> String {
    document::render(&service::USER, address, ops)
}

/// WSDL for `SoPrincipal.svc` advertising only `ops`, with `soap:address` (and
/// `soap12:address`) set to `address` (XML-escaped).
///
/// Supported operations: `AuthenticateUsernamePassword`, `GetSystemInfo`. Other names are
/// skipped; operations appear in the original WSDL order whatever the order of `ops`.
pub fn soprincipal_wsdl(address: &str, ops: &[&str]) -> String {
    document::render(&service::SOPRINCIPAL, address, ops)
}
