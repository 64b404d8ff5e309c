//! Monthly trend of distinct accounts, shared by insights 6, 11 and 12.

use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use super::bits::{MONTHS, OLDER};
use super::{accounts_with_bits, Cell, Chart, DataTable};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthActive {
    /// `YYYY-MM`.
    pub month: String,
    pub active: u64,
}

/// The monthly trend of one figure from its month bits in each account's
/// usage (`view_months`, `rovo_months` or `ai_months`): accounts per
/// calendar month, from the earliest month with a counted row (at most 11
/// months before as_of's month) to as_of's month, zero-filled. No counted
/// row at all: an empty trend.
pub fn monthly(
    per_account: LazyFrame,
    column: &str,
    as_of: NaiveDate,
) -> PolarsResult<Vec<MonthActive>> {
    let per_month = accounts_with_bits(per_account, column, OLDER + 1)?;
    Ok(trend(&per_month, as_of))
}

/// `per_month[k]`: accounts in the month `k` months before as_of's, the
/// last entry for any earlier month.
fn trend(per_month: &[u64], as_of: NaiveDate) -> Vec<MonthActive> {
    let Some(earliest) = per_month.iter().rposition(|&active| active > 0) else {
        return Vec::new();
    };
    // Rows before the months shown start the trend at the oldest shown.
    let earliest = earliest.min(MONTHS as usize - 1);
    let this_month = as_of.with_day(1).unwrap_or(as_of);
    (0..=earliest)
        .rev()
        .filter_map(|k| {
            let month = this_month.checked_sub_months(Months::new(k as u32))?;
            Some(MonthActive {
                month: format!("{:04}-{:02}", month.year(), month.month()),
                active: per_month.get(k).copied().unwrap_or(0),
            })
        })
        .collect()
}

/// One figures-table row per month.
pub fn add_months(table: &mut DataTable, months: &[MonthActive]) {
    for m in months {
        table.row(vec![Cell::text(m.month.clone()), Cell::count(m.active)]);
    }
}

/// A column per month.
pub fn monthly_chart(title: &'static str, months: &[MonthActive]) -> Chart {
    Chart::Columns {
        title,
        axis: "active users",
        months: months.iter().map(|m| m.month.clone()).collect(),
        values: months.iter().map(|m| m.active).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_of(date: &str) -> NaiveDate {
        NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap()
    }

    fn months(trend: &[MonthActive]) -> Vec<(&str, u64)> {
        trend.iter().map(|m| (m.month.as_str(), m.active)).collect()
    }

    #[test]
    fn starts_at_the_earliest_month_and_fills_gaps() {
        let mut per_month = vec![0; 13];
        per_month[0] = 1;
        per_month[2] = 2;
        let trend = trend(&per_month, as_of("2026-05-10"));
        assert_eq!(
            months(&trend),
            vec![("2026-03", 2), ("2026-04", 0), ("2026-05", 1)]
        );
    }

    #[test]
    fn earlier_rows_start_the_trend_twelve_months_back() {
        let mut per_month = vec![0; 13];
        per_month[12] = 1; // a row before the months shown
        per_month[2] = 1; // December 2025
        let trend = trend(&per_month, as_of("2026-02-01"));
        assert_eq!(trend.len(), 12);
        assert_eq!(trend[0].month, "2025-03");
        assert_eq!(trend[11].month, "2026-02");
        assert_eq!(
            trend[9],
            MonthActive {
                month: "2025-12".into(),
                active: 1
            }
        );
        assert_eq!(trend.iter().map(|m| m.active).sum::<u64>(), 1);
    }

    #[test]
    fn no_rows_no_trend() {
        assert!(trend(&[0; 13], as_of("2026-02-01")).is_empty());
    }
}
