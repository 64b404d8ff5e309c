//! Loading an export bundle: finding its table files, reading them lazily
//! with polars and checking every cell against the data contract.

mod locate;
pub mod manifest;
mod raw;
pub mod spec;
mod validate;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use polars::prelude::LazyFrame;

pub use locate::Format;
pub use spec::Table;
pub use validate::{date_to_days, days_to_date};

use crate::problems::{BadInput, Problem, Problems};

/// A bundle whose every table follows the contract.
pub struct Bundle {
    /// What the bundle's source does not record (`bundle.toml`).
    pub manifest: manifest::Manifest,
    tables: BTreeMap<Table, LoadedTable>,
    /// Holds decompressed copies of `.csv.gz` files for as long as the
    /// lazy frames may read them.
    _scratch: tempfile::TempDir,
}

struct LoadedTable {
    frame: LazyFrame,
    rows: u64,
    latest_date: Option<NaiveDate>,
}

impl Bundle {
    /// The normalized frame of a table, if the bundle has it.
    pub fn frame(&self, table: Table) -> Option<LazyFrame> {
        self.tables.get(&table).map(|t| t.frame.clone())
    }

    /// Data rows of each table present, for logs and the report.
    pub fn row_counts(&self) -> BTreeMap<Table, u64> {
        self.tables
            .iter()
            .map(|(&t, loaded)| (t, loaded.rows))
            .collect()
    }

    /// The latest `date` in `activity`, if it has any row.
    pub fn latest_activity(&self) -> Option<NaiveDate> {
        self.tables
            .get(&Table::Activity)
            .and_then(|t| t.latest_date)
    }
}

/// Loads and checks the bundle in `dir`. Any problem with the data is a
/// [`BadInput`] listing every problem found (up to the listing limit).
pub fn load(dir: &Path) -> anyhow::Result<Bundle> {
    let files = locate::locate(dir).map_err(BadInput)?;
    let scratch = tempfile::Builder::new()
        .prefix("org-insights-")
        .tempdir()
        .context("creating a scratch directory for decompressed files")?;

    let mut problems = Problems::default();
    let manifest = manifest::read(dir).unwrap_or_else(|problem| {
        problems.push(problem);
        manifest::Manifest::default()
    });
    let mut tables = BTreeMap::new();
    for (table, file) in files {
        let raw = match raw::open(&file, scratch.path()) {
            Ok(raw) => raw,
            Err(found) => {
                found.into_iter().for_each(|p| problems.push(p));
                continue;
            }
        };
        let display = raw.display.clone();
        if let Some(checked) = validate::check(raw, &mut problems) {
            if table == Table::Accounts && checked.rows == 0 {
                problems.push(Problem::file(
                    display,
                    "at least one account below the header row",
                ));
                continue;
            }
            tables.insert(
                table,
                LoadedTable {
                    frame: checked.frame,
                    rows: checked.rows,
                    latest_date: checked.latest_date,
                },
            );
        }
    }
    problems.into_result()?;
    Ok(Bundle {
        manifest,
        tables,
        _scratch: scratch,
    })
}
