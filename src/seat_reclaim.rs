//! Seats to reclaim: per product, accounts with access and no `view` of it
//! in the last 30, 60 and 90 days, and each idle seat as a line of an action
//! plan (data/seat-reclaim.csv, with `owner` and `due` to fill in). Accounts
//! added to the organization recently (`accounts.added_on`) have not had the
//! time to use their seats and are left out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::insights::{counts, strings, Context};
use crate::snapshot::{date_from_epoch_days as date_from_days, Snapshot};

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
    let numbers = counts(&accounts, "account")?;
    let added: Vec<Option<i32>> = accounts
        .column("added_on")?
        .cast(&DataType::Int32)?
        .i32()?
        .iter()
        .collect();
    let recent: BTreeSet<&str> = ids
        .iter()
        .zip(&added)
        .filter(|(_, added)| {
            added
                .and_then(date_from_days)
                .is_some_and(|day| (as_of - day).num_days() < grace_days as i64)
        })
        .map(|(id, _)| id.as_str())
        .collect();
    let id_of: HashMap<u64, &str> = numbers
        .iter()
        .copied()
        .zip(ids.iter().map(String::as_str))
        .collect();

    let views = &activity.last_views;
    let last_days: Vec<Option<i32>> = views
        .column("last_view")?
        .cast(&DataType::Int32)?
        .i32()?
        .iter()
        .collect();
    let mut last_view: HashMap<(&str, String), NaiveDate> = HashMap::new();
    for ((account, product), day) in counts(views, "account")?
        .into_iter()
        .zip(strings(views, "product")?)
        .zip(last_days)
    {
        let (Some(id), Some(day)) = (id_of.get(&account), day.and_then(date_from_days)) else {
            continue;
        };
        last_view.insert((*id, product), day);
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

    let mut per_product: BTreeMap<String, (BTreeSet<String>, [BTreeSet<String>; 3])> =
        BTreeMap::new();
    let mut left_out: BTreeSet<String> = BTreeSet::new();
    let mut seats = Vec::new();
    for ((account_id, product), site) in strings(&rows, "account_id")?
        .into_iter()
        .zip(strings(&rows, "product")?)
        .zip(strings(&rows, "site")?)
    {
        if recent.contains(account_id.as_str()) {
            left_out.insert(account_id);
            continue;
        }
        let last = last_view
            .get(&(account_id.as_str(), product.clone()))
            .copied();
        let days = last.map(|day| (as_of - day).num_days());
        let entry = per_product.entry(product.clone()).or_default();
        entry.0.insert(account_id.clone());
        for (bucket, limit) in IDLE_DAYS.iter().enumerate() {
            if days.is_none_or(|d| d >= *limit) {
                entry.1[bucket].insert(account_id.clone());
            }
        }
        if days.is_none_or(|d| d >= IDLE_DAYS[0]) {
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
    let products = per_product
        .into_iter()
        .map(|(product, (all, idle))| ProductSeats {
            product,
            seats: all.len() as u64,
            idle: idle.map(|set| set.len() as u64),
        })
        .collect();
    Ok(Some(SeatReclaim {
        products,
        seats,
        recently_added: left_out.len() as u64,
        grace_days,
    }))
}
