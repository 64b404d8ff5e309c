//! Which accounts a reclaim would suspend: those with access that nobody
//! used for `[reclaim] idle_days`, added to the organization longer ago,
//! and that no active exception names. The plan changes nothing; it is
//! printed, written as a CSV and shown in the report.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::config::Reclaim;
use crate::insights::Context;
use crate::review::exceptions::{self, Review};
use crate::review::snapshot::Snapshot;
use crate::support::frame::{epoch_days, strings};

/// One account the plan would suspend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    pub account_id: String,
    /// As `[privacy] names` shows it.
    pub email: String,
    /// Each product with access and the last view of it (`None`: never).
    pub products: Vec<(String, Option<NaiveDate>)>,
    /// The last view of any of its products.
    pub last_active: Option<NaiveDate>,
    /// Days from `last_active` to the report date; `None`: never viewed.
    pub days_idle: Option<i64>,
    /// Why it is in the plan, in words.
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub as_of: NaiveDate,
    pub idle_days: u32,
    /// Longest idle first; never viewed before all.
    pub accounts: Vec<Planned>,
    /// Accounts with access: `max_percent` is of them.
    pub with_access: u64,
    /// Why nothing can be judged idle, when that is so.
    pub not_judged: Option<&'static str>,
    /// What earlier applies did and no undo has restored, by the day of
    /// the suspensions (filled from the ledger by `reclaim`); those
    /// accounts are not in `accounts`.
    pub suspended: Vec<SuspendedOn>,
    /// Why the ledger could not be read for `suspended`, when that is so.
    pub ledger_problem: Option<String>,
}

/// The accounts a day's applies suspended that are still suspended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuspendedOn {
    pub day: NaiveDate,
    pub accounts: usize,
}

impl Plan {
    /// The same plan with its emails as `privacy` shows them.
    pub fn concealed(&self, privacy: &crate::review::privacy::Privacy) -> Plan {
        let mut concealed = self.clone();
        for account in &mut concealed.accounts {
            account.email = privacy.email(&account.email);
        }
        concealed
    }

    /// How many accounts one UTC day's applies may suspend under
    /// `settings`' caps.
    pub fn cap(&self, settings: &Reclaim) -> usize {
        self.by_percent(settings).min(settings.max_per_run as usize)
    }

    fn by_percent(&self, settings: &Reclaim) -> usize {
        (self.with_access as f64 * settings.max_percent / 100.0).floor() as usize
    }

    /// The day's cap and what sets it, in words.
    pub fn cap_in_words(&self, settings: &Reclaim) -> String {
        let by_percent = self.by_percent(settings);
        let limit = if by_percent <= settings.max_per_run as usize {
            "max_percent"
        } else {
            "max_per_run"
        };
        format!(
            "at most {} a day (UTC), set by [reclaim] {limit}: max_percent = {} of {} accounts with access allows {by_percent}, max_per_run = {}",
            self.cap(settings),
            settings.max_percent,
            self.with_access,
            settings.max_per_run
        )
    }
}

/// The plan as of the snapshot's date. Every view of a known account
/// counts (an external user's Trello use too): suspending someone who uses
/// a product is the mistake to avoid.
pub fn plan(
    ctx: &Context,
    snapshot: &Snapshot,
    review: &Review,
    settings: &Reclaim,
) -> PolarsResult<Plan> {
    let as_of = snapshot.as_of;
    let with_access = snapshot.accounts.iter().filter(|a| a.has_access).count() as u64;
    let mut plan = Plan {
        as_of,
        idle_days: settings.idle_days,
        accounts: Vec::new(),
        with_access,
        not_judged: None,
        suspended: Vec::new(),
        ledger_problem: None,
    };
    let (Some(activity), Some(access)) = (ctx.activity(), ctx.access_of_accounts_with_access())
    else {
        plan.not_judged =
            Some("idleness needs the activity and product_access tables; nothing is planned");
        return Ok(plan);
    };
    let views = last_views(ctx, activity, access)?;
    let added = added_on(ctx)?;
    let limit = as_of - chrono::Days::new(u64::from(settings.idle_days));
    for account in snapshot.accounts.iter().filter(|a| a.has_access) {
        let products: Vec<(String, Option<NaiveDate>)> = account
            .products
            .iter()
            .map(|p| {
                let key = (account.account_id.clone(), p.clone());
                (p.clone(), views.get(&key).copied())
            })
            .collect();
        let last_active = products.iter().filter_map(|(_, day)| *day).max();
        let idle = last_active.is_none_or(|day| day <= limit);
        let new = added
            .get(&account.account_id)
            .is_some_and(|day| *day > limit);
        // An org admin is never suspended by a plan unless the admin asks:
        // locking out the people who can undo it is the worst mistake.
        let spared_admin = account.org_admin == Some(true) && !settings.include_admins;
        if !idle || new || spared_admin || exceptions::active_for(review, account).is_some() {
            continue;
        }
        let days_idle = last_active.map(|day| (as_of - day).num_days());
        let why = match (last_active, days_idle) {
            (Some(day), Some(days)) => {
                format!("no view of any of its products in {days} days (last {day})")
            }
            _ => "never viewed any of its products".to_string(),
        };
        plan.accounts.push(Planned {
            account_id: account.account_id.clone(),
            email: account.email.clone(),
            products,
            last_active,
            days_idle,
            why,
        });
    }
    plan.accounts.sort_by(|a, b| {
        let idle = |p: &Planned| p.days_idle.unwrap_or(i64::MAX);
        idle(b).cmp(&idle(a)).then(a.account_id.cmp(&b.account_id))
    });
    Ok(plan)
}

/// The last view of each (account, product) with access, by account id
/// and product key; none without activity or product_access.
pub fn last_views_of_holders(ctx: &Context) -> PolarsResult<HashMap<(String, String), NaiveDate>> {
    match (ctx.activity(), ctx.access_of_accounts_with_access()) {
        (Some(activity), Some(access)) => last_views(ctx, activity, access),
        _ => Ok(HashMap::new()),
    }
}

/// The last view of each (account, product) with access.
fn last_views(
    ctx: &Context,
    activity: &crate::insights::ActivityFacts,
    access: LazyFrame,
) -> PolarsResult<HashMap<(String, String), NaiveDate>> {
    let names = ctx
        .numbered_accounts()
        .select([col("account"), col("account_id")]);
    let frame = access
        .select([col("account"), col("product")])
        .unique(None, UniqueKeepStrategy::Any)
        .with_column(activity.pair(col("account"), col("product")).alias("pair"))
        .inner_join(activity.last_views.clone().lazy(), col("pair"), col("pair"))
        .inner_join(names, col("account"), col("account"))
        .select([
            col("account_id"),
            col("product").cast(DataType::String),
            col("last_view"),
        ])
        .collect()?;
    let days = epoch_days(&frame, "last_view")?;
    Ok(strings(&frame, "account_id")?
        .into_iter()
        .zip(strings(&frame, "product")?)
        .zip(days)
        .filter_map(|(key, day)| Some((key, day.and_then(crate::support::frame::days_to_date)?)))
        .collect())
}

/// Each account's `added_on`, when the bundle gives one.
pub fn added_on(ctx: &Context) -> PolarsResult<HashMap<String, NaiveDate>> {
    let frame = ctx
        .accounts()
        .select([col("account_id"), col("added_on")])
        .collect()?;
    let days = epoch_days(&frame, "added_on")?;
    Ok(strings(&frame, "account_id")?
        .into_iter()
        .zip(days)
        .filter_map(|(id, day)| Some((id, day.and_then(crate::support::frame::days_to_date)?)))
        .collect())
}
