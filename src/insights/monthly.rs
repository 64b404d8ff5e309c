//! Monthly trend of distinct accounts, shared by insights 6, 11 and 12.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use super::{counts, strings};

/// How many months a trend shows at most, as_of's month included.
const MONTHS: u32 = 12;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthActive {
    /// `YYYY-MM`.
    pub month: String,
    pub active: u64,
}

fn month_key(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// Distinct accounts per calendar month (`month`, `active`) among `rows`:
/// the counted rows of one figure, none after as_of.
pub fn per_month(rows: LazyFrame) -> LazyFrame {
    rows.group_by([col("date").dt().strftime("%Y-%m").alias("month")])
        .agg([col("account_id").n_unique().alias("active")])
}

/// The trend from the month of the earliest row (at most 11 months before
/// as_of's month) to as_of's month, zero-filled. No rows at all: empty.
pub fn trend(per_month: &DataFrame, as_of: NaiveDate) -> PolarsResult<Vec<MonthActive>> {
    let active: BTreeMap<String, u64> = strings(per_month, "month")?
        .into_iter()
        .zip(counts(per_month, "active")?)
        .collect();
    let Some(earliest) = active.keys().next() else {
        return Ok(Vec::new());
    };

    let last = first_of_month(as_of);
    let oldest_shown = last
        .checked_sub_months(Months::new(MONTHS - 1))
        .unwrap_or(last);
    let mut month = oldest_shown;
    // Keys sort as dates do, so the earliest month is the first key.
    while month_key(month) < *earliest && month < last {
        month = month.checked_add_months(Months::new(1)).unwrap_or(last);
    }
    let mut trend = Vec::new();
    loop {
        let key = month_key(month);
        trend.push(MonthActive {
            active: active.get(&key).copied().unwrap_or(0),
            month: key,
        });
        if month >= last {
            break;
        }
        month = month.checked_add_months(Months::new(1)).unwrap_or(last);
    }
    Ok(trend)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monthly(dates: &[(&str, &str)], as_of: &str) -> Vec<MonthActive> {
        let ids: Vec<&str> = dates.iter().map(|(id, _)| *id).collect();
        let days: Vec<NaiveDate> = dates
            .iter()
            .map(|(_, d)| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap())
            .collect();
        let rows = df!("account_id" => ids, "date" => days).unwrap().lazy();
        let as_of = NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap();
        trend(&per_month(rows).collect().unwrap(), as_of).unwrap()
    }

    #[test]
    fn starts_at_the_earliest_month_and_fills_gaps() {
        let trend = monthly(
            &[
                ("a", "2026-03-02"),
                ("b", "2026-03-30"),
                ("a", "2026-05-01"),
            ],
            "2026-05-10",
        );
        let got: Vec<(&str, u64)> = trend.iter().map(|m| (m.month.as_str(), m.active)).collect();
        assert_eq!(got, vec![("2026-03", 2), ("2026-04", 0), ("2026-05", 1)]);
    }

    #[test]
    fn keeps_at_most_twelve_months() {
        let trend = monthly(&[("a", "2024-01-15"), ("b", "2025-12-01")], "2026-02-01");
        assert_eq!(trend.len(), 12);
        assert_eq!(trend[0].month, "2025-03");
        assert_eq!(trend[9].month, "2025-12");
        assert_eq!(trend[9].active, 1);
        assert_eq!(trend.iter().map(|m| m.active).sum::<u64>(), 1);
    }

    #[test]
    fn no_rows_no_trend() {
        assert!(monthly(&[], "2026-02-01").is_empty());
    }
}
