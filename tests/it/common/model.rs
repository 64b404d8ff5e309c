//! The logical content of a bundle, as the test generator knows it: every
//! value canonical, `None` where the cell is left empty (the default applies).

use chrono::NaiveDate;

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    /// As written: the domain may be in any case.
    pub email: String,
    pub name: String,
    pub account_type: &'static str,
    pub status: Option<&'static str>,
    pub two_step: Option<&'static str>,
    pub sso: Option<bool>,
    pub external_policy: Option<bool>,
    pub org_admin: Option<bool>,
    pub auth_recorded: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Access {
    pub account_id: String,
    pub product: String,
    pub site: String,
    pub role: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Site {
    pub site: String,
    pub product: String,
    pub plan: Option<&'static str>,
    pub rovo: Option<bool>,
    pub rovo_activated_on: Option<NaiveDate>,
    pub ai: Option<bool>,
    pub billing: Option<&'static str>,
    pub paid_seats: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Domain {
    pub domain: String,
    pub verified: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Activity {
    pub date: NaiveDate,
    pub account_id: String,
    pub product: String,
    pub site: Option<String>,
    pub surface: Option<&'static str>,
    pub action: Option<&'static str>,
    pub success: Option<bool>,
    pub count: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct ApiToken {
    pub token_id: String,
    pub account_id: String,
    pub email: Option<String>,
    pub label: Option<String>,
    /// As written: any case.
    pub status: Option<String>,
    pub created: NaiveDate,
    pub expires: Option<NaiveDate>,
    pub last_active: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub event_id: String,
    /// RFC 3339 as written, with any offset.
    pub time: String,
    pub action: String,
    pub actor_id: Option<String>,
    pub actor: Option<String>,
    pub subject_id: Option<String>,
    pub subject: Option<String>,
    pub target: Option<String>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Bundle {
    pub accounts: Vec<Account>,
    pub product_access: Option<Vec<Access>>,
    pub sites: Option<Vec<Site>>,
    pub domains: Option<Vec<Domain>>,
    pub activity: Option<Vec<Activity>>,
    pub api_tokens: Option<Vec<ApiToken>>,
    pub events: Option<Vec<Event>>,
}
