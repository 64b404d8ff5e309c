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
    let specs = raw.file.table.columns();
    let plans: Vec<ColumnPlan> = specs
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
        .collect();
    let source = raw.frame.clone();
    let raw = RawTable {
        frame: with_helpers(raw.frame.clone(), &plans),
        ..raw
    };
    let checked: Vec<&ColumnPlan> = plans.iter().filter(|p| p.invalid.is_some()).collect();
    let any_bad = any_invalid(checked.iter().copied());

    let stats = match summarize(&raw, source, &plans) {
        Ok(stats) => stats,
        Err(err) => {
            problems.push(read_failure(&raw, &err));
            return None;
        }
    };
    let has_date = plans.iter().any(|p| p.name == "date");
    let (rows, flagged, latest_date) = match read_stats(&stats, has_date) {
        Ok(values) => values,
        Err(err) => {
            problems.push(read_failure(&raw, &err));
            return None;
        }
    };
    // The summary flags bad rows once per bad cell; counting them exactly
    // takes another scan, only when there are some.
    let bad = if flagged > 0 {
        match count_rows(raw.frame.clone().filter(any_bad.clone())) {
            Ok(bad) => bad,
            Err(err) => {
                problems.push(read_failure(&raw, &err));
                return None;
            }
        }
    } else {
        0
    };

    let mut found = Vec::new();
    if bad > 0 {
        if let Err(err) =
            collect_cell_problems(&raw, &checked, any_bad, problems.room(), &mut found)
        {
            problems.push(read_failure(&raw, &err));
            return None;
        }
    }
    let duplicates = if raw.file.table == Table::Accounts {
        match collect_duplicate_ids(&raw, &plans, problems.room(), &mut found) {
            Ok(count) => count,
            Err(err) => {
                problems.push(read_failure(&raw, &err));
                return None;
            }
        }
    } else {
        0
    };
    if bad + duplicates > 0 {
        let unlisted = (bad + duplicates).saturating_sub(found.len() as u64) as usize;
        place_lines(&raw, &mut found, problems);
        problems.add_unlisted(unlisted);
        return None;
    }

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
        Some(copy) => match scan_parsed_copy(copy) {
            Ok(frame) => with_helpers(frame, plans.iter().filter(|p| !p.parsed())),
            Err(err) => {
                problems.push(read_failure(&raw, &err));
                return None;
            }
        },
        None => raw.frame,
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
    Some(CheckedTable {
        frame: computing_source.select(values),
        rows,
        latest_date,
    })
}
