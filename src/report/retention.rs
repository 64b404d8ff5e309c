//! Which dated reports a folder keeps (`[output] keep_daily` and
//! `keep_monthly`), and removing the others without ever leaving a kept
//! report half-removed. history.csv is never touched: trends outlive the
//! folders.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use chrono::{Datelike, Days, Months, NaiveDate};

use super::past;
use crate::config::Retention;

/// The reports among `dates` that go: neither among the last `keep_daily`
/// days nor the last of one of the last `keep_monthly` months, and neither
/// the newest (`latest`) nor the one before it (what a second run on the
/// newest date compares with). Oldest first.
pub fn to_remove(policy: &Retention, dates: &BTreeSet<NaiveDate>) -> Vec<NaiveDate> {
    if policy.keep_daily.is_none() && policy.keep_monthly.is_none() {
        return Vec::new();
    }
    let Some(&newest) = dates.last() else {
        return Vec::new();
    };
    let mut kept: BTreeSet<NaiveDate> = dates.iter().rev().take(2).copied().collect();
    if let Some(days) = policy.keep_daily {
        let first = newest
            .checked_sub_days(Days::new(u64::from(days.max(1)) - 1))
            .unwrap_or(NaiveDate::MIN);
        kept.extend(dates.range(first..));
    }
    if let Some(months) = policy.keep_monthly {
        let this_month = newest.with_day(1).unwrap_or(newest);
        for back in 0..months {
            let Some(start) = this_month.checked_sub_months(Months::new(back)) else {
                break;
            };
            let end = start
                .checked_add_months(Months::new(1))
                .unwrap_or(NaiveDate::MAX);
            kept.extend(dates.range(start..end).next_back());
        }
    }
    dates.difference(&kept).copied().collect()
}

/// Removes the reports of `out` that `retention` lets go, each logged.
/// Each is first renamed to a hidden `.old-` name in one step, then
/// deleted: a crash leaves every kept report whole, and the next run clears
/// the hidden rest. Called with the output lock held.
pub fn purge(out: &Path, retention: &Retention, nonce: &str) {
    let dates = past::dated_reports(out);
    for date in to_remove(retention, &dates) {
        let report = out.join(date.to_string());
        let aside = out.join(format!(".{date}.old-{nonce}"));
        if let Err(err) = fs::rename(&report, &aside) {
            tracing::warn!(report = %date, error = %err, "could not remove an old report");
            continue;
        }
        match fs::remove_dir_all(&aside) {
            Ok(()) => {
                tracing::info!(report = %date, "removed an old report ([output] keep_daily, keep_monthly)")
            }
            Err(err) => {
                tracing::warn!(report = %date, error = %err, "an old report was only partly removed; the next run finishes")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// A report every day of 2026, and the dates kept after `retention`.
    fn kept_of_a_year(retention: Retention) -> Vec<NaiveDate> {
        let year: BTreeSet<NaiveDate> = day("2026-01-01")
            .iter_days()
            .take_while(|d| d.year() == 2026)
            .collect();
        let removed: BTreeSet<NaiveDate> = to_remove(&retention, &year).into_iter().collect();
        year.difference(&removed).copied().collect()
    }

    #[test]
    fn nothing_set_keeps_everything() {
        assert_eq!(kept_of_a_year(Retention::default()).len(), 365);
    }

    #[test]
    fn keep_daily_keeps_the_last_days() {
        let kept = kept_of_a_year(Retention {
            keep_daily: Some(7),
            keep_monthly: None,
        });
        let expected: Vec<NaiveDate> = day("2026-12-25").iter_days().take(7).collect();
        assert_eq!(kept, expected);
    }

    #[test]
    fn keep_monthly_adds_the_last_report_of_each_month() {
        let kept = kept_of_a_year(Retention {
            keep_daily: Some(7),
            keep_monthly: Some(3),
        });
        // Oct 31 and Nov 30 (December's last is among the seven days).
        let mut expected = vec![day("2026-10-31"), day("2026-11-30")];
        expected.extend(day("2026-12-25").iter_days().take(7));
        assert_eq!(kept, expected);
    }

    #[test]
    fn the_newest_and_the_one_before_stay_whatever_the_settings() {
        let dates: BTreeSet<NaiveDate> = [day("2026-01-01"), day("2026-03-01"), day("2026-06-01")]
            .into_iter()
            .collect();
        let policy = Retention {
            keep_daily: Some(1),
            keep_monthly: Some(0),
        };
        let removed = to_remove(&policy, &dates);
        assert_eq!(removed, vec![day("2026-01-01")]);
    }

    #[test]
    fn a_purge_removes_folders_and_leaves_the_rest() {
        let out = tempfile::tempdir().unwrap();
        for date in ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"] {
            fs::create_dir(out.path().join(date)).unwrap();
            fs::write(out.path().join(date).join("index.html"), date).unwrap();
        }
        fs::write(out.path().join("history.csv"), "as_of\n").unwrap();
        let retention = Retention {
            keep_daily: Some(2),
            keep_monthly: None,
        };
        purge(out.path(), &retention, "test");
        let mut left: Vec<String> = fs::read_dir(out.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["2026-01-03", "2026-01-04", "history.csv"]);
    }
}
