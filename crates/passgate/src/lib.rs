//! The passgate server and admin CLI, as a library so integration tests can start the real
//! server in-process.

pub mod admin_cmd;
pub mod app;
pub mod bench;
pub mod breach;
pub mod cli;
pub mod config;
pub mod config_cmd;
pub mod conn;
pub mod db_copy;
pub mod import_cmd;
pub mod import_file;
pub mod legacy_cost;
pub mod mail_cmd;
pub mod metrics;
pub mod microbench;
pub mod pace;
pub mod range_api;
pub mod telemetry;
pub mod tls;
