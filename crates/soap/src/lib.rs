//! SOAP front end.
pub mod wsdl;
