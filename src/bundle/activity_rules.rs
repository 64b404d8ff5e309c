//! The rules of an activity row, each written once: how every cell of
//! activity is read as the contract reads it (trimmed; product keys, enums
//! and flags in any case and every boolean spelling; dates as
//! YYYY-MM-DD), and when it breaks the contract. The run's one pass
//! (`insights::one_pass`: the CSV record reader and the Parquet morsels)
//! codes its cells with these, and names a bad row cell by cell with
//! [`breaks`]; `check` flags activity's bad cells with [`breaks`] too
//! (see `validate`).

use polars::prelude::*;

use super::canonical;
use super::spec::{ACTIONS, MIN_COUNT, SURFACES};

/// The code of an empty enum or flag cell: its column's default.
pub(crate) const DEFAULT: u8 = u8::MAX;

/// A cell that breaks the contract: its row is set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

/// What a rule makes of one cell.
pub(crate) type Rule<T> = Result<T, Invalid>;

/// An account id, surrounding spaces aside; refused when that leaves
/// nothing (the column is required).
pub(crate) fn account_rule(id: &str) -> Rule<&str> {
    let id = id.trim();
    if id.is_empty() {
        Err(Invalid)
    } else {
        Ok(id)
    }
}

/// A date as days since 1970-01-01, surrounding spaces aside; refused
/// unless written YYYY-MM-DD (an empty cell too: the column is required).
pub(crate) fn day_code(cell: &str) -> Rule<i32> {
    canonical::day(cell.trim()).ok_or(Invalid)
}

/// A product key as the contract reads it: trimmed and lower-cased
/// (`JIRA` is `jira`); refused when that leaves nothing.
pub(crate) fn product_key(cell: &str) -> Rule<String> {
    let key = cell.trim().to_lowercase();
    if key.is_empty() {
        Err(Invalid)
    } else {
        Ok(key)
    }
}

/// A value's position in `values`, in any case and surrounding spaces
/// aside, as the contract reads an enum; [`DEFAULT`] for a cell of
/// spaces; refused if absent.
pub(crate) fn enum_code(cell: &str, values: &[&str]) -> Rule<u8> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(DEFAULT);
    }
    if let Some(code) = values.iter().position(|v| *v == cell) {
        return Ok(code as u8);
    }
    let lower = cell.to_lowercase();
    match values.iter().position(|v| *v == lower) {
        Some(code) => Ok(code as u8),
        None => Err(Invalid),
    }
}

/// A flag as 0 or 1, in any of the contract's spellings and any case,
/// surrounding spaces aside; [`DEFAULT`] for a cell of spaces; refused
/// otherwise.
pub(crate) fn flag_code(cell: &str) -> Rule<u8> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(DEFAULT);
    }
    canonical::flag(&cell.to_lowercase())
        .map(u8::from)
        .ok_or(Invalid)
}

/// A count: empty, or a whole number of at least [`MIN_COUNT`]. Counts
/// are in no figure, but a bad one sets its row aside. Plain digits are
/// read here; any other spelling as the check reads it, by polars' cast
/// to a whole number, so that both agree on `+3` or `1e3`.
pub(crate) fn count_rule(cell: &str) -> Rule<()> {
    let cell = cell.trim();
    if cell.is_empty() || canonical::count(cell, MIN_COUNT.unsigned_abs()) {
        return Ok(());
    }
    let number = Series::new(PlSmallStr::EMPTY, [cell])
        .cast(&DataType::Int64)
        .ok()
        .and_then(|n| n.i64().ok()?.get(0));
    match number {
        Some(n) if n >= MIN_COUNT => Ok(()),
        _ => Err(Invalid),
    }
}

/// Whether `cell` of activity's column `column` breaks the contract: the
/// rule of each column, applied to a row already found bad, to name every
/// cell of it that is.
pub(crate) fn breaks(column: &str, cell: &str) -> bool {
    match column {
        "date" => day_code(cell).is_err(),
        "account_id" => account_rule(cell).is_err(),
        "product" => product_key(cell).is_err(),
        "surface" => enum_code(cell, SURFACES).is_err(),
        "action" => enum_code(cell, ACTIONS).is_err(),
        "success" => flag_code(cell).is_err(),
        "count" => count_rule(cell).is_err(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_id_is_trimmed_and_required() {
        assert_eq!(account_rule(" a1 "), Ok("a1"));
        assert_eq!(account_rule("\ta-1"), Ok("a-1"));
        assert_eq!(account_rule("   "), Err(Invalid));
        assert_eq!(account_rule(""), Err(Invalid));
    }

    #[test]
    fn a_date_is_yyyy_mm_dd_around_spaces_and_required() {
        // 2026-10-31 is 20,757 days after 1970-01-01.
        assert_eq!(day_code("2026-10-31"), Ok(20_757));
        assert_eq!(day_code(" 2026-10-31 "), Ok(20_757));
        for bad in [
            "",
            " ",
            "2026-1-05",
            "2026-02-30",
            "2026/01/05",
            "31.10.2026",
        ] {
            assert_eq!(day_code(bad), Err(Invalid), "{bad:?}");
        }
    }

    #[test]
    fn a_product_is_lower_cased_and_required() {
        assert_eq!(product_key(" JIRA "), Ok("jira".to_string()));
        assert_eq!(product_key("Équipe"), Ok("équipe".to_string()));
        assert_eq!(product_key(" "), Err(Invalid));
    }

    #[test]
    fn an_enum_is_read_in_any_case_and_empty_is_its_default() {
        assert_eq!(enum_code("mobile", SURFACES), Ok(1));
        assert_eq!(enum_code(" Mobile ", SURFACES), Ok(1));
        assert_eq!(enum_code("AI", ACTIONS), Ok(8));
        assert_eq!(enum_code("  ", ACTIONS), Ok(DEFAULT));
        assert_eq!(enum_code("tablet", SURFACES), Err(Invalid));
        // The Kelvin sign lower-cases to `k`, as polars lower-cases it.
        assert_eq!(enum_code("rovo_third_party_clic\u{212A}", ACTIONS), Ok(6));
    }

    #[test]
    fn a_flag_takes_every_spelling_in_any_case() {
        for (cell, flag) in [
            ("true", 1),
            ("Yes", 1),
            (" 1 ", 1),
            ("FALSE", 0),
            ("no", 0),
            ("0", 0),
        ] {
            assert_eq!(flag_code(cell), Ok(flag), "{cell:?}");
        }
        assert_eq!(flag_code(""), Ok(DEFAULT));
        for bad in ["y", "t", "2", "on"] {
            assert_eq!(flag_code(bad), Err(Invalid), "{bad:?}");
        }
    }

    #[test]
    fn a_count_is_a_whole_number_of_at_least_one_or_empty() {
        for good in ["", " ", "1", " 7 ", "0042", "+3"] {
            assert_eq!(count_rule(good), Ok(()), "{good:?}");
        }
        for bad in ["0", "-3", "3.5", "many", "99999999999999999999"] {
            assert_eq!(count_rule(bad), Err(Invalid), "{bad:?}");
        }
    }

    #[test]
    fn breaks_names_the_cells_each_rule_refuses() {
        assert!(breaks("date", "2026-13-01"));
        assert!(breaks("account_id", " "));
        assert!(breaks("product", ""));
        assert!(breaks("surface", "tablet"));
        assert!(breaks("action", "jump"));
        assert!(breaks("success", "maybe"));
        assert!(breaks("count", "0"));
        // A site is any text, and an empty optional cell is its default.
        assert!(!breaks("site", ""));
        assert!(!breaks("action", ""));
        assert!(!breaks("count", ""));
    }
}
