//! `org-insights reclaim`: from the report's idle seats to suspending idle
//! accounts through Atlassian's API, safely. The plan (the default)
//! changes nothing: it is printed, written to
//! `<out_dir>/reclaim/plan-<as_of>.csv` and shown in the report. `--apply`
//! suspends within the caps of `[reclaim]`, only with `enabled = true`,
//! recording every step in a ledger; `--undo DATE` restores what that day
//! suspended.

mod apply;
mod ledger;

use std::path::Path;

use chrono::{NaiveDate, Utc};

pub use crate::review::reclaim_plan::{plan, Plan};
pub use apply::Done;
pub use ledger::Ledger;

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

/// Suspends `plan`'s accounts within the caps, then says how to undo it.
pub fn apply(config: &Config, plan: &Plan) -> Result<Done, ActError> {
    let (limits, atlassian) = switched_on(config)?;
    let key = atlassian.api_key()?;
    let ledger = Ledger::in_folder(&config.out_dir);
    let done = apply::apply(plan, limits, atlassian, &key, &ledger)?;
    tracing::info!(
        suspended = done.accounts.len(),
        skipped = done.skipped.len(),
        cap = plan.cap(limits),
        "reclaim applied; undo with org-insights reclaim --undo {}",
        Utc::now().date_naive()
    );
    Ok(done)
}

/// Restores what the ledger says was suspended on `day` and still is.
pub fn undo(config: &Config, day: NaiveDate) -> Result<Done, ActError> {
    let (_, atlassian) = switched_on(config)?;
    let key = atlassian.api_key()?;
    let ledger = Ledger::in_folder(&config.out_dir);
    Ok(apply::undo(day, atlassian, &key, &ledger)?)
}

/// `<out_dir>/reclaim/plan-<as_of>.csv`: each account with its products,
/// the last view of each, the days idle and why it is in the plan.
pub fn write_plan(out_dir: &Path, plan: &Plan) -> anyhow::Result<std::path::PathBuf> {
    let header = [
        "account_id",
        "email",
        "products",
        "last_active_per_product",
        "last_active",
        "days_idle",
        "why",
    ];
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
    std::fs::write(&path, csv_file(&header, rows)?)?;
    Ok(path)
}

/// The plan as a table for the terminal.
pub fn printed(plan: &Plan, limits: &Reclaim) -> String {
    let mut text = format!(
        "Reclaim plan as of {}: {} of {} accounts with access had no view in {} days ({} at most per apply).\n",
        plan.as_of,
        plan.accounts.len(),
        plan.with_access,
        plan.idle_days,
        plan.cap(limits)
    );
    if let Some(why) = plan.not_judged {
        text.push_str(&format!("Nothing planned: {why}.\n"));
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
