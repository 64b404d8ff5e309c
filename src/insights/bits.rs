//! The bit layout of an activity row's facts, shared by the two readers of
//! activity ([`super::activity`] through polars, [`super::one_pass`] cell
//! by cell): where each fact of a pair (an account and a product) sits in
//! the two words ORed together per row, the months of a trend, and what
//! the Rovo, AI and Trello figures need to know of `sites`.

use chrono::{Datelike, Months, NaiveDate};

use super::WINDOW_DAYS;
use crate::support::frame::date_to_days;

/// What the Rovo, AI and Trello figures need to know of `sites`.
pub struct SiteFacts {
    /// Sites where Rovo is activated.
    pub rovo_sites: Vec<String>,
    /// For each product, the sites where Atlassian Intelligence is on for it.
    pub ai_sites_by_product: Vec<(String, Vec<String>)>,
    /// Trello sites of each plan above free, by plan index.
    pub trello_sites_by_plan: Vec<(u32, Vec<String>)>,
}

/// Months a trend shows at most, as_of's month included; the bit after
/// them stands for every earlier month.
pub const MONTHS: u32 = 12;
pub const OLDER: u32 = MONTHS;

/// Rovo actions that count only when results were generated.
pub const GENERATING: [&str; 4] = ["rovo_search", "rovo_definition", "rovo_chat", "rovo_agent"];
/// Rovo actions that always count.
pub const CLICKS: [&str; 3] = [
    "rovo_first_party_click",
    "rovo_third_party_click",
    "rovo_third_party_filter",
];

// Where each bit sits in the two words ORed together for each pair: two
// words are two columns to compute and hand over per row, not fourteen.
// Word `a`: the window's days, the window flags, the months of views.
pub const WINDOW_ANY_BIT: u32 = WINDOW_DAYS as u32;
pub const WINDOW_MOBILE_BIT: u32 = WINDOW_ANY_BIT + 1;
pub const WINDOW_ROVO_BIT: u32 = WINDOW_ANY_BIT + 2;
pub const WINDOW_AI_BIT: u32 = WINDOW_ANY_BIT + 3;
pub const VIEW_MONTHS_SHIFT: u32 = WINDOW_ANY_BIT + 4;
// Word `b`: the months of Rovo and AI use, the Trello plans viewed.
pub const ROVO_MONTHS_SHIFT: u32 = 0;
pub const AI_MONTHS_SHIFT: u32 = OLDER + 1;
pub const TRELLO_PLAN_SHIFT: u32 = 2 * (OLDER + 1);

/// The first day of as_of's month and of each of the [`MONTHS`] - 1
/// months before it, as days since 1970-01-01: month `k` of a trend
/// starts at element `k`.
pub fn month_starts(as_of: NaiveDate) -> [i32; MONTHS as usize] {
    let first_of_month = as_of.with_day(1).unwrap_or(as_of);
    std::array::from_fn(|k| {
        let start = first_of_month
            .checked_sub_months(Months::new(k as u32))
            .unwrap_or(NaiveDate::MIN);
        date_to_days(start)
    })
}

/// The account number that stands for every account missing from `accounts`.
pub const UNKNOWN: u32 = u32::MAX;
