//! The value types the configuration holds, so that the configuration
//! depends on nothing downstream: each module that acts on a setting
//! takes its type from here.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How many dated reports the output folder keeps (`[output] keep_daily`
/// and `keep_monthly`). Neither set: every report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// The reports of the last N days, counted back from the newest report.
    pub keep_daily: Option<u32>,
    /// Also the last report of each of the last M months.
    pub keep_monthly: Option<u32>,
}

/// Where a figure starts to call for action. Percentages are 0 to 100.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Managed accounts with single sign-on or two-step verification.
    pub managed_two_step_min_percent: f64,
    /// External users with two-step verification (their own or enforced).
    pub external_two_step_min_percent: f64,
    /// External users covered by an external user policy.
    pub external_policy_min_percent: f64,
    /// External accounts on one unverified domain worth verifying it.
    pub domain_external_accounts_min: u64,
    /// Seats of a product unused for 30 days.
    pub inactive_seats_max_percent: f64,
    /// Active Rovo users per paid Rovo seat.
    pub rovo_seat_use_min_percent: f64,
    /// Growth of external users since the previous report that mails the
    /// digest under `[email] send = "on_threshold"` (may exceed 100).
    pub external_users_max_increase_percent: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            managed_two_step_min_percent: 95.0,
            external_two_step_min_percent: 90.0,
            external_policy_min_percent: 100.0,
            domain_external_accounts_min: 10,
            inactive_seats_max_percent: 20.0,
            rovo_seat_use_min_percent: 50.0,
            external_users_max_increase_percent: 10.0,
        }
    }
}

impl Thresholds {
    /// The percentages that are not between 0 and 100, by key.
    pub fn out_of_range(&self) -> Vec<&'static str> {
        [
            (
                "managed_two_step_min_percent",
                self.managed_two_step_min_percent,
            ),
            (
                "external_two_step_min_percent",
                self.external_two_step_min_percent,
            ),
            (
                "external_policy_min_percent",
                self.external_policy_min_percent,
            ),
            (
                "inactive_seats_max_percent",
                self.inactive_seats_max_percent,
            ),
            ("rovo_seat_use_min_percent", self.rovo_seat_use_min_percent),
        ]
        .into_iter()
        .filter(|(_, value)| !(0.0..=100.0).contains(value))
        .map(|(key, _)| key)
        .chain(
            (self.external_users_max_increase_percent.is_nan()
                || self.external_users_max_increase_percent < 0.0)
                .then_some("external_users_max_increase_percent"),
        )
        .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendWhen {
    #[default]
    Always,
    OnChange,
    OnThreshold,
}

/// Who may read the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Directories 0700, files 0600: reports hold names and email addresses.
    Private,
    /// Directories 0755, files 0644: for a folder a web server publishes.
    Shared,
}

impl Access {
    /// The mode of a report directory.
    pub fn dir_mode(self) -> u32 {
        match self {
            Access::Private => 0o700,
            Access::Shared => 0o755,
        }
    }

    /// The mode of a report file.
    pub fn file_mode(self) -> u32 {
        match self {
            Access::Private => 0o600,
            Access::Shared => 0o644,
        }
    }
}

/// How names and emails appear in every output (`[privacy] names`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameMode {
    #[default]
    Show,
    Mask,
    Hash,
}

/// An account or a domain left outside a control on purpose
/// (`[[exceptions]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Account(String),
    /// Lower-cased.
    Domain(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    pub target: Target,
    pub reason: String,
    pub owner: String,
    /// The last day the exception holds.
    pub expires: NaiveDate,
}

impl Exception {
    /// "account x1" or "domain partner.com".
    pub fn describe(&self) -> String {
        match &self.target {
            Target::Account(id) => format!("account {id}"),
            Target::Domain(domain) => format!("domain {domain}"),
        }
    }
}

/// `[reclaim]`: suspending accounts idle for long, through Atlassian's API.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Reclaim {
    /// `reclaim --apply` suspends only when this is true.
    pub enabled: bool,
    /// An account is idle with no view in this many days before the
    /// report date (and added to the organization longer ago).
    pub idle_days: u32,
    /// Suspensions of one UTC day, every apply counted, at most.
    pub max_per_run: u32,
    /// Suspensions of one UTC day, at most this percentage of the accounts
    /// with access.
    pub max_percent: f64,
    /// Apply after each scheduled report.
    pub on_schedule: bool,
    /// Org admins (`accounts.org_admin`) are planned like anyone else.
    pub include_admins: bool,
    /// A plan file older than this many days is refused by `--apply`.
    pub plan_max_age_days: u32,
}

impl Default for Reclaim {
    fn default() -> Self {
        Reclaim {
            enabled: false,
            idle_days: 90,
            max_per_run: 20,
            max_percent: 2.0,
            on_schedule: false,
            include_admins: false,
            plan_max_age_days: 7,
        }
    }
}

/// `[tokens]`: revoking user API tokens through Atlassian's API.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tokens {
    /// `tokens --apply` revokes only when this is true.
    pub enabled: bool,
    /// A live token unused this many days (or never used and created this
    /// long ago) is planned.
    pub idle_days: u32,
    /// Revocations of one apply, at most.
    pub max_per_run: u32,
}

impl Default for Tokens {
    fn default() -> Self {
        Tokens {
            enabled: false,
            idle_days: 90,
            max_per_run: 20,
        }
    }
}

/// `[input] source`: where the scheduled job and `--run-now` bring the
/// bundle up to date from. `[atlassian]` alone (for `reclaim` or `tokens`)
/// never switches on a pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DailySource {
    /// The exports waiting in `[import] from`, if any (the default).
    #[default]
    Exports,
    /// A pull from Atlassian's Organizations REST API (`[atlassian]`).
    Api,
}

/// `[access_review]`: the periodic review of who has access.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessReview {
    /// Days between two reviews: `status` says when the next is due.
    pub every_days: u32,
    /// The product keys under review; empty for every product.
    pub products: Vec<String>,
}

impl Default for AccessReview {
    fn default() -> Self {
        AccessReview {
            every_days: 91,
            products: Vec::new(),
        }
    }
}
