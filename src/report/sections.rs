//! What the report says about each insight: title, a plain-language
//! explanation, a one-line summary of the figures, the table behind the chart
//! and the chart itself. The HTML page, the data CSVs and the charts are all
//! built from these sections, so they always agree.

use serde::Serialize;

use super::charts::{self, Series};
use crate::headlines::format_percent;
use crate::insights::{window_days, Computed, MonthActive, WINDOW_DAYS};

/// Domains shown one by one in the domains chart; the rest are "other".
const TOP_DOMAINS: usize = 10;

/// The rows and columns behind one chart.
#[derive(Debug, Clone, Serialize)]
pub struct DataTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl DataTable {
    fn new(columns: &[&str]) -> Self {
        DataTable {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// The key of the insight in insights.json; also names its chart and CSV.
    pub key: String,
    pub title: String,
    /// What the figure means, in plain words.
    pub explanation: String,
    /// The figures in one sentence (empty when there is no data).
    pub summary: String,
    pub table: Option<DataTable>,
    pub svg: Option<String>,
    /// Why there is no data, when the needed tables are missing.
    pub missing: Option<String>,
    /// What to do, in plain words.
    pub advice: Vec<String>,
    /// The coverage figure without the excepted accounts.
    pub without_exceptions: Option<String>,
}

type Rendered = anyhow::Result<(String, DataTable, String)>;

/// Builds the twelve sections in the contract's order.
pub fn build(computed: &Computed) -> anyhow::Result<Vec<Section>> {
    let i = &computed.insights;
    let specs: [(&str, &str, &str, Option<Rendered>); 12] = [
        (
            "users_with_access",
            "Users with access",
            "Active accounts that can use at least one product, split into managed accounts (on a domain the organization verified and claimed) and external users.",
            i.users_with_access.as_ref().map(|v| {
                let mut t = DataTable::new(&["account_type", "accounts"]);
                t.row(vec!["managed".into(), v.managed.to_string()]);
                t.row(vec!["external".into(), v.external.to_string()]);
                let summary = format!(
                    "{} accounts have access: {} managed and {} external.",
                    v.total, v.managed, v.external
                );
                let svg = charts::bars(
                    "Users with access",
                    "accounts",
                    &["managed".into(), "external".into()],
                    &[Series { name: "accounts", values: vec![v.managed, v.external] }],
                )?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "domains",
            "Domains with access",
            "The email domains of the accounts with access, largest first. A domain with many external users may be one to verify and claim.",
            i.domains.as_ref().map(|rows| {
                let mut t = DataTable::new(&["domain", "managed", "external", "verified"]);
                for d in rows {
                    t.row(vec![d.domain.clone(), d.managed.to_string(), d.external.to_string(), d.verified.to_string()]);
                }
                let mut labels: Vec<String> = rows.iter().take(TOP_DOMAINS).map(|d| d.domain.clone()).collect();
                let mut managed: Vec<u64> = rows.iter().take(TOP_DOMAINS).map(|d| d.managed).collect();
                let mut external: Vec<u64> = rows.iter().take(TOP_DOMAINS).map(|d| d.external).collect();
                if rows.len() > TOP_DOMAINS {
                    labels.push(format!("other ({} domains)", rows.len() - TOP_DOMAINS));
                    managed.push(rows.iter().skip(TOP_DOMAINS).map(|d| d.managed).sum());
                    external.push(rows.iter().skip(TOP_DOMAINS).map(|d| d.external).sum());
                }
                let verified = rows.iter().filter(|d| d.verified).count();
                let summary = format!("{} email domains have accounts with access; {} of them verified.", rows.len(), verified);
                let svg = charts::bars(
                    "Domains with access",
                    "accounts",
                    &labels,
                    &[Series { name: "managed", values: managed }, Series { name: "external", values: external }],
                )?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "managed_authentication",
            "Authentication of managed accounts",
            "How managed accounts with access sign in: with single sign-on, with two-step verification, or with a password alone.",
            i.managed_authentication.as_ref().map(|v| {
                let mut t = DataTable::new(&["group", "accounts"]);
                // A source without SSO (an API pull) has only the two 2SV groups.
                let (labels, values, summary) = match v.sso {
                    Some(sso) => {
                        t.row(vec!["sso".into(), sso.to_string()]);
                        t.row(vec!["two_step_enabled".into(), v.two_step_enabled.to_string()]);
                        t.row(vec!["two_step_disabled".into(), v.two_step_disabled.to_string()]);
                        (
                            vec!["single sign-on".into(), "two-step on".into(), "two-step off".into()],
                            vec![sso, v.two_step_enabled, v.two_step_disabled],
                            format!(
                                "{} managed accounts use single sign-on, {} two-step verification, and {} neither.",
                                sso, v.two_step_enabled, v.two_step_disabled
                            ),
                        )
                    }
                    None => {
                        t.row(vec!["two_step_enabled".into(), v.two_step_enabled.to_string()]);
                        t.row(vec!["two_step_disabled".into(), v.two_step_disabled.to_string()]);
                        (
                            vec!["two-step on".into(), "two-step off".into()],
                            vec![v.two_step_enabled, v.two_step_disabled],
                            format!(
                                "{} managed accounts have two-step verification on and {} off; single sign-on is not recorded by this source.",
                                v.two_step_enabled, v.two_step_disabled
                            ),
                        )
                    }
                };
                let svg = charts::bars(
                    "Authentication of managed accounts",
                    "accounts",
                    &labels,
                    &[Series { name: "accounts", values }],
                )?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "external_two_step",
            "Two-step verification of external users",
            "External users with access who turned two-step verification on themselves, whose own organization enforces it, or who have it off.",
            i.external_two_step.as_ref().map(|v| {
                let mut t = DataTable::new(&["state", "accounts"]);
                t.row(vec!["enabled_self".into(), v.enabled_self.to_string()]);
                t.row(vec!["enabled_by_other_org".into(), v.enabled_by_other_org.to_string()]);
                t.row(vec!["not_enabled".into(), v.not_enabled.to_string()]);
                let summary = format!(
                    "{} external users have two-step verification off; {} turned it on and {} have it enforced by their organization.",
                    v.not_enabled, v.enabled_self, v.enabled_by_other_org
                );
                let svg = charts::bars(
                    "Two-step verification of external users",
                    "accounts",
                    &["on (self)".into(), "enforced by own org".into(), "off".into()],
                    &[Series { name: "accounts", values: vec![v.enabled_self, v.enabled_by_other_org, v.not_enabled] }],
                )?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "external_policy",
            "External user policy coverage",
            "External users with access who are covered by an external user policy of this organization.",
            i.external_policy.as_ref().map(|v| {
                let mut t = DataTable::new(&["covered", "total", "percent"]);
                t.row(vec![v.covered.to_string(), v.total.to_string(), format_percent(v.percent)]);
                let summary = match v.percent {
                    Some(p) => format!("{} of {} external users ({p:.1} %) are covered by a policy.", v.covered, v.total),
                    None => "There are no external users with access.".to_string(),
                };
                let svg = charts::bars(
                    "External user policy coverage",
                    "external users",
                    &["covered".into(), "not covered".into()],
                    &[Series { name: "external users", values: vec![v.covered, v.total - v.covered] }],
                )?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "active_users",
            "Active users",
            concat!("Accounts that viewed a page, an issue or a board in the last ", window_days!(), " days, with the daily and monthly trend."),
            i.active_users.as_ref().map(|v| {
                let mut t = DataTable::new(&["period", "active"]);
                t.row(vec![concat!(window_days!(), " days").into(), v.active.to_string()]);
                for d in &v.daily {
                    t.row(vec![d.date.clone(), d.active.to_string()]);
                }
                add_months(&mut t, &v.monthly);
                let summary = format!("{} accounts were active in the {WINDOW_DAYS} days to the report date.", v.active);
                let days: Vec<String> = v.daily.iter().map(|d| d.date.clone()).collect();
                let values: Vec<u64> = v.daily.iter().map(|d| d.active).collect();
                let svg = charts::line("Active users per day", "active users", &days, &values)?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "active_by_product",
            "Active users by product",
            concat!("For each product, accounts with access to it that used it in the last ", window_days!(), " days (active) and those that did not (inactive): seats to review."),
            i.active_by_product.as_ref().map(|rows| {
                let mut t = DataTable::new(&["product", "active", "inactive"]);
                for r in rows {
                    t.row(vec![r.product.clone(), r.active.to_string(), r.inactive.to_string()]);
                }
                let inactive: u64 = rows.iter().map(|r| r.inactive).sum();
                let summary = format!("Across {} products, {} product seats had no use in {WINDOW_DAYS} days.", rows.len(), inactive);
                let labels: Vec<String> = rows.iter().map(|r| r.product.clone()).collect();
                let svg = charts::bars(
                    "Active users by product",
                    "accounts with access",
                    &labels,
                    &[
                        Series { name: "active", values: rows.iter().map(|r| r.active).collect() },
                        Series { name: "inactive", values: rows.iter().map(|r| r.inactive).collect() },
                    ],
                )?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "trello_by_plan",
            "Active Trello users by plan",
            concat!("Managed accounts active in Trello in the last ", window_days!(), " days, each under the highest plan of the Trello workspaces they used."),
            i.trello_by_plan.as_ref().map(|rows| {
                let mut t = DataTable::new(&["plan", "active"]);
                for r in rows {
                    t.row(vec![r.plan.clone(), r.active.to_string()]);
                }
                let total: u64 = rows.iter().map(|r| r.active).sum();
                let summary = format!("{total} managed accounts used Trello in the last {WINDOW_DAYS} days.");
                let labels: Vec<String> = rows.iter().map(|r| r.plan.clone()).collect();
                let svg = charts::bars(
                    "Active Trello users by plan",
                    "active accounts",
                    &labels,
                    &[Series { name: "active", values: rows.iter().map(|r| r.active).collect() }],
                )?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "mobile_usage",
            "Mobile app usage",
            concat!("Accounts that used an Atlassian mobile app in the last ", window_days!(), " days, per product, and their share of the product's users."),
            i.mobile_usage.as_ref().map(|v| {
                let mut t = DataTable::new(&["product", "users", "share"]);
                for p in &v.products {
                    t.row(vec![p.product.clone(), p.users.to_string(), format!("{:.1}", p.share)]);
                }
                t.row(vec!["all products".into(), v.total.to_string(), String::new()]);
                let summary = format!("{} accounts used a mobile app in the last {WINDOW_DAYS} days.", v.total);
                let labels: Vec<String> = v.products.iter().map(|p| format!("{} ({:.1} %)", p.product, p.share)).collect();
                let svg = charts::bars(
                    "Mobile app users by product",
                    "accounts on mobile",
                    &labels,
                    &[Series { name: "mobile users", values: v.products.iter().map(|p| p.users).collect() }],
                )?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "rovo_access",
            "Users with access to Rovo",
            "Accounts with access to a site where Rovo is activated, and the paid seats of those sites' annual subscriptions.",
            i.rovo_access.as_ref().map(|v| {
                let mut t = DataTable::new(&["users", "paid_seats", "sites"]);
                let seats = v.paid_seats.map(|s| s.to_string()).unwrap_or_default();
                t.row(vec![v.users.to_string(), seats.clone(), v.sites.to_string()]);
                let summary = match v.paid_seats {
                    Some(s) => format!("{} accounts can use Rovo on {} sites, with {s} paid seats.", v.users, v.sites),
                    None => format!("{} accounts can use Rovo on {} sites.", v.users, v.sites),
                };
                let mut labels = vec!["users with access".to_string()];
                let mut values = vec![v.users];
                if let Some(s) = v.paid_seats {
                    labels.push("paid seats".into());
                    values.push(s);
                }
                let svg = charts::bars("Users with access to Rovo", "accounts", &labels, &[Series { name: "accounts", values }])?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "rovo_active",
            "Active Rovo users",
            concat!("Accounts that searched, chatted or used an agent with Rovo and got results, or followed a Rovo result, in the last ", window_days!(), " days."),
            i.rovo_active.as_ref().map(|v| {
                let mut t = DataTable::new(&["period", "active"]);
                t.row(vec![concat!(window_days!(), " days").into(), v.active.to_string()]);
                add_months(&mut t, &v.monthly);
                let mut summary = format!("{} accounts used Rovo in the last {WINDOW_DAYS} days.", v.active);
                if !v.recently_activated.is_empty() {
                    summary.push_str(&format!(
                        " Rovo was activated recently on {}: figures for these sites may be incomplete.",
                        v.recently_activated.join(", ")
                    ));
                }
                let svg = monthly_chart("Active Rovo users per month", &v.monthly)?;
                Ok((summary, t, svg))
            }),
        ),
        (
            "ai_active",
            "Active Atlassian Intelligence users",
            concat!("Accounts that used an Atlassian Intelligence feature in the last ", window_days!(), " days where it is activated."),
            i.ai_active.as_ref().map(|v| {
                let mut t = DataTable::new(&["period", "active"]);
                t.row(vec![concat!(window_days!(), " days").into(), v.active.to_string()]);
                add_months(&mut t, &v.monthly);
                let summary = format!("{} accounts used Atlassian Intelligence in the last {WINDOW_DAYS} days.", v.active);
                let svg = monthly_chart("Active Atlassian Intelligence users per month", &v.monthly)?;
                Ok((summary, t, svg))
            }),
        ),
    ];

    let mut sections = Vec::with_capacity(specs.len());
    for (key, title, explanation, rendered) in specs {
        let (summary, table, svg) = match rendered {
            Some(result) => {
                let (summary, table, svg) = result?;
                (summary, Some(table), Some(svg))
            }
            None => (String::new(), None, None),
        };
        sections.push(Section {
            key: key.to_string(),
            title: title.to_string(),
            explanation: explanation.to_string(),
            summary,
            table,
            svg,
            missing: computed.missing.get(key).cloned(),
            advice: Vec::new(),
            without_exceptions: None,
        });
    }
    Ok(sections)
}

fn add_months(table: &mut DataTable, months: &[MonthActive]) {
    for m in months {
        table.row(vec![m.month.clone(), m.active.to_string()]);
    }
}

fn monthly_chart(title: &str, months: &[MonthActive]) -> anyhow::Result<String> {
    let labels: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
    let values: Vec<u64> = months.iter().map(|m| m.active).collect();
    charts::columns(title, "active users", &labels, &values)
}
