//! Checking every cell of a raw table against the contract and turning it
//! into the normalized frame the insights read: trimmed, lower-cased where the
//! contract says so, typed, defaults filled in.
//!
//! Checks are polars expressions evaluated in one scan; only when that scan
//! finds problems are the offending rows fetched (at most the number still
//! listed) and, for CSV, their line numbers worked out with the `csv` crate.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use super::raw::{csv_error_problem, RawTable, ROW};
use super::spec::{Kind, Table, FALSE_WORDS, TRUE_WORDS};
use crate::problems::{Location, Problem, Problems};

/// A table whose every cell passed its checks.
pub struct CheckedTable {
    /// Contract columns, typed and normalized, defaults filled in.
    pub frame: LazyFrame,
    pub rows: u64,
    /// The latest value of a `date` column, if the table has one.
    pub latest_date: Option<NaiveDate>,
}

/// How one contract column is read from its source column.
struct ColumnPlan {
    name: &'static str,
    kind: Kind,
    value: Expr,
    /// True where the cell breaks the contract.
    invalid: Option<Expr>,
    expected: String,
    /// For a text column: true where a cell is not already in its
    /// canonical form (trimmed, lower-cased where the kind asks, not
    /// empty), and the cheaper value to use when no cell is.
    shortcut: Option<(Expr, Expr)>,
    /// For a text column: the trimmed and the lower-cased cell, computed
    /// once per row as helper columns that every expression above reads.
    helpers: Option<(Expr, Expr)>,
}

impl ColumnPlan {
    /// Checked once per distinct value rather than once per row: a column
    /// read as text whose values repeat (products, sites, enums, CSV dates).
    fn grouped(&self) -> bool {
        self.helpers.is_some() && !IDENTIFIERS.contains(&self.name)
    }

    /// A grouped column read as text and parsed into a date, a boolean or
    /// a number (CSV dates, flags and counts).
    fn parsed(&self) -> bool {
        self.grouped() && matches!(self.kind, Kind::Date | Kind::Bool { .. } | Kind::Int { .. })
    }
}

/// The columns of `plans` whose values repeat, as the sets of columns each
/// grouped together: the text ones (products, sites, enums) at once, since
/// their combinations are few, and each parsed one alone (a CSV's dates
/// times its counts times its flags would be millions of groups).
fn key_sets<'a>(plans: &[&'a ColumnPlan]) -> Vec<Vec<&'a ColumnPlan>> {
    let (parsed, text): (Vec<&ColumnPlan>, Vec<&ColumnPlan>) =
        plans.iter().copied().partition(|p| p.parsed());
    let mut sets: Vec<Vec<&ColumnPlan>> = parsed.into_iter().map(|p| vec![p]).collect();
    if !text.is_empty() {
        sets.push(text);
    }
    sets
}

/// The dates, flags and counts of `plans` as a CSV's parsed copy keeps
/// them: read as if canonical, typed (a date takes 4 bytes to compress, its
/// text 16). The copy serves computing only when the check finds them all
/// canonical (see [`check`]).
fn typed_in_copy(plans: &[ColumnPlan]) -> Vec<Expr> {
    plans
        .iter()
        .filter(|p| p.parsed())
        .filter_map(|p| Some(p.shortcut.as_ref()?.1.clone().alias(p.name)))
        .collect()
}

/// True where any of `plans` finds its cell breaking the contract.
fn any_invalid<'a>(plans: impl IntoIterator<Item = &'a ColumnPlan>) -> Expr {
    plans
        .into_iter()
        .filter_map(|p| p.invalid.clone())
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

fn trimmed_column(name: &str) -> String {
    format!("__trimmed_{name}")
}

fn lower_column(name: &str) -> String {
    format!("__lower_{name}")
}

/// `frame` with the helper columns of `plans`; polars drops the ones no
/// later expression reads.
fn with_helpers<'a>(
    frame: LazyFrame,
    plans: impl IntoIterator<Item = &'a ColumnPlan>,
) -> LazyFrame {
    let (trims, lowers): (Vec<Expr>, Vec<Expr>) =
        plans.into_iter().filter_map(|p| p.helpers.clone()).unzip();
    if trims.is_empty() {
        return frame;
    }
    frame.with_columns(trims).with_columns(lowers)
}

fn null_of(dtype: DataType) -> Expr {
    lit(NULL).cast(dtype)
}

fn plan_column(
    name: &'static str,
    kind: Kind,
    required: bool,
    source: Option<&DataType>,
) -> ColumnPlan {
    let expected = kind.expectation();
    let Some(dtype) = source else {
        return ColumnPlan {
            name,
            kind,
            value: default_value(kind),
            invalid: None,
            expected,
            shortcut: None,
            helpers: None,
        };
    };

    // Native Parquet types that already mean what the contract says.
    match (kind, dtype) {
        (Kind::Bool { default }, DataType::Boolean) => {
            return ColumnPlan {
                name,
                kind,
                value: col(name).fill_null(lit(default)),
                invalid: required.then(|| col(name).is_null()),
                expected,
                shortcut: None,
                helpers: None,
            }
        }
        (Kind::Date, DataType::Date | DataType::Datetime(_, _)) => {
            let date = col(name).cast(DataType::Date);
            return ColumnPlan {
                name,
                kind,
                invalid: required.then(|| date.clone().is_null()),
                value: date,
                expected,
                shortcut: None,
                helpers: None,
            };
        }
        (Kind::Int { min, default }, dtype) if dtype.is_integer() => {
            let number = col(name).cast(DataType::Int64);
            let missing = number.clone().is_null();
            let below = number.clone().lt(lit(min));
            return ColumnPlan {
                name,
                kind,
                value: match default {
                    Some(default) => number.fill_null(lit(default)),
                    None => number,
                },
                invalid: Some(if required { missing.or(below) } else { below }),
                expected,
                shortcut: None,
                helpers: None,
            };
        }
        _ => {}
    }

    // Everything else is read as text, exactly as a CSV cell would be.
    let text = as_text(name, dtype);
    let helpers = (
        text.str()
            .strip_chars(lit(NULL))
            .alias(trimmed_column(name)),
        col(trimmed_column(name))
            .str()
            .to_lowercase()
            .alias(lower_column(name)),
    );
    let trimmed = col(trimmed_column(name));
    let empty = trimmed.clone().is_null().or(trimmed.clone().eq(lit("")));
    let missing_required = if required { empty.clone() } else { lit(false) };
    let present = empty.clone().not();
    let lower = col(lower_column(name));

    let (value, bad_when_present) = read_text(kind, trimmed.clone(), lower.clone());
    // Most exports are already canonical: then the value is read from the
    // column itself, and every later scan skips trimming and lower-casing.
    let canonical = match kind {
        Kind::Text | Kind::Email | Kind::Date | Kind::Int { .. } => trimmed.clone(),
        Kind::Key | Kind::Enum { .. } | Kind::Bool { .. } => lower.clone(),
    };
    let shortcut = (*dtype == DataType::String).then(|| {
        let raw = col(name);
        let differs = raw
            .clone()
            .is_not_null()
            .and(raw.clone().neq(canonical).or(raw.clone().eq(lit(""))));
        let (fast, _) = read_text(kind, raw.clone(), raw);
        (differs, fast.fill_null(default_value(kind)))
    });
    let value = when(empty).then(default_value(kind)).otherwise(value);
    let invalid = missing_required
        .or(present.and(bad_when_present))
        .fill_null(lit(false));
    ColumnPlan {
        name,
        kind,
        value,
        invalid: Some(invalid),
        expected,
        shortcut,
        helpers: Some(helpers),
    }
}

/// The value of a present cell of `kind`, read from its `trimmed` and
/// `lower`-cased forms, and whether it breaks the contract.
fn read_text(kind: Kind, trimmed: Expr, lower: Expr) -> (Expr, Expr) {
    match kind {
        Kind::Text => (trimmed, lit(false)),
        Kind::Key => (lower, lit(false)),
        Kind::Email => (
            trimmed.clone(),
            trimmed.str().count_matches(lit("@"), true).neq(lit(1)),
        ),
        Kind::Enum { values, .. } => (lower.clone(), equals_any(lower.clone(), values).not()),
        Kind::Bool { .. } => (
            equals_any(lower.clone(), TRUE_WORDS),
            equals_any(lower.clone(), TRUE_WORDS)
                .or(equals_any(lower.clone(), FALSE_WORDS))
                .not(),
        ),
        Kind::Date => {
            let parsed = trimmed.clone().str().to_date(StrptimeOptions {
                format: Some("%Y-%m-%d".into()),
                strict: false,
                exact: true,
                // A year of activity repeats a few hundred dates.
                cache: true,
            });
            let shaped = trimmed
                .str()
                .contains(lit(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), true);
            (parsed.clone(), parsed.is_null().or(shaped.not()))
        }
        Kind::Int { min, .. } => {
            let parsed = trimmed.cast(DataType::Int64);
            (
                parsed.clone(),
                parsed.clone().is_null().or(parsed.lt(lit(min))),
            )
        }
    }
}

/// Whether `cells` equals one of `words`: a comparison per word, cheaper
/// than `is_in`, which polars' streaming engine runs as a join that hashes
/// every row.
pub fn equals_any(cells: Expr, words: &[&str]) -> Expr {
    words
        .iter()
        .fold(lit(false), |any, word| any.or(cells.clone().eq(lit(*word))))
}

/// Column `name` of source type `dtype`, read as text.
fn as_text(name: &str, dtype: &DataType) -> Expr {
    if *dtype == DataType::String {
        col(name)
    } else {
        col(name).cast(DataType::String)
    }
}

/// A column passed on as text, unchecked: see [`IdCheck::WhileComputing`].
fn unchecked_column(name: &'static str, kind: Kind, dtype: &DataType) -> ColumnPlan {
    ColumnPlan {
        name,
        kind,
        value: as_text(name, dtype),
        invalid: None,
        expected: String::new(),
        shortcut: None,
        helpers: None,
    }
}

/// Text columns whose values are mostly distinct: checked row by row.
const IDENTIFIERS: [&str; 3] = ["account_id", "email", "name"];

fn default_value(kind: Kind) -> Expr {
    match kind {
        Kind::Text | Kind::Key | Kind::Email => null_of(DataType::String),
        Kind::Enum { default, .. } => match default {
            Some(default) => lit(default),
            None => null_of(DataType::String),
        },
        Kind::Bool { default } => lit(default),
        Kind::Date => null_of(DataType::Date),
        Kind::Int { default, .. } => match default {
            Some(default) => lit(default),
            None => null_of(DataType::Int64),
        },
    }
}

fn shortcut_flag(name: &str) -> String {
    format!("__differs_{name}")
}

fn bad_flag(name: &str) -> String {
    format!("__bad_{name}")
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

/// Rows of a Parquet table read per scan. polars' Parquet decoder is not
/// held back by the slower string expressions downstream: one scan of a
/// large file decodes about all of its strings at once. Slices bound that.
const SLICE_ROWS: u64 = 4_000_000;

/// [`SLICE_ROWS`], or `ORG_INSIGHTS_SLICE_ROWS` from the environment: fewer
/// rows per slice use less memory and take a little longer.
fn slice_rows() -> u64 {
    std::env::var("ORG_INSIGHTS_SLICE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&rows| rows > 0)
        .unwrap_or(SLICE_ROWS)
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
fn summarize(raw: &RawTable, source: LazyFrame, plans: &[ColumnPlan]) -> PolarsResult<DataFrame> {
    let (grouped, per_row): (Vec<&ColumnPlan>, Vec<&ColumnPlan>) =
        plans.iter().partition(|p| p.grouped());
    let mut per_row_stats = vec![
        len().cast(DataType::UInt64).alias("__rows"),
        any_invalid(per_row.iter().copied())
            .cast(DataType::UInt64)
            .sum()
            .alias("__row_bad"),
    ];
    for plan in &per_row {
        if plan.name == "date" {
            per_row_stats.push(plan.value.clone().max().alias("__latest"));
        }
        if let Some((differs, _)) = &plan.shortcut {
            per_row_stats.push(
                differs
                    .clone()
                    .cast(DataType::UInt64)
                    .sum()
                    .alias(shortcut_flag(plan.name)),
            );
        }
    }
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

    let mut folded = vec![
        col("__rows").sum().alias("rows"),
        col("__row_bad").sum().alias("flagged"),
    ];
    for plan in &per_row {
        if plan.name == "date" {
            folded.push(col("__latest").max().alias("latest"));
        }
        if plan.shortcut.is_some() {
            let flag = shortcut_flag(plan.name);
            folded.push(col(flag.as_str()).sum().alias(flag));
        }
    }
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
fn scan_parsed_copy(copy: &Path) -> PolarsResult<LazyFrame> {
    LazyFrame::scan_ipc(
        scratch_path(copy)?,
        IpcScanOptions::default(),
        UnifiedScanArgs::default(),
    )
}

/// The domain of an account: the lower-cased part of `email` after its `@`.
fn email_domain() -> Expr {
    col("email")
        .str()
        .strip_chars(lit(NULL))
        .str()
        .extract(lit("(?s)@(.*)$"), 1)
        .str()
        .to_lowercase()
        .alias("domain")
}

fn read_stats(stats: &DataFrame, has_date: bool) -> PolarsResult<(u64, u64, Option<NaiveDate>)> {
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

/// The number of rows of `frame`.
pub fn count_rows(frame: LazyFrame) -> PolarsResult<u64> {
    let counted = frame
        .select([len().cast(DataType::UInt64).alias("rows")])
        .collect()?;
    Ok(counted.column("rows")?.u64()?.get(0).unwrap_or(0))
}

/// Polars stores a date as days since 1970-01-01. `None` beyond the dates
/// chrono can hold (a native Parquet date may be anything).
pub fn days_to_date(days: i32) -> Option<NaiveDate> {
    NaiveDate::default().checked_add_signed(chrono::Duration::days(i64::from(days)))
}

/// The inverse of [`days_to_date`].
pub fn date_to_days(date: NaiveDate) -> i32 {
    (date - NaiveDate::default()).num_days() as i32
}

/// A cell problem before its CSV line is known: `index` is the 0-based record.
struct Found {
    index: u64,
    problem: Problem,
    /// For a duplicate id: the record of its first occurrence.
    first_seen: Option<u64>,
}

fn collect_cell_problems(
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

/// Finds repeated `account_id`s; returns how many repeats there are.
fn collect_duplicate_ids(
    raw: &RawTable,
    plans: &[ColumnPlan],
    room: usize,
    found: &mut Vec<Found>,
) -> PolarsResult<u64> {
    let Some(id) = plans.iter().find(|p| p.name == "account_id") else {
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
    if repeats == 0 {
        return Ok(0);
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
                column: Some("account_id".to_string()),
                value: Some(values.get(i).unwrap_or("").to_string()),
                expected: String::new(),
            },
            first_seen: first.get(i),
        });
    }
    Ok(repeats)
}

/// Gives every found problem its line (CSV) or row (Parquet), in file order.
fn place_lines(raw: &RawTable, found: &mut [Found], problems: &mut Problems) {
    found.sort_by_key(|f| f.index);
    let mut wanted: Vec<u64> = found.iter().map(|f| f.index).collect();
    wanted.extend(found.iter().filter_map(|f| f.first_seen));
    let lines = match &raw.csv_path {
        Some(path) => record_lines(path, &wanted),
        None => HashMap::new(),
    };
    let locate = |index: u64| match lines.get(&index) {
        Some(&line) => Location::Line(line),
        None => raw.location_of(index),
    };
    for f in found.iter() {
        let mut problem = f.problem.clone();
        problem.location = locate(f.index);
        if let Some(first) = f.first_seen {
            let first = match locate(first) {
                Location::Line(n) => format!("line {n}"),
                Location::Row(n) => format!("row {n}"),
                Location::File => "earlier".to_string(),
            };
            problem.expected = format!("a unique account_id (already used on {first})");
        }
        problems.push(problem);
    }
}

/// The line each wanted row (0-based, after the header, as polars counts
/// rows) starts on. A quoted field may hold line breaks, and polars counts
/// a blank line as a row where the `csv` crate skips it; both are followed
/// here so that the line is the one an editor shows.
fn record_lines(path: &Path, wanted: &[u64]) -> HashMap<u64, u64> {
    let mut lines = HashMap::new();
    let Some(&last) = wanted.iter().max() else {
        return lines;
    };
    let Ok(mut reader) = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
    else {
        return lines;
    };
    let Ok(mut file) = File::open(path) else {
        return lines;
    };
    let mut record = csv::ByteRecord::new();
    // The line where the next record would start with no blank line between.
    let mut next_line: Option<u64> = None;
    let mut row = 0u64;
    while row <= last {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            _ => break,
        }
        let Some(position) = record.position() else {
            break;
        };
        let line = content_line(&mut file, position);
        let breaks_inside = record.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
        if let Some(expected) = next_line {
            row += line.saturating_sub(expected);
            if wanted.contains(&row) {
                lines.insert(row, line);
            }
            row += 1;
        }
        next_line = Some(line + breaks_inside + 1);
    }
    lines
}

/// The `csv` crate places a record where the previous one's terminator
/// ended: on the `\n` of a CRLF, or before skipped blank lines. The record
/// itself starts after those line breaks.
fn content_line(file: &mut File, position: &csv::Position) -> u64 {
    let mut line = position.line();
    if file.seek(SeekFrom::Start(position.byte())).is_err() {
        return line;
    }
    let mut buffer = [0u8; 512];
    while let Ok(read) = file.read(&mut buffer) {
        if read == 0 {
            break;
        }
        for byte in &buffer[..read] {
            match byte {
                b'\n' => line += 1,
                b'\r' => {}
                _ => return line,
            }
        }
    }
    line
}

/// Turns a failed scan into a problem. For CSV, the `csv` crate reads the
/// file again to find the first record it cannot parse (bad UTF-8, a record
/// with more fields than the header) and names its line.
fn read_failure(raw: &RawTable, err: &PolarsError) -> Problem {
    if let Some(path) = &raw.csv_path {
        if let Some(problem) = first_unreadable_record(path, &raw.display) {
            return problem;
        }
    }
    Problem::file(&raw.display, format!("a readable file ({err})"))
}

fn first_unreadable_record(path: &Path, display: &str) -> Option<Problem> {
    let mut reader = csv::ReaderBuilder::new().from_path(path).ok()?;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(err) => return Some(csv_error_problem(display, &err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_map_to_the_line_they_start_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\r\n1,\"two\r\nlines\"\r\n2,x\r\n\"3\n\",y\n").unwrap();
        let lines = record_lines(&path, &[0, 1, 2]);
        assert_eq!(lines.get(&0), Some(&2));
        assert_eq!(lines.get(&1), Some(&4));
        assert_eq!(lines.get(&2), Some(&5));
    }

    #[test]
    fn blank_lines_are_rows_for_polars_and_lines_for_people() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        // Rows as polars numbers them: 0 blank, 1 "1,x", 2 and 3 blank, 4 "2,y".
        std::fs::write(&path, "a,b\n\n1,x\n\n\n2,y\n").unwrap();
        let lines = record_lines(&path, &[1, 4]);
        assert_eq!(lines.get(&1), Some(&3));
        assert_eq!(lines.get(&4), Some(&6));
        std::fs::write(&path, "a,b\r\n\r\n1,x\r\n2,\"y\r\n\r\nz\"\r\n\r\n3,w\r\n").unwrap();
        let lines = record_lines(&path, &[1, 2, 4]);
        assert_eq!(lines.get(&1), Some(&3));
        assert_eq!(lines.get(&2), Some(&4));
        assert_eq!(lines.get(&4), Some(&8));
    }
}
