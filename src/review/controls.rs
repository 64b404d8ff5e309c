//! The accounts a report names under each security control: who does not
//! meet it, with the exception that leaves any of them out on purpose.
//! The controls and their rules are the insights' own
//! ([`crate::insights::Insight::CONTROL`]); this lists the accounts for
//! `data/<insight>-accounts.csv`, the page and the digest.

use chrono::NaiveDate;
use serde::Serialize;

use crate::insight_key::InsightKey;
use crate::insights::ControlRule;
use crate::review::exceptions::{self, Review};
use crate::review::privacy::Privacy;
use crate::review::snapshot::Snapshot;

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

/// Accounts with access that do not meet the control `rule` of the insight
/// `key`, sorted by account, each with the active exception that names it.
pub fn accounts_to_fix(
    key: InsightKey,
    rule: &ControlRule,
    snapshot: &Snapshot,
    review: &Review,
) -> ToFix {
    let accounts: Vec<AccountToFix> = snapshot
        .accounts
        .iter()
        .filter(|a| {
            let facts = a.facts();
            a.has_access && (rule.applies_to)(&facts) && !(rule.is_met_by)(&facts)
        })
        .map(|a| AccountToFix {
            account_id: a.account_id.clone(),
            email: a.email.clone(),
            domain: a.domain.clone(),
            state: (rule.gap)(&a.facts()),
            last_active: a.last_active,
            exception: exceptions::active_for(review, a).map(|e| Excepted {
                reason: e.reason.clone(),
                expires: e.expires,
            }),
        })
        .collect();
    ToFix {
        key: key.as_str(),
        title: rule.title,
        file: format!("data/{}-accounts.csv", key.as_str()),
        excepted: accounts.iter().filter(|a| a.exception.is_some()).count(),
        accounts,
    }
}
