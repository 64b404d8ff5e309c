//! Cells already in the form the contract reads them in: trimmed,
//! lower-cased where it says so, dates as YYYY-MM-DD, flags and counts
//! spelled plainly: what the rules of `insights::one_pass` read without
//! more work.

use chrono::NaiveDate;

use super::spec::{FALSE_WORDS, TRUE_WORDS};
use crate::support::frame::date_to_days;

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
