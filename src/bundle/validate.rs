//! Checking every cell of a raw table against the contract and turning it
//! into the normalized frame the insights read: trimmed, lower-cased where the
//! contract says so, typed, defaults filled in.
//!
//! Checks are polars expressions (`plan`) evaluated in one scan (`scan`);
//! only when that scan finds problems are the offending rows fetched
//! (`found`) and, for CSV, their line numbers worked out (`lines`).

use chrono::NaiveDate;
use polars::prelude::*;

use super::found::{collect_cell_problems, collect_duplicate_ids};
use super::lines::{place_lines, read_failure};
use super::plan::{
    any_invalid, email_domain, plan_column, shortcut_flag, unchecked_column, with_helpers,
    ColumnPlan,
};
use super::raw::RawTable;
use super::scan::{read_stats, scan_parsed_copy, summarize};
use super::spec::Table;
use crate::frame::count_rows;
use crate::problems::Problems;

/// A table whose every cell passed its checks.
pub struct CheckedTable {
    /// Contract columns, typed and normalized, defaults filled in.
    pub frame: LazyFrame,
    pub rows: u64,
    /// The latest value of a `date` column, if the table has one.
    pub latest_date: Option<NaiveDate>,
}

/// When activity's account ids are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdCheck {
    /// With every other cell.
    Now,
    /// By the computing pass, which looks every id up among the accounts
    /// anyway: an id found there is a valid one, and [`unsettled_id`]
    /// flags the others that a full check would reject or rewrite. Reading
    /// a hundred million ids once instead of twice is about a twentieth
    /// of a run.
    WhileComputing,
}

/// True where a raw `account_id` cell is one that a full check rejects
/// (missing, empty, blank) or rewrites (space at either end). The cells
/// are tested where they are, not through a trimmed copy of each.
pub fn unsettled_id(cells: Expr) -> Expr {
    let unsettled = |cell: &str| cell.is_empty() || cell.trim().len() != cell.len();
    cells.map_with_fmt_str(
        move |column: Column| {
            let tested: BooleanChunked = column
                .str()?
                .apply_nonnull_values_generic(DataType::Boolean, unsettled);
            Ok(tested.fill_null_with_values(true)?.into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
        "unsettled_id",
    )
}

/// Checks every cell of `raw` (activity's account ids as `ids` says),
/// adding what is wrong to `problems`. Returns `None` when the table has
/// problems.
pub fn check(raw: RawTable, problems: &mut Problems, ids: IdCheck) -> Option<CheckedTable> {
    let plans = column_plans(&raw, ids);
    let source = raw.frame.clone();
    let raw = RawTable {
        frame: with_helpers(raw.frame.clone(), &plans),
        ..raw
    };
    // A table polars cannot read (or scan) is one problem naming it.
    match check_cells(&raw, source, plans, problems) {
        Ok(checked) => checked,
        Err(err) => {
            problems.push(read_failure(&raw, &err));
            None
        }
    }
}

/// How each contract column of `raw` is read; activity's account ids are
/// left to the computing pass when `ids` says so.
fn column_plans(raw: &RawTable, ids: IdCheck) -> Vec<ColumnPlan> {
    raw.file
        .table
        .columns()
        .iter()
        .map(|spec| {
            let source = raw.columns.get(spec.name);
            match source {
                Some(dtype)
                    if ids == IdCheck::WhileComputing
                        && raw.file.table == Table::Activity
                        && spec.name == "account_id" =>
                {
                    unchecked_column(spec.name, spec.kind, dtype)
                }
                _ => plan_column(spec.name, spec.kind, spec.required, source),
            }
        })
        .collect()
}

/// Scans the cells against `plans`: the problems found go to `problems`
/// (`None`), else the table as computing reads it.
fn check_cells(
    raw: &RawTable,
    source: LazyFrame,
    plans: Vec<ColumnPlan>,
    problems: &mut Problems,
) -> PolarsResult<Option<CheckedTable>> {
    let checked: Vec<&ColumnPlan> = plans.iter().filter(|p| p.invalid.is_some()).collect();
    let any_bad = any_invalid(checked.iter().copied());
    let stats = summarize(raw, source, &plans)?;
    let has_date = plans.iter().any(|p| p.name == "date");
    let (rows, flagged, latest_date) = read_stats(&stats, has_date)?;
    // The summary flags bad rows once per bad cell; counting them exactly
    // takes another scan, only when there are some.
    let bad = if flagged > 0 {
        count_rows(raw.frame.clone().filter(any_bad.clone()))?
    } else {
        0
    };
    let mut found = Vec::new();
    if bad > 0 {
        collect_cell_problems(raw, &checked, any_bad, problems.room(), &mut found)?;
    }
    let duplicates = if raw.file.table == Table::Accounts {
        collect_duplicate_ids(raw, &plans, problems.room(), &mut found)?
    } else {
        0
    };
    if bad + duplicates > 0 {
        let unlisted = (bad + duplicates).saturating_sub(found.len() as u64) as usize;
        place_lines(raw, &mut found, problems);
        problems.add_unlisted(unlisted);
        return Ok(None);
    }
    let frame = normalized(raw, plans, &stats)?;
    Ok(Some(CheckedTable {
        frame,
        rows,
        latest_date,
    }))
}

/// The table as computing reads it: each column's value, the cheaper one
/// where the scan found every cell canonical, and for CSV the parsed copy
/// when its dates, flags and counts were all canonical.
fn normalized(
    raw: &RawTable,
    plans: Vec<ColumnPlan>,
    stats: &DataFrame,
) -> PolarsResult<LazyFrame> {
    let canonical = |plan: &ColumnPlan| {
        plan.shortcut.is_some()
            && stats
                .column(&shortcut_flag(plan.name))
                .ok()
                .and_then(|c| c.u64().ok()?.get(0))
                == Some(0)
    };
    // The parsed copy holds dates, flags and counts read as if canonical;
    // when one is not, computing parses the file itself again.
    let copy = raw
        .parsed_copy()
        .filter(|_| plans.iter().filter(|p| p.parsed()).all(&canonical));
    let computing_source = match &copy {
        Some(copy) => with_helpers(
            scan_parsed_copy(copy)?,
            plans.iter().filter(|p| !p.parsed()),
        ),
        None => raw.frame.clone(),
    };
    let mut values: Vec<Expr> = Vec::with_capacity(plans.len() + 1);
    for plan in plans {
        let value = match plan.shortcut {
            Some(_) if copy.is_some() && plan.parsed() => col(plan.name),
            Some((_, fast)) if canonical(&plan) => fast,
            _ => plan.value,
        };
        values.push(value.alias(plan.name));
    }
    if raw.file.table == Table::Accounts {
        values.push(email_domain());
    }
    Ok(computing_source.select(values))
}
