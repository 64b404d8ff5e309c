//! Loading an export bundle: finding its table files, reading them lazily
//! with polars and checking every cell against the data contract.

pub(crate) mod activity_rules;
pub(crate) mod canonical;
pub(crate) mod csv_pieces;
mod found;
mod lines;
mod locate;
pub mod manifest;
mod plan;
pub(crate) mod raw;
mod scan;
pub mod spec;
mod unchecked;
mod validate;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use polars::prelude::LazyFrame;

pub use locate::Format;
use raw::RawTable;
pub(crate) use scan::slice_rows;
pub use spec::Table;
pub(crate) use unchecked::{CsvSource, UncheckedActivity};
pub use validate::{SetAside, Tolerance};

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
    /// The checked, normalized table; `None` for activity left to the
    /// computing pass (`unchecked`), or checked and folded by it.
    frame: Option<LazyFrame>,
    rows: u64,
    latest_date: Option<NaiveDate>,
    set_aside: SetAside,
    /// Activity as read from its file, while its check is left to the
    /// computing pass (see [`load_for_computing`]).
    unchecked: Option<UncheckedActivity>,
}

impl LoadedTable {
    fn checked(checked: validate::CheckedTable) -> Self {
        LoadedTable {
            frame: Some(checked.frame),
            rows: checked.rows,
            latest_date: checked.latest_date,
            set_aside: checked.set_aside,
            unchecked: None,
        }
    }
}

impl Bundle {
    /// The normalized frame of a table, if the bundle has it and it is
    /// checked.
    pub fn frame(&self, table: Table) -> Option<LazyFrame> {
        self.tables.get(&table).and_then(|t| t.frame.clone())
    }

    /// Activity as read from its file, while its check is left to the
    /// computing pass.
    pub(crate) fn unchecked_activity(&self) -> Option<&UncheckedActivity> {
        self.tables
            .get(&Table::Activity)
            .and_then(|t| t.unchecked.as_ref())
    }

    /// Records what the computing pass found while checking activity in
    /// the same scan: `rows` rows (those set aside included), the latest
    /// date, and the rows set aside.
    pub fn activity_checked_in_one_pass(
        &mut self,
        rows: u64,
        latest: Option<NaiveDate>,
        set_aside: SetAside,
    ) {
        if let Some(loaded) = self.tables.get_mut(&Table::Activity) {
            loaded.unchecked = None;
            loaded.rows = rows;
            loaded.latest_date = latest;
            loaded.set_aside = set_aside;
        }
    }

    /// The tolerance the bundle was loaded with.
    pub fn tolerance(&self) -> Tolerance {
        self.tolerance
    }

    /// Data rows of each table present, for logs and the report.
    pub fn row_counts(&self) -> BTreeMap<Table, u64> {
        self.tables
            .iter()
            .map(|(&t, loaded)| (t, loaded.rows))
            .collect()
    }

    /// The rows each table set aside, for tables with any.
    pub fn set_aside(&self) -> BTreeMap<Table, &SetAside> {
        self.tables
            .iter()
            .filter(|(_, loaded)| loaded.set_aside.rows > 0)
            .map(|(&t, loaded)| (t, &loaded.set_aside))
            .collect()
    }

    /// The latest `date` in `activity` once checked, if it has any row
    /// (for activity left to the computing pass, see
    /// `insights::latest_activity_date`).
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

/// When activity is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActivityCheck {
    /// With every other table.
    Now,
    /// By the computing pass, in the same scan as the folding, when every
    /// other table passed its check.
    WhileComputing,
}

/// Loads and checks the bundle in `dir`: any bad row is a problem.
pub fn load(dir: &Path) -> Result<Bundle, ReadError> {
    load_with(dir, ActivityCheck::Now, Tolerance::Strict)
}

/// [`load`] for a run that computes the insights next: bad rows are set
/// aside as `tolerance` allows, and activity is left to the computing
/// pass, which checks it in the same scan as it folds it
/// (`insights::one_pass`), setting its bad rows aside as `tolerance`
/// allows too.
pub fn load_for_computing(dir: &Path, tolerance: Tolerance) -> Result<Bundle, ReadError> {
    load_with(dir, ActivityCheck::WhileComputing, tolerance)
}

fn load_with(
    dir: &Path,
    activity_check: ActivityCheck,
    tolerance: Tolerance,
) -> Result<Bundle, ReadError> {
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
    let mut files = files;
    let activity_file = files.remove(&Table::Activity);
    std::thread::scope(|scope| {
        // Activity, by far the largest file, is opened (copied into the
        // scratch folder, see `raw::open`, unless the computing pass reads
        // it where it is) while the other tables are checked.
        let activity = activity_file.as_ref().map(|file| {
            scope.spawn(|| match activity_check {
                ActivityCheck::Now => raw::open(file, scratch.path()).map(Opened::Raw),
                ActivityCheck::WhileComputing => {
                    UncheckedActivity::open(file, scratch.path()).map(Opened::Unchecked)
                }
            })
        });
        for (table, file) in &files {
            let opened = raw::open(file, scratch.path()).map(Opened::Raw);
            check_table(*table, opened, tolerance, &mut tables, &mut problems);
        }
        if let Some(opening) = activity {
            let opened = opening
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            check_table(
                Table::Activity,
                opened,
                tolerance,
                &mut tables,
                &mut problems,
            );
        }
    });
    problems.into_result()?;
    Ok(Bundle {
        manifest,
        tables,
        tolerance,
        _scratch: scratch,
    })
}

/// A table file as opened for loading.
enum Opened {
    Raw(RawTable),
    /// Activity, for the computing pass to check.
    Unchecked(UncheckedActivity),
}

/// Checks the table `opened` from its file and adds it to `tables`, or
/// what is wrong with it to `problems`; activity opened for the computing
/// pass is left to it.
fn check_table(
    table: Table,
    opened: Result<Opened, Vec<Problem>>,
    tolerance: Tolerance,
    tables: &mut BTreeMap<Table, LoadedTable>,
    problems: &mut Problems,
) {
    let raw = match opened {
        // Activity is the last table: when another has problems, it is
        // checked now, so that a failed load lists all of them.
        Ok(Opened::Unchecked(unchecked)) if problems.is_empty() => {
            tables.insert(
                table,
                LoadedTable {
                    frame: None,
                    rows: 0,
                    latest_date: None,
                    set_aside: SetAside::default(),
                    unchecked: Some(unchecked),
                },
            );
            return;
        }
        Ok(Opened::Unchecked(unchecked)) => unchecked.into_opened(),
        Ok(Opened::Raw(raw)) => Ok(raw),
        Err(found) => Err(found),
    };
    let raw = match raw {
        Ok(raw) => raw,
        Err(found) => {
            found.into_iter().for_each(|p| problems.push(p));
            return;
        }
    };
    let display = raw.display.clone();
    if let Some(checked) = validate::check(raw, problems, tolerance) {
        if table == Table::Accounts && checked.rows == 0 {
            problems.push(Problem::file(
                display,
                "at least one account below the header row",
            ));
            return;
        }
        tables.insert(table, LoadedTable::checked(checked));
    }
}
