//! Exceptions (`[[exceptions]]`): accounts or domains the admin knowingly
//! leaves outside a control (break-glass and service accounts, partner
//! domains), each with a reason, an owner and an expiry date. Coverage
//! figures stay as the data contract defines them; beside them the report
//! shows the figure without the excepted accounts. An expired exception is
//! a finding; one for an account or domain that no longer exists is a
//! warning. Neither is applied.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::config::{Exception, Target};
use crate::insight_key::InsightKey;
use crate::insights;
use crate::insights::percent;
use crate::review::snapshot::{AccountState, Snapshot};

/// Whether `exception` names `account` or its domain.
fn covers(exception: &Exception, account: &AccountState) -> bool {
    names(exception, &account.account_id, &account.domain)
}

/// Whether `exception` names the account `account_id` or `domain`.
fn names(exception: &Exception, account_id: &str, domain: &str) -> bool {
    match &exception.target {
        Target::Account(id) => account_id == id,
        Target::Domain(named) => domain == named,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Active,
    Expired,
    /// No account of the bundle is (or is on) its target.
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reviewed {
    pub exception: Exception,
    pub target: String,
    pub state: State,
    /// Accounts with access it covers.
    pub accounts: u64,
}

/// A coverage figure with and without the excepted accounts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Coverage {
    pub excepted: u64,
    pub percent_without: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub exceptions: Vec<Reviewed>,
    /// Each control's coverage without its excepted accounts, by the
    /// insight that measures it.
    #[serde(skip)]
    pub coverage: BTreeMap<InsightKey, Coverage>,
}

impl Review {
    pub fn expired(&self) -> impl Iterator<Item = &Reviewed> {
        self.exceptions.iter().filter(|r| r.state == State::Expired)
    }

    pub fn unknown(&self) -> impl Iterator<Item = &Reviewed> {
        self.exceptions.iter().filter(|r| r.state == State::Unknown)
    }
}

pub fn review(exceptions: &[Exception], snapshot: &Snapshot) -> Review {
    let with_access: Vec<&AccountState> =
        snapshot.accounts.iter().filter(|a| a.has_access).collect();
    let reviewed: Vec<Reviewed> = exceptions
        .iter()
        .map(|e| {
            let exists = snapshot.accounts.iter().any(|a| covers(e, a));
            let state = if !exists {
                State::Unknown
            } else if e.expires < snapshot.as_of {
                State::Expired
            } else {
                State::Active
            };
            Reviewed {
                target: e.describe(),
                accounts: with_access.iter().filter(|a| covers(e, a)).count() as u64,
                exception: e.clone(),
                state,
            }
        })
        .collect();
    let excepted: HashSet<&str> = with_access
        .iter()
        .filter(|a| {
            reviewed
                .iter()
                .any(|r| r.state == State::Active && covers(&r.exception, a))
        })
        .map(|a| a.account_id.as_str())
        .collect();

    let coverage = |rule: &insights::ControlRule| {
        let members: Vec<&&AccountState> = with_access
            .iter()
            .filter(|a| (rule.applies_to)(&a.facts()))
            .collect();
        let kept: Vec<&&AccountState> = members
            .iter()
            .copied()
            .filter(|a| !excepted.contains(a.account_id.as_str()))
            .collect();
        let good_kept = kept.iter().filter(|a| (rule.is_met_by)(&a.facts())).count() as u64;
        Coverage {
            excepted: (members.len() - kept.len()) as u64,
            percent_without: percent(good_kept, kept.len() as u64),
        }
    };
    Review {
        coverage: insights::controls()
            .into_iter()
            .map(|(key, rule)| (key, coverage(rule)))
            .collect(),
        exceptions: reviewed,
    }
}

/// The active exception that names `account` or its domain, if any.
pub fn active_for<'a>(review: &'a Review, account: &AccountState) -> Option<&'a Exception> {
    review
        .exceptions
        .iter()
        .find(|r| r.state == State::Active && covers(&r.exception, account))
        .map(|r| &r.exception)
}

/// The active exception that names the account `account_id` or `domain`,
/// for an account that may be missing from the bundle (a token's owner).
pub fn active_for_target<'a>(
    review: &'a Review,
    account_id: &str,
    domain: &str,
) -> Option<&'a Exception> {
    review
        .exceptions
        .iter()
        .find(|r| r.state == State::Active && names(&r.exception, account_id, domain))
        .map(|r| &r.exception)
}
