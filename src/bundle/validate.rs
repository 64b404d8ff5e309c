//! Checking every cell of a raw table against the contract and turning it
//! into the normalized frame the insights read: trimmed, lower-cased where the
//! contract says so, typed, defaults filled in.
//!
//! Checks are polars expressions (`plan`) evaluated in one scan (`scan`);
//! only when that scan finds problems are the offending rows fetched
//! (`found`) and, for CSV, their line numbers worked out (`lines`).

use chrono::NaiveDate;
use polars::prelude::*;

use super::found::{collect_cell_problems, collect_duplicate_ids, repeated_id};
use super::lines::{place_lines, read_failure};
use super::plan::{
    activity_invalid, any_invalid, email_domain, plan_column, shortcut_flag, with_helpers,
    ColumnPlan,
};
use super::raw::RawTable;
use super::scan::{read_stats, scan_parsed_copy, summarize};
use super::spec::Table;
use crate::problems::{Problem, Problems};
use crate::support::frame::count_rows;

/// A table whose cells passed their checks, but for the rows set aside.
pub struct CheckedTable {
    /// Contract columns, typed and normalized, defaults filled in, the
    /// rows set aside left out.
    pub frame: LazyFrame,
    /// Data rows of the file, those set aside included.
    pub rows: u64,
    /// The latest value of a `date` column, if the table has one.
    pub latest_date: Option<NaiveDate>,
    pub set_aside: SetAside,
}

/// Rows that broke the contract and were left out of the figures, each
/// problem of each row listed.
#[derive(Debug, Clone, Default)]
pub struct SetAside {
    pub rows: u64,
    pub problems: Vec<Problem>,
}

/// How many bad rows a table may have and still be read without them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// Any bad row is a problem (`check`, `max_bad_rows_percent = 0`).
    Strict,
    /// Rows are set aside while they are at most this percentage of
    /// their table's rows.
    Percent(f64),
}

impl Tolerance {
    pub(crate) fn allows(self, bad_rows: u64, rows: u64) -> bool {
        match self {
            Tolerance::Strict => bad_rows == 0,
            Tolerance::Percent(percent) => bad_rows as f64 * 100.0 <= percent * rows as f64,
        }
    }
}

/// Checks every cell of `raw`, adding what is wrong to `problems`. Rows
/// that break the contract are set aside while `tolerance` allows; returns
/// `None` when the table has problems beyond that.
pub fn check(raw: RawTable, problems: &mut Problems, tolerance: Tolerance) -> Option<CheckedTable> {
    let plans = column_plans(&raw);
    let source = raw.frame.clone();
    let raw = RawTable {
        frame: with_helpers(raw.frame.clone(), &plans),
        ..raw
    };
    // A table polars cannot read (or scan) is one problem naming it.
    match check_cells(&raw, source, plans, problems, tolerance) {
        Ok(checked) => checked,
        Err(err) => {
            problems.push(read_failure(&raw, &err));
            None
        }
    }
}

/// How each contract column of `raw` is read.
fn column_plans(raw: &RawTable) -> Vec<ColumnPlan> {
    raw.file
        .table
        .columns()
        .iter()
        .map(|spec| {
            let source = raw.columns.get(spec.name);
            let mut plan = plan_column(spec.name, spec.kind, spec.cell_required(), source);
            // Activity's cells are judged by the rules the run's one pass
            // reads them with, so that both find the same bad cells.
            if let (Table::Activity, Some(dtype)) = (raw.file.table, source) {
                plan.invalid = Some(activity_invalid(spec.name, dtype));
            }
            plan
        })
        .collect()
}

/// Scans the cells against `plans`: the problems found go to `problems`
/// (`None`), else the table as computing reads it, without the rows
/// `tolerance` lets it set aside.
fn check_cells(
    raw: &RawTable,
    source: LazyFrame,
    plans: Vec<ColumnPlan>,
    problems: &mut Problems,
    tolerance: Tolerance,
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
    let key = raw.file.table.unique_key();
    let duplicates = match key {
        Some(key) => collect_duplicate_ids(raw, &plans, key, 0, &mut Vec::new())?,
        None => 0,
    };
    if bad + duplicates == 0 {
        let frame = normalized(raw, plans, &stats, None)?;
        return Ok(Some(table(frame, rows, latest_date, SetAside::default())));
    }
    let set_aside = match key.and_then(|key| plans.iter().find(|p| p.name == key)) {
        Some(id) => any_bad.clone().or(repeated_id(id)?),
        None => any_bad.clone(),
    };
    let bad_rows = count_rows(raw.frame.clone().filter(set_aside.clone()))?;
    let tolerated = tolerance.allows(bad_rows, rows);
    // Every problem of every row when they are set aside; the first that
    // fit the listing when they stop the run.
    let room = if tolerated {
        IdxSize::MAX as usize
    } else {
        problems.room()
    };
    let mut found = Vec::new();
    if bad > 0 {
        collect_cell_problems(raw, &checked, any_bad, room, &mut found)?;
    }
    if let (Some(key), true) = (key, duplicates > 0) {
        collect_duplicate_ids(raw, &plans, key, room, &mut found)?;
    }
    if !tolerated {
        let unlisted = (bad + duplicates).saturating_sub(found.len() as u64) as usize;
        place_lines(raw, &mut found)
            .into_iter()
            .for_each(|p| problems.push(p));
        problems.add_unlisted(unlisted);
        return Ok(None);
    }
    let listed = place_lines(raw, &mut found);
    let frame = normalized(raw, plans, &stats, Some(set_aside.not()))?;
    Ok(Some(table(
        frame,
        rows,
        latest_date,
        SetAside {
            rows: bad_rows,
            problems: listed,
        },
    )))
}

fn table(
    frame: LazyFrame,
    rows: u64,
    latest_date: Option<NaiveDate>,
    set_aside: SetAside,
) -> CheckedTable {
    CheckedTable {
        frame,
        rows,
        latest_date,
        set_aside,
    }
}

/// The table as computing reads it: each column's value, the cheaper one
/// where the scan found every cell canonical, and for CSV the parsed copy
/// when its dates, flags and counts were all canonical. With `keep`, only
/// the rows it holds for (the others were set aside), read from the file.
fn normalized(
    raw: &RawTable,
    plans: Vec<ColumnPlan>,
    stats: &DataFrame,
    keep: Option<Expr>,
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
    // The copy holds the set-aside rows too: with some, the file is read.
    let copy = raw
        .parsed_copy()
        .filter(|_| keep.is_none() && plans.iter().filter(|p| p.parsed()).all(&canonical));
    let computing_source = match (&copy, keep) {
        (Some(copy), _) => with_helpers(
            scan_parsed_copy(copy)?,
            plans.iter().filter(|p| !p.parsed()),
        ),
        (None, Some(keep)) => raw.frame.clone().filter(keep),
        (None, None) => raw.frame.clone(),
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
