//! One pass over `activity` for everything the insights need from it.
//!
//! `activity` is the one large table (a year of daily rows for a large
//! organization runs to a hundred million). It is read once, with polars'
//! streaming engine, and folded by account and product (see
//! [`super::pair_table`]) into a *usage* frame: one row per pair, whatever
//! the number of rows behind it. What the figures need of the days, months
//! and kinds of use is kept as bits ORed together (a view on the window's
//! third day, Rovo use two months before as_of's month, …), so the working
//! state grows with the accounts, not with the rows, and every figure
//! stays exact: each is a count of distinct accounts with some bit set.
//!
//! A canonical export is checked in the same scan ([`super::one_pass`]);
//! another is checked in full first, and its normalized frame is folded
//! here ([`gather`]).
//!
//! The same pass counts what data quality reports (rows per product, rows
//! of unknown accounts, rows after the as-of date) and each account's
//! latest view of each product (for the snapshot and the seats to reclaim).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use polars::prelude::*;

use super::bits::{
    month_starts, SiteFacts, AI_MONTHS_SHIFT, CLICKS, GENERATING, MONTHS, OLDER, ROVO_MONTHS_SHIFT,
    TRELLO_PLAN_SHIFT, UNKNOWN, VIEW_MONTHS_SHIFT, WINDOW_AI_BIT, WINDOW_ANY_BIT,
    WINDOW_MOBILE_BIT, WINDOW_ROVO_BIT,
};
use super::one_pass;
use super::pair_table::PairTable;
use super::WINDOW_DAYS;
use crate::bundle::spec::PLANS;
use crate::bundle::UncheckedActivity;
use crate::support::frame::{counts, date_to_days, equals_any, strings};

/// What the insights and the data-quality section need from `activity`.
pub struct ActivityFacts {
    /// One row per known account and product with a counted row (Trello
    /// rows only for managed accounts): `account` (the account's number,
    /// its row in `accounts`), `product`, and
    /// - `window_days` (u32): bit `k` set when a `view` was counted on the
    ///   `k`-th day of the window (bit 0 is its first day);
    /// - `window_any`, `window_mobile`, `window_rovo`, `window_ai`: a
    ///   counted row in the window, on mobile, of Rovo use, of AI use;
    /// - `view_months`, `rovo_months`, `ai_months` (u16): bit `k` set when
    ///   such a row was counted `k` months before as_of's month, bit
    ///   [`OLDER`] for any earlier month;
    /// - `trello_rank`: for Trello, the highest plan (index in [`PLANS`]) of
    ///   the sites viewed in the window, null without such a view;
    /// - `last_view`: the latest counted `view`, at any date.
    pub usage: DataFrame,
    /// The usage ORed over each account's products: one row per account,
    /// `account`, `window_days`, `window_any`, `window_mobile`,
    /// `window_rovo`, `window_ai`, `view_months`, `rovo_months`,
    /// `ai_months`, `last_view`.
    pub per_account: DataFrame,
    /// Rows whose account is missing from `accounts`.
    pub unknown_account_rows: u64,
    /// Rows dated after the as-of date.
    pub rows_after_as_of: u64,
    /// Every product of the table with its number of rows.
    pub rows_by_product: Vec<(String, u64)>,
    /// The day of each known account's latest `view` of each product, on
    /// or before the as-of date: `pair` ([`ActivityFacts::pair`]) and
    /// `last_view`. For seats, so an external user's Trello views count
    /// too (the rule that leaves them out is the active-user figures').
    pub last_views: DataFrame,
    /// When activity was checked in the same scan ([`gather_in_one_pass`]):
    /// its rows and latest date, which the bundle did not know.
    pub checked_in_one_pass: Option<(u64, Option<NaiveDate>)>,
    /// Why activity was read a slower way than the one pass at its best
    /// (set by the reader, or by the run that checked it in full).
    pub slower_read: Option<String>,
    /// The names of the product codes in `pair`: polars keeps its global
    /// categories only while something refers to them.
    _product_names: Arc<CategoricalMapping>,
}

impl ActivityFacts {
    /// The key of `last_views` for an account's number and a product: one
    /// number, so that a join on it does not hash the product's name.
    pub fn pair(&self, account: Expr, product: Expr) -> Expr {
        pair_key(account, product)
    }
}

/// One number for an account's number (above) and a product (its code in
/// polars' global categories, below).
fn pair_key(account: Expr, product: Expr) -> Expr {
    let products = DataType::from_categories(Categories::global());
    account.cast(DataType::UInt64) * word(1 << 32)
        + product.cast(products).to_physical().cast(DataType::UInt64)
}

/// Whether the row's action is one of `actions`.
fn action_is(actions: &[&str]) -> Expr {
    equals_any(col("action"), actions)
}

/// A 64-bit word, typed as such: an untyped literal could be narrowed to
/// 32 bits, or fail above `i64::MAX`.
fn word(value: u64) -> Expr {
    lit(Scalar::from(value))
}

fn bit(position: u32) -> Expr {
    word(1 << position)
}

/// `bits` where `condition` holds, else no bit.
fn bits_if(condition: Expr, bits: Expr) -> Expr {
    when(condition).then(bits).otherwise(word(0))
}

/// Whether bit `position` of the 64-bit number `bits` is set.
pub(super) fn has_bit(bits: Expr, position: u32) -> Expr {
    bits.and(bit(position)).neq(word(0))
}

/// `width` bits of column `word_column` from bit `shift` on, as a number.
fn field(word_column: &str, shift: u32, width: u32) -> Expr {
    col(word_column)
        .floor_div(word(1 << shift))
        .and(word((1 << width) - 1))
}

/// `accounts` with the number that stands for each account in the usage
/// (`account`, its row).
pub fn numbered(accounts: LazyFrame) -> LazyFrame {
    accounts.with_row_index("account", None)
}

/// Folds activity's checked, normalized frame.
pub fn gather(
    activity: LazyFrame,
    accounts: LazyFrame,
    sites: Option<&SiteFacts>,
    as_of: NaiveDate,
    window_start: NaiveDate,
) -> PolarsResult<ActivityFacts> {
    let (account_ids, account_count) = account_enum(&accounts)?;
    // Holding the mapping keeps the product codes' names alive.
    let product_names = Categories::global().mapping();
    let rows = packed_rows(activity, account_ids, sites, as_of, window_start)?;
    let by_pair = fold_pairs(rows, account_count)?;
    facts_of_pairs(by_pair, accounts, product_names)
}

/// Checks and folds activity's raw cells in one scan; `Err` with why when
/// a cell is not canonical and activity is to be checked in full (see
/// [`super::one_pass`]).
pub fn gather_in_one_pass(
    activity: &UncheckedActivity,
    accounts: LazyFrame,
    sites: Option<&SiteFacts>,
    as_of: NaiveDate,
    window_start: NaiveDate,
) -> PolarsResult<Result<ActivityFacts, String>> {
    let ids = accounts.clone().select([col("account_id")]).collect()?;
    let ids: Vec<Option<&str>> = ids.column("account_id")?.str()?.iter().collect();
    let product_names = Categories::global().mapping();
    let folded = match one_pass::fold(activity, &ids, sites, as_of, window_start)? {
        Ok(folded) => folded,
        Err(why) => return Ok(Err(why)),
    };
    let mut facts = facts_of_pairs(folded.by_pair, accounts, product_names)?;
    facts.checked_in_one_pass = Some((folded.rows, folded.latest));
    Ok(Ok(facts))
}

/// The facts of activity folded by pair ([`fold_pairs`]).
fn facts_of_pairs(
    by_pair: DataFrame,
    accounts: LazyFrame,
    product_names: Arc<CategoricalMapping>,
) -> PolarsResult<ActivityFacts> {
    let account_types = numbered(accounts).select([col("account"), col("account_type")]);
    let grouped = split_pairs(by_pair, &product_names)?
        .lazy()
        .left_join(account_types, col("account"), col("account"))
        .collect()?;
    let quality = quality_by_product(&grouped)?;
    let (usage, per_account, last_views) = counted_usage(grouped)?;
    let sum = |column: &str| -> PolarsResult<u64> { Ok(counts(&quality, column)?.iter().sum()) };
    Ok(ActivityFacts {
        unknown_account_rows: sum("unknown")?,
        rows_after_as_of: sum("after")?,
        rows_by_product: strings(&quality, "product")?
            .into_iter()
            .zip(counts(&quality, "rows")?)
            .collect(),
        usage,
        per_account,
        last_views,
        checked_in_one_pass: None,
        slower_read: None,
        _product_names: product_names,
    })
}

/// Which rows are Rovo use and AI use, each Trello site's plan rank, and
/// the site columns those read.
struct UseRules {
    rovo: Expr,
    ai: Expr,
    trello_plan: Expr,
    site_number: Vec<Expr>,
    site_bits: Vec<Expr>,
}

impl UseRules {
    /// Rovo use: a successful search, definition, chat or agent, or any
    /// click or filter, on a Rovo site or on no site. AI use: an `ai` row
    /// on a site and product with AI on, or on no site. Without `sites`
    /// neither figure exists, and every Trello site is free.
    fn new(sites: Option<&SiteFacts>) -> PolarsResult<Self> {
        let Some(sites) = sites else {
            return Ok(UseRules {
                rovo: lit(false),
                ai: lit(false),
                trello_plan: lit(0u32),
                site_number: Vec::new(),
                site_bits: Vec::new(),
            });
        };
        let sets = SiteSets::new(sites);
        let rovo = action_is(&GENERATING)
            .and(col("success"))
            .or(action_is(&CLICKS))
            .and(col("site").is_null().or(sets.rovo_site()));
        let ai = action_is(&["ai"]).and(col("site").is_null().or(sets.ai_on()));
        let (number, site_bits) = sets.columns()?;
        Ok(UseRules {
            rovo,
            ai,
            trello_plan: sets.trello_plan(),
            site_number: vec![number],
            site_bits,
        })
    }
}

/// The bit of a counted row's month: bit k for k months before as_of's
/// month, OLDER before those; no bit after as_of.
fn month_bit(as_of: NaiveDate) -> Expr {
    let starts = month_starts(as_of);
    (0..MONTHS).rev().fold(bit(OLDER), |older, k| {
        when(col("__day").gt_eq(lit(starts[k as usize])))
            .then(bit(k))
            .otherwise(older)
    })
}

/// Each activity row as its pair's number and the two words of its facts
/// (see the bit layout above), with whether it is after as_of and its date
/// when it is a counted view.
fn packed_rows(
    activity: LazyFrame,
    account_ids: DataType,
    sites: Option<&SiteFacts>,
    as_of: NaiveDate,
    window_start: NaiveDate,
) -> PolarsResult<LazyFrame> {
    // Dates compared as their day numbers: a date literal would make
    // polars cast every row's date to a timestamp first.
    let day = col("date").cast(DataType::Int32);
    let counted_date = day.clone().lt_eq(lit(date_to_days(as_of)));
    let in_window = day
        .clone()
        .gt_eq(lit(date_to_days(window_start)))
        .and(counted_date.clone());
    let rules = UseRules::new(sites)?;
    // An account's number is its row in `accounts`: the code of its id in
    // an enum of the ids (a lookup per row, where a join would copy every
    // row), or UNKNOWN for an account missing from `accounts`.
    let account = col("account_id")
        .cast(account_ids)
        .to_physical()
        .cast(DataType::UInt64)
        .fill_null(word(u64::from(UNKNOWN)));
    // Each row's flags once, as columns every bit below reads.
    let flagged = activity
        .with_columns(
            [account.alias("__account"), day.alias("__day")]
                .into_iter()
                .chain(rules.site_number)
                .collect::<Vec<_>>(),
        )
        .with_columns(rules.site_bits)
        .with_columns([
            counted_date.clone().alias("__counted"),
            in_window.alias("__window"),
            action_is(&["view"]).alias("__view"),
            rules.rovo.alias("__rovo"),
            rules.ai.alias("__ai_use"),
            bits_if(counted_date, month_bit(as_of)).alias("__month"),
        ]);
    let (word_a, word_b) = packed_words(window_start, rules.trello_plan);
    Ok(flagged.select([
        pair_key(col("__account"), col("product")).alias("pair"),
        col("__counted").not().cast(DataType::UInt64).alias("after"),
        when(col("__counted").and(col("__view")))
            .then(col("date"))
            .otherwise(lit(NULL).cast(DataType::Date))
            .alias("last_view"),
        word_a.alias("a"),
        word_b.alias("b"),
    ]))
}

/// The two words of a flagged row's facts (the bit layout above).
fn packed_words(window_start: NaiveDate, trello_plan: Expr) -> (Expr, Expr) {
    let flag = |name: &str| col(name).cast(DataType::UInt64);
    let window_view = col("__window").and(col("__view"));
    // 2^(day in the window) for a view in the window.
    let day_offset = when(window_view.clone())
        .then(col("__day") - lit(date_to_days(window_start)))
        .otherwise(lit(0i32))
        .cast(DataType::UInt32);
    let window_days = bits_if(window_view.clone(), word(2).pow(day_offset));
    let trello_plans = bits_if(
        window_view.and(col("product").eq(lit("trello"))),
        word(2).pow(trello_plan + lit(TRELLO_PLAN_SHIFT)),
    );
    let window_flag = |condition: Expr, position: u32| {
        col("__window").and(condition).cast(DataType::UInt64) * bit(position)
    };
    let months_of = |name: &str, shift: u32| flag(name) * col("__month") * bit(shift);

    let word_a = window_days
        + flag("__window") * bit(WINDOW_ANY_BIT)
        + window_flag(col("surface").eq(lit("mobile")), WINDOW_MOBILE_BIT)
        + window_flag(col("__rovo"), WINDOW_ROVO_BIT)
        + window_flag(col("__ai_use"), WINDOW_AI_BIT)
        + months_of("__view", VIEW_MONTHS_SHIFT);
    let word_b = months_of("__rovo", ROVO_MONTHS_SHIFT)
        + months_of("__ai_use", AI_MONTHS_SHIFT)
        + trello_plans;
    (word_a, word_b)
}

/// Streams the packed rows into a table indexed by pair (UNKNOWN for an
/// account missing from `accounts`): one row per account and product.
fn fold_pairs(rows: LazyFrame, account_count: usize) -> PolarsResult<DataFrame> {
    let started = std::time::Instant::now();
    let table = Arc::new(Mutex::new(PairTable::new(account_count, UNKNOWN)));
    let filling = Arc::clone(&table);
    rows.sink_batches(
        PlanCallback::new(move |batch: DataFrame| {
            let mut table = filling
                .lock()
                .map_err(|_| polars_err!(ComputeError: "the pair table was poisoned"))?;
            table.add(&batch)?;
            // Never stop early.
            Ok(false)
        }),
        false,
        None,
    )?
    .collect_with_engine(Engine::Streaming)?;
    let by_pair = {
        let mut table = table
            .lock()
            .map_err(|_| polars_err!(ComputeError: "the pair table was poisoned"))?;
        std::mem::replace(&mut *table, PairTable::new(0, UNKNOWN)).into_frame()?
    };
    tracing::debug!(
        pairs = by_pair.height(),
        ms = started.elapsed().as_millis() as u64,
        "activity read, folded by account and product"
    );
    Ok(by_pair)
}

/// Rows per product, those of unknown accounts and those after as_of.
fn quality_by_product(grouped: &DataFrame) -> PolarsResult<DataFrame> {
    grouped
        .clone()
        .lazy()
        .group_by([col("product")])
        .agg([
            col("rows").sum(),
            col("rows")
                .filter(col("account").is_null())
                .sum()
                .alias("unknown"),
            col("after").sum(),
        ])
        .sort(["product"], Default::default())
        .collect()
}

/// The counted pairs as usage per account and product and per account,
/// and the last view of each known account's pair.
fn counted_usage(grouped: DataFrame) -> PolarsResult<(DataFrame, DataFrame, DataFrame)> {
    let known = grouped.lazy().filter(col("account").is_not_null());
    let last_views = known
        .clone()
        .filter(col("last_view").is_not_null())
        .select([col("pair"), col("last_view")])
        .collect()?;
    // Counted: a known account; Trello only for managed accounts.
    let counted = known.filter(
        col("product")
            .neq(lit("trello"))
            .or(col("account_type").eq(lit("managed"))),
    );
    let usage = counted
        .clone()
        .select(
            [col("account"), col("product")]
                .into_iter()
                .chain(unpacked())
                .chain([highest_plan("b").alias("trello_rank"), col("last_view")])
                .collect::<Vec<_>>(),
        )
        .collect()?;
    // The words ORed over each account's products, then unpacked: fewer
    // reductions than ORing each field.
    let per_account = counted
        .group_by([col("account")])
        .agg([
            col("a").bitwise_or(),
            col("b").bitwise_or(),
            col("last_view").max(),
        ])
        .select(
            [col("account")]
                .into_iter()
                .chain(unpacked())
                .chain([col("last_view")])
                .collect::<Vec<_>>(),
        )
        .collect()?;
    Ok((usage, per_account, last_views))
}

/// The sites `sites` gives a Rovo, AI or Trello plan fact, as numbers: each
/// row's site is looked up once in an enum of those sites, and each set of
/// sites is a mask of their numbers, so that testing a row is integer
/// arithmetic. (A streaming `is_in` per set hashes every row again, and
/// polars' `replace` holds the whole table in memory.)
struct SiteSets {
    /// Sorted; a site's number is its position.
    sites: Vec<String>,
    rovo: Vec<u32>,
    /// Trello sites of each plan above free, by plan index.
    trello_by_plan: Vec<(u32, Vec<u32>)>,
    /// For each product, the sites where AI is on for it.
    ai_by_product: Vec<(String, Vec<u32>)>,
}

impl SiteSets {
    fn new(facts: &SiteFacts) -> Self {
        let mut sites: Vec<String> = facts
            .rovo_sites
            .iter()
            .chain(facts.trello_sites_by_plan.iter().flat_map(|(_, set)| set))
            .chain(facts.ai_sites_by_product.iter().flat_map(|(_, set)| set))
            .cloned()
            .collect();
        sites.sort();
        sites.dedup();
        let numbers = |set: &[String]| -> Vec<u32> {
            set.iter()
                .filter_map(|site| sites.binary_search(site).ok())
                .map(|number| number as u32)
                .collect()
        };
        SiteSets {
            rovo: numbers(&facts.rovo_sites),
            trello_by_plan: facts
                .trello_sites_by_plan
                .iter()
                .map(|(rank, set)| (*rank, numbers(set)))
                .collect(),
            ai_by_product: facts
                .ai_sites_by_product
                .iter()
                .map(|(product, set)| (product.clone(), numbers(set)))
                .collect(),
            sites,
        }
    }

    /// Column `__site_bits_k`: bit `n - 64k` for a row on site number `n`
    /// from `64k` to `64k + 63`, else no bit.
    fn bits_column(k: usize) -> String {
        format!("__site_bits_{k}")
    }

    /// The row's site number (null for a site not in `sites`, or none),
    /// then its bit in the word of its block of 64 numbers.
    fn columns(&self) -> PolarsResult<(Expr, Vec<Expr>)> {
        let names: Vec<&str> = self.sites.iter().map(String::as_str).collect();
        let frozen = FrozenCategories::new(names)?;
        let number = col("site")
            .cast(DataType::from_frozen_categories(frozen))
            .to_physical()
            .cast(DataType::UInt32)
            .alias("__site");
        let bits = (0..self.sites.len().div_ceil(64))
            .map(|k| {
                let first = 64 * k as u32;
                let in_block = col("__site")
                    .gt_eq(lit(first))
                    .and(col("__site").lt(lit(first + 64)))
                    .fill_null(lit(false));
                let offset = when(in_block.clone())
                    .then(col("__site") - lit(first))
                    .otherwise(lit(0u32));
                bits_if(in_block, word(2).pow(offset)).alias(Self::bits_column(k))
            })
            .collect();
        Ok((number, bits))
    }

    /// Whether the row's site is one of `numbers`.
    fn any_of(numbers: &[u32]) -> Expr {
        let mut masks: BTreeMap<usize, u64> = BTreeMap::new();
        for number in numbers {
            *masks.entry(*number as usize / 64).or_default() |= 1 << (number % 64);
        }
        masks.into_iter().fold(lit(false), |any, (k, mask)| {
            any.or(col(Self::bits_column(k)).and(word(mask)).neq(word(0)))
        })
    }

    fn rovo_site(&self) -> Expr {
        Self::any_of(&self.rovo)
    }

    /// The rank in [`PLANS`] of the row's Trello site (0, free, if none).
    fn trello_plan(&self) -> Expr {
        self.trello_by_plan
            .iter()
            .fold(lit(0u32), |lower, (rank, numbers)| {
                when(Self::any_of(numbers))
                    .then(lit(*rank))
                    .otherwise(lower)
            })
    }

    /// Whether AI is on for the row's product on its site.
    fn ai_on(&self) -> Expr {
        self.ai_by_product
            .iter()
            .fold(lit(false), |any, (product, numbers)| {
                any.or(col("product")
                    .eq(lit(product.as_str()))
                    .and(Self::any_of(numbers)))
            })
    }
}

/// An enum of `accounts`' ids in their order, so that an id's code is its
/// account's number ([`numbered`]), and the number of accounts.
fn account_enum(accounts: &LazyFrame) -> PolarsResult<(DataType, usize)> {
    let ids = accounts.clone().select([col("account_id")]).collect()?;
    let ids = ids.column("account_id")?.str()?;
    // Ids are checked non-empty and unique; a null would still keep its
    // place, so that every later id keeps its number.
    let frozen = FrozenCategories::new(ids.iter().map(Option::unwrap_or_default))?;
    Ok((DataType::from_frozen_categories(frozen), ids.len()))
}

/// `by_pair` with its `pair` key taken apart too: `account` (its number,
/// null for [`UNKNOWN`]) and `product` (its name, from the global category
/// of its code).
fn split_pairs(by_pair: DataFrame, names: &CategoricalMapping) -> PolarsResult<DataFrame> {
    let pairs = by_pair.column("pair")?.u64()?;
    let accounts: Vec<Option<u32>> = pairs
        .iter()
        .map(|p| p.map(|p| (p >> 32) as u32).filter(|&a| a != UNKNOWN))
        .collect();
    let products: Vec<Option<&str>> = pairs
        .iter()
        .map(|p| p.and_then(|p| names.cat_to_str(p as u32)))
        .collect();
    let mut frame = by_pair;
    frame.with_column(Column::new("account".into(), accounts))?;
    frame.with_column(Column::new("product".into(), products))?;
    Ok(frame)
}

/// The fields of words `a` and `b` that the figures read, as the columns
/// of [`ActivityFacts::usage`] name them.
fn unpacked() -> [Expr; 8] {
    [
        field("a", 0, WINDOW_DAYS as u32)
            .cast(DataType::UInt32)
            .alias("window_days"),
        has_bit(col("a"), WINDOW_ANY_BIT).alias("window_any"),
        has_bit(col("a"), WINDOW_MOBILE_BIT).alias("window_mobile"),
        has_bit(col("a"), WINDOW_ROVO_BIT).alias("window_rovo"),
        has_bit(col("a"), WINDOW_AI_BIT).alias("window_ai"),
        field("a", VIEW_MONTHS_SHIFT, OLDER + 1)
            .cast(DataType::UInt16)
            .alias("view_months"),
        field("b", ROVO_MONTHS_SHIFT, OLDER + 1)
            .cast(DataType::UInt16)
            .alias("rovo_months"),
        field("b", AI_MONTHS_SHIFT, OLDER + 1)
            .cast(DataType::UInt16)
            .alias("ai_months"),
    ]
}

/// The highest Trello plan whose bit is set in word `word`, or null.
fn highest_plan(word: &str) -> Expr {
    (0..PLANS.len() as u32).fold(lit(NULL).cast(DataType::UInt32), |lower, rank| {
        when(has_bit(col(word), TRELLO_PLAN_SHIFT + rank))
            .then(lit(rank))
            .otherwise(lower)
    })
}
