//! org-insights: the security and usage insights of an Atlassian
//! organization, computed offline from an export bundle.
//!
//! The binary (`main.rs`) enters through `cli`; the integration tests also
//! load bundles (`bundle`) and run the pipeline (`pipeline`). Everything
//! else is private to the crate, so the compiler reports what nothing uses.

pub(crate) mod access_review;
pub mod bundle;
pub mod cli;
pub(crate) mod config;
pub(crate) mod email;
pub(crate) mod error;
pub(crate) mod import;
pub(crate) mod insight_key;
pub(crate) mod insights;
pub mod pipeline;
pub(crate) mod problems;
pub(crate) mod pull;
pub(crate) mod reclaim;
pub(crate) mod report;
pub(crate) mod review;
pub(crate) mod runner;
pub(crate) mod schedule;
pub(crate) mod support;
pub(crate) mod tokens;
pub(crate) mod tools;
