//! Carrying out a plan file through Atlassian's API, and undoing it.
//! Before anything is sent: the ledger is locked and read, and every
//! intent a crash left without its outcome is settled by reading the
//! account in its directory. Then, for each account the plan file names,
//! within the day's caps: read it again (skip it when it is no longer
//! active, or was active since), find its directories, suspend it in each.
//! A suspend or restore whose answer is lost, or that the API answers 409,
//! is settled by reading the state, never by sending it blindly again.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Method;
use serde_json::json;

use super::ledger::{self, Action, Entry, Ledger, Phase};
use super::plan_file::{PlanFile, PlanRow};
use super::ActError;
use crate::config::AtlassianConfig;
use crate::pull::api::{self, User};
use crate::pull::client::{Changed, Client};
use crate::pull::{self, PullError};
use crate::support::blocking;

/// Requests of one step whose answers were lost, at most.
const ATTEMPTS: u32 = 3;
/// How long one apply or undo may take: its own, not the pull's.
const RECLAIM_DEADLINE: Duration = Duration::from_secs(60 * 60);

/// What an apply or an undo did.
#[derive(Debug, Clone, Default)]
pub struct Done {
    /// Accounts suspended (or restored) in at least one directory.
    pub accounts: Vec<String>,
    /// Accounts passed over, and why.
    pub skipped: Vec<(String, String)>,
}

/// An account in one directory, as the directory sees it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    Suspended,
    /// Deactivated (or closed) by someone since.
    Deactivated,
    /// Not in the directory (any more).
    Gone,
}

impl State {
    fn of(user: Option<&User>) -> State {
        let Some(user) = user else {
            return State::Gone;
        };
        if !is(&user.account_status, "active") && user.account_status.is_some() {
            return State::Deactivated;
        }
        match user
            .membership_status
            .as_deref()
            .map(str::to_lowercase)
            .as_deref()
        {
            Some("suspended") => State::Suspended,
            Some("no_membership") => State::Gone,
            _ => State::Active,
        }
    }

    fn words(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Suspended => "suspended",
            State::Deactivated => "deactivated",
            State::Gone => "not in the directory",
        }
    }
}

/// The state `action` leaves an account in.
fn wanted(action: Action) -> State {
    match action {
        Action::Suspend => State::Suspended,
        Action::Restore => State::Active,
    }
}

/// Who a step is about, and the plan it carries out (none for undo).
struct Target<'a> {
    account: &'a str,
    directory: Option<&'a str>,
    plan: Option<(&'a PlanFile, &'a PlanRow)>,
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
        target: &Target,
        detail: String,
    ) -> Result<(), PullError> {
        let (plan, plan_sha256, reason, email) = match target.plan {
            Some((file, row)) => (
                file.name.clone(),
                file.sha256.clone(),
                row.why.clone(),
                row.email.clone(),
            ),
            None => Default::default(),
        };
        self.ledger
            .append(&Entry {
                at: Utc::now(),
                action,
                phase,
                account_id: target.account.to_string(),
                directory_id: target.directory.map(str::to_string),
                detail,
                plan,
                plan_sha256,
                reason,
                email,
            })
            .map_err(PullError::Local)
    }

    /// The account as one directory sees it now.
    async fn state(&self, account: &str, directory: &str) -> Result<State, PullError> {
        let user: Option<User> = self
            .client
            .get_one(&self.path(api::DIRECTORY_USER, directory, account))
            .await?;
        Ok(State::of(user.as_ref()))
    }

    /// Every intent a crash left without its outcome, settled by reading
    /// the account before anything else is sent: done when the read finds
    /// it so, else on record as never having taken effect.
    async fn settle_interrupted(&self, entries: &[Entry]) -> Result<(), PullError> {
        for open in ledger::dangling(entries) {
            let Some(directory) = open.directory_id.as_deref() else {
                continue;
            };
            let target = Target {
                account: &open.account_id,
                directory: Some(directory),
                plan: None,
            };
            let state = self.state(&open.account_id, directory).await?;
            let (phase, detail) = if state == wanted(open.action) {
                (
                    Phase::Done,
                    format!(
                        "interrupted after the intent: a read found it {}",
                        state.words()
                    ),
                )
            } else if state == State::Gone {
                (
                    Phase::Gone,
                    "interrupted after the intent: a read found it gone".to_string(),
                )
            } else {
                let detail = format!(
                    "interrupted before the request took effect: a read found it {}; not done",
                    state.words()
                );
                (Phase::Skipped, detail)
            };
            self.record(open.action, phase, &target, detail)?;
        }
        Ok(())
    }

    /// The account as the organization sees it now (`None`: not in it).
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

    /// One suspend or restore, recorded before and after. A lost answer or
    /// a 409 is settled by reading the account in its directory: in the
    /// wanted state, the step is done; else it is sent again, within
    /// [`ATTEMPTS`], and a 409 that the read does not explain is a refusal.
    async fn act(&self, action: Action, target: &Target<'_>) -> Result<(), PullError> {
        let directory = target.directory.unwrap_or_default();
        let template = match action {
            Action::Suspend => api::SUSPEND,
            Action::Restore => api::RESTORE,
        };
        let path = self.path(template, directory, target.account);
        self.record(action, Phase::Intent, target, String::new())?;
        for attempt in 1..=ATTEMPTS {
            // What the answer said, and whether it was a 409 rather than lost.
            let (why, conflict) = match self.client.change_once(Method::POST, &path).await {
                Ok(Changed::Done) => {
                    return self.record(action, Phase::Done, target, String::new())
                }
                Ok(Changed::NotFound) => {
                    return self.record(action, Phase::Gone, target, "404".into())
                }
                Ok(Changed::Conflict) => ("the API answered 409 Conflict".to_string(), true),
                Ok(Changed::Lost(why)) => (why, false),
                Err(err) => {
                    self.record(action, Phase::Refused, target, err.to_string())?;
                    return Err(err);
                }
            };
            let state = self.state(target.account, directory).await?;
            let detail = format!("{why}; a read found it {}", state.words());
            if state == wanted(action) {
                return self.record(action, Phase::Done, target, detail);
            }
            if state == State::Gone {
                return self.record(action, Phase::Gone, target, detail);
            }
            if conflict {
                self.record(action, Phase::Refused, target, detail.clone())?;
                return Err(PullError::Failed {
                    endpoint: path,
                    detail,
                });
            }
            tracing::warn!(account = target.account, directory, attempt, error = %why, "an answer was lost and the account is not yet {}", wanted(action).words());
        }
        let detail = format!(
            "{ATTEMPTS} requests without an answer, and a read found it not {}",
            wanted(action).words()
        );
        self.record(action, Phase::Refused, target, detail.clone())?;
        Err(PullError::Failed {
            endpoint: path,
            detail,
        })
    }
}

async fn session<'a>(
    settings: &AtlassianConfig,
    key: &str,
    ledger: &'a Ledger,
) -> Result<Session<'a>, PullError> {
    let client = Client::new(settings.base_url.clone(), key, &settings.api_key_env)?
        .with_deadline(RECLAIM_DEADLINE, "the reclaim");
    let org_id = pull::org_id(&client, settings).await?;
    Ok(Session {
        client,
        org_id,
        ledger,
    })
}

/// Suspends the accounts `plan` names, while the UTC day's suspensions,
/// every apply counted, stay within `cap`.
pub fn apply(
    plan: &PlanFile,
    cap: usize,
    settings: &AtlassianConfig,
    key: &str,
    ledger: &Ledger,
) -> Result<Done, ActError> {
    let run = async {
        // A damaged ledger stops everything before the first request.
        let entries = ledger.entries()?;
        let session = session(settings, key, ledger).await?;
        session.settle_interrupted(&entries).await?;
        let entries = ledger.entries()?;
        let already = ledger::suspended(&entries);
        let mut today = ledger::accounts_suspended_on(&entries, Utc::now().date_naive());
        let mut done = Done::default();
        for row in &plan.accounts {
            let account = row.account_id.as_str();
            if today.len() >= cap && !today.contains(account) {
                let why = format!(
                    "over the day's cap of {cap} (suspended today: {}): left for another day",
                    today.len()
                );
                done.skipped.push((account.to_string(), why));
                continue;
            }
            let target = Target {
                account,
                directory: None,
                plan: Some((plan, row)),
            };
            let why = match session.read_account(account).await? {
                None => Some("not in the organization".to_string()),
                Some(user) => changed_since_the_plan(&user, row),
            };
            if let Some(why) = why {
                session.record(Action::Suspend, Phase::Skipped, &target, why.clone())?;
                done.skipped.push((account.to_string(), why));
                continue;
            }
            let mut any = false;
            for directory in session.directories(account).await? {
                if already.contains(&(account.to_string(), directory.clone())) {
                    continue;
                }
                let target = Target {
                    directory: Some(&directory),
                    ..target
                };
                session.act(Action::Suspend, &target).await?;
                any = true;
            }
            if any {
                today.insert(account.to_string());
                done.accounts.push(account.to_string());
            }
        }
        Ok::<_, ActError>(done)
    };
    blocking::block_on(run).map_err(|err| ActError::Failed(err.into()))?
}

/// Restores exactly what the ledger says was suspended on `day` (UTC) and
/// is still suspended, each account read first: one deactivated, removed
/// or restored by someone else since is left out and named. Run again, it
/// finds nothing left to do.
pub fn undo(
    day: NaiveDate,
    settings: &AtlassianConfig,
    key: &str,
    ledger: &Ledger,
) -> Result<Done, ActError> {
    let run = async {
        let entries = ledger.entries()?;
        let session = session(settings, key, ledger).await?;
        session.settle_interrupted(&entries).await?;
        let entries = ledger.entries()?;
        let mut done = Done::default();
        let mut left_out = BTreeSet::new();
        for (account, directory) in ledger::suspended_on(&entries, day) {
            let target = Target {
                account: &account,
                directory: Some(&directory),
                plan: None,
            };
            let state = session.state(&account, &directory).await?;
            if state != State::Suspended {
                let why = match state {
                    State::Active => "restored by someone else since".to_string(),
                    other => format!("{} since: not restored", other.words()),
                };
                session.record(Action::Restore, Phase::Skipped, &target, why.clone())?;
                if left_out.insert(account.clone()) {
                    done.skipped.push((account.clone(), why));
                }
                continue;
            }
            session.act(Action::Restore, &target).await?;
            if !done.accounts.contains(&account) {
                done.accounts.push(account.clone());
            }
        }
        Ok::<_, ActError>(done)
    };
    blocking::block_on(run).map_err(|err| ActError::Failed(err.into()))?
}

/// Why an account of the plan is no longer one to suspend: it lost its
/// access, or was active after the plan's last view.
fn changed_since_the_plan(user: &User, planned: &PlanRow) -> Option<String> {
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
