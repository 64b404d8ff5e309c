//! Loading an export bundle: finding its table files, reading them lazily
//! with polars and checking every cell against the data contract.

mod found;
mod lines;
mod locate;
pub mod manifest;
mod plan;
pub(crate) mod raw;
mod scan;
pub mod spec;
mod validate;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use polars::prelude::LazyFrame;

pub use locate::Format;
use raw::RawTable;
pub use spec::Table;
pub use validate::{unsettled_id, SetAside, Tolerance};
use validate::{CheckedTable, IdCheck};

use crate::problems::{BadInput, Problem, Problems, ReadError};

/// A bundle whose every table follows the contract.
pub struct Bundle {
    /// What the bundle's source does not record (`bundle.toml`).
    pub manifest: manifest::Manifest,
    tables: BTreeMap<Table, LoadedTable>,
    /// How many bad rows a table may set aside.
    tolerance: Tolerance,
    /// Holds decompressed copies of `.csv.gz` files for as long as the
    /// lazy frames may read them.
    _scratch: tempfile::TempDir,
}

struct LoadedTable {
    frame: LazyFrame,
    rows: u64,
    latest_date: Option<NaiveDate>,
    set_aside: SetAside,
    /// The raw table, while its account ids are left to the computing
    /// pass ([`IdCheck::WhileComputing`]).
    unchecked_ids: Option<RawTable>,
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

    /// Checks activity's account ids in full when they were left to the
    /// computing pass, which found one it cannot settle (see
    /// [`validate::unsettled_id`]); activity's frame is then the fully
    /// checked one. The problems found are the run's input errors.
    pub fn settle_activity_ids(&mut self) -> Result<(), BadInput> {
        let Some(loaded) = self.tables.get_mut(&Table::Activity) else {
            return Ok(());
        };
        let Some(raw) = loaded.unchecked_ids.take() else {
            return Ok(());
        };
        let mut problems = Problems::default();
        let checked = validate::check(raw, &mut problems, IdCheck::Now, self.tolerance);
        problems.into_result()?;
        if let Some(checked) = checked {
            loaded.frame = checked.frame;
            loaded.set_aside = checked.set_aside;
        }
        Ok(())
    }

    /// The rows each table set aside, for tables with any.
    pub fn set_aside(&self) -> BTreeMap<Table, &SetAside> {
        self.tables
            .iter()
            .filter(|(_, loaded)| loaded.set_aside.rows > 0)
            .map(|(&t, loaded)| (t, &loaded.set_aside))
            .collect()
    }

    /// The latest `date` in `activity`, if it has any row.
    pub fn latest_activity(&self) -> Option<NaiveDate> {
        self.tables
            .get(&Table::Activity)
            .and_then(|t| t.latest_date)
    }
}

/// Whether `dir` holds a bundle: the loader finds its tables, accounts
/// among them.
pub fn exists(dir: &Path) -> bool {
    locate::locate(dir).is_ok_and(|files| files.contains_key(&Table::Accounts))
}

/// Loads and checks the bundle in `dir`: any bad row is a problem.
pub fn load(dir: &Path) -> Result<Bundle, ReadError> {
    load_with(dir, IdCheck::Now, Tolerance::Strict)
}

/// [`load`] for a run that computes the insights next: bad rows are set
/// aside as `tolerance` allows, and activity's account ids are left to
/// the computing pass ([`IdCheck::WhileComputing`]). A run that finds one
/// unsettled calls [`Bundle::settle_activity_ids`].
pub fn load_for_computing(dir: &Path, tolerance: Tolerance) -> Result<Bundle, ReadError> {
    load_with(dir, IdCheck::WhileComputing, tolerance)
}

fn load_with(dir: &Path, ids: IdCheck, tolerance: Tolerance) -> Result<Bundle, ReadError> {
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
        let checked = if table == Table::Activity && ids == IdCheck::WhileComputing {
            check_leaving_ids(raw, &mut problems, tolerance)
        } else {
            validate::check(raw, &mut problems, IdCheck::Now, tolerance)
                .map(|checked| (checked, None))
        };
        if let Some((checked, unchecked_ids)) = checked {
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
                    set_aside: checked.set_aside,
                    unchecked_ids,
                },
            );
        }
    }
    problems.into_result()?;
    Ok(Bundle {
        manifest,
        tables,
        tolerance,
        _scratch: scratch,
    })
}

/// Activity with its account ids left to the computing pass (and the raw
/// table, to check them in full later), when nothing else is wrong with
/// the bundle. Otherwise, or when the rest of activity has problems, it is
/// checked in full, so that a failed load lists bad ids with every other
/// problem. (Activity is the last table checked.)
fn check_leaving_ids(
    raw: RawTable,
    problems: &mut Problems,
    tolerance: Tolerance,
) -> Option<(CheckedTable, Option<RawTable>)> {
    if problems.is_empty() {
        let mut found = Problems::default();
        let checked = validate::check(raw.clone(), &mut found, IdCheck::WhileComputing, tolerance);
        if let Some(checked) = checked {
            return Some((checked, Some(raw)));
        }
    }
    validate::check(raw, problems, IdCheck::Now, tolerance).map(|checked| (checked, None))
}
