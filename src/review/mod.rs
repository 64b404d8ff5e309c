//! The layer that works beside the figures: what changed since the last
//! report, the accounts each control names, exceptions, data quality,
//! findings, how fresh the data is, how names are shown,
//! seats to reclaim, and the account snapshot they read.

pub mod changes;
pub mod controls;
pub mod data_quality;
pub mod exceptions;
pub mod findings;
pub mod freshness;
pub mod privacy;
pub mod reclaim_plan;
pub mod seat_reclaim;
pub mod snapshot;
pub mod tokens;
