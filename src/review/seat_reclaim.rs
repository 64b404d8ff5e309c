//! Seats to reclaim: per product, accounts with access and no `view` of it
//! in the last 30, 60 and 90 days, and each idle seat as a line of an action
//! plan (data/seat-reclaim.csv, with `owner` and `due` to fill in). Accounts
//! added to the organization recently (`accounts.added_on`) have not had the
//! time to use their seats and are left out.

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::insights::Context;
use crate::review::snapshot::Snapshot;
use crate::support::frame::{counts, date_to_days, days_to_date, epoch_days, first_u64, strings};

/// Days without a view that make a seat idle, shortest first.
pub const IDLE_DAYS: [i64; 3] = [30, 60, 90];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductSeats {
    pub product: String,
    /// Accounts with access to the product, recently added ones left out.
    pub seats: u64,
    /// Of those, with no view of the product in the last 30, 60, 90 days.
    pub idle: [u64; 3],
}

/// One idle seat: an account's access to a product on a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdleSeat {
    pub product: String,
    pub site: String,
    pub account_id: String,
    /// As `[privacy] names` shows it.
    pub email: String,
    /// The latest view of the product on or before the report date.
    pub last_active: Option<NaiveDate>,
    /// Days from `last_active` to the report date; `None`: never viewed.
    pub days_inactive: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeatReclaim {
    pub products: Vec<ProductSeats>,
    /// Seats idle for 30 days or more, longest idle first within a product.
    pub seats: Vec<IdleSeat>,
    /// Accounts with access left out for being added recently.
    pub recently_added: u64,
    pub grace_days: u64,
}

/// Each account's email as the snapshot shows it (`[privacy] names`).
fn snapshot_emails(snapshot: &Snapshot) -> PolarsResult<LazyFrame> {
    let (ids, emails): (Vec<&str>, Vec<&str>) = snapshot
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.email.as_str()))
        .unzip();
    Ok(df!("account_id" => ids, "email" => emails)?.lazy())
}

/// `None` without `product_access` or `activity`.
pub fn compute(
    ctx: &Context,
    snapshot: &Snapshot,
    grace_days: u64,
) -> PolarsResult<Option<SeatReclaim>> {
    let (Some(access), Some(activity)) = (ctx.access_of_accounts_with_access(), ctx.activity())
    else {
        return Ok(None);
    };
    let as_of_days = date_to_days(ctx.as_of);

    let accounts =
        ctx.numbered_accounts()
            .select([col("account"), col("account_id"), col("added_on")]);
    let emails = snapshot_emails(snapshot)?;
    // One row per seat and site, with the days since the seat's last view
    // (null: never viewed) and whether the account is too new to judge.
    let seat_sites = access
        .select([col("account"), col("product"), col("site")])
        .unique(None, UniqueKeepStrategy::Any)
        .inner_join(accounts, col("account"), col("account"))
        .with_column(activity.pair(col("account"), col("product")).alias("pair"))
        .left_join(activity.last_views.clone().lazy(), col("pair"), col("pair"))
        .with_columns([
            (lit(as_of_days) - col("last_view").cast(DataType::Int32))
                .cast(DataType::Int64)
                .alias("days_inactive"),
            (lit(as_of_days) - col("added_on").cast(DataType::Int32))
                .lt(lit(grace_days.min(i32::MAX as u64) as i32))
                .fill_null(lit(false))
                .alias("recent"),
        ])
        .collect()?
        .lazy();
    let recently_added = seat_sites
        .clone()
        .filter(col("recent"))
        .select([col("account").n_unique().alias("accounts")])
        .collect()?;
    let judged = seat_sites.filter(col("recent").not());
    let products = idle_by_product(judged.clone())?;
    let seats = idle_seats(judged, emails)?;
    Ok(Some(SeatReclaim {
        products,
        seats,
        recently_added: first_u64(&recently_added, "accounts")?,
        grace_days,
    }))
}

/// True where a seat's last view is `limit` or more days old, or none.
fn idle_for(limit: i64) -> Expr {
    col("days_inactive")
        .is_null()
        .or(col("days_inactive").gt_eq(lit(limit)))
}

/// Per product, the seats and those idle for each of [`IDLE_DAYS`].
fn idle_by_product(judged: LazyFrame) -> PolarsResult<Vec<ProductSeats>> {
    let mut per_product = vec![len().alias("seats")];
    per_product.extend(
        IDLE_DAYS
            .iter()
            .map(|&limit| idle_for(limit).sum().alias(format!("idle_{limit}"))),
    );
    let products = judged
        .select([col("product"), col("account"), col("days_inactive")])
        .unique(None, UniqueKeepStrategy::Any)
        .group_by([col("product")])
        .agg(per_product)
        .sort(["product"], Default::default())
        .collect()?;
    let idle_counts = IDLE_DAYS
        .iter()
        .map(|limit| counts(&products, &format!("idle_{limit}")))
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok(strings(&products, "product")?
        .into_iter()
        .zip(counts(&products, "seats")?)
        .enumerate()
        .map(|(i, (product, seats))| ProductSeats {
            product,
            seats,
            idle: [0, 1, 2].map(|k| idle_counts[k][i]),
        })
        .collect())
}

/// Every seat idle for the shortest of [`IDLE_DAYS`] or more, longest idle
/// first: never viewed, then by days.
fn idle_seats(judged: LazyFrame, emails: LazyFrame) -> PolarsResult<Vec<IdleSeat>> {
    let idle = judged
        .filter(idle_for(IDLE_DAYS[0]))
        .left_join(emails, col("account_id"), col("account_id"))
        .sort_by_exprs(
            [
                col("product"),
                col("days_inactive").fill_null(lit(i64::MAX)),
                col("account_id"),
                col("site"),
            ],
            SortMultipleOptions::default().with_order_descending_multi([false, true, false, false]),
        )
        .collect()?;
    let last_views = epoch_days(&idle, "last_view")?;
    let days = idle.column("days_inactive")?.i64()?;
    Ok(strings(&idle, "product")?
        .into_iter()
        .zip(strings(&idle, "site")?)
        .zip(strings(&idle, "account_id")?)
        .zip(strings(&idle, "email")?)
        .zip(last_views)
        .zip(days.iter())
        .map(
            |(((((product, site), account_id), email), last), days_inactive)| IdleSeat {
                product,
                site,
                account_id,
                email,
                last_active: last.and_then(days_to_date),
                days_inactive,
            },
        )
        .collect())
}
