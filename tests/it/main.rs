//! Every integration test of org-insights, in one binary: each test
//! binary links polars, and linking it once instead of once per file is
//! most of a cold build. One module per area, as the files were; shared
//! helpers in `common`.

// Test code: a failed unwrap is a failed test, a scenario may take more
// than 80 lines to set up and check, and signals and umasks are sent and
// set through the C library.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]
#![allow(unsafe_code)]

mod common;

mod access_review;
mod archive;
mod bad_input;
mod browser;
mod changes;
mod contract;
mod contract_columns;
mod crash;
mod csv_conformance;
mod email;
mod exceptions;
mod faults;
mod fuzz;
mod generate;
mod hostile;
mod import;
mod import_roles;
mod layers;
mod limits;
mod mail_triggers;
mod one_pass;
mod output;
mod privacy;
mod pull;
mod pull_security;
mod readable;
mod reclaim;
mod reclaim_safety;
mod recommendations;
mod report_size;
mod sample;
mod schedule;
mod seat_reclaim;
mod set_aside;
mod smtp_auth;
mod tokens;
