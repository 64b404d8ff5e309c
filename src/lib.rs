//! org-insights: the security and usage insights of an Atlassian
//! organization, computed offline from an export bundle.

pub mod bundle;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod email;
pub mod error;
pub mod generate;
pub mod import;
pub mod insight_key;
pub mod insights;
pub mod pipeline;
pub mod problems;
pub mod pull;
pub mod report;
pub mod review;
pub mod runner;
pub mod schedule;
pub mod support;
