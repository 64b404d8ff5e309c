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

/// The monthly trend of one figure: distinct accounts per calendar month
/// among the activity facts where `flag` is true (none after as_of), from
/// the month of the earliest (at most 11 months before as_of's month) to
/// as_of's month, zero-filled. No facts at all: an empty trend.
pub fn monthly(facts: LazyFrame, flag: &str, as_of: NaiveDate) -> PolarsResult<Vec<MonthActive>> {
    let per_month = facts
        .filter(col(flag))
        .group_by([col("day").dt().strftime("%Y-%m").alias("month")])
        .agg([col("account").n_unique().alias("active")])
        .collect()?;
    trend(&per_month, as_of)
}

fn trend(per_month: &DataFrame, as_of: NaiveDate) -> PolarsResult<Vec<MonthActive>> {
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

    fn run(facts: &[(u32, &str)], as_of: &str) -> Vec<MonthActive> {
        let accounts: Vec<u32> = facts.iter().map(|(id, _)| *id).collect();
        let days: Vec<NaiveDate> = facts
            .iter()
            .map(|(_, d)| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap())
            .collect();
        let flags = vec![true; facts.len()];
        let facts = df!("account" => accounts, "day" => days, "view" => flags)
            .unwrap()
            .lazy();
        let as_of = NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap();
        monthly(facts, "view", as_of).unwrap()
    }

    #[test]
    fn starts_at_the_earliest_month_and_fills_gaps() {
        let trend = run(
            &[(1, "2026-03-02"), (2, "2026-03-30"), (1, "2026-05-01")],
            "2026-05-10",
        );
        let got: Vec<(&str, u64)> = trend.iter().map(|m| (m.month.as_str(), m.active)).collect();
        assert_eq!(got, vec![("2026-03", 2), ("2026-04", 0), ("2026-05", 1)]);
    }

    #[test]
    fn keeps_at_most_twelve_months() {
        let trend = run(&[(1, "2024-01-15"), (2, "2025-12-01")], "2026-02-01");
        assert_eq!(trend.len(), 12);
        assert_eq!(trend[0].month, "2025-03");
        assert_eq!(trend[9].month, "2025-12");
        assert_eq!(trend[9].active, 1);
        assert_eq!(trend.iter().map(|m| m.active).sum::<u64>(), 1);
    }

    #[test]
    fn no_rows_no_trend() {
        assert!(run(&[], "2026-02-01").is_empty());
    }
}
