//! End-to-end tests through the real HTTP server on a random port (one test binary).

#[macro_use]
mod harness;

mod admin;
mod admission;
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
mod policy;
mod reset;
mod rest;
mod secrets;
mod serve_process;
mod servicestack;
mod smtp;
mod soap_errors;
mod soap_flows;
mod throttle;
mod web;
mod web_browser;
mod webapi;
mod webapi_client;
