//! End-to-end tests through the real HTTP server on a random port (one test binary).

mod harness;

mod admin;
mod cli;
mod concurrency;
mod http;
mod interop;
mod policy;
mod rest;
mod secrets;
mod soap_errors;
mod soap_flows;
mod throttle;
