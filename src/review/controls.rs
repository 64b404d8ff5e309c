//! The security controls whose gaps a report names account by account:
//! managed accounts with neither single sign-on nor two-step verification,
//! external users without two-step verification, and external users
//! outside an external user policy. One rule per control serves both the
//! coverage without exceptions ([`crate::review::exceptions`]) and the list of
//! accounts to fix (`data/<insight>-accounts.csv` and the page).

use chrono::NaiveDate;
use serde::Serialize;

use crate::insight_key::InsightKey;
use crate::review::exceptions::{self, Review};
use crate::review::privacy::Privacy;
use crate::review::snapshot::{AccountState, Snapshot};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Managed accounts: single sign-on or two-step verification.
    ManagedAuthentication,
    /// External users: two-step verification, their own or enforced.
    ExternalTwoStep,
    /// External users: covered by an external user policy.
    ExternalPolicy,
}

impl Control {
    pub const ALL: [Control; 3] = [
        Control::ManagedAuthentication,
        Control::ExternalTwoStep,
        Control::ExternalPolicy,
    ];

    /// The insight whose figure the control is.
    pub fn insight(self) -> InsightKey {
        match self {
            Control::ManagedAuthentication => InsightKey::ManagedAuthentication,
            Control::ExternalTwoStep => InsightKey::ExternalTwoStep,
            Control::ExternalPolicy => InsightKey::ExternalPolicy,
        }
    }

    /// Whether the control is about `account` (its access aside).
    pub fn applies_to(self, account: &AccountState) -> bool {
        match self {
            Control::ManagedAuthentication => !account.is_external(),
            Control::ExternalTwoStep | Control::ExternalPolicy => account.is_external(),
        }
    }

    /// Whether `account` meets the control.
    pub fn is_met_by(self, account: &AccountState) -> bool {
        match self {
            Control::ManagedAuthentication => account.sso == Some(true) || account.two_step_on(),
            Control::ExternalTwoStep => account.two_step_on(),
            Control::ExternalPolicy => account.external_policy,
        }
    }

    /// What is wrong with an account that does not meet the control.
    fn gap(self, account: &AccountState) -> &'static str {
        match (self, account.sso) {
            (Control::ManagedAuthentication, Some(_)) => {
                "neither single sign-on nor two-step verification"
            }
            (Control::ManagedAuthentication, None) => {
                "two-step verification off (single sign-on not recorded)"
            }
            (Control::ExternalTwoStep, _) => "two-step verification off",
            (Control::ExternalPolicy, _) => "not covered by an external user policy",
        }
    }

    /// Who does not meet it, in words.
    pub fn title(self) -> &'static str {
        match self {
            Control::ManagedAuthentication => {
                "Managed accounts without single sign-on or two-step verification"
            }
            Control::ExternalTwoStep => "External users without two-step verification",
            Control::ExternalPolicy => "External users outside an external user policy",
        }
    }

    /// The accounts to fix, as a file of the report's data folder.
    pub fn file(self) -> String {
        format!("data/{}-accounts.csv", self.insight().as_str())
    }
}

/// One account with access that does not meet a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountToFix {
    pub account_id: String,
    /// As `[privacy] names` shows it.
    pub email: String,
    pub domain: String,
    /// What is wrong, in words.
    pub state: &'static str,
    pub last_active: Option<NaiveDate>,
    /// The active exception that leaves it outside the control on purpose.
    pub exception: Option<Excepted>,
}

/// Why an account is excepted, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excepted {
    pub reason: String,
    pub expires: NaiveDate,
}

/// The accounts of one control to fix, with those excepted counted.
#[derive(Debug, Clone, Serialize)]
pub struct ToFix {
    pub key: &'static str,
    /// Who does not meet the control, in words.
    pub title: &'static str,
    /// The CSV with every account, relative to the report.
    pub file: String,
    pub accounts: Vec<AccountToFix>,
    pub excepted: usize,
}

impl ToFix {
    /// The same accounts with their emails as `privacy` shows them.
    pub fn concealed(&self, privacy: &Privacy) -> ToFix {
        let mut concealed = self.clone();
        for account in &mut concealed.accounts {
            account.email = privacy.email(&account.email);
        }
        concealed
    }
}

/// Accounts with access that do not meet `control`, sorted by account,
/// each with the active exception that names it, if any.
pub fn accounts_to_fix(control: Control, snapshot: &Snapshot, review: &Review) -> ToFix {
    let accounts: Vec<AccountToFix> = snapshot
        .accounts
        .iter()
        .filter(|a| a.has_access && control.applies_to(a) && !control.is_met_by(a))
        .map(|a| AccountToFix {
            account_id: a.account_id.clone(),
            email: a.email.clone(),
            domain: a.domain.clone(),
            state: control.gap(a),
            last_active: a.last_active,
            exception: exceptions::active_for(review, a).map(|e| Excepted {
                reason: e.reason.clone(),
                expires: e.expires,
            }),
        })
        .collect();
    ToFix {
        key: control.insight().as_str(),
        title: control.title(),
        file: control.file(),
        excepted: accounts.iter().filter(|a| a.exception.is_some()).count(),
        accounts,
    }
}
