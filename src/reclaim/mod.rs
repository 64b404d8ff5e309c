//! `org-insights reclaim`: from the report's idle seats to suspending idle
//! accounts through Atlassian's API, safely. The plan (the default)
//! changes nothing: it is printed, written to
//! `<out_dir>/reclaim/plan-<as_of>.csv` and shown in the report. `--apply`
//! suspends the accounts that plan file names, within the day's caps of
//! `[reclaim]`, only with `enabled = true`, recording every step in a
//! locked ledger; `--undo DATE` restores what that day suspended.

mod apply;
mod journal;
pub mod ledger;
mod plan_file;

use std::path::Path;

use chrono::{NaiveDate, Utc};

pub use crate::review::reclaim_plan::{plan, Plan, SuspendedOn};
pub use apply::Done;
pub use journal::Journal;
pub use plan_file::{plan_day, plan_problem, plan_records, PlanFile, PLAN_COLUMNS};

use crate::config::{AtlassianConfig, Config, Reclaim};
use crate::problems::{BadInput, Problem};
use crate::pull::PullError;
use crate::support::csv::csv_file;

/// Why an apply or an undo of a change to the organization (`reclaim`,
/// `tokens`) stopped: the admin's to fix (the settings, a damaged
/// ledger), the API's refusal or failure, or the machine's.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error(transparent)]
    Refused(#[from] BadInput),
    #[error(transparent)]
    Api(#[from] PullError),
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
}

impl ActError {
    /// As the binary's error says it: 2 for the admin to fix, the API's own
    /// code, 1 for the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            ActError::Refused(_) => 2,
            ActError::Api(pull) => pull.exit_code(),
            ActError::Failed(_) => 1,
        }
    }
}

/// `[reclaim]` and `[atlassian]` as an apply or an undo needs them:
/// refused, before any request, unless the admin switched it on.
pub fn switched_on(config: &Config) -> Result<(&Reclaim, &AtlassianConfig), BadInput> {
    let refuse = |what: &str| {
        BadInput::about(
            "the configuration",
            Problem::file(
                "configuration",
                format!("{what} before reclaim may suspend or restore anything; nothing was sent"),
            ),
        )
    };
    let reclaim = config
        .reclaim
        .as_ref()
        .filter(|r| r.enabled)
        .ok_or_else(|| refuse("[reclaim] enabled = true"))?;
    let atlassian = config
        .atlassian
        .as_ref()
        .ok_or_else(|| refuse("an [atlassian] table (base_url, api_key_env)"))?;
    Ok((reclaim, atlassian))
}

/// Suspends the accounts the plan file `plan_file` names, within the
/// day's caps that `plan` (today's, for the accounts with access) sets,
/// then says how to undo it. A cap of 0 while the file names accounts is
/// refused in words before anything is sent.
pub fn apply(config: &Config, plan: &Plan, plan_file: &Path) -> Result<Done, ActError> {
    let (limits, atlassian) = switched_on(config)?;
    let file = PlanFile::read(plan_file, limits.plan_max_age_days)?;
    let cap = plan.cap(limits);
    if cap == 0 && !file.accounts.is_empty() {
        return Err(BadInput::about(
            "the configuration",
            Problem::file(
                "configuration",
                format!(
                    "[reclaim] caps that allow at least one suspension: the plan names {} account(s), but the cap is {}; \
                     raise max_percent or max_per_run; nothing was sent",
                    file.accounts.len(),
                    plan.cap_in_words(limits)
                ),
            ),
        )
        .into());
    }
    let key = atlassian.api_key()?;
    let ledger = ledger::lock(&config.out_dir)?;
    let done = apply::apply(&file, cap, atlassian, &key, &ledger)?;
    tracing::info!(
        suspended = done.accounts.len(),
        skipped = done.skipped.len(),
        cap,
        plan = %file.name,
        "reclaim applied; undo with org-insights reclaim --undo {}",
        Utc::now().date_naive()
    );
    Ok(done)
}

/// Restores what the ledger says was suspended on `day` and still is.
pub fn undo(config: &Config, day: NaiveDate) -> Result<Done, ActError> {
    let (_, atlassian) = switched_on(config)?;
    let key = atlassian.api_key()?;
    let ledger = ledger::lock(&config.out_dir)?;
    apply::undo(day, atlassian, &key, &ledger)
}

/// `plan` with what earlier applies did, from `out_dir`'s ledger (read
/// without its lock): the accounts they suspended and no undo restored
/// leave the plan and are counted by day, so that the report says what
/// was done rather than what would be.
pub fn with_what_was_done(mut plan: Plan, out_dir: &Path) -> Plan {
    let entries = match Journal::<ledger::Entry>::read(&out_dir.join("reclaim")) {
        Ok(entries) => entries,
        Err(err) => {
            plan.ledger_problem = Some(err.to_string());
            return plan;
        }
    };
    let in_effect: std::collections::BTreeSet<(String, String)> = ledger::suspended(&entries);
    let accounts: std::collections::BTreeSet<&str> = in_effect
        .iter()
        .map(|(account, _)| account.as_str())
        .collect();
    plan.accounts
        .retain(|a| !accounts.contains(a.account_id.as_str()));
    let mut by_day: std::collections::BTreeMap<NaiveDate, std::collections::BTreeSet<&str>> =
        Default::default();
    for e in &entries {
        let pair = (
            e.account_id.clone(),
            e.directory_id.clone().unwrap_or_default(),
        );
        if e.action == ledger::Action::Suspend
            && e.phase == ledger::Phase::Done
            && in_effect.contains(&pair)
        {
            by_day
                .entry(e.at.date_naive())
                .or_default()
                .insert(&e.account_id);
        }
    }
    plan.suspended = by_day
        .into_iter()
        .map(|(day, accounts)| SuspendedOn {
            day,
            accounts: accounts.len(),
        })
        .collect();
    plan
}

/// `<out_dir>/reclaim/plan-<as_of>.csv`: each account with its products,
/// the last view of each, the days idle and why it is in the plan.
pub fn write_plan(out_dir: &Path, plan: &Plan) -> anyhow::Result<std::path::PathBuf> {
    let rows = plan.accounts.iter().map(|a| {
        let per_product: Vec<String> = a
            .products
            .iter()
            .map(|(product, day)| match day {
                Some(day) => format!("{product} {day}"),
                None => format!("{product} never"),
            })
            .collect();
        vec![
            a.account_id.clone(),
            a.email.clone(),
            a.products
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            per_product.join("; "),
            a.last_active.map(|d| d.to_string()).unwrap_or_default(),
            a.days_idle.map(|d| d.to_string()).unwrap_or_default(),
            a.why.clone(),
        ]
    });
    let folder = out_dir.join("reclaim");
    std::fs::create_dir_all(&folder)?;
    let path = folder.join(format!("plan-{}.csv", plan.as_of));
    std::fs::write(&path, csv_file(&plan_file::PLAN_COLUMNS, rows)?)?;
    Ok(path)
}

/// The plan as a table for the terminal.
pub fn printed(plan: &Plan, limits: &Reclaim) -> String {
    let mut text = format!(
        "Reclaim plan as of {}: {} of {} accounts with access had no view in {} days ({}).\n",
        plan.as_of,
        plan.accounts.len(),
        plan.with_access,
        plan.idle_days,
        plan.cap_in_words(limits)
    );
    if let Some(why) = plan.not_judged {
        text.push_str(&format!("Nothing planned: {why}.\n"));
    }
    for s in &plan.suspended {
        text.push_str(&format!(
            "Suspended by reclaim on {} and not restored: {} account(s), left out of the plan (undo: org-insights reclaim --undo {}).\n",
            s.day, s.accounts, s.day
        ));
    }
    if let Some(problem) = &plan.ledger_problem {
        text.push_str(&format!("The ledger could not be read: {problem}\n"));
    }
    for a in &plan.accounts {
        let last = a
            .last_active
            .map(|d| d.to_string())
            .unwrap_or_else(|| "never".into());
        text.push_str(&format!(
            "{:<24} {:<32} {:<10} {}\n",
            a.account_id, a.email, last, a.why
        ));
    }
    text
}
