//! What earlier reports in the output folder say: the headline figures of
//! history.csv (for the tiles' trends) and the previous report's snapshot
//! (for the changes). Read before the new report is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use super::history;
use crate::review::changes::Baseline;
use crate::review::snapshot::{self, Snapshot};

pub struct Past {
    /// Rows of history.csv before the report date, oldest first.
    pub history: Vec<BTreeMap<String, String>>,
    pub baseline: Baseline,
}

pub fn load(out: &Path, as_of: NaiveDate) -> Past {
    Past {
        history: history::earlier(&out.join("history.csv"), as_of),
        baseline: baseline(out, as_of),
    }
}

/// The dates of the report folders in `out` (none when it cannot be read).
pub fn dated_reports(out: &Path) -> BTreeSet<NaiveDate> {
    std::fs::read_dir(out)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|entry| {
            let name = entry.file_name();
            NaiveDate::parse_from_str(name.to_str()?, "%Y-%m-%d").ok()
        })
        .collect()
}

/// The report `latest` points at: its date and when it was generated.
pub struct Newest {
    pub as_of: NaiveDate,
    pub generated_at: DateTime<Utc>,
}

/// What `out/latest/insights.json` says, when there is a readable one.
pub fn newest(out: &Path) -> Option<Newest> {
    let json = std::fs::read(out.join("latest").join("insights.json")).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&json).ok()?;
    let field = |name: &str| value.get(name)?.as_str().map(str::to_string);
    Some(Newest {
        as_of: NaiveDate::parse_from_str(&field("as_of")?, "%Y-%m-%d").ok()?,
        generated_at: DateTime::parse_from_rfc3339(&field("generated_at")?)
            .ok()?
            .with_timezone(&Utc),
    })
}

/// The newest report folder dated before `as_of`, and its snapshot.
fn baseline(out: &Path, as_of: NaiveDate) -> Baseline {
    let Some(&date) = dated_reports(out).range(..as_of).next_back() else {
        return Baseline::FirstReport;
    };
    let path = out.join(date.to_string()).join(snapshot::FILE);
    if !path.exists() {
        return Baseline::NoSnapshot(date);
    }
    match Snapshot::read(&path, date) {
        Ok(snapshot) => Baseline::Previous(snapshot),
        Err(err) => {
            tracing::warn!("changes left out: {err:#}");
            Baseline::NoSnapshot(date)
        }
    }
}
