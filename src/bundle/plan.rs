//! How each contract column is read from its source column: the polars
//! expressions that trim, lower-case, type and default a cell, and the one
//! that flags a cell breaking the contract.

use polars::prelude::*;

use super::activity_rules;
use super::spec::{Kind, FALSE_WORDS, TRUE_WORDS};
use crate::support::frame::equals_any;

/// How one contract column is read from its source column.
pub(super) struct ColumnPlan {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    pub(super) value: Expr,
    /// True where the cell breaks the contract.
    pub(super) invalid: Option<Expr>,
    pub(super) expected: String,
    /// For a text column: true where a cell is not already in its
    /// canonical form (trimmed, lower-cased where the kind asks, not
    /// empty), and the cheaper value to use when no cell is.
    pub(super) shortcut: Option<(Expr, Expr)>,
    /// For a text column: the trimmed and the lower-cased cell, computed
    /// once per row as helper columns that every expression above reads.
    pub(super) helpers: Option<(Expr, Expr)>,
}

impl ColumnPlan {
    /// Checked once per distinct value rather than once per row: a column
    /// read as text whose values repeat (products, sites, enums, CSV dates).
    pub(super) fn grouped(&self) -> bool {
        self.helpers.is_some() && !IDENTIFIERS.contains(&self.name)
    }

    /// A grouped column read as text and parsed into a date, a boolean or
    /// a number (CSV dates, flags and counts).
    pub(super) fn parsed(&self) -> bool {
        self.grouped() && matches!(self.kind, Kind::Date | Kind::Bool { .. } | Kind::Int { .. })
    }
}

/// The columns of `plans` whose values repeat, as the sets of columns each
/// grouped together: the text ones (products, sites, enums) at once, since
/// their combinations are few, and each parsed one alone (a CSV's dates
/// times its counts times its flags would be millions of groups).
pub(super) fn key_sets<'a>(plans: &[&'a ColumnPlan]) -> Vec<Vec<&'a ColumnPlan>> {
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
pub(super) fn typed_in_copy(plans: &[ColumnPlan]) -> Vec<Expr> {
    plans
        .iter()
        .filter(|p| p.parsed())
        .filter_map(|p| Some(p.shortcut.as_ref()?.1.clone().alias(p.name)))
        .collect()
}

/// True where any of `plans` finds its cell breaking the contract.
pub(super) fn any_invalid<'a>(plans: impl IntoIterator<Item = &'a ColumnPlan>) -> Expr {
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
pub(super) fn with_helpers<'a>(
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

pub(super) fn plan_column(
    name: &'static str,
    kind: Kind,
    required: bool,
    source: Option<&DataType>,
) -> ColumnPlan {
    let Some(dtype) = source else {
        return ColumnPlan {
            name,
            kind,
            value: default_value(kind),
            invalid: None,
            expected: kind.expectation(),
            shortcut: None,
            helpers: None,
        };
    };
    native_column(name, kind, required, dtype)
        .unwrap_or_else(|| text_column(name, kind, required, dtype))
}

/// A column of a native Parquet type that already means what the
/// contract says (boolean, date, integer).
fn native_column(
    name: &'static str,
    kind: Kind,
    required: bool,
    dtype: &DataType,
) -> Option<ColumnPlan> {
    let expected = kind.expectation();
    match (kind, dtype) {
        (Kind::Bool { default }, DataType::Boolean) => Some(ColumnPlan {
            name,
            kind,
            value: col(name).fill_null(lit(default)),
            invalid: required.then(|| col(name).is_null()),
            expected,
            shortcut: None,
            helpers: None,
        }),
        (Kind::Date, DataType::Date | DataType::Datetime(_, _)) => {
            let date = col(name).cast(DataType::Date);
            Some(ColumnPlan {
                name,
                kind,
                invalid: required.then(|| date.clone().is_null()),
                value: date,
                expected,
                shortcut: None,
                helpers: None,
            })
        }
        (Kind::Timestamp, DataType::Datetime(unit, _)) => {
            // The stored instant is UTC whatever the column's zone.
            let utc = col(name)
                .cast(DataType::Int64)
                .cast(DataType::Datetime(*unit, None))
                .dt()
                .to_string("%Y-%m-%dT%H:%M:%S%.fZ");
            Some(ColumnPlan {
                name,
                kind,
                invalid: required.then(|| utc.clone().is_null()),
                value: utc,
                expected,
                shortcut: None,
                helpers: None,
            })
        }
        (Kind::Int { min, default }, dtype) if dtype.is_integer() => {
            let number = col(name).cast(DataType::Int64);
            let missing = number.clone().is_null();
            let below = number.clone().lt(lit(min));
            Some(ColumnPlan {
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
            })
        }
        _ => None,
    }
}

/// A column read as text, exactly as a CSV cell would be: trimmed,
/// checked, typed, with the shortcut for cells already canonical.
fn text_column(name: &'static str, kind: Kind, required: bool, dtype: &DataType) -> ColumnPlan {
    let expected = kind.expectation();
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
        Kind::Text | Kind::Email | Kind::Date | Kind::Timestamp | Kind::Int { .. } => {
            trimmed.clone()
        }
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
        Kind::Timestamp => {
            let shaped = trimmed.clone().str().contains(lit(RFC_3339), true);
            let day = trimmed
                .clone()
                .str()
                .slice(lit(0), lit(10))
                .str()
                .to_date(StrptimeOptions {
                    format: Some("%Y-%m-%d".into()),
                    strict: false,
                    exact: true,
                    cache: false,
                });
            (trimmed, shaped.not().or(day.is_null()))
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

/// True where activity's cell of `name` (of source type `dtype`) breaks
/// its rule in [`super::activity_rules`]: the cell as text, as the one
/// pass reads it (a datetime as its date).
pub(super) fn activity_invalid(name: &'static str, dtype: &DataType) -> Expr {
    let cells = match dtype {
        DataType::Datetime(..) => col(name).cast(DataType::Date),
        _ => col(name),
    };
    cells.cast(DataType::String).map_with_fmt_str(
        move |cells: Column| {
            let flags: BooleanChunked = cells
                .str()?
                .iter()
                .map(|cell| Some(activity_rules::breaks(name, cell.unwrap_or(""))))
                .collect();
            Ok(flags.with_name(cells.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
        "activity_rule",
    )
}

/// The shape of an RFC 3339 time; the day is checked apart, as a date.
const RFC_3339: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";

/// Column `name` of source type `dtype`, read as text.
fn as_text(name: &str, dtype: &DataType) -> Expr {
    if *dtype == DataType::String {
        col(name)
    } else {
        col(name).cast(DataType::String)
    }
}

/// Text columns whose values are mostly distinct: checked row by row.
const IDENTIFIERS: [&str; 3] = ["account_id", "email", "name"];

fn default_value(kind: Kind) -> Expr {
    match kind {
        Kind::Text | Kind::Key | Kind::Email | Kind::Timestamp => null_of(DataType::String),
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

pub(super) fn shortcut_flag(name: &str) -> String {
    format!("__differs_{name}")
}

pub(super) fn bad_flag(name: &str) -> String {
    format!("__bad_{name}")
}

/// The domain of an account: the lower-cased part of `email` after its `@`.
pub(super) fn email_domain() -> Expr {
    col("email")
        .str()
        .strip_chars(lit(NULL))
        .str()
        .extract(lit("(?s)@(.*)$"), 1)
        .str()
        .to_lowercase()
        .alias("domain")
}
