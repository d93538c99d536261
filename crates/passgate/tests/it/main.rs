//! End-to-end tests through the real HTTP server on a random port (one test binary).

#[macro_use]
mod harness;

mod admin;
mod admission;
mod backup;
mod bench;
mod cli;
mod concurrency;
mod connections;
mod crash;
mod db_copy;
mod docs_examples;
mod encoding;
mod hash_jobs;
mod http;
mod import;
mod interop;
mod multinode;
mod outbox;
mod parser_limits;
mod pg_tls;
mod policy;
mod range;
mod reset;
mod rest;
mod secrets;
mod serve_process;
mod servicestack;
mod smtp;
mod soap_errors;
mod soap_flows;
mod systemd;
mod throttle;
mod tls;
mod web;
mod web_browser;
mod webapi;
mod webapi_client;
