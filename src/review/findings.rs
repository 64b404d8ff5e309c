//! What most needs an admin's attention, in plain words, most important
//! first: lapsed exceptions, then accounts that can sign in with a password
//! alone, and seats nobody uses after them.

use crate::insights::{Insights, ManagedAuthentication, WINDOW_DAYS};
use crate::review::data_quality::DataQuality;
use crate::review::exceptions::Review;
use crate::support::words::{count_of, plural, thousands};

/// Rows the run set aside, in words, with where the first ones are (not
/// their values, which may be names): what the digest says first.
pub fn set_aside_rows(quality: &DataQuality) -> Option<String> {
    let rows: u64 = quality.set_aside_rows.values().sum();
    if rows == 0 {
        return None;
    }
    let mut places: Vec<String> = quality
        .bad_rows
        .iter()
        .take(SET_ASIDE_PLACES)
        .map(|bad| {
            format!(
                "{} line {} ({})",
                bad.problem.file,
                bad.line(),
                bad.problem.column.as_deref().unwrap_or("row")
            )
        })
        .collect();
    if quality.bad_rows.len() > SET_ASIDE_PLACES {
        places.push("…".to_string());
    }
    Some(format!(
        "{} of the bundle broke the data contract and {} set aside, so the figures leave {} out: {}. Fix {} in the bundle; the report's data quality section and data/bad_rows.csv list every problem.",
        count_of(rows, "row"),
        plural(rows, "was", "were"),
        plural(rows, "it", "them"),
        places.join(", "),
        plural(rows, "it", "them"),
    ))
}

/// Places of set-aside rows a finding names before "…".
const SET_ASIDE_PLACES: usize = 3;

/// Every finding that applies, most important first.
pub fn findings(i: &Insights, quality: &DataQuality, exceptions: &Review) -> Vec<String> {
    let mut found = Vec::new();
    let mut add = |count: u64, text: String| {
        if count > 0 {
            found.push(text);
        }
    };
    // An exception that lapsed is a promise to look again: first.
    for expired in exceptions.expired() {
        add(
            1,
            format!(
                "The exception for {} (owner {}) expired on {}: renew or remove it.",
                expired.target, expired.exception.owner, expired.exception.expires
            ),
        );
    }
    if let Some(m) = &i.managed_authentication {
        add(m.two_step_disabled, unprotected(m));
    }
    if let Some(p) = &i.external_policy {
        let uncovered = p.total - p.covered;
        add(
            uncovered,
            format!(
                "{} external {} not covered by an external user policy.",
                thousands(uncovered),
                plural(uncovered, "user is", "users are"),
            ),
        );
    }
    if let Some(e) = &i.external_two_step {
        add(
            e.not_enabled,
            format!(
                "{} external {} two-step verification turned off.",
                thousands(e.not_enabled),
                plural(e.not_enabled, "user has", "users have"),
            ),
        );
    }
    if let Some(products) = &i.active_by_product {
        let idle: u64 = products.0.iter().map(|p| p.inactive).sum();
        add(
            idle,
            format!(
                "{} had no use in the last {WINDOW_DAYS} days.",
                count_of(idle, "product seat")
            ),
        );
    }
    if let (Some(access), Some(active)) = (&i.rovo_access, &i.rovo_active) {
        if let Some(seats) = access.paid_seats {
            add(
                seats.saturating_sub(active.active),
                format!(
                    "{}, but {} in the last {WINDOW_DAYS} days.",
                    count_of(seats, "paid Rovo seat"),
                    count_of(active.active, "active Rovo user")
                ),
            );
        }
    }
    let unknown: u64 = quality.unknown_accounts.values().sum();
    add(
        unknown,
        format!(
            "{} of the export {} to accounts missing from the accounts table.",
            count_of(unknown, "row"),
            plural(unknown, "refers", "refer")
        ),
    );
    found
}

/// Managed accounts with a password alone, in words; without SSO in the
/// source, those with two-step verification off.
fn unprotected(m: &ManagedAuthentication) -> String {
    let (n, has) = (
        m.two_step_disabled,
        plural(m.two_step_disabled, "has", "have"),
    );
    let account = count_of(n, "managed account");
    match m.sso {
        Some(_) => format!(
            "{account} with access {has} neither single sign-on nor two-step verification."
        ),
        None => format!(
            "{account} with access {has} two-step verification off (single sign-on is not recorded by this source)."
        ),
    }
}
