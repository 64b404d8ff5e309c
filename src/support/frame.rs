//! Between polars and plain values: equality with a list of words, row
//! counts, days since 1970 and dates, and reading whole columns.

use chrono::NaiveDate;
use polars::prelude::*;

/// Whether `cells` equals one of `words`: a comparison per word, cheaper
/// than `is_in`, which polars' streaming engine runs as a join that hashes
/// every row.
pub fn equals_any(cells: Expr, words: &[&str]) -> Expr {
    words
        .iter()
        .fold(lit(false), |any, word| any.or(cells.clone().eq(lit(*word))))
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

/// Reads an unsigned count from the first row of `column`.
pub fn first_u64(frame: &DataFrame, column: &str) -> PolarsResult<u64> {
    let values = frame.column(column)?.cast(&DataType::UInt64)?;
    Ok(values.u64()?.get(0).unwrap_or(0))
}

/// Reads a whole column of strings (nulls as empty strings).
pub fn strings(frame: &DataFrame, column: &str) -> PolarsResult<Vec<String>> {
    let values = frame.column(column)?.cast(&DataType::String)?;
    Ok(values
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

/// Reads a whole column of counts (nulls as 0).
pub fn counts(frame: &DataFrame, column: &str) -> PolarsResult<Vec<u64>> {
    let values = frame.column(column)?.cast(&DataType::UInt64)?;
    Ok(values.u64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

/// A boolean column, nulls as false.
pub fn flags(frame: &DataFrame, column: &str) -> PolarsResult<Vec<bool>> {
    Ok(frame
        .column(column)?
        .bool()?
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect())
}

/// A date column as days since 1970-01-01.
pub fn epoch_days(frame: &DataFrame, column: &str) -> PolarsResult<Vec<Option<i32>>> {
    Ok(frame
        .column(column)?
        .cast(&DataType::Int32)?
        .i32()?
        .iter()
        .collect())
}
