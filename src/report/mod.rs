//! Everything a run writes: the HTML page, insights.json, one SVG chart and
//! one CSV per insight, and the history row; and writing them atomically.

mod archive;
pub mod charts;
pub(crate) mod files;
pub mod history;
mod html;
mod lock;
pub mod past;
mod retention;
pub mod sections;
mod security;
pub mod templates;
mod tiles;
pub mod write;

pub use files::{render, Extras, RenderedReport};

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::review::freshness::Freshness;

/// What a report says about the run itself.
pub struct RunInfo<'a> {
    pub as_of: NaiveDate,
    pub generated_at: DateTime<FixedOffset>,
    pub bundle: &'a str,
    /// Where the data comes from and how old it is.
    pub freshness: &'a Freshness,
}
