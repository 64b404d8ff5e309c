//! Carrying out a plan through Atlassian's API, and undoing it. For each
//! account of the plan, within the caps: read it again (skip it when it is
//! no longer active, or was active since), find its directories, suspend it
//! in each. Every step goes to the ledger first. The first refusal stops
//! the apply; a 404 only means the account or directory is gone.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::ledger::{self, Action, Entry, Ledger, Phase};
use crate::config::{AtlassianConfig, Reclaim};
use crate::pull::api::{self, User};
use crate::pull::client::Client;
use crate::pull::{self, PullError};
use crate::review::reclaim_plan::{Plan, Planned};
use crate::support::blocking;

/// What an apply or an undo did.
#[derive(Debug, Clone, Default)]
pub struct Done {
    /// Accounts suspended (or restored) in at least one directory.
    pub accounts: Vec<String>,
    /// Accounts of the plan passed over, and why.
    pub skipped: Vec<(String, String)>,
}

/// One session with the API for an apply or an undo.
struct Session<'a> {
    client: Client,
    org_id: String,
    ledger: &'a Ledger,
}

impl Session<'_> {
    fn path(&self, template: &str, directory: &str, account: &str) -> String {
        template
            .replace("{orgId}", &self.org_id)
            .replace("{directoryId}", directory)
            .replace("{accountId}", account)
    }

    fn record(
        &self,
        action: Action,
        phase: Phase,
        account: &str,
        directory: Option<&str>,
        detail: String,
    ) -> Result<(), PullError> {
        self.ledger
            .append(&Entry {
                at: Utc::now(),
                action,
                phase,
                account_id: account.to_string(),
                directory_id: directory.map(str::to_string),
                detail,
            })
            .map_err(PullError::Local)
    }

    /// An intent without an outcome was cut short after it was recorded,
    /// so its request may have been carried out: it is taken as done and
    /// never sent again (undo restores it like any other).
    fn settle_interrupted(&self) -> Result<(), PullError> {
        let entries = self.ledger.entries().map_err(PullError::Local)?;
        for open in ledger::dangling(&entries) {
            let detail = "interrupted after the intent: taken as done, not sent again".to_string();
            self.record(
                open.action,
                Phase::Done,
                &open.account_id,
                open.directory_id.as_deref(),
                detail,
            )?;
        }
        Ok(())
    }

    /// The account as the API sees it now (`None`: not in the org).
    async fn read_account(&self, account: &str) -> Result<Option<User>, PullError> {
        let users: Vec<User> = self
            .client
            .search_all(
                &self.path(api::USERS_SEARCH, "", ""),
                json!({"accountIds": [account], "expand": ["productAccess"], "limit": 100}),
                &mut |_| {},
            )
            .await?;
        Ok(users
            .into_iter()
            .find(|u| u.account_id.as_deref() == Some(account)))
    }

    async fn directories(&self, account: &str) -> Result<Vec<String>, PullError> {
        let found: Vec<api::Directory> = self
            .client
            .get_all_where(
                &self.path(api::DIRECTORIES, "", ""),
                &[("accountId", account)],
                &mut |_| {},
            )
            .await?;
        Ok(found.into_iter().filter_map(|d| d.directory_id).collect())
    }

    /// Sends one suspend or restore, recorded before and after.
    async fn act(&self, action: Action, account: &str, directory: &str) -> Result<(), PullError> {
        let template = match action {
            Action::Suspend => api::SUSPEND,
            Action::Restore => api::RESTORE,
        };
        self.record(
            action,
            Phase::Intent,
            account,
            Some(directory),
            String::new(),
        )?;
        match self
            .client
            .post_action(&self.path(template, directory, account))
            .await
        {
            Ok(true) => self.record(action, Phase::Done, account, Some(directory), String::new()),
            Ok(false) => self.record(action, Phase::Gone, account, Some(directory), "404".into()),
            Err(err) => {
                self.record(
                    action,
                    Phase::Refused,
                    account,
                    Some(directory),
                    err.to_string(),
                )?;
                Err(err)
            }
        }
    }
}

async fn session<'a>(
    settings: &AtlassianConfig,
    key: &str,
    ledger: &'a Ledger,
) -> Result<Session<'a>, PullError> {
    let client = Client::new(settings.base_url.clone(), key, &settings.api_key_env)?;
    let org_id = pull::org_id(&client, settings).await?;
    Ok(Session {
        client,
        org_id,
        ledger,
    })
}

/// Suspends the accounts of `plan`, at most the caps of `limits`.
pub fn apply(
    plan: &Plan,
    limits: &Reclaim,
    settings: &AtlassianConfig,
    key: &str,
    ledger: &Ledger,
) -> Result<Done, PullError> {
    let cap = plan.cap(limits);
    let run = async {
        let session = session(settings, key, ledger).await?;
        session.settle_interrupted()?;
        let entries = ledger.entries().map_err(PullError::Local)?;
        let already = ledger::suspended(&entries);
        let mut done = Done::default();
        for planned in &plan.accounts {
            if done.accounts.len() >= cap {
                break;
            }
            let account = planned.account_id.as_str();
            let Some(user) = session.read_account(account).await? else {
                session.record(
                    Action::Suspend,
                    Phase::Skipped,
                    account,
                    None,
                    "not in the organization".into(),
                )?;
                done.skipped
                    .push((account.to_string(), "not in the organization".into()));
                continue;
            };
            if let Some(why) = changed_since_the_plan(&user, planned) {
                session.record(Action::Suspend, Phase::Skipped, account, None, why.clone())?;
                done.skipped.push((account.to_string(), why));
                continue;
            }
            let mut any = false;
            for directory in session.directories(account).await? {
                if already.contains(&(account.to_string(), directory.clone())) {
                    continue;
                }
                session.act(Action::Suspend, account, &directory).await?;
                any = true;
            }
            if any {
                done.accounts.push(account.to_string());
            }
        }
        Ok::<_, PullError>(done)
    };
    blocking::block_on(run).map_err(|err| PullError::Local(err.into()))?
}

/// Restores exactly what the ledger says was suspended on `day` (UTC) and
/// is still suspended; run again, it finds nothing left to do.
pub fn undo(
    day: NaiveDate,
    settings: &AtlassianConfig,
    key: &str,
    ledger: &Ledger,
) -> Result<Done, PullError> {
    let run = async {
        let session = session(settings, key, ledger).await?;
        session.settle_interrupted()?;
        let entries = ledger.entries().map_err(PullError::Local)?;
        let mut done = Done::default();
        for (account, directory) in ledger::suspended_on(&entries, day) {
            session.act(Action::Restore, &account, &directory).await?;
            if !done.accounts.contains(&account) {
                done.accounts.push(account);
            }
        }
        Ok::<_, PullError>(done)
    };
    blocking::block_on(run).map_err(|err| PullError::Local(err.into()))?
}

/// Why an account of the plan is no longer one to suspend: it lost its
/// access, or was active after the plan's last view.
fn changed_since_the_plan(user: &User, planned: &Planned) -> Option<String> {
    if !is(&user.membership_status, "active") || !is(&user.account_status, "active") {
        return Some("no longer active in the organization".to_string());
    }
    let last_seen = user
        .product_access
        .iter()
        .flatten()
        .filter_map(|p| p.last_active_timestamp.as_deref())
        .filter_map(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
        .map(|t| t.with_timezone(&Utc).date_naive())
        .max();
    match (last_seen, planned.last_active) {
        (Some(seen), Some(known)) if seen > known => {
            Some(format!("active since the plan ({seen})"))
        }
        (Some(seen), None) => Some(format!("active since the plan ({seen})")),
        _ => None,
    }
}

fn is(field: &Option<String>, value: &str) -> bool {
    field
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case(value))
}
