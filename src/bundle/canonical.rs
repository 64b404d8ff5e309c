//! Cells already in the form the contract reads them in: trimmed,
//! lower-cased where it says so, dates as YYYY-MM-DD, flags and counts
//! spelled plainly. A table whose every cell is canonical can be read
//! without the normalizing expressions of [`super::plan`] (see
//! `insights::one_pass`); any other cell sends it to the full check.

use chrono::NaiveDate;
use polars::prelude::*;

use super::csv_pieces::{for_each_record, Record, Stop};
use super::spec::{FALSE_WORDS, TRUE_WORDS};
use super::unchecked::{CsvSource, UncheckedActivity};
use crate::support::frame::{date_to_days, days_to_date};

/// A date written exactly as YYYY-MM-DD, as days since 1970-01-01.
pub fn day(cell: &str) -> Option<i32> {
    let bytes = cell.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return None;
    }
    let number = |range: std::ops::Range<usize>| cell.get(range)?.parse::<u32>().ok();
    let date = NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?;
    Some(date_to_days(date))
}

/// A key (a product) already trimmed and lower-cased, not empty.
pub fn key(cell: &str) -> bool {
    text(cell)
        && if cell.is_ascii() {
            !cell.bytes().any(|b| b.is_ascii_uppercase())
        } else {
            cell.to_lowercase() == cell
        }
}

/// Text already trimmed, not empty.
pub fn text(cell: &str) -> bool {
    !cell.is_empty() && cell.trim().len() == cell.len()
}

/// A flag spelled as the contract's words are.
pub fn flag(cell: &str) -> Option<bool> {
    if TRUE_WORDS.contains(&cell) {
        Some(true)
    } else if FALSE_WORDS.contains(&cell) {
        Some(false)
    } else {
        None
    }
}

/// A whole number of at least `min`, in plain digits.
pub fn count(cell: &str, min: u64) -> bool {
    !cell.is_empty()
        && cell.len() <= 18
        && cell.bytes().all(|b| b.is_ascii_digit())
        && cell.parse::<u64>().is_ok_and(|n| n >= min)
}

/// The latest date of activity's `date` column when every date is
/// canonical (`Some(None)` when it has no dated row); `None` when one is
/// not, or the column is of another type: the table is then to be checked
/// in full. A CSV without quotes is read record by record; anything else
/// by polars.
pub fn latest_date(activity: &UncheckedActivity) -> PolarsResult<Option<Option<NaiveDate>>> {
    if let Some(csv) = activity.csv() {
        let latest = match latest_csv_date(csv, false) {
            Err(Stop::Quoted) => latest_csv_date(csv, true),
            read => read,
        };
        return Ok(latest.ok().map(|latest| latest.and_then(days_to_date)));
    }
    let Ok(raw) = activity.opened() else {
        return Ok(None);
    };
    let latest = match raw.columns.get("date") {
        Some(DataType::Date) => col("date").max(),
        Some(DataType::String) => col("date")
            .map_with_fmt_str(
                |cells: Column| {
                    let days: Option<Vec<Option<i32>>> = cells
                        .str()?
                        .iter()
                        .map(|cell| cell.map_or(Some(None), |cell| day(cell.trim()).map(Some)))
                        .collect();
                    match days {
                        Some(days) => Ok(Column::new(cells.name().clone(), days)),
                        None => polars_bail!(ComputeError: "a date that is not canonical"),
                    }
                },
                |_, field| Ok(Field::new(field.name().clone(), DataType::Int32)),
                "canonical_day",
            )
            .max(),
        _ => return Ok(None),
    };
    let scan = raw
        .cells
        .clone()
        .select([latest.cast(DataType::Int32).alias("latest")]);
    let found = LazyFrame::collect_all_with_engine(
        vec![scan.logical_plan],
        Engine::Streaming,
        OptFlags::default(),
    );
    // A failed scan is a date that is not canonical, or a file the full
    // check will name.
    let Some(found) = found.ok().and_then(|mut frames| frames.pop()) else {
        return Ok(None);
    };
    let latest = found.column("latest")?.i32()?.get(0);
    Ok(Some(latest.and_then(days_to_date)))
}

/// The latest date of a CSV activity as days since 1970-01-01, read
/// record by record (following quotes with `quoted`); refused at the
/// first date that is not canonical.
fn latest_csv_date(csv: &CsvSource, quoted: bool) -> Result<Option<i32>, Stop<()>> {
    let Some(date) = csv.fields.position("date") else {
        return Err(Stop::Refused(()));
    };
    let latest = for_each_record(
        &csv.file,
        quoted,
        || None,
        |latest: &mut Option<i32>, record: &Record| {
            if record.len() == csv.fields.width {
                if let Some(day) = record.get(date).map(str::trim).and_then(day) {
                    *latest = (*latest).max(Some(day));
                    return Ok(());
                }
            }
            if record.blank(&csv.fields) {
                Ok(())
            } else {
                Err(())
            }
        },
    )?;
    Ok(latest.into_iter().flatten().max())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_dates_are_canonical() {
        assert_eq!(day("1970-01-02"), Some(1));
        // 2026-10-31 is 20,757 days after 1970-01-01 (Python's date
        // arithmetic gives the same).
        assert_eq!(day("2026-10-31"), Some(20_757));
        for other in [
            "2026-02-30",
            "2026-1-05",
            " 2026-01-05",
            "2026/01/05",
            "２０２６-01-05",
            "",
        ] {
            assert_eq!(day(other), None, "{other}");
        }
    }

    #[test]
    fn keys_are_trimmed_lower_case_and_not_empty() {
        assert!(key("jira"));
        assert!(key("jira-service-management"));
        assert!(key("équipe"));
        for other in ["Jira", "jira ", "\tjira", "ÉQUIPE", ""] {
            assert!(!key(other), "{other}");
        }
    }

    #[test]
    fn flags_and_counts_are_spelled_plainly() {
        assert_eq!(flag("yes"), Some(true));
        assert_eq!(flag("0"), Some(false));
        assert_eq!(flag("TRUE"), None);
        assert_eq!(flag(" true"), None);
        assert!(count("1", 1) && count("0042", 1));
        for other in ["0", "+3", " 3", "3.0", "-1", "", "9999999999999999999"] {
            assert!(!count(other, 1), "{other}");
        }
    }
}
