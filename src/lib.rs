//! org-insights: the security and usage insights of an Atlassian
//! organization, computed offline from an export bundle.

pub mod blocking;
pub mod bundle;
pub mod changes;
pub mod cli;
pub mod config;
pub mod controls;
pub mod data_quality;
pub mod doctor;
pub mod email;
pub mod error;
pub mod exceptions;
pub mod findings;
pub mod frame;
pub mod freshness;
pub mod generate;
pub mod headlines;
pub mod import;
pub mod insight_key;
pub mod insights;
pub mod pipeline;
pub mod privacy;
pub mod problems;
pub mod progress;
pub mod pull;
pub mod report;
pub mod runner;
pub mod schedule;
pub mod seat_reclaim;
pub mod snapshot;
pub mod templates;
pub mod words;
