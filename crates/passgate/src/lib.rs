//! The passgate server and admin CLI, as a library so integration tests can start the real
//! server in-process.

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod conn;
pub mod import_file;
pub mod metrics;
pub mod pace;
pub mod range_api;
pub mod telemetry;
pub mod tls;
