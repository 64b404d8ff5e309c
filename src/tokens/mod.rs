//! `org-insights tokens`: from the report's API tokens to revoking them
//! through Atlassian's API, safely. The plan (the default) changes
//! nothing: it is printed and written to `<out_dir>/tokens/plan-<as_of>.csv`.
//! `--apply` revokes the tokens of that plan (or of `--plan FILE`), only
//! with `[tokens] enabled = true`, one request per token, each recorded in
//! a ledger. A revoked token cannot be restored: there is no undo, and the
//! ledger keeps each token's label and owner so that the owner can be told.

mod apply;
mod ledger;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::PolarsResult;

pub use apply::Done;

use crate::config::{AtlassianConfig, Config, Tokens};
use crate::insights::{tokens_needing_attention, Context, TokenReason};
use crate::problems::{BadInput, Location, Problem};
use crate::reclaim::{plan_day, plan_problem, plan_records, ActError};
use crate::review::exceptions::Review;
use crate::review::privacy::Privacy;
use crate::review::snapshot::Snapshot;
use crate::review::tokens::listed;
use crate::support::csv::csv_file;

/// One token of a plan, as the plan file writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub token_id: String,
    pub label: String,
    pub account_id: String,
    /// As `[privacy] names` shows it.
    pub owner: String,
    pub created: Option<NaiveDate>,
    /// The last use the plan saw: a later one means it is used again.
    pub last_active: Option<NaiveDate>,
    pub expires: Option<NaiveDate>,
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct TokenPlan {
    pub as_of: NaiveDate,
    pub idle_days: u32,
    pub tokens: Vec<Planned>,
    /// Tokens that would be planned but for an active exception.
    pub excepted: usize,
}

/// The live tokens whose owner has no access, or unused for `idle_days`
/// (or never used and created that long ago), that no active exception
/// names (by the owner or the owner's domain). Org admins' tokens are
/// planned like any other.
pub fn plan(
    ctx: &Context,
    snapshot: &Snapshot,
    review: &Review,
    privacy: &Privacy,
    settings: &Tokens,
) -> PolarsResult<TokenPlan> {
    let days = settings.idle_days;
    let mut tokens = Vec::new();
    let mut excepted = 0;
    for token in tokens_needing_attention(ctx, days as i32)? {
        let why: Vec<String> = token
            .reasons
            .iter()
            .filter_map(|reason| match reason {
                TokenReason::OwnerWithoutAccess => Some("owner has no access".to_string()),
                TokenReason::Unused => Some(format!("unused for {days} days or more")),
                TokenReason::NeverUsed => {
                    Some(format!("never used, created {days} or more days ago"))
                }
                TokenReason::Expiring => None,
            })
            .collect();
        if why.is_empty() {
            continue;
        }
        let shown = listed(token, snapshot, review, privacy);
        if shown.exception.is_some() {
            excepted += 1;
            continue;
        }
        tokens.push(Planned {
            token_id: shown.token_id,
            label: shown.label,
            account_id: shown.account_id,
            owner: shown.email,
            created: shown.created,
            last_active: shown.last_active,
            expires: shown.expires,
            why: why.join("; "),
        });
    }
    Ok(TokenPlan {
        as_of: ctx.as_of,
        idle_days: days,
        tokens,
        excepted,
    })
}

const PLAN_COLUMNS: [&str; 8] = [
    "token_id",
    "label",
    "account_id",
    "owner",
    "created",
    "last_active",
    "expires",
    "why",
];

/// `<out_dir>/tokens/plan-<as_of>.csv`.
pub fn write_plan(out_dir: &Path, plan: &TokenPlan) -> anyhow::Result<PathBuf> {
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let rows = plan.tokens.iter().map(|t| {
        vec![
            t.token_id.clone(),
            t.label.clone(),
            t.account_id.clone(),
            t.owner.clone(),
            day(t.created),
            day(t.last_active),
            day(t.expires),
            t.why.clone(),
        ]
    });
    let folder = out_dir.join("tokens");
    std::fs::create_dir_all(&folder)?;
    let path = folder.join(format!("plan-{}.csv", plan.as_of));
    std::fs::write(&path, csv_file(&PLAN_COLUMNS, rows)?)?;
    Ok(path)
}

/// The tokens of a plan file, as `write_plan` wrote them.
pub fn read_plan(path: &Path) -> Result<Vec<Planned>, BadInput> {
    let bytes = std::fs::read(path).map_err(|err| {
        plan_problem(
            path,
            Location::File,
            format!("a readable token plan ({err})"),
        )
    })?;
    let mut planned = Vec::new();
    for (line, record) in plan_records(path, &bytes, &PLAN_COLUMNS, "tokens")? {
        let cell = |i: usize| record.get(i).unwrap_or("").to_string();
        let day = |i: usize| plan_day(path, line, &record, i, &PLAN_COLUMNS);
        if cell(0).is_empty() || cell(2).is_empty() {
            return Err(plan_problem(
                path,
                Location::Line(line),
                "a token_id and an account_id".into(),
            ));
        }
        planned.push(Planned {
            token_id: cell(0),
            label: cell(1),
            account_id: cell(2),
            owner: cell(3),
            created: day(4)?,
            last_active: day(5)?,
            expires: day(6)?,
            why: cell(7),
        });
    }
    Ok(planned)
}

/// The plan as a table for the terminal.
pub fn printed(plan: &TokenPlan, settings: &Tokens) -> String {
    let mut text = format!(
        "API token plan as of {}: {} live token(s) whose owner has no access or unused for {} days ({} at most per apply; {} left out by an exception).\n\
         A revoked token cannot be restored: there is no undo. Tell each owner before --apply.\n",
        plan.as_of,
        plan.tokens.len(),
        plan.idle_days,
        settings.max_per_run,
        plan.excepted
    );
    for t in &plan.tokens {
        let last = t
            .last_active
            .map(|d| d.to_string())
            .unwrap_or_else(|| "never".into());
        text.push_str(&format!(
            "{:<16} {:<24} {:<32} {:<10} {}\n",
            t.token_id, t.label, t.owner, last, t.why
        ));
    }
    text
}

/// `[tokens]` and `[atlassian]` as an apply needs them: refused, before any
/// request, unless the admin switched it on.
pub fn switched_on(config: &Config) -> Result<(&Tokens, &AtlassianConfig), BadInput> {
    let refuse = |what: &str| {
        BadInput::about(
            "the configuration",
            Problem::file(
                "configuration",
                format!("{what} before tokens may revoke anything; nothing was sent"),
            ),
        )
    };
    if !config.tokens.enabled {
        return Err(refuse("[tokens] enabled = true"));
    }
    let atlassian = config
        .atlassian
        .as_ref()
        .ok_or_else(|| refuse("an [atlassian] table (base_url, api_key_env)"))?;
    Ok((&config.tokens, atlassian))
}

/// Revokes the tokens of the plan file `plan_file`, within `max_per_run`.
pub fn apply(config: &Config, plan_file: &Path) -> Result<Done, ActError> {
    let (settings, atlassian) = switched_on(config)?;
    let key = atlassian.api_key()?;
    let planned = read_plan(plan_file)?;
    let done = apply::apply(
        &planned,
        plan_file,
        settings,
        atlassian,
        &key,
        &config.out_dir.join("tokens"),
    )?;
    tracing::info!(
        revoked = done.revoked.len(),
        skipped = done.skipped.len(),
        "API tokens revoked"
    );
    Ok(done)
}
