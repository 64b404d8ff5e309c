//! Collecting the problems a scan flagged: the offending rows fetched
//! (at most the number still listed), and duplicate account ids.

use polars::prelude::*;

use super::plan::{bad_flag, ColumnPlan};
use super::raw::{RawTable, ROW};
use crate::problems::{Location, Problem};

/// A cell problem before its CSV line is known: `index` is the 0-based record.
pub(super) struct Found {
    pub(super) index: u64,
    pub(super) problem: Problem,
    /// For a duplicate id: the record of its first occurrence.
    pub(super) first_seen: Option<u64>,
}

pub(super) fn collect_cell_problems(
    raw: &RawTable,
    checked: &[&ColumnPlan],
    any_bad: Expr,
    room: usize,
    found: &mut Vec<Found>,
) -> PolarsResult<()> {
    let mut select = vec![col(ROW).cast(DataType::UInt64)];
    for plan in checked {
        select.push(
            col(plan.name)
                .cast(DataType::String)
                .alias(format!("__value_{}", plan.name)),
        );
        if let Some(invalid) = &plan.invalid {
            select.push(invalid.clone().alias(bad_flag(plan.name)));
        }
    }
    let rows = raw
        .frame
        .clone()
        .filter(any_bad)
        .select(select)
        .limit(room as IdxSize)
        .collect()?;
    let index = rows.column(ROW)?.u64()?.clone();
    for plan in checked {
        let flags = rows.column(&bad_flag(plan.name))?.bool()?.clone();
        let values = rows
            .column(&format!("__value_{}", plan.name))?
            .str()?
            .clone();
        for i in 0..rows.height() {
            if flags.get(i) == Some(true) {
                found.push(Found {
                    index: index.get(i).unwrap_or(0),
                    problem: Problem {
                        file: raw.display.clone(),
                        location: Location::File,
                        column: Some(plan.name.to_string()),
                        value: Some(values.get(i).unwrap_or("").to_string()),
                        expected: plan.expected.clone(),
                    },
                    first_seen: None,
                });
            }
        }
    }
    found.sort_by_key(|f| f.index);
    found.truncate(room);
    Ok(())
}

/// True on a row whose id (read by `id`) an earlier row has:
/// the first row of an id keeps it, the repeats are set aside.
pub(super) fn repeated_id(id: &ColumnPlan) -> PolarsResult<Expr> {
    Ok(col(ROW).neq(col(ROW).min().over([id.value.clone()])?))
}

/// Finds repeated ids in the column `key`, listing the first that fit
/// `room`; returns how many repeats there are.
pub(super) fn collect_duplicate_ids(
    raw: &RawTable,
    plans: &[ColumnPlan],
    key: &'static str,
    room: usize,
    found: &mut Vec<Found>,
) -> PolarsResult<u64> {
    let Some(id) = plans.iter().find(|p| p.name == key) else {
        return Ok(0);
    };
    let ids = raw
        .frame
        .clone()
        .select([
            col(ROW).cast(DataType::UInt64),
            id.value.clone().alias("__id"),
        ])
        .filter(col("__id").is_not_null());
    let repeated = ids
        .clone()
        .group_by([col("__id")])
        .agg([
            col(ROW).min().alias("__first"),
            len().cast(DataType::UInt64).alias("__n"),
        ])
        .filter(col("__n").gt(lit(1u64)));
    let repeats = repeated
        .clone()
        .select([(col("__n") - lit(1u64)).sum().alias("repeats")])
        .collect()?;
    let repeats = repeats.column("repeats")?.u64()?.get(0).unwrap_or(0);
    // With no room left (as when the caller only counts), listing is wasted.
    if repeats == 0 || found.len() >= room {
        return Ok(repeats);
    }
    let listed = ids
        .inner_join(repeated, col("__id"), col("__id"))
        .filter(col(ROW).neq(col("__first")))
        .sort([ROW], Default::default())
        .limit(room.saturating_sub(found.len()) as IdxSize)
        .collect()?;
    let index = listed.column(ROW)?.u64()?.clone();
    let first = listed.column("__first")?.u64()?.clone();
    let values = listed.column("__id")?.str()?.clone();
    for i in 0..listed.height() {
        found.push(Found {
            index: index.get(i).unwrap_or(0),
            problem: Problem {
                file: raw.display.clone(),
                location: Location::File,
                column: Some(key.to_string()),
                value: Some(values.get(i).unwrap_or("").to_string()),
                expected: String::new(),
            },
            first_seen: first.get(i),
        });
    }
    Ok(repeats)
}
