//! One pass over `activity` for everything the insights need from it.
//!
//! `activity` is the one large table (a year of daily rows for a large
//! organization runs to a hundred million). It is read once, with polars'
//! streaming engine, into a compact frame of *facts*: for each counted row,
//! what it says about the figures (a view, Rovo use, AI use), the account as
//! a number, and, inside the window only, the product, site and surface.
//! Rows before the window collapse to one fact per account, month and kind
//! of use, which is all the monthly trends need. Duplicates are dropped, so
//! the frame stays a fraction of the table's size.
//!
//! A second, narrow pass counts what data quality reports.

use chrono::NaiveDate;
use polars::prelude::*;

use super::{counts, strings};

/// What the insights and the data-quality section need from `activity`.
pub struct ActivityFacts {
    /// One row per distinct fact: `day` (the date inside the window, the
    /// first of the month before it), `account` (a number per account),
    /// `in_window`, `view`, `rovo`, `ai`, and inside the window `product`,
    /// `site` and `mobile`.
    pub facts: DataFrame,
    /// Rows whose account is missing from `accounts`.
    pub unknown_account_rows: u64,
    /// Rows dated after the as-of date.
    pub rows_after_as_of: u64,
    /// Every product of the table with its number of rows.
    pub rows_by_product: Vec<(String, u64)>,
    /// The day of each account's latest counted `view` of each product, on
    /// or before the as-of date: `account`, `product`, `last_view`.
    pub last_views: DataFrame,
}

/// What the Rovo and AI figures need to know of `sites`.
pub struct SiteFacts {
    /// Sites where Rovo is activated.
    pub rovo_sites: Series,
    /// Site and product pairs with Atlassian Intelligence on.
    pub ai_pairs: LazyFrame,
}

/// Above this many rows of activity the three plans run one after another:
/// slower by a few percent, in about half the memory.
/// `ORG_INSIGHTS_SIDE_BY_SIDE_ROWS` in the environment changes it.
const SIDE_BY_SIDE_ROWS: u64 = 20_000_000;

fn side_by_side_rows() -> u64 {
    std::env::var("ORG_INSIGHTS_SIDE_BY_SIDE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SIDE_BY_SIDE_ROWS)
}

/// Rovo actions that count only when results were generated.
const GENERATING: [&str; 4] = ["rovo_search", "rovo_definition", "rovo_chat", "rovo_agent"];
/// Rovo actions that always count.
const CLICKS: [&str; 3] = [
    "rovo_first_party_click",
    "rovo_third_party_click",
    "rovo_third_party_filter",
];

fn action_in(values: &[&str]) -> Expr {
    let series = Series::new("values".into(), values);
    col("action").is_in(lit(series).implode(false), false)
}

/// `accounts` with the number that stands for each account in the facts.
pub fn numbered(accounts: LazyFrame) -> LazyFrame {
    accounts
        .select([col("account_id"), col("account_type")])
        .with_row_index("account", None)
}

pub fn gather(
    activity: LazyFrame,
    accounts: LazyFrame,
    sites: Option<&SiteFacts>,
    as_of: NaiveDate,
    window_start: NaiveDate,
    activity_rows: u64,
) -> PolarsResult<ActivityFacts> {
    let in_window = col("date").gt_eq(lit(window_start));
    // Rovo use: a successful search, definition, chat or agent, or any
    // click or filter, on a Rovo site or on no site. AI use: an `ai` row on
    // a site and product with AI on, or on no site. Without `sites`
    // neither figure exists.
    let (rovo, ai, rows) = match sites {
        Some(sites) => {
            let on_rovo_site = col("site")
                .is_null()
                .or(col("site").is_in(lit(sites.rovo_sites.clone()).implode(false), false));
            let rovo = action_in(&GENERATING)
                .and(col("success"))
                .or(action_in(&CLICKS))
                .and(on_rovo_site);
            let ai = col("action")
                .eq(lit("ai"))
                .and(col("site").is_null().or(col("__ai").fill_null(lit(false))));
            let keys = [col("site"), col("product")];
            let rows = activity.clone().join(
                sites.ai_pairs.clone(),
                keys.clone(),
                keys,
                JoinArgs::new(JoinType::Left),
            );
            (rovo, ai, rows)
        }
        None => (lit(false), lit(false), activity.clone()),
    };

    // Counted rows: a known account, on or before as_of; Trello rows only
    // for managed accounts.
    let counted = rows
        .filter(col("date").lt_eq(lit(as_of)))
        .inner_join(
            numbered(accounts.clone()),
            col("account_id"),
            col("account_id"),
        )
        .filter(
            col("product")
                .neq(lit("trello"))
                .or(col("account_type").eq(lit("managed"))),
        );
    // The snapshot's last active date, and how long each seat went unused,
    // reach back beyond the window.
    let last_views = counted
        .clone()
        .filter(col("action").eq(lit("view")))
        .group_by([col("account"), col("product")])
        .agg([col("date").max().alias("last_view")]);
    let facts = counted
        .select([
            when(in_window.clone())
                .then(col("date"))
                .otherwise(col("date").dt().truncate(lit("1mo")))
                .alias("day"),
            col("account"),
            in_window.clone().alias("in_window"),
            col("action").eq(lit("view")).alias("view"),
            rovo.alias("rovo"),
            ai.alias("ai"),
            when(in_window.clone())
                .then(col("product"))
                .otherwise(lit(NULL).cast(DataType::String))
                .alias("product"),
            when(in_window.clone())
                .then(col("site"))
                .otherwise(lit(NULL).cast(DataType::String))
                .alias("site"),
            in_window
                .and(col("surface").eq(lit("mobile")))
                .alias("mobile"),
        ])
        // Before the window only the monthly trends read a row.
        .filter(
            col("in_window")
                .or(col("view"))
                .or(col("rovo"))
                .or(col("ai")),
        )
        .unique(None, UniqueKeepStrategy::Any);

    let known = accounts
        .select([col("account_id")])
        .with_column(lit(true).alias("__known"));
    let quality = activity
        .select([col("account_id"), col("date"), col("product")])
        .left_join(known, col("account_id"), col("account_id"))
        .group_by([col("product")])
        .agg([
            len().alias("rows"),
            col("__known")
                .is_null()
                .cast(DataType::UInt64)
                .sum()
                .alias("unknown"),
            col("date")
                .gt(lit(as_of))
                .cast(DataType::UInt64)
                .sum()
                .alias("after"),
        ])
        .sort(["product"], Default::default());

    let plans = vec![facts, quality, last_views];
    let frames = if activity_rows > side_by_side_rows() {
        // Side by side, the plans' working states add up (a million
        // accounts, 100 million rows: 14 GiB, against 8 GiB one at a time),
        // and each plan alone already keeps two cores busy.
        plans
            .into_iter()
            .map(|plan| {
                plan.collect_with_engine(Engine::Streaming)
                    .map(|result| result.unwrap_single())
            })
            .collect::<PolarsResult<Vec<_>>>()?
    } else {
        LazyFrame::collect_all_with_engine(
            plans.into_iter().map(|plan| plan.logical_plan).collect(),
            Engine::Streaming,
            OptFlags::default(),
        )?
    };
    let mut frames = frames.into_iter();
    let (Some(facts), Some(quality), Some(last_views)) =
        (frames.next(), frames.next(), frames.next())
    else {
        polars_bail!(ComputeError: "a planned result is missing");
    };
    let sum = |column: &str| -> PolarsResult<u64> { Ok(counts(&quality, column)?.iter().sum()) };
    Ok(ActivityFacts {
        unknown_account_rows: sum("unknown")?,
        rows_after_as_of: sum("after")?,
        rows_by_product: strings(&quality, "product")?
            .into_iter()
            .zip(counts(&quality, "rows")?)
            .collect(),
        facts,
        last_views,
    })
}
