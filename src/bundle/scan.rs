//! The scans over a table: the checks summarized in one pass (in slices
//! for very large tables), and for CSV the parsed copy kept for computing.

use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use super::plan::{any_invalid, key_sets, shortcut_flag, typed_in_copy, with_helpers, ColumnPlan};
use super::raw::{RawTable, ROW};
use crate::support::frame::{count_rows, days_to_date};

/// Rows of a Parquet table read per scan. polars' Parquet decoder is not
/// held back by the slower string expressions downstream: one scan of a
/// large file decodes about all of its strings at once. Slices bound that.
const SLICE_ROWS: u64 = 4_000_000;

/// [`SLICE_ROWS`], or `ORG_INSIGHTS_SLICE_ROWS` from the environment: fewer
/// rows per slice use less memory and take a little longer.
pub(crate) fn slice_rows() -> u64 {
    std::env::var("ORG_INSIGHTS_SLICE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&rows| rows > 0)
        .unwrap_or(SLICE_ROWS)
}

/// What one scan of a slice says of the columns checked row by row: its
/// rows, its bad rows, its latest date and, per text column, the cells not
/// already canonical.
fn row_stats(per_row: &[&ColumnPlan]) -> Vec<Expr> {
    let mut stats = vec![
        len().cast(DataType::UInt64).alias("__rows"),
        any_invalid(per_row.iter().copied())
            .cast(DataType::UInt64)
            .sum()
            .alias("__row_bad"),
    ];
    for plan in per_row {
        if plan.name == "date" {
            stats.push(plan.value.clone().max().alias("__latest"));
        }
        if let Some((differs, _)) = &plan.shortcut {
            stats.push(
                differs
                    .clone()
                    .cast(DataType::UInt64)
                    .sum()
                    .alias(shortcut_flag(plan.name)),
            );
        }
    }
    stats
}

/// The slices' [`row_stats`] folded into the table's.
fn folded_row_stats(per_row: &[&ColumnPlan]) -> Vec<Expr> {
    let mut folded = vec![
        col("__rows").sum().alias("rows"),
        col("__row_bad").sum().alias("flagged"),
    ];
    for plan in per_row {
        if plan.name == "date" {
            folded.push(col("__latest").max().alias("latest"));
        }
        if plan.shortcut.is_some() {
            let flag = shortcut_flag(plan.name);
            folded.push(col(flag.as_str()).sum().alias(flag));
        }
    }
    folded
}

/// The check statistics of the whole table in one row: `rows`, `flagged`
/// (0 when no cell breaks the contract, else at least the number of rows
/// with a cell that does), `latest` (the latest date, for a table with
/// dates) and, per text column, the cells not in canonical form.
///
/// One scan counts what the row-by-row checks find and the rows of each
/// distinct value of the columns whose values repeat (see [`key_sets`]);
/// the checks of those columns then run once per value, weighted by its
/// rows. Parquet is read in slices (see [`SLICE_ROWS`]).
pub(super) fn summarize(
    raw: &RawTable,
    source: LazyFrame,
    plans: &[ColumnPlan],
) -> PolarsResult<DataFrame> {
    let (grouped, per_row): (Vec<&ColumnPlan>, Vec<&ColumnPlan>) =
        plans.iter().partition(|p| p.grouped());
    let per_row_stats = row_stats(&per_row);
    let key_sets = key_sets(&grouped);
    let summaries = |frame: LazyFrame| {
        let mut summaries = vec![
            with_helpers(frame.clone(), per_row.iter().copied()).select(per_row_stats.clone())
        ];
        for keys in &key_sets {
            summaries.push(
                frame
                    .clone()
                    .group_by(keys.iter().map(|p| col(p.name)).collect::<Vec<_>>())
                    .agg([len().cast(DataType::UInt64).alias("__rows")]),
            );
        }
        summaries
    };
    let mut parts = scan_in_slices(raw, source, &typed_in_copy(plans), summaries)?.into_iter();

    let folded = folded_row_stats(&per_row);
    let Some(row_stats) = parts.next() else {
        polars_bail!(ComputeError: "no summary of the rows");
    };
    let mut stats = row_stats.select(folded).collect()?;
    let mut flagged = stats.column("flagged")?.u64()?.get(0).unwrap_or(0);
    // A bad value makes all its rows bad.
    let weighted = |flag: Expr| when(flag).then(col("__rows")).otherwise(lit(0u64)).sum();
    for (keys, values) in key_sets.iter().zip(parts) {
        let mut checks = vec![
            weighted(any_invalid(keys.iter().copied()).fill_null(lit(false))).alias("__value_bad"),
        ];
        for plan in keys {
            if plan.name == "date" {
                checks.push(plan.value.clone().max().alias("latest"));
            }
            if let Some((differs, _)) = &plan.shortcut {
                checks.push(weighted(differs.clone()).alias(shortcut_flag(plan.name)));
            }
        }
        let checked = with_helpers(values, keys.iter().copied())
            .select(checks)
            .collect()?;
        flagged += checked.column("__value_bad")?.u64()?.get(0).unwrap_or(0);
        for column in checked.columns() {
            if column.name() != "__value_bad" {
                stats.with_column(column.clone())?;
            }
        }
    }
    stats.with_column(Column::new("flagged".into(), [flagged]))?;
    Ok(stats)
}

/// The summaries of the whole table, one frame of partial summaries per
/// plan of `summaries`: for CSV one scan, which also keeps the parsed
/// cells ([`scan_keeping_a_copy`]); for Parquet one scan per slice of
/// [`slice_rows`] rows.
fn scan_in_slices(
    raw: &RawTable,
    source: LazyFrame,
    typed: &[Expr],
    summaries: impl Fn(LazyFrame) -> Vec<LazyFrame>,
) -> PolarsResult<Vec<LazyFrame>> {
    if let Some(copy) = raw.parsed_copy() {
        let cells = source.clone().drop(cols([ROW])).with_columns(typed);
        return scan_keeping_a_copy(summaries(source), cells, &copy);
    }
    // The streaming engine runs these scans several times faster, in
    // bounded memory; the summaries of one slice share its scan.
    let scan = |frame: LazyFrame| {
        LazyFrame::collect_all_with_engine(
            summaries(frame)
                .into_iter()
                .map(|f| f.logical_plan)
                .collect(),
            Engine::Streaming,
            OptFlags::default(),
        )
    };
    let total = count_rows(source.clone())?;
    let size = slice_rows();
    let mut slices: Vec<Vec<LazyFrame>> = Vec::new();
    let mut offset = 0u64;
    loop {
        let results = scan(source.clone().slice(offset as i64, size as IdxSize))?;
        for (k, result) in results.into_iter().enumerate() {
            if slices.len() <= k {
                slices.push(Vec::new());
            }
            slices[k].push(result.lazy());
        }
        offset += size;
        if offset >= total {
            break;
        }
    }
    slices
        .into_iter()
        .map(|parts| concat(parts, UnionArgs::default()))
        .collect()
}

/// Collects `summaries` while the same scan writes the cells of `cells`
/// to `copy`: one parse of a CSV file serves the check and the computing.
fn scan_keeping_a_copy(
    summaries: Vec<LazyFrame>,
    cells: LazyFrame,
    copy: &Path,
) -> PolarsResult<Vec<LazyFrame>> {
    let keep = cells.sink(
        SinkDestination::File {
            target: SinkTarget::Path(scratch_path(copy)?),
        },
        FileWriteFormat::Ipc(IpcWriterOptions {
            compression: Some(IpcCompression::LZ4),
            ..Default::default()
        }),
        UnifiedSinkArgs::default(),
    )?;
    let wanted = summaries.len();
    let plans = summaries
        .into_iter()
        .chain([keep])
        .map(|frame| frame.logical_plan)
        .collect();
    let mut results =
        LazyFrame::collect_all_with_engine(plans, Engine::Streaming, OptFlags::default())?;
    results.truncate(wanted);
    Ok(results.into_iter().map(DataFrame::lazy).collect())
}

fn scratch_path(path: &Path) -> PolarsResult<PlRefPath> {
    path.to_str()
        .map(PlRefPath::new)
        .ok_or_else(|| polars_err!(ComputeError: "the scratch path is not valid UTF-8"))
}

/// The cells [`scan_keeping_a_copy`] kept.
pub(super) fn scan_parsed_copy(copy: &Path) -> PolarsResult<LazyFrame> {
    LazyFrame::scan_ipc(
        scratch_path(copy)?,
        IpcScanOptions::default(),
        UnifiedScanArgs::default(),
    )
}

pub(super) fn read_stats(
    stats: &DataFrame,
    has_date: bool,
) -> PolarsResult<(u64, u64, Option<NaiveDate>)> {
    let rows = stats.column("rows")?.u64()?.get(0).unwrap_or(0);
    let flagged = stats.column("flagged")?.u64()?.get(0).unwrap_or(0);
    let latest = if has_date {
        stats
            .column("latest")?
            .date()?
            .physical()
            .get(0)
            .and_then(days_to_date)
    } else {
        None
    };
    Ok((rows, flagged, latest))
}
