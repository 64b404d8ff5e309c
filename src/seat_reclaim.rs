//! Seats to reclaim: per product, accounts with access and no `view` of it
//! in the last 30, 60 and 90 days, and each idle seat as a line of an action
//! plan (data/seat-reclaim.csv, with `owner` and `due` to fill in). Accounts
//! added to the organization recently (`accounts.added_on`) have not had the
//! time to use their seats and are left out.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::bundle::days_to_date;
use crate::insights::{counts, strings, Context};
use crate::snapshot::{epoch_days, Snapshot};

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
    let as_of = ctx.as_of;

    let accounts = ctx
        .accounts()
        .with_row_index("account", None)
        .select([col("account"), col("account_id"), col("added_on")])
        .collect()?;
    let ids = strings(&accounts, "account_id")?;
    let added = epoch_days(&accounts, "added_on")?;
    // Accounts are numbered by their row, as in the activity facts.
    let number_of: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(number, id)| (id.as_str(), number))
        .collect();
    let recently_added = |number: usize| {
        added[number]
            .and_then(days_to_date)
            .is_some_and(|day| (as_of - day).num_days() < grace_days as i64)
    };

    let views = &activity.last_views;
    let view_products = strings(views, "product")?;
    let last_days = epoch_days(views, "last_view")?;
    let mut last_view: HashMap<(usize, &str), NaiveDate> = HashMap::new();
    for ((account, product), day) in counts(views, "account")?
        .into_iter()
        .zip(&view_products)
        .zip(last_days)
    {
        if let Some(day) = day.and_then(days_to_date) {
            last_view.insert((account as usize, product.as_str()), day);
        }
    }

    let rows = access
        .select([col("account_id"), col("product"), col("site")])
        .unique(None, UniqueKeepStrategy::Any)
        .sort(["product", "account_id", "site"], Default::default())
        .collect()?;
    let emails: HashMap<&str, &str> = snapshot
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.email.as_str()))
        .collect();

    // Rows come sorted by product and account: an account's sites of one
    // product are neighbours, so each seat is counted once without sets.
    let mut products: Vec<ProductSeats> = Vec::new();
    let mut left_out: BTreeSet<usize> = BTreeSet::new();
    let mut seats = Vec::new();
    let mut previous: Option<(String, String)> = None;
    for ((account_id, product), site) in strings(&rows, "account_id")?
        .into_iter()
        .zip(strings(&rows, "product")?)
        .zip(strings(&rows, "site")?)
    {
        let Some(&number) = number_of.get(account_id.as_str()) else {
            continue;
        };
        if recently_added(number) {
            left_out.insert(number);
            continue;
        }
        let last = last_view.get(&(number, product.as_str())).copied();
        let days = last.map(|day| (as_of - day).num_days());
        let idle = IDLE_DAYS.map(|limit| days.is_none_or(|d| d >= limit));
        let same_seat = previous
            .as_ref()
            .is_some_and(|(p, a)| *p == product && *a == account_id);
        if !same_seat {
            if products.last().is_none_or(|p| p.product != product) {
                products.push(ProductSeats {
                    product: product.clone(),
                    seats: 0,
                    idle: [0; 3],
                });
            }
            if let Some(entry) = products.last_mut() {
                entry.seats += 1;
                for (count, is_idle) in entry.idle.iter_mut().zip(idle) {
                    *count += u64::from(is_idle);
                }
            }
            previous = Some((product.clone(), account_id.clone()));
        }
        if idle[0] {
            seats.push(IdleSeat {
                email: emails
                    .get(account_id.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
                product,
                site,
                account_id,
                last_active: last,
                days_inactive: days,
            });
        }
    }
    // Longest idle first: never viewed, then by days.
    seats.sort_by(|a, b| {
        a.product
            .cmp(&b.product)
            .then(
                b.days_inactive
                    .unwrap_or(i64::MAX)
                    .cmp(&a.days_inactive.unwrap_or(i64::MAX)),
            )
            .then(a.account_id.cmp(&b.account_id))
            .then(a.site.cmp(&b.site))
    });
    Ok(Some(SeatReclaim {
        products,
        seats,
        recently_added: left_out.len() as u64,
        grace_days,
    }))
}
