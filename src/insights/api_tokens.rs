//! Insight 13: the user API tokens of the organization's managed accounts,
//! as Atlassian's "API token activity" page shows them: how many are live,
//! how long since each was used, which expire soon and which belong to
//! someone without access.

use chrono::{Days, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use super::{
    count_by, distinct, Advising, Cell, Chart, Context, DataTable, Figure, Insight, Shown,
};
use crate::bundle::Table;
use crate::support::frame::{count_rows, date_to_days};
use crate::support::words::{count_of, plural, thousands};

/// Days before the as-of date within which an expiry counts as soon.
pub const EXPIRING_DAYS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiTokens {
    /// Tokens that can be used on the as-of date.
    pub live: u64,
    /// Distinct owners of live tokens.
    pub accounts: u64,
    pub by_last_use: LastUse,
    /// Live tokens that expire within 30 days after the as-of date.
    pub expiring_30_days: u64,
    /// Live tokens whose owner has no access or is missing from `accounts`.
    pub owner_without_access: u64,
}

/// Live tokens by the days from their last use to the as-of date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LastUse {
    pub last_7_days: u64,
    pub last_30_days: u64,
    pub last_90_days: u64,
    pub older: u64,
    pub never: u64,
}

/// The groups of [`LastUse`]: key, words, and the first day of the next
/// group (`None`: the last).
const GROUPS: [(&str, &str, Option<i32>); 4] = [
    ("last_7_days", "in the last 7 days", Some(7)),
    ("last_30_days", "7 to 29 days ago", Some(30)),
    ("last_90_days", "30 to 89 days ago", Some(90)),
    ("older", "90 days ago or more", None),
];

/// The tokens that can be used on `as_of`: status `allowed` (an empty
/// status is), created by then and not expired.
pub fn live(tokens: LazyFrame, as_of: NaiveDate) -> LazyFrame {
    let day = lit(date_to_days(as_of));
    let allowed = col("status").is_null().or(col("status").eq(lit("allowed")));
    let created = col("created").cast(DataType::Int32).lt_eq(day.clone());
    let unexpired = col("expires")
        .is_null()
        .or(col("expires").cast(DataType::Int32).gt(day));
    tokens.filter(allowed.and(created).and(unexpired))
}

/// Days from a token's last use to `as_of`; a use after it counts 0.
pub fn days_since_use(as_of: NaiveDate) -> Expr {
    let days = lit(date_to_days(as_of)) - col("last_active").cast(DataType::Int32);
    when(days.clone().lt(lit(0))).then(lit(0)).otherwise(days)
}

/// Live tokens that expire after `as_of` and within 30 days of it.
pub fn expiring(as_of: NaiveDate) -> Expr {
    let last = as_of
        .checked_add_days(Days::new(EXPIRING_DAYS))
        .unwrap_or(NaiveDate::MAX);
    col("expires")
        .cast(DataType::Int32)
        .lt_eq(lit(date_to_days(last)))
        .fill_null(lit(false))
}

fn figures(ctx: &Context, tokens: LazyFrame) -> PolarsResult<ApiTokens> {
    let live = live(tokens, ctx.as_of);
    let days = days_since_use(ctx.as_of);
    let group = GROUPS
        .iter()
        .rev()
        .fold(lit("never"), |rest, (key, _, next)| {
            let within = match next {
                Some(next) => days.clone().lt(lit(*next)),
                None => lit(true),
            };
            when(col("last_active").is_not_null().and(within))
                .then(lit(*key))
                .otherwise(rest)
        });
    let by_group = count_by(live.clone(), group)?;
    let get = |key: &str| by_group.get(key).copied().unwrap_or(0);
    let holders = ctx.accounts_with_access().select([col("account_id")]);
    Ok(ApiTokens {
        live: count_rows(live.clone())?,
        accounts: distinct(live.clone(), "account_id")?,
        by_last_use: LastUse {
            last_7_days: get("last_7_days"),
            last_30_days: get("last_30_days"),
            last_90_days: get("last_90_days"),
            older: get("older"),
            never: get("never"),
        },
        expiring_30_days: count_rows(live.clone().filter(expiring(ctx.as_of)))?,
        owner_without_access: count_rows(live.anti_join(
            holders,
            col("account_id"),
            col("account_id"),
        ))?,
    })
}

impl ApiTokens {
    /// Each group of the last use: key, words, live tokens.
    fn groups(&self) -> [(&'static str, &'static str, u64); 5] {
        let u = &self.by_last_use;
        [
            (GROUPS[0].0, GROUPS[0].1, u.last_7_days),
            (GROUPS[1].0, GROUPS[1].1, u.last_30_days),
            (GROUPS[2].0, GROUPS[2].1, u.last_90_days),
            (GROUPS[3].0, GROUPS[3].1, u.older),
            ("never", "never used", u.never),
        ]
    }

    /// Live tokens unused for 90 days or more, or never used.
    pub fn unused(&self) -> u64 {
        self.by_last_use.older + self.by_last_use.never
    }
}

impl Insight for ApiTokens {
    const TITLE: &'static str = "API token activity";
    const LEAD: &'static str = "The live user API tokens of the organization's accounts, by when each was last used, with those that expire soon and those whose owner has no access.";
    const NOUN: &'static str = "API token activity";
    const TABLES: &'static [Table] = &[Table::ApiTokens];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        Some(figures(ctx, ctx.api_tokens()?))
    }

    fn show(&self) -> Shown {
        let mut table = DataTable::new(&[("last_use", "Last used"), ("tokens", "Live tokens")]);
        for (key, words, n) in self.groups() {
            table.row(vec![Cell::labelled(key, words), Cell::count(n)]);
        }
        let summary = format!(
            "{} held by {}; {} {} within {EXPIRING_DAYS} days and {} {} to someone without access.",
            count_of(self.live, "live API token"),
            count_of(self.accounts, "account"),
            thousands(self.expiring_30_days),
            plural(self.expiring_30_days, "expires", "expire"),
            thousands(self.owner_without_access),
            plural(self.owner_without_access, "belongs", "belong"),
        );
        let groups = self.groups();
        Shown {
            summary,
            table,
            chart: Chart::bars(
                "Live API tokens by last use",
                "tokens",
                groups
                    .iter()
                    .map(|(_, words, _)| words.to_string())
                    .collect(),
                "tokens",
                groups.iter().map(|(_, _, n)| *n).collect(),
            ),
        }
    }

    const HEADLINES: &'static [(Figure, &'static str)] = &[
        (Figure::ApiTokensLive, "Live API tokens"),
        (Figure::ApiTokensExpiring, "API tokens expiring in 30 days"),
        (
            Figure::ApiTokensOwnerWithoutAccess,
            "API tokens of owners without access",
        ),
    ];

    fn headline(&self, figure: Figure) -> String {
        match figure {
            Figure::ApiTokensExpiring => self.expiring_30_days,
            Figure::ApiTokensOwnerWithoutAccess => self.owner_without_access,
            _ => self.live,
        }
        .to_string()
    }

    /// A token of someone who left is a standing risk, after the gaps in
    /// sign-in; one about to expire breaks an integration.
    fn findings(&self, _: &super::Insights) -> Vec<(u8, String)> {
        let mut found = Vec::new();
        if self.owner_without_access > 0 {
            let n = self.owner_without_access;
            found.push((
                35,
                format!(
                    "{} {} to someone without access: revoke {}.",
                    count_of(n, "live API token"),
                    plural(n, "belongs", "belong"),
                    plural(n, "it", "them")
                ),
            ));
        }
        if self.expiring_30_days > 0 {
            let n = self.expiring_30_days;
            found.push((
                55,
                format!(
                    "{} {} within {EXPIRING_DAYS} days.",
                    count_of(n, "API token"),
                    plural(n, "expires", "expire")
                ),
            ));
        }
        found
    }

    fn advise(&self, _: &Advising) -> Vec<String> {
        let mut advice = Vec::new();
        if self.live == 0 {
            return vec!["No live API tokens: nothing to review.".into()];
        }
        if self.owner_without_access > 0 {
            advice.push(format!(
                "Revoke the {} whose owner has no access: the tokens to look at below name {}.",
                count_of(self.owner_without_access, "token"),
                plural(self.owner_without_access, "it", "them")
            ));
        }
        if self.unused() > 0 {
            advice.push(format!(
                "{} {} not been used for 90 days or more: ask {} owners whether {} still needed.",
                count_of(self.unused(), "live token"),
                plural(self.unused(), "has", "have"),
                plural(self.unused(), "its", "their"),
                plural(self.unused(), "it is", "they are")
            ));
        }
        if self.expiring_30_days > 0 {
            advice.push(format!(
                "{} {} within {EXPIRING_DAYS} days: tell the owners, so that no integration stops without warning.",
                count_of(self.expiring_30_days, "token"),
                plural(self.expiring_30_days, "expires", "expire")
            ));
        }
        if advice.is_empty() {
            advice.push(
                "Every live token was used in the last 90 days and has an owner with access."
                    .into(),
            );
        }
        advice
    }
}

/// Days without use after which a live token is idle.
pub const IDLE_DAYS: i32 = 90;

/// Why a live token needs attention; the words of [`TokenReason::Unused`]
/// and [`TokenReason::NeverUsed`] are the report's, of [`IDLE_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenReason {
    /// Its owner has no access, or is missing from `accounts`.
    OwnerWithoutAccess,
    /// Not used for 90 days or more.
    Unused,
    /// Never used, and created 90 or more days ago.
    NeverUsed,
    /// Expires within 30 days.
    Expiring,
}

impl TokenReason {
    pub fn words(self) -> &'static str {
        match self {
            TokenReason::OwnerWithoutAccess => "owner has no access",
            TokenReason::Unused => "unused for 90 days or more",
            TokenReason::NeverUsed => "never used, created 90 or more days ago",
            TokenReason::Expiring => "expires within 30 days",
        }
    }
}

/// A live token that needs attention, as the bundle gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAttention {
    pub token_id: String,
    pub account_id: String,
    /// The owner's address as `api_tokens` gives it (empty when it does not).
    pub email: String,
    pub label: String,
    pub created: Option<NaiveDate>,
    pub last_active: Option<NaiveDate>,
    pub expires: Option<NaiveDate>,
    pub reasons: Vec<TokenReason>,
}

/// The live tokens whose owner has no access, that are unused for
/// `idle_days` (or never used and created that long ago), or that expire
/// within 30 days; sorted by owner, then token. The report uses
/// [`IDLE_DAYS`]; `tokens` its `[tokens] idle_days`.
pub fn needing_attention(ctx: &Context, idle_days: i32) -> PolarsResult<Vec<TokenAttention>> {
    let Some(tokens) = ctx.api_tokens() else {
        return Ok(Vec::new());
    };
    let holders = ctx
        .accounts_with_access()
        .select([col("account_id"), lit(true).alias("__holder")]);
    let created_days = lit(date_to_days(ctx.as_of)) - col("created").cast(DataType::Int32);
    let frame = live(tokens, ctx.as_of)
        .left_join(holders, col("account_id"), col("account_id"))
        .with_columns([
            col("__holder").is_null().alias("__no_access"),
            days_since_use(ctx.as_of)
                .gt_eq(lit(idle_days))
                .fill_null(lit(false))
                .alias("__unused"),
            col("last_active")
                .is_null()
                .and(created_days.gt_eq(lit(idle_days)))
                .alias("__never_used"),
            expiring(ctx.as_of).alias("__expiring"),
        ])
        .filter(
            col("__no_access")
                .or(col("__unused"))
                .or(col("__never_used"))
                .or(col("__expiring")),
        )
        .sort(["account_id", "token_id"], Default::default())
        .collect()?;
    let text = |name| crate::support::frame::strings(&frame, name);
    let date = |name| -> PolarsResult<Vec<Option<NaiveDate>>> {
        Ok(crate::support::frame::epoch_days(&frame, name)?
            .into_iter()
            .map(|d| d.and_then(crate::support::frame::days_to_date))
            .collect())
    };
    let flag = |name| crate::support::frame::flags(&frame, name);
    let reasons = [
        (flag("__no_access")?, TokenReason::OwnerWithoutAccess),
        (flag("__unused")?, TokenReason::Unused),
        (flag("__never_used")?, TokenReason::NeverUsed),
        (flag("__expiring")?, TokenReason::Expiring),
    ];
    let (ids, owners, emails, labels) = (
        text("token_id")?,
        text("account_id")?,
        text("email")?,
        text("label")?,
    );
    let (created, last_active, expires) =
        (date("created")?, date("last_active")?, date("expires")?);
    Ok((0..frame.height())
        .map(|i| TokenAttention {
            token_id: ids[i].clone(),
            account_id: owners[i].clone(),
            email: emails[i].clone(),
            label: labels[i].clone(),
            created: created[i],
            last_active: last_active[i],
            expires: expires[i],
            reasons: reasons
                .iter()
                .filter(|(flags, _)| flags[i])
                .map(|(_, reason)| *reason)
                .collect(),
        })
        .collect())
}
