//! Everything a run writes: the HTML page, insights.json, one SVG chart and
//! one CSV per insight, and the history row; and writing them atomically.

pub mod charts;
mod files;
pub mod history;
mod html;
mod lock;
pub mod past;
pub mod sections;
mod tiles;
pub mod write;

pub use files::{render, Extras, RenderedReport, RunInfo};
