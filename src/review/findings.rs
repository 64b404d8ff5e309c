//! What most needs an admin's attention, in plain words, most important
//! first: rows set aside, lapsed exceptions, then what each insight's
//! figures call for (each insight's file says what and how pressing), and
//! rows of unknown accounts last.

use crate::insights::Insights;
use crate::review::data_quality::DataQuality;
use crate::review::exceptions::Review;
use crate::support::words::{count_of, plural};

/// Rows the run set aside, in words, with where the first ones are (not
/// their values, which may be names): what the digest says first.
pub fn set_aside_rows(quality: &DataQuality) -> Option<String> {
    let rows: u64 = quality.set_aside_rows.values().sum();
    if rows == 0 {
        return None;
    }
    let mut places: Vec<String> = quality
        .bad_rows
        .iter()
        .take(SET_ASIDE_PLACES)
        .map(|bad| {
            format!(
                "{} line {} ({})",
                bad.problem.file,
                bad.line(),
                bad.problem.column.as_deref().unwrap_or("row")
            )
        })
        .collect();
    if quality.bad_rows.len() > SET_ASIDE_PLACES {
        places.push("…".to_string());
    }
    Some(format!(
        "{} of the bundle broke the data contract and {} set aside, so the figures leave {} out: {}. Fix {} in the bundle; the report's data quality section and data/bad_rows.csv list every problem.",
        count_of(rows, "row"),
        plural(rows, "was", "were"),
        plural(rows, "it", "them"),
        places.join(", "),
        plural(rows, "it", "them"),
    ))
}

/// Places of set-aside rows a finding names before "…".
const SET_ASIDE_PLACES: usize = 3;

/// Every finding that applies, most important first.
pub fn findings(i: &Insights, quality: &DataQuality, exceptions: &Review) -> Vec<String> {
    // An exception that lapsed is a promise to look again: first.
    let mut found: Vec<String> = exceptions
        .expired()
        .map(|expired| {
            format!(
                "The exception for {} (owner {}) expired on {}: renew or remove it.",
                expired.target, expired.exception.owner, expired.exception.expires
            )
        })
        .collect();
    // Then what each insight's figures call for, most pressing first.
    found.extend(i.findings());
    let unknown: u64 = quality.unknown_accounts.values().sum();
    if unknown > 0 {
        found.push(format!(
            "{} of the export {} to accounts missing from the accounts table.",
            count_of(unknown, "row"),
            plural(unknown, "refers", "refer")
        ));
    }
    found
}
